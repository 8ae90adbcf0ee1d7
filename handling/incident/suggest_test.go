package incident_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/app/apptest"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/incident"
)

func TestSuggestOnDemo(t *testing.T) {
	ctx := context.Background()
	d := apptest.NewDemo(t, apptest.Options{})
	a := d.App
	log := audit.Open(a.Store, audit.Options{Mirror: a.Config.AuditFile, User: "yamada"})
	defer log.Close()
	m := incident.New(a.Store, log, a.Catalog, incident.Options{Networks: a.Networks, Inventory: a.Inventory, Location: a.Env.Location})

	victim := d.Scenario.Victim
	inc, err := m.Open(ctx, incident.Request{Endpoints: []string{victim.IP.String()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Alerts) == 0 {
		t.Fatal("no alert attached to the victim's incident")
	}
	// The lateral chain's alerts are on a peer: adding it attaches them.
	lateral := d.Step(t, "lateral-c2")
	before := len(inc.Alerts)
	if inc, err = m.AddEndpoints(ctx, inc.ID, []string{lateral.Endpoint.String()}, ""); err != nil {
		t.Fatal(err)
	}
	if len(inc.Alerts) <= before {
		t.Fatalf("adding the peer attached none of its alerts: %v", inc.Alerts)
	}
	if got, err := m.AttachStored(ctx); err != nil || len(got) != 0 {
		t.Fatalf("attaching again after adding the peer: %+v %v", got, err)
	}
	if inc, err = m.Get(ctx, inc.ID); err != nil {
		t.Fatal(err)
	}
	sgs, err := m.Suggest(ctx, &inc)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]string{}
	for _, s := range sgs {
		by[s.Finding] = append(by[s.Finding], s.Text)
		t.Logf("%-15s %s", s.Finding, s.Text)
		if strings.ContainsAny(s.Text, "\x1b\n\r") {
			t.Errorf("suggestion text not sanitised: %q", s.Text)
		}
	}
	delivery, foothold := d.Step(t, "delivery"), d.Step(t, "foothold")
	exfil := d.Step(t, "exfiltration")
	peers := d.Scenario.Peers
	for name, tc := range map[string]struct {
		finding string
		want    []string
	}{
		"delivery URL and file": {catalog.FindingIntrusionRoute, []string{"delivery:", delivery.Domain, ".pdf.exe", victim.Host}},
		"foothold download":     {catalog.FindingIntrusionRoute, []string{"foothold:", "http://" + foothold.Peer.String() + "/update.exe"}},
		"spread to peer A":      {catalog.FindingSpread, []string{victim.Host, "→ " + peers[0].Host, "M-PSEXEC"}},
		"spread to peer B":      {catalog.FindingSpread, []string{victim.Host + " (", peers[1].Host + " (", "N-LAN-EXE", "M-PSEXEC"}},
		"upload volume alert":   {catalog.FindingExfiltration, []string{"→ " + exfil.Domain + " (" + exfil.Peer.String() + ")", "S-BYTES-OUT"}},
		"largest transfer":      {catalog.FindingExfiltration, []string{"sent", "MB to " + exfil.Domain + " via proxy01"}},
		"affected endpoints":    {catalog.FindingRecovery, []string{"affected endpoints:", victim.Host, peers[0].Host, peers[1].Host, "fs01"}},
		"service on peer":       {catalog.FindingRecovery, []string{"service created on " + peers[0].Host}},
		"account guessed":       {catalog.FindingRecovery, []string{"account backup used", "to fs01"}},
	} {
		t.Run(name, func(t *testing.T) {
			for _, text := range by[tc.finding] {
				if containsAll(text, tc.want) {
					return
				}
			}
			t.Errorf("no %s suggestion holds all of %q", tc.finding, tc.want)
		})
	}
	// Suggestions never overwrite what people wrote.
	if len(inc.Findings) != 0 {
		t.Errorf("suggesting wrote findings: %+v", inc.Findings)
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
