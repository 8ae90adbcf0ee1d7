// Package alerts is the console's alert list: every alert, most important
// first in mamori's one priority order (alert.Compare: severity, then
// score, then phase, then the newest), with the "/" filter (words ranked by how well they match,
// field:value terms, "!" to invert: see filter.go), quick filters by
// severity, perspective and phase, and the detail view.
package alerts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/tui/alertview"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/clock"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/list"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

// Model is the alerts pane.
type Model struct {
	keys   KeyMap
	be     backend.Backend
	st     *style.Styles
	lang   i18n.Lang
	width  int
	height int

	all      []alert.Alert  // every alert, as given
	rows     []*alert.Alert // after filters, in display order (into all)
	compiled filter         // the "/" filter, read
	fuzzy    bool           // a word of it matched only fuzzily

	selected, offset int
	touched          bool // the user moved the selection: keep it on updates
	unacked          int  // alerts neither acknowledged nor allow-listed

	filter  list.Filter
	minSev  alert.Severity
	persp   alert.Perspective // "" = all
	phase   int               // 0 = all
	showAll bool

	detail *alertview.Model
	clock  clock.Clock
	status backend.Status // the latest, for what an empty list means
}

// SetStatus gives the pane mamori's state, so that an empty list says why:
// watching live, nothing found, or events never analysed.
func (m *Model) SetStatus(s backend.Status) { m.status = s }

// emptyText says why there is no alert to show.
func (m Model) emptyText() string {
	T := m.lang.T
	switch {
	case len(m.all) > 0:
		return T("no match")
	case m.status.Unanalysed > 0:
		return fmt.Sprintf(T("no alerts unanalysed"), m.status.Unanalysed, m.status.StoreDir)
	case m.status.Live:
		return T("no alerts")
	}
	return T("no alerts review")
}

// New returns the pane; clk (nil: the wall clock) says which alerts are
// of today.
func New(be backend.Backend, st *style.Styles, lang i18n.Lang, clk clock.Clock) Model {
	m := Model{be: be, st: st, lang: lang, filter: list.NewFilter(), clock: clock.Or(clk)}
	m.setKeys()
	m.filter.SetPlaceholder(lang.T("filter syntax"))
	return m
}

// SetStyles changes the theme.
func (m *Model) SetStyles(st *style.Styles) {
	m.st = st
	if m.detail != nil {
		m.detail.SetStyles(st)
	}
}

// SetLang changes the language.
func (m *Model) SetLang(l i18n.Lang) {
	m.lang = l
	m.setKeys()
	m.filter.SetPlaceholder(l.T("filter syntax"))
	if m.detail != nil {
		m.detail.SetLang(l)
	}
}

// SetSize sets the pane's size.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.filter.SetWidth(w)
	if m.detail != nil {
		m.detail.SetSize(w, h)
	}
}

// KeyMap returns the keys in effect (the detail view's when it is open).
func (m Model) KeyMap() interface {
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
} {
	if m.detail != nil {
		return m.detail.KeyMap()
	}
	return m.keys
}

// Capturing reports whether the pane wants every key (typing a filter), so
// the root does not treat them as global keys.
func (m Model) Capturing() bool { return m.filter.Active() }

// InDetail reports whether the detail view is open.
func (m Model) InDetail() bool { return m.detail != nil }

// SetAlerts replaces the alert list.
func (m *Model) SetAlerts(as []alert.Alert) {
	m.all = as
	if m.detail != nil {
		for i := range as {
			if as[i].ID == m.detail.ID() {
				m.detail.SetAlert(as[i])
			}
		}
	}
	m.apply()
}

// Unacked counts the alerts neither acknowledged nor allow-listed, for the
// pane's tab.
func (m Model) Unacked() int { return m.unacked }

// Selected returns the selected alert.
func (m Model) Selected() (alert.Alert, bool) {
	if m.selected < 0 || m.selected >= len(m.rows) {
		return alert.Alert{}, false
	}
	return *m.rows[m.selected], true
}

// title is an alert's title as the table shows it: the catalog's, in
// the pane's language.
func (m Model) title(a *alert.Alert) string {
	if r, ok := m.be.Catalog().Rule(a.Rule); ok {
		return r.Title.In(string(m.lang))
	}
	return a.Title
}

