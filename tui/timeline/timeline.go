// Package timeline is one endpoint's history: its events and alerts merged
// in time order, paged from the store so it stays fast on millions of
// events, with an activity sparkline that marks the alerts, filters by
// kind and source, jumps to the next or previous alert and to a time.
package timeline

import (
	"sort"
	"time"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/clock"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/list"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

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

	hist     []int
	histDone bool // the histogram of the shown endpoint was read (it may be empty)
	histReq  int  // id of the latest histogram (a page's reload does not make it stale)
	histFrom time.Time
	histStep time.Duration
	overlay  *viewport.Model
	clock    clock.Clock

	// find is the "/" search in the loaded rows; hits are the rows that
	// have it.
	find list.Filter
	hits []int
	// newest is the endpoint's newest event's time (zero until known):
	// what a relative jump (-2h) counts back from.
	newest time.Time
}

// New returns the pane; clk (nil: the wall clock) times its live
// refresh.
func New(be backend.Backend, st *style.Styles, lang i18n.Lang, clk clock.Clock) Model {
	m := Model{be: be, st: st, clock: clock.Or(clk), find: list.NewFilter()}
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
	m.setFindKeys()
}

// SetSize sets the pane's size.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.find.SetWidth(w)
	if m.overlay != nil {
		m.overlay.SetWidth(w)
		m.overlay.SetHeight(h)
	}
}

// KeyMap returns the pane's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// Capturing reports whether the pane wants every key.
func (m Model) Capturing() bool { return m.find.Active() }

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
		req    int
		newest time.Time // the endpoint's newest event
		from   time.Time
		step   time.Duration
		count  []int
		err    error
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
	m.hist, m.histDone = nil, false
	m.newest = time.Time{}
	m.find.Clear()
	m.hits = nil
	m.setFindKeys()
	m.histReq++
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
		if msg.req != m.histReq {
			return m, nil
		}
		m.histDone = true
		if msg.newest.After(m.newest) {
			m.newest = msg.newest
		}
		if msg.err != nil {
			return m, request.Notify("timeline: "+msg.err.Error(), true)
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
		return m, tea.Batch(m.loadAround(msg.t), request.Notify(msg.note, false))
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
	if n := len(m.events); n > 0 && m.events[n-1].Event.Time.After(m.newest) {
		m.newest = m.events[n-1].Event.Time // live: newer than the histogram knew
	}
	m.findHits()
}
