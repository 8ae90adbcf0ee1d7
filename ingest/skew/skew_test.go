package skew

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
)

var t0 = time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)

// lookups returns n DNS lookups by 20 clients over a day, some names
// asked again and again, as a resolver and a sensor both see them.
func lookups(rng *rand.Rand, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{Time: t0.Add(time.Duration(rng.Int64N(int64(24 * time.Hour)))), Kind: event.KindDNS,
			SrcIP: netip.AddrFrom4([4]byte{10, 0, 10, byte(rng.IntN(20))}), Query: fmt.Sprintf("host%d.example.net", rng.IntN(n/3))}
	}
	return evs
}

// flows returns n connections with their four-tuples.
func flows(rng *rand.Rand, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{Time: t0.Add(time.Duration(rng.Int64N(int64(24 * time.Hour)))), Kind: event.KindConnection,
			SrcIP: netip.AddrFrom4([4]byte{10, 0, 10, byte(rng.IntN(20))}), SrcPort: uint16(32768 + rng.IntN(28000)),
			DstIP: netip.AddrFrom4([4]byte{203, 0, 113, byte(rng.IntN(250))}), DstPort: 443}
	}
	return evs
}

// seenBy samples evs as a second source sees them: each time moved by
// shift and a jitter of up to ±jitter.
func seenBy(rng *rand.Rand, evs []event.Event, shift, jitter time.Duration) *Sample {
	return seenPart(rng, evs, shift, jitter, 1)
}

// seenPart is seenBy for a source that sees only a share of the events.
func seenPart(rng *rand.Rand, evs []event.Event, shift, jitter time.Duration, share float64) *Sample {
	s := NewSample()
	for _, ev := range evs {
		if rng.Float64() >= share {
			continue
		}
		if jitter > 0 {
			ev.Time = ev.Time.Add(time.Duration(rng.Int64N(int64(2*jitter))) - jitter)
		}
		ev.Time = ev.Time.Add(shift)
		s.Add(&ev)
	}
	return s
}

func TestOffset(t *testing.T) {
	for name, tc := range map[string]struct {
		gen      func(*rand.Rand, int) []event.Event
		n        int
		shift    time.Duration
		jitter   time.Duration // of the second source
		disagree bool
		hours    int
	}{
		"dns 9 h ahead":            {gen: lookups, n: 3000, shift: 9 * time.Hour, jitter: time.Second, disagree: true, hours: 9},
		"dns 5 h behind":           {gen: lookups, n: 3000, shift: -5 * time.Hour, jitter: 500 * time.Millisecond, disagree: true, hours: -5},
		"flows 1 h ahead":          {gen: flows, n: 2000, shift: time.Hour, disagree: true, hours: 1},
		"many flows 14 h behind":   {gen: flows, n: 50000, shift: -14 * time.Hour, jitter: time.Second, disagree: true, hours: -14},
		"dns in agreement":         {gen: lookups, n: 3000, jitter: 2 * time.Second},
		"flows in agreement":       {gen: flows, n: 2000},
		"dns random jitter":        {gen: lookups, n: 3000, jitter: 20 * time.Hour},
		"flows random jitter":      {gen: flows, n: 5000, jitter: 12 * time.Hour},
		"few keys 9 h ahead":       {gen: flows, n: 3, shift: 9 * time.Hour},
		"half an hour is no zone":  {gen: flows, n: 2000, shift: 30 * time.Minute},
		"clock 3 minutes off only": {gen: lookups, n: 3000, shift: 3 * time.Minute},
	} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			evs := tc.gen(rng, tc.n)
			a := seenBy(rng, evs, 0, 0)
			b := seenBy(rng, evs, tc.shift, tc.jitter)
			ag := Offset(a, b)
			if ag.Disagree() != tc.disagree || tc.disagree && ag.Hours != tc.hours {
				t.Fatalf("Offset = %+v (disagree %v), want disagree %v by %d h", ag, ag.Disagree(), tc.disagree, tc.hours)
			}
			if back := Offset(b, a); back.Disagree() != tc.disagree || tc.disagree && back.Hours != -tc.hours {
				t.Fatalf("the other way round: %+v", back)
			}
		})
	}
}

