package composite_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/demo"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/detect/composite"
	"github.com/mamori-soc/mamori/detect/intel"
	"github.com/mamori-soc/mamori/detect/matching"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/store"
)

// TestDemo writes the built-in demo, imports its logs with the real
// parsers into a store, replays the engine with the matching and composite
// rules and checks them against the demo's story: every step that expects
// one of these rules gets it on the step's endpoint, and the benign
// machines, the relays and the hard negatives stay at or below low.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and imports four days of an office's logs")
	}
	ctx := context.Background()
	opts := demo.Options{At: time.Date(2026, 3, 4, 10, 0, 0, 0, demo.Location()), Days: 4}
	dir := t.TempDir()
	m, err := demo.Write(ctx, filepath.Join(dir, "demo"), opts)
	if err != nil {
		t.Fatal(err)
	}
	story, err := demo.Story(opts)
	if err != nil {
		t.Fatal(err)
	}

	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	inv, err := asset.Load(m.Inventory)
	if err != nil {
		t.Fatal(err)
	}
	iocs, err := intel.Load(m.IOCs)
	if err != nil {
		t.Fatal(err)
	}
	if ps := iocs.Problems(); len(ps) > 0 {
		t.Errorf("the demo's IOC trail: %v", ps)
	}
	nets := asset.MustNetworks(asset.DefaultInternal...)
	st, err := store.Open(filepath.Join(dir, "db"), store.Options{Retention: -1, IsInternal: nets.Contains})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	var files []string
	for _, f := range m.Files {
		files = append(files, f.Path)
	}
	p := ingest.NewPipeline(st, ingest.NewStats(), nil)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.Run(gctx) })
	g.Go(func() error {
		defer p.CloseInput()
		return ingest.Import(gctx, p, st, files, ingest.ImportOptions{Options: ingest.Options{
			Formats: ingest.Formats(), Location: m.Location, Enricher: &ingest.Enricher{Networks: nets, Inventory: inv},
		}})
	})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	sum := ingest.Summarize(p.Stats().Snapshot())
	if sum.Rejected > 0 {
		t.Logf("import: %+v", sum)
	}

	env := &detect.Env{Catalog: cat, Networks: nets, Assets: inv, Intel: iocs, Location: m.Location}
	e, err := detect.New(detect.Options{Factories: append(matching.Factories(), composite.Factories()...), Env: env})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := e.Replay(ctx, st, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("replayed %d events through %d rules in %v (%.0f events/s, store reads included)",
		e.Processed(), len(matching.Factories())+len(composite.Factories()), took.Round(time.Millisecond), float64(e.Processed())/took.Seconds())

	alerts := e.Alerts()
	if testing.Verbose() {
		for _, a := range alerts {
			t.Logf("%-12s %-8s %-13s %-28s x%-4d %s", a.Endpoint, a.Severity, a.Rule, a.Peer, a.Count, a.FirstSeen.In(m.Location).Format("01-02 15:04"))
			t.Logf("   %s", a.Summary)
		}
	}
	mine := map[string]bool{}
	for _, f := range append(matching.Factories(), composite.Factories()...) {
		mine[f.Rule] = true
	}
	// Rules that need others' alerts to fire at all: C-SAME-EP reads the
	// normal-business mismatches and statistical deviations of the
	// sibling packages, which this test does not run.
	needsOthers := map[string]bool{composite.RuleSameEP: true}

	for _, step := range story.Steps {
		for _, rule := range step.Rules {
			if !mine[rule] {
				continue
			}
			if needsOthers[rule] {
				t.Logf("step %s: %s needs the statistical and normal-business rules, not run here", step.Name, rule)
				continue
			}
			if a, ok := find(alerts, rule, step); !ok {
				t.Errorf("step %s (%s): no %s on %s (%s); alerts there: %v", step.Name, step.Time.In(m.Location).Format("01-02 15:04:05"),
					rule, step.Endpoint, step.Host, rulesOn(alerts, step.Endpoint.String()))
			} else {
				t.Logf("step %-18s %-13s %s: %s", step.Name, rule, a.Severity, a.Summary)
				if strings.HasPrefix(rule, "M-") && a.Phase != step.Phase {
					t.Errorf("step %s: %s says phase %d, the step is phase %d", step.Name, rule, a.Phase, step.Phase)
				}
			}
		}
	}

	// Every step of a kill chain is a step of the story: the phase it
	// names happened on that endpoint then.
	for _, a := range alerts {
		if a.Rule != composite.RuleKillChain {
			continue
		}
		for n := 1; n <= 6; n++ {
			link, ok := a.Details["phase_"+strconv.Itoa(n)]
			if !ok {
				continue
			}
			_, when, _ := strings.Cut(link, " at ")
			at, err := time.Parse(time.RFC3339, when)
			if err != nil {
				t.Errorf("kill chain on %s: phase %d %q", a.Endpoint, n, link)
				continue
			}
			if !storyHas(story, a.Endpoint, n, at) {
				t.Errorf("kill chain on %s: phase %d (%s) is no step of the story", a.Endpoint, n, link)
			}
		}
	}

	quiet := map[netip.Addr]string{}
	for _, b := range story.Benign {
		quiet[b.IP] = "benign " + b.Host
	}
	for _, r := range story.Relays {
		quiet[r.IP] = "relay " + r.Host
	}
	negatives := map[string]map[netip.Addr]string{} // rule → endpoint → hard negative
	for _, hn := range story.HardNegatives {
		for _, rule := range hn.Rules {
			if !mine[rule] {
				continue
			}
			if negatives[rule] == nil {
				negatives[rule] = map[netip.Addr]string{}
			}
			for _, ep := range hn.Endpoints {
				negatives[rule][ep] = hn.Name
			}
		}
	}
	for _, a := range alerts {
		ep, err := netip.ParseAddr(a.Endpoint)
		if err != nil || a.Severity <= alert.Low {
			continue
		}
		if why, ok := quiet[ep]; ok {
			t.Errorf("%s: %s %s: %s", why, a.Rule, a.Severity, a.Summary)
		}
		if hn, ok := negatives[a.Rule][ep]; ok {
			t.Errorf("hard negative %s: %s %s on %s: %s", hn, a.Rule, a.Severity, a.Endpoint, a.Summary)
		}
	}
}

