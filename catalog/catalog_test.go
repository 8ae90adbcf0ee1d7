package catalog

import (
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mamori-soc/mamori/alert"
)

func load(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadIsShared(t *testing.T) {
	if a, b := load(t), load(t); a != b {
		t.Error("Load returned two catalogs")
	}
}

// TestRuleIDs pins the rule ids other packages refer to.
func TestRuleIDs(t *testing.T) {
	want := []string{
		"M-IOC-DOMAIN", "M-IOC-IP", "M-IOC-URL", "M-IOC-HASH", "M-PSEXEC", "M-IDS", "M-DDNS", "M-PAAS", "M-DOUBLE-EXT",
		"N-COUNTRY", "N-INTERNAL-SVC", "N-APP", "N-CATEGORY", "N-PORT", "N-EXE-SOURCE", "N-UPLOAD-TYPE",
		"N-IP-DIRECT", "N-QUERY", "N-CONNECT-PORT", "N-LAN-EXE", "N-PROXY-BYPASS", "N-NO-DNS",
		"S-FANOUT", "S-ERRORS", "S-BEACON", "S-SINKHOLE", "S-REFUSED", "S-CONN-VOLUME", "S-BYTES-OUT",
		"C-SAME-EP", "C-CROSS-EP", "C-KILLCHAIN",
	}
	got := ids(load(t).Rules(), func(r *Rule) string { return r.ID })
	if !slices.Equal(got, want) {
		t.Errorf("rules:\n got %v\nwant %v", got, want)
	}
}

// TestMeasureIDs pins the measure ids: every measure of DESIGN §2.4, one
// entry each.
func TestMeasureIDs(t *testing.T) {
	want := []string{
		"account.warn", "account.change-password", "account.disable", "account.delete",
		"endpoint.warn", "endpoint.raise-sensitivity", "endpoint.quarantine-malware",
		"endpoint.block-dest-url", "endpoint.block-dest-port", "endpoint.block-dest-protocol", "endpoint.block-dest-ip",
		"endpoint.move-network", "endpoint.block-ip", "endpoint.pull-cable", "endpoint.power-off",
		"segment.warn", "segment.raise-sensitivity", "segment.dns-nxdomain-host", "segment.dns-block-domain",
		"segment.block-domain", "segment.block-url", "segment.block-port", "segment.block-protocol", "segment.block-ip",
		"segment.block-between-segments", "segment.change-network", "segment.unplug",
		"service.stop-part", "service.stop-all",
	}
	got := ids(load(t).Measures(), func(m *Measure) string { return m.ID })
	if !slices.Equal(got, want) {
		t.Errorf("measures:\n got %v\nwant %v", got, want)
	}
}

// TestRuleBasisMatchesTask checks perspective and basis against the
// definition of the rule families.
func TestRuleBasisMatchesTask(t *testing.T) {
	for _, r := range load(t).Rules() {
		var want alert.Basis
		switch {
		case strings.HasPrefix(r.ID, "M-"):
			want = alert.KnownAttack
		case strings.HasPrefix(r.ID, "N-"):
			want = alert.NormalBusiness
		case r.ID == "S-CONN-VOLUME", r.ID == "S-BYTES-OUT", r.ID == "C-SAME-EP", r.ID == "C-CROSS-EP":
			want = alert.NormalBusiness
		default:
			want = alert.KnownAttack
		}
		if r.Basis != want {
			t.Errorf("%s: basis %s, want %s", r.ID, r.Basis, want)
		}
	}
}

func TestLookups(t *testing.T) {
	c := load(t)
	tests := map[string]struct {
		found func() (string, bool) // returns a field of the entry found
		want  string
	}{
		"rule": {func() (string, bool) {
			r, ok := c.Rule("M-DDNS")
			return deref(r, func(r *Rule) string { return r.Title.In("ja") }), ok
		}, "ダイナミックDNSへの通信"},
		"rule unknown": {func() (string, bool) {
			r, ok := c.Rule("M-NOPE")
			return deref(r, func(r *Rule) string { return r.ID }), ok
		}, ""},
		"measure": {func() (string, bool) {
			m, ok := c.Measure("endpoint.power-off")
			return deref(m, func(m *Measure) string { return string(m.Evidence.Class) }), ok
		}, "volatile-lost"},
		"phase": {func() (string, bool) {
			p, ok := c.Phase(5)
			return deref(p, func(p *Phase) string { return p.Name.In("ja") }), ok
		}, "C2ホストとの積極的な通信"},
		"phase 0": {func() (string, bool) { p, ok := c.Phase(0); return deref(p, func(p *Phase) string { return "" }), ok }, ""},
		"handling phase": {func() (string, bool) {
			p, ok := c.HandlingPhase("C")
			return deref(p, func(p *HandlingPhase) string { return p.Name.In("ja") }), ok
		}, "被害拡大の防止や抑制のための初動対応"},
		"role": {func() (string, bool) {
			r, ok := c.Role(RoleDeptAdmin)
			return deref(r, func(r *Role) string { return r.Name.In("ja") }), ok
		}, "LAN管理・運用者（各事業部門）"},
		"part": {func() (string, bool) {
			p, ok := c.Part("F", RoleUser)
			return deref(p, func(p *Part) string { return p.Phase + "/" + p.Role }), ok
		}, "F/user"},
		"action": {func() (string, bool) {
			a, ok := c.Action("C.it-admin.preserve")
			return deref(a, func(a *Action) string { return a.ID }), ok
		}, "C.it-admin.preserve"},
		"finding": {func() (string, bool) {
			f, ok := c.Finding(FindingExfiltration)
			return deref(f, func(f *Finding) string { return f.Name.In("ja") }), ok
		}, "流出経路／流出情報"},
		"objective": {func() (string, bool) {
			o, ok := c.Objective(BeforeContainment)
			return deref(o, func(o *Objective) string { return o.Collect[0].Source }), ok
		}, "connections"},
		"evidence source": {func() (string, bool) {
			s, ok := c.EvidenceSource("proxy")
			return deref(s, func(s *EvidenceSource) string { return s.Formats[0] }), ok
		}, "squid"},
		"technique": {func() (string, bool) {
			x, ok := c.Technique("T1568")
			return deref(x, func(x *Technique) string { return x.Name }), ok
		}, "Dynamic Resolution"},
		"perspective": {func() (string, bool) {
			p, ok := c.Perspective(alert.Statistical)
			return deref(p, func(p *Perspective) string { return p.Name.In("ja") }), ok
		}, "統計分析"},
		"basis": {func() (string, bool) {
			b, ok := c.Basis(alert.NormalBusiness)
			return deref(b, func(b *Basis) string { return b.Name.In("ja") }), ok
		}, "通常業務"},
		"view": {func() (string, bool) {
			v, ok := c.View(alert.Statistical, alert.NormalBusiness)
			return deref(v, func(v *View) string { return v.Name.In("ja") }), ok
		}, "通常業務との乖離"},
		"route": {func() (string, bool) {
			r, ok := c.Route("usb")
			return deref(r, func(r *Route) string { return r.Name.In("ja") }), ok
		}, "USBメモリ"},
		"list": {func() (string, bool) {
			l, ok := c.List(ListDynamicDNS)
			return deref(l, func(l *List) string { return l.Title.In("en") }), ok
		}, "Dynamic-DNS provider zones"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := tc.found()
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("got %q (found %v), want %q", got, ok, tc.want)
			}
		})
	}
}

