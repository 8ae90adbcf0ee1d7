package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/app/apptest"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/tui/i18n"
)

// TestAllowListOnTheDemo drives the allow-list dialog over the real
// backend (the app's Console) on the demo office's store: A on the top
// alert (critical) shows what the entry hides, adds it only with the
// target typed, and hides the alert; :allow lists it and removes it with
// a note, and the alert shows again. Both changes are in the audit log.
func TestAllowListOnTheDemo(t *testing.T) {
	d := apptest.NewDemo(t, apptest.Options{})
	a := d.App
	be := a.Console(t.Context(), false)
	// The wall clock: the application refuses an entry that expired by
	// its own.
	var m tea.Model = New(Options{Backend: be, Lang: i18n.EN})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m = drive(t, m, m.(Model).loadAlerts())
	top, ok := m.(Model).alerts.Selected()
	if !ok || top.Severity.String() != "critical" {
		t.Fatalf("the demo's top alert %+v is not critical", top)
	}
	m = press(t, m, "A")
	out := ansi.Strip(view(m))
	if !strings.Contains(out, "critical") || !strings.Contains(out, "stored alert") {
		t.Fatalf("the form does not say what the entry hides:\n%s", out)
	}
	target := regexp.MustCompile(`Type (\S+) to allow-list it`).FindStringSubmatch(out)
	if target == nil {
		t.Fatalf("the form does not ask for the target:\n%s", out)
	}
	m = press(t, m, keys(typed("incident drill"), []string{"enter"}, typed(target[1]), []string{"enter"})...)
	if !be.Hidden(&top) {
		t.Fatalf("the alert is not hidden:\n%s", ansi.Strip(view(m)))
	}
	m = press(t, m, keys([]string{":"}, typed("allow"), []string{"enter"})...)
	if out := ansi.Strip(view(m)); !strings.Contains(out, "incident drill") {
		t.Fatalf(":allow does not list the entry:\n%s", out)
	}
	m = press(t, m, keys([]string{"d"}, typed("drill over"), []string{"enter", "esc"})...)
	if be.Hidden(&top) {
		t.Fatalf("the alert is still hidden after the removal:\n%s", ansi.Strip(view(m)))
	}
	recs, err := a.Audit.Records(context.Background(), audit.Filter{Kind: audit.KindAllowList})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Action != audit.ActionAllowAdded || recs[1].Action != audit.ActionAllowRemoved || recs[1].Note != "drill over" {
		t.Fatalf("audit records %+v: want the addition and the removal with its note", recs)
	}
}
