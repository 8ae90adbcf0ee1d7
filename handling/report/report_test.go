package report_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/app/apptest"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/handling/report"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
)

// scene is the demo with an incident worked on: checklist items, a
// finding, a containment measure run (demo actuator) and one done by hand.
type scene struct {
	d   *apptest.Demo
	log *audit.Log
	im  *incident.Manager
	inc incident.Incident
}

func newScene(t *testing.T) *scene {
	t.Helper()
	ctx := context.Background()
	d := apptest.NewDemo(t, apptest.Options{})
	a := d.App
	log := audit.Open(a.Store, audit.Options{Mirror: a.Config.AuditFile, User: "yamada"})
	t.Cleanup(func() { log.Close() })
	im := incident.New(a.Store, log, a.Catalog, incident.Options{Networks: a.Networks, Inventory: a.Inventory, Location: a.Env.Location})
	victim := d.Scenario.Victim
	inc, err := im.Open(ctx, incident.Request{Endpoints: []string{victim.IP.String()}, Title: "Targeted attack on " + victim.Host})
	if err != nil {
		t.Fatal(err)
	}
	for _, mk := range []incident.Mark{
		{Action: "A.it-admin.triage", State: incident.Done, Note: "proxy log shows the beacon"},
		{Action: "A.user.report", State: incident.Skipped, Note: "found by mamori, not by the user"},
	} {
		if inc, err = im.Check(ctx, inc.ID, mk); err != nil {
			t.Fatal(err)
		}
	}
	if inc, err = im.SetFinding(ctx, inc.ID, catalog.FindingIntrusionRoute, "Mail link to a fake invoice <b>PDF</b>\nopened by the user", "sato"); err != nil {
		t.Fatal(err)
	}
	cm, err := containment.New(containment.Options{Catalog: a.Catalog, Audit: log, Networks: a.Networks, Inventory: a.Inventory,
		Endpoints: a.Store, Events: a.Store, Actuators: containment.DemoActuators(a.Catalog)})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []struct {
		measure string
		params  map[string]string
		confirm string
	}{
		{"endpoint.block-ip", map[string]string{"ip": victim.IP.String()}, victim.IP.String()},
		{"endpoint.warn", map[string]string{"host": victim.Host}, victim.Host},
	} {
		p, err := cm.Plan(ctx, inc.ID, run.measure, run.params)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cm.Run(ctx, p, containment.Confirmation{Text: run.confirm, Note: "on-call decision"}); err != nil {
			t.Fatal(err)
		}
	}
	return &scene{d: d, log: log, im: im, inc: inc}
}

