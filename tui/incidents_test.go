package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/app/apptest"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

// typed presses the keys that type s.
func typed(s string) []string { return tuitest.Typed(s) }

// keys joins key sequences.
func keys(seqs ...[]string) []string { return tuitest.Keys(seqs...) }

// incidentID is the id the fixture's first incident gets: the audit
// clock's day in the console's zone (JST).
var incidentID = "INC-" + now.In(time.FixedZone("JST", 9*3600)).Format("20060102") + "-01"

// Key sequences from the alerts list (the kill chain is on top).
var (
	openIncident = []string{"i", "enter"} // open an incident on the top alert
	toBlockPlan  = keys([]string{"c", "/"}, typed("blockendp"), []string{"enter", "enter"})
	confirmRun   = keys([]string{"enter"}, typed("10.0.10.23"), []string{"enter"})
)

func TestGoldenIncidents(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {160, 48}}
	views := map[string][]string{
		"incidents":          keys(openIncident, []string{"esc"}),
		"incident-checklist": openIncident,
		"incident-phase":     keys(openIncident, []string{"enter", "j", "j", "x"}, typed("told tanaka"), []string{"enter", "j", "s"}, typed("no vendor"), []string{"enter"}),
		"incident-findings":  keys(openIncident, []string{"l"}),
		"incident-actions":   keys(openIncident, []string{"1"}, toBlockPlan, confirmRun, []string{"esc", "5", "l", "l", "l"}),
		"picker":             {"c"},
		"picker-filter":      keys([]string{"j", "c", "/"}, typed("dns")),
		"plan":               keys(openIncident, []string{"1"}, toBlockPlan),
		"plan-manual":        keys(openIncident, []string{"c", "/"}, typed("pullcable"), []string{"enter", "enter"}),
		"confirm":            keys(openIncident, []string{"1"}, toBlockPlan, []string{"enter"}, typed("10.0.10.2")),
		"result":             keys(openIncident, []string{"1"}, toBlockPlan, confirmRun),
	}
	for name, ks := range views {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s-%dx%d", name, sz.w, sz.h), func(t *testing.T) {
				t.Parallel()
				m := start(t, fixture(t), sz.w, sz.h, i18n.EN)
				m = press(t, m, ks...)
				out := view(m)
				checkSize(t, out, sz.w, sz.h)
				golden.RequireEqual(t, []byte(tuitest.Masked(out)))
			})
		}
	}
}

func TestGoldenIncidentJapanese(t *testing.T) {
	for name, ks := range map[string][]string{
		"checklist": keys(openIncident, []string{"enter"}),
		"plan":      keys(openIncident, []string{"1"}, toBlockPlan),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			be := fixture(t)
			m := start(t, be, 80, 24, i18n.JA)
			m = press(t, m, ks...)
			out := view(m)
			checkSize(t, out, 80, 24)
			if !strings.Contains(ansi.Strip(out), "インシデント") {
				t.Fatalf("no Japanese:\n%s", ansi.Strip(out))
			}
			golden.RequireEqual(t, []byte(out))
		})
	}
}

// incidents reads the fixture's incidents.
func listIncidents(t *testing.T, be *backendtest.Fake) []incident.Incident {
	t.Helper()
	incs, err := be.IM.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return incs
}

