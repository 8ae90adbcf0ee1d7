package control

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
)

// Options tune a Server.
type Options struct {
	// Status is the running application's state (app.Monitor's Status);
	// nil answers one without sources.
	Status func() backend.Status
	// Live says whether sources are followed.
	Live bool
	// Version is mamori's version, for Hello.
	Version string
	// Log receives who asked what (never the terminal); nil discards.
	Log *slog.Logger
}

// Server answers, on the control socket, the reads and exports of a
// running App (see the package comment).
type Server struct {
	a    *app.App
	opts Options
	l    *peerListener
	path string
}

// Listen makes the control socket of a's store (see Paths; a dead socket
// left there is replaced). a must hold its store for writing: a mamori
// opened read-only leaves the store to others and serves nothing.
func Listen(a *app.App, opts Options) (*Server, error) {
	if a.Store == nil || a.Store.ReadOnly() {
		return nil, errors.New("control socket: only the mamori holding its store for writing serves it")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	paths, err := Paths(a.StoreDir())
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, p := range paths {
		l, err := listenAt(p, os.Getuid())
		if err == nil {
			return &Server{a: a, opts: opts, l: &peerListener{UnixListener: l, uid: os.Getuid(), log: opts.Log}, path: p}, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Serve answers until ctx ends, then stops: requests in progress see ctx
// end, and the socket is removed. Call it once.
func (s *Server) Serve(ctx context.Context) error {
	hs := &http.Server{
		Handler:           s.routes(),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ConnContext:       withPeer,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.opts.Log.Handler(), slog.LevelWarn),
	}
	s.opts.Log.Info("control socket: serving read commands", "path", s.path)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(s.l) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		_ = s.l.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	// The handlers' contexts have ended with ctx: they return at once, and
	// streams end. Closing the listener removes the socket.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
	}
	<-errc
	return nil
}

// Close removes the socket of a Server that never served.
func (s *Server) Close() error { return s.l.Close() }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	rd := s.a.Reader()
	mux.HandleFunc("GET /v1/hello", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, Hello{PID: os.Getpid(), Store: s.a.StoreDir(), Version: s.opts.Version, Live: s.opts.Live})
	})
	mux.HandleFunc("GET /v1/records", func(w http.ResponseWriter, r *http.Request) {
		f, ok := families[r.FormValue("family")]
		if !ok {
			fail(w, badRequest("unknown record family %q", r.FormValue("family")))
			return
		}
		if r.Form.Has("name") {
			var doc json.RawMessage
			found, err := rd.Get(f, r.FormValue("name"), &doc)
			switch {
			case err != nil:
				fail(w, err)
			case !found:
				fail(w, errNotFound)
			default:
				reply(w, doc)
			}
			return
		}
		out := []record{}
		err := rd.List(f, func(name string, doc []byte) error {
			out = append(out, record{Name: name, Doc: append(json.RawMessage(nil), doc...)})
			return nil
		})
		if err != nil {
			fail(w, err)
			return
		}
		reply(w, out)
	})
	mux.HandleFunc("GET /v1/alerts", func(w http.ResponseWriter, r *http.Request) {
		if id := r.FormValue("id"); id != "" {
			a, found, err := rd.Alert(id)
			switch {
			case err != nil:
				fail(w, err)
			case !found:
				fail(w, errNotFound)
			default:
				reply(w, a)
			}
			return
		}
		as, err := rd.Alerts()
		if err != nil {
			fail(w, err)
			return
		}
		reply(w, orEmpty(as))
	})
	mux.HandleFunc("GET /v1/events", func(w http.ResponseWriter, r *http.Request) {
		from, to, err := timeParams(r)
		if err != nil {
			fail(w, err)
			return
		}
		stream(w, func(send func(any) error) error {
			return rd.Events(r.Context(), from, to, func(st store.Stored) error {
				we, err := toWire(&st)
				if err != nil {
					return err
				}
				return send(we)
			})
		}, func(err error) any { return wireEvent{Error: err.Error()} })
	})
	mux.HandleFunc("POST /v1/timeline", func(w http.ResponseWriter, r *http.Request) {
		var q timelineRequest
		if err := decode(w, r, &q); err != nil {
			fail(w, err)
			return
		}
		sq := store.Query{From: q.From, To: q.To, Reverse: q.Reverse, Limit: q.Limit}
		if q.After != nil {
			sq.After = &store.EventKey{Time: q.After.Time.UTC(), ID: q.After.ID}
		}
		p, err := rd.Timeline(r.Context(), store.Endpoint(q.Endpoint), sq)
		if err != nil {
			fail(w, err)
			return
		}
		page := timelinePage{Items: make([]wireEvent, 0, len(p.Items)), More: p.More}
		for i := range p.Items {
			we, err := toWire(&p.Items[i])
			if err != nil {
				fail(w, err)
				return
			}
			page.Items = append(page.Items, we)
		}
		reply(w, page)
	})
	mux.HandleFunc("POST /v1/histogram", func(w http.ResponseWriter, r *http.Request) {
		var q histogramRequest
		if err := decode(w, r, &q); err != nil {
			fail(w, err)
			return
		}
		h, err := rd.Histogram(r.Context(), store.Endpoint(q.Endpoint), q.From, q.To, q.Step)
		if err != nil {
			fail(w, err)
			return
		}
		reply(w, orEmpty(h))
	})
	mux.HandleFunc("GET /v1/audit", func(w http.ResponseWriter, r *http.Request) {
		from, err := strconv.ParseUint(cmp.Or(r.FormValue("from"), "0"), 10, 64)
		if err != nil {
			fail(w, badRequest("from: %v", err))
			return
		}
		stream(w, func(send func(any) error) error {
			return rd.AuditLog(from, func(seq uint64, doc []byte) error {
				if err := r.Context().Err(); err != nil {
					return err
				}
				return send(auditLine{Seq: seq, Doc: doc})
			})
		}, func(err error) any { return auditLine{Error: err.Error()} })
	})
	mux.HandleFunc("GET /v1/endpoints", func(w http.ResponseWriter, _ *http.Request) {
		es, err := rd.EndpointSummaries()
		if err != nil {
			fail(w, err)
			return
		}
		reply(w, orEmpty(es))
	})
	mux.HandleFunc("GET /v1/offsets", func(w http.ResponseWriter, _ *http.Request) {
		offs, err := rd.Offsets()
		if err != nil {
			fail(w, err)
			return
		}
		reply(w, orEmpty(offs))
	})
	mux.HandleFunc("GET /v1/size", func(w http.ResponseWriter, _ *http.Request) { reply(w, rd.Size()) })
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, _ *http.Request) {
		st := backend.Status{Live: s.opts.Live, StoreDir: s.a.StoreDir()}
		if s.opts.Status != nil {
			st = s.opts.Status()
		}
		reply(w, toStatus(st))
	})
	mux.HandleFunc("GET /v1/watch/alerts", func(w http.ResponseWriter, r *http.Request) {
		if s.a.Engine == nil {
			fail(w, errors.New("no detection engine runs"))
			return
		}
		watch(w, r, s.a.Engine.Subscribe(r.Context()))
	})
	mux.HandleFunc("GET /v1/watch/incidents", func(w http.ResponseWriter, r *http.Request) {
		watch(w, r, s.a.Incidents.Changes(r.Context()))
	})
	mux.HandleFunc("POST /v1/export/report", s.exportReport)
	mux.HandleFunc("POST /v1/export/evidence", s.exportEvidence)
	return mux
}

