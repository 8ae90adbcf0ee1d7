package detect

import (
	"context"
	"net/netip"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

// ports is a normal-business learner in the manner of N-PORT: it learns
// each endpoint's destination ports and reports the others.
type ports struct{ seen map[string]bool }

func (*ports) Rule() string        { return "N-PORT" }
func (*ports) Kinds() []event.Kind { return []event.Kind{event.KindConnection} }
func (p *ports) key(ev *event.Event) string {
	return ev.SrcIP.String() + " " + strconv.Itoa(int(ev.DstPort))
}
func (p *ports) Learn(ev *event.Event)  { p.seen[p.key(ev)] = true }
func (p *ports) Baseline() any          { return p.seen }
func (p *ports) Restore(b []byte) error { return jsonUnmarshal(b, &p.seen) }
func (p *ports) Observe(ev *event.Event, em *Emitter) {
	if !p.seen[p.key(ev)] {
		em.Emit(Finding{Time: ev.Time, Endpoint: ev.EndpointID(), Peer: ev.DstIP.String(), Key: p.key(ev), Summary: "new port", Evidence: []*event.Event{ev}})
	}
}

// sensor is a known-attack rule in the manner of M-IDS: every IDS event is
// a high alert about its endpoint and peer.
type sensor struct{}

func (sensor) Rule() string        { return "M-IDS" }
func (sensor) Kinds() []event.Kind { return []event.Kind{event.KindIDS} }
func (sensor) Observe(ev *event.Event, em *Emitter) {
	high := alert.High
	em.Emit(Finding{Time: ev.Time, Endpoint: ev.EndpointID(), Peer: ev.Peer().String(), Key: ev.Signature, Summary: ev.Signature,
		Evidence: []*event.Event{ev}, Severity: &high})
}

// An attack made while the baselines are learned is not learned: the
// connections to a peer an IDS alert names (even minutes before the
// alert), and the endpoint's traffic while an alert about an internal
// peer lasted. The rest of the learning window is learned.
func TestGuardKeepsAttacksOutOfBaselines(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := &ports{seen: map[string]bool{}}
	e, err := New(Options{
		Factories: []Factory{
			{Rule: "M-IDS", New: func(Params, *Env) Detector { return sensor{} }},
			{Rule: "N-PORT", New: func(Params, *Env) Detector { return p }},
		},
		Env:      &Env{Catalog: cat, Networks: asset.MustNetworks(asset.DefaultInternal...)},
		Learning: 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	pc, c2, fs := netip.MustParseAddr("10.0.10.23"), netip.MustParseAddr("203.0.113.66"), netip.MustParseAddr("10.0.20.10")
	n := int64(0)
	c := func(at time.Duration, dst netip.Addr, port uint16) *event.Event {
		n++
		return &event.Event{Time: t0.Add(at), Kind: event.KindConnection, SrcIP: pc, Endpoint: pc, DstIP: dst, DstPort: port, Ref: event.Ref{File: "/c", Offset: n}}
	}
	ids := func(at time.Duration, dst netip.Addr) *event.Event {
		n++
		return &event.Event{Time: t0.Add(at), Kind: event.KindIDS, SrcIP: pc, Endpoint: pc, DstIP: dst, Signature: "ET TROJAN x", Ref: event.Ref{File: "/i", Offset: n}}
	}
	for _, ev := range []*event.Event{
		c(time.Hour, netip.MustParseAddr("192.0.2.80"), 443), // normal business
		c(2*time.Hour, c2, 4444),                             // the implant calls home...
		ids(2*time.Hour+5*time.Minute, c2),                   // ...and the IDS says so five minutes later
		c(3*time.Hour, c2, 8080),                             // and again, later
		c(5*time.Hour, fs, 5985),                             // remote management of the file server...
		ids(5*time.Hour+time.Minute, fs),                     // ...an IDS alert naming an internal peer
		c(9*time.Hour, fs, 445),                              // the file share, hours later: normal
		c(25*time.Hour, netip.MustParseAddr("192.0.2.80"), 443),
		c(25*time.Hour+time.Minute, c2, 4444),
		c(25*time.Hour+2*time.Minute, netip.MustParseAddr("198.51.100.7"), 8080),
		c(25*time.Hour+3*time.Minute, fs, 5985),
		c(25*time.Hour+4*time.Minute, fs, 445),
	} {
		e.Process(ev)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, a := range e.Alerts() {
		if a.Rule == "N-PORT" {
			got[a.Key] = true
		}
	}
	for key, want := range map[string]bool{"10.0.10.23 443": false, "10.0.10.23 4444": true, "10.0.10.23 8080": true, "10.0.10.23 5985": true, "10.0.10.23 445": false} {
		if got[key] != want {
			t.Errorf("after learning, %s reported: %v, want %v", key, got[key], want)
		}
	}
}

// The held events are bounded: past maxHeld the oldest is handed back.
func TestGuardHoldBounded(t *testing.T) {
	g := newGuard()
	var back int
	for i := range maxHeld + 10 {
		if g.hold(&event.Event{Time: t0.Add(time.Duration(i) * time.Second)}) != nil {
			back++
		}
	}
	if back != 10 || len(g.held) != maxHeld {
		t.Errorf("%d handed back, %d held", back, len(g.held))
	}
	if evs := g.release(t0.Add(time.Duration(20) * time.Second)); len(evs) != 11 || !evs[0].Time.Equal(t0.Add(10*time.Second)) {
		t.Errorf("released %d", len(evs))
	}
}

func TestOutsidePeer(t *testing.T) {
	env := &Env{Networks: asset.MustNetworks(asset.DefaultInternal...)}
	for in, want := range map[string]string{
		"203.0.113.66":            "203.0.113.66",
		"203.0.113.66:4444":       "203.0.113.66",
		"[2001:db8::1]:443":       "2001:db8::1",
		"http://c2.example.net/x": "example.net",
		"kx7-update.duckdns.org":  "kx7-update.duckdns.org",
		"10.0.20.10":              "",
		"10.2.0.0/24":             "",
		"fs01":                    "",
		"":                        "",
	} {
		if got := outsidePeer(in, env); got != want {
			t.Errorf("outsidePeer(%q) = %q, want %q", in, got, want)
		}
	}
}

// sliceEvents is a time-ordered Events source over a slice.
type sliceEvents []*event.Event

func (s sliceEvents) Events(ctx context.Context, from, to time.Time, fn func(store.Stored) error) error {
	for _, ev := range s {
		if ev.Time.Before(from) || !to.IsZero() && !ev.Time.Before(to) {
			continue
		}
		if err := fn(store.Stored{Event: *ev}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Relearning from stored events (`mamori baseline learn`) leaves out what
// the stored alerts of known-attack rules name, as live learning does.
func TestLearnFromLeavesStoredAttacksOut(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	pc, c2 := netip.MustParseAddr("10.0.10.23"), netip.MustParseAddr("203.0.113.66")
	if err := st.PutAlerts([]alert.Alert{{ID: "a1", Rule: "M-IDS", Endpoint: pc.String(), Peer: c2.String(), Severity: alert.High,
		Time: t0.Add(2*time.Hour + 5*time.Minute), FirstSeen: t0.Add(2*time.Hour + 5*time.Minute), LastSeen: t0.Add(2*time.Hour + 5*time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	p := &ports{seen: map[string]bool{}}
	e, err := New(Options{
		Factories: []Factory{
			{Rule: "M-IDS", New: func(Params, *Env) Detector { return sensor{} }},
			{Rule: "N-PORT", New: func(Params, *Env) Detector { return p }},
		},
		Env: &Env{Catalog: cat, Networks: asset.MustNetworks(asset.DefaultInternal...)}, Learning: 24 * time.Hour, Store: st,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := func(at time.Duration, dst netip.Addr, port uint16) *event.Event {
		return &event.Event{Time: t0.Add(at), Kind: event.KindConnection, SrcIP: pc, Endpoint: pc, DstIP: dst, DstPort: port, Ref: event.Ref{File: "/c", Offset: int64(at)}}
	}
	web := netip.MustParseAddr("192.0.2.80")
	if _, err := e.LearnFrom(t.Context(), sliceEvents{c(time.Hour, web, 443), c(2*time.Hour, c2, 4444)}, t0, t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !p.seen["10.0.10.23 443"] || p.seen["10.0.10.23 4444"] {
		t.Errorf("relearned %v: want 443 and not 4444", p.seen)
	}
}