func records(t *testing.T, be *backendtest.Fake, f audit.Filter) []audit.Record {
	t.Helper()
	recs, err := be.Log.Records(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestOpenIncidentFromAlertAndEndpoint(t *testing.T) {
	be := fixture(t)
	m := start(t, be, 100, 30, i18n.EN)
	m = press(t, m, "i")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "title: Kill chain on pc-23") {
		t.Fatalf("the prompt does not propose the default title:\n%s", out)
	}
	m = press(t, m, "enter")
	incs := listIncidents(t, be)
	if len(incs) != 1 || incs[0].Title != "Kill chain on pc-23" || len(incs[0].Alerts) != 3 {
		t.Fatalf("incident: %+v", incs)
	}
	if out := ansi.Strip(view(m)); !strings.Contains(out, incidentID) || !strings.Contains(out, "Checklist 0/") {
		t.Fatalf("the new incident is not shown:\n%s", out)
	}
	// i on another alert of the same incident opens it, no new one.
	m = press(t, m, "1", "j", "i")
	if n := len(listIncidents(t, be)); n != 1 {
		t.Fatalf("%d incidents after i on an attached alert", n)
	}
	if out := ansi.Strip(view(m)); !strings.Contains(out, "already in incident "+incidentID) {
		t.Fatalf("i on an attached alert:\n%s", out)
	}
	// From the endpoints pane: fs01 has no incident; a title typed by hand.
	m = press(t, m, "2", "j", "i")
	m = press(t, m, keys([]string{"ctrl+u"}, typed("SSH brute force on fs01"), []string{"enter"})...)
	incs = listIncidents(t, be)
	if len(incs) != 2 || incs[0].Title != "SSH brute force on fs01" || !incs[0].HasEndpoint("10.0.20.10") || !incs[0].HasAlert("a4") {
		t.Fatalf("incident from an endpoint: %+v", incs[0])
	}
	// The list shows both, the newest first.
	m = press(t, m, "esc")
	out := ansi.Strip(view(m))
	if strings.Index(out, "SSH brute force") > strings.Index(out, "Kill chain on pc-23") || !strings.Contains(out, "5 Incidents 2") {
		t.Fatalf("incident list:\n%s", out)
	}
}

func TestChecklistMarksAndPhase(t *testing.T) {
	be := fixture(t)
	m := start(t, be, 120, 40, i18n.EN)
	m = press(t, m, openIncident...)
	// Phase A expanded; its first item done with a note, the second skipped.
	m = press(t, m, keys([]string{"enter", "j", "x"}, typed("phoned tanaka"), []string{"enter", "j", "s"}, typed("n/a"), []string{"enter"})...)
	inc := listIncidents(t, be)[0]
	var done, skipped []string
	for id, c := range inc.Checks {
		switch c.State {
		case incident.Done:
			done = append(done, id)
			if c.Note != "phoned tanaka" || c.Who != "analyst" {
				t.Errorf("check %s: %+v", id, c)
			}
		case incident.Skipped:
			skipped = append(skipped, id)
		}
	}
	if len(done) != 1 || len(skipped) != 1 {
		t.Fatalf("checks: %+v", inc.Checks)
	}
	out := ansi.Strip(view(m))
	for _, want := range []string{"[✓]", "[–]", "“phoned tanaka”", "analyst", "2/8"} {
		if !strings.Contains(out, want) {
			t.Errorf("the checklist does not show %q:\n%s", want, out)
		}
	}
	// x on the done item opens it again.
	m = press(t, m, "k", "x", "enter")
	if c := listIncidents(t, be)[0].Checks[done[0]]; c.State != incident.Todo {
		t.Fatalf("unchecking: %+v", c)
	}
	// p on phase C makes it the current phase, P lets the checklist decide.
	m = press(t, m, "g", "enter", "j", "j", "p")
	if got := listIncidents(t, be)[0].Phase; got != "C" {
		t.Fatalf("phase set by hand: %q", got)
	}
	if out := ansi.Strip(view(m)); !strings.Contains(out, "handling C") || !strings.Contains(out, "current (set by hand)") {
		t.Fatalf("header after p:\n%s", out)
	}
	m = press(t, m, "P")
	if got := listIncidents(t, be)[0].Phase; got != "" {
		t.Fatalf("P: phase %q", got)
	}
	// o shows what items need and produce.
	m = press(t, m, "g", "enter", "o")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "← needs:") || !strings.Contains(out, "→ produces:") {
		t.Fatalf("inputs and outputs not shown:\n%s", out)
	}
}