// apply runs the filters and the ordering, keeping the selection on the
// same alert when it is still there.
func (m *Model) apply() {
	var keep string
	if a, ok := m.Selected(); ok && m.touched {
		keep = a.ID
	}
	// Filter, then order pointers: the alerts stay where they are. The
	// "/" filter then keeps this order among rows that match as well.
	rows := make([]*alert.Alert, 0, len(m.all))
	m.unacked = 0
	for i := range m.all {
		a := &m.all[i]
		hidden := a.Acked || m.be.Hidden(a)
		if !hidden {
			m.unacked++
		}
		if a.Severity < m.minSev || (m.persp != "" && a.Perspective != m.persp) || (m.phase != 0 && a.Phase != m.phase) {
			continue
		}
		if !m.showAll && hidden {
			continue
		}
		rows = append(rows, a)
	}
	slices.SortFunc(rows, alert.Compare)
	m.compiled = compileFilter(m.filter.Value(), m.lang)
	rows, m.fuzzy = m.filterRows(rows, m.compiled)
	m.rows = rows
	m.selected = 0
	for i := range rows {
		if rows[i].ID == keep {
			m.selected = i
			break
		}
	}
	m.offset = table.Window(m.offset, m.selected, m.shown(), len(m.rows))
}

// statusHeight is the status line under the table.
const statusHeight = 1

// tableHeight is the lines of the table, its header included.
func (m Model) tableHeight() int { return m.height - statusHeight }

// shown is how many alerts the table shows.
func (m Model) shown() int { return table.Rows(m.tableHeight()) }

// Update handles a message.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if m.detail != nil {
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.detail.KeyMap().Back) {
			m.detail = nil
			return m, nil
		}
		d, cmd := m.detail.Update(msg)
		m.detail = &d
		return m, cmd
	}
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case ackedMsg:
		if msg.err != nil {
			return m, request.Notify(msg.err.Error(), true)
		}
	}
	return m, nil
}

type ackedMsg struct{ err error }

func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.filter.Active() {
		changed, cmd := m.filter.Handle(k)
		if changed {
			m.apply()
		}
		return m, cmd
	}
	if d, ok := m.keys.Delta(k, len(m.rows), m.shown()); ok {
		m.move(d)
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Filter):
		return m, m.filter.Start()
	case key.Matches(k, m.keys.ClearFilter):
		if m.filter.Value() != "" || m.minSev != 0 || m.persp != "" || m.phase != 0 {
			m.filter.Clear()
			m.minSev, m.persp, m.phase = 0, "", 0
			m.apply()
		}
	case key.Matches(k, m.keys.Severity):
		m.minSev = (m.minSev + 1) % (alert.Critical + 1)
		m.apply()
	case key.Matches(k, m.keys.Perspective):
		m.persp = map[alert.Perspective]alert.Perspective{"": alert.Matching, alert.Matching: alert.Statistical, alert.Statistical: alert.Composite, alert.Composite: ""}[m.persp]
		m.apply()
	case key.Matches(k, m.keys.Phase):
		m.phase = (m.phase + 1) % 7
		m.apply()
	case key.Matches(k, m.keys.ShowAll):
		m.showAll = !m.showAll
		m.apply()
	case key.Matches(k, m.keys.Open):
		if a, ok := m.Selected(); ok {
			return m.Open(a)
		}
	case key.Matches(k, m.keys.Timeline):
		if a, ok := m.Selected(); ok {
			return m, func() tea.Msg { return request.OpenTimelineMsg{Endpoint: a.Endpoint, AlertID: a.ID} }
		}
	case key.Matches(k, m.keys.Ack):
		if a, ok := m.Selected(); ok {
			return m, m.ack(a)
		}
	case key.Matches(k, m.keys.Allow):
		if a, ok := m.Selected(); ok {
			return m, func() tea.Msg { return request.AllowMsg{Alert: &a} }
		}
	case key.Matches(k, m.keys.Incident):
		if a, ok := m.Selected(); ok {
			msg := request.NewIncidentMsg{Alerts: []string{a.ID}}
			return m, func() tea.Msg { return msg }
		}
	case key.Matches(k, m.keys.Contain):
		if a, ok := m.Selected(); ok {
			msg := request.ContainMsg{Alerts: []string{a.ID}}
			return m, func() tea.Msg { return msg }
		}
	}
	return m, nil
}

