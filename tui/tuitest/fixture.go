package tuitest

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
)

// Victim is the fixture's attacked endpoint, pc-23.
var Victim = netip.MustParseAddr("10.0.10.23")

// Fixture builds a backend with a small attack story: 20 hours of the
// victim's events in a real store in a temporary directory (a beacon
// every ten minutes, some DNS), four alerts (the kill chain, the beacon,
// the delivery, and a brute force on the file server), an inventory,
// source statistics, and incident handling with the demo's actuators,
// audited as "analyst" at Now.
func Fixture(t testing.TB) *backendtest.Fake {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	t0 := Now.Add(-20 * time.Hour)
	var evs []event.Event
	for i := range 120 {
		tm := t0.Add(time.Duration(i) * 10 * time.Minute)
		raw := fmt.Sprintf("%d.000 120 10.0.10.23 TCP_TUNNEL/200 4100 CONNECT cdn-update.duckdns.org:8443 - HIER_DIRECT/203.0.113.50 -", tm.Unix())
		evs = append(evs, event.Event{Time: tm, Format: "squid", Kind: event.KindHTTP, Endpoint: Victim, Host: "pc-23", SrcIP: Victim,
			DstIP: netip.MustParseAddr("203.0.113.50"), DstPort: 8443, Method: "CONNECT", Domain: "cdn-update.duckdns.org", URL: "cdn-update.duckdns.org:8443",
			Status: 200, BytesIn: 4100, Ref: event.Ref{File: "/var/log/squid/access.log", Offset: int64(i * 200)}, Raw: raw})
		if i%7 == 0 {
			evs = append(evs, event.Event{Time: tm.Add(time.Second), Format: "dnsmasq", Kind: event.KindDNS, Endpoint: Victim, Host: "pc-23", SrcIP: Victim,
				Query: "www.nhk.or.jp", QType: "A", RCode: "NOERROR", Answers: []string{"23.10.1.2"}, Ref: event.Ref{File: "/var/log/dnsmasq.log", Offset: int64(i * 80)}, Raw: fmt.Sprintf("dns line %d", i)})
		}
	}
	if err := st.PutEvents(evs); err != nil {
		t.Fatal(err)
	}
	ev := func(i int) alert.Evidence {
		return alert.Evidence{Time: evs[i].Time, File: evs[i].Ref.File, Offset: evs[i].Ref.Offset, Raw: evs[i].Raw}
	}
	as := []alert.Alert{
		{ID: "a1", Time: t0.Add(4 * time.Hour), FirstSeen: t0, LastSeen: Now.Add(-time.Hour), Rule: "S-BEACON", Title: "Beaconing", Perspective: alert.Statistical, Basis: alert.KnownAttack,
			Phase: 5, Attack: []string{"T1071.001"}, Endpoint: "10.0.10.23", Host: "pc-23", Peer: "cdn-update.duckdns.org", Severity: alert.High, Score: 0.92, Count: 96,
			Summary: "beacon every 300 s ±4 %, 96 times over 8 h to cdn-update.duckdns.org, seen from 1 of 20 endpoints", Evidence: []alert.Evidence{ev(0), ev(1)},
			Details: map[string]string{"interval_s": "300", "severity_reason": "base medium; score 0.92 +1"}},
		{ID: "a2", Time: t0.Add(time.Hour), FirstSeen: t0.Add(time.Hour), LastSeen: t0.Add(time.Hour), Rule: "M-DOUBLE-EXT", Title: "Double extension", Perspective: alert.Matching, Basis: alert.KnownAttack,
			Phase: 2, Endpoint: "10.0.10.23", Host: "pc-23", Peer: "files.example-share.net", Severity: alert.Medium, Score: 0.8, Count: 1, Summary: "download of invoice_0423.doc.exe"},
		{ID: "a3", Time: Now.Add(-2 * time.Hour), FirstSeen: Now.Add(-2 * time.Hour), LastSeen: Now.Add(-2 * time.Hour), Rule: "C-KILLCHAIN", Title: "Kill chain", Perspective: alert.Composite, Basis: alert.KnownAttack,
			Phase: 6, Endpoint: "10.0.10.23", Host: "pc-23", Severity: alert.Critical, Score: 1, Count: 4, Summary: "phases 2 → 3 → 5 → 6 on pc-23"},
		{ID: "a4", Time: Now.Add(-3 * time.Hour), FirstSeen: Now.Add(-3 * time.Hour), LastSeen: Now.Add(-3 * time.Hour), Rule: "S-ERRORS", Title: "Errors", Perspective: alert.Statistical, Basis: alert.KnownAttack,
			Phase: 4, Endpoint: "10.0.20.10", Host: "fs01", Peer: "10.0.10.23", Severity: alert.Low, Score: 0.5, Count: 62, Summary: "62 failed SSH logins for 9 users in 4 min"},
	}
	inv := asset.NewInventory([]asset.Asset{
		{Prefix: netip.MustParsePrefix("10.0.10.23/32"), Host: "pc-23", Segment: "office", Role: "PC", Owner: "tanaka"},
		{Prefix: netip.MustParsePrefix("10.0.20.10/32"), Host: "fs01", Segment: "servers", Role: "file server"},
	})
	f := &backendtest.Fake{Cat: cat, Store: st, Inventory: inv, Loc: Zone, Now: func() time.Time { return Now },
		Sums: []store.EndpointSummary{
			{ID: "10.0.10.23", Host: "pc-23", FirstSeen: t0, LastSeen: Now, Events: int64(len(evs))},
			{ID: "10.0.20.10", Host: "fs01", FirstSeen: t0, LastSeen: Now, Events: 900},
			{ID: "10.0.10.5", Host: "pc-05", FirstSeen: t0, LastSeen: Now, Events: 300},
		},
		St: backend.Status{Live: true, StoreSize: 42 << 20, Learned: true, Sources: []ingest.SourceStats{
			{Path: "/var/log/squid/access.log", Format: "squid", State: ingest.StateFollowing, Lines: 1200, Events: 1190, Rejected: 10, ByReason: map[string]int64{"bad timestamp": 10},
				Samples: []ingest.Sample{{Reason: "bad timestamp", Offset: 4096, Line: "garbage line"}}, Offset: 90000, Size: 90000, Rate: 12},
			{Path: "/var/log/syslog", Format: "syslog", State: ingest.StateWaiting, Reason: "the file does not exist (yet)"},
		}},
	}
	f.SetAlerts(as)
	if err := f.EnableHandling(backendtest.HandlingOptions{
		Now: func() time.Time { return Now }, User: "analyst", Location: Zone,
		Actuators: containment.DemoActuators(cat),
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

// Incident opens the fixture's incident on the kill chain (with the
// victim's three alerts) and works on it: the first item of phase A done
// with a note, the second skipped, the intrusion route written, the
// victim's address blocked with the demo's actuator. It returns the
// incident's id.
func Incident(t testing.TB, be *backendtest.Fake) string {
	t.Helper()
	ctx := context.Background()
	inc, err := be.IM.Open(ctx, incident.Request{Alerts: []string{"a3"}})
	if err != nil {
		t.Fatal(err)
	}
	cl := be.IM.Checklist(&inc)
	var items []string
	for _, r := range cl.Phases[0].Roles {
		for _, it := range r.Items {
			items = append(items, it.Action.ID)
		}
	}
	for i, mk := range []incident.Mark{{State: incident.Done, Note: "told tanaka"}, {State: incident.Skipped, Note: "no vendor"}} {
		mk.Action = items[i]
		if _, err := be.IM.Check(ctx, inc.ID, mk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := be.IM.SetFinding(ctx, inc.ID, "intrusion-route", "invoice_0423.doc.exe from files.example-share.net, opened on pc-23", ""); err != nil {
		t.Fatal(err)
	}
	opts, err := be.CM.Offer(ctx, containment.Selection{Incident: inc.ID, Alerts: []alert.Alert{alertOf(t, be, "a3")}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range opts {
		if opts[i].Measure.ID != "endpoint.block-ip" {
			continue
		}
		p, err := be.CM.Plan(ctx, inc.ID, opts[i].Measure.ID, opts[i].Values())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := be.CM.Run(ctx, p, containment.Confirmation{Text: p.Confirm}); err != nil {
			t.Fatal(err)
		}
		return inc.ID
	}
	t.Fatal("the block measure is not offered")
	return ""
}

func alertOf(t testing.TB, be *backendtest.Fake, id string) alert.Alert {
	t.Helper()
	as, err := be.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no alert %s", id)
	return alert.Alert{}
}
