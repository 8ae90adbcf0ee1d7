// Package incidents is the console's incidents pane: every incident with
// its status, endpoints, alerts, current handling phase, checklist
// progress and worst severity; enter opens one (incidentview). It also
// opens incidents for the other panes (an alert's or an endpoint's `i`).
// Alerts attach to incidents in the application, not here: the pane
// reloads when the incident manager says an incident changed.
package incidents

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/incidentview"
	"github.com/mamori-soc/mamori/tui/list"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

// KeyMap is the pane's keys.
type KeyMap struct {
	list.NavKeys
	Open, Reload, ShowClosed, Back key.Binding
}

// DefaultKeyMap returns the pane's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys:    list.DefaultNavKeys(),
		Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Reload:     key.NewBinding(key.WithKeys("r", "ctrl+r"), key.WithHelp("r", "reload")),
		ShowClosed: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "show closed")),
		Back:       key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
	}
}

func keyMap(lang i18n.Lang) KeyMap {
	k := DefaultKeyMap()
	lang.Keys(&k)
	return k
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Open, k.ShowClosed, k.Reload} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown}, {k.Open, k.ShowClosed, k.Reload}}
}

// Model is the pane.
type Model struct {
	keys          KeyMap
	be            backend.Backend
	st            *style.Styles
	lang          i18n.Lang
	width, height int

	incs       []incident.Incident // as listed, newest first
	rows       []incident.Incident // shown
	alerts     map[string]*alert.Alert
	showClosed bool
	selected   int
	offset     int
	req        int
	loaded     bool
	err        string

	detail *incidentview.Model
}

// New returns the pane.
func New(be backend.Backend, st *style.Styles, lang i18n.Lang) Model {
	return Model{keys: keyMap(lang), be: be, st: st, lang: lang, alerts: map[string]*alert.Alert{}}
}

// Messages of the pane's commands.
type (
	listedMsg struct {
		req  int
		incs []incident.Incident
		err  error
	}
	draftMsg struct {
		title     string
		existing  string
		alerts    []string
		endpoints []string
		err       error
	}
	openedMsg struct {
		inc incident.Incident
		err error
	}
)

// Load lists the incidents.
func (m *Model) Load() tea.Cmd {
	im := m.be.Incidents()
	if im == nil {
		return nil
	}
	m.req++
	req := m.req
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		incs, err := im.List(ctx)
		return listedMsg{req: req, incs: incs, err: err}
	}
}

// SetAlerts gives the pane the alerts (for severities and host names).
func (m *Model) SetAlerts(as []alert.Alert) {
	m.alerts = make(map[string]*alert.Alert, len(as))
	for i := range as {
		m.alerts[as[i].ID] = &as[i]
	}
	m.apply()
}

// Owner returns the incident an alert belongs to: an open one before a
// closed one; "" for none.
func (m Model) Owner(alertID string) string {
	found := ""
	for i := range m.incs {
		if m.incs[i].HasAlert(alertID) {
			if m.incs[i].IsOpen() {
				return m.incs[i].ID
			}
			if found == "" {
				found = m.incs[i].ID
			}
		}
	}
	return found
}

// Start handles an alert's or an endpoint's `i`: the incident they
// already belong to is opened; otherwise the user is asked for a title
// (the proposed one accepted with enter) and a new incident is opened.
func (m Model) Start(req request.NewIncidentMsg) tea.Cmd {
	im := m.be.Incidents()
	if im == nil {
		return request.Notify(m.lang.T("no handling"), true)
	}
	var chosen []*alert.Alert
	for _, id := range req.Alerts {
		if a := m.alerts[id]; a != nil {
			chosen = append(chosen, a)
		}
	}
	proposal := ProposedTitle(chosen, req.Endpoints)
	readonly := m.be.ReadOnly() || !im.CanChange()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		incs, err := im.List(ctx)
		if err != nil {
			return draftMsg{err: err}
		}
		if id := existing(incs, req); id != "" {
			return draftMsg{existing: id}
		}
		if readonly {
			return draftMsg{err: errors.New("read-only: no incident can be opened")}
		}
		return draftMsg{title: proposal, alerts: req.Alerts, endpoints: req.Endpoints}
	}
}

// existing finds the incident a request's alerts belong to (open first),
// else an open incident of its endpoints.
func existing(incs []incident.Incident, req request.NewIncidentMsg) string {
	for _, open := range []bool{true, false} {
		for i := range incs {
			if incs[i].IsOpen() != open {
				continue
			}
			for _, id := range req.Alerts {
				if incs[i].HasAlert(id) {
					return incs[i].ID
				}
			}
		}
	}
	for i := range incs {
		if !incs[i].IsOpen() {
			continue
		}
		for _, ep := range req.Endpoints {
			if incs[i].HasEndpoint(ep) {
				return incs[i].ID
			}
		}
	}
	return ""
}

