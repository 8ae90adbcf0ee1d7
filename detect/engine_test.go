package detect

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

// toy fires on every IDS event; as a Learner (when learns is set) it
// learns signatures and fires only on new ones. Its alerts are low (IDS
// noise), so that they taint nothing the learner reads (see guard).
type toy struct {
	rule   string
	learns bool
	seen   map[string]bool
}

func (t *toy) Rule() string        { return t.rule }
func (t *toy) Kinds() []event.Kind { return []event.Kind{event.KindIDS} }
func (t *toy) Observe(ev *event.Event, em *Emitter) {
	if t.learns && t.seen[ev.Signature] {
		return
	}
	low := alert.Low
	em.Emit(Finding{Time: ev.Time, Endpoint: ev.EndpointID(), Peer: ev.SrcIP.String(), Key: ev.Signature, Score: 0.5, Summary: ev.Signature,
		Evidence: []*event.Event{ev}, Severity: &low})
}

type toyLearner struct{ toy }

func (t *toyLearner) Learn(ev *event.Event)  { t.seen[ev.Signature] = true }
func (t *toyLearner) Baseline() any          { return t.seen }
func (t *toyLearner) Restore(b []byte) error { return jsonUnmarshal(b, &t.seen) }

var t0 = time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC) // a Monday

func idsEvent(at time.Duration, sig string) *event.Event {
	ep := netip.MustParseAddr("10.0.10.23")
	return &event.Event{Time: t0.Add(at), Kind: event.KindIDS, Endpoint: ep, SrcIP: netip.MustParseAddr("198.51.100.9"), DstIP: ep,
		Signature: sig, Ref: event.Ref{File: "/eve.json", Offset: int64(at)}, Raw: sig}
}

