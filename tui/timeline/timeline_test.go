package timeline_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/asset"
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
		"http-event": {victim, "", []string{"k", "enter"}},
		"kind-dns":   {victim, "", []string{"f", "f", "f"}},
		"source-dns": {victim, "", []string{"s"}},
		"no-events":  {"10.0.10.5", "", nil},
		"other-side": {"10.0.20.10", "", nil},
		"search":     {victim, "", tuitest.Keys([]string{"/"}, tuitest.Typed("nhk"), []string{"enter", "N"})},
		"searching":  {victim, "", tuitest.Keys([]string{"/"}, tuitest.Typed("duckdns"))},
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

// TestNothingLoadsForever: an endpoint with no events (only an alert, or
// nothing) says so; its sparkline does not stay "loading…".
func TestNothingLoadsForever(t *testing.T) {
	for _, ep := range []string{"10.0.10.5", "10.0.20.10"} {
		m := open(t, tuitest.Fixture(t), i18n.EN, tuitest.Clock(), 80, 24, ep, "")
		if out := ansi.Strip(m.View()); strings.Contains(out, "loading") {
			t.Errorf("%s: still loading after every load finished:\n%s", ep, out)
		}
	}
}

// TestEventDetailShowsWhatTheEventHas: the detail of a DNS answer has no
// destination it does not have (no "invalid IP", no port 0, no zero
// bytes, no empty action), and its labels line up in Japanese too.
func TestEventDetailShowsWhatTheEventHas(t *testing.T) {
	for _, lang := range tuitest.Langs {
		m := open(t, tuitest.Fixture(t), lang, tuitest.Clock(), 80, 24, tuitest.Victim.String(), "")
		out := ansi.Strip(tuitest.Press(t, m, "enter").View()) // the newest event is a DNS answer
		for _, bad := range []string{"invalid IP", ":0\n", ":0 ", "out 0 in 0", "action"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: %q in the detail:\n%s", lang, bad, out)
			}
		}
		col := -1
		for _, l := range strings.Split(out, "\n") {
			if i := strings.Index(l, "10.0.10.23"); i >= 0 && col < 0 {
				col = ansi.StringWidth(l[:i])
			} else if i := strings.Index(l, "www.nhk.or.jp"); i >= 0 && ansi.StringWidth(l[:i]) != col {
				t.Errorf("%s: the values do not line up (%d, %d):\n%s", lang, col, ansi.StringWidth(l[:i]), out)
			}
		}
	}
}

// TestSparklineSurvivesAnEarlyFilter: a filter pressed before the
// endpoint's activity arrived reloads the events, and the sparkline still
// comes (it stayed "loading…": the filter made its answer look stale).
func TestSparklineSurvivesAnEarlyFilter(t *testing.T) {
	be := tuitest.Fixture(t)
	m := open(t, be, i18n.EN, tuitest.Clock(), 80, 24, "", "")
	m, open := m.Open(tuitest.Victim.String(), "")
	m, filter := m.Update(tuitest.Key("f"))
	m = tuitest.Drive(t, m, tea.Batch(open, filter))
	if out := ansi.Strip(m.View()); strings.Contains(out, "loading") || !strings.Contains(out, "█") {
		t.Fatalf("no sparkline:\n%s", out)
	}
}

// TestHeaderKeepsTheAlerts: a long description of the endpoint gives way
// to its severity, alert count and phases, which were cut instead.
func TestHeaderKeepsTheAlerts(t *testing.T) {
	be := tuitest.Fixture(t)
	be.Inventory = asset.NewInventory([]asset.Asset{{Prefix: netip.MustParsePrefix("10.0.10.23/32"), Host: "pc-23", Segment: "office", Role: "PC",
		Owner: "tanaka (Engineering, second floor)"}})
	m := open(t, be, i18n.EN, tuitest.Clock(), 80, 24, tuitest.Victim.String(), "")
	if head := ansi.Strip(strings.Split(m.View(), "\n")[0]); !strings.HasSuffix(strings.TrimRight(head, " "), "■ critical  3 Alerts  ·2··56") {
		t.Fatalf("the header lost the alerts: %q", head)
	}
}

// TestSourceNamesAreWhole: a source label longer than the column's usual
// six cells (zeek's smb_mapping) widens it.
func TestSourceNamesAreWhole(t *testing.T) {
	be := tuitest.Fixture(t)
	ev := event.Event{Time: tuitest.Now.Add(time.Second), Format: "zeek.smb_mapping", Kind: event.KindSMB, Endpoint: tuitest.Victim, SrcIP: tuitest.Victim,
		DstIP: netip.MustParseAddr("10.0.20.10"), DstPort: 445, Method: "map", Label: `\\fs01\share`, Ref: event.Ref{File: "/var/log/zeek/smb_mapping.log", Offset: 1}, Raw: "smb line"}
	if err := be.Store.PutEvents([]event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	m := open(t, be, i18n.EN, tuitest.Clock(), 80, 24, tuitest.Victim.String(), "")
	if out := ansi.Strip(m.View()); !strings.Contains(out, " smb_mapping SMB map → 10.0.20.10:445") {
		t.Fatalf("the source label is cut:\n%s", out)
	}
}