// find returns the alert of rule on the step's endpoint that belongs to
// the step: seen at or after its start (a minute's slack), or, for the
// kill chain, which may reach three phases before the step it is listed
// on, at any time before it. Alerts naming the other side check it.
func find(alerts []alert.Alert, rule string, step demo.Step) (alert.Alert, bool) {
	for _, a := range alerts {
		if a.Rule != rule || a.Endpoint != step.Endpoint.String() {
			continue
		}
		if a.LastSeen.Before(step.Time.Add(-time.Minute)) && rule != composite.RuleKillChain {
			continue
		}
		if a.FirstSeen.After(step.Time.Add(time.Hour)) {
			continue
		}
		if rule == composite.RuleCrossEP && a.Peer != step.Peer.String() {
			continue
		}
		// M-PSEXEC is one alert per source naming every machine it ran
		// code on: the step's target is its peer or in its list.
		if rule == matching.RulePsExec && a.Peer != step.Peer.String() && !namesAddr(a.Summary, step.Peer.String()) {
			continue
		}
		if (rule == matching.RuleDDNS || rule == matching.RuleIOCDomain) && step.Domain != "" && a.Peer != step.Domain && step.Name != "lateral-c2" {
			continue
		}
		return a, true
	}
	return alert.Alert{}, false
}

// namesAddr reports whether text names the address addr (not merely a
// longer one that begins with it: 10.0.10.2 is not in 10.0.10.23).
func namesAddr(text, addr string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], addr)
		if j < 0 {
			return false
		}
		end := i + j + len(addr)
		rest := text[end:]
		digit := func(k int) bool { return len(rest) > k && rest[k] >= '0' && rest[k] <= '9' }
		if !digit(0) && (len(rest) == 0 || rest[0] != '.' || !digit(1)) {
			return true
		}
		i = end
	}
}

// storyHas reports whether the story has a step of phase on endpoint going
// on at t: begun at most a minute after t and, unless it repeats until the
// end, at most an hour before.
func storyHas(s demo.Scenario, endpoint string, phase int, t time.Time) bool {
	for _, st := range s.Steps {
		if st.Phase != phase || st.Endpoint.String() != endpoint || st.Time.After(t.Add(time.Minute)) {
			continue
		}
		if st.Every != 0 || !t.After(st.Time.Add(time.Hour)) {
			return true
		}
	}
	return false
}

func rulesOn(alerts []alert.Alert, endpoint string) []string {
	var rs []string
	for _, a := range alerts {
		if a.Endpoint == endpoint && !slices.Contains(rs, a.Rule) {
			rs = append(rs, a.Rule)
		}
	}
	slices.Sort(rs)
	return rs
}
