package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
)

// ErrNotRunning is returned (wrapped) by Dial when no mamori answers for
// the store: there is no control socket, or a dead one.
var ErrNotRunning = errors.New("no running mamori answers for this store")

// RefusedError is returned by Dial for a control socket it does not trust
// (another user's, open to others, an answer for another store).
type RefusedError struct {
	Path string
	Err  error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("the control socket %s was refused: %v", e.Path, e.Err)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// callTimeout bounds a call that has no context of its own (the store's
// methods without one): a running mamori that stopped answering must not
// hang a command forever.
const callTimeout = 2 * time.Minute

// Client reads a store through the mamori running on it. It implements
// app.Reader (writes fail with store.ErrReadOnly) and detect.Store for
// `mamori rules`, and asks for exports and live feeds. Its methods are
// safe for concurrent use.
type Client struct {
	ctx   context.Context
	path  string
	hello Hello
	hc    *http.Client
	tr    *http.Transport
}

var _ app.Reader = (*Client)(nil)

// Dial connects to the mamori running on the store in dir, checking the
// socket (its owner, its mode and its directory's, the user at the other
// end) before anything is sent. ctx bounds every call of the Client (end
// it, or call Close, when done).
func Dial(ctx context.Context, dir string) (*Client, error) {
	paths, err := Paths(dir)
	if err != nil {
		return nil, err
	}
	uid := os.Getuid()
	for _, p := range paths {
		if err := checkSocket(p, uid); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, &RefusedError{Path: p, Err: err}
		}
		c := newClient(ctx, p, uid)
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := c.get(hctx, "/v1/hello", nil, &c.hello)
		cancel()
		if err != nil {
			c.Close()
			var re *RefusedError
			if errors.As(err, &re) {
				return nil, err
			}
			if isDead(err) {
				return nil, fmt.Errorf("%w (the socket %s is left from one that stopped)", ErrNotRunning, p)
			}
			return nil, fmt.Errorf("asking the mamori on %s: %w", p, err)
		}
		if !sameDir(c.hello.Store, dir) {
			c.Close()
			return nil, &RefusedError{Path: p, Err: fmt.Errorf("it answers for the store %s, not %s", c.hello.Store, dir)}
		}
		return c, nil
	}
	return nil, ErrNotRunning
}

func newClient(ctx context.Context, path string, uid int) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "unix", path)
			if err != nil {
				return nil, err
			}
			if p, known, err := peerOf(conn); err != nil || (known && p.UID != uid) {
				_ = conn.Close()
				if err == nil {
					err = fmt.Errorf("the process serving it runs as user id %d, not %d", p.UID, uid)
				}
				return nil, &RefusedError{Path: path, Err: err}
			}
			return conn, nil
		},
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	return &Client{ctx: ctx, path: path, tr: tr, hc: &http.Client{Transport: tr}}
}

// isDead reports whether a call failed because nothing listens on the
// socket (the mamori that made it was killed).
func isDead(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// Close ends the Client's connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// PID is the running mamori's process id.
func (c *Client) PID() int { return c.hello.PID }

// Path is the socket's path.
func (c *Client) Path() string { return c.path }

// Live reports whether the running mamori follows sources.
func (c *Client) Live() bool { return c.hello.Live }

// call makes one request: body (when not nil) as JSON, the answer decoded
// into out, an error answer turned back into an error.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body, out any) error {
	resp, err := c.do(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("control: reading the answer to %s: %w", path, err)
	}
	return nil
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	return c.call(ctx, http.MethodGet, path, q, nil, out)
}

// do sends a request and returns a 2xx response (its body to close).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := "http://mamori" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			return nil, re
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("control: %s: %w", path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer func() { _ = resp.Body.Close() }()
	var eb errorBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&eb); err != nil || eb.Error == "" {
		return nil, fmt.Errorf("control: %s: %s", path, resp.Status)
	}
	return nil, remoteError(eb)
}

// remoteErr is an error the running mamori answered: its text as it is,
// and the sentinel of its kind for errors.Is.
type remoteErr struct {
	msg  string
	kind error
}

func (e *remoteErr) Error() string { return e.msg }
func (e *remoteErr) Unwrap() error { return e.kind }

func remoteError(eb errorBody) error {
	e := &remoteErr{msg: eb.Error}
	switch eb.Kind {
	case kindReadOnly:
		e.kind = store.ErrReadOnly
	case kindDiskFull:
		e.kind = store.ErrDiskFull
	case kindNotFound:
		e.kind = errNotFound
	case kindNoSuch:
		e.kind = incident.ErrNotFound
	}
	return e
}

// bounded is a context for a call without one of its own.
func (c *Client) bounded() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, callTimeout)
}

