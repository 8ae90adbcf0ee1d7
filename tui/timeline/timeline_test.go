package timeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/clock/clocktest"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/timeline"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

func TestMain(m *testing.M) { tuitest.Main(m) }

// open is the pane at w×h on an endpoint's timeline ("" for none),
// positioned at an alert when alertID is set.
func open(t *testing.T, be *backendtest.Fake, lang i18n.Lang, clk *clocktest.Held, w, h int, endpoint, alertID string) timeline.Model {
	t.Helper()
	m := timeline.New(be, tuitest.Styles(t), lang, clk)
	m.SetSize(w, h)
	as, err := be.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.SetAlerts(as)
	if endpoint == "" {
		return m
	}
	var cmd tea.Cmd
	m, cmd = m.Open(endpoint, alertID)
	return tuitest.Drive(t, m, cmd)
}

func TestGolden(t *testing.T) {
	victim := tuitest.Victim.String()
	views := map[string]struct {
		endpoint, alert string
		keys            []string
	}{
		"none":       {"", "", nil},
		"newest":     {victim, "", nil},
		"oldest":     {victim, "", []string{"g"}},
		"at-alert":   {victim, "a2", nil},
		"next-alert": {victim, "", []string{"g", "n", "n"}},
		"event":      {victim, "", []string{"enter"}},
		"dns-event":  {victim, "", []string{"s", "enter"}},
		"kind-dns":   {victim, "", []string{"f", "f", "f"}},
		"source-dns": {victim, "", []string{"s"}},
		"no-events":  {"10.0.10.5", "", nil},
		"other-side": {"10.0.20.10", "", nil},
	}
	for name, v := range views {
		for _, lang := range tuitest.Langs {
			for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
				if sz.w == 160 && lang == i18n.JA {
					continue
				}
				t.Run(fmt.Sprintf("%s-%s-%dx%d", name, lang, sz.w, sz.h), func(t *testing.T) {
					m := open(t, tuitest.Fixture(t), lang, tuitest.Clock(), sz.w, sz.h, v.endpoint, v.alert)
					m = tuitest.Press(t, m, v.keys...)
					tuitest.Golden(t, m.View(), sz.w, sz.h)
				})
			}
		}
	}
}

// TestRefreshesLive: while the newest events are shown, the pane asks the
// store for what came since every two seconds.
func TestRefreshesLive(t *testing.T) {
	be := tuitest.Fixture(t)
	clk := tuitest.Clock()
	m := open(t, be, i18n.EN, clk, 80, 24, tuitest.Victim.String(), "")
	ev := event.Event{Time: tuitest.Now.Add(time.Second), Format: "dnsmasq", Kind: event.KindDNS, Endpoint: tuitest.Victim, SrcIP: tuitest.Victim,
		Query: "exfil.example.net", QType: "A", RCode: "NXDOMAIN", Ref: event.Ref{File: "/var/log/dnsmasq.log", Offset: 99999}, Raw: "late line"}
	if err := be.Store.PutEvents([]event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if out := ansi.Strip(m.View()); strings.Contains(out, "exfil.example.net") {
		t.Fatal("the event is shown before the refresh")
	}
	msgs := clk.Advance(2 * time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d timers due after 2 s, want the refresh", len(msgs))
	}
	var cmd tea.Cmd
	m, cmd = m.Update(msgs[0])
	m = tuitest.Drive(t, m, cmd)
	if out := ansi.Strip(m.View()); !strings.Contains(out, "exfil.example.net NXDOMAIN") {
		t.Fatalf("the new event is not shown after the refresh:\n%s", out)
	}
}