func TestFindingsSuggestionsAndEditing(t *testing.T) {
	be := fixture(t)
	m := start(t, be, 120, 40, i18n.EN)
	m = press(t, m, keys(openIncident, []string{"l"})...)
	out := ansi.Strip(view(m))
	if !strings.Contains(out, "Suggested from the alerts' evidence") || !strings.Contains(out, "invoice_0423.doc.exe") {
		t.Fatalf("no suggestions shown:\n%s", out)
	}
	// a on the intrusion route's suggestion writes it into the finding.
	m = press(t, m, "j", "a")
	inc := listIncidents(t, be)[0]
	route := inc.Findings["intrusion-route"]
	if !strings.Contains(route.Text, "invoice_0423.doc.exe") || route.Who != "analyst" {
		t.Fatalf("accepted finding: %+v", route)
	}
	if out := ansi.Strip(view(m)); !strings.Contains(out, "written by analyst") || !strings.Contains(out, "✓ delivery") {
		t.Fatalf("the accepted suggestion is not marked:\n%s", out)
	}
	// e edits the spread finding in a multi-line editor; ctrl+s saves.
	m = press(t, m, "g")
	for range 1 { // to the second finding's heading
		m = press(t, m, "j")
		for !strings.HasPrefix(selectedLine(view(m)), "□") && !strings.HasPrefix(selectedLine(view(m)), "■") {
			m = press(t, m, "j")
		}
	}
	m = press(t, m, "e")
	m = press(t, m, keys(typed("pc-23 -> fs01 over SSH"), []string{"enter"}, typed("then nothing"), []string{"ctrl+s"})...)
	spread := listIncidents(t, be)[0].Findings["spread"]
	if spread.Text != "pc-23 -> fs01 over SSH\nthen nothing" {
		t.Fatalf("edited finding: %q", spread.Text)
	}
	if out := ansi.Strip(view(m)); !strings.Contains(out, "then nothing") {
		t.Fatalf("the edited text is not shown:\n%s", out)
	}
	if recs := records(t, be, audit.Filter{Kind: audit.KindFinding}); len(recs) != 2 {
		t.Fatalf("finding records: %+v", recs)
	}
}

func TestContainFromAlertRunsAndUndoes(t *testing.T) {
	be := fixture(t)
	m := start(t, be, 120, 40, i18n.EN)
	m = press(t, m, openIncident...)
	m = press(t, m, "1")
	m = press(t, m, toBlockPlan...)
	out := ansi.Strip(view(m))
	for _, want := range []string{
		"Block the endpoint's address", "endpoint.block-ip · " + incidentID,
		"nft add element inet mamori isolated_ip '{ 10.0.10.23 }'",
		"C ██░ 2/3 medium", "A ██░ 2/3 medium —", "Affects     one endpoint: pc-23", "type the ip: 10.0.10.23",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not show %q", want)
		}
	}
	if t.Failed() {
		t.Fatal(out)
	}
	// A dry run runs nothing.
	m = press(t, m, "d")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "Dry run — nothing ran. It would run: echo") {
		t.Fatalf("dry run:\n%s", out)
	}
	// A wrong confirmation is refused and runs nothing.
	m = press(t, m, keys([]string{"enter"}, typed("10.0.10.2"), []string{"enter"})...)
	if out := ansi.Strip(view(m)); !strings.Contains(out, "refused, nothing ran: that is not the ip: type 10.0.10.23 exactly") {
		t.Fatalf("wrong confirmation:\n%s", out)
	}
	if recs := records(t, be, audit.Filter{Kind: audit.KindContainment}); len(recs) != 0 {
		t.Fatalf("a refused confirmation was recorded: %+v", recs)
	}
	// The right one runs it.
	m = press(t, m, keys(typed("10.0.10.23"), []string{"enter"})...)
	out = ansi.Strip(view(m))
	if !strings.Contains(out, "✓ succeeded · exit 0") || !strings.Contains(out, "a real gateway would run: nft add element") {
		t.Fatalf("result:\n%s", out)
	}
	recs := records(t, be, audit.Filter{Incident: incidentID, Kind: audit.KindContainment})
	if len(recs) != 2 || recs[1].Run.Outcome != audit.Succeeded {
		t.Fatalf("containment records: %+v", recs)
	}
	// The incident's actions list it; u undoes it through the same
	// confirmation.
	m = press(t, m, "esc", "5", "l", "l", "l")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "Block the endpoint's address") || !strings.Contains(out, "✓ succeeded (0)") {
		t.Fatalf("actions:\n%s", out)
	}
	m = press(t, m, "u")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "Undo: Block the endpoint's address") || !strings.Contains(out, "nft delete element") {
		t.Fatalf("undo plan:\n%s", out)
	}
	m = press(t, m, confirmRun...)
	m = press(t, m, "esc")
	out = ansi.Strip(view(m))
	if !strings.Contains(out, "↶ undone") || !strings.Contains(out, "↶ undo of") {
		t.Fatalf("actions after the undo:\n%s", out)
	}
	// The audit trail shows the commands with their exit status.
	m = press(t, m, "l")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "started endpoint.block-ip: echo") || !strings.Contains(out, "finished: succeeded, exit 0 · endpoint.block-ip") {
		t.Fatalf("audit trail:\n%s", out)
	}
}

