// Package endpoints is the list of every endpoint seen: host name,
// segment, risk (its worst open alert), number of alerts, the attack
// phases its alerts reached, last seen; sortable and filterable, enter
// opens its timeline.
package endpoints

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/sahilm/fuzzy"

	"github.com/mamori-soc/mamori/alert"
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

// KeyMap is the pane's keys.
type KeyMap struct {
	list.NavKeys
	Open, Filter, Sort, Reload key.Binding
	Incident, Contain          key.Binding
}

// DefaultKeyMap returns the pane's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys:  list.DefaultNavKeys(),
		Open:     key.NewBinding(key.WithKeys("enter", "t"), key.WithHelp("enter", "timeline")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Reload:   key.NewBinding(key.WithKeys("r", "ctrl+r"), key.WithHelp("r", "reload")),
		Incident: key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "incident")),
		Contain:  key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "contain…")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Incident, k.Contain, k.Filter, k.Sort}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{k.Bindings(), {k.Open, k.Filter, k.Sort, k.Reload}, {k.Incident, k.Contain}}
}

// Endpoint is one row.
type Endpoint struct {
	ID, Host, Segment, Role string
	Events                  int64
	FirstSeen, LastSeen     time.Time
	Alerts                  int
	Worst                   alert.Severity
	HasAlerts               bool
	Phases                  [7]bool
}

func (e *Endpoint) phaseCount() int {
	n := 0
	for _, ok := range e.Phases {
		if ok {
			n++
		}
	}
	return n
}

// Sort orders.
const (
	byRisk = iota
	byAlerts
	byLastSeen
	byName
	sortOrders
)

// sortNames are the orders' names, keys of their translations.
var sortNames = [...]string{"sort risk", "sort alerts", "sort last seen", "sort address"}

// Model is the pane.
type Model struct {
	keys          KeyMap
	be            backend.Backend
	st            *style.Styles
	lang          i18n.Lang
	width, height int

	sums    []store.EndpointSummary
	alerts  []alert.Alert
	rows    []Endpoint
	matches [][]int
	order   int

	selected, offset int
	touched          bool // the user moved the selection: keep it on rebuilds
	filter           list.Filter
	clock            clock.Clock
}

// New returns the pane; clk (nil: the wall clock) times its reloads.
func New(be backend.Backend, st *style.Styles, lang i18n.Lang, clk clock.Clock) Model {
	m := Model{be: be, st: st, lang: lang, filter: list.NewFilter(), clock: clock.Or(clk)}
	m.SetLang(lang)
	return m
}

type loadedMsg struct {
	sums []store.EndpointSummary
	err  error
}

type reloadMsg struct{}

// Load reads the endpoint summaries (and schedules the next reload).
func (m Model) Load() tea.Cmd {
	be := m.be
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sums, err := be.Endpoints(ctx)
		return loadedMsg{sums, err}
	}
}

// SetStyles changes the theme.
func (m *Model) SetStyles(st *style.Styles) { m.st = st }

// SetLang changes the language.
func (m *Model) SetLang(l i18n.Lang) {
	m.lang = l
	m.keys = DefaultKeyMap()
	l.Keys(&m.keys)
	m.keys.Incident.SetEnabled(!m.be.ReadOnly()) // opening an incident changes the store
}

// SetSize sets the pane's size.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.filter.SetWidth(w)
}

// KeyMap returns the pane's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// Capturing reports whether the filter is being typed.
func (m Model) Capturing() bool { return m.filter.Active() }

// Count is the number of endpoints known.
func (m Model) Count() int { return len(m.sums) }

// SetAlerts gives the pane the alerts (allow-listed ones are left out).
func (m *Model) SetAlerts(as []alert.Alert) {
	m.alerts = as
	m.build()
}

