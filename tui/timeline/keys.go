package timeline

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/table"
)

// pageOverlap is the rows a page up or down keeps in view.
const pageOverlap = 1

// KeyMap is the pane's keys.
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown  key.Binding
	NextAlert, PrevAlert, Open, Kind, Source key.Binding
	Jump, Reload, Back, Search               key.Binding
}

// DefaultKeyMap returns the pane's keys (n/N like lnav's next/previous).
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Top:       key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "oldest")),
		Bottom:    key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "newest")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		NextAlert: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next alert")),
		PrevAlert: key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "previous alert")),
		Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Kind:      key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "kind filter")),
		Source:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "source filter")),
		Jump:      key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "jump to time")),
		Reload:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Search:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.NextAlert, k.PrevAlert, k.Open, k.Search, k.Jump, k.Kind, k.Back}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
		{k.NextAlert, k.PrevAlert, k.Open, k.Back},
		{k.Search, k.Kind, k.Source, k.Jump, k.Reload},
	}
}

func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.overlay != nil {
		switch k.String() {
		case "esc", "enter", "q", "backspace":
			m.overlay = nil
			return m, nil
		}
		vp, cmd := m.overlay.Update(k)
		m.overlay = &vp
		return m, cmd
	}
	if m.endpoint == "" {
		return m, nil
	}
	if m.find.Active() {
		return m.handleFind(k)
	}
	page := max(1, m.listHeight()-pageOverlap)
	switch {
	case key.Matches(k, m.keys.Up):
		return m.move(-1)
	case key.Matches(k, m.keys.Down):
		return m.move(1)
	case key.Matches(k, m.keys.PageUp):
		return m.move(-page)
	case key.Matches(k, m.keys.PageDown):
		return m.move(page)
	case key.Matches(k, m.keys.Top):
		m.req++
		m.loading = true
		m.selected = 0
		return m, m.loadPage(store.Query{Limit: pageSize}, false, true)
	case key.Matches(k, m.keys.Bottom):
		m.req++
		m.loading = true
		return m, m.loadPage(store.Query{Reverse: true, Limit: pageSize}, false, true)
	case key.Matches(k, m.keys.Search):
		return m, m.find.Start()
	case key.Matches(k, m.keys.Back) && m.finding():
		m.find.Clear()
		m.hits = m.hits[:0]
		m.setFindKeys()
		return m, nil
	case key.Matches(k, m.keys.NextAlert) && m.finding():
		return m.seekMatch(1)
	case key.Matches(k, m.keys.PrevAlert) && m.finding():
		return m.seekMatch(-1)
	case key.Matches(k, m.keys.NextAlert):
		return m.seekAlert(1)
	case key.Matches(k, m.keys.PrevAlert):
		return m.seekAlert(-1)
	case key.Matches(k, m.keys.Kind):
		m.kind = nextKind(m.kind)
		return m.reload()
	case key.Matches(k, m.keys.Source):
		m.source = m.nextSource()
		return m.reload()
	case key.Matches(k, m.keys.Reload):
		return m.reload()
	case key.Matches(k, m.keys.Jump):
		return m, m.jumpPrompt()
	case key.Matches(k, m.keys.Open):
		if m.selected < len(m.rows) {
			r := m.rows[m.selected]
			if r.alert != nil {
				id := r.alert.ID
				return m, func() tea.Msg { return request.OpenAlertMsg{ID: id} }
			}
			m.openEvent(r.ev)
		}
	}
	return m, nil
}

func nextKind(k event.Kind) event.Kind {
	ks := event.Kinds()
	for i, x := range ks {
		if x == k && i+1 < len(ks) {
			return ks[i+1]
		}
	}
	if k == event.KindUnknown {
		return ks[0]
	}
	return event.KindUnknown
}

// nextSource cycles through the sources present in what is loaded.
func (m Model) nextSource() string {
	seen := map[string]bool{}
	var srcs []string
	for _, e := range m.events {
		s := sourceLabel(e.Event.Format)
		if !seen[s] {
			seen[s] = true
			srcs = append(srcs, s)
		}
	}
	sort.Strings(srcs)
	if m.source == "" {
		if len(srcs) > 0 {
			return srcs[0]
		}
		return ""
	}
	for i, s := range srcs {
		if s == m.source && i+1 < len(srcs) {
			return srcs[i+1]
		}
	}
	return ""
}