// ProposedTitle is the title the incident manager gives an incident
// opened without one: the most severe alert's title on its host, or the
// endpoints.
func ProposedTitle(as []*alert.Alert, endpoints []string) string {
	var top *alert.Alert
	for _, a := range as {
		if top == nil || a.Severity > top.Severity {
			top = a
		}
	}
	if top != nil {
		host := top.Endpoint
		if top.Host != "" {
			host = top.Host
		}
		return sanitize.Line(top.Title + " on " + host)
	}
	return sanitize.Line("Incident on " + strings.Join(endpoints, ", "))
}

func (m Model) openIncident(title, proposal string, alerts, endpoints []string) tea.Cmd {
	im := m.be.Incidents()
	title = strings.TrimSpace(title)
	if title == proposal {
		title = "" // the manager's own default
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		inc, err := im.Open(ctx, incident.Request{Title: title, Alerts: alerts, Endpoints: endpoints})
		var me *audit.MirrorError
		if errors.As(err, &me) {
			err = nil // opened and audited in the store
		}
		return openedMsg{inc: inc, err: err}
	}
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
	m.keys = keyMap(l)
	if m.detail != nil {
		m.detail.SetLang(l)
	}
}

// SetSize sets the pane's size.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	if m.detail != nil {
		m.detail.SetSize(w, h)
	}
}

// KeyMap returns the keys in effect (the incident view's when open).
func (m Model) KeyMap() help.KeyMap {
	if m.detail != nil {
		return m.detail.KeyMap()
	}
	return m.keys
}

// Capturing reports whether the pane reads text.
func (m Model) Capturing() bool { return m.detail != nil && m.detail.Capturing() }

// InDetail reports whether an incident is open.
func (m Model) InDetail() bool { return m.detail != nil }

// Count is the number of open incidents, for the tab.
func (m Model) Count() int {
	n := 0
	for i := range m.incs {
		if m.incs[i].IsOpen() {
			n++
		}
	}
	return n
}

// OpenID shows incident id.
func (m Model) OpenID(id string) (Model, tea.Cmd) {
	if m.detail != nil && m.detail.ID() == id {
		d, cmd := m.detail.Reload()
		m.detail = &d
		return m, cmd
	}
	d, cmd := incidentview.New(m.be, m.st, m.lang, id)
	d.SetSize(m.width, m.height)
	m.detail = &d
	return m, cmd
}

// Update handles a message.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case listedMsg:
		// Loads may be started from copies of the model (Init): the
		// newest result wins, older ones are dropped.
		if msg.req < m.req {
			return m, nil
		}
		m.req, m.loaded = msg.req, true
		if msg.err != nil {
			m.err = msg.err.Error()
			return m, nil
		}
		m.incs, m.err = msg.incs, ""
		m.apply()
		return m, nil
	case draftMsg:
		switch {
		case msg.err != nil:
			return m, request.Notify(msg.err.Error(), true)
		case msg.existing != "":
			m, cmd := m.OpenID(msg.existing)
			return m, tea.Batch(cmd, request.Notify(m.lang.T("already in")+" "+msg.existing, false))
		}
		proposal := msg.title
		return m, func() tea.Msg {
			return request.PromptMsg{Prompt: m.lang.T("incident title"), Value: proposal, Done: func(title string) tea.Cmd {
				if strings.TrimSpace(title) == "" {
					title = proposal
				}
				return m.openIncident(title, proposal, msg.alerts, msg.endpoints)
			}}
		}
	case openedMsg:
		if msg.err != nil {
			return m, request.Notify(msg.err.Error(), true)
		}
		id := msg.inc.ID
		m, cmd := m.OpenID(id)
		text := fmt.Sprintf("%s %s: %d %s", m.lang.T("opened"), id, len(msg.inc.Alerts), m.lang.T("alerts n"))
		return m, tea.Batch(cmd, m.Load(), request.Notify(text, false))
	case request.IncidentChangedMsg:
		cmds := []tea.Cmd{m.Load()}
		if m.detail != nil && m.detail.ID() == msg.ID {
			d, cmd := m.detail.Reload()
			m.detail = &d
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	case tea.KeyPressMsg:
		if m.detail != nil {
			if key.Matches(msg, m.keys.Back) && !m.detail.InSub() {
				m.detail = nil
				return m, m.Load()
			}
			d, cmd := m.detail.Update(msg)
			m.detail = &d
			return m, cmd
		}
		return m.handleKey(msg)
	}
	if m.detail != nil {
		d, cmd := m.detail.Update(msg)
		m.detail = &d
		return m, cmd
	}
	return m, nil
}

func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	if d, ok := m.keys.Delta(k, len(m.rows), m.shown()); ok {
		m.move(d)
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Reload):
		return m, m.Load()
	case key.Matches(k, m.keys.ShowClosed):
		m.showClosed = !m.showClosed
		m.apply()
	case key.Matches(k, m.keys.Open):
		if m.selected < len(m.rows) {
			return m.OpenID(m.rows[m.selected].ID)
		}
	}
	return m, nil
}

