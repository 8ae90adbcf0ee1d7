package normal

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/detect/category"
	"github.com/mamori-soc/mamori/detect/geo"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

// BenchmarkRules measures all the rules of the package together on the
// demo office's traffic after learning: the per-event cost the engine pays
// for them (ns/op is per event).
func BenchmarkRules(b *testing.B) {
	benchOnce.Do(func() { benchEvents, benchEnv, benchErr = loadDemo(b) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	evs, env := benchEvents, benchEnv
	type run struct {
		d    detect.Detector
		kind map[event.Kind]bool
		em   *detect.Emitter
	}
	var rules []run
	for _, f := range Factories() {
		d := f.New(detect.Params{}, env)
		r := run{d: d, kind: map[event.Kind]bool{}, em: detect.NewEmitter(f.Rule)}
		for _, k := range d.Kinds() {
			r.kind[k] = true
		}
		rules = append(rules, r)
	}
	half := len(evs) / 2
	for i := range evs[:half] {
		for _, r := range rules {
			if r.kind[evs[i].Kind] {
				r.d.(detect.Learner).Learn(&evs[i])
			}
		}
	}
	rest := evs[half:]
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ev := &rest[i%len(rest)]
		for _, r := range rules {
			if r.kind[ev.Kind] {
				r.d.Observe(ev, r.em)
			}
		}
		if i%1024 == 0 {
			for _, r := range rules {
				r.em.Findings()
			}
		}
	}
}

var (
	benchOnce   sync.Once
	benchEvents []event.Event
	benchEnv    *detect.Env
	benchErr    error
)

// loadDemo writes the demo once and reads its events, in time order.
func loadDemo(b *testing.B) ([]event.Event, *detect.Env, error) {
	dir, err := os.MkdirTemp("", "mamori-bench")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	opts := demo.Options{At: time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())}
	m, err := demo.Write(context.Background(), dir, opts)
	if err != nil {
		return nil, nil, err
	}
	inv, err := asset.Load(m.Inventory)
	if err != nil {
		return nil, nil, err
	}
	db, err := geo.Open(m.GeoIP) // stays open for the benchmark's life
	if err != nil {
		return nil, nil, err
	}
	cats, err := category.Load(m.Categories)
	if err != nil {
		return nil, nil, err
	}
	enr := ingesttest.Enricher(inv)
	var evs []event.Event
	for _, f := range m.Files {
		evs = append(evs, ingesttest.ReadLog(b, f.Path, ingesttest.Options{Format: f.Format, Location: m.Location, Enricher: enr})...)
	}
	ingesttest.ByTime(evs)
	env := &detect.Env{Catalog: testCatalog(b), Networks: enr.Networks, Assets: inv, Geo: db, Categories: cats, Prevalence: detect.NewPrevalence(200_000)}
	return evs, env, nil
}