func deref[T any](p *T, f func(*T) string) string {
	if p == nil {
		return ""
	}
	return f(p)
}

func TestHandlingComplete(t *testing.T) {
	c := load(t)
	for _, ph := range c.HandlingPhases() {
		for _, r := range c.Roles() {
			p, ok := c.Part(ph.ID, r.ID)
			if !ok {
				t.Errorf("%s/%s: no part", ph.ID, r.ID)
				continue
			}
			for _, a := range p.Actions {
				if got, ok := c.Action(a.ID); !ok || got.Do != a.Do {
					t.Errorf("Action(%q) does not return the part's action", a.ID)
				}
			}
		}
	}
}

func TestMeasuresFor(t *testing.T) {
	c := load(t)
	want := map[Target]int{TargetAccount: 4, TargetEndpoint: 11, TargetSegment: 12, TargetService: 2}
	total := 0
	for target, n := range want {
		ms := c.MeasuresFor(target)
		if len(ms) != n {
			t.Errorf("%s: %d measures, want %d", target, len(ms), n)
		}
		for _, m := range ms {
			if m.Target != target {
				t.Errorf("MeasuresFor(%s) returned %s", target, m.ID)
			}
		}
		total += len(ms)
	}
	if total != len(c.Measures()) {
		t.Errorf("targets cover %d of %d measures", total, len(c.Measures()))
	}
}