// apply picks the rows shown: open incidents (closed ones too with x),
// newest first, the selection kept on the same incident.
func (m *Model) apply() {
	keep := ""
	if m.selected < len(m.rows) {
		keep = m.rows[m.selected].ID
	}
	m.rows = m.rows[:0]
	for _, inc := range m.incs {
		if inc.IsOpen() || m.showClosed {
			m.rows = append(m.rows, inc)
		}
	}
	m.selected = 0
	for i := range m.rows {
		if m.rows[i].ID == keep {
			m.selected = i
		}
	}
	m.move(0)
}

func (m *Model) move(n int) {
	m.selected = min(max(m.selected+n, 0), max(len(m.rows)-1, 0))
	m.offset = table.Window(m.offset, m.selected, m.shown(), len(m.rows))
}

// statusHeight is the status line under the table.
const statusHeight = 1

// tableHeight is the lines of the table, its header included.
func (m Model) tableHeight() int { return max(0, m.height-statusHeight) }

// shown is how many incidents the table shows.
func (m Model) shown() int { return table.Rows(m.tableHeight()) }

// View renders the pane.
func (m Model) View() string {
	if m.detail != nil {
		return m.detail.View()
	}
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	T := m.lang.T
	cols := m.columns()
	var msg string
	switch {
	case m.be.Incidents() == nil:
		msg = T("no handling")
	case m.err != "":
		msg = "✗ " + sanitize.Line(m.err)
	case !m.loaded:
		msg = T("loading")
	case len(m.rows) == 0 && len(m.incs) > 0:
		msg = T("no open incidents")
	case len(m.rows) == 0:
		msg = T("no incidents")
	}
	var body string
	if msg != "" {
		body = table.Render(cols, nil, -1, 0, m.width, table.HeaderHeight, m.tableStyles()) + "\n" + m.st.Muted.Render(table.Fit("  "+msg, m.width, false))
	} else {
		rows := make([]table.Row, len(m.rows))
		for i := range m.rows {
			rows[i] = m.row(&m.rows[i])
		}
		body = table.Render(cols, rows, m.selected, m.offset, m.width, m.tableHeight(), m.tableStyles())
	}
	closed := len(m.incs) - m.Count()
	status := fmt.Sprintf(" %d %s, %d %s", m.Count(), T("open n"), closed, T("closed n"))
	if m.showClosed {
		status += "  (" + T("closed shown") + ")"
	}
	return table.FitLines(strings.Split(body, "\n"), m.tableHeight()) + "\n" + m.st.Muted.Render(table.Fit(status, m.width, false))
}

func (m Model) tableStyles() table.Styles {
	return table.Styles{Header: m.st.ColumnHeader, Text: m.st.Text, Selected: m.st.Selected, Match: m.st.Match}
}

func (m Model) columns() []table.Column {
	T := m.lang.T
	wide := m.width >= 120
	opened := table.Column{Title: T("opened col"), Width: 6}
	if wide {
		opened.Width = 11
	}
	cols := []table.Column{
		{Title: "ID", Width: 15},
		{Title: "", Width: 1},
		{Title: T("severity"), Width: 6},
		{Title: T("phase hd"), Width: 2},
		{Title: T("progress"), Width: 5, Right: true},
		{Title: "#", Width: 3, Right: true},
		{Title: T("endpoints"), Width: 12, Flex: 1},
		{Title: T("title"), Width: 12, Flex: 2},
		opened,
	}
	if wide {
		cols[1] = table.Column{Title: T("state"), Width: 8}
		cols[2].Width = 10
	}
	return cols
}

func (m Model) row(inc *incident.Incident) table.Row {
	T := m.lang.T
	wide := m.width >= 120
	var as []alert.Alert
	worst, any := alert.Info, false
	for _, id := range inc.Alerts {
		if a := m.alerts[id]; a != nil {
			as = append(as, *a)
			if !any || a.Severity > worst {
				worst, any = a.Severity, true
			}
		}
	}
	cl := incident.BuildChecklist(m.be.Catalog(), inc)
	done, total := incidentview.Progress(cl)
	phase := cl.Current
	if phase == "" {
		phase = "✓"
	}
	status, stSt := "●", m.st.OK
	if !inc.IsOpen() {
		status, stSt = "○", m.st.Muted
	}
	if wide {
		status += " " + T("status "+string(inc.Status))
	}
	sev, sevSt := "", m.st.Muted
	if any {
		name := style.SevShort(worst, m.lang)
		if wide {
			name = style.SevName(worst, m.lang)
		}
		sev, sevSt = style.SevMark(worst)+" "+name, m.st.Sev(worst)
	}
	layout := "01-02"
	if wide {
		layout = "01-02 15:04"
	}
	return table.Row{Cells: []table.Cell{
		{Text: sanitize.Line(inc.ID)},
		{Text: status, Style: &stSt},
		{Text: sev, Style: &sevSt},
		{Text: phase},
		{Text: fmt.Sprintf("%d/%d", done, total)},
		{Text: fmt.Sprint(len(inc.Alerts))},
		{Text: sanitize.Line(incidentview.Hosts(m.be, inc.Endpoints, as))},
		{Text: sanitize.Line(inc.Title)},
		{Text: inc.Opened.In(m.be.Location()).Format(layout)},
	}}
}