// Open shows the detail of alert a.
func (m Model) Open(a alert.Alert) (Model, tea.Cmd) {
	d := alertview.New(a, m.be, m.st, m.lang)
	d.SetSize(m.width, m.height)
	m.detail = &d
	return m, nil
}

// OpenID shows the detail of the alert with this id, if known.
func (m Model) OpenID(id string) (Model, tea.Cmd) {
	for i := range m.all {
		if m.all[i].ID == id {
			return m.Open(m.all[i])
		}
	}
	return m, request.Notify("no alert "+id, true)
}

func (m *Model) move(n int) {
	m.touched = true
	m.selected = min(max(m.selected+n, 0), max(len(m.rows)-1, 0))
	m.offset = table.Window(m.offset, m.selected, m.shown(), len(m.rows))
}

func (m Model) ack(a alert.Alert) tea.Cmd {
	be := m.be
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := be.Ack(ctx, a.ID, !a.Acked); err != nil {
			return ackedMsg{err: err}
		}
		what := "acknowledged"
		if a.Acked {
			what = "no longer acknowledged"
		}
		return request.AlertsChangedMsg{Notice: fmt.Sprintf("%s: %s on %s", what, a.Rule, a.Endpoint)}
	}
}

// columns are the table's columns for the pane's width.
func (m Model) columns() []table.Column {
	T := m.lang.T
	wide := m.width >= 120
	timeW := 5
	if wide {
		timeW = 11
	}
	timeTitle := T("time")
	if wide {
		timeTitle = T("last seen")
	}
	sevW := 6
	if wide {
		sevW = 10
	}
	cols := []table.Column{
		{Title: timeTitle, Width: timeW},
		{Title: T("severity"), Width: sevW},
		{Title: T("rule"), Width: 14},
	}
	if wide {
		cols = append(cols, table.Column{Title: T("perspective"), Width: 11})
	} else {
		cols = append(cols, table.Column{Title: "", Width: 1})
	}
	cols = append(cols,
		table.Column{Title: T("phase"), Width: 2, Right: true},
		table.Column{Title: T("endpoint"), Width: 15},
	)
	if wide {
		cols = append(cols, table.Column{Title: T("host"), Width: 12})
	}
	cols = append(cols,
		table.Column{Title: T("count"), Width: 5, Right: true},
		table.Column{Title: T("title"), Width: 12, Flex: 1},
	)
	if wide {
		cols = append(cols, table.Column{Title: T("summary"), Width: 20, Flex: 2})
	}
	return cols
}

// View renders the pane.
func (m Model) View() string {
	if m.detail != nil {
		return m.detail.View()
	}
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	status := m.statusLine()
	body := m.tableView(m.tableHeight())
	return lipgloss.JoinVertical(lipgloss.Left, body, status)
}

func (m Model) tableView(h int) string {
	cols := m.columns()
	if len(m.rows) == 0 {
		msg := m.emptyText()
		empty := table.Render(cols, nil, -1, 0, m.width, table.HeaderHeight, m.tableStyles())
		return table.FitLines([]string{empty, m.st.Muted.Render(table.Fit("  "+msg, m.width, false))}, h)
	}
	// Build only the rows on screen: a frame costs the same with 100,000
	// alerts as with ten.
	wide := m.width >= 120
	end := min(len(m.rows), m.offset+h)
	rows := make([]table.Row, 0, end-m.offset)
	for i := m.offset; i < end; i++ {
		rows = append(rows, m.row(m.rows[i], wide))
	}
	out := table.Render(cols, rows, m.selected-m.offset, 0, m.width, h, m.tableStyles())
	if n := strings.Count(out, "\n") + 1; n < h {
		out += strings.Repeat("\n", h-n)
	}
	return out
}