func newTestEngine(t *testing.T, st Store, rules map[string]RuleConfig) *Engine {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{
		Factories: []Factory{
			{Rule: "M-IDS", New: func(Params, *Env) Detector { return &toy{rule: "M-IDS"} }},
			{Rule: "N-APP", New: func(Params, *Env) Detector {
				return &toyLearner{toy{rule: "N-APP", learns: true, seen: map[string]bool{}}}
			}},
		},
		Env:      &Env{Catalog: cat, Networks: asset.MustNetworks(asset.DefaultInternal...)},
		Rules:    rules,
		Learning: 24 * time.Hour,
		Store:    st,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEngineAggregatesLearnsAndReportsStates(t *testing.T) {
	e := newTestEngine(t, nil, nil)
	e.Process(idsEvent(0, "ET SCAN a"))
	e.Process(idsEvent(time.Minute, "ET SCAN a"))
	e.Process(idsEvent(2*time.Minute, "ET SCAN b"))

	states := map[string]RuleState{}
	for _, s := range e.States() {
		states[s.Rule.ID] = s
	}
	if s := states["N-APP"]; s.State != StateLearning || s.Progress <= 0 || s.Progress >= 1 {
		t.Fatalf("N-APP while learning: %+v", s)
	}
	if s := states["M-IDS"]; s.State != StateActive {
		t.Fatalf("M-IDS: %+v", s)
	}
	if s := states["S-BEACON"]; s.State != StateDisabled || s.Why == "" {
		t.Fatalf("unimplemented rule: %+v", s)
	}

	// After the learning window, N-APP fires only on what it did not learn.
	e.Process(idsEvent(25*time.Hour, "ET SCAN a"))
	e.Process(idsEvent(25*time.Hour+time.Minute, "ET SCAN c"))
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	got := map[string]alert.Alert{}
	for _, a := range e.Alerts() {
		got[a.Rule+" "+a.Key] = a
	}
	if a := got["M-IDS ET SCAN a"]; a.Count != 2 || !a.FirstSeen.Equal(t0) || a.Title == "" || a.Perspective != alert.Matching || len(a.Evidence) != 2 {
		t.Fatalf("aggregated alert: %+v", a)
	}
	if _, ok := got["M-IDS ET SCAN a"]; !ok {
		t.Fatal("missing")
	}
	if a, ok := got["N-APP ET SCAN c"]; !ok || a.Basis != alert.NormalBusiness {
		t.Fatalf("N-APP on a new value: %+v", got)
	}
	if _, ok := got["N-APP ET SCAN a"]; ok {
		t.Fatal("N-APP fired on a learned value")
	}
	// The next day's repeat is a new alert (gap longer than the window).
	if a := got["M-IDS ET SCAN a"]; a.LastSeen.After(t0.Add(time.Hour)) {
		t.Fatalf("a repeat after a day gap joined the old alert: %+v", a)
	}
	if n := len(e.Alerts()); n != 5 {
		t.Fatalf("%d alerts", n)
	}
}

func TestEngineDisabledAndBadConfig(t *testing.T) {
	off := false
	e := newTestEngine(t, nil, map[string]RuleConfig{"M-IDS": {Enabled: &off}})
	e.Process(idsEvent(0, "x"))
	_ = e.Finish()
	for _, a := range e.Alerts() {
		if a.Rule == "M-IDS" {
			t.Fatal("a disabled rule fired")
		}
	}
	cat, _ := catalog.Load()
	for name, rules := range map[string]map[string]RuleConfig{
		"unknown rule":  {"X-NOPE": {}},
		"unknown param": {"M-IDS": {Params: map[string]any{"nope": 1}}},
		"bad window":    {"M-IDS": {Params: map[string]any{"alert_window": "soon"}}},
	} {
		_, err := New(Options{Factories: []Factory{{Rule: "M-IDS", New: func(Params, *Env) Detector { return &paramToy{} }}}, Env: &Env{Catalog: cat}, Rules: rules})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

type paramToy struct{ toy }

func (*paramToy) Params() []Param { return []Param{{Name: "threshold", Default: 3}} }

func TestEngineRestartReplayDoesNotDoubleCount(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var evs []event.Event
	for i := range 10 {
		evs = append(evs, *idsEvent(time.Duration(i)*time.Minute, "sig"))
	}
	_ = st.PutEvents(evs)

	e := newTestEngine(t, st, nil)
	if err := e.Replay(context.Background(), st, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	// A new engine on the same store (a restart) replays from its resume
	// point: the alert must keep its count, not double it.
	e2 := newTestEngine(t, st, nil)
	if err := e2.Replay(context.Background(), st, e2.ResumeFrom()); err != nil {
		t.Fatal(err)
	}
	if err := e2.Finish(); err != nil {
		t.Fatal(err)
	}
	as, _ := st.Alerts()
	for _, a := range as {
		if a.Rule == "M-IDS" && a.Count != 10 {
			t.Fatalf("after a restart the alert counts %d, want 10", a.Count)
		}
	}
	if _, done, _, _ := e2.Learning(); done {
		t.Fatal("learning finished without 24h of events")
	}
}

func TestAllowList(t *testing.T) {
	a := &alert.Alert{Rule: "S-BEACON", Endpoint: "10.0.10.5", Host: "pc-05", Peer: "ctldl.windowsupdate.com", Details: map[string]string{"user": "tanaka"}}
	cases := map[string]struct {
		e    Allow
		want bool
	}{
		"wildcard domain":       {Allow{Destination: "*.windowsupdate.com"}, true},
		"wildcard matches base": {Allow{Destination: "*.ctldl.windowsupdate.com"}, true},
		"other domain":          {Allow{Destination: "*.example.com"}, false},
		"suffix trick":          {Allow{Destination: "*.dowsupdate.com"}, false},
		"endpoint cidr":         {Allow{Endpoint: "10.0.10.0/24"}, true},
		"endpoint host":         {Allow{Endpoint: "PC-05"}, true},
		"rule and endpoint":     {Allow{Rule: "S-BEACON", Endpoint: "10.0.10.5"}, true},
		"other rule":            {Allow{Rule: "M-DDNS", Endpoint: "10.0.10.5"}, false},
		"user":                  {Allow{User: "tanaka"}, true},
		"empty entry":           {Allow{Reason: "oops"}, false},
	}
	for name, c := range cases {
		if got := NewAllowList([]Allow{c.e}).Hidden(a); got != c.want {
			t.Errorf("%s: got %v", name, got)
		}
	}
	ip := &alert.Alert{Rule: "N-IP-DIRECT", Endpoint: "10.0.10.5", Peer: "203.0.113.7"}
	if !NewAllowList([]Allow{{Destination: "203.0.113.0/24"}}).Hidden(ip) {
		t.Error("CIDR destination")
	}
}

func TestSetProfile(t *testing.T) {
	p := NewSetProfile(3)
	for _, ep := range []string{"a", "b", "c", "d", "e"} {
		p.Learn(ep, "office", "443")
	}
	p.Learn("a", "office", "8080")
	p.Learn("z", "servers", "22")
	cases := map[string]struct {
		ep, seg, v string
		want       bool
	}{
		"own value":                  {"a", "office", "8080", true},
		"segment uses it":            {"new-pc", "office", "443", true},
		"only one endpoint uses it":  {"b", "office", "8080", false},
		"unknown value":              {"a", "office", "4444", false},
		"other segment's value":      {"new-pc", "office", "22", false},
		"org common without segment": {"x", "", "443", true},
	}
	for name, c := range cases {
		if got, why := p.Usual(c.ep, c.seg, c.v); got != c.want || why == "" {
			t.Errorf("%s: got %v (%s)", name, got, why)
		}
	}
	for _, v := range []string{"1", "2", "3", "4"} {
		p.Learn("busy", "office", v)
	}
	if ok, _ := p.Usual("busy", "office", "9999"); !ok {
		t.Error("a saturated endpoint is judged")
	}
}

// A proxy reaches every site its users reach: prevalence leaves it out,
// whether the inventory says so or it is learned from CONNECT requests.
func TestPrevalenceLeavesRelaysOut(t *testing.T) {
	proxy := netip.MustParseAddr("10.0.20.3")   // in the inventory as a proxy
	learned := netip.MustParseAddr("10.0.20.9") // an unlisted proxy
	inv := asset.NewInventory([]asset.Asset{{Prefix: netip.PrefixFrom(proxy, 32), Host: "proxy01", Role: "proxy"}})
	e := newTestEngine(t, nil, nil)
	e.env.Assets = inv
	e.env.Relays = NewRelays(DefaultRelayRoles, e.env)
	dns := func(at time.Duration, from netip.Addr, q string) *event.Event {
		return &event.Event{Time: t0.Add(at), Kind: event.KindDNS, SrcIP: from, Endpoint: from, Query: q}
	}
	pc := netip.MustParseAddr("10.0.10.21")
	for i, ev := range []*event.Event{
		dns(0, pc, "rare.example"), dns(time.Second, proxy, "rare.example"),
		dns(2*time.Second, learned, "rare.example"), dns(3*time.Second, learned, "other.example"),
	} {
		ev.Ref = event.Ref{File: "/dns.log", Offset: int64(i)}
		e.Process(ev)
	}
	if n, total := e.env.Prevalence.Users("rare.example"); n != 2 || total != 2 {
		t.Fatalf("before 10.0.20.9 is known as a proxy: %d users of %d, want 2 of 2 (the PC and 10.0.20.9)", n, total)
	}
	e.Process(&event.Event{Time: t0.Add(4 * time.Second), Kind: event.KindHTTP, Method: "CONNECT", SrcIP: pc, Endpoint: pc,
		DstIP: learned, DstPort: 3128, Domain: "rare.example", Ref: event.Ref{File: "/fw.log", Offset: 9}})
	if n, total := e.env.Prevalence.Users("rare.example"); n != 1 || total != 1 {
		t.Fatalf("with both proxies known: %d users of %d, want the PC alone (1 of 1)", n, total)
	}
}

// What Relays learns and caches stays within its bounds.
func TestRelaysBounded(t *testing.T) {
	env := &Env{Networks: asset.MustNetworks(asset.DefaultInternal...), Assets: asset.NewInventory(nil)}
	r := NewRelays(DefaultRelayRoles, env)
	pc := netip.MustParseAddr("10.0.10.21")
	for i := range 40_000 {
		r.Learn(&event.Event{Kind: event.KindHTTP, Method: "CONNECT", SrcIP: pc, DstIP: netip.AddrFrom4([4]byte{10, 3, byte(i >> 8), byte(i)})})
		r.Why(netip.AddrFrom4([4]byte{10, 4, byte(i >> 8), byte(i)}))
	}
	if len(r.learned) > maxRelays || len(r.cache) > 1<<14 {
		t.Errorf("relays: %d learned, %d cached", len(r.learned), len(r.cache))
	}
	if !r.Is(netip.AddrFrom4([4]byte{10, 3, 0, 0})) || r.Role(netip.AddrFrom4([4]byte{10, 3, 0, 0})) != "proxy" {
		t.Error("the first CONNECT target is not known as a proxy")
	}
}

// TestAggregatedAlertNamesThePeerItsSummaryNames: an alert updated by a
// later finding about another peer shows that peer beside its summary
// (C-SAME-EP once showed one destination and named another).
func TestAggregatedAlertNamesThePeerItsSummaryNames(t *testing.T) {
	e := newTestEngine(t, nil, nil)
	first := idsEvent(0, "ET SCAN a")
	second := idsEvent(time.Minute, "ET SCAN a")
	second.SrcIP = netip.MustParseAddr("203.0.113.50")
	e.Process(first)
	e.Process(second)
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, a := range e.Alerts() {
		if a.Rule == "M-IDS" && (a.Count != 2 || a.Peer != "203.0.113.50") {
			t.Fatalf("aggregated alert: count %d, peer %s; want 2 and the latest finding's peer", a.Count, a.Peer)
		}
	}
}

// Prevalence counts what endpoints reach, not who reaches them: an outside
// scanner that connects to every endpoint does not become a destination
// "most of the organisation uses" (which would excuse a beacon to it), nor
// do the addresses it scans become endpoints.
func TestPrevalenceIgnoresInbound(t *testing.T) {
	e := newTestEngine(t, nil, nil)
	scanner := netip.MustParseAddr("203.0.113.9")
	var evs []*event.Event
	for i := range 10 {
		ep := netip.AddrFrom4([4]byte{10, 0, 10, byte(20 + i)})
		evs = append(evs, &event.Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: event.KindConnection, SrcIP: scanner, DstIP: ep, Endpoint: ep, DstPort: 22})
	}
	for i := range 6 {
		ep := netip.AddrFrom4([4]byte{10, 0, 10, byte(20 + i)})
		evs = append(evs, &event.Event{Time: t0.Add(time.Minute + time.Duration(i)*time.Second), Kind: event.KindDNS, SrcIP: ep, Endpoint: ep, Query: "www.example.com"})
	}
	for i, ev := range evs {
		ev.Ref = event.Ref{File: "/x.log", Offset: int64(i)}
		e.Process(ev)
	}
	if n, total := e.env.Prevalence.Users("203.0.113.9"); n != 0 || total != 6 || e.env.Prevalence.Common("203.0.113.9") {
		t.Errorf("the scanner: %d users of %d", n, total)
	}
	if n, total := e.env.Prevalence.Users("example.com"); n != 6 || total != 6 {
		t.Errorf("example.com: %d users of %d", n, total)
	}
}
