// Package apptest builds the stores the incident, containment and
// report tests run on: the built-in demo's logs, ingested and scanned by
// mamori as `mamori scan` does, with the alerts of the demo's attack.
package apptest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Tokyo without the system's zone files

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

// At is the fixed anchor time of the demo the tests use.
var At = time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location())

// Demo is an opened mamori holding the demo office's logs and the alerts
// of its attack.
type Demo struct {
	App      *app.App
	Config   *config.Config
	Scenario demo.Scenario
	Manifest demo.Manifest
	Dir      string
	// Synthetic counts the alerts made from the scenario: those of the
	// scenario's rules and endpoints that the detection engine did not
	// raise (its rules are not all registered yet). With them the store
	// holds every alert the scenario expects.
	Synthetic int
}

// Options are the demo's size; the zero value is the smallest office
// with one day of history.
type Options struct {
	Endpoints int
	Days      int
}

// NewDemo writes the demo at At into a temporary directory, ingests it
// and runs detection into a store there. The App is closed when the test
// ends.
func NewDemo(tb testing.TB, opts Options) *Demo {
	tb.Helper()
	if opts.Endpoints == 0 {
		opts.Endpoints = demo.MinEndpoints
	}
	if opts.Days == 0 {
		opts.Days = 1
	}
	ctx := context.Background()
	dir := tb.TempDir()
	dopts := demo.Options{At: At, Endpoints: opts.Endpoints, Days: opts.Days}
	m, err := demo.Write(ctx, filepath.Join(dir, "logs"), dopts)
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := demo.Story(dopts)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "db")
	cfg.LogFile = filepath.Join(dir, "mamori.log")
	cfg.AuditFile = filepath.Join(dir, "audit.jsonl")
	cfg.Assets = m.Inventory
	cfg.IOC = []string{m.IOCs}
	cfg.Categories = m.Categories
	cfg.GeoIP = m.GeoIP
	cfg.Timezone = "Asia/Tokyo" // the demo's zone, JST, by its tz name
	a, err := app.Open(cfg, app.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { closeApp(tb, a) })
	paths := make([]string, len(m.Files))
	for i, f := range m.Files {
		paths[i] = f.Path
	}
	if _, err := a.Scan(ctx, paths, nil); err != nil {
		tb.Fatal(err)
	}
	d := &Demo{App: a, Config: cfg, Scenario: sc, Manifest: m, Dir: dir}
	as, err := a.Store.Alerts()
	if err != nil {
		tb.Fatal(err)
	}
	made, err := d.storyAlerts(ctx, as)
	if err != nil {
		tb.Fatal(err)
	}
	if err := a.Store.PutAlerts(made); err != nil {
		tb.Fatal(err)
	}
	d.Synthetic = len(made)
	return d
}

// storyAlerts makes the alerts the scenario expects and the engine did
// not raise: one per step and rule, on the step's endpoint, with the
// step's evidence lines found in the store as the engine would cite them.
// The catalog gives each rule's title, perspective, basis and phase.
func (d *Demo) storyAlerts(ctx context.Context, raised []alert.Alert) ([]alert.Alert, error) {
	var out []alert.Alert
	for _, st := range d.Scenario.Steps {
		evs, err := d.stepEvidence(ctx, st)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			return nil, fmt.Errorf("demo step %s: no evidence line found in the store", st.Name)
		}
		for _, id := range st.Rules {
			if covered(raised, id, st.Endpoint.String(), evs) {
				continue
			}
			r, ok := d.App.Catalog.Rule(id)
			if !ok {
				return nil, fmt.Errorf("demo step %s: rule %s not in the catalog", st.Name, id)
			}
			a := alert.Alert{
				Time: evs[0].Time, FirstSeen: evs[0].Time, LastSeen: evs[len(evs)-1].Time,
				Rule: id, Title: r.Title.EN, Perspective: r.Perspective, Basis: r.Basis, Phase: r.Phase, Attack: r.Attack,
				Endpoint: st.Endpoint.String(), Host: st.Host, Severity: alert.High, Score: 0.9, Count: len(evs),
				Summary: st.Title, Key: st.Name, Details: map[string]string{},
			}
			if st.Peer.IsValid() {
				a.Peer = st.Peer.String()
				a.Details["dst_ip"] = a.Peer
			}
			if st.Domain != "" {
				a.Details["domain"] = st.Domain
			}
			for _, ev := range evs {
				a.AddEvidence(alert.Evidence{Time: ev.Time, File: ev.Ref.File, Offset: ev.Ref.Offset, Line: ev.Ref.Line, Raw: ev.Raw})
			}
			a.ID = alert.MakeID(a.Rule, a.Endpoint, a.Key, a.FirstSeen)
			out = append(out, a)
		}
	}
	return out, nil
}

// covered reports whether the engine raised rule on the endpoint over the
// time of the step's evidence.
func covered(raised []alert.Alert, rule, endpoint string, evs []event.Event) bool {
	first, last := evs[0].Time, evs[len(evs)-1].Time
	for i := range raised {
		a := &raised[i]
		if a.Rule == rule && a.Endpoint == endpoint && !a.FirstSeen.After(last) && !a.LastSeen.Before(first) {
			return true
		}
	}
	return false
}

// stepEvidence finds up to 6 lines of the step's endpoint near its time
// that show one of its evidence items.
func (d *Demo) stepEvidence(ctx context.Context, st demo.Step) ([]event.Event, error) {
	span := 15 * time.Minute
	if st.Every > 0 {
		span = 6 * st.Every
	}
	p, err := d.App.Store.Timeline(ctx, store.Endpoint{Addr: st.Endpoint}, store.Query{
		From: st.Time.Add(-time.Minute), To: st.Time.Add(span), Limit: 6,
		Keep: func(ev *event.Event) bool { return d.shows(st, ev) },
	})
	if err != nil {
		return nil, err
	}
	out := make([]event.Event, len(p.Items))
	for i, it := range p.Items {
		out[i] = it.Event
	}
	return out, nil
}

func (d *Demo) shows(st demo.Step, ev *event.Event) bool {
	for _, e := range st.Evidence {
		if !strings.HasSuffix(filepath.ToSlash(ev.Ref.File), e.File) {
			continue
		}
		ok := true
		for _, c := range e.Contains {
			ok = ok && strings.Contains(ev.Raw, c)
		}
		if ok {
			return true
		}
	}
	return false
}

// Step returns the scenario's step of the given name.
func (d *Demo) Step(tb testing.TB, name string) demo.Step {
	tb.Helper()
	for _, st := range d.Scenario.Steps {
		if st.Name == name || strings.HasPrefix(st.Name, name) {
			return st
		}
	}
	tb.Fatalf("demo has no step %q", name)
	return demo.Step{}
}

func closeApp(tb testing.TB, a *app.App) {
	if err := a.Close(); err != nil {
		tb.Error(err)
	}
}
