package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/handling/incident"
)

// dnsLine is a dnsmasq query line at t for a name from an endpoint.
func dnsLine(t time.Time, name, from string) string {
	return fmt.Sprintf("%s gw dnsmasq[812]: query[A] %s from %s\n", t.Format(time.Stamp), name, from)
}

// TestLiveAttachesWithoutConsole: with no console at all (as --headless
// runs), a new alert of an open incident's endpoint attaches to it.
func TestLiveAttachesWithoutConsole(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "dnsmasq.log")
	now := time.Now()
	if err := os.WriteFile(logPath, []byte(dnsLine(now, "www.example.com", "10.0.10.7")), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir)
	cfg.Sources = []config.Source{{Path: logPath, Format: "dnsmasq"}}
	a, err := Open(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(t.Context())
	inc, err := a.Incidents.Open(ctx, incident.Request{Endpoints: []string{"10.0.10.7"}, Title: "pc-007"})
	if err != nil {
		t.Fatal(err)
	}
	changes := a.Incidents.Changes(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Live(ctx, a.Sources(), nil) }()
	defer func() { cancel(); <-done }()

	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(dnsLine(now, "c2.duckdns.org", "10.0.10.7")); err != nil {
		t.Fatal(err)
	}
	// A generous deadline only turns a hang into a failure; the test waits
	// on the change feed, not on the clock.
	giveUp := time.After(2 * time.Minute)
	for {
		var batch []incident.Change
		select {
		case batch = <-changes:
		case <-giveUp:
			t.Fatal("no alert attached to the incident within 2 minutes")
		}
		for _, c := range batch {
			if c.Incident == inc.ID && c.Action == "alerts attached" {
				got, err := a.Incidents.Get(ctx, inc.ID)
				if err != nil || len(got.Alerts) == 0 {
					t.Fatalf("incident after the attachment: %+v %v", got, err)
				}
				as, err := a.Alerts(true)
				if err != nil {
					t.Fatal(err)
				}
				for _, al := range as {
					if al.ID == got.Alerts[0] && al.Incident != inc.ID {
						t.Errorf("alert %s is shown in incident %q, want %s", al.ID, al.Incident, inc.ID)
					}
				}
				return
			}
		}
	}
}

// TestScanAttachesToOpenIncident: a batch scan attaches what it raises on
// an open incident's endpoints, as the live application does.
func TestScanAttachesToOpenIncident(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "dnsmasq.log")
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.Local)
	if err := os.WriteFile(logPath, []byte(dnsLine(t0, "www.example.com", "10.0.10.7")), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir)
	a, err := Open(cfg, Options{Year: 2026})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	if _, err := a.Scan(ctx, []string{logPath}, nil); err != nil {
		t.Fatal(err)
	}
	inc, err := a.Incidents.Open(ctx, incident.Request{Endpoints: []string{"10.0.10.7"}, Title: "pc-007"})
	if err != nil {
		t.Fatal(err)
	}
	more := filepath.Join(dir, "dnsmasq.2.log")
	if err := os.WriteFile(more, []byte(dnsLine(t0.Add(time.Minute), "c2.duckdns.org", "10.0.10.7")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Scan(ctx, []string{more}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := a.Incidents.Get(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Alerts) == 0 {
		t.Fatalf("the scan's alert on 10.0.10.7 did not attach to %s", inc.ID)
	}
}
