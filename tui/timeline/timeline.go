// Package timeline is one endpoint's history: its events and alerts merged
// in time order, paged from the store so it stays fast on millions of
// events, with an activity sparkline that marks the alerts, filters by
// kind and source, jumps to the next or previous alert and to a time.
package timeline

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/clock"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

// KeyMap is the pane's keys.
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown  key.Binding
	NextAlert, PrevAlert, Open, Kind, Source key.Binding
	Jump, Reload, Back                       key.Binding
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
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.NextAlert, k.PrevAlert, k.Open, k.Kind, k.Jump, k.Back}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
		{k.NextAlert, k.PrevAlert, k.Open, k.Back},
		{k.Kind, k.Source, k.Jump, k.Reload},
	}
}

// pageSize is how many events one store query returns; maxLoaded bounds
// what the pane holds (it drops the far side when scrolling on).
const (
	pageSize  = 200
	maxLoaded = 2000
)

// row is an event or an alert.
type row struct {
	t     time.Time
	ev    *store.Stored
	alert *alert.Alert
}

// Model is the pane.
type Model struct {
	keys          KeyMap
	be            backend.Backend
	st            *style.Styles
	lang          i18n.Lang
	width, height int

	endpoint string
	all      []alert.Alert // every visible alert
	alerts   []alert.Alert // this endpoint's, by time

	events               []store.Stored
	moreOlder, moreNewer bool
	rows                 []row
	selected, offset     int

	req     int // id of the latest load; older results are dropped
	loading bool
	focus   string    // alert id to select once loaded
	jumpTo  time.Time // time to select once loaded

	kind   event.Kind
	source string

	hist      []int
	histFrom  time.Time
	histStep  time.Duration
	overlay   *viewport.Model
	capturing bool
	clock     clock.Clock
}

// New returns the pane; clk (nil: the wall clock) times its live
// refresh.
func New(be backend.Backend, st *style.Styles, lang i18n.Lang, clk clock.Clock) Model {
	m := Model{be: be, st: st, clock: clock.Or(clk)}
	m.SetLang(lang)
	return m
}

// SetStyles changes the theme.
func (m *Model) SetStyles(st *style.Styles) { m.st = st }

// SetLang changes the language.
func (m *Model) SetLang(l i18n.Lang) {
	m.lang = l
	m.keys = DefaultKeyMap()
	l.Keys(&m.keys)
}

// SetSize sets the pane's size.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	if m.overlay != nil {
		m.overlay.SetWidth(w)
		m.overlay.SetHeight(h)
	}
}

// KeyMap returns the pane's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// Capturing reports whether the pane wants every key.
func (m Model) Capturing() bool { return m.capturing }

// InOverlay reports whether an event's detail is open.
func (m Model) InOverlay() bool { return m.overlay != nil }

// TabSuffix names the endpoint for the pane's tab.
func (m Model) TabSuffix() string {
	if m.endpoint == "" {
		return ""
	}
	name := m.endpoint
	if as, ok := m.be.Asset(m.endpoint); ok && as.Host != "" {
		name = as.Host
	}
	return " " + sanitize.Line(name)
}

// SetAlerts gives the pane the alerts (allow-listed ones are left out).
func (m *Model) SetAlerts(as []alert.Alert) {
	m.all = as
	m.pickAlerts()
	m.merge()
}

func (m *Model) pickAlerts() {
	m.alerts = m.alerts[:0]
	for i := range m.all {
		if m.all[i].Endpoint == m.endpoint && !m.be.Hidden(&m.all[i]) {
			m.alerts = append(m.alerts, m.all[i])
		}
	}
	sort.SliceStable(m.alerts, func(i, j int) bool { return m.alerts[i].Time.Before(m.alerts[j].Time) })
}

// Messages of the pane's commands.
type (
	pageMsg struct {
		req     int
		newer   bool // appended after what is loaded, else before
		replace bool // replaces what is loaded
		reverse bool // the page was read newest first
		page    store.Page
		err     error
	}
	aroundMsg struct {
		req           int
		before, after store.Page
		err           error
	}
	histMsg struct {
		req   int
		from  time.Time
		step  time.Duration
		count []int
		err   error
	}
	refreshMsg struct{ req int }
)