func TestReport(t *testing.T) {
	ctx := context.Background()
	s := newScene(t)
	victim := s.d.Scenario.Victim
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	r, err := report.Build(ctx, s.im, s.log, s.inc.ID, report.Options{Now: now, Version: "v0.test", Inventory: s.d.App.Inventory})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	text := md.String()
	if testing.Verbose() {
		t.Log("\n" + text)
	}
	delivery := s.d.Step(t, "delivery")
	iso, _ := s.d.App.Catalog.Measure("endpoint.block-ip")
	for name, want := range map[string]string{
		"title":              "# Incident " + s.inc.ID + ": Targeted attack on " + victim.Host,
		"generated":          "generated 2026-03-04 21:00:00 by yamada with mamori v0.test; times are JST (+09:00)",
		"endpoint":           victim.Host + " (" + victim.IP.String() + "), office, pc,",
		"phases":             "Attack phases reached: 2 ",
		"alert in timeline":  "ALERT " + alertOf(t, s, "M-DOUBLE-EXT").Severity.String() + " M-DOUBLE-EXT on " + victim.Host,
		"local time":         delivery.Time.In(s.d.App.Env.Location).Format("2006-01-02 15:04"),
		"raw evidence line":  "      " + sanitize.Line(firstRaw(t, s, "M-DOUBLE-EXT")),
		"written finding":    "> Mail link to a fake invoice \\<b\\>PDF\\</b\\>\n> opened by the user",
		"suggestion":         "- (suggested) delivery: ",
		"checked item":       "- [x] A.it-admin.triage (",
		"skipped item":       "- [-] A.user.report (",
		"check note":         "done by yamada, ",
		"open item":          "- [ ] B.",
		"containment run":    "(endpoint.block-ip) — succeeded",
		"demo command":       "echo 'mamori demo: a real gateway would run:' nft add element inet mamori isolated_ip '{ " + victim.IP.String() + " }'",
		"ratings":            fmt.Sprintf("- Protects confidentiality %s (%d), integrity ", level(s, iso.Protects.C), iso.Protects.C),
		"cost":               fmt.Sprintf("- Business cost: %s (%d); evidence: ", costLevel(s, iso.Cost.Availability), iso.Cost.Availability),
		"output":             "mamori demo: a real gateway would run: nft add element inet mamori isolated_ip { " + victim.IP.String() + " }",
		"manual measure":     "(endpoint.warn) — done by hand",
		"audit trail":        "yamada: containment started endpoint.block-ip",
		"timeline of action": "containment succeeded: ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("%s: the Markdown lacks %q", name, want)
		}
	}
	if strings.ContainsAny(text, "\x1b\x00") {
		t.Error("control characters in the Markdown")
	}

	var js bytes.Buffer
	if err := r.JSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"incident", "generated", "generated_by", "mamori_version", "time_zone", "summary", "timeline", "findings", "checklist", "containment", "audit_trail"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
	var back report.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Summary.HighestSeverity != highest(t, s).String() || len(back.Findings) != 4 || len(back.Checklist) != 7 || len(back.Containment) != 2 {
		t.Errorf("JSON: severity %q, %d findings, %d phases, %d actions", back.Summary.HighestSeverity, len(back.Findings), len(back.Checklist), len(back.Containment))
	}
	c := back.Containment[0]
	if c.Measure != "endpoint.block-ip" || c.C != iso.Protects.C || c.Cost != iso.Cost.Availability || c.Outcome != "succeeded" || *c.Exit != 0 ||
		c.Evidence != string(iso.Evidence.Class) || c.Reversible != string(iso.Reversible) || c.Rationale != iso.Rationale.EN {
		t.Errorf("JSON containment action = %+v", c)
	}
	if f := back.Findings[0]; f.ID != catalog.FindingIntrusionRoute || f.WrittenBy != "sato" || len(f.Suggestions) == 0 {
		t.Errorf("JSON finding = %+v", f)
	}
}

func level(s *scene, n int) string {
	for _, l := range s.d.App.Catalog.Scales().Protection {
		if l.Level == n {
			return l.Name.EN
		}
	}
	return "?"
}

func costLevel(s *scene, n int) string {
	for _, l := range s.d.App.Catalog.Scales().Cost {
		if l.Level == n {
			return l.Name.EN
		}
	}
	return "?"
}

// alertOf returns the incident's earliest alert of rule.
func alertOf(t *testing.T, s *scene, rule string) alert.Alert {
	t.Helper()
	as, err := s.im.Alerts(context.Background(), &s.inc)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Rule == rule && len(a.Evidence) > 0 {
			return a
		}
	}
	t.Fatalf("no %s alert with evidence", rule)
	return alert.Alert{}
}

func highest(t *testing.T, s *scene) alert.Severity {
	t.Helper()
	as, err := s.im.Alerts(context.Background(), &s.inc)
	if err != nil {
		t.Fatal(err)
	}
	var top alert.Severity
	for _, a := range as {
		top = max(top, a.Severity)
	}
	return top
}

func firstRaw(t *testing.T, s *scene, rule string) string {
	t.Helper()
	evs := slices.Clone(alertOf(t, s, rule).Evidence)
	slices.SortFunc(evs, func(x, y alert.Evidence) int { return x.Time.Compare(y.Time) })
	return evs[0].Raw
}