func TestApplicable(t *testing.T) {
	c := load(t)
	tests := map[string]struct {
		available []ParamKind
		want      []string // must be offered
		not       []string // must not be offered
	}{
		"address": {
			available: []ParamKind{ParamIP},
			want:      []string{"endpoint.block-ip", "endpoint.block-dest-ip", "segment.block-ip"},
			not:       []string{"account.disable", "segment.dns-nxdomain-host", "endpoint.pull-cable", "endpoint.block-dest-port"},
		},
		"user": {
			available: []ParamKind{ParamUser},
			want:      []string{"account.warn", "account.change-password", "account.disable", "account.delete"},
			not:       []string{"endpoint.block-ip", "segment.block-domain"},
		},
		"domain": {
			available: []ParamKind{ParamDomain},
			want:      []string{"segment.dns-nxdomain-host", "segment.dns-block-domain", "segment.block-domain"},
			not:       []string{"segment.block-url", "account.disable"},
		},
		"endpoint alert": {
			available: []ParamKind{ParamIP, ParamHost, ParamPort, ParamDomain},
			want:      []string{"endpoint.pull-cable", "endpoint.power-off", "endpoint.block-dest-port", "endpoint.block-ip", "segment.block-port"},
			not:       []string{"endpoint.move-network", "service.stop-all", "account.disable"},
		},
		"nothing": {
			available: nil,
			not:       []string{"account.warn", "endpoint.warn", "segment.warn"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := ids(c.Applicable(tc.available...), func(m **Measure) string { return (*m).ID })
			for _, id := range tc.want {
				if !slices.Contains(got, id) {
					t.Errorf("%s not offered for %v", id, tc.available)
				}
			}
			for _, id := range tc.not {
				if slices.Contains(got, id) {
					t.Errorf("%s offered for %v", id, tc.available)
				}
			}
		})
	}
}

func TestRulePhases(t *testing.T) {
	r, ok := load(t).Rule("M-IOC-DOMAIN")
	if !ok {
		t.Fatal("no M-IOC-DOMAIN")
	}
	if got, want := r.Phases(), []int{5, 2, 3, 6}; !slices.Equal(got, want) {
		t.Errorf("Phases() = %v, want %v", got, want)
	}
	if got := r.Phases(); &got[0] == &r.AlsoPhases[0] {
		t.Error("Phases shares memory with the rule")
	}
}

func TestEvidenceForEveryFinding(t *testing.T) {
	c := load(t)
	for _, f := range c.Findings() {
		found := false
		for _, o := range c.Objectives() {
			found = found || o.Finding == f.ID
		}
		if !found {
			t.Errorf("finding %s has no evidence objective", f.ID)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	root, err := fs.Sub(embedded, "data")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(root); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConcurrentUse reads the shared catalog from several goroutines; run
// with -race it checks that Load and the lookups do not write shared state.
func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			c, err := Load()
			if err != nil {
				t.Error(err)
				return
			}
			for _, r := range c.Rules() {
				if _, ok := c.Rule(r.ID); !ok {
					t.Errorf("Rule(%s) not found", r.ID)
				}
				for _, id := range r.Measures {
					m, ok := c.Measure(id)
					if !ok || !slices.Contains(c.Applicable(m.Required()...), m) {
						t.Errorf("measure %s not applicable to its own parameters", id)
					}
				}
			}
			if l, ok := c.List(ListDynamicDNS); !ok || l.Len() == 0 {
				t.Error("no dynamic-DNS list")
			} else if _, ok := l.Match("x.duckdns.org"); !ok {
				t.Error("x.duckdns.org not matched")
			}
		})
	}
	wg.Wait()
}