// Open shows an endpoint's timeline, positioned at alertID's time if given,
// else at the newest events.
func (m Model) Open(endpoint, alertID string) (Model, tea.Cmd) {
	m.endpoint = endpoint
	m.events, m.rows = nil, nil
	m.selected, m.offset = 0, 0
	m.overlay = nil
	m.focus = alertID
	m.pickAlerts()
	m.req++
	m.loading = true
	var at time.Time
	for _, a := range m.alerts {
		if a.ID == alertID {
			at = a.Time
		}
	}
	cmds := []tea.Cmd{m.histogram()}
	if at.IsZero() {
		cmds = append(cmds, m.loadPage(store.Query{Reverse: true, Limit: pageSize}, false, true))
	} else {
		cmds = append(cmds, m.loadAround(at))
	}
	return m, tea.Batch(cmds...)
}

func (m Model) keep() func(*event.Event) bool {
	kind, source := m.kind, m.source
	if kind == event.KindUnknown && source == "" {
		return nil
	}
	return func(e *event.Event) bool {
		return (kind == event.KindUnknown || e.Kind == kind) && (source == "" || sourceLabel(e.Format) == source)
	}
}

func (m Model) loadPage(q store.Query, newer, replace bool) tea.Cmd {
	be, ep, req := m.be, m.endpoint, m.req
	q.Keep = m.keep()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := be.Timeline(ctx, ep, q)
		if q.Reverse {
			reverse(p.Items)
		}
		return pageMsg{req: req, newer: newer, replace: replace, reverse: q.Reverse, page: p, err: err}
	}
}

func (m Model) loadAround(at time.Time) tea.Cmd {
	be, ep, req, keep := m.be, m.endpoint, m.req, m.keep()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		before, err := be.Timeline(ctx, ep, store.Query{To: at, Reverse: true, Limit: pageSize / 2, Keep: keep})
		if err != nil {
			return aroundMsg{req: req, err: err}
		}
		reverse(before.Items)
		after, err := be.Timeline(ctx, ep, store.Query{From: at, Limit: pageSize / 2, Keep: keep})
		return aroundMsg{req: req, before: before, after: after, err: err}
	}
}

// histogram counts the endpoint's events over its whole history.
func (m Model) histogram() tea.Cmd {
	be, ep, req, w := m.be, m.endpoint, m.req, max(10, m.width-2)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		first, err := be.Timeline(ctx, ep, store.Query{Limit: 1})
		if err != nil || len(first.Items) == 0 {
			return histMsg{req: req, err: err}
		}
		last, err := be.Timeline(ctx, ep, store.Query{Reverse: true, Limit: 1})
		if err != nil || len(last.Items) == 0 {
			return histMsg{req: req, err: err}
		}
		from, to := first.Items[0].Event.Time, last.Items[0].Event.Time.Add(time.Second)
		step := max(time.Minute, to.Sub(from)/time.Duration(w)+1)
		step = niceStep(step)
		from = from.Truncate(step)
		counts, err := be.Histogram(ctx, ep, from, to, step)
		return histMsg{req: req, from: from, step: step, count: counts, err: err}
	}
}

// niceStep rounds a bucket width up to a readable one.
func niceStep(d time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if d <= s {
			return s
		}
	}
	return d.Truncate(24*time.Hour) + 24*time.Hour
}

func reverse(s []store.Stored) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// Update handles a message.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case pageMsg:
		if msg.req != m.req {
			return m, nil
		}
		m.loading = false
		if msg.err != nil {
			return m, request.Notify("timeline: "+msg.err.Error(), true)
		}
		m.addPage(msg)
		return m, m.scheduleRefresh()
	case aroundMsg:
		if msg.req != m.req {
			return m, nil
		}
		m.loading = false
		if msg.err != nil {
			return m, request.Notify("timeline: "+msg.err.Error(), true)
		}
		m.events = append(msg.before.Items, msg.after.Items...)
		m.moreOlder, m.moreNewer = msg.before.More, msg.after.More
		m.merge()
		m.selectFocus()
		return m, m.scheduleRefresh()
	case histMsg:
		if msg.req != m.req || msg.err != nil {
			return m, nil
		}
		m.hist, m.histFrom, m.histStep = msg.count, msg.from, msg.step
		return m, nil
	case refreshMsg:
		// Live: when the newest events are shown, fetch what came since.
		if msg.req != m.req || m.endpoint == "" || m.moreNewer || m.loading {
			return m, nil
		}
		q := store.Query{Limit: pageSize}
		if n := len(m.events); n > 0 {
			last := m.events[n-1].Key
			q.After = &last
		}
		m.loading = true
		return m, m.loadPage(q, true, false)
	case jumpMsg:
		m.req++
		m.loading = true
		m.focus, m.jumpTo = "", msg.t
		return m, m.loadAround(msg.t)
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m Model) scheduleRefresh() tea.Cmd {
	req := m.req
	return m.clock.Tick(2*time.Second, func(time.Time) tea.Msg { return refreshMsg{req: req} })
}

