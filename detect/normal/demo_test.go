package normal

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/detect/category"
	"github.com/mamori-soc/mamori/detect/geo"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

// runDemo writes the built-in demo, reads its files as ingest would and
// runs this package's rules over them through a real engine with the
// demo's inventory, GeoIP database and category list. The engine learns
// for its default 72 hours.
func runDemo(t *testing.T, opts demo.Options) (demo.Scenario, []alert.Alert) {
	t.Helper()
	dir := t.TempDir()
	m, err := demo.Write(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	story, err := demo.Story(opts)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := asset.Load(m.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(m.GeoIP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	cats, err := category.Load(m.Categories)
	if err != nil {
		t.Fatal(err)
	}
	enr := ingesttest.Enricher(inv)
	var evs []event.Event
	for _, f := range m.Files {
		evs = append(evs, ingesttest.ReadLog(t, f.Path, ingesttest.Options{Format: f.Format, Location: m.Location, Enricher: enr})...)
	}
	ingesttest.ByTime(evs)
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := detect.New(detect.Options{
		Factories: Factories(),
		Env:       &detect.Env{Catalog: cat, Networks: enr.Networks, Assets: inv, Geo: db, Categories: cats, Location: m.Location},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		e.Process(&evs[i])
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	return story, e.Alerts()
}

// TestDemo checks the demo's contract for the N-* rules: each step's N-*
// rules fire on the step's endpoint, and nothing of this package goes
// above low on the endpoints the scenario calls benign.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and scans four days of an office's logs")
	}
	for name, opts := range map[string]demo.Options{
		"default":   {At: time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())},
		"other day": {At: time.Date(2026, 6, 17, 15, 30, 0, 0, demo.Location()), Seed: 7, Endpoints: 30},
	} {
		t.Run(name, func(t *testing.T) {
			story, alerts := runDemo(t, opts)
			mine := map[string]bool{}
			for _, f := range Factories() {
				mine[f.Rule] = true
			}
			on := func(rule string, ep netip.Addr) []alert.Alert {
				var out []alert.Alert
				for _, a := range alerts {
					if a.Rule == rule && a.Endpoint == ep.String() {
						out = append(out, a)
					}
				}
				return out
			}
			for _, st := range story.Steps {
				for _, r := range st.Rules {
					if !mine[r] {
						continue
					}
					got := on(r, st.Endpoint)
					if len(got) == 0 {
						t.Errorf("step %s: %s did not fire on %s (%s)", st.Name, r, st.Endpoint, st.Host)
						continue
					}
					if !slices.ContainsFunc(got, func(a alert.Alert) bool {
						return !a.LastSeen.Before(st.Time.Add(-time.Second)) && a.Summary != "" && len(a.Evidence) > 0
					}) {
						t.Errorf("step %s: %s on %s has no alert from the step's time on: %+v", st.Name, r, st.Endpoint, got)
					}
				}
			}
			benign := map[string]string{}
			for _, b := range story.Benign {
				benign[b.IP.String()] = b.Host
			}
			for _, a := range alerts {
				if host, ok := benign[a.Endpoint]; ok && a.Severity > alert.Low {
					t.Errorf("benign %s (%s): %s %s: %s [%s]", a.Endpoint, host, a.Severity, a.Rule, a.Summary, a.Details["severity_reason"])
				}
			}
			if testing.Verbose() {
				for _, a := range alerts {
					t.Logf("%-8s %-15s %-14s %-6s x%-4d %s", a.Severity, a.Endpoint, a.Rule, a.Key, a.Count, strings.ReplaceAll(a.Summary, "\n", " "))
				}
			}
		})
	}
}