func TestExportFirstAndExports(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	be := fixture(t)
	m := start(t, be, 120, 40, i18n.EN)
	m = press(t, m, openIncident...)
	m = press(t, m, keys([]string{"c", "/"}, typed("pullcable"), []string{"enter", "enter"})...)
	out := ansi.Strip(view(m))
	if !strings.Contains(out, "⚠ This measure loses evidence") || !strings.Contains(out, "Press x to export it now to ./INC-") {
		t.Fatalf("no export-first prompt:\n%s", out)
	}
	if !strings.Contains(out, "By hand") || !strings.Contains(out, "1. Record the network connections") {
		t.Fatalf("manual steps:\n%s", out)
	}
	m = press(t, m, "x")
	out = ansi.Strip(view(m))
	if strings.Contains(out, "⚠ This measure loses evidence") || !strings.Contains(out, "✓ exported to "+dir) {
		t.Fatalf("after the export:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, incidentID+"-evidence.tar.gz")); err != nil {
		t.Fatal(err)
	}
	// Recorded by hand after typing the host.
	m = press(t, m, keys([]string{"enter"}, typed("pc-23"), []string{"enter"})...)
	if out := ansi.Strip(view(m)); !strings.Contains(out, "✓ done by hand") {
		t.Fatalf("manual result:\n%s", out)
	}
	// The report, from the incident view, to the default path.
	m = press(t, m, "esc", "R")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "Markdown) to: ./"+incidentID+".md") {
		t.Fatalf("report prompt:\n%s", out)
	}
	m = press(t, m, "enter")
	md, err := os.ReadFile(filepath.Join(dir, incidentID+".md"))
	if err != nil || !strings.Contains(string(md), "Pull the network cable") {
		t.Fatalf("report: %v\n%s", err, md)
	}
	exports := records(t, be, audit.Filter{Incident: incidentID, Kind: audit.KindExport})
	if len(exports) != 2 || exports[0].Action != audit.ActionEvidenceExported || exports[1].Action != audit.ActionReportWritten {
		t.Fatalf("export records: %+v", exports)
	}
	// A second report to the same file is refused, not overwritten.
	m = press(t, m, "R", "enter")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "exists already: choose another name") {
		t.Fatalf("existing report file:\n%s", out)
	}
}

