package incidentview_test

import (
	"strings"

	"fmt"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/incidentview"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

func TestMain(m *testing.M) { tuitest.Main(m) }

// view is the incident view of id at 80x24, loaded.
func view(t *testing.T, be *backendtest.Fake, lang i18n.Lang, id string) incidentview.Model {
	t.Helper()
	m, cmd := incidentview.New(be, tuitest.Styles(t), lang, id)
	m.SetSize(80, 24)
	return tuitest.Drive(t, m, cmd)
}

func TestGolden(t *testing.T) {
	views := map[string][]string{
		"checklist":      nil,
		"checklist-open": {"enter"},
		"checklist-io":   {"enter", "j", "o"},
		"phase-c":        {"j", "j", "enter", "j"},
		"findings":       {"l"},
		"suggestion":     {"l", "j", "j", "j"},
		"editor":         {"l", "e"},
		"alerts":         {"l", "l"},
		"alert-detail":   {"l", "l", "j", "enter"},
		"actions":        {"l", "l", "l"},
		"action-detail":  {"l", "l", "l", "enter"},
		"audit":          {"l", "l", "l", "l"},
	}
	for name, keys := range views {
		for _, lang := range tuitest.Langs {
			t.Run(fmt.Sprintf("%s-%s", name, lang), func(t *testing.T) {
				be := tuitest.Fixture(t)
				m := view(t, be, lang, tuitest.Incident(t, be))
				m = tuitest.Press(t, m, keys...)
				tuitest.Golden(t, tuitest.Masked(m.View()), 80, 24)
			})
		}
	}
	for _, lang := range tuitest.Langs {
		t.Run(fmt.Sprintf("missing-%s", lang), func(t *testing.T) {
			tuitest.Golden(t, view(t, tuitest.Fixture(t), lang, "INC-20990101-01").View(), 80, 24)
		})
		t.Run(fmt.Sprintf("loading-%s", lang), func(t *testing.T) {
			m, _ := incidentview.New(tuitest.Fixture(t), tuitest.Styles(t), lang, "INC-20261121-01")
			m.SetSize(80, 24)
			tuitest.Golden(t, m.View(), 80, 24)
		})
	}
}

// TestInputsAndOutputsRepeatOnlyWhatWasCut: with inputs and outputs shown,
// an item's text is repeated whole under it only when its row cut it.
func TestInputsAndOutputsRepeatOnlyWhatWasCut(t *testing.T) {
	be := tuitest.Fixture(t)
	m := tuitest.Press(t, view(t, be, i18n.EN, tuitest.Incident(t, be)), "j", "j", "enter", "j", "o") // phase C, all inputs and outputs
	m.SetSize(80, 200)
	out := ansi.Strip(m.View())
	if n := strings.Count(out, "Change your passwords when told, from a clean machine."); n != 1 {
		t.Errorf("an item that fits its row is shown %d times:\n%s", n, out)
	}
	cut := "Stop using the affected PC but leave it on; use another machine if given one"
	if !strings.Contains(strings.Join(strings.Fields(out), " "), cut) {
		t.Errorf("an item cut on its row is not shown whole:\n%s", out)
	}
}

// TestEditorTakesThePane: the finding's editor has every line under its
// two heading lines.
func TestEditorTakesThePane(t *testing.T) {
	be := tuitest.Fixture(t)
	m := tuitest.Press(t, view(t, be, i18n.EN, tuitest.Incident(t, be)), "l", "e")
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "│") {
		t.Fatalf("the editor ends above the pane's last line:\n%s", strings.Join(lines, "\n"))
	}
}
