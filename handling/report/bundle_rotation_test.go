package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
	"github.com/mamori-soc/mamori/store"
)

// After a rotation the new access.log starts again at offset 0: the old
// file's lines and the new file's share file name and offsets. The bundle
// holds every one of them once (keyed as the store keys events), and the
// evidence lines of both files are marked as alert lines.
func TestEvidenceBundleKeepsLinesOfRotatedFilesSharingOffsets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := audit.Open(st, audit.Options{User: "yamada"})
	defer log.Close()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	im := incident.New(st, log, cat, incident.Options{})

	const perFile = 300
	const file = "/var/log/squid/access.log"
	ep := netip.MustParseAddr("10.0.10.24")
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var evs []event.Event
	var evidence []alert.Evidence
	for gen := range 2 { // the rotated file, then the new one
		off := int64(0)
		for i := range perFile {
			n := gen*perFile + i
			at := t0.Add(time.Duration(n) * time.Second)
			raw := fmt.Sprintf("%d.%03d %5d %s TCP_MISS/200 %5d GET http://example.com/page%04d - HIER_DIRECT/93.184.216.34 text/html",
				at.Unix(), 0, 10+i%7, ep, 1000+n, n)
			ev := event.Event{Time: at, Format: "squid", Kind: event.KindHTTP, Endpoint: ep, SrcIP: ep,
				Ref: event.Ref{File: file, Offset: off}, Raw: raw}
			evs = append(evs, ev)
			if i == 0 { // the first line of each file: same file, same offset 0
				evidence = append(evidence, alert.Evidence{Time: at, File: file, Offset: off, Raw: raw})
			}
			off += int64(len(raw)) + 1
		}
	}
	if err := st.PutEvents(evs); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountEvents(ctx, time.Time{}, time.Time{}); n != 2*perFile {
		t.Fatalf("the store holds %d events, want %d", n, 2*perFile)
	}
	a := alert.Alert{Rule: "S-BEACON", Title: "beacon", Endpoint: ep.String(), Severity: alert.High,
		Time: t0, FirstSeen: t0, LastSeen: t0.Add(2 * perFile * time.Second), Count: 2, Evidence: evidence}
	a.ID = alert.MakeID(a.Rule, a.Endpoint, "", t0)
	if err := st.PutAlerts([]alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	inc, err := im.Open(ctx, incident.Request{Alerts: []string{a.ID}, Title: "rotation"})
	if err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "evidence.tar.gz")
	res, err := export.Evidence(ctx, im, nil, st, inc.ID, out, export.EvidenceOptions{BundleOptions: report.BundleOptions{Window: 10 * time.Minute, Now: t0.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	files := readArchive(t, out)
	var man report.Manifest
	if err := json.Unmarshal(files[inc.ID+"/manifest.json"], &man); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(files[inc.ID+"/logs/var/log/squid/access.log"]), "\n"), "\n")
	seen := map[string]int{}
	for _, l := range got {
		seen[l]++
	}
	for _, ev := range evs {
		if seen[ev.Raw] != 1 {
			t.Errorf("line at offset %d is in the bundle %d times, want once: %q", ev.Ref.Offset, seen[ev.Raw], ev.Raw)
		}
	}
	if len(got) != 2*perFile || man.Counts.Lines != 2*perFile || res.Bundle.Counts.Lines != 2*perFile {
		t.Errorf("the bundle holds %d lines (manifest: %d), want %d", len(got), man.Counts.Lines, 2*perFile)
	}
	if man.Counts.AlertLines != 2 || man.Counts.ContextLines != 2*perFile-2 {
		t.Errorf("alert lines %d, context lines %d: want both files' evidence line (2) and the rest", man.Counts.AlertLines, man.Counts.ContextLines)
	}
}
