package containment_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/app/apptest"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
)

func TestOfferOnDemo(t *testing.T) {
	ctx := context.Background()
	d := apptest.NewDemo(t, apptest.Options{})
	a := d.App
	log := audit.Open(a.Store, audit.Options{User: "yamada"})
	m, err := containment.New(containment.Options{
		Catalog: a.Catalog, Audit: log, Networks: a.Networks, Inventory: a.Inventory,
		Endpoints: a.Store, Events: a.Store, Actuators: containment.DemoActuators(a.Catalog),
	})
	if err != nil {
		t.Fatal(err)
	}
	victim := d.Scenario.Victim
	beacon := d.Step(t, "c2-beacon")
	all, err := a.Store.Alerts()
	if err != nil {
		t.Fatal(err)
	}
	// The victim's alerts about its C2 beacon.
	var sel containment.Selection
	for _, al := range all {
		if al.Endpoint == victim.IP.String() && slices.Contains(beacon.Rules, al.Rule) {
			sel.Alerts = append(sel.Alerts, al)
		}
	}
	if len(sel.Alerts) == 0 {
		t.Fatal("no beacon alert on the victim")
	}
	// A hostile alert: its values must not be offered.
	sel.Alerts = append(sel.Alerts, alert.Alert{ID: "hostile", Rule: "N-APP", Endpoint: victim.IP.String(),
		Peer: "1.2.3.4; rm -rf /", Details: map[string]string{"domain": "evil.example\x1b[31m", "user": "$(id)", "url": "http://e.com/\nx"}})

	opts, err := m.Offer(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]containment.Option{}
	for _, o := range opts {
		byID[o.Measure.ID] = o
		for _, c := range o.Params {
			for _, v := range c.Choices {
				if strings.ContainsAny(v.Value, "; $\x1b\n") {
					t.Errorf("%s: hostile value offered for %s: %q", o.Measure.ID, c.Param.Name, v.Value)
				}
			}
		}
	}
	defaults := func(id string) map[string]string {
		t.Helper()
		o, ok := byID[id]
		if !ok {
			t.Fatalf("%s not offered", id)
		}
		return o.Values()
	}
	for name, tc := range map[string]struct {
		measure string
		want    map[string]string
	}{
		"isolate the endpoint":    {"endpoint.block-ip", map[string]string{"ip": victim.IP.String(), "host": victim.Host}},
		"block for the endpoint":  {"endpoint.block-dest-ip", map[string]string{"endpoint": victim.IP.String()}},
		"unplug its segment":      {"segment.unplug", map[string]string{"segment": "office"}},
		"warn its user":           {"endpoint.warn", map[string]string{"host": victim.Host}},
		"cut its office off":      {"segment.block-between-segments", map[string]string{"from": "10.0.10.0/24"}},
		"port of the endpoint":    {"endpoint.block-dest-port", map[string]string{"endpoint": victim.IP.String()}},
		"sinkhole for everyone":   {"segment.dns-block-domain", nil},
		"block IP for everyone":   {"segment.block-ip", nil},
		"block port for everyone": {"segment.block-port", nil},
	} {
		t.Run(name, func(t *testing.T) {
			got := defaults(tc.measure)
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: %s = %q, want %q (choices: %v)", tc.measure, k, got[k], v, byID[tc.measure].Params)
				}
			}
		})
	}
	// The C2's name, address and port are offered, as the defaults where
	// the far side is asked for; the internal side (the proxy) comes after.
	choice := func(measure, param string) containment.Choice {
		t.Helper()
		o := byID[measure]
		i := slices.IndexFunc(o.Params, func(c containment.Choice) bool { return c.Param.Name == param })
		if i < 0 {
			t.Fatalf("%s has no parameter %s", measure, param)
		}
		return o.Params[i]
	}
	for _, tc := range []struct{ measure, param, value string }{
		{"endpoint.block-dest-ip", "ip", beacon.Peer.String()},
		{"segment.block-ip", "ip", beacon.Peer.String()},
		{"segment.dns-block-domain", "domain", beacon.Domain},
		{"endpoint.block-dest-port", "port", "8443"},
	} {
		c := choice(tc.measure, tc.param)
		if !slices.ContainsFunc(c.Choices, func(v containment.Value) bool { return v.Value == tc.value }) {
			t.Errorf("%s %s: %s not among the choices %+v", tc.measure, tc.param, tc.value, c.Choices)
		}
		if c.Choices[0].Internal || c.Default != c.Choices[0].Value {
			t.Errorf("%s %s: default %q, first choice %+v: want the far side first", tc.measure, tc.param, c.Default, c.Choices[0])
		}
	}
	if from, to := choice("segment.block-between-segments", "from").Default, choice("segment.block-between-segments", "to").Default; from == to {
		t.Errorf("between segments: from and to both %s", from)
	}
	// Measures needing what the selection does not have are not offered.
	for _, id := range []string{"account.disable", "service.stop-all"} {
		if _, ok := byID[id]; ok {
			t.Errorf("%s offered without its parameters", id)
		}
	}
	if !strings.Contains(byID["segment.dns-block-domain"].Filter, "dns-block-domain") || !byID["endpoint.pull-cable"].Manual || byID["endpoint.block-ip"].Manual {
		t.Errorf("filter text or manual flags wrong")
	}

	// The impact of cutting off the victim's segment counts the office.
	p, err := m.Plan(ctx, "", "segment.unplug", defaults("segment.unplug"))
	if err != nil {
		t.Fatal(err)
	}
	var office int
	for _, as := range a.Inventory.All() {
		if as.Segment == "office" && as.Prefix.IsSingleIP() {
			office++
		}
	}
	if p.Impact.Endpoints < office || !strings.Contains(p.Impact.Scope, "segment office") || !slices.Contains(p.Impact.Hosts, victim.Host+" ("+victim.IP.String()+")") {
		t.Errorf("impact = %+v, want at least the %d office machines of the inventory", p.Impact, office)
	}
	if p.Cost.Availability != 3 || p.Protects.C == 0 || p.Rationale.EN == "" || p.Evidence.Class == "" {
		t.Errorf("plan ratings = %+v %+v", p.Cost, p.Protects)
	}
	iso, err := m.Plan(ctx, "", "endpoint.power-off", map[string]string{"host": victim.Host})
	if err != nil {
		t.Fatal(err)
	}
	if !iso.ExportFirst || iso.Evidence.Class != catalog.VolatileLost || iso.Impact.Endpoints != 1 {
		t.Errorf("power-off plan: export first %v, evidence %s, impact %+v", iso.ExportFirst, iso.Evidence.Class, iso.Impact)
	}
}