func TestReportMakesHostileTextSafe(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cat, _ := catalog.Load()
	log := audit.Open(st, audit.Options{User: "u"})
	im := incident.New(st, log, cat, incident.Options{})
	at := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	a := alert.Alert{ID: "x1", Rule: "N-APP", Title: "odd app", Endpoint: "10.0.10.5", FirstSeen: at, LastSeen: at, Severity: alert.Medium,
		Summary:  "user agent \x1b]0;owned\a<script>alert(1)</script> [click](http://evil.example)",
		Evidence: []alert.Evidence{{Time: at, File: "/var/log/squid/access.log", Offset: 7, Raw: "ua=\x1b[2J\x1b[31mred <img src=x>"}}}
	if err := st.PutAlerts([]alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	inc, err := im.Open(ctx, incident.Request{Alerts: []string{"x1"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(ctx, im, log, inc.ID, report.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, bad := range []string{"\x1b", "\a", "<script>", "[click](", "owned"} {
		if strings.Contains(out, bad) {
			t.Errorf("the Markdown carries %q", bad)
		}
	}
	for _, want := range []string{"      ua=red <img src=x>\n", `\<script\>`, `\[click\]`} {
		if !strings.Contains(out, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestEvidenceBundle(t *testing.T) {
	ctx := context.Background()
	s := newScene(t)
	a := s.d.App
	dir := t.TempDir()
	out := filepath.Join(dir, "evidence.tar.gz")
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	opts := export.EvidenceOptions{BundleOptions: report.BundleOptions{Window: 10 * time.Minute, Now: now, Version: "v0.test", Store: a.Store.Dir()}}
	res, err := export.Evidence(ctx, s.im, s.log, a.Store, s.inc.ID, out, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Warning != "" {
		t.Errorf("warning: %s", res.Warning)
	}
	files := readArchive(t, out)
	prefix := s.inc.ID + "/"

	// Every file's hash checks out, in SHA256SUMS and in the manifest.
	sums := files[prefix+"SHA256SUMS"]
	if sums == nil {
		t.Fatal("no SHA256SUMS")
	}
	listed := 0
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("bad SHA256SUMS line %q", sc.Text())
		}
		data, found := files[prefix+name]
		if !found {
			t.Errorf("SHA256SUMS lists %s, not in the archive", name)
			continue
		}
		if got := hexSum(data); got != sum {
			t.Errorf("%s: sha256 %s, SHA256SUMS says %s", name, got, sum)
		}
		listed++
	}
	if listed != len(files)-1 {
		t.Errorf("SHA256SUMS lists %d of %d other files", listed, len(files)-1)
	}
	var man report.Manifest
	if err := json.Unmarshal(files[prefix+"manifest.json"], &man); err != nil {
		t.Fatal(err)
	}
	for _, f := range man.Files {
		if got := hexSum(files[prefix+f.Name]); got != f.SHA256 || int64(len(files[prefix+f.Name])) != f.Bytes {
			t.Errorf("manifest: %s sha256 %s / %d bytes, archive %s / %d", f.Name, f.SHA256, f.Bytes, got, len(files[prefix+f.Name]))
		}
	}
	if man.Incident != s.inc.ID || man.ExportedBy != "yamada" || !man.ExportedAt.Equal(now) || man.Version != "v0.test" ||
		man.Store != a.Store.Dir() || man.Window != "10m0s" || len(man.Windows) == 0 || man.Counts.Alerts != len(s.inc.Alerts) {
		t.Errorf("manifest metadata = %+v", man)
	}
	if man.Counts.AlertLines == 0 || man.Counts.ContextLines == 0 || man.Counts.Lines != man.Counts.AlertLines+man.Counts.ContextLines {
		t.Errorf("counts = %+v", man.Counts)
	}

	// One archive file per original log file, lines byte for byte as
	// stored, in time order; every alert's evidence is there.
	stored := map[string]map[string]time.Time{} // file → raw → time
	for _, w := range man.Windows {
		p, err := a.Store.Timeline(ctx, store.ParseEndpoint(w.Endpoint), store.Query{From: w.From, To: w.To, Limit: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if stored[it.Event.Ref.File] == nil {
				stored[it.Event.Ref.File] = map[string]time.Time{}
			}
			stored[it.Event.Ref.File][it.Event.Raw] = it.Event.Time
		}
	}
	lines := 0
	for _, f := range man.Files {
		if f.Source == "" {
			continue
		}
		data := files[prefix+f.Name]
		if !strings.HasPrefix(f.Name, "logs/") || !strings.HasSuffix(f.Name, strings.TrimPrefix(filepath.ToSlash(f.Source), "/")) {
			t.Errorf("archive name %s for %s", f.Name, f.Source)
		}
		var last time.Time
		got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		for _, l := range got {
			ts, ok := stored[f.Source][l]
			if !ok {
				ts, ok = evidenceTime(t, s, f.Source, l)
			}
			if !ok {
				t.Errorf("%s: line not stored: %q", f.Name, l)
				continue
			}
			if ts.Before(last) {
				t.Errorf("%s: lines out of time order at %q", f.Name, l)
			}
			last = ts
		}
		lines += len(got)
		if len(got) != f.Lines {
			t.Errorf("%s: %d lines, manifest says %d", f.Name, len(got), f.Lines)
		}
	}
	if lines != man.Counts.Lines {
		t.Errorf("%d lines in the log files, manifest counts %d", lines, man.Counts.Lines)
	}
	as, _ := s.im.Alerts(ctx, &s.inc)
	for _, al := range as {
		for _, e := range al.Evidence {
			name := prefix + "logs/" + strings.TrimPrefix(filepath.ToSlash(e.File), "/")
			if !bytes.Contains(files[name], []byte(e.Raw+"\n")) {
				t.Errorf("alert %s: evidence line missing from %s: %q", al.Rule, name, e.Raw)
			}
		}
	}
	if _, ok := files[prefix+"incident.json"]; !ok {
		t.Error("no incident.json")
	}

	// Only the output file is written; it is not overwritten without
	// force; the export is audited.
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the output directory holds %d entries", len(ents))
	}
	before, _ := os.ReadFile(out)
	if _, err := export.Evidence(ctx, s.im, s.log, a.Store, s.inc.ID, out, opts); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("overwrite without force: %v", err)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Error("the refused export changed the file")
	}
	opts.Force, opts.Now = true, now.Add(time.Hour)
	res2, err := export.Evidence(ctx, s.im, s.log, a.Store, s.inc.ID, out, opts)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(out); hexSum(after) != res2.SHA256 || res2.SHA256 == res.SHA256 {
		t.Errorf("forced export: file sha256 %s, result %s (first %s)", hexSum(after), res2.SHA256, res.SHA256)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	recs, _ := s.log.Records(ctx, audit.Filter{Incident: s.inc.ID, Kind: audit.KindExport})
	if len(recs) != 2 || recs[0].Fields["sha256"] != res.SHA256 || recs[0].Subject != out {
		t.Errorf("export records = %+v", recs)
	}
	// A measure losing evidence no longer asks for the export first.
	cm, _ := containment.New(containment.Options{Catalog: a.Catalog, Audit: s.log})
	p, err := cm.Plan(ctx, s.inc.ID, "endpoint.power-off", map[string]string{"host": s.d.Scenario.Victim.Host})
	if err != nil || p.ExportFirst {
		t.Errorf("after the export: export first %v, %v", p.ExportFirst, err)
	}
}

func evidenceTime(t *testing.T, s *scene, file, raw string) (time.Time, bool) {
	t.Helper()
	as, _ := s.im.Alerts(context.Background(), &s.inc)
	for _, a := range as {
		for _, e := range a.Evidence {
			if e.File == file && e.Raw == raw {
				return e.Time, true
			}
		}
	}
	return time.Time{}, false
}

func readArchive(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[h.Name]; dup {
			t.Errorf("%s twice in the archive", h.Name)
		}
		out[h.Name] = b
	}
	return out
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
