package contain_test

import (
	"strings"

	"context"
	"fmt"
	"os"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/contain"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

func TestMain(m *testing.M) { tuitest.Main(m) }

// killChain is the selection the kill-chain alert's c opens the picker on.
func killChain(t *testing.T, be *backendtest.Fake, incident string) containment.Selection {
	t.Helper()
	as, err := be.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sel := containment.Selection{Incident: incident}
	for _, a := range as {
		if a.ID == "a3" {
			sel.Alerts = []alert.Alert{a}
		}
	}
	return sel
}

// picker is the dialog at 80x24 over the kill chain, loaded.
func picker(t *testing.T, be *backendtest.Fake, lang i18n.Lang, incident string) contain.Model {
	t.Helper()
	m, cmd := contain.New(be, tuitest.Styles(t), lang, killChain(t, be, incident))
	m.SetSize(80, 24)
	return tuitest.Drive(t, m, cmd)
}

var (
	toBlockPlan = tuitest.Keys([]string{"/"}, tuitest.Typed("blockendp"), []string{"enter", "enter"})
	toCablePlan = tuitest.Keys([]string{"/"}, tuitest.Typed("pullcable"), []string{"enter", "enter"})
	confirm     = tuitest.Keys([]string{"enter"}, tuitest.Typed("10.0.10.23"))
)

func TestGolden(t *testing.T) {
	views := map[string]struct {
		incident bool
		keys     []string
	}{
		"picker":          {false, nil},
		"picker-incident": {true, nil},
		"picker-down":     {true, []string{"j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j"}},
		"picker-typing":   {true, tuitest.Keys([]string{"/"}, tuitest.Typed("dns"))},
		"picker-filtered": {true, tuitest.Keys([]string{"/"}, tuitest.Typed("dns"), []string{"enter"})},
		"plan":            {true, toBlockPlan},
		"plan-host":       {true, tuitest.Keys(toBlockPlan, []string{"j", "l"})},
		"plan-scrolled":   {true, tuitest.Keys(toBlockPlan, []string{"pgdown"})},
		"plan-no-inc":     {false, toBlockPlan},
		"plan-manual":     {true, toCablePlan},
		"dry-run":         {true, tuitest.Keys(toBlockPlan, []string{"d"})},
		"plan-first":      {true, []string{"enter"}},
		"confirm-typed":   {true, tuitest.Keys(toBlockPlan, confirm)},
		"refused":         {true, tuitest.Keys(toBlockPlan, []string{"enter"}, tuitest.Typed("10.0.10.2"), []string{"enter"})},
		"result":          {true, tuitest.Keys(toBlockPlan, confirm, []string{"enter"})},
		"result-manual":   {true, tuitest.Keys(toCablePlan, []string{"enter"}, tuitest.Typed("pc-23"), []string{"enter"})},
	}
	for name, v := range views {
		for _, lang := range tuitest.Langs {
			t.Run(fmt.Sprintf("%s-%s", name, lang), func(t *testing.T) {
				be := tuitest.Fixture(t)
				inc := ""
				if v.incident {
					inc = open(t, be)
				}
				m := picker(t, be, lang, inc)
				inTempDir(t, func() { m = tuitest.Press(t, m, v.keys...) }) // where the evidence is exported
				tuitest.Golden(t, tuitest.Masked(m.View()), 80, 24)
			})
		}
	}
}

// inTempDir runs f in a temporary working directory, and comes back for
// the golden files.
func inTempDir(t *testing.T, f func()) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	f()
	if err := os.Chdir(wd); err != nil {
		t.Fatal(err)
	}
}

// open opens the fixture's incident on the kill chain.
func open(t *testing.T, be *backendtest.Fake) string {
	t.Helper()
	return tuitest.Incident(t, be)
}

// TestGoldenUndo: the plan that undoes the incident's block.
func TestGoldenUndo(t *testing.T) {
	for _, lang := range tuitest.Langs {
		t.Run(string(lang), func(t *testing.T) {
			be := tuitest.Fixture(t)
			id := tuitest.Incident(t, be)
			acts, err := be.CM.History(context.Background(), id)
			if err != nil || len(acts) != 1 {
				t.Fatalf("history: %v %v", acts, err)
			}
			m, cmd := contain.NewUndo(be, tuitest.Styles(t), lang, id, acts[0].RunID)
			m.SetSize(80, 24)
			m = tuitest.Drive(t, m, cmd)
			tuitest.Golden(t, tuitest.Masked(m.View()), 80, 24)
		})
	}
}

// TestRefusalIsReadWhole: the line under the plan that says why a
// confirmation was refused wraps instead of being cut (in Japanese it
// lost its end at 80 columns).
func TestRefusalIsReadWhole(t *testing.T) {
	for _, lang := range tuitest.Langs {
		be := tuitest.Fixture(t)
		m := picker(t, be, lang, tuitest.Incident(t, be))
		m = tuitest.Press(t, m, tuitest.Keys(toBlockPlan, []string{"enter"}, tuitest.Typed("10.0.10.2"), []string{"enter"})...)
		out := strings.Join(strings.Fields(ansi.Strip(m.View())), "")
		want := strings.Join(strings.Fields(fmt.Sprintf(lang.T("not the target"), "ip", "10.0.10.23")), "")
		if !strings.Contains(out, want) {
			t.Errorf("%s: the refusal is not shown whole (%q):\n%s", lang, want, ansi.Strip(m.View()))
		}
	}
}

// TestPlanHelpNamesEachKeyOnce: ↑↓ and ←→ are one entry each in the
// plan's help, not one for both and another for one half ("↓/j next
// parameter", "→/l next value").
func TestPlanHelpNamesEachKeyOnce(t *testing.T) {
	be := tuitest.Fixture(t)
	m := tuitest.Press(t, picker(t, be, i18n.EN, ""), toBlockPlan...)
	seen := map[rune]string{}
	for _, g := range m.KeyMap().FullHelp() {
		for _, b := range g {
			if !b.Enabled() {
				continue
			}
			for _, r := range b.Help().Key {
				if strings.ContainsRune("↑↓←→", r) {
					if other, ok := seen[r]; ok {
						t.Errorf("%c is in the plan's help twice: %q and %q", r, other, b.Help().Key)
					}
					seen[r] = b.Help().Key
				}
			}
		}
	}
}
