package statistical

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

// pairEvents are n distinct endpoint → domain pairs, each contacted
// `contacts` times five minutes apart: a week of an office's destinations
// in one go.
func pairEvents(n, contacts int) []event.Event {
	evs := make([]event.Event, 0, n*contacts)
	for c := range contacts {
		for i := range n {
			ep := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
			evs = append(evs, event.Event{
				Time: t0.Add(time.Duration(c)*5*time.Minute + time.Duration(i)*time.Millisecond), Format: "squid", Kind: event.KindHTTP,
				Endpoint: ep, SrcIP: ep, Method: "CONNECT", Domain: fmt.Sprintf("site-%d.example-cdn.com", i%5000), BytesIn: 4000,
				Raw: "1700000000.000 CONNECT",
			})
		}
	}
	return evs
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkBeaconPairs tracks 100k endpoint → destination pairs of three
// contacts each and reports S-BEACON's memory per pair.
func BenchmarkBeaconPairs(b *testing.B) {
	const pairs = 100_000
	evs := pairEvents(pairs, 3)
	b.ResetTimer()
	var perPair float64
	for range b.N {
		env := newEnv()
		before := heap()
		d := NewBeacon(detect.Params{}, env).(*Beacon)
		for i := range evs {
			d.Observe(&evs[i], nil)
		}
		if d.pairs.Len() != pairs {
			b.Fatalf("%d pairs tracked", d.pairs.Len())
		}
		perPair = float64(heap()-before) / pairs
		runtime.KeepAlive(d)
	}
	b.ReportMetric(perPair, "bytes/pair")
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRules runs the six rules through a real engine over the demo's
// four days of a 20-machine office (about 90,000 events of every kind)
// and reports events per second.
func BenchmarkRules(b *testing.B) {
	dir := b.TempDir()
	m, err := demo.Write(context.Background(), dir, demo.Options{At: time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())})
	if err != nil {
		b.Fatal(err)
	}
	inv, err := asset.Load(m.Inventory)
	if err != nil {
		b.Fatal(err)
	}
	enr := ingesttest.Enricher(inv)
	var evs []event.Event
	for _, f := range m.Files {
		evs = append(evs, ingesttest.ReadLog(b, f.Path, ingesttest.Options{Format: f.Format, Location: m.Location, Enricher: enr})...)
	}
	ingesttest.ByTime(evs)
	b.ResetTimer()
	for range b.N {
		env := &detect.Env{Networks: enr.Networks, Assets: inv, Catalog: testCatalog, Location: demo.Location()}
		e, err := detect.New(detect.Options{Factories: Factories(), Env: env})
		if err != nil {
			b.Fatal(err)
		}
		for i := range evs {
			e.Process(&evs[i])
		}
		if err := e.Finish(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}

// Each rule keeps its state within its caps whatever the traffic: many
// distinct endpoints, destinations, names and ports.
func TestStateBounded(t *testing.T) {
	const n = 50_000
	var evs []*event.Event
	for i := range n {
		ep := fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
		at := t0.Add(time.Duration(i) * 50 * time.Millisecond)
		c := connect(at, ep, fmt.Sprintf("h%d.example-cdn.com", i), 5000)
		d := lookup(at, ep, fmt.Sprintf("n%d.example-dga.com", i), "NXDOMAIN")
		s := conn(at, "zeek.conn", "10.9.9.9", fmt.Sprintf("10.8.%d.%d", (i>>8)&255, i&255), uint16(i), "REJ", 0, internalAddr)
		evs = append(evs, c, d, s)
	}
	env := newEnv()
	beacon := NewBeacon(paramsFor(t, "S-BEACON", "max_pairs", 1000), env).(*Beacon)
	errs := NewErrors(paramsFor(t, "S-ERRORS", "max_keys", 1000), env).(*Errors)
	fan := NewFanout(paramsFor(t, "S-FANOUT", "max_actors", 100, "max_targets", 500), env).(*Fanout)
	sink := NewSinkhole(paramsFor(t, "S-SINKHOLE", "max_pairs", 1000), env).(*Sinkhole)
	vol := NewConnVolume(paramsFor(t, "S-CONN-VOLUME", "max_endpoints", 1000), env).(*Volume)
	ref := NewRefused(paramsFor(t, "S-REFUSED", "max_keys", 1000), env).(*Refused)
	em := detect.NewEmitter("S-TEST")
	for i, ev := range evs {
		for _, d := range []detect.Detector{beacon, errs, fan, sink, vol, ref} {
			for _, k := range d.Kinds() {
				if k == ev.Kind {
					d.Observe(ev, em)
				}
			}
		}
		if i%600 == 0 {
			for _, d := range []detect.Ticker{beacon, errs, fan, sink, vol, ref} {
				d.Tick(ev.Time, em)
			}
			em.Findings()
		}
	}
	checks := map[string][2]int{
		"S-BEACON pairs":          {beacon.pairs.Len(), 1000},
		"S-BEACON dirty list":     {len(beacon.dirty), 2 * 1000 * 60},
		"S-ERRORS windows":        {errs.states.Len(), 1000},
		"S-FANOUT actors":         {fan.states.Len(), 100},
		"S-SINKHOLE pairs":        {sink.pairs.Len(), 1000},
		"S-CONN-VOLUME endpoints": {vol.eps.Len(), 1000},
		"S-REFUSED pairs":         {ref.states.Len(), 1000},
		"S-REFUSED dirty list":    {len(ref.dirty), 600},
	}
	fan.states.Each(func(_ fanKey, st *fanState) {
		checks["S-FANOUT targets"] = [2]int{max(checks["S-FANOUT targets"][0], len(st.targets)), 500}
	})
	for name, c := range checks {
		if c[0] > c[1] {
			t.Errorf("%s: %d, cap %d", name, c[0], c[1])
		}
	}
}
