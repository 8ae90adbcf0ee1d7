package normal

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

// learningDay is a day of the office's normal business, with one oddity on
// pc5 (a PowerShell download) that must be learned, not reported.
func learningDay() []*event.Event {
	evs := concat(browsing(),
		each(officePCs, func(i int, ep string) *event.Event {
			return answer(at(time.Duration(i)*time.Minute), ep, "time.windows.com", "89.160.20.112")
		}),
		each(officePCs, func(i int, ep string) *event.Event {
			return conn(at(time.Hour+time.Duration(i)*time.Minute), ep, fileServer, 445, "tcp", event.ActionNone)
		}),
		[]*event.Event{proxied(at(3*time.Hour), pc5, "GET", "http://tools.example.org/get.ps1", "81.2.69.151", psAgent, "text/plain", 200)},
	)
	sortEvents(evs)
	return evs
}

func sortEvents(evs []*event.Event) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].Time.Before(evs[j-1].Time); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// attackDay is what pc1 does after learning, and what pc5 does again.
func attackDay(base time.Time) []*event.Event {
	d := func(x time.Duration) time.Time { return base.Add(x) }
	return []*event.Event{
		proxied(d(0), pc5, "GET", "http://tools.example.org/get.ps1", "81.2.69.151", psAgent, "text/plain", 200),
		proxied(d(time.Minute), pc1, "GET", "http://tools.example.org/get.ps1", "81.2.69.151", psAgent, "text/plain", 200),
		proxied(d(2*time.Minute), pc1, "CONNECT", "c2.example.net:4444", "111.235.161.47", psAgent, "", 200),
		conn(d(3*time.Minute), pc1, "67.43.156.14", 443, "tcp", event.ActionAllow),
		smbWrite(d(4*time.Minute), pc1, pc3, `\\`+pc3+`\ADMIN$`, "svc.exe"),
		rpc(d(4*time.Minute+time.Second), pc1, pc3, "svcctl", "CreateServiceW"),
	}
}

func engineEnv(t *testing.T) *detect.Env {
	e := testEnv(t)
	e.Geo = fakeGeo{"81.2.69.150": "GB", "89.160.20.130": "SE", "81.2.69.151": "GB", "111.235.161.47": "CN", "67.43.156.14": "BT"}
	e.Categories = fakeCategories{"example.co.jp": "news", "microsoft.com": "software-update", "example.net": "dynamic-dns"}
	return e
}

