package allowlist

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

func TestMain(m *testing.M) { tuitest.Main(m) }

// alertByID returns one of the fixture's alerts.
func alertByID(t *testing.T, be *backendtest.Fake, id string) alert.Alert {
	t.Helper()
	as, err := be.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no alert %s", id)
	return alert.Alert{}
}

// add opens the form on an alert at 80x24, counted.
func add(t *testing.T, be *backendtest.Fake, lang i18n.Lang, a alert.Alert) Model {
	t.Helper()
	m, cmd := NewAdd(be, tuitest.Styles(t), lang, tuitest.Clock(), a)
	m.SetSize(80, 24)
	return tuitest.Drive(t, m, cmd)
}

// openList opens the list at 80x24, loaded.
func openList(t *testing.T, be *backendtest.Fake, lang i18n.Lang) Model {
	t.Helper()
	m, cmd := NewList(be, tuitest.Styles(t), lang, tuitest.Clock())
	m.SetSize(80, 24)
	return tuitest.Drive(t, m, cmd)
}

var week = 7 * 24 * time.Hour

// TestAddKeys: the form's keys move between fields, cycle the expiry
// only on its field, refuse what is missing (a reason; the typed target
// of a critical or kill-chain alert) and add exactly the entry shown.
func TestAddKeys(t *testing.T) {
	sameEP := alert.Alert{ID: "c1", Rule: "C-SAME-EP", Endpoint: "10.0.10.23", Host: "pc-23", Peer: "kx7-update.duckdns.org", Severity: alert.High, Count: 1}
	cases := map[string]struct {
		alert   string       // a fixture alert
		a       *alert.Alert // or this one
		ro      bool
		keys    []string
		field   int
		expiry  int
		message string // in the dialog's message, "" for none
		closed  bool
		// added is the entry expected (zero: nothing added).
		added detect.Allow
		ttl   time.Duration // its expiry from Now, 0 for never
	}{
		"opens on the reason, a week":          {alert: "a1", field: fieldReason, expiry: DefaultExpiry},
		"up is the expiry":                     {alert: "a1", keys: []string{"up"}, field: fieldExpiry, expiry: 1},
		"right makes it longer":                {alert: "a1", keys: []string{"up", "right"}, field: fieldExpiry, expiry: 2},
		"left wraps to never":                  {alert: "a1", keys: []string{"up", "left", "left"}, field: fieldExpiry, expiry: 3},
		"arrows in the reason move the cursor": {alert: "a1", keys: []string{"right", "left", "left"}, field: fieldReason, expiry: DefaultExpiry},
		"no confirm field for a high alert":    {alert: "a1", keys: []string{"down", "down"}, field: fieldReason, expiry: DefaultExpiry},
		"a reason is required": {alert: "a1", keys: []string{"enter"}, field: fieldReason, expiry: DefaultExpiry,
			message: "a reason is required"},
		"blank is no reason": {alert: "a1", keys: tuitest.Keys(tuitest.Typed("   "), []string{"enter"}), field: fieldReason, expiry: DefaultExpiry,
			message: "a reason is required"},
		"enter on the expiry goes to the reason": {alert: "a1", keys: []string{"up", "enter"}, field: fieldReason, expiry: DefaultExpiry},
		"esc cancels":                            {alert: "a1", keys: tuitest.Keys(tuitest.Typed("x"), []string{"esc"}), field: fieldReason, expiry: DefaultExpiry, closed: true},
		"a week's entry": {alert: "a1", keys: tuitest.Keys(tuitest.Typed("known updater"), []string{"enter"}), field: fieldReason, expiry: DefaultExpiry, closed: true,
			added: detect.Allow{Rule: "S-BEACON", Endpoint: "10.0.10.23", Destination: "cdn-update.duckdns.org", Reason: "known updater"}, ttl: week},
		"a day's entry": {alert: "a1", keys: tuitest.Keys([]string{"up", "left", "down"}, tuitest.Typed("test"), []string{"enter"}), field: fieldReason, expiry: 0, closed: true,
			added: detect.Allow{Rule: "S-BEACON", Endpoint: "10.0.10.23", Destination: "cdn-update.duckdns.org", Reason: "test"}, ttl: 24 * time.Hour},
		"one that never ends": {alert: "a1", keys: tuitest.Keys([]string{"up", "right", "right", "tab"}, tuitest.Typed("lab"), []string{"enter"}), field: fieldReason, expiry: 3, closed: true,
			added: detect.Allow{Rule: "S-BEACON", Endpoint: "10.0.10.23", Destination: "cdn-update.duckdns.org", Reason: "lab"}},
		"critical: enter asks for the target": {alert: "a3", keys: tuitest.Keys(tuitest.Typed("drill"), []string{"enter"}), field: fieldConfirm, expiry: DefaultExpiry},
		"critical: nothing typed is refused": {alert: "a3", keys: tuitest.Keys(tuitest.Typed("drill"), []string{"enter", "enter"}), field: fieldConfirm, expiry: DefaultExpiry,
			message: "not allow-listed: what was typed is not 10.0.10.23"},
		"critical: the wrong target is refused": {alert: "a3", keys: tuitest.Keys(tuitest.Typed("drill"), []string{"enter"}, tuitest.Typed("10.0.10.24"), []string{"enter"}), field: fieldConfirm, expiry: DefaultExpiry,
			message: "not allow-listed: what was typed is not 10.0.10.23"},
		"critical: typing again clears the refusal": {alert: "a3", keys: tuitest.Keys(tuitest.Typed("drill"), []string{"enter", "enter"}, tuitest.Typed("10")), field: fieldConfirm, expiry: DefaultExpiry},
		"critical: the typed target adds it": {alert: "a3", keys: tuitest.Keys(tuitest.Typed("drill"), []string{"enter"}, tuitest.Typed("10.0.10.23"), []string{"enter"}), field: fieldConfirm, expiry: DefaultExpiry, closed: true,
			added: detect.Allow{Rule: "C-KILLCHAIN", Endpoint: "10.0.10.23", Reason: "drill"}, ttl: week},
		"critical: down reaches the target": {alert: "a3", keys: []string{"down", "down"}, field: fieldConfirm, expiry: DefaultExpiry},
		"kill chain below critical asks too": {a: &sameEP, keys: tuitest.Keys(tuitest.Typed("drill"), []string{"enter", "enter"}), field: fieldConfirm, expiry: DefaultExpiry,
			message: "what was typed is not 10.0.10.23"},
		"read-only adds nothing": {alert: "a1", ro: true, keys: tuitest.Keys(tuitest.Typed("known updater"), []string{"enter"}), field: fieldReason, expiry: DefaultExpiry,
			message: "read-only"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			be := tuitest.Fixture(t)
			be.RO = c.ro
			a := c.a
			if a == nil {
				x := alertByID(t, be, c.alert)
				a = &x
			}
			m := add(t, be, i18n.EN, *a)
			m = tuitest.Press(t, m, c.keys...)
			if m.field != c.field || m.expiry != c.expiry || m.closed != c.closed {
				t.Errorf("field %d, expiry %d, closed %v; want %d, %d, %v", m.field, m.expiry, m.closed, c.field, c.expiry, c.closed)
			}
			if c.message == "" && m.message != "" || !strings.Contains(m.message, c.message) {
				t.Errorf("message %q, want %q", m.message, c.message)
			}
			got := be.Allowed()
			if c.added.Empty() {
				if len(got) != 0 {
					t.Fatalf("added %+v, want nothing", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("added %+v, want one entry", got)
			}
			e := got[0]
			var want time.Time
			if c.ttl > 0 {
				want = tuitest.Now.Add(c.ttl)
			}
			if e.Rule != c.added.Rule || e.Endpoint != c.added.Endpoint || e.Destination != c.added.Destination || e.Reason != c.added.Reason || !e.Expires.Equal(want) {
				t.Errorf("added %+v (expires %v), want %+v expiring %v", e, e.Expires, c.added, want)
			}
		})
	}
}

// TestAddCounts: the form counts, before anything is added, what the
// entry hides by severity, and an entry that would hide a critical alert
// needs its target typed whatever the alert it was made from.
func TestAddCounts(t *testing.T) {
	be := tuitest.Fixture(t)
	m := add(t, be, i18n.EN, alertByID(t, be, "a1"))
	if !m.counted || m.hides != (Counts{alert.High: 1}) {
		t.Errorf("counted %v hides %v, want 1 high", m.counted, m.hides)
	}
	if out := ansi.Strip(m.View()); !strings.Contains(out, "1 stored alert: ▲ 1 high") || !strings.Contains(out, "S-BEACON alerts of 10.0.10.23 to cdn-update.duckdns.org") {
		t.Errorf("the scope and the count are not shown:\n%s", out)
	}
	medium := alert.Alert{Rule: "S-X", Endpoint: "10.0.10.23", Severity: alert.Medium}
	for _, c := range []struct {
		a     alert.Alert
		hides Counts
		want  bool
	}{
		{medium, Counts{alert.Medium: 3}, false},
		{medium, Counts{alert.Medium: 3, alert.Critical: 1}, true},
		{alert.Alert{Rule: "c-same-ep", Severity: alert.Low}, Counts{}, true},
		{alert.Alert{Rule: "S-X", Severity: alert.Critical}, Counts{}, true},
	} {
		if got := Critical(&c.a, c.hides); got != c.want {
			t.Errorf("Critical(%s %v, %v) = %v, want %v", c.a.Rule, c.a.Severity, c.hides, got, c.want)
		}
	}
}

// TestAddAlreadyHidden: A on an alert an entry hides already (shown with
// x) says which entry and adds no second one.
func TestAddAlreadyHidden(t *testing.T) {
	be := tuitest.Fixture(t)
	if err := be.Allow(context.Background(), detect.Allow{Endpoint: "10.0.10.23", Reason: "lab"}); err != nil {
		t.Fatal(err)
	}
	m := add(t, be, i18n.EN, alertByID(t, be, "a1"))
	m = tuitest.Press(t, m, tuitest.Keys(tuitest.Typed("again"), []string{"enter"})...)
	if n := len(be.Allowed()); n != 1 {
		t.Errorf("%d entries, want the first only", n)
	}
	if !strings.Contains(m.message, "already hidden by allow-list entry al-00000001") {
		t.Errorf("message %q", m.message)
	}
}

// TestAddCountFails: when what an entry hides cannot be counted, nothing
// is added unseen.
func TestAddCountFails(t *testing.T) {
	be := tuitest.Fixture(t)
	m, _ := NewAdd(be, tuitest.Styles(t), i18n.EN, tuitest.Clock(), alertByID(t, be, "a1"))
	m.SetSize(80, 24)
	m, _ = m.Update(countedMsg{err: fmt.Errorf("store closed")})
	m = tuitest.Press(t, m, tuitest.Keys(tuitest.Typed("known updater"), []string{"enter"})...)
	if len(be.Allowed()) != 0 || !strings.Contains(m.message, "counting what it hides failed: store closed") {
		t.Errorf("added %+v, message %q", be.Allowed(), m.message)
	}
}

// entries gives the fixture two stored entries (the newer listed first)
// and one from the configuration.
func entries(t *testing.T, be *backendtest.Fake) {
	t.Helper()
	ctx := context.Background()
	be.AddConfigAllow(detect.Allow{Rule: "S-ERRORS", Endpoint: "10.0.20.10", Reason: "backup job logs in with many accounts"})
	for _, e := range []detect.Allow{
		{Endpoint: "10.0.10.23", Reason: "pentest lab machine", Expires: tuitest.Now.Add(week)},
		{Rule: "S-BEACON", Destination: "*.duckdns.org", Reason: "vendor's update server"},
	} {
		if err := be.Allow(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
}

// TestListKeys: the list moves over every entry, refuses to remove the
// configuration's, asks for a note before removing a stored one, keeps it
// on esc and removes it (with the note) on enter.
func TestListKeys(t *testing.T) {
	cases := map[string]struct {
		ro       bool
		keys     []string
		selected int
		step     step
		message  string
		removed  []backendtest.Removal
		rows     int
		closed   bool
	}{
		"opens on the newest":       {selected: 0, step: listing, rows: 3},
		"j moves down":              {keys: []string{"j", "j"}, selected: 2, step: listing, rows: 3},
		"not past the last":         {keys: []string{"j", "j", "j", "down"}, selected: 2, step: listing, rows: 3},
		"k moves up":                {keys: []string{"j", "k", "up"}, selected: 0, step: listing, rows: 3},
		"the configuration's stays": {keys: []string{"j", "j", "d"}, selected: 2, step: listing, message: "change it in the configuration file", rows: 3},
		"d asks for a note":         {keys: []string{"d"}, selected: 0, step: removing, rows: 3},
		"esc keeps it":              {keys: []string{"d", "esc"}, selected: 0, step: listing, rows: 3},
		"a note is required":        {keys: []string{"d", "enter"}, selected: 0, step: removing, message: "a note saying why is required", rows: 3},
		"q is typed in the note":    {keys: tuitest.Keys([]string{"d"}, tuitest.Typed("q")), selected: 0, step: removing, rows: 3},
		"enter removes it with a note": {keys: tuitest.Keys([]string{"j", "d"}, tuitest.Typed("lab returned"), []string{"enter"}), selected: 1, step: listing, rows: 2,
			removed: []backendtest.Removal{{ID: "al-00000001", Note: "lab returned"}}},
		"esc closes":                {keys: []string{"esc"}, step: listing, rows: 3, closed: true},
		"read-only removes nothing": {ro: true, keys: tuitest.Keys([]string{"d"}, tuitest.Typed("x"), []string{"enter"}), step: listing, rows: 3},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			be := tuitest.Fixture(t)
			entries(t, be)
			be.RO = c.ro
			m := openList(t, be, i18n.EN)
			m = tuitest.Press(t, m, c.keys...)
			if m.selected != c.selected || m.step != c.step || len(m.rows) != c.rows || m.closed != c.closed {
				t.Errorf("selected %d, step %d, %d rows, closed %v; want %d, %d, %d, %v", m.selected, m.step, len(m.rows), m.closed, c.selected, c.step, c.rows, c.closed)
			}
			if c.message == "" && m.message != "" || !strings.Contains(m.message, c.message) {
				t.Errorf("message %q, want %q", m.message, c.message)
			}
			if fmt.Sprint(be.Removed) != fmt.Sprint(c.removed) {
				t.Errorf("removed %+v, want %+v", be.Removed, c.removed)
			}
		})
	}
}

// TestListCounts: each entry is listed with what it hides by severity.
func TestListCounts(t *testing.T) {
	be := tuitest.Fixture(t)
	entries(t, be)
	m := openList(t, be, i18n.EN)
	want := map[string]Counts{
		"S-BEACON":   {alert.High: 1},
		"10.0.10.23": {alert.High: 1, alert.Medium: 1, alert.Critical: 1},
		"S-ERRORS":   {alert.Low: 1},
	}
	for _, r := range m.rows {
		k := r.e.Rule
		if k == "" {
			k = r.e.Endpoint
		}
		if r.hides != want[k] {
			t.Errorf("%s hides %v, want %v", r.e.Scope(), r.hides, want[k])
		}
	}
	if out := ansi.Strip(m.View()); !strings.Contains(out, "■1 ▲1 ◆1") {
		t.Errorf("the counts are not listed:\n%s", out)
	}
}

// TestRemovedNotice: a removal tells the console to reload its alerts
// and says how many show again.
func TestRemovedNotice(t *testing.T) {
	be := tuitest.Fixture(t)
	entries(t, be)
	m := openList(t, be, i18n.EN)
	m = tuitest.Press(t, m, tuitest.Keys([]string{"j", "d"}, tuitest.Typed("done"))...)
	var notice string
	queue := []tea.Cmd{func() tea.Msg { return tuitest.Key("enter") }}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case request.AlertsChangedMsg:
			notice = msg.Notice
		default:
			var next tea.Cmd
			m, next = m.Update(msg)
			queue = append(queue, next)
		}
	}
	if notice != "allow-list entry al-00000001 removed: the 3 alerts it hid show again" {
		t.Errorf("notice %q", notice)
	}
	if len(m.rows) != 2 {
		t.Errorf("%d entries listed after the removal, want 2", len(m.rows))
	}
}