// exportReport writes a report as the console does (App.ExportReport),
// recorded in the audit log.
func (s *Server) exportReport(w http.ResponseWriter, r *http.Request) {
	var q ReportRequest
	if err := decode(w, r, &q); err != nil {
		fail(w, err)
		return
	}
	if err := checkExport(q.ID, q.Path); err != nil {
		fail(w, err)
		return
	}
	if q.Format != export.Markdown && q.Format != export.JSON {
		fail(w, badRequest("format must be md or json"))
		return
	}
	ex, err := s.a.ExportReport(r.Context(), q.ID, q.Path, export.ReportOptions{Format: q.Format, Force: q.Force, Options: report.Options{Lang: q.Lang}})
	if err != nil {
		fail(w, err)
		return
	}
	p := peerFrom(r.Context())
	s.opts.Log.Info("control socket: report written", "incident", q.ID, "path", ex.Path, "for_pid", p.PID)
	reply(w, ex)
}

// exportEvidence writes an evidence bundle as the console does
// (App.ExportEvidence), recorded in the audit log.
func (s *Server) exportEvidence(w http.ResponseWriter, r *http.Request) {
	var q EvidenceRequest
	if err := decode(w, r, &q); err != nil {
		fail(w, err)
		return
	}
	if err := checkExport(q.ID, q.Path); err != nil {
		fail(w, err)
		return
	}
	res, err := s.a.ExportEvidence(r.Context(), q.ID, q.Path, export.EvidenceOptions{Force: q.Force, BundleOptions: report.BundleOptions{Window: q.Window}})
	if err != nil {
		fail(w, err)
		return
	}
	p := peerFrom(r.Context())
	s.opts.Log.Info("control socket: evidence written", "incident", q.ID, "path", res.Path, "for_pid", p.PID)
	reply(w, res)
}