// build joins summaries and alerts into rows.
func (m *Model) build() {
	byID := map[string]*Endpoint{}
	var list []*Endpoint
	get := func(id string) *Endpoint {
		if e, ok := byID[id]; ok {
			return e
		}
		e := &Endpoint{ID: id}
		if as, ok := m.be.Asset(id); ok {
			e.Host, e.Segment, e.Role = as.Host, as.Segment, as.Role
		}
		byID[id] = e
		list = append(list, e)
		return e
	}
	for _, s := range m.sums {
		e := get(s.ID)
		if s.Host != "" {
			e.Host = s.Host
		}
		e.Events, e.FirstSeen, e.LastSeen = s.Events, s.FirstSeen, s.LastSeen
	}
	for i := range m.alerts {
		a := &m.alerts[i]
		if a.Endpoint == "" || m.be.Hidden(a) {
			continue
		}
		e := get(a.Endpoint)
		if e.Host == "" {
			e.Host = a.Host
		}
		if a.Acked {
			continue
		}
		e.Alerts++
		if !e.HasAlerts || a.Severity > e.Worst {
			e.Worst, e.HasAlerts = a.Severity, true
		}
		if a.Phase >= 1 && a.Phase <= 6 {
			e.Phases[a.Phase] = true
		}
		if a.LastSeen.After(e.LastSeen) {
			e.LastSeen = a.LastSeen
		}
	}
	var keep string
	if m.touched && m.selected < len(m.rows) {
		keep = m.rows[m.selected].ID
	}
	rows := make([]Endpoint, 0, len(list))
	for _, e := range list {
		rows = append(rows, *e)
	}
	m.sortRows(rows)
	m.matches = nil
	if q := strings.TrimSpace(m.filter.Value()); q != "" {
		texts := make([]string, len(rows))
		for i := range rows {
			texts[i] = rows[i].ID + " " + rows[i].Host + " " + rows[i].Segment + " " + rows[i].Role
		}
		found := fuzzy.Find(q, texts)
		filtered := make([]Endpoint, len(found))
		m.matches = make([][]int, len(found))
		for i, f := range found {
			filtered[i] = rows[f.Index]
			m.matches[i] = f.MatchedIndexes
		}
		rows = filtered
	}
	m.rows = rows
	m.selected = 0
	for i := range rows {
		if rows[i].ID == keep {
			m.selected = i
		}
	}
	m.offset = table.Window(m.offset, m.selected, m.shown(), len(m.rows))
}

// statusHeight is the status line under the table.
const statusHeight = 1

// tableHeight is the lines of the table, its header included.
func (m Model) tableHeight() int { return m.height - statusHeight }

// shown is how many endpoints the table shows.
func (m Model) shown() int { return table.Rows(m.tableHeight()) }

func (m Model) sortRows(rows []Endpoint) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := &rows[i], &rows[j]
		switch m.order {
		case byAlerts:
			if a.Alerts != b.Alerts {
				return a.Alerts > b.Alerts
			}
		case byLastSeen:
			if !a.LastSeen.Equal(b.LastSeen) {
				return a.LastSeen.After(b.LastSeen)
			}
		case byName:
			return addrLess(a.ID, b.ID)
		default:
			if a.HasAlerts != b.HasAlerts {
				return a.HasAlerts
			}
			if a.Worst != b.Worst {
				return a.Worst > b.Worst
			}
			if pa, pb := a.phaseCount(), b.phaseCount(); pa != pb {
				return pa > pb
			}
			if a.Alerts != b.Alerts {
				return a.Alerts > b.Alerts
			}
		}
		return addrLess(a.ID, b.ID)
	})
}

// addrLess orders addresses numerically, then names.
func addrLess(a, b string) bool {
	pa, ea := netip.ParseAddr(a)
	pb, eb := netip.ParseAddr(b)
	switch {
	case ea == nil && eb == nil:
		return pa.Less(pb)
	case ea == nil:
		return true
	case eb == nil:
		return false
	}
	return a < b
}

// Update handles a message.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.err != nil {
			return m, tea.Batch(request.Notify("endpoints: "+msg.err.Error(), true), m.clock.Tick(10*time.Second, func(time.Time) tea.Msg { return reloadMsg{} }))
		}
		m.sums = msg.sums
		m.build()
		return m, m.clock.Tick(5*time.Second, func(time.Time) tea.Msg { return reloadMsg{} })
	case reloadMsg:
		return m, m.Load()
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.filter.Active() {
		changed, cmd := m.filter.Handle(k)
		if changed {
			m.build()
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
	case key.Matches(k, m.keys.Sort):
		m.order = (m.order + 1) % sortOrders
		m.build()
	case key.Matches(k, m.keys.Reload):
		return m, m.Load()
	case key.Matches(k, m.keys.Open):
		if m.selected < len(m.rows) {
			id := m.rows[m.selected].ID
			return m, func() tea.Msg { return request.OpenTimelineMsg{Endpoint: id} }
		}
	case key.Matches(k, m.keys.Incident):
		if m.selected < len(m.rows) {
			msg := request.NewIncidentMsg{Endpoints: []string{m.rows[m.selected].ID}}
			return m, func() tea.Msg { return msg }
		}
	case key.Matches(k, m.keys.Contain):
		if m.selected < len(m.rows) {
			id := m.rows[m.selected].ID
			msg := request.ContainMsg{Endpoints: []string{id}}
			for i := range m.alerts {
				if m.alerts[i].Endpoint == id && !m.alerts[i].Acked {
					msg.Alerts = append(msg.Alerts, m.alerts[i].ID)
				}
			}
			return m, func() tea.Msg { return msg }
		}
	}
	return m, nil
}