func TestCloseAndReopen(t *testing.T) {
	be := fixture(t)
	m := start(t, be, 120, 40, i18n.EN)
	m = press(t, m, openIncident...)
	// Nobody marked an item: the close asks for a typed yes first.
	m = press(t, m, keys([]string{"C"}, typed("yes"), []string{"enter"}, typed("contained"), []string{"enter"})...)
	inc := listIncidents(t, be)[0]
	if inc.IsOpen() || inc.ClosedBy != "analyst" {
		t.Fatalf("not closed: %+v", inc)
	}
	if out := ansi.Strip(view(m)); !strings.Contains(out, "○ closed") {
		t.Fatalf("closed incident:\n%s", out)
	}
	// A closed incident's checklist cannot be marked; the list hides it
	// until x.
	m = press(t, m, "enter", "j", "j", "x", "enter")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "closed; reopen it first") {
		t.Fatalf("marking a closed incident:\n%s", out)
	}
	m = press(t, m, "esc")
	if out := ansi.Strip(view(m)); !strings.Contains(out, "No open incidents") {
		t.Fatalf("list:\n%s", out)
	}
	press(t, m, "x", "enter", "C", "enter")
	if !listIncidents(t, be)[0].IsOpen() {
		t.Fatal("not reopened")
	}
	recs := records(t, be, audit.Filter{Incident: incidentID, Kind: audit.KindIncident})
	if len(recs) != 3 || recs[1].Action != "closed" || recs[1].Note != "contained" || recs[2].Action != "reopened" {
		t.Fatalf("records: %+v", recs)
	}
}

// TestCloseUntouchedAsks: closing an incident whose checklist nobody
// touched warns with the count and closes only on a typed yes and a note
// saying why; one with an item marked closes on a note alone.
func TestCloseUntouchedAsks(t *testing.T) {
	be := fixture(t)
	m := start(t, be, 80, 24, i18n.EN)
	m = press(t, m, openIncident...)
	_, total := be.IM.Checklist(&listIncidents(t, be)[0]).Progress()
	m = press(t, m, "C")
	want := fmt.Sprintf("0/%d checklist items done. Close anyway? Type yes", total)
	if out := ansi.Strip(view(m)); !strings.Contains(out, want) {
		t.Fatalf("the close of an untouched incident does not warn %q:\n%s", want, out)
	}
	for _, answer := range []string{"", "y", "contained"} { // anything but yes keeps it open
		m = press(t, m, keys(typed(answer), []string{"enter"})...)
		if !listIncidents(t, be)[0].IsOpen() {
			t.Fatalf("closed on %q", answer)
		}
		if out := ansi.Strip(view(m)); !strings.Contains(out, fmt.Sprintf("not closed: 0 of %d", total)) {
			t.Fatalf("no refusal after %q:\n%s", answer, out)
		}
		m = press(t, m, "C")
	}
	m = press(t, m, keys(typed("yes"), []string{"enter", "enter"})...) // no note
	if !listIncidents(t, be)[0].IsOpen() {
		t.Fatal("closed without a note")
	}
	if out := ansi.Strip(view(m)); !strings.Contains(out, "needs a note") {
		t.Fatalf("no refusal of the empty note:\n%s", out)
	}
	press(t, m, keys([]string{"C"}, typed("yes"), []string{"enter"}, typed("false positive: test host"), []string{"enter"})...)
	if inc := listIncidents(t, be)[0]; inc.IsOpen() {
		t.Fatal("not closed after yes and a note")
	}

	// The fixture's worked incident (items marked) closes on the note.
	be = fixture(t)
	id := tuitest.Incident(t, be)
	m = start(t, be, 80, 24, i18n.EN)
	press(t, m, keys([]string{":"}, typed("incidents "+id), []string{"enter", "C"}, typed("contained"), []string{"enter"})...)
	if listIncidents(t, be)[0].IsOpen() {
		t.Fatal("an incident with marked items was not closed on its note")
	}
}