func (m Model) reload() (Model, tea.Cmd) {
	m.req++
	m.loading = true
	at := time.Time{}
	if m.selected < len(m.rows) {
		at = m.rows[m.selected].t
	}
	if at.IsZero() {
		return m, m.loadPage(store.Query{Reverse: true, Limit: pageSize}, false, true)
	}
	return m, m.loadAround(at)
}

// move moves the selection, loading more at either end.
func (m Model) move(n int) (Model, tea.Cmd) {
	target := m.selected + n
	var cmd tea.Cmd
	if target < 0 && m.moreOlder && !m.loading && len(m.events) > 0 {
		first := m.events[0].Key
		m.loading = true
		cmd = m.loadPage(store.Query{Reverse: true, After: &first, Limit: pageSize}, false, false)
	}
	if target >= len(m.rows) && m.moreNewer && !m.loading && len(m.events) > 0 {
		last := m.events[len(m.events)-1].Key
		m.loading = true
		cmd = m.loadPage(store.Query{After: &last, Limit: pageSize}, true, false)
	}
	m.selected = min(max(target, 0), max(len(m.rows)-1, 0))
	m.offset = table.Window(m.offset, m.selected, m.listHeight(), len(m.rows))
	return m, cmd
}

// seekAlert selects the next (dir 1) or previous (-1) alert row; beyond
// what is loaded it loads around the next alert by time.
func (m Model) seekAlert(dir int) (Model, tea.Cmd) {
	for i := m.selected + dir; i >= 0 && i < len(m.rows); i += dir {
		if m.rows[i].alert != nil {
			m.selected = i
			m.offset = table.Window(m.offset, i, m.listHeight(), len(m.rows))
			return m, nil
		}
	}
	cur := time.Time{}
	if m.selected < len(m.rows) {
		cur = m.rows[m.selected].t
	}
	var next *alert.Alert
	for i := range m.alerts {
		a := &m.alerts[i]
		if dir > 0 && a.Time.After(cur) && (next == nil || a.Time.Before(next.Time)) {
			next = a
		}
		if dir < 0 && a.Time.Before(cur) && (next == nil || a.Time.After(next.Time)) {
			next = a
		}
	}
	if next == nil {
		return m, request.Notify("no more alerts on "+m.endpoint, false)
	}
	m.req++
	m.loading = true
	m.focus = next.ID
	return m, m.loadAround(next.Time)
}

// jumpPrompt asks for a time and jumps there. A time of day or a date
// is in the office's zone; a relative time (-2h) counts back from the
// endpoint's newest event (now, before that is known), and the prompt
// and the notice after the jump say which.
func (m Model) jumpPrompt() tea.Cmd {
	T, loc := m.lang.T, m.be.Location()
	ref, refName, from := m.newest, T("the newest event"), "jumped from newest"
	if ref.IsZero() {
		ref, refName, from = m.clock.Now(), T("now"), "jumped from now"
	}
	const layout = "01-02 15:04"
	prompt := fmt.Sprintf(T("jump to"), ref.In(loc).Format("MST"), ref.In(loc).Format(layout), refName)
	return func() tea.Msg {
		return request.PromptMsg{
			Prompt: prompt,
			Done: func(v string) tea.Cmd {
				t, err := ParseWhen(v, ref, loc)
				if err != nil {
					return request.Notify(err.Error(), true)
				}
				note := fmt.Sprintf(T("jumped to"), t.In(loc).Format(layout+" MST"))
				if v = strings.TrimSpace(v); strings.HasPrefix(v, "-") || strings.HasPrefix(v, "+") {
					note += " " + fmt.Sprintf(T(from), v, ref.In(loc).Format(layout))
				}
				return func() tea.Msg { return jumpMsg{t: t, note: note} }
			},
		}
	}
}

// jumpMsg moves the timeline to t; note says where that is.
type jumpMsg struct {
	t    time.Time
	note string
}

// ParseWhen reads a time typed by the user: "2026-11-20 14:00",
// "11-20 14:00", "14:00" (on the day of ref) in loc, a time with its
// zone ("2026-11-20T14:00:00+09:00"), or "-2h" (before ref).
func ParseWhen(s string, ref time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		d, err := time.ParseDuration(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("cannot read %q (e.g. -2h, -30m)", s)
		}
		return ref.Add(d), nil
	}
	refL := ref.In(loc)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"01-02 15:04", "1/2 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return time.Date(refL.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc), nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return time.Date(refL.Year(), refL.Month(), refL.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (2026-11-20 14:00, 14:00 or -2h)", s)
}
