package control

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/app/apptest"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
	"github.com/mamori-soc/mamori/store"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// served is a running mamori's App answering on its control socket, and a
// client of it.
type served struct {
	a      *app.App
	srv    *Server
	client *Client
	logs   *syncBuffer
	stop   func() // stops the server and waits for it
}

func serve(t *testing.T, a *app.App) *served {
	t.Helper()
	s := serveAs(t, a, os.Getuid())
	c, err := Dial(context.Background(), a.StoreDir())
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

// serveAs starts a server that serves the user uid only.
func serveAs(t *testing.T, a *app.App, uid int) *served {
	t.Helper()
	logs := &syncBuffer{}
	srv, err := Listen(a, Options{Live: true, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv.l.uid = uid
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var once sync.Once
	s := &served{a: a, srv: srv, logs: logs}
	_ = ctx
	s.stop = func() {
		once.Do(func() {
			if s.client != nil {
				s.client.Close()
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

// The reads through the socket return what the store returns, and an App
// opened over them shows the same alerts and writes the same report as
// the App on the store.
func TestReadsThroughTheSocketAreTheStores(t *testing.T) {
	if testing.Short() {
		t.Skip("scans the demo office")
	}
	ctx := context.Background()
	d := apptest.NewDemo(t, apptest.Options{})
	st := d.App.Store
	victim := d.Scenario.Victim.IP.String()
	inc, err := d.App.Incidents.Open(ctx, incident.Request{Endpoints: []string{victim}, Title: "Targeted attack"})
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, d.App)
	c := s.client
	if c.Dir() != st.Dir() || c.PID() != os.Getpid() || !c.ReadOnly() {
		t.Fatalf("hello: dir %s pid %d", c.Dir(), c.PID())
	}

	same := func(what string, got, want any, gerr, werr error) {
		t.Helper()
		if gerr != nil || werr != nil {
			t.Fatalf("%s: through the socket: %v; from the store: %v", what, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s differs through the socket:\n got  %.600v\n want %.600v", what, got, want)
		}
	}
	ga, gerr := c.Alerts()
	wa, werr := st.Alerts()
	same("alerts", ga, wa, gerr, werr)
	if len(wa) == 0 {
		t.Fatal("the demo store has no alerts")
	}
	one, found, gerr := c.Alert(wa[3].ID)
	same("one alert", one, wa[3], gerr, nil)
	if _, found2, err := c.Alert("no-such-alert"); !found || found2 || err != nil {
		t.Errorf("Alert: found %v, unknown found %v, %v", found, found2, err)
	}
	records := func(r app.Reader, f store.Family) (map[string]string, error) {
		out := map[string]string{}
		err := r.List(f, func(name string, doc []byte) error { out[name] = string(doc); return nil })
		return out, err
	}
	for _, f := range []store.Family{store.Incidents, store.Meta, store.Baselines, store.AllowList} {
		g, gerr := records(c, f)
		w, werr := records(st, f)
		same("records of "+string(rune(f)), g, w, gerr, werr)
	}
	var gi, wi incident.Incident
	gok, gerr := c.Get(store.Incidents, inc.ID, &gi)
	wok, werr := st.Get(store.Incidents, inc.ID, &wi)
	same("an incident", gi, wi, gerr, werr)
	if !gok || !wok {
		t.Errorf("incident %s found: %v through the socket, %v in the store", inc.ID, gok, wok)
	}
	if ok, err := c.Get(store.Incidents, "INC-none", &gi); ok || err != nil {
		t.Errorf("unknown incident: found %v, %v", ok, err)
	}
	if _, err := c.Get(store.Family('e'), "x", &gi); err == nil {
		t.Error("a family that is not served was read")
	}

	// Events and timelines, with the filters of the console's panes.
	collect := func(r app.Reader, from, to time.Time) ([]store.Stored, error) {
		var out []store.Stored
		err := r.Events(ctx, from, to, func(s store.Stored) error { out = append(out, s); return nil })
		return out, err
	}
	first := inc.Opened.Add(-48 * time.Hour)
	ge, gerr := collect(c, wa[0].FirstSeen.Add(-time.Hour), wa[0].FirstSeen.Add(time.Hour))
	we, werr := collect(st, wa[0].FirstSeen.Add(-time.Hour), wa[0].FirstSeen.Add(time.Hour))
	same("events", ge, we, gerr, werr)
	if len(we) == 0 {
		t.Fatal("no events around the first alert")
	}
	ep := store.ParseEndpoint(victim)
	dnsOnly := func(ev *event.Event) bool { return ev.Kind == event.KindDNS }
	for _, q := range []store.Query{
		{},
		{Limit: 7},
		{Limit: 7, Reverse: true},
		{Limit: 5, Keep: dnsOnly},
		{Limit: 3000, Keep: dnsOnly, Reverse: true},
		{From: wa[0].FirstSeen, To: wa[0].FirstSeen.Add(time.Hour), Limit: 50},
	} {
		g, gerr := c.Timeline(ctx, ep, q)
		w, werr := st.Timeline(ctx, ep, q)
		same("timeline", g, w, gerr, werr)
		// The next page too, after the last item.
		if len(w.Items) > 0 && w.More {
			q.After = &w.Items[len(w.Items)-1].Key
			g, gerr := c.Timeline(ctx, ep, q)
			w, werr := st.Timeline(ctx, ep, q)
			same("timeline's next page", g, w, gerr, werr)
		}
	}
	gh, gerr := c.Histogram(ctx, ep, first, inc.Opened, time.Hour)
	wh, werr := st.Histogram(ctx, ep, first, inc.Opened, time.Hour)
	same("histogram", gh, wh, gerr, werr)
	auditDocs := func(r app.Reader) ([]string, error) {
		var out []string
		err := r.AuditLog(0, func(seq uint64, doc []byte) error { out = append(out, string(doc)); return nil })
		return out, err
	}
	gd, gerr := auditDocs(c)
	wd, werr := auditDocs(st)
	same("audit log", gd, wd, gerr, werr)
	gs, gerr := c.EndpointSummaries()
	ws, werr := st.EndpointSummaries()
	same("endpoint summaries", gs, ws, gerr, werr)
	gof, gerr := c.Offsets()
	wof, werr := st.Offsets()
	same("offsets", gof, wof, gerr, werr)

	// Nothing is written through the socket.
	for _, err := range []error{c.Put(store.Incidents, "x", 1), c.Delete(store.Incidents, inc.ID), c.PutAlerts(wa[:1])} {
		if !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("a write through the socket: %v, want store.ErrReadOnly", err)
		}
	}

	// An App over the socket: the same alerts, the same report.
	cfg := *d.Config
	ra, err := app.OpenReader(&cfg, app.Options{}, c)
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	for _, all := range []bool{false, true} {
		g, gerr := ra.Alerts(all)
		w, werr := d.App.Alerts(all)
		same("the app's alerts", g, w, gerr, werr)
	}
	if _, err := ra.Incidents.Close(ctx, inc.ID, "", "through the socket"); !errors.Is(err, incident.ErrReadOnly) {
		t.Errorf("closing an incident through the socket: %v, want incident.ErrReadOnly", err)
	}
	now := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	build := func(a *app.App) (string, error) {
		r, err := report.Build(ctx, a.Incidents, a.Audit, inc.ID, report.Options{Now: now, Inventory: a.Inventory})
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		if err := r.Markdown(&b); err != nil {
			return "", err
		}
		err = r.JSON(&b)
		return b.String(), err
	}
	gr, gerr := build(ra)
	wr, werr := build(d.App)
	same("report", gr, wr, gerr, werr)
	if !strings.Contains(wr, "# Incident "+inc.ID) {
		t.Errorf("report:\n%.400s", wr)
	}
}

// Exports asked for over the socket are written by the running mamori and
// recorded in its audit log, as the console's are.
func TestExportsThroughTheSocketAreAudited(t *testing.T) {
	if testing.Short() {
		t.Skip("scans the demo office")
	}
	ctx := context.Background()
	d := apptest.NewDemo(t, apptest.Options{})
	inc, err := d.App.Incidents.Open(ctx, incident.Request{Endpoints: []string{d.Scenario.Victim.IP.String()}})
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, d.App)
	out := t.TempDir()
	md := filepath.Join(out, "report.md")
	ex, err := s.client.ExportReport(ctx, ReportRequest{ID: inc.ID, Path: md, Format: "md"})
	if err != nil || ex.Path != md || ex.Bytes == 0 || ex.Warning != "" {
		t.Fatalf("report export: %+v, %v", ex, err)
	}
	if _, err := s.client.ExportReport(ctx, ReportRequest{ID: inc.ID, Path: md, Format: "md"}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a report over an existing file: %v", err)
	}
	if _, err := s.client.ExportReport(ctx, ReportRequest{ID: inc.ID, Path: md, Format: "json", Force: true}); err != nil {
		t.Errorf("a JSON report replacing it (--force): %v", err)
	} else if b, _ := os.ReadFile(md); !bytes.HasPrefix(b, []byte("{")) {
		t.Errorf("--force did not replace the file: %.40s", b)
	}
	if _, err := s.client.ExportReport(ctx, ReportRequest{ID: "INC-none", Path: filepath.Join(out, "x.md"), Format: "md"}); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("unknown incident: %v, want incident.ErrNotFound", err)
	}
	if err := s.client.call(ctx, "POST", "/v1/export/report", nil, ReportRequest{ID: inc.ID, Path: "relative.md", Format: "md"}, nil); err == nil {
		t.Error("a relative path was accepted")
	}
	ev := filepath.Join(out, "evidence.tar.gz")
	res, err := s.client.ExportEvidence(ctx, EvidenceRequest{ID: inc.ID, Path: ev})
	if err != nil || res.Path != ev || res.SHA256 == "" || res.Bundle.Counts.Lines == 0 {
		t.Fatalf("evidence export: %+v, %v", res, err)
	}
	if res.Bundle.Window != time.Duration(d.Config.EvidenceWindow).String() {
		t.Errorf("evidence window %s, want the configured %s", res.Bundle.Window, time.Duration(d.Config.EvidenceWindow))
	}
	recs, err := d.App.Audit.Records(ctx, audit.Filter{Incident: inc.ID})
	if err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, r := range recs {
		if r.Kind == audit.KindExport {
			written = append(written, r.Action+" "+r.Subject)
		}
	}
	want := []string{audit.ActionReportWritten + " " + md, audit.ActionReportWritten + " " + md, audit.ActionEvidenceExported + " " + ev}
	if !reflect.DeepEqual(written, want) {
		t.Errorf("audit log of the exports:\n got  %q\n want %q", written, want)
	}
}

// Only the socket's user is served: the server closes the connections of
// another user, and a client refuses a socket or a directory others can
// reach, another user's socket, or a server running as another user.
func TestOnlyTheOwnerIsServed(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	me := os.Getuid()

	// A server, as if it ran as another user.
	as := serveAs(t, a, me+1)
	if c, err := Dial(ctx, a.StoreDir()); err == nil {
		c.Close()
		t.Error("a connection of another user was served")
	}
	if !strings.Contains(as.logs.String(), "another user refused") {
		t.Errorf("the refusal is not logged:\n%s", as.logs.String())
	}
	as.stop()

	s := serve(t, a)
	path := s.srv.Path()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %s: %v, mode %v; want 0600", path, err, fi.Mode())
	}

	// A client, as if it ran as another user: the socket's owner and the
	// server's user are not its own.
	if err := checkSocket(path, me+1); err == nil || !strings.Contains(err.Error(), "belongs to user id") {
		t.Errorf("another user's socket: %v", err)
	}
	other := newClient(ctx, path, me+1)
	var h Hello
	var refused *RefusedError
	if err := other.get(ctx, "/v1/hello", nil, &h); !errors.As(err, &refused) || !strings.Contains(err.Error(), "runs as user id") {
		t.Errorf("a server running as another user: %v", err)
	}
	other.Close()

	for _, tc := range []struct {
		name string
		path string
		mode os.FileMode
		back os.FileMode
	}{
		{"socket open to others", path, 0o666, 0o600},
		{"directory open to others", filepath.Dir(path), 0o755, 0o700},
	} {
		if err := os.Chmod(tc.path, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := Dial(ctx, a.StoreDir())
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "open to other users") {
			t.Errorf("%s: Dial %v, want it refused", tc.name, err)
		}
		if err := os.Chmod(tc.path, tc.back); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := Dial(ctx, a.StoreDir()); err != nil {
		t.Errorf("after the modes are restored: %v", err)
	} else {
		c.Close()
	}
}

// A socket left by a mamori that was killed is found dead: a client says
// no mamori runs, and the next server replaces it. A file that is not a
// socket is left alone.
func TestDeadSocketIsReplaced(t *testing.T) {
	a := newApp(t)
	paths, err := Paths(a.StoreDir())
	if err != nil {
		t.Fatal(err)
	}
	path := paths[0]
	// What a kill -9 leaves: a socket file nobody listens on.
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	_ = l.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the dead socket is gone already: %v", err)
	}
	if _, err := Dial(context.Background(), a.StoreDir()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Dial on a dead socket: %v, want ErrNotRunning", err)
	}
	s := serve(t, a) // Listen replaces it
	// An empty store reads the same through the socket: nothing is nil.
	ga, err1 := s.client.Alerts()
	ge, err2 := s.client.EndpointSummaries()
	gof, err3 := s.client.Offsets()
	wa, _ := a.Store.Alerts()
	we, _ := a.Store.EndpointSummaries()
	wof, _ := a.Store.Offsets()
	if err := errors.Join(err1, err2, err3); err != nil || !reflect.DeepEqual(ga, wa) || !reflect.DeepEqual(ge, we) || !reflect.DeepEqual(gof, wof) {
		t.Errorf("an empty store through the new socket: %v; %#v %#v %#v, want %#v %#v %#v", err, ga, ge, gof, wa, we, wof)
	}
	s.stop()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is still there after the server stopped: %v", err)
	}
	if _, err := Dial(context.Background(), a.StoreDir()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Dial with no server: %v, want ErrNotRunning", err)
	}

	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(a, Options{}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen over a regular file: %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "mine" {
		t.Errorf("the file at the socket's path was changed: %q, %v", b, err)
	}
}

// A store whose <dir>/control.sock is too long for a unix socket gets its
// socket in the user's runtime directory.
func TestLongStorePathUsesTheRuntimeDir(t *testing.T) {
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	long := filepath.Join(t.TempDir(), strings.Repeat("a-long-directory-name-", 5), "db")
	paths, err := Paths(long)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || filepath.Dir(paths[0]) != filepath.Join(runtime, "mamori") || len(paths[0]) > maxPath() {
		t.Fatalf("paths of %s: %q", long, paths)
	}
	again, _ := Paths(long)
	if !reflect.DeepEqual(paths, again) {
		t.Errorf("paths change between calls: %q, %q", paths, again)
	}
	short, _ := Paths(t.TempDir())
	if len(short) != 1 || filepath.Base(short[0]) != SocketName {
		t.Errorf("a short store path: %q, want <dir>/%s", short, SocketName)
	}

	l, err := listenAt(paths[0], os.Getuid())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, err := os.Stat(filepath.Dir(paths[0]))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("runtime directory: %v, mode %v; want 0700", err, fi.Mode())
	}
	// Another user's runtime directory is refused.
	if err := os.Chmod(filepath.Dir(paths[0]), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := listenAt(paths[0]+"2", os.Getuid()); err == nil || !strings.Contains(err.Error(), "open to other users") {
		t.Errorf("a runtime directory open to others: %v", err)
	}
}

// The server stops with its context, while a console reads its live
// feeds: the feeds end, the socket goes, no goroutine is left (TestMain).
func TestServerStopsWithItsContext(t *testing.T) {
	a := newApp(t)
	s := serve(t, a)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alerts := s.client.WatchAlerts(ctx)
	changes := s.client.WatchIncidents(ctx)
	// A change made by the running mamori reaches the watcher.
	inc, err := a.Incidents.Open(context.Background(), incident.Request{Endpoints: []string{"10.0.0.5"}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case cs := <-changes:
		if len(cs) == 0 || cs[0].Incident != inc.ID {
			t.Errorf("incident changes: %+v, want %s opened", cs, inc.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the incident opened never reached the watcher")
	}
	path := s.srv.Path()
	s.stop()
	for _, ch := range []func() bool{
		func() bool { _, ok := <-alerts; return ok },
		func() bool { _, ok := <-changes; return ok },
	} {
		done := make(chan bool, 1)
		go func() {
			for ch() {
			}
			done <- true
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("a feed did not end with the server")
		}
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after the server stopped: %v", err)
	}
}

// newApp is a running mamori's App on an empty store.
func newApp(t *testing.T) *app.App {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "db")
	cfg.LogFile = filepath.Join(dir, "mamori.log")
	cfg.AuditFile = filepath.Join(dir, "audit.jsonl")
	a, err := app.Open(cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Error(err)
		}
	})
	return a
}

// syncBuffer is a buffer the server's log writes to while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The backend of a --readonly console beside a running mamori: its status
// is the running one's, read-only; exports are the running one's; its
// live feeds end with its context.
func TestRemoteBackend(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	inc, err := a.Incidents.Open(ctx, incident.Request{Endpoints: []string{"10.0.0.5"}})
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, a)
	cfg := *a.Config
	ra, err := app.OpenReader(&cfg, app.Options{}, s.client)
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := NewBackend(bctx, ra, s.client)
	if st := b.Status(); !st.ReadOnly || !st.Live || st.StoreDir != a.StoreDir() || st.Err != nil {
		t.Errorf("status %+v: want the running mamori's, read-only", st)
	}
	if !b.ReadOnly() || b.Incidents().CanChange() || b.Containment().CanChange() {
		t.Error("the console beside a running mamori can change things")
	}
	if err := b.Ack(ctx, "x", true); err == nil {
		t.Error("an acknowledgement went through")
	}
	got, err := b.Incidents().List(ctx)
	if err != nil || len(got) != 1 || got[0].ID != inc.ID {
		t.Errorf("incidents: %+v, %v", got, err)
	}
	out := filepath.Join(t.TempDir(), "r.md")
	if ex, err := b.ExportReport(ctx, inc.ID, out, "en"); err != nil || ex.Path != out {
		t.Fatalf("export: %+v, %v", ex, err)
	}
	recs, err := a.Audit.Records(ctx, audit.Filter{Incident: inc.ID})
	if err != nil || recs[len(recs)-1].Action != audit.ActionReportWritten {
		t.Errorf("the export is not in the running mamori's audit log: %+v %v", recs, err)
	}
	cancel()
	for name, closed := range map[string]func() bool{
		"alert updates":    func() bool { _, ok := <-b.AlertUpdates(); return !ok },
		"incident changes": func() bool { _, ok := <-b.IncidentChanges(); return !ok },
	} {
		done := make(chan struct{})
		go func() {
			for !closed() {
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("the %s feed did not end with the console", name)
		}
	}
	// The running mamori stopping shows in the status.
	s.stop()
	if st := b.Status(); st.Err == nil || !strings.Contains(st.Err.Error(), "does not answer") {
		t.Errorf("status after the running mamori stopped: %+v", st)
	}
}