// TestConsoleShowsAttachedAlerts: the application attaches a live alert to
// the open incident of its endpoint (the console does not); the console
// hears of it from the incident manager's change feed and reloads.
func TestConsoleShowsAttachedAlerts(t *testing.T) {
	be := fixture(t)
	m := start(t, be, 120, 40, i18n.EN)
	m = press(t, m, openIncident...)
	changes := be.IM.Changes(t.Context())
	a := alert.Alert{ID: "a5", Time: now, FirstSeen: now, LastSeen: now, Rule: "S-BYTES-OUT", Title: "Upload volume", Perspective: alert.Statistical,
		Basis: alert.NormalBusiness, Phase: 6, Endpoint: "10.0.10.23", Host: "pc-23", Severity: alert.High, Score: 0.9, Count: 1, Summary: "1.2 GB out"}
	as, _ := be.Alerts(context.Background())
	be.SetAlerts(append(as, a))
	// What app.attachLive does with each batch the engine publishes.
	if _, err := be.IM.AttachNew(context.Background(), []alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	if inc := listIncidents(t, be)[0]; !inc.HasAlert("a5") {
		t.Fatalf("the live alert was not attached: %v", inc.Alerts)
	}
	var cmd tea.Cmd
	m, cmd = m.Update(incidentsMsg{changes: <-changes})
	m = drive(t, m, cmd)
	out := ansi.Strip(view(m))
	if !strings.Contains(out, "Alerts 4") {
		t.Fatalf("the incident view did not reload:\n%s", out)
	}
	if !strings.Contains(out, "1 alert(s) attached → "+incidentID) {
		t.Fatalf("no notice of the attachment:\n%s", out)
	}
}

func TestIncidentsReadOnly(t *testing.T) {
	be := fixture(t)
	if _, err := be.IM.Open(context.Background(), incident.Request{Alerts: []string{"a3"}}); err != nil {
		t.Fatal(err)
	}
	be.RO = true
	if err := be.EnableHandling(backendtest.HandlingOptions{Now: func() time.Time { return now }, User: "analyst", Location: tuitest.Zone,
		Actuators: containment.DemoActuators(be.Cat)}); err != nil {
		t.Fatal(err)
	}
	m := start(t, be, 160, 40, i18n.EN)
	if out := ansi.Strip(view(m)); strings.Contains(out, "i incident") {
		t.Fatalf("read-only alerts offer i:\n%s", out)
	}
	m = press(t, m, "i")
	if n := len(listIncidents(t, be)); n != 1 {
		t.Fatal("read-only console opened an incident")
	}
	m = press(t, m, "5", "enter")
	out := ansi.Strip(view(m))
	if !strings.Contains(out, incidentID) || !strings.Contains(out, "Checklist 0/") {
		t.Fatalf("the incident is not browsable:\n%s", out)
	}
	for _, hidden := range []string{"x done", "s skip", "p set current"} {
		if strings.Contains(out, hidden) {
			t.Errorf("read-only footer offers %q", hidden)
		}
	}
	m = press(t, m, "enter", "j", "j", "x", "C", "l", "j", "a", "e")
	if out := ansi.Strip(view(m)); strings.Contains(out, "note") || strings.Contains(out, "✎") {
		t.Fatalf("a changing key did something:\n%s", out)
	}
	m = press(t, m, "?")
	if out := ansi.Strip(view(m)); strings.Contains(out, "close/reopen") || strings.Contains(out, "accept") {
		t.Fatalf("read-only help offers changes:\n%s", out)
	}
	// The picker and the plan are browsable; running is not offered.
	m = press(t, m, "esc", "c", "/")
	m = press(t, m, keys(typed("blockendp"), []string{"enter", "enter"})...)
	out = ansi.Strip(view(m))
	if !strings.Contains(out, "read-only: measures can be looked at, not run") || strings.Contains(out, "run…") {
		t.Fatalf("read-only plan:\n%s", out)
	}
	press(t, m, keys([]string{"enter"}, typed("10.0.10.23"), []string{"enter"})...)
	if recs := records(t, be, audit.Filter{Kind: audit.KindContainment}); len(recs) != 0 {
		t.Fatal("a read-only console ran a measure")
	}
	if inc := listIncidents(t, be)[0]; len(inc.Checks) != 0 || !inc.IsOpen() || len(inc.Findings) != 0 {
		t.Fatalf("a read-only console changed the incident: %+v", inc)
	}
}

// TestIncidentHostileText puts escape sequences where people and logs
// write: an incident title, a checklist note, a finding, an audit note, an
// actuator's argument and its output. None reaches the terminal.
func TestIncidentHostileText(t *testing.T) {
	be := fixture(t)
	hostile := "ok\x1b]0;pwned\x07\x1b[2J\x1b[10;20H\x1b[31mRED\x9b31m\u202etxt.exe\r\nnext"
	if err := be.EnableHandling(backendtest.HandlingOptions{Now: func() time.Time { return now }, User: "analyst\x1b[2J", Location: tuitest.Zone,
		Actuators: map[string]containment.Actuator{"endpoint.block-ip": {Argv: []string{"printf", "%s", "Mozilla" + hostile, "{{ip}}"}}}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inc, err := be.IM.Open(ctx, incident.Request{Alerts: []string{"a3"}})
	if err != nil {
		t.Fatal(err)
	}
	// The manager refuses control characters from people; what an older
	// version or another tool stored is not trusted either.
	inc.Title = "Mozilla" + hostile
	inc.Checks = map[string]incident.Check{"A.user.report": {State: incident.Done, Who: "x\x1b[2J", When: now, Note: "Mozilla" + hostile}}
	inc.Findings = map[string]incident.Finding{"intrusion-route": {Text: "Mozilla" + hostile, Who: "y", When: now}}
	if err := be.Store.Put(store.Incidents, inc.ID, &inc); err != nil {
		t.Fatal(err)
	}
	if _, err := be.Log.Append(ctx, audit.Record{Kind: audit.KindIncident, Action: "noted", Incident: inc.ID, Note: "Mozilla" + hostile}); err != nil {
		t.Fatal(err)
	}
	bad := []string{"\x1b]", "\x07", "\x1b[2J", "\x1b[10;20H", "\x1b[H", "\x9b", "\u202e", "\r"}
	check := func(name string, out string) {
		t.Helper()
		for _, b := range bad {
			if strings.Contains(out, b) {
				t.Errorf("%s: %q reached the screen", name, b)
			}
		}
		if !strings.Contains(ansi.Strip(out), "Mozilla") {
			t.Errorf("%s: the sanitised text is not shown:\n%s", name, ansi.Strip(out))
		}
	}
	m := start(t, be, 160, 48, i18n.EN)
	m = press(t, m, "5")
	check("list", view(m))
	m = press(t, m, "enter", "enter")
	check("checklist", view(m))
	m = press(t, m, "l")
	check("findings", view(m))
	m = press(t, m, "g", "e")
	check("editor", view(m))
	m = press(t, m, "esc", "l", "l", "l")
	check("audit", view(m))
	m = press(t, m, "1")
	m = press(t, m, toBlockPlan...)
	check("plan", view(m))
	m = press(t, m, confirmRun...)
	check("result", view(m))
	m = press(t, m, "esc", "5", "h", "enter")
	check("action detail", view(m))
}

// TestFlowAlertIncidentContainAudit runs the real program (teatest): from
// the kill-chain alert to an incident, a checked action, the picker, a
// confirmed run and its audit entry.
func TestFlowAlertIncidentContainAudit(t *testing.T) {
	t.Chdir(t.TempDir())
	be := fixture(t)
	m := New(Options{Backend: be, Lang: i18n.EN, Clock: tuitest.Clock()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	send := func(ks ...string) {
		for _, k := range ks {
			switch k {
			case "enter":
				tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
			case "esc":
				tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
			default:
				r := []rune(k)[0]
				tm.Send(tea.KeyPressMsg{Code: r, Text: k})
			}
		}
	}
	waitFor(t, tm, "C-KILLCHAIN")
	send("i")
	waitFor(t, tm, "Kill chain on pc-23")
	send("enter")
	waitFor(t, tm, incidentID, "Checklist 0/")
	send("enter", "j", "j", "x")
	waitFor(t, tm, "Done — ")
	send(typed("ok")...)
	send("enter")
	waitFor(t, tm, "“ok”")
	send("c")
	waitFor(t, tm, "Containment")
	send("/")
	send(typed("blockendp")...)
	send("enter", "enter")
	waitFor(t, tm, "type 10.0.10.23")
	send("enter")
	send(typed("10.0.10.23")...)
	send("enter")
	waitFor(t, tm, "succeeded")
	send("esc", "l", "l", "l", "l")
	waitFor(t, tm, "finished: succeeded, exit 0")
	send("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(flowDeadline))
}

// TestIncidentOnTheDemo drives the console over the real backend (the
// app's Console) on the demo office's store: an incident from the top
// alert, a checked action, a measure run from the picker with the demo's
// actuators, the report; each is in the audit log.
func TestIncidentOnTheDemo(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	d := apptest.NewDemo(t, apptest.Options{})
	a := d.App
	cm, err := containment.New(containment.Options{Catalog: a.Catalog, Actuators: containment.DemoActuators(a.Catalog), Audit: a.Audit,
		Networks: a.Networks, Inventory: a.Inventory, Endpoints: a.Store, Events: a.Store})
	if err != nil {
		t.Fatal(err)
	}
	a.Containment = cm
	be := a.Console(t.Context(), false)
	// Init is left out: the application's incident change feed would be
	// waited on; the alerts are loaded as Init would.
	var m tea.Model = New(Options{Backend: be, Lang: i18n.EN, Clock: tuitest.Clock()})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m = drive(t, m, m.(Model).loadAlerts())
	m = press(t, m, openIncident...)
	ctx := context.Background()
	incs, err := a.Incidents.List(ctx)
	if err != nil || len(incs) != 1 || len(incs[0].Alerts) < 2 {
		t.Fatalf("incident from the top alert: %v %+v", err, incs)
	}
	id := incs[0].ID
	m = press(t, m, keys([]string{"enter", "j", "j", "x"}, typed("seen"), []string{"enter", "c", "/"}, typed("blockendp"), []string{"enter", "enter"})...)
	out := ansi.Strip(view(m))
	target := regexp.MustCompile(`type the ip: (\S+)`).FindStringSubmatch(out)
	if target == nil {
		t.Fatalf("plan:\n%s", out)
	}
	m = press(t, m, keys([]string{"enter"}, typed(target[1]), []string{"enter"})...)
	if out := ansi.Strip(view(m)); !strings.Contains(out, "✓ succeeded · exit 0") {
		t.Fatalf("result:\n%s", out)
	}
	m = press(t, m, "esc", "R", "enter")
	if _, err := os.Stat(filepath.Join(dir, id+".md")); err != nil {
		t.Fatalf("report: %v\n%s", err, ansi.Strip(view(m)))
	}
	recs, err := a.Audit.Records(ctx, audit.Filter{Incident: id})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[string(r.Kind)+" "+r.Action] = true
	}
	for _, want := range []string{"incident opened", "checklist checked", "containment started", "containment finished", "export report written"} {
		if !seen[want] {
			t.Errorf("no %q record: %v", want, seen)
		}
	}
}

// TestIncidentViewsFitAnySize resizes the incident view, the picker and the
// plan: no line is wider than the terminal.
func TestIncidentViewsFitAnySize(t *testing.T) {
	for name, ks := range map[string][]string{
		"checklist": keys(openIncident, []string{"enter", "o"}),
		"findings":  keys(openIncident, []string{"l"}),
		"actions":   keys(openIncident, []string{"1"}, toBlockPlan, confirmRun, []string{"esc", "5", "l", "l", "l", "enter"}),
		"picker":    keys(openIncident, []string{"c"}),
		"plan":      keys(openIncident, []string{"1"}, toBlockPlan),
		"list":      keys(openIncident, []string{"esc"}),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := start(t, fixture(t), 120, 40, i18n.JA)
			m = press(t, m, ks...)
			for _, sz := range []struct{ w, h int }{{60, 15}, {40, 12}, {100, 30}, {200, 60}} {
				m, _ = m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
				checkSize(t, view(m), sz.w, sz.h)
			}
		})
	}
}
