package composite

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest"
)

var t0 = time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC) // a Monday

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

var (
	pc1 = ip("10.0.10.21")
	pc2 = ip("10.0.10.22")
	pc3 = ip("10.0.10.23")
)

// scripted stands in for a rule of the catalog: it raises a finding for
// every notice event labelled with its id, about the event's message as
// peer. A denied notice makes an information-level finding.
type scripted struct{ rule string }

func (s scripted) Rule() string      { return s.rule }
func (scripted) Kinds() []event.Kind { return []event.Kind{event.KindNotice} }
func (s scripted) Observe(ev *event.Event, em *detect.Emitter) {
	if !slices.Contains(strings.Split(ev.Label, "|"), s.rule) { // "A|B": one line both rules alert on
		return
	}
	f := detect.Finding{Time: ev.Time, Endpoint: ev.EndpointID(), Host: ev.Host, Peer: ev.Message, Key: ev.Message,
		Score: 0.6, Summary: s.rule + " about " + ev.Message, Evidence: []*event.Event{ev}}
	if ev.Action == event.ActionDeny { // as the matching rules keep a relay's matches
		info := alert.Info
		f.Severity, f.Score = &info, 0.2
	}
	em.Emit(f)
}

// scriptedRules are the rules the tests make alerts of.
var scriptedRules = []string{"M-DOUBLE-EXT", "N-EXE-SOURCE", "S-BEACON", "S-BYTES-OUT", "N-APP", "N-CONNECT-PORT",
	"M-DDNS", "M-IOC-DOMAIN", "S-FANOUT", "M-PSEXEC"}

func testEnv(t testing.TB) *detect.Env {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	inv := asset.NewInventory([]asset.Asset{
		{Prefix: netip.PrefixFrom(pc1, 32), Host: "pc-021", Segment: "office", Role: "pc"},
		{Prefix: netip.PrefixFrom(pc2, 32), Host: "pc-022", Segment: "office", Role: "pc"},
	})
	return &detect.Env{Catalog: cat, Networks: asset.MustNetworks(asset.DefaultInternal...), Assets: inv}
}

