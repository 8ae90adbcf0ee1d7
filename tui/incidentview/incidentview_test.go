package incidentview_test

import (
	"fmt"
	"testing"

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