// TestOfferPutsTheAccountThatGotInFirst: of the accounts a brute force
// tried, the one that then logged in is the one the attacker holds: the
// account measures propose it before the accounts that only failed.
func TestOfferPutsTheAccountThatGotInFirst(t *testing.T) {
	ctx := context.Background()
	d := apptest.NewDemo(t, apptest.Options{})
	a := d.App
	m, err := containment.New(containment.Options{
		Catalog: a.Catalog, Audit: audit.Open(a.Store, audit.Options{User: "yamada"}), Networks: a.Networks, Inventory: a.Inventory,
		Endpoints: a.Store, Events: a.Store,
	})
	if err != nil {
		t.Fatal(err)
	}
	brute := d.Step(t, "brute-force")
	all, err := a.Store.Alerts()
	if err != nil {
		t.Fatal(err)
	}
	var sel containment.Selection
	for _, al := range all {
		if (al.Endpoint == brute.Endpoint.String() || al.Peer == brute.Endpoint.String()) && slices.Contains(brute.Rules, al.Rule) {
			sel.Alerts = append(sel.Alerts, al)
		}
	}
	if len(sel.Alerts) == 0 {
		t.Fatal("no alert of the brute force")
	}
	opts, err := m.Offer(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range opts {
		for _, c := range o.Params {
			if c.Param.Kind != catalog.ParamUser || len(c.Choices) == 0 {
				continue
			}
			found = true
			if c.Default != "backup" || c.Choices[0].Value != "backup" || !strings.Contains(c.Choices[0].Source, "logged in") {
				t.Errorf("%s %s: default %q, choices %+v: want backup, the account that got in, first", o.Measure.ID, c.Param.Name, c.Default, c.Choices)
			}
		}
	}
	if !found {
		t.Fatal("no account measure offered for the brute force")
	}
}