// engine builds a real engine with the composite rules and the scripted
// ones.
func engine(t testing.TB, env *detect.Env, rules map[string]any) *detect.Engine {
	t.Helper()
	fs := Factories()
	for _, r := range scriptedRules {
		fs = append(fs, detect.Factory{Rule: r, New: func(detect.Params, *detect.Env) detect.Detector { return scripted{r} }})
	}
	e, err := detect.New(detect.Options{Factories: fs, Env: env, Learning: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// fire is an event that makes rule raise an alert on ep about peer.
func fire(at time.Duration, rule string, ep netip.Addr, peer string) *event.Event {
	return &event.Event{Time: t0.Add(at), Format: "test", Kind: event.KindNotice, Label: rule, SrcIP: ep, Message: peer,
		Ref: event.Ref{File: "/alerts.log", Offset: int64(at)}, Raw: rule + " " + peer}
}

func feed(t testing.TB, env *detect.Env, e *detect.Engine, evs ...*event.Event) []alert.Alert {
	t.Helper()
	slices.SortStableFunc(evs, func(a, b *event.Event) int { return a.Time.Compare(b.Time) })
	enr := &ingest.Enricher{Networks: env.Networks, Inventory: env.Assets}
	for _, ev := range evs {
		enr.Enrich(ev)
		e.Process(ev)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	return e.Alerts()
}

func only(as []alert.Alert, rule string) []alert.Alert {
	var out []alert.Alert
	for _, a := range as {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}

func TestKillChain(t *testing.T) {
	const c2 = "kx7-update.duckdns.org"
	walk := []*event.Event{
		fire(0, "M-DOUBLE-EXT", pc1, "invoice.pdf.exe"),
		fire(3*time.Minute, "N-EXE-SOURCE", pc1, "203.0.113.80"),
		fire(10*time.Minute, "S-BEACON", pc1, c2),
	}
	cases := map[string]struct {
		evs    []*event.Event
		phases int // 0: silent
		last   int
		parts  []string
	}{
		"delivery, foothold, C2": {walk, 3, 5, []string{"pc-021 (10.0.10.21)", "② Delivery: executable disguised by a double extension, invoice.pdf.exe, 11-16 09:00",
			"→ ③ Foothold: ", ", 203.0.113.80, ", "→ ⑤ C2: ", ", " + c2 + ", 11-16 09:10", "3 phases in 10 min"}},
		"and exfiltration": {append(slices.Clone(walk), fire(5*time.Hour, "S-BYTES-OUT", pc1, "content.dropboxapi.com")),
			4, 6, []string{"→ ⑥", "bytes sent out above the endpoint's baseline (exfiltration), content.dropboxapi.com", "4 phases in 5 h"}},
		"a beacon going on before and after the delivery still walks forward": {[]*event.Event{
			fire(0, "S-BEACON", pc1, c2), fire(time.Hour, "M-DOUBLE-EXT", pc1, "x.pdf.exe"), fire(2*time.Hour, "N-EXE-SOURCE", pc1, "203.0.113.80"),
			fire(3*time.Hour, "S-BEACON", pc1, c2)}, 3, 5, []string{"② Delivery: executable disguised", "⑤", ", " + c2 + ", 11-16 12:00"}},
		"phases in reverse order": {[]*event.Event{
			fire(0, "S-BYTES-OUT", pc1, "a.example"), fire(time.Minute, "S-BEACON", pc1, c2),
			fire(2*time.Minute, "N-EXE-SOURCE", pc1, "203.0.113.80"), fire(3*time.Minute, "M-DOUBLE-EXT", pc1, "x.pdf.exe")}, 0, 0, nil},
		"a single phase repeated": {[]*event.Event{
			fire(0, "S-BEACON", pc1, c2), fire(time.Hour, "M-IOC-DOMAIN", pc1, c2), fire(2*time.Hour, "N-APP", pc1, "curl/8"),
			fire(3*time.Hour, "M-DDNS", pc1, c2), fire(4*time.Hour, "N-CONNECT-PORT", pc1, c2)}, 0, 0, nil},
		"the phases split over two unrelated endpoints": {[]*event.Event{
			fire(0, "M-DOUBLE-EXT", pc1, "x.pdf.exe"), fire(time.Minute, "N-EXE-SOURCE", pc2, "203.0.113.80"),
			fire(2*time.Minute, "S-BEACON", pc1, c2), fire(3*time.Minute, "S-BYTES-OUT", pc2, "a.example")}, 0, 0, nil},
		"steps further apart than the window": {[]*event.Event{
			fire(0, "M-DOUBLE-EXT", pc1, "x.pdf.exe"), fire(8*24*time.Hour, "N-EXE-SOURCE", pc1, "203.0.113.80"),
			fire(9*24*time.Hour, "S-BEACON", pc1, c2)}, 0, 0, nil},
		"information-level alerts take no part": {[]*event.Event{
			fire(0, "M-DOUBLE-EXT", pc1, "x.pdf.exe"), fire(time.Minute, "N-EXE-SOURCE", pc1, "203.0.113.80"),
			func() *event.Event {
				ev := fire(2*time.Minute, "S-BEACON", pc1, c2)
				ev.Action = event.ActionDeny
				return ev
			}()}, 0, 0, nil},
	}
	for name, c := range cases {
		env := testEnv(t)
		as := only(feed(t, env, engine(t, env, nil), c.evs...), RuleKillChain)
		if c.phases == 0 {
			if len(as) != 0 {
				t.Errorf("%s: fired: %s", name, as[0].Summary)
			}
			continue
		}
		if len(as) != 1 {
			t.Errorf("%s: %d alerts", name, len(as))
			continue
		}
		a := as[0]
		if a.Endpoint != pc1.String() || a.Count != c.phases || a.Phase != c.last || a.Severity != alert.Critical || a.Key != "killchain" {
			t.Errorf("%s: %+v", name, a)
		}
		if !mentions(a.Summary, c.parts...) || a.Details["summary_ja"] == "" || len(a.Evidence) < c.phases {
			t.Errorf("%s: summary %q lacks %q (or JA/evidence: %d)", name, a.Summary, c.parts, len(a.Evidence))
		}
		for _, r := range scriptedRules {
			if strings.Contains(a.Summary, r) {
				t.Errorf("%s: summary names the rule id %s: %q", name, r, a.Summary)
			}
		}
	}
}

// One download line raises the delivery and the foothold alert: the chain
// shows it once, and the foothold step's next line of its own.
func TestKillChainDistinctEvidence(t *testing.T) {
	env := testEnv(t)
	evs := []*event.Event{
		fire(0, "M-DOUBLE-EXT|N-EXE-SOURCE", pc1, "203.0.113.80"),
		fire(2*time.Minute, "N-EXE-SOURCE", pc1, "203.0.113.80"),
		fire(10*time.Minute, "S-BEACON", pc1, "kx7-update.duckdns.org"),
	}
	as := only(feed(t, env, engine(t, env, nil), evs...), RuleKillChain)
	if len(as) != 1 {
		t.Fatalf("%d kill-chain alerts", len(as))
	}
	seen := map[string]bool{}
	for _, e := range as[0].Evidence {
		k := fmt.Sprintf("%s:%d", e.File, e.Offset)
		if seen[k] {
			t.Errorf("evidence line %s shown twice: %+v", k, as[0].Evidence)
		}
		seen[k] = true
	}
	if len(seen) != 3 {
		t.Errorf("%d distinct evidence lines, want one per step (3): %+v", len(seen), as[0].Evidence)
	}
}

func TestSameEP(t *testing.T) {
	const c2 = "kx7-update.duckdns.org"
	// hourly: the same unusual application and beacon, hour after hour.
	hourly := func(ep netip.Addr, rules ...string) []*event.Event {
		var evs []*event.Event
		for h := range 4 {
			for i, r := range rules {
				evs = append(evs, fire(time.Duration(h)*time.Hour+time.Duration(i+1)*time.Minute, r, ep, c2))
			}
		}
		return evs
	}
	cases := map[string]struct {
		evs   []*event.Event
		hours int // 0: silent
		parts []string
	}{
		"mismatch and beacon recurring for hours": {hourly(pc1, "N-APP", "S-BEACON"), 4,
			[]string{"pc-021 (10.0.10.21)", "4 distinct hours", "N-APP (11-16 09:01–12:01)", "S-BEACON", "both about " + c2}},
		"different peers": {[]*event.Event{fire(0, "N-CONNECT-PORT", pc1, "odd.example:8443"), fire(2*time.Hour, "S-BEACON", pc1, c2)}, 2,
			[]string{"N-CONNECT-PORT", "S-BEACON"}},
		"one burst within an hour":                       {[]*event.Event{fire(0, "N-APP", pc1, c2), fire(5*time.Minute, "S-BEACON", pc1, c2), fire(20*time.Minute, "N-APP", pc1, c2)}, 0, nil},
		"mismatch on one endpoint, deviation on another": {append(hourly(pc1, "N-APP"), hourly(pc2, "S-BEACON")...), 0, nil},
		"mismatches only":                                {hourly(pc1, "N-APP", "N-CONNECT-PORT"), 0, nil},
		"known-attack matching is no mismatch":           {hourly(pc1, "M-DDNS", "S-BEACON"), 0, nil},
		"more than a day apart":                          {[]*event.Event{fire(0, "N-APP", pc1, c2), fire(30*time.Hour, "S-BEACON", pc1, c2)}, 0, nil},
	}
	for name, c := range cases {
		env := testEnv(t)
		as := only(feed(t, env, engine(t, env, nil), c.evs...), RuleSameEP)
		if c.hours == 0 {
			if len(as) != 0 {
				t.Errorf("%s: fired: %s", name, as[0].Summary)
			}
			continue
		}
		if len(as) != 1 {
			t.Errorf("%s: %d alerts", name, len(as))
			continue
		}
		a := as[0]
		if a.Endpoint != pc1.String() || a.Count != c.hours || a.Key != "continuity" {
			t.Errorf("%s: %+v", name, a)
		}
		if !mentions(a.Summary, c.parts...) || a.Details["summary_ja"] == "" {
			t.Errorf("%s: summary %q lacks %q", name, a.Summary, c.parts)
		}
	}
}

// smb is a connection from one office machine to another's port 445 that
// carried data.
func smb(at time.Duration, src, dst netip.Addr, state string) *event.Event {
	ev := &event.Event{Time: t0.Add(at), Format: "zeek.conn", Kind: event.KindConnection, SrcIP: src, SrcPort: 50123, DstIP: dst, DstPort: 445,
		Transport: "tcp", Label: state, Ref: event.Ref{File: "/conn.log", Offset: int64(at) + 1}}
	if state == "SF" {
		ev.BytesOut, ev.BytesIn = 300_000, 14_000
	}
	return ev
}

func TestCrossEPChain(t *testing.T) {
	delivery := fire(0, "M-DOUBLE-EXT", pc1, "invoice.pdf.exe")
	cases := map[string]struct {
		evs   []*event.Event
		fires bool
	}{
		"foothold, SMB to B, B alerts": {[]*event.Event{delivery, smb(time.Hour, pc1, pc2, "SF"), fire(time.Hour+time.Minute, "M-DDNS", pc2, "mail-sync.hopto.org")}, true},
		"over a remote service call": {[]*event.Event{delivery,
			{Time: t0.Add(time.Hour), Format: "zeek.dce_rpc", Kind: event.KindRPC, SrcIP: pc1, DstIP: pc2, DstPort: 445, Service: "svcctl", Method: "CreateServiceW"},
			fire(time.Hour+time.Minute, "M-IOC-DOMAIN", pc2, "kx7-update.duckdns.org")}, true},
		"contact before the foothold": {[]*event.Event{smb(-time.Hour, pc1, pc2, "SF"), delivery, fire(time.Minute, "M-DDNS", pc2, "mail-sync.hopto.org")}, false},
		"B's alert began before the contact": {[]*event.Event{delivery, fire(10*time.Minute, "M-DDNS", pc2, "mail-sync.hopto.org"),
			smb(time.Hour, pc1, pc2, "SF"), fire(time.Hour+time.Minute, "M-DDNS", pc2, "mail-sync.hopto.org")}, false},
		"a probe that got no answer": {[]*event.Event{delivery, smb(time.Hour, pc1, pc2, "S0"), fire(time.Hour+time.Minute, "M-DDNS", pc2, "x.hopto.org")}, false},
		"ordinary web traffic to an internal server": {[]*event.Event{delivery,
			{Time: t0.Add(time.Hour), Format: "zeek.conn", Kind: event.KindConnection, SrcIP: pc1, DstIP: pc2, DstPort: 8080, Label: "SF", BytesOut: 500, BytesIn: 9000},
			fire(time.Hour+time.Minute, "M-DDNS", pc2, "x.hopto.org")}, false},
		"no delivery or foothold on A": {[]*event.Event{fire(0, "S-BEACON", pc1, "kx7-update.duckdns.org"), smb(time.Hour, pc1, pc2, "SF"),
			fire(time.Hour+time.Minute, "M-DDNS", pc2, "x.hopto.org")}, false},
		"B's alert too long after": {[]*event.Event{delivery, smb(time.Hour, pc1, pc2, "SF"), fire(26*time.Hour, "M-DDNS", pc2, "x.hopto.org")}, false},
		"B's low alert":            {[]*event.Event{delivery, smb(time.Hour, pc1, pc2, "SF"), fire(time.Hour+time.Minute, "N-APP", pc2, "curl/8")}, false},
	}
	for name, c := range cases {
		env := testEnv(t)
		as := only(feed(t, env, engine(t, env, nil), c.evs...), RuleCrossEP)
		if !c.fires {
			if len(as) != 0 {
				t.Errorf("%s: fired: %s", name, as[0].Summary)
			}
			continue
		}
		if len(as) != 1 {
			t.Errorf("%s: %d alerts", name, len(as))
			continue
		}
		a := as[0]
		if a.Endpoint != pc2.String() || a.Peer != pc1.String() || a.Key != "chain:"+pc1.String() || a.Severity < alert.High {
			t.Errorf("%s: %+v", name, a)
		}
		if !mentions(a.Summary, "pc-021 (10.0.10.21) had delivery or foothold alerts (② M-DOUBLE-EXT)", "reached pc-022 (10.0.10.22) over", "pc-022 then raised") ||
			a.Details["summary_ja"] == "" || len(a.Evidence) != 3 {
			t.Errorf("%s: %q (%d evidence)", name, a.Summary, len(a.Evidence))
		}
	}
}

func TestCrossEPCampaign(t *testing.T) {
	const c2 = "kx7-update.duckdns.org"
	// office: 20 endpoints that all reach the usual sites, and a few
	// that use one tenant of a shared file-sharing service.
	office := func() []*event.Event {
		var evs []*event.Event
		for i := range 20 {
			ep := netip.AddrFrom4([4]byte{10, 0, 10, byte(30 + i)})
			evs = append(evs,
				&event.Event{Time: t0.Add(-time.Hour), Format: "dnsmasq", Kind: event.KindDNS, SrcIP: ep, Query: "www.popular.example", Label: "query"},
				&event.Event{Time: t0.Add(-time.Hour), Format: "dnsmasq", Kind: event.KindDNS, SrcIP: ep, Query: "corp.app.box.com", Label: "query"})
		}
		for _, ep := range []netip.Addr{pc1, pc2} {
			evs = append(evs, &event.Event{Time: t0.Add(-time.Hour), Format: "dnsmasq", Kind: event.KindDNS, SrcIP: ep, Query: "www.popular.example", Label: "query"})
		}
		return evs
	}
	withOffice := func(evs ...*event.Event) []*event.Event { return append(office(), evs...) }
	cases := map[string]struct {
		evs  []*event.Event
		dest string // "": silent
	}{
		"two endpoints on one rare C2":                 {withOffice(fire(0, "M-IOC-DOMAIN", pc1, c2), fire(10*time.Hour, "M-IOC-DOMAIN", pc2, c2)), c2},
		"an ip:port peer":                              {withOffice(fire(0, "S-BEACON", pc1, "203.0.113.80:8443"), fire(time.Hour, "M-DDNS", pc2, "203.0.113.80:443")), "203.0.113.80"},
		"one tenant of a shared service, by full name": {withOffice(fire(0, "S-BYTES-OUT", pc1, "evil-drop.app.box.com"), fire(time.Hour, "S-BYTES-OUT", pc2, "evil-drop.app.box.com")), "evil-drop.app.box.com"},
		"a destination most endpoints reach":           {withOffice(fire(0, "N-CONNECT-PORT", pc1, "www.popular.example"), fire(time.Hour, "N-CONNECT-PORT", pc2, "www.popular.example")), ""},
		"the shared tenant everyone uses":              {withOffice(fire(0, "S-BYTES-OUT", pc1, "corp.app.box.com"), fire(time.Hour, "S-BYTES-OUT", pc2, "corp.app.box.com")), ""},
		"one endpoint only":                            {withOffice(fire(0, "M-IOC-DOMAIN", pc1, c2), fire(time.Hour, "M-DDNS", pc1, c2)), ""},
		"more than a day apart":                        {withOffice(fire(0, "M-IOC-DOMAIN", pc1, c2), fire(30*time.Hour, "M-IOC-DOMAIN", pc2, c2)), ""},
		"internal peers are not destinations":          {withOffice(fire(0, "M-PSEXEC", pc1, pc3.String()), fire(time.Hour, "M-PSEXEC", pc2, pc3.String())), ""},
	}
	for name, c := range cases {
		env := testEnv(t)
		as := only(feed(t, env, engine(t, env, nil), c.evs...), RuleCrossEP)
		if c.dest == "" {
			if len(as) != 0 {
				t.Errorf("%s: fired: %s", name, as[0].Summary)
			}
			continue
		}
		eps := map[string]alert.Alert{}
		for _, a := range as {
			eps[a.Endpoint] = a
		}
		if len(as) != 2 || eps[pc1.String()].Key != "campaign" || eps[pc2.String()].Peer != c.dest {
			t.Errorf("%s: %d alerts %+v", name, len(as), as)
			continue
		}
		if a := eps[pc1.String()]; a.Count != 2 || !mentions(a.Summary, "2 endpoints", c.dest, "pc-021 (", "pc-022 (", "One campaign") || a.Details["summary_ja"] == "" {
			t.Errorf("%s: count %d summary %q", name, a.Count, a.Summary)
		}
	}
}

// Endpoints that share several rare destinations get one campaign row each,
// naming every destination, not one row per destination.
func TestCrossEPCampaignOneRowPerEndpoint(t *testing.T) {
	const c2, drop = "kx7-update.duckdns.org", "mail-sync.hopto.org"
	var evs []*event.Event
	for i := range 20 {
		ep := netip.AddrFrom4([4]byte{10, 0, 10, byte(30 + i)})
		evs = append(evs, &event.Event{Time: t0.Add(-time.Hour), Format: "dnsmasq", Kind: event.KindDNS, SrcIP: ep, Query: "www.popular.example", Label: "query"})
	}
	evs = append(evs,
		fire(0, "M-IOC-DOMAIN", pc1, c2), fire(time.Hour, "M-DDNS", pc1, drop),
		fire(2*time.Hour, "M-IOC-DOMAIN", pc2, c2), fire(3*time.Hour, "M-DDNS", pc2, drop))
	env := testEnv(t)
	as := only(feed(t, env, engine(t, env, nil), evs...), RuleCrossEP)
	if len(as) != 2 {
		for _, a := range as {
			t.Logf("%s %s %s", a.Endpoint, a.Key, a.Summary)
		}
		t.Fatalf("%d campaign alerts, want one per endpoint (2)", len(as))
	}
	for _, a := range as {
		if a.Count != 2 || a.Peer != c2 || !mentions(a.Summary, "2 rare destinations", c2, drop, "pc-021 (", "pc-022 (") {
			t.Errorf("%s: count %d peer %s summary %q", a.Endpoint, a.Count, a.Peer, a.Summary)
		}
	}
}

// TestStateIsBounded feeds alerts of many distinct endpoints and
// destinations: every rule's state must stay at its caps.
func TestStateIsBounded(t *testing.T) {
	env := testEnv(t)
	kc := newKillChain(detect.Params{}, env).(*killChain)
	se := newSameEP(detect.Params{}, env).(*sameEP)
	ce := newCrossEP(detect.Params{}, env).(*crossEP)
	em := detect.NewEmitter("x")
	for i := range 30_000 {
		ep := netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}).String()
		at := t0.Add(time.Duration(i) * time.Second)
		for j, rule := range []string{"M-DOUBLE-EXT", "S-BEACON", "N-APP"} {
			a := &alert.Alert{ID: fmt.Sprint(i, j), Rule: rule, Endpoint: ep, Peer: fmt.Sprintf("d%d.example", i), Phase: 2 + j,
				Severity: alert.High, FirstSeen: at, LastSeen: at, Perspective: alert.Matching, Basis: alert.KnownAttack}
			if rule == "S-BEACON" {
				a.Perspective = alert.Statistical
			}
			kc.ObserveAlert(a, em)
			se.ObserveAlert(a, em)
			ce.ObserveAlert(a, em)
		}
		ce.Observe(&event.Event{Time: at, Kind: event.KindConnection, SrcIP: netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}),
			DstIP: pc2, DstPort: 445, Label: "SF", Format: "zeek.conn", BytesOut: 1}, em)
		em.Findings()
	}
	// one endpoint with a week of distinct alerts
	for i := range 5000 {
		at := t0.Add(time.Duration(i) * time.Minute)
		a := &alert.Alert{ID: fmt.Sprint("one", i), Rule: "M-IOC-DOMAIN", Endpoint: pc1.String(), Peer: fmt.Sprintf("n%d.example", i), Phase: 1 + i%6,
			Severity: alert.High, FirstSeen: at, LastSeen: at, Perspective: alert.Matching}
		kc.ObserveAlert(a, em)
		em.Findings()
	}
	st, _ := kc.eps.Peek(pc1.String())
	for name, n := range map[string]int{"killchain endpoints": kc.eps.Len(), "same-ep endpoints": se.eps.Len(),
		"footholds": ce.footholds.Len(), "contacts": ce.contacts.Len()} {
		if n > maxEndpoints {
			t.Errorf("%s: %d (cap %d)", name, n, maxEndpoints)
		}
	}
	if ce.dests.Len() > maxDests || len(st.occs) > maxOccurrences {
		t.Errorf("destinations %d, occurrences %d", ce.dests.Len(), len(st.occs))
	}
}

func mentions(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// BenchmarkObserve is C-CROSS-EP's per-event cost on ordinary traffic, with
// a foothold known (the slow path: every internal connection is checked).
func BenchmarkObserve(b *testing.B) {
	env := testEnv(b)
	d := newCrossEP(detect.Params{}, env).(*crossEP)
	em := detect.NewEmitter(RuleCrossEP)
	d.ObserveAlert(&alert.Alert{ID: "x", Rule: "M-DOUBLE-EXT", Endpoint: pc1.String(), Phase: 2, Severity: alert.High,
		FirstSeen: t0, LastSeen: t0, Perspective: alert.Matching}, em)
	evs := []*event.Event{
		{Time: t0.Add(time.Minute), Kind: event.KindConnection, Format: "zeek.conn", SrcIP: pc2, DstIP: ip("203.0.113.5"), DstPort: 443, Label: "SF", BytesOut: 1},
		{Time: t0.Add(time.Minute), Kind: event.KindConnection, Format: "zeek.conn", SrcIP: pc1, DstIP: pc3, DstPort: 8080, Label: "SF", BytesOut: 1},
		{Time: t0.Add(time.Minute), Kind: event.KindDNS, Format: "dnsmasq", SrcIP: pc1, Endpoint: pc1, Query: "www.example.co.jp"},
		{Time: t0.Add(time.Minute), Kind: event.KindHTTP, Format: "squid", SrcIP: pc2, Endpoint: pc2, Domain: "login.example.com"},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d.Observe(evs[i%len(evs)], em)
	}
}

// BenchmarkObserveAlert is the composite rules' cost per alert update on
// an endpoint with fifty alerts in the window.
func BenchmarkObserveAlert(b *testing.B) {
	env := testEnv(b)
	rules := []detect.AlertObserver{
		newKillChain(detect.Params{}, env).(*killChain), newSameEP(detect.Params{}, env).(*sameEP), newCrossEP(detect.Params{}, env).(*crossEP),
	}
	var as []*alert.Alert
	for i := range 50 {
		as = append(as, &alert.Alert{ID: fmt.Sprint(i), Rule: scriptedRules[i%len(scriptedRules)], Endpoint: pc1.String(), Peer: fmt.Sprintf("d%d.example", i),
			Phase: 1 + i%6, Severity: alert.Medium, FirstSeen: t0, Perspective: alert.Matching, Basis: alert.NormalBusiness,
			Evidence: []alert.Evidence{{Time: t0, File: "/x", Raw: "x"}}})
	}
	em := detect.NewEmitter("bench")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a := as[i%len(as)]
		a.LastSeen = t0.Add(time.Duration(i) * time.Second)
		for _, r := range rules {
			r.ObserveAlert(a, em)
		}
		if i%1000 == 0 {
			em.Findings()
		}
	}
}

// BenchmarkObserveAlertNoise is the same on an endpoint whose alerts are
// all of one phase (a public server under the internet's scans).
func BenchmarkObserveAlertNoise(b *testing.B) {
	env := testEnv(b)
	rules := []detect.AlertObserver{
		newKillChain(detect.Params{}, env).(*killChain), newSameEP(detect.Params{}, env).(*sameEP), newCrossEP(detect.Params{}, env).(*crossEP),
	}
	var as []*alert.Alert
	for i := range 50 {
		as = append(as, &alert.Alert{ID: fmt.Sprint(i), Rule: "M-IDS", Endpoint: pc1.String(), Peer: fmt.Sprintf("198.51.100.%d", i),
			Phase: 1, Severity: alert.Low, FirstSeen: t0, Perspective: alert.Matching, Basis: alert.KnownAttack})
	}
	em := detect.NewEmitter("bench")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a := as[i%len(as)]
		a.LastSeen = t0.Add(time.Duration(i) * time.Second)
		for _, r := range rules {
			r.ObserveAlert(a, em)
		}
	}
}