func (m *Model) move(n int) {
	m.touched = true
	m.selected = min(max(m.selected+n, 0), max(len(m.rows)-1, 0))
	m.offset = table.Window(m.offset, m.selected, m.shown(), len(m.rows))
}

// View renders the pane.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	T := m.lang.T
	wide := m.width >= 120
	cols := []table.Column{
		{Title: T("endpoint"), Width: 15},
		{Title: T("host"), Width: 12, Flex: 1},
		{Title: T("segment"), Width: 9},
		{Title: T("risk"), Width: 6},
		{Title: T("alerts"), Width: 6, Right: true},
		{Title: T("phases"), Width: 6},
		{Title: T("last seen"), Width: 11},
	}
	if wide {
		cols = append(cols, table.Column{Title: T("role"), Width: 12, Flex: 1}, table.Column{Title: T("events"), Width: 9, Right: true})
	}
	// Build only the rows on screen.
	end := min(len(m.rows), m.offset+m.shown())
	rows := make([]table.Row, 0, max(0, end-m.offset))
	for i := m.offset; i < end; i++ {
		e := &m.rows[i]
		risk, riskStyle := "-", m.st.Muted
		if e.HasAlerts {
			risk, riskStyle = style.SevMark(e.Worst)+" "+style.SevShort(e.Worst, m.lang), m.st.Sev(e.Worst)
		}
		var match []int
		if i < len(m.matches) {
			match = m.matches[i]
		}
		hostStart := len([]rune(e.ID)) + 1
		var idMatch, hostMatch []int
		for _, x := range match {
			if x < hostStart-1 {
				idMatch = append(idMatch, x)
			} else if x >= hostStart && x < hostStart+len([]rune(e.Host)) {
				hostMatch = append(hostMatch, x-hostStart)
			}
		}
		last := ""
		if !e.LastSeen.IsZero() {
			last = e.LastSeen.In(m.be.Location()).Format("01-02 15:04")
		}
		phases := m.st.Phases(e.Phases)
		cells := []table.Cell{
			{Text: sanitize.Line(e.ID), Match: idMatch},
			{Text: sanitize.Line(e.Host), Match: hostMatch},
			{Text: sanitize.Line(e.Segment)},
			{Text: risk, Style: &riskStyle},
			{Text: fmt.Sprint(e.Alerts)},
			{Text: phases},
			{Text: last},
		}
		if wide {
			cells = append(cells, table.Cell{Text: sanitize.Line(e.Role)}, table.Cell{Text: fmt.Sprint(e.Events)})
		}
		rows = append(rows, table.Row{Cells: cells})
	}
	body := table.Render(cols, rows, m.selected-m.offset, 0, m.width, m.tableHeight(), table.Styles{Header: m.st.ColumnHeader, Text: m.st.Text, Selected: m.st.Selected, Match: m.st.Match})
	if len(m.rows) == 0 {
		msg := T("no endpoints")
		if len(m.sums) > 0 {
			msg = T("no match")
		}
		body += "\n" + m.st.Muted.Render("  "+msg)
	}
	body = table.FitLines(strings.Split(body, "\n"), m.tableHeight())
	status := fmt.Sprintf(" %d/%d  %s: %s", len(m.rows), len(m.sums), T("sort"), T(sortNames[m.order]))
	if q := m.filter.Value(); q != "" {
		status += "  /" + sanitize.Line(q)
	}
	if m.filter.Active() {
		status = m.filter.View()
	}
	return body + "\n" + m.st.Muted.Render(table.Fit(status, m.width, false))
}