// The store's reads (app.Reader).

// ReadOnly implements app.Reader: nothing is written through a Client.
func (c *Client) ReadOnly() bool { return true }

// Dir implements app.Reader.
func (c *Client) Dir() string { return c.hello.Store }

// Size implements app.Reader (0 when the running mamori does not answer).
func (c *Client) Size() int64 {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	var n int64
	if err := c.get(ctx, "/v1/size", nil, &n); err != nil {
		return 0
	}
	return n
}

// Get implements app.Reader.
func (c *Client) Get(f store.Family, name string, v any) (bool, error) {
	fam, err := familyName(f)
	if err != nil {
		return false, err
	}
	ctx, cancel := c.bounded()
	defer cancel()
	var doc json.RawMessage
	err = c.get(ctx, "/v1/records", url.Values{"family": {fam}, "name": {name}}, &doc)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return false, fmt.Errorf("store: read %c/%s: %w", f, name, err)
	}
	return true, nil
}

// List implements app.Reader.
func (c *Client) List(f store.Family, fn func(name string, doc []byte) error) error {
	fam, err := familyName(f)
	if err != nil {
		return err
	}
	ctx, cancel := c.bounded()
	defer cancel()
	var recs []record
	if err := c.get(ctx, "/v1/records", url.Values{"family": {fam}}, &recs); err != nil {
		return err
	}
	for _, r := range recs {
		if err := fn(r.Name, r.Doc); err != nil {
			return err
		}
	}
	return nil
}

// Put implements app.Reader: store.ErrReadOnly.
func (c *Client) Put(store.Family, string, any) error { return store.ErrReadOnly }

// Delete implements app.Reader: store.ErrReadOnly.
func (c *Client) Delete(store.Family, string) error { return store.ErrReadOnly }

// AppendAudit implements app.Reader: store.ErrReadOnly.
func (c *Client) AppendAudit(any) (uint64, error) { return 0, store.ErrReadOnly }

// PutAlerts implements detect.Store: store.ErrReadOnly.
func (c *Client) PutAlerts([]alert.Alert) error { return store.ErrReadOnly }

// Alert implements app.Reader.
func (c *Client) Alert(id string) (alert.Alert, bool, error) {
	ctx, cancel := c.bounded()
	defer cancel()
	var a alert.Alert
	err := c.get(ctx, "/v1/alerts", url.Values{"id": {id}}, &a)
	if errors.Is(err, errNotFound) {
		return alert.Alert{}, false, nil
	}
	return a, err == nil, err
}

// Alerts implements app.Reader.
func (c *Client) Alerts() ([]alert.Alert, error) {
	ctx, cancel := c.bounded()
	defer cancel()
	as := []alert.Alert{} // none is an empty list, as from the store
	if err := c.get(ctx, "/v1/alerts", nil, &as); err != nil {
		return nil, err
	}
	return as, nil
}

// Events implements app.Reader: the events stream in, fn is called as
// each arrives.
func (c *Client) Events(ctx context.Context, from, to time.Time, fn func(store.Stored) error) error {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from", from.Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		q.Set("to", to.Format(time.RFC3339Nano))
	}
	return lines(ctx, c, "/v1/events", q, func(w *wireEvent) error {
		st, err := w.stored()
		if err != nil {
			return err
		}
		return fn(st)
	})
}

// AuditLog implements app.Reader.
func (c *Client) AuditLog(from uint64, fn func(seq uint64, doc []byte) error) error {
	ctx, cancel := c.bounded()
	defer cancel()
	return lines(ctx, c, "/v1/audit", url.Values{"from": {strconv.FormatUint(from, 10)}}, func(l *auditLine) error {
		if l.Error != "" {
			return errors.New(l.Error)
		}
		return fn(l.Seq, l.Doc)
	})
}

