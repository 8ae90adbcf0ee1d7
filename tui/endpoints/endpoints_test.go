package endpoints_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/clock/clocktest"
	"github.com/mamori-soc/mamori/tui/endpoints"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

func TestMain(m *testing.M) { tuitest.Main(m) }

// pane is the endpoints pane over be at 80x24, loaded.
func pane(t *testing.T, be *backendtest.Fake, lang i18n.Lang, clk *clocktest.Held) endpoints.Model {
	t.Helper()
	m := endpoints.New(be, tuitest.Styles(t), lang, clk)
	m.SetSize(80, 24)
	m = tuitest.Drive(t, m, m.Load())
	as, err := be.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.SetAlerts(as)
	return m
}

func TestGolden(t *testing.T) {
	views := map[string][]string{
		"by-risk":       nil,
		"by-address":    {"s", "s", "s"},
		"second":        {"j"},
		"filter-typing": tuitest.Keys([]string{"/"}, tuitest.Typed("fs")),
		"no-match":      tuitest.Keys([]string{"/"}, tuitest.Typed("zzz"), []string{"enter"}),
	}
	for name, keys := range views {
		for _, lang := range tuitest.Langs {
			t.Run(fmt.Sprintf("%s-%s", name, lang), func(t *testing.T) {
				m := pane(t, tuitest.Fixture(t), lang, tuitest.Clock())
				m = tuitest.Press(t, m, keys...)
				tuitest.Golden(t, m.View(), 80, 24)
			})
		}
	}
	for _, lang := range tuitest.Langs {
		t.Run(fmt.Sprintf("none-%s", lang), func(t *testing.T) {
			be := tuitest.Fixture(t)
			be.Sums = nil
			be.SetAlerts(nil)
			tuitest.Golden(t, pane(t, be, lang, tuitest.Clock()).View(), 80, 24)
		})
	}
}

// TestReloadsOnItsTimer: the pane reads the endpoints again five seconds
// after each load, so a new machine appears without a key.
func TestReloadsOnItsTimer(t *testing.T) {
	be := tuitest.Fixture(t)
	clk := tuitest.Clock()
	m := pane(t, be, i18n.EN, clk)
	be.Sums = append(be.Sums, store.EndpointSummary{ID: "10.0.10.77", Host: "pc-77", FirstSeen: tuitest.Now, LastSeen: tuitest.Now, Events: 1})
	if msgs := clk.Advance(4 * time.Second); len(msgs) != 0 {
		t.Fatalf("reloaded before its time: %v", msgs)
	}
	msgs := clk.Advance(time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d timers due after 5 s, want the reload", len(msgs))
	}
	var cmd tea.Cmd
	m, cmd = m.Update(msgs[0])
	m = tuitest.Drive(t, m, cmd)
	if out := ansi.Strip(m.View()); !strings.Contains(out, "pc-77") {
		t.Fatalf("the new endpoint is not listed after the reload:\n%s", out)
	}
	if clk.Pending() != 1 {
		t.Fatalf("%d timers after the reload, want the next one", clk.Pending())
	}
}