// TestGolden: the form and the list at 80x24 in both languages.
func TestGolden(t *testing.T) {
	views := map[string]struct {
		alert string // the form on this alert, or the list
		keys  []string
	}{
		"add-beacon":         {"a1", tuitest.Keys([]string{"up", "right", "down"}, tuitest.Typed("vendor update server"))},
		"add-killchain":      {"a3", tuitest.Keys(tuitest.Typed("pentest drill"), []string{"enter"})},
		"add-killchain-typo": {"a3", tuitest.Keys(tuitest.Typed("pentest drill"), []string{"enter"}, tuitest.Typed("pc-23"), []string{"enter"})},
		"list":               {"", []string{"j"}},
		"list-remove":        {"", tuitest.Keys([]string{"d"}, tuitest.Typed("lab returned"))},
		"list-config":        {"", []string{"j", "j", "d"}},
	}
	for name, v := range views {
		for _, lang := range tuitest.Langs {
			t.Run(fmt.Sprintf("%s-%s", name, lang), func(t *testing.T) {
				be := tuitest.Fixture(t)
				var m Model
				if v.alert != "" {
					m = add(t, be, lang, alertByID(t, be, v.alert))
				} else {
					entries(t, be)
					m = openList(t, be, lang)
				}
				m = tuitest.Press(t, m, v.keys...)
				tuitest.Golden(t, m.View(), 80, 24)
			})
		}
	}
}

// TestFits: every view fits the terminal, down to 60x16, in both
// languages, whatever the step.
func TestFits(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {60, 16}, {120, 40}} {
		for _, lang := range tuitest.Langs {
			be := tuitest.Fixture(t)
			entries(t, be)
			for _, m := range []Model{
				tuitest.Press(t, add(t, be, lang, alertByID(t, be, "a3")), tuitest.Keys(tuitest.Typed(strings.Repeat("long reason ", 10)), []string{"enter", "enter"})...),
				tuitest.Press(t, openList(t, be, lang), "d", "enter"),
			} {
				m.SetSize(size[0], size[1])
				tuitest.CheckSize(t, m.View(), size[0], size[1])
			}
		}
	}
}