// lines reads a stream of JSON lines, calling fn with each.
func lines[T any](ctx context.Context, c *Client, path string, q url.Values, fn func(*T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the server's side when fn stops early
	resp, err := c.do(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	return readLines(ctx, resp.Body, path, fn)
}

func readLines[T any](ctx context.Context, body io.Reader, path string, fn func(*T) error) error {
	dec := json.NewDecoder(bufio.NewReader(body))
	for {
		var v T
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("control: reading %s: %w", path, err)
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
}

// Timeline implements app.Reader. A query's Keep cannot travel: pages are
// asked for unfiltered and filtered here, until Limit events are kept, as
// the store does.
func (c *Client) Timeline(ctx context.Context, ep store.Endpoint, q store.Query) (store.Page, error) {
	if q.Limit <= 0 {
		q.Limit = 200
	}
	req := timelineRequest{Endpoint: endpoint(ep), From: q.From, To: q.To, Reverse: q.Reverse, Limit: q.Limit}
	if q.After != nil {
		req.After = &wireEvent{Time: q.After.Time, ID: q.After.ID}
	}
	var page store.Page
	for {
		var p timelinePage
		if err := c.call(ctx, http.MethodPost, "/v1/timeline", nil, req, &p); err != nil {
			return store.Page{}, err
		}
		for i := range p.Items {
			if len(page.Items) == q.Limit {
				page.More = true
				return page, nil
			}
			st, err := p.Items[i].stored()
			if err != nil {
				return store.Page{}, err
			}
			if q.Keep == nil || q.Keep(&st.Event) {
				page.Items = append(page.Items, st)
			}
		}
		if !p.More || len(p.Items) == 0 {
			return page, nil
		}
		if len(page.Items) == q.Limit {
			page.More = true
			return page, nil
		}
		last := p.Items[len(p.Items)-1]
		req.After = &wireEvent{Time: last.Time, ID: last.ID}
	}
}

// Histogram implements app.Reader.
func (c *Client) Histogram(ctx context.Context, ep store.Endpoint, from, to time.Time, step time.Duration) ([]int, error) {
	var h []int
	err := c.call(ctx, http.MethodPost, "/v1/histogram", nil, histogramRequest{Endpoint: endpoint(ep), From: from, To: to, Step: step}, &h)
	return h, err
}

// EndpointSummaries implements app.Reader.
func (c *Client) EndpointSummaries() ([]store.EndpointSummary, error) {
	ctx, cancel := c.bounded()
	defer cancel()
	var es []store.EndpointSummary
	if err := c.get(ctx, "/v1/endpoints", nil, &es); err != nil || len(es) == 0 {
		return nil, err // none is nil, as from the store
	}
	return es, nil
}

// Offsets implements app.Reader.
func (c *Client) Offsets() ([]store.Offset, error) {
	ctx, cancel := c.bounded()
	defer cancel()
	var offs []store.Offset
	if err := c.get(ctx, "/v1/offsets", nil, &offs); err != nil || len(offs) == 0 {
		return nil, err // none is nil, as from the store
	}
	return offs, nil
}

// What only the running mamori knows or does.

// Status is the running mamori's state, read-only for this side.
func (c *Client) Status(ctx context.Context) (backend.Status, error) {
	var st status
	if err := c.get(ctx, "/v1/status", nil, &st); err != nil {
		return backend.Status{}, err
	}
	return st.backend(), nil
}

// ExportReport asks the running mamori to write a report as its console
// does, recorded in its audit log. The path is made absolute here.
func (c *Client) ExportReport(ctx context.Context, r ReportRequest) (export.Exported, error) {
	var err error
	if r.Path, err = filepath.Abs(r.Path); err != nil {
		return export.Exported{}, err
	}
	var ex export.Exported
	err = c.call(ctx, http.MethodPost, "/v1/export/report", nil, r, &ex)
	return ex, err
}

// ExportEvidence asks the running mamori to write an evidence bundle as
// its console does, recorded in its audit log. The path is made absolute
// here.
func (c *Client) ExportEvidence(ctx context.Context, r EvidenceRequest) (export.Exported, error) {
	var err error
	if r.Path, err = filepath.Abs(r.Path); err != nil {
		return export.Exported{}, err
	}
	var res export.Exported
	err = c.call(ctx, http.MethodPost, "/v1/export/evidence", nil, r, &res)
	return res, err
}

// WatchAlerts delivers the alerts the running engine raises or changes
// from the moment it returns (the running mamori has subscribed by then)
// until ctx ends or the running mamori stops; the channel is then closed.
// When the running mamori cannot be asked, it is closed at once.
func (c *Client) WatchAlerts(ctx context.Context) <-chan []alert.Alert {
	return watchLines[alert.Alert](ctx, c, "/v1/watch/alerts")
}

// WatchIncidents delivers the running mamori's incident changes, like
// WatchAlerts.
func (c *Client) WatchIncidents(ctx context.Context) <-chan []incident.Change {
	return watchLines[incident.Change](ctx, c, "/v1/watch/incidents")
}

// watchLines subscribes (the server answers once it has) and then
// delivers each batch the stream carries.
func watchLines[T any](ctx context.Context, c *Client, path string) <-chan []T {
	out := make(chan []T)
	ctx, cancel := context.WithCancel(ctx)
	resp, err := c.do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		cancel()
		close(out)
		return out
	}
	go func() {
		defer close(out)
		defer cancel()
		defer func() { _ = resp.Body.Close() }()
		_ = readLines(ctx, resp.Body, path, func(batch *[]T) error {
			select {
			case out <- *batch:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return out
}