func newEngine(t *testing.T, env *detect.Env, st detect.Store) *detect.Engine {
	t.Helper()
	e, err := detect.New(detect.Options{Factories: Factories(), Env: env, Learning: 24 * time.Hour, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEngine runs the rules through a real engine with the real catalog:
// silent while learning, then alerts as a user sees them.
func TestEngine(t *testing.T) {
	e := newEngine(t, engineEnv(t), nil)
	for _, ev := range learningDay() {
		e.Process(ev)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if as := e.Alerts(); len(as) != 0 {
		t.Fatalf("%d alerts while learning, first %s: %s", len(as), as[0].Rule, as[0].Summary)
	}
	for _, s := range e.States() {
		if strings.HasPrefix(s.Rule.ID, "N-") && s.State != detect.StateLearning {
			t.Errorf("%s is %s (%s) while learning", s.Rule.ID, s.State, s.Why)
		}
	}
	for _, ev := range attackDay(day2(0)) {
		e.Process(ev)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	got := map[string]alert.Alert{}
	for _, a := range e.Alerts() {
		got[a.Rule+" "+a.Endpoint] = a
		if a.Endpoint == pc5 {
			t.Errorf("pc5 did what it learned, yet %s: %s", a.Rule, a.Summary)
		}
	}
	for _, rule := range []string{RuleApp, RuleConnectPort, RuleCountry, RuleCategory, RuleProxyBypass, RuleLANExe, RuleNoDNS} {
		a, ok := got[rule+" "+pc1]
		if !ok {
			t.Errorf("no %s alert on pc1", rule)
			continue
		}
		if a.Title == "" || a.Basis != alert.NormalBusiness || a.Perspective != alert.Matching || a.Details["summary_ja"] == "" ||
			a.Summary == "" || len(a.Evidence) == 0 || a.Details["severity_reason"] == "" {
			t.Errorf("%s alert incomplete: %+v", rule, a)
		}
	}
	// Mismatches with normal business do not corroborate each other (one
	// new habit trips several of them): N-LAN-EXE, high in the catalog,
	// is medium without a known attack or another perspective, and N-APP
	// is its base, low, +1 for a rare destination, with nothing more for
	// the other N-* alerts of pc1.
	if a := got[RuleLANExe+" "+pc1]; a.Peer != pc3 || a.Severity != alert.Medium {
		t.Errorf("N-LAN-EXE: peer %s, severity %s (%s)", a.Peer, a.Severity, a.Details["severity_reason"])
	}
	if a := got[RuleApp+" "+pc1]; a.Severity != alert.Medium || strings.Contains(a.Details["severity_reason"], "corroborated") || a.Count != 2 {
		t.Errorf("N-APP: severity %s (%s), count %d", a.Severity, a.Details["severity_reason"], a.Count)
	}
}

// TestEngineRequires checks that the rules needing a database say so.
func TestEngineRequires(t *testing.T) {
	e := newEngine(t, testEnv(t), nil)
	for _, s := range e.States() {
		switch s.Rule.ID {
		case RuleCountry, RuleCategory:
			if s.State != detect.StateDisabled || s.Why == "" {
				t.Errorf("%s without its database: %s %q", s.Rule.ID, s.State, s.Why)
			}
		case RuleApp, RuleNoDNS:
			if s.State == detect.StateDisabled {
				t.Errorf("%s disabled: %s", s.Rule.ID, s.Why)
			}
		}
	}
}

// TestEngineRestart learns, saves the baselines in a real store, and
// checks that a new engine on the store judges by them without learning
// again.
func TestEngineRestart(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := newEngine(t, engineEnv(t), st)
	for _, ev := range learningDay() {
		e.Process(ev)
	}
	e.Process(proxied(day2(0), pc2, "CONNECT", "www.example.co.jp:443", "81.2.69.150", chrome124, "", 200)) // ends learning
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	e2 := newEngine(t, engineEnv(t), st)
	if _, done, _, _ := e2.Learning(); !done {
		t.Fatal("the second engine is learning again")
	}
	for _, ev := range attackDay(day2(2 * time.Hour)) {
		e2.Process(ev)
	}
	if err := e2.Finish(); err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, a := range e2.Alerts() {
		if a.Endpoint == pc5 {
			t.Errorf("restored baseline forgot pc5's habit: %s %s", a.Rule, a.Summary)
		}
		if a.Endpoint == pc1 {
			rules[a.Rule] = true
		}
	}
	for _, r := range []string{RuleApp, RuleConnectPort, RuleProxyBypass, RuleLANExe} {
		if !rules[r] {
			t.Errorf("after the restart %s did not fire on pc1 (got %v)", r, rules)
		}
	}
}

// TestBaselineRoundTrip saves and restores every rule's baseline and
// checks that the restored rule judges the same.
func TestBaselineRoundTrip(t *testing.T) {
	env := engineEnv(t)
	learn := learningDay()
	probe := attackDay(day2(0))
	for _, f := range Factories() {
		t.Run(f.Rule, func(t *testing.T) {
			a := f.New(detect.Params{}, env)
			for _, ev := range learn {
				a.(detect.Learner).Learn(ev)
			}
			b, err := json.Marshal(a.(detect.Learner).Baseline())
			if err != nil {
				t.Fatal(err)
			}
			r := f.New(detect.Params{}, env)
			if err := r.(detect.Learner).Restore(b); err != nil {
				t.Fatal(err)
			}
			b2, err := json.Marshal(r.(detect.Learner).Baseline())
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != string(b2) {
				t.Errorf("baseline changed through a round trip:\n%s\n%s", b, b2)
			}
			// N-NO-DNS keeps its memory of DNS answers out of the baseline:
			// the engine rebuilds it by replaying the last day after a restart.
			if f.Rule != RuleNoDNS {
				if got, want := findings(a, probe), findings(r, probe); got != want {
					t.Errorf("restored rule judges differently: %q vs %q", want, got)
				}
			}
			for _, bad := range []string{`{"learned_events": "many"}`, `{"learned_events": 1`} {
				if err := r.(detect.Learner).Restore([]byte(bad)); err == nil || !strings.Contains(err.Error(), f.Rule) {
					t.Errorf("corrupt baseline %s: %v", bad, err)
				}
			}
		})
	}
}

func findings(d detect.Detector, evs []*event.Event) string {
	em := detect.NewEmitter(d.Rule())
	for _, ev := range evs {
		d.Observe(ev, em)
	}
	if f, ok := d.(detect.Finisher); ok {
		f.Finish(evs[len(evs)-1].Time.Add(time.Hour), em)
	}
	var b strings.Builder
	for _, f := range em.Findings() {
		b.WriteString(f.Endpoint + " " + f.Key + ";")
	}
	return b.String()
}
