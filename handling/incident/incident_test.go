package incident_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/store"
)

var (
	jst = time.FixedZone("JST", 9*3600)
	// 2026-11-22 09:30 JST: the ids of the day are INC-20261122-NN.
	t0 = time.Date(2026, 11, 22, 0, 30, 0, 0, time.UTC)
)

type env struct {
	dir string
	st  *store.Store
	log *audit.Log
	m   *incident.Manager
	now time.Time
}

func newEnv(t *testing.T, dir string, readOnly bool) *env {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "db"), store.Options{ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, st: st, now: t0}
	e.log = audit.Open(st, audit.Options{Mirror: filepath.Join(dir, "audit.jsonl"), User: "yamada",
		Now: func() time.Time { e.now = e.now.Add(time.Minute); return e.now }})
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	e.m = incident.New(st, e.log, cat, incident.Options{Location: jst})
	t.Cleanup(func() { e.close() })
	return e
}

func (e *env) close() {
	if e.st != nil {
		e.log.Close()
		e.st.Close()
		e.st = nil
	}
}

func mkAlert(rule, endpoint, peer string, first time.Time) alert.Alert {
	a := alert.Alert{Rule: rule, Title: rule + " title", Endpoint: endpoint, Peer: peer, Phase: 5, Severity: alert.High,
		Time: first, FirstSeen: first, LastSeen: first.Add(time.Hour), Count: 1}
	a.ID = alert.MakeID(rule, endpoint, peer, first)
	return a
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := newEnv(t, dir, false)
	beacon := mkAlert("S-BEACON", "10.0.10.31", "203.0.113.7", t0.Add(-3*time.Hour))
	ddns := mkAlert("M-DDNS", "10.0.10.31", "203.0.113.7", t0.Add(-2*time.Hour))
	other := mkAlert("S-ERRORS", "10.0.10.40", "", t0.Add(-time.Hour))
	if err := e.st.PutAlerts([]alert.Alert{beacon, ddns, other}); err != nil {
		t.Fatal(err)
	}

	// From one alert: its endpoint's other alert attaches too.
	inc, err := e.m.Open(ctx, incident.Request{Alerts: []string{beacon.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if inc.ID != "INC-20261122-01" || inc.Status != incident.Open || inc.OpenedBy != "yamada" {
		t.Errorf("opened %s %s by %s", inc.ID, inc.Status, inc.OpenedBy)
	}
	if !reflect.DeepEqual(inc.Endpoints, []string{"10.0.10.31"}) {
		t.Errorf("endpoints = %v", inc.Endpoints)
	}
	if !reflect.DeepEqual(inc.Alerts, []string{beacon.ID, ddns.ID}) {
		t.Errorf("alerts = %v, want the chosen one, then its endpoint's other", inc.Alerts)
	}
	if !strings.Contains(inc.Title, "S-BEACON title on 10.0.10.31") {
		t.Errorf("default title = %q", inc.Title)
	}
	// The incident record says which alerts it holds; alert records are
	// the engine's and are not written (one writer per record family).
	for _, id := range []string{beacon.ID, ddns.ID} {
		if a, _, _ := e.st.Alert(id); a.Incident != "" {
			t.Errorf("alert %s was rewritten by incident handling (incident %q)", id, a.Incident)
		}
	}
	own, err := e.m.Owners(ctx)
	if err != nil || own[beacon.ID] != inc.ID || own[ddns.ID] != inc.ID {
		t.Errorf("owners = %v, %v; want both alerts in %s", own, err, inc.ID)
	}

	// An alert in an open incident cannot start another one.
	if _, err := e.m.Open(ctx, incident.Request{Alerts: []string{ddns.ID}}); err == nil || !strings.Contains(err.Error(), inc.ID) {
		t.Errorf("opening on an attached alert: %v", err)
	}

	// From an endpoint, typed as an IPv4-mapped address.
	inc2, err := e.m.Open(ctx, incident.Request{Endpoints: []string{"::ffff:10.0.10.40"}, Title: "brute force on pc-040"})
	if err != nil {
		t.Fatal(err)
	}
	if inc2.ID != "INC-20261122-02" || !reflect.DeepEqual(inc2.Alerts, []string{other.ID}) || inc2.Title != "brute force on pc-040" {
		t.Errorf("second incident: %+v", inc2)
	}

	// A new alert of the first incident's endpoint arrives: AttachNew attaches it.
	late := mkAlert("N-PROXY-BYPASS", "10.0.10.31", "198.51.100.9", t0)
	stray := mkAlert("N-APP", "10.0.10.99", "", t0)
	if err := e.st.PutAlerts([]alert.Alert{late, stray}); err != nil {
		t.Fatal(err)
	}
	all, _ := e.st.Alerts()
	got, err := e.m.AttachNew(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []incident.Attached{{Incident: inc.ID, Alerts: []string{late.ID}}}) {
		t.Errorf("sync attached %+v", got)
	}
	if again, _ := e.m.AttachNew(ctx, all); len(again) != 0 {
		t.Errorf("a second sync attached %+v", again)
	}

	// The checklist: check off with a note, skip one, progress.
	cl := e.m.Checklist(&inc)
	if cl.Current != "A" || cl.Explicit {
		t.Errorf("current phase of a new incident = %q", cl.Current)
	}
	phaseA := cl.Phases[0]
	var ids []string
	for _, r := range phaseA.Roles {
		for _, it := range r.Items {
			ids = append(ids, it.Action.ID)
		}
	}
	if len(ids) != phaseA.Total || phaseA.Total < 2 {
		t.Fatalf("phase A has %d items, total %d", len(ids), phaseA.Total)
	}
	inc, err = e.m.Check(ctx, inc.ID, incident.Mark{Action: ids[0], State: incident.Done, Note: "user called at 09:40", Who: "sato"})
	if err != nil {
		t.Fatal(err)
	}
	c := inc.Checks[ids[0]]
	if c.State != incident.Done || c.Who != "sato" || c.Note != "user called at 09:40" || c.When.IsZero() {
		t.Errorf("check = %+v", c)
	}
	if _, err := e.m.Check(ctx, inc.ID, incident.Mark{Action: ids[0], State: incident.Done}); err == nil {
		t.Error("checking a done item again without a note succeeded")
	}
	for _, id := range ids[1:] {
		if inc, err = e.m.Check(ctx, inc.ID, incident.Mark{Action: id, State: incident.Skipped, Note: "n/a"}); err != nil {
			t.Fatal(err)
		}
	}
	cl = e.m.Checklist(&inc)
	if !cl.Phases[0].Complete() || cl.Current != "B" || cl.Phases[1].Done != 0 {
		t.Errorf("after phase A: current %q, A %d/%d", cl.Current, cl.Phases[0].Done, cl.Phases[0].Total)
	}
	if inc, err = e.m.Check(ctx, inc.ID, incident.Mark{Action: ids[1], State: incident.Todo}); err != nil {
		t.Fatal(err)
	}
	if cl = e.m.Checklist(&inc); cl.Current != "A" || cl.Phases[0].Done != cl.Phases[0].Total-1 {
		t.Errorf("after unchecking: current %q, %d/%d", cl.Current, cl.Phases[0].Done, cl.Phases[0].Total)
	}
	if inc.Checks[ids[1]].Note != "n/a" {
		t.Errorf("unchecking lost the note: %+v", inc.Checks[ids[1]])
	}
	if inc, err = e.m.SetPhase(ctx, inc.ID, "C", ""); err != nil {
		t.Fatal(err)
	}
	if cl = e.m.Checklist(&inc); cl.Current != "C" || !cl.Explicit {
		t.Errorf("explicit phase: %q %v", cl.Current, cl.Explicit)
	}
	for name, mk := range map[string]incident.Mark{
		"unknown item":  {Action: "Z.nobody.nothing", State: incident.Done},
		"unknown state": {Action: ids[0], State: "maybe"},
		"control chars": {Action: ids[0], State: incident.Done, Note: "ok\x1b]0;pwned\a"},
	} {
		if _, err := e.m.Check(ctx, inc.ID, mk); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if inc, err = e.m.SetFinding(ctx, inc.ID, catalog.FindingIntrusionRoute, "invoice.pdf.exe from docs-invoice.ddns.net", "sato"); err != nil {
		t.Fatal(err)
	}

	// Close, refuse changes, reopen.
	if inc, err = e.m.Close(ctx, inc.ID, "suzuki", "contained"); err != nil {
		t.Fatal(err)
	}
	if inc.Status != incident.Closed || inc.ClosedBy != "suzuki" || inc.Closed.IsZero() {
		t.Errorf("closed: %+v", inc)
	}
	if _, err := e.m.Close(ctx, inc.ID, "", ""); err == nil {
		t.Error("closing twice succeeded")
	}
	if _, err := e.m.Check(ctx, inc.ID, incident.Mark{Action: ids[1], State: incident.Done}); !errors.Is(err, incident.ErrClosed) {
		t.Errorf("check on a closed incident: %v", err)
	}
	newer := mkAlert("S-CONN-VOLUME", "10.0.10.31", "", t0.Add(time.Hour))
	if err := e.st.PutAlerts([]alert.Alert{newer}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.m.AttachStored(ctx); len(got) != 0 {
		t.Errorf("sync attached to a closed incident: %+v", got)
	}
	if inc, err = e.m.Reopen(ctx, inc.ID, "", "spread found"); err != nil {
		t.Fatal(err)
	}
	if inc.Status != incident.Open || !inc.Closed.IsZero() {
		t.Errorf("reopened: %+v", inc)
	}
	want := inc

	// Everything persists across a restart, and every change was audited.
	e.close()
	e = newEnv(t, dir, false)
	back, err := e.m.Get(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, want) {
		t.Errorf("after reopening the store:\n got %+v\nwant %+v", back, want)
	}
	list, err := e.m.List(ctx)
	if err != nil || len(list) != 2 || list[0].ID != inc2.ID {
		t.Errorf("list = %v, %v (want newest first)", list, err)
	}
	recs, err := e.log.Records(ctx, audit.Filter{Incident: want.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action)
	}
	wantActions := []string{"opened", "alerts attached", "checked"}
	for range ids[1:] {
		wantActions = append(wantActions, "skipped")
	}
	wantActions = append(wantActions, "unchecked", "phase set", "written", "closed", "reopened")
	if !reflect.DeepEqual(actions, wantActions) {
		t.Errorf("audit actions:\n got %v\nwant %v", actions, wantActions)
	}
	mirror, bad, err := audit.ReadMirror(filepath.Join(dir, "audit.jsonl"))
	if err != nil || bad != 0 || len(mirror) != len(recs)+1 { // +1: the second incident's opening
		t.Errorf("mirror has %d records (%d bad, %v), store %d+1", len(mirror), bad, err, len(recs))
	}
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := newEnv(t, dir, false)
	a := mkAlert("S-BEACON", "10.0.10.31", "203.0.113.7", t0)
	if err := e.st.PutAlerts([]alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	inc, err := e.m.Open(ctx, incident.Request{Alerts: []string{a.ID}})
	if err != nil {
		t.Fatal(err)
	}
	e.close()
	e = newEnv(t, dir, true)
	if e.m.CanChange() {
		t.Error("CanChange on a read-only store")
	}
	for name, change := range map[string]func() error{
		"open":  func() error { _, err := e.m.Open(ctx, incident.Request{Endpoints: []string{"10.0.10.9"}}); return err },
		"close": func() error { _, err := e.m.Close(ctx, inc.ID, "", ""); return err },
		"check": func() error {
			_, err := e.m.Check(ctx, inc.ID, incident.Mark{Action: "A.it-admin.triage", State: incident.Done})
			return err
		},
		"sync": func() error { _, err := e.m.AttachStored(ctx); return err },
	} {
		if err := change(); !errors.Is(err, incident.ErrReadOnly) {
			t.Errorf("%s: err = %v, want ErrReadOnly", name, err)
		}
	}
	if got, err := e.m.Get(ctx, inc.ID); err != nil || got.ID != inc.ID {
		t.Errorf("reading in read-only mode: %v", err)
	}
}

func TestNormalizeEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.10.31":        "10.0.10.31",
		" ::ffff:10.0.0.1":  "10.0.0.1",
		"2001:db8::1":       "2001:db8::1",
		"PC-011":            "PC-011",
		"fs01.corp.local.":  "fs01.corp.local.",
		"fe80::1%eth0":      "",
		"1.2.3.4; rm -rf /": "",
		"$(id)":             "",
		"pc\n011":           "",
		"-oProxyCommand":    "",
		"ｐｃ０１":              "",
	} {
		got, err := incident.NormalizeEndpoint(in)
		if want == "" {
			if err == nil {
				t.Errorf("NormalizeEndpoint(%q) = %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("NormalizeEndpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestIDsCountPerDay(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, t.TempDir(), false)
	var got []string
	for i := range 3 {
		if i == 2 {
			e.now = e.now.Add(24 * time.Hour)
		}
		inc, err := e.m.Open(ctx, incident.Request{Endpoints: []string{"10.0.10.9"}})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, inc.ID)
	}
	want := []string{"INC-20261122-01", "INC-20261122-02", "INC-20261123-01"}
	if !slices.Equal(got, want) {
		t.Errorf("ids = %v, want %v", got, want)
	}
}

func TestHostNameEndpoints(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, t.TempDir(), false)
	a := mkAlert("S-ERRORS", "WS-ACCOUNTING", "", t0) // an endpoint known only by name
	if err := e.st.PutAlerts([]alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	inc, err := e.m.Open(ctx, incident.Request{Endpoints: []string{"ws-accounting"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inc.Endpoints, []string{"WS-ACCOUNTING"}) || !reflect.DeepEqual(inc.Alerts, []string{a.ID}) {
		t.Errorf("incident on a host name typed in lower case: endpoints %v, alerts %v", inc.Endpoints, inc.Alerts)
	}
}

func TestConcurrentChanges(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, t.TempDir(), false)
	inc, err := e.m.Open(ctx, incident.Request{Endpoints: []string{"10.0.10.31"}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ph := range e.m.Checklist(&inc).Phases[:3] {
		for _, r := range ph.Roles {
			for _, it := range r.Items {
				ids = append(ids, it.Action.ID)
			}
		}
	}
	errs := make(chan error, 2*len(ids))
	for i, id := range ids {
		go func() {
			_, err := e.m.Check(ctx, inc.ID, incident.Mark{Action: id, State: incident.Done, Note: strconv.Itoa(i)})
			errs <- err
		}()
		go func() {
			a := mkAlert("N-APP", "10.0.10.31", strconv.Itoa(i), t0.Add(time.Duration(i)*time.Second))
			err := e.st.PutAlerts([]alert.Alert{a})
			if err == nil {
				_, err = e.m.AttachStored(ctx)
			}
			errs <- err
		}()
	}
	for range 2 * len(ids) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	got, err := e.m.Get(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Checks) != len(ids) || len(got.Alerts) != len(ids) {
		t.Errorf("after concurrent changes: %d of %d checks, %d of %d alerts", len(got.Checks), len(ids), len(got.Alerts), len(ids))
	}
}

// failingAudit is a store whose audit log cannot be written.
type failingAudit struct{ *store.Store }

func (failingAudit) AppendAudit(any) (uint64, error) { return 0, store.ErrDiskFull }

func TestChangesNeedTheirAuditRecord(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := newEnv(t, dir, false)
	inc, err := e.m.Open(ctx, incident.Request{Endpoints: []string{"10.0.10.31"}})
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := catalog.Load()

	// The audit log cannot be written: nothing changes.
	broken := audit.Open(failingAudit{e.st}, audit.Options{User: "u"})
	m := incident.New(e.st, broken, cat, incident.Options{})
	if _, err := m.Check(ctx, inc.ID, incident.Mark{Action: "A.it-admin.triage", State: incident.Done}); !errors.Is(err, store.ErrDiskFull) {
		t.Errorf("check without audit: %v", err)
	}
	if _, err := m.Open(ctx, incident.Request{Endpoints: []string{"10.0.10.32"}}); !errors.Is(err, store.ErrDiskFull) {
		t.Errorf("open without audit: %v", err)
	}
	if got, _ := e.m.Get(ctx, inc.ID); len(got.Checks) != 0 {
		t.Errorf("the unaudited check stayed: %+v", got.Checks)
	}
	if list, _ := e.m.List(ctx); len(list) != 1 {
		t.Errorf("the unaudited incident stayed: %d incidents", len(list))
	}

	// Only the mirror file cannot be written: the change stands, with a warning.
	mirrorless := audit.Open(e.st, audit.Options{User: "u", Mirror: filepath.Join(dir, "audit.jsonl", "x")})
	m = incident.New(e.st, mirrorless, cat, incident.Options{})
	got, err := m.Check(ctx, inc.ID, incident.Mark{Action: "A.it-admin.triage", State: incident.Done})
	var me *audit.MirrorError
	if !errors.As(err, &me) || got.Checks["A.it-admin.triage"].State != incident.Done {
		t.Errorf("check with a broken mirror: %v, %+v", err, got.Checks)
	}
	if stored, _ := e.m.Get(ctx, inc.ID); stored.Checks["A.it-admin.triage"].State != incident.Done {
		t.Error("the check was not kept")
	}
}