// addPage adds a loaded page at the right end and keeps the selection on
// the same row.
func (m *Model) addPage(msg pageMsg) {
	items := msg.page.Items
	atEnd := len(m.rows) > 0 && m.selected == len(m.rows)-1
	var keep *row
	if m.selected < len(m.rows) {
		r := m.rows[m.selected]
		keep = &r
	}
	switch {
	case msg.replace && msg.reverse: // the newest page
		m.events = items
		m.moreOlder, m.moreNewer = msg.page.More, false
	case msg.replace: // the oldest page
		m.events = items
		m.moreOlder, m.moreNewer = false, msg.page.More
	case msg.newer:
		m.events = append(m.events, items...)
		m.moreNewer = msg.page.More
		if len(m.events) > maxLoaded {
			m.events = m.events[len(m.events)-maxLoaded:]
			m.moreOlder = true
		}
	default:
		m.events = append(append([]store.Stored(nil), items...), m.events...)
		m.moreOlder = msg.page.More
		if len(m.events) > maxLoaded {
			m.events = m.events[:maxLoaded]
			m.moreNewer = true
		}
	}
	m.merge()
	switch {
	case msg.replace && !msg.reverse:
		m.selected = 0
	case msg.replace || (atEnd && msg.newer):
		m.selected = max(0, len(m.rows)-1)
	case keep != nil:
		m.selectRow(*keep)
	}
	m.offset = table.Window(m.offset, m.selected, m.listHeight(), len(m.rows))
}

func (m *Model) selectRow(r row) {
	for i, x := range m.rows {
		if x.t.Equal(r.t) && ((x.ev != nil && r.ev != nil && x.ev.Key == r.ev.Key) || (x.alert != nil && r.alert != nil && x.alert.ID == r.alert.ID)) {
			m.selected = i
			return
		}
	}
}

func (m *Model) selectFocus() {
	if !m.jumpTo.IsZero() {
		at := m.jumpTo
		m.jumpTo = time.Time{}
		for i, r := range m.rows {
			if !r.t.Before(at) {
				m.selected = i
				m.offset = table.Window(max(0, i-m.listHeight()/2), i, m.listHeight(), len(m.rows))
				return
			}
		}
	}
	for i, r := range m.rows {
		if r.alert != nil && r.alert.ID == m.focus {
			m.selected = i
			m.offset = table.Window(max(0, i-m.listHeight()/2), i, m.listHeight(), len(m.rows))
			return
		}
	}
	m.selected = max(0, len(m.rows)-1)
	m.offset = table.Window(m.offset, m.selected, m.listHeight(), len(m.rows))
}