// TestFrequentKeys: names asked again and again all day, of which the
// sensor sees only some lookups (the others are cached or go elsewhere),
// and among a hundred thousand connections of its own: the times the two
// sources keep of a name must be the same lookups, and the connections
// must not crowd the lookups out of the sensor's sample.
func TestFrequentKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	evs := make([]event.Event, 20000)
	for i := range evs {
		evs[i] = event.Event{Time: t0.Add(time.Duration(rng.Int64N(int64(72 * time.Hour)))), Kind: event.KindDNS,
			SrcIP: netip.AddrFrom4([4]byte{10, 0, 10, byte(rng.IntN(20))}), Query: fmt.Sprintf("host%d.example.net", rng.IntN(30))}
	}
	resolver := seenPart(rng, evs, 9*time.Hour, 0, 1)
	sensor := seenPart(rng, evs, 0, 300*time.Millisecond, 0.3)
	for _, ev := range flows(rng, 100000) {
		sensor.Add(&ev)
	}
	if ag := Offset(sensor, resolver); !ag.Disagree() || ag.Hours != 9 {
		t.Fatalf("Offset = %+v, want 9 h", ag)
	}
}

// TestSampleIsBounded: a source of many distinct keys keeps at most
// maxKeys of them, and two sources still hold the same keys (those under
// the lower hash limit), so a large one and a small one still compare.
func TestSampleIsBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	evs := flows(rng, 100000)
	big := seenBy(rng, evs, 0, 0)
	if n := big.Len(); n > maxKeys || n < maxKeys/2 {
		t.Fatalf("%d keys kept of 100000, want at most %d and at least half", n, maxKeys)
	}
	small := seenBy(rng, evs[:3000], 9*time.Hour, 0)
	if ag := Offset(big, small); !ag.Disagree() || ag.Hours != 9 {
		t.Fatalf("big against small: %+v", ag)
	}
}

func TestCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dns := lookups(rng, 3000)
	tokyo := time.FixedZone("", 9*3600)
	zeek := Group{Format: "zeek", Files: []string{"/logs/zeek/dns.log"}, Sample: seenBy(rng, dns, 0, 0)}
	// dnsmasq wrote Tokyo time, read as UTC: 9 h ahead.
	dnsmasq := Group{Format: "dnsmasq", ZoneLess: true, Location: time.UTC, Files: []string{"/logs/gateway/dnsmasq.log"}, Sample: seenBy(rng, dns, 9*time.Hour, time.Second)}
	ws := Check([]Group{zeek, dnsmasq}, nil)
	if len(ws) != 1 || ws[0].Format != "dnsmasq" || ws[0].Hours != 9 || ws[0].Zone != "+09:00" {
		t.Fatalf("Check = %+v, want one warning: dnsmasq 9 h ahead, zone +09:00", ws)
	}
	for _, want := range []string{"gateway/dnsmasq.log", "9 h ahead of the zeek logs", "--timezone +09:00"} {
		if !strings.Contains(ws[0].Text, want) {
			t.Errorf("%q does not say %q", ws[0].Text, want)
		}
	}
	// Read in the right zone, they agree.
	right := Group{Format: "dnsmasq", ZoneLess: true, Location: tokyo, Files: dnsmasq.Files, Sample: seenBy(rng, dns, 0, time.Second)}
	if ws := Check([]Group{zeek, right}, nil); len(ws) != 0 {
		t.Fatalf("in agreement: %+v", ws)
	}

	// A zone-less file dated 9 h after it was written.
	last := t0.Add(20 * time.Hour)
	f := File{Path: "/logs/gateway/firewall.log", Format: "netfilter", ZoneLess: true, Location: time.UTC, Last: last.Add(9 * time.Hour), Mod: last.Add(3 * time.Second)}
	if ws := Check(nil, []File{f}); len(ws) != 1 || ws[0].Hours != 9 || ws[0].Zone != "+09:00" {
		t.Fatalf("mtime check: %+v", ws)
	}
	for name, f := range map[string]File{
		"right zone":       {Path: f.Path, Format: f.Format, ZoneLess: true, Last: last, Mod: last.Add(time.Second)},
		"copied later":     {Path: f.Path, Format: f.Format, ZoneLess: true, Last: last, Mod: last.Add(9 * time.Hour)},
		"zoned":            {Path: f.Path, Format: "zeek", Last: last.Add(9 * time.Hour), Mod: last},
		"not whole hours":  {Path: f.Path, Format: f.Format, ZoneLess: true, Last: last.Add(150 * time.Minute), Mod: last},
		"flagged by pairs": {Path: "/logs/gateway/dnsmasq.log", Format: "dnsmasq", ZoneLess: true, Last: last.Add(9 * time.Hour), Mod: last},
	} {
		ws := Check([]Group{zeek, dnsmasq}, []File{f})
		if len(ws) != 1 { // the dnsmasq pair warning only
			t.Errorf("%s: %+v", name, ws)
		}
	}
}