func (m Model) tableStyles() table.Styles {
	return table.Styles{Header: m.st.ColumnHeader, Text: m.st.Text, Selected: m.st.Selected, Match: m.st.Match}
}

// row builds the cells of one alert, with what the filter matched
// highlighted.
func (m Model) row(a *alert.Alert, wide bool) table.Row {
	sevStyle := m.st.Sev(a.Severity)
	// Narrow: the time today, the date before (as ls -l does), so that an
	// old alert never passes for one of today.
	loc := m.be.Location()
	last, now := a.LastSeen.In(loc), m.clock.Now().In(loc)
	when := last.Format("15:04")
	switch {
	case wide:
		when = last.Format("01-02 15:04")
	case last.YearDay() != now.YearDay() || last.Year() != now.Year():
		when = last.Format("01-02")
	}
	var hl [nFields][]int
	if len(m.compiled.words) > 0 || len(m.compiled.fields) > 0 {
		hl = m.highlights(a)
	}
	in := func(field int) []int { return hl[field] }
	title := m.title(a)
	name := style.SevName(a.Severity, m.lang)
	if !wide {
		name = style.SevShort(a.Severity, m.lang)
	}
	// Shown with x: an acknowledged alert is marked ✓, an allow-listed
	// one ⊘ (its detail names the entry and why).
	sev := style.SevMark(a.Severity) + " " + name
	switch {
	case m.be.Hidden(a):
		sev = "⊘ " + name
	case a.Acked:
		sev = "✓ " + name
	}
	cells := []table.Cell{
		{Text: when},
		{Text: sev, Style: &sevStyle},
		{Text: a.Rule, Match: in(0)},
	}
	if wide {
		cells = append(cells, table.Cell{Text: string(a.Perspective)})
	} else {
		cells = append(cells, table.Cell{Text: strings.ToUpper(string(a.Perspective))[:1]})
	}
	ep := a.Endpoint
	epMatch := in(1)
	if !wide && a.Host != "" {
		ep, epMatch = a.Host, in(2)
	}
	cells = append(cells,
		table.Cell{Text: fmt.Sprint(a.Phase)},
		table.Cell{Text: sanitize.Line(ep), Match: epMatch},
	)
	if wide {
		cells = append(cells, table.Cell{Text: sanitize.Line(a.Host), Match: in(2)})
	}
	cells = append(cells,
		table.Cell{Text: fmt.Sprint(a.Count)},
		table.Cell{Text: sanitize.Line(title), Match: in(3)},
	)
	if wide {
		cells = append(cells, table.Cell{Text: sanitize.Line(a.Summary), Match: in(5)})
	}
	return table.Row{Cells: cells}
}

// statusLine shows the filters and counts, or the filter being typed.
func (m Model) statusLine() string {
	if m.filter.Active() {
		return m.filter.View()
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("%d/%d", len(m.rows), len(m.all)))
	if q := m.filter.Value(); q != "" {
		q = "/" + sanitize.Line(q)
		if m.fuzzy {
			q += " ≈" + m.lang.T("fuzzy")
		}
		parts = append(parts, q)
	}
	if m.compiled.err != "" {
		// What could not be read is said first, in the error colour.
		return m.st.Error.Render(table.Fit(" "+fmt.Sprintf("%d/%d  ", len(m.rows), len(m.all))+sanitize.Line(m.compiled.err), m.width, false))
	}
	if m.minSev > 0 {
		parts = append(parts, "≥"+style.SevName(m.minSev, m.lang))
	}
	if m.persp != "" {
		parts = append(parts, string(m.persp))
	}
	if m.phase != 0 {
		parts = append(parts, fmt.Sprintf("%s %d", m.lang.T("phase"), m.phase))
	}
	if m.showAll {
		parts = append(parts, m.lang.T("acked")+"+"+m.lang.T("hidden"))
	}
	// Narrow, the table has no room for the summary: the selected
	// alert's is shown here, so the 30-second look needs no key.
	if a, ok := m.Selected(); ok && m.width < 120 {
		parts = append(parts, "▸ "+sanitize.Line(alertview.Summary(&a, m.lang)))
	}
	return m.st.Muted.Render(table.Fit(" "+strings.Join(parts, "  "), m.width, false))
}