// merge interleaves the loaded events with the endpoint's alerts that fall
// in the loaded range.
func (m *Model) merge() {
	var lo, hi time.Time
	if n := len(m.events); n > 0 {
		lo, hi = m.events[0].Event.Time, m.events[n-1].Event.Time
	}
	rows := make([]row, 0, len(m.events)+len(m.alerts))
	for i := range m.events {
		rows = append(rows, row{t: m.events[i].Event.Time, ev: &m.events[i]})
	}
	for i := range m.alerts {
		a := &m.alerts[i]
		in := len(m.events) == 0 ||
			((!a.Time.Before(lo) || !m.moreOlder) && (!a.Time.After(hi) || !m.moreNewer))
		if in {
			rows = append(rows, row{t: a.Time, alert: a})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].t.Equal(rows[j].t) {
			return rows[i].t.Before(rows[j].t)
		}
		return rows[i].alert == nil && rows[j].alert != nil
	})
	m.rows = rows
	if m.selected >= len(rows) {
		m.selected = max(0, len(rows)-1)
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
	page := max(1, m.listHeight()-1)
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

func (m Model) jumpPrompt() tea.Cmd {
	newest := m.clock.Now()
	if n := len(m.events); n > 0 {
		newest = m.events[n-1].Event.Time
	}
	return func() tea.Msg {
		return request.PromptMsg{
			Prompt: m.lang.T("jump to"),
			Done: func(v string) tea.Cmd {
				t, err := ParseWhen(v, newest, time.Local)
				if err != nil {
					return request.Notify(err.Error(), true)
				}
				return func() tea.Msg { return jumpMsg{t} }
			},
		}
	}
}

type jumpMsg struct{ t time.Time }

// ParseWhen reads a time typed by the user: "2026-11-20 14:00",
// "11-20 14:00", "14:00" (on the day of ref), or "-2h" (before ref).
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

func (m *Model) openEvent(st *store.Stored) {
	if st == nil {
		return
	}
	ev := &st.Event
	var b strings.Builder
	T := m.lang.T
	fmt.Fprintf(&b, "%s\n\n", m.st.Title.Render(ev.Time.Local().Format("2006-01-02 15:04:05.000")+"  "+ev.Format+"  "+ev.Kind.String()))
	field := func(k, v string) {
		if v != "" && v != "0" {
			fmt.Fprintf(&b, "%s %s\n", m.st.Muted.Render(fmt.Sprintf("%-12s", k)), sanitize.Line(v))
		}
	}
	field(T("endpoint"), ev.EndpointID()+" "+ev.Host)
	field("src", fmt.Sprintf("%v:%d", ev.SrcIP, ev.SrcPort))
	field("dst", fmt.Sprintf("%v:%d", ev.DstIP, ev.DstPort))
	field("user", ev.User)
	field("domain", ev.Domain)
	field("url", ev.URL)
	field("method", ev.Method)
	field("status", fmt.Sprint(ev.Status))
	field("user agent", ev.UserAgent)
	field("dns", strings.TrimSpace(ev.Query+" "+ev.QType+" "+ev.RCode+" "+strings.Join(ev.Answers, ",")))
	field("file", strings.TrimSpace(ev.FileName+" "+ev.FileHash))
	field("bytes", fmt.Sprintf("out %d in %d", ev.BytesOut, ev.BytesIn))
	field("action", ev.Action.String()+" "+ev.Outcome.String())
	field("label", ev.Label)
	field("signature", ev.Signature)
	field("message", ev.Message)
	fmt.Fprintf(&b, "\n%s\n%s\n", m.st.Accent.Render(fmt.Sprintf("%s:%d", sanitize.Line(ev.Ref.File), ev.Ref.Offset)), ansi.Hardwrap(sanitize.Line(ev.Raw), max(10, m.width), true))
	vp := viewport.New()
	vp.SetWidth(m.width)
	vp.SetHeight(m.height)
	vp.SetContent(b.String())
	m.overlay = &vp
}

// listHeight is the rows available for the event list: the pane less the
// header, two sparkline lines, the column header and the status line.
func (m Model) listHeight() int { return max(1, m.height-5) }

// View renders the pane.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.overlay != nil {
		return m.overlay.View()
	}
	T := m.lang.T
	if m.endpoint == "" {
		return table.FitLines([]string{m.st.Muted.Render("  " + T("pick endpoint"))}, m.height)
	}
	var b strings.Builder
	b.WriteString(m.headerLine())
	b.WriteByte('\n')
	b.WriteString(m.sparkline())
	b.WriteByte('\n')
	b.WriteString(m.list())
	b.WriteByte('\n')
	b.WriteString(m.statusLine())
	return b.String()
}

func (m Model) headerLine() string {
	ep := m.endpoint
	if as, ok := m.be.Asset(m.endpoint); ok {
		for _, s := range []string{as.Host, as.Segment, as.Role, as.Owner} {
			if s != "" {
				ep += "  " + s
			}
		}
	}
	var reached [7]bool
	worst, any := alert.Info, false
	for i := range m.alerts {
		a := &m.alerts[i]
		if a.Phase >= 1 && a.Phase <= 6 {
			reached[a.Phase] = true
		}
		if !any || a.Severity > worst {
			worst, any = a.Severity, true
		}
	}
	right := ""
	if any {
		right = m.st.Sev(worst).Render(style.SevMark(worst)+" "+worst.String()) + fmt.Sprintf("  %d %s  ", len(m.alerts), m.lang.T("alerts")) + m.st.Phases(reached)
	}
	left := m.st.Title.Render(sanitize.Line(ep))
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return ansi.Truncate(left+" "+right, m.width, "…")
	}
	return left + strings.Repeat(" ", gap) + right
}