// checkExport refuses an export without an incident or with a path that
// is not absolute: the server's working directory is not the client's.
func checkExport(id, path string) error {
	if id == "" {
		return badRequest("no incident id")
	}
	if !filepath.IsAbs(path) {
		return badRequest("the output path must be absolute, not %q", path)
	}
	return nil
}

// watch streams a subscription's batches as JSON lines until it ends (the
// client leaves, the server stops). The subscription exists when watch is
// called: the headers, sent at once, tell the client it will miss nothing
// from now on.
func watch[T any](w http.ResponseWriter, r *http.Request, ch <-chan []T) {
	w.Header().Set("Content-Type", "application/jsonl")
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	if err := rc.Flush(); err != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			// The subscription ends with the same context; drain it so
			// that its sender is not left waiting.
			for range ch { //nolint:revive // draining
			}
			return
		case batch, ok := <-ch:
			if !ok {
				return
			}
			if enc.Encode(batch) != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// stream answers JSON lines: each value run sends, then, when run fails,
// the line last(err) says why the stream ended early.
func stream(w http.ResponseWriter, run func(send func(any) error) error, last func(error) any) {
	w.Header().Set("Content-Type", "application/jsonl")
	enc := json.NewEncoder(w)
	var werr error
	err := run(func(v any) error {
		werr = enc.Encode(v)
		return werr
	})
	if err != nil && werr == nil {
		_ = enc.Encode(last(err)) // the client is gone if this fails too
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("request: %v", err)
	}
	return nil
}

func timeParams(r *http.Request) (from, to time.Time, err error) {
	parse := func(name string) (time.Time, error) {
		v := r.FormValue(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, badRequest("%s: %v", name, err)
		}
		return t, nil
	}
	if from, err = parse("from"); err != nil {
		return
	}
	to, err = parse("to")
	return
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v) // a client that left cannot be told
}

// errNotFound answers 404.
var errNotFound = errors.New("not found")

type badRequestError struct{ msg string }

func (e *badRequestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &badRequestError{fmt.Sprintf(format, args...)}
}

// fail answers err: its text as the client will show it, its status, and
// the kind of the errors a client tells apart.
func fail(w http.ResponseWriter, err error) {
	body := errorBody{Error: err.Error(), Kind: errKind(err)}
	code := http.StatusInternalServerError
	var bad *badRequestError
	switch {
	case errors.As(err, &bad):
		code = http.StatusBadRequest
	case errors.Is(err, errNotFound):
		code, body.Kind = http.StatusNotFound, kindNotFound
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

const (
	kindReadOnly = "read-only"
	kindDiskFull = "disk-full"
	kindNotFound = "not-found"
	kindNoSuch   = "no-such-incident"
)

func errKind(err error) string {
	switch {
	case errors.Is(err, store.ErrDiskFull):
		return kindDiskFull
	case errors.Is(err, store.ErrReadOnly), errors.Is(err, audit.ErrReadOnly), errors.Is(err, incident.ErrReadOnly):
		return kindReadOnly
	case errors.Is(err, incident.ErrNotFound):
		return kindNoSuch
	}
	return ""
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
