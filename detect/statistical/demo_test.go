package statistical

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

// categoryFile is a domain<TAB>category list, as the console loads one:
// a domain covers its subdomains.
type categoryFile map[string]string

func loadCategories(t testing.TB, path string) categoryFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := categoryFile{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if d, cat, ok := strings.Cut(line, "\t"); ok {
			c[strings.ToLower(d)] = cat
		}
	}
	return c
}

func (c categoryFile) Category(d string) (string, bool) {
	for {
		if v, ok := c[d]; ok {
			return v, true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return "", false
		}
		d = d[i+1:]
	}
}

// demoRun is the built-in demo's logs run through an engine of this
// package's rules, as the console would run them.
type demoRun struct {
	story  demo.Scenario
	alerts []alert.Alert
}

func runDemo(t *testing.T, opts demo.Options) demoRun {
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
	enr := ingesttest.Enricher(inv)
	var evs []event.Event
	for _, f := range m.Files {
		evs = append(evs, ingesttest.ReadLog(t, f.Path, ingesttest.Options{Format: f.Format, Location: m.Location, Enricher: enr})...)
	}
	ingesttest.ByTime(evs)
	env := &detect.Env{
		Networks:   enr.Networks,
		Assets:     inv,
		Catalog:    testCatalog,
		Categories: loadCategories(t, m.Categories),
		Location:   demo.Location(),
	}
	e, err := detect.New(detect.Options{Factories: Factories(), Env: env})
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		e.Process(&evs[i])
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	return demoRun{story: story, alerts: e.Alerts()}
}

// The demo's statistical steps fire on the victim, and nothing of these
// rules rises above low on the benign machines and the hard negatives.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and scans the four-day demo")
	}
	for name, opts := range map[string]demo.Options{
		"default office": {At: time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())},
		"bigger office":  {At: time.Date(2026, 6, 10, 15, 0, 0, 0, demo.Location()), Seed: 7, Endpoints: 40},
	} {
		t.Run(name, func(t *testing.T) {
			r := runDemo(t, opts)
			mine := map[string]bool{}
			for _, f := range Factories() {
				mine[f.Rule] = true
			}
			for _, a := range r.alerts {
				t.Logf("%-13s %-6s %-12s %-28s %s", a.Rule, a.Severity, a.Endpoint, a.Peer, a.Summary)
			}
			for _, st := range r.story.Steps {
				for _, rule := range st.Rules {
					if !mine[rule] {
						continue
					}
					found := false
					for _, a := range r.alerts {
						if a.Rule == rule && a.Endpoint == st.Endpoint.String() && a.Severity > alert.Low {
							found = true
						}
					}
					if !found {
						t.Errorf("step %s: no %s alert above low on %s", st.Name, rule, st.Endpoint)
					}
				}
			}
			quiet := map[string]string{}
			for _, ep := range append(r.story.Benign, r.story.Relays...) {
				quiet[ep.IP.String()] = ep.Host
			}
			for _, a := range r.alerts {
				if host, ok := quiet[a.Endpoint]; ok && a.Severity > alert.Low {
					t.Errorf("benign %s (%s): %s %s: %s", host, a.Endpoint, a.Rule, a.Severity, a.Summary)
				}
			}
			// The attack's own alerts on an endpoint a hard negative also
			// lists (the victim is one of "every PC") are not the look-alike.
			expected := map[string]bool{}
			for _, st := range r.story.Steps {
				for _, rule := range st.Rules {
					expected[st.Endpoint.String()+" "+rule] = true
				}
			}
			for _, hn := range r.story.HardNegatives {
				t.Logf("hard negative %s: %d endpoints", hn.Name, len(hn.Endpoints))
				for _, ep := range hn.Endpoints {
					for _, a := range r.alerts {
						if a.Endpoint == ep.String() && a.Severity > alert.Low && contains(hn.Rules, a.Rule) && !expected[a.Endpoint+" "+a.Rule] {
							t.Errorf("hard negative %s on %s: %s %s: %s", hn.Name, ep, a.Rule, a.Severity, a.Summary)
						}
					}
				}
			}
		})
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