// sparkline draws activity over the endpoint's history (one cell per
// bucket) and, below it, the alerts as severity marks.
func (m Model) sparkline() string {
	w := max(10, m.width-2)
	if len(m.hist) == 0 {
		return m.st.Muted.Render(table.Fit(" "+m.lang.T("loading"), m.width, false)) + "\n"
	}
	levels := []rune(" ▁▂▃▄▅▆▇█")
	peak := 1
	for _, c := range m.hist {
		peak = max(peak, c)
	}
	n := min(len(m.hist), w)
	var spark strings.Builder
	for i := 0; i < n; i++ {
		c := m.hist[i]
		l := 0
		if c > 0 {
			l = 1 + c*(len(levels)-2)/peak
		}
		spark.WriteRune(levels[l])
	}
	marks := make([]rune, n)
	sev := make([]int, n)
	for i := range marks {
		marks[i], sev[i] = ' ', -1
	}
	for i := range m.alerts {
		a := &m.alerts[i]
		x := int(a.Time.Sub(m.histFrom) / m.histStep)
		if x >= 0 && x < n && int(a.Severity) > sev[x] {
			sev[x] = int(a.Severity)
			marks[x] = []rune(style.SevMark(a.Severity))[0]
		}
	}
	var mk strings.Builder
	for i, r := range marks {
		if sev[i] >= 0 {
			mk.WriteString(m.st.Sev(alert.Severity(sev[i])).Render(string(r)))
		} else {
			mk.WriteRune(' ')
		}
	}
	from := m.histFrom.Local().Format("01-02 15:04")
	to := m.histFrom.Add(m.histStep * time.Duration(n)).Local().Format("01-02 15:04")
	scale := fmt.Sprintf(" %s/%s ", durationLabel(m.histStep), "▏")
	label := m.st.Muted.Render(from) + m.st.Subtle.Render(scale) + m.st.Muted.Render(to)
	line1 := " " + m.st.Spark.Render(spark.String())
	line2 := " " + mk.String()
	if ansi.StringWidth(ansi.Strip(mk.String())) == 0 || strings.TrimSpace(ansi.Strip(mk.String())) == "" {
		line2 = " " + label
	}
	return line1 + "\n" + lipgloss.NewStyle().MaxWidth(m.width).Render(line2)
}

func durationLabel(d time.Duration) string {
	if d >= 24*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	if d >= time.Hour {
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dm", int(d/time.Minute))
}

func (m Model) list() string {
	T := m.lang.T
	cols := []table.Column{
		{Title: T("time"), Width: 14},
		{Title: "src", Width: 6},
		{Title: T("events"), Width: 20, Flex: 1},
	}
	rows := make([]table.Row, len(m.rows))
	for i, r := range m.rows {
		when := r.t.Local().Format("01-02 15:04:05")
		if r.alert != nil {
			st := m.st.Sev(r.alert.Severity)
			title := r.alert.Title
			if rule, ok := m.be.Catalog().Rule(r.alert.Rule); ok {
				title = rule.Title.In(string(m.lang))
			}
			text := fmt.Sprintf("%s %s %s — %s", style.SevMark(r.alert.Severity), r.alert.Rule, sanitize.Line(title), sanitize.Line(r.alert.Summary))
			rows[i] = table.Row{Cells: []table.Cell{{Text: when, Style: &st}, {Text: "alert", Style: &st}, {Text: text, Style: &st}}}
			continue
		}
		ev := &r.ev.Event
		rows[i] = table.Row{Cells: []table.Cell{{Text: when}, {Text: sourceLabel(ev.Format)}, {Text: Describe(ev, m.endpoint)}}}
	}
	h := m.listHeight() + 1
	out := table.Render(cols, rows, m.selected, m.offset, m.width, h, table.Styles{Header: m.st.ColumnHeader, Text: m.st.Text, Selected: m.st.Selected, Match: m.st.Match})
	if len(m.rows) == 0 {
		msg := T("no events")
		if m.loading {
			msg = T("loading")
		}
		out += "\n" + m.st.Muted.Render("  "+msg)
	}
	if n := strings.Count(out, "\n") + 1; n < h {
		out += strings.Repeat("\n", h-n)
	}
	return out
}

func (m Model) statusLine() string {
	T := m.lang.T
	parts := []string{fmt.Sprintf("%d %s, %d %s", len(m.events), T("events"), len(m.alerts), T("alerts"))}
	if m.kind != event.KindUnknown {
		parts = append(parts, "kind="+m.kind.String())
	}
	if m.source != "" {
		parts = append(parts, "src="+m.source)
	}
	if m.moreOlder {
		parts = append(parts, "↑ "+T("more above"))
	}
	if m.moreNewer {
		parts = append(parts, "↓ "+T("more below"))
	}
	if m.loading {
		parts = append(parts, T("loading"))
	}
	return m.st.Muted.Render(table.Fit(" "+strings.Join(parts, "  "), m.width, false))
}
