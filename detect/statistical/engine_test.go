package statistical

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
	"github.com/mamori-soc/mamori/store"
)

func newEngine(t *testing.T, env *detect.Env, st detect.Store, learning time.Duration) *detect.Engine {
	t.Helper()
	e, err := detect.New(detect.Options{Factories: Factories(), Env: env, Store: st, Learning: learning})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The RITA proxy beacon and the crowdsec spray as a user sees them: the
// catalog's title and perspective, a severity with its reasons, the
// Japanese summary and the original lines as evidence. The beacon is
// medium: a statistical resemblance alone, with nothing of another
// perspective on its endpoint, does not make a person act now.
func TestEngineAlerts(t *testing.T) {
	evs := ingesttest.ReadLog(t, filepath.Join(testdata, "zeek-rita-beacon/proxy/http.log"), ingesttest.Options{Format: "zeek", Location: time.UTC, Enricher: ingesttest.Enricher(nil)})
	spray := ingesttest.ReadLog(t, filepath.Join(testdata, "crowdsec/ssh-bf.log"), ingesttest.Options{Format: "sshd", Location: time.UTC, Enricher: ingesttest.Enricher(nil)})
	for i := range spray { // the fixture has no year: put it inside the capture
		spray[i].Time = time.Date(2023, 1, 4, 20, 0, i, 0, time.UTC)
	}
	evs = append(evs, spray...)
	ingesttest.ByTime(evs)
	e := newEngine(t, newEnv(), nil, 0)
	for i := range evs {
		e.Process(&evs[i])
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	got := map[string]alert.Alert{}
	for _, a := range e.Alerts() {
		got[a.Rule] = a
		t.Logf("%s %s %s %s: %s [%s]", a.Rule, a.Severity, a.Endpoint, a.Peer, a.Summary, a.Details["severity_reason"])
	}
	b, ok := got["S-BEACON"]
	if !ok {
		t.Fatal("no S-BEACON alert")
	}
	r, _ := testCatalog.Rule("S-BEACON")
	if b.Title != r.Title.EN || b.Perspective != alert.Statistical || b.Basis != alert.KnownAttack || b.Phase != 5 ||
		b.Endpoint != "10.136.0.18" || b.Peer != "www.honestimnotevil.com" || b.Severity != alert.Medium ||
		b.Count < 200 || b.Details["summary_ja"] == "" || len(b.Evidence) < 2 ||
		!strings.Contains(b.Evidence[0].Raw, "CONNECT\twww.honestimnotevil.com") || !strings.HasSuffix(b.Evidence[0].File, "http.log") {
		t.Errorf("S-BEACON alert: %+v", b)
	}
	s, ok := got["S-ERRORS"]
	if !ok {
		t.Fatal("no S-ERRORS alert while the baseline is being learned")
	}
	if s.Endpoint != "sd-126005" || s.Peer != "35.188.49.176" || s.Phase != 4 || s.Severity < alert.Medium ||
		!strings.Contains(s.Summary, "password spraying") || !strings.Contains(s.Evidence[0].Raw, "Invalid user pascal from 35.188.49.176") {
		t.Errorf("S-ERRORS alert: %+v", s)
	}
	if len(got) != 2 {
		t.Errorf("alerts of %d rules, want 2", len(got))
	}
	states := map[string]detect.RuleState{}
	for _, st := range e.States() {
		states[st.Rule.ID] = st
	}
	for _, f := range Factories() {
		st := states[f.Rule]
		if st.State == detect.StateDisabled || len(st.Params) == 0 {
			t.Errorf("%s: %+v", f.Rule, st)
		}
	}
}

// The learned baselines survive a restart: the engine saves them in the
// store, and a new engine restores them and is no longer learning.
func TestEngineBaselinesPersist(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	env := newEnv("10.0.20.3 proxy01 servers proxy")
	r := rand.New(rand.NewPCG(11, 12))
	var evs []*event.Event
	for h := range 6 {
		for i := 1; i <= 4; i++ {
			pc := fmt.Sprintf("10.0.10.%d", i)
			for range 20 {
				at := monday.Add(time.Duration(h)*time.Hour + time.Duration(r.IntN(3600))*time.Second)
				evs = append(evs, toProxy(at, pc, lognorm(r, 4e3, 1), uint16(30000+r.IntN(30000))),
					lookup(at, pc, "www.example.co.jp", "NXDOMAIN"))
			}
		}
	}
	evs = sorted(evs)
	e := newEngine(t, env, st, 3*time.Hour)
	for _, ev := range evs {
		e.Process(ev)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, done, _, _ := e.Learning(); !done {
		t.Fatal("learning did not finish")
	}
	for _, rule := range []string{"S-ERRORS", "S-FANOUT", "S-CONN-VOLUME", "S-BYTES-OUT"} {
		var raw json.RawMessage
		if ok, err := st.Get(store.Baselines, rule, &raw); err != nil || !ok {
			t.Errorf("%s: no baseline saved (%v)", rule, err)
		}
	}
	e2 := newEngine(t, newEnv("10.0.20.3 proxy01 servers proxy"), st, 3*time.Hour)
	for _, s := range e2.States() {
		if strings.HasPrefix(s.Rule.ID, "S-") && s.State != detect.StateActive {
			t.Errorf("after a restart %s is %s (%s)", s.Rule.ID, s.State, s.Why)
		}
	}
}

// S-BEACON's prevalence: an outside scanner that reached every endpoint
// while the baseline was learned does not make its address one "most of
// the organisation uses", which would excuse a beacon to it.
func TestEngineBeaconToAScanner(t *testing.T) {
	env := newEnv()
	var evs []*event.Event
	for i := range 12 { // the scan, inbound, on the first morning
		evs = append(evs, conn(monday.Add(9*time.Hour+time.Duration(i)*time.Second), "zeek.conn", "203.0.113.9", fmt.Sprintf("10.0.10.%d", 20+i), 22, "REJ", 0, internalAddr))
	}
	for i := range 12 { // the office's own browsing
		for h := range 48 {
			evs = append(evs, conn(monday.Add(time.Duration(h)*time.Hour+time.Duration(i)*time.Minute), "zeek.conn", fmt.Sprintf("10.0.10.%d", 20+i), "192.0.2.80", 443, "SF", 900, internalAddr))
		}
	}
	r := rand.New(rand.NewPCG(13, 14))
	for _, at := range every(r, monday.Add(10*time.Hour), 5*time.Minute, 0.05, 0, 400) { // then one PC calls it home
		evs = append(evs, conn(at, "zeek.conn", "10.0.10.23", "203.0.113.9", 443, "SF", lognorm(r, 600, 0.05), internalAddr))
	}
	evs = sorted(evs)
	e := newEngine(t, env, nil, 0)
	for _, ev := range evs {
		e.Process(ev)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, a := range e.Alerts() {
		if a.Rule == "S-BEACON" && a.Endpoint == "10.0.10.23" && a.Peer == "203.0.113.9" {
			return
		}
	}
	t.Errorf("the beacon to the scanner's address was not reported")
}
