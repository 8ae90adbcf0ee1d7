package detect

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/event"
)

// scripted emits, for an IDS event whose signature is its rule id, the
// finding the test scripted under the event's message.
type scripted struct {
	rule     string
	findings map[string]Finding
}

func (s *scripted) Rule() string        { return s.rule }
func (s *scripted) Kinds() []event.Kind { return []event.Kind{event.KindIDS} }
func (s *scripted) Observe(ev *event.Event, em *Emitter) {
	if ev.Signature != s.rule {
		return
	}
	f := s.findings[ev.Message]
	f.Time, f.Endpoint, f.Evidence = ev.Time, ev.EndpointID(), []*event.Event{ev}
	if f.Key == "" {
		f.Key = ev.Message
	}
	em.Emit(f)
}

func sevp(s alert.Severity) *alert.Severity { return &s }

// severityEngine runs the scripted findings through the real engine and
// catalog.
func severityEngine(t *testing.T, findings map[string]Finding, rules ...string) *Engine {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	var fs []Factory
	for _, r := range rules {
		fs = append(fs, Factory{Rule: r, New: func(Params, *Env) Detector { return &scripted{rule: r, findings: findings} }})
	}
	e, err := New(Options{Factories: fs, Env: &Env{Catalog: cat, Networks: asset.MustNetworks(asset.DefaultInternal...)}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func fireScripted(e *Engine, at time.Duration, rule, finding string) {
	ep := netip.MustParseAddr("10.0.10.23")
	e.Process(&event.Event{Time: t0.Add(at), Kind: event.KindIDS, Endpoint: ep, SrcIP: ep, DstIP: netip.MustParseAddr("198.51.100.9"),
		Signature: rule, Message: finding, Ref: event.Ref{File: "/x", Offset: int64(at)}, Raw: rule + " " + finding})
}

// TestSeverityNeedsAKnownAttackOrCorroboration: severity is how likely a
// person must act now. Internet noise on a busy server (a scanner-list
// hit, a reputation signature, an exploit attempt from outside) once
// raised every other alert of the endpoint one step, and alerts of one
// view raised each other (a scan's S-FANOUT and S-ERRORS), so almost
// everything was high; a statistical resemblance alone (a beacon, base
// high) was high with nothing else to say so.
func TestSeverityNeedsAKnownAttackOrCorroboration(t *testing.T) {
	findings := map[string]Finding{
		"scanner-list":  {Peer: "198.51.100.7", Score: 0.3, Severity: sevp(alert.Info), Phase: 1},
		"reputation":    {Peer: "198.51.100.8", Score: 0.3, Severity: sevp(alert.Medium), Phase: 1},
		"exploit-in":    {Peer: "198.51.100.9", Score: 0.85, Severity: sevp(alert.High), Phase: 1},
		"c2-domain":     {Peer: "c2.example", Score: 0.9},
		"beacon":        {Peer: "203.0.113.5", Score: 0.95},
		"fanout":        {Peer: "", Score: 0.6},
		"errors":        {Peer: "", Score: 0.6},
		"login-after":   {Peer: "198.51.100.9", Score: 1, Severity: sevp(alert.Critical)},
		"new-app":       {Peer: "curl/8", Score: 0.6},
		"lan-exe":       {Peer: "10.0.10.5", Score: 0.9},
		"brute-success": {Peer: "198.51.100.9", Score: 1, Severity: sevp(alert.High)},
	}
	type fire struct{ rule, finding string }
	cases := map[string]struct {
		before []fire
		last   fire
		want   alert.Severity
	}{
		"a beacon alone is at most medium": {nil, fire{"S-BEACON", "beacon"}, alert.Medium},
		"noise does not corroborate a beacon": {
			[]fire{{"M-IOC-IP", "scanner-list"}, {"M-IDS", "reputation"}, {"M-IDS", "exploit-in"}},
			fire{"S-BEACON", "beacon"}, alert.Medium},
		"a known-attack match of another perspective corroborates": {
			[]fire{{"M-IOC-DOMAIN", "c2-domain"}}, fire{"S-BEACON", "beacon"}, alert.High},
		"one view does not corroborate itself": {
			[]fire{{"S-FANOUT", "fanout"}}, fire{"S-ERRORS", "errors"}, alert.Medium},
		"mismatches with normal business do not corroborate each other": {
			[]fire{{"N-APP", "new-app"}}, fire{"N-LAN-EXE", "lan-exe"}, alert.Medium},
		"a deviation corroborates a mismatch": {
			[]fire{{"S-BEACON", "beacon"}}, fire{"N-LAN-EXE", "lan-exe"}, alert.High},
		"a known attack is high on its own":  {nil, fire{"M-IOC-DOMAIN", "c2-domain"}, alert.High},
		"a detector that knows says so":      {nil, fire{"S-ERRORS", "brute-success"}, alert.High},
		"critical when the detector says so": {nil, fire{"S-ERRORS", "login-after"}, alert.Critical},
		"internet noise stays low": {
			[]fire{{"S-BEACON", "beacon"}, {"M-IOC-DOMAIN", "c2-domain"}}, fire{"M-IDS", "reputation"}, alert.Low},
	}
	rules := []string{"M-IOC-IP", "M-IDS", "M-IOC-DOMAIN", "S-BEACON", "S-FANOUT", "S-ERRORS", "N-APP", "N-LAN-EXE"}
	for name, c := range cases {
		e := severityEngine(t, findings, rules...)
		for i, f := range c.before {
			fireScripted(e, time.Duration(i)*time.Minute, f.rule, f.finding)
		}
		fireScripted(e, time.Hour, c.last.rule, c.last.finding)
		var got *alert.Alert
		for _, a := range e.Alerts() {
			if a.Rule == c.last.rule && a.Key == c.last.finding {
				got = &a
			}
		}
		if got == nil {
			t.Errorf("%s: no %s alert", name, c.last.rule)
			continue
		}
		if got.Severity != c.want {
			t.Errorf("%s: %s is %s (%s), want %s", name, got.Rule, got.Severity, got.Details["severity_reason"], c.want)
		}
		if got.Details["severity_alone"] == "" || !strings.HasPrefix(got.Details["severity_reason"], "base ") {
			t.Errorf("%s: details %v", name, got.Details)
		}
	}
}
