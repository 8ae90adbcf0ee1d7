// Package tui is mamori's console: a Bubble Tea program whose root model
// owns only focus, layout, routing and dialogs (help, command line,
// prompts). Each pane is its own package; data comes from a
// backend.Backend through commands, and live alerts through one bridge
// that batches them.
package tui

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/internal/human"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/themes"
	"github.com/mamori-soc/mamori/tui/alerts"
	"github.com/mamori-soc/mamori/tui/allowlist"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/clock"
	"github.com/mamori-soc/mamori/tui/contain"
	"github.com/mamori-soc/mamori/tui/endpoints"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/incidents"
	"github.com/mamori-soc/mamori/tui/list"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/sources"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
	"github.com/mamori-soc/mamori/tui/timeline"
)

// Options configure the console.
type Options struct {
	Backend backend.Backend
	Themes  []*themes.Theme
	Theme   string
	NoColor bool
	Lang    i18n.Lang
	// Clock tells the time and sets the console's timers; nil means the
	// wall clock (tests hold it still).
	Clock clock.Clock
}

// Model is the root model.
type Model struct {
	be     backend.Backend
	keys   KeyMap
	help   help.Model
	themes []*themes.Theme
	theme  *themes.Theme
	st     *style.Styles
	lang   i18n.Lang
	clock  clock.Clock

	width, height int
	focus         request.Pane
	prev          request.Pane

	alerts    alerts.Model
	endpoints endpoints.Model
	timeline  timeline.Model
	sources   sources.Model
	incidents incidents.Model
	// contain is the containment dialog while it is open.
	contain *contain.Model
	// allow is the allow-list dialog while it is open.
	allow *allowlist.Model

	// list is every alert, updated in place as batches come (the panes
	// keep pointers into it only until the next SetAlerts); pos finds an
	// alert in it by id.
	list []alert.Alert
	pos  map[string]int
	// endpointsStale: the endpoints pane has not seen the latest alerts
	// (it is rebuilt when shown, not on every batch).
	endpointsStale bool
	status         backend.Status

	showHelp  bool
	input     textinput.Model
	inputMode int // 0 none, 1 command, 2 prompt
	prompt    *request.PromptMsg
	notice    string
	noticeErr bool
	noticeAt  time.Time
}

const (
	inputNone = iota
	inputCommand
	inputPrompt
)

// New returns the root model.
func New(o Options) Model {
	o.Clock = clock.Or(o.Clock)
	if len(o.Themes) == 0 {
		o.Themes, _ = themes.Load("")
	}
	th := themes.Choose(o.Themes, o.Theme, o.NoColor)
	st := style.New(th)
	ti := textinput.New()
	ti.CharLimit = 300
	steady(&ti)
	m := Model{
		be: o.Backend, keys: DefaultKeyMap().In(o.Lang), help: help.New(), themes: o.Themes, theme: th, st: st, lang: o.Lang, clock: o.Clock,
		pos: map[string]int{}, input: ti,
	}
	m.alerts = alerts.New(o.Backend, st, o.Lang, o.Clock)
	m.endpoints = endpoints.New(o.Backend, st, o.Lang, o.Clock)
	m.timeline = timeline.New(o.Backend, st, o.Lang, o.Clock)
	m.sources = sources.New(st, o.Lang, o.Backend.Location())
	m.incidents = incidents.New(o.Backend, st, o.Lang)
	m.applyHelpStyles()
	return m
}

// steady stops an input's cursor from blinking: a blinking cursor
// redraws the line twice a second, which over a slow SSH link is noise.
func steady(ti *textinput.Model) {
	s := ti.Styles()
	s.Cursor.Blink = false
	ti.SetStyles(s)
}

// Init loads the alerts and the status, and starts the live bridges.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.loadAlerts(), waitForAlerts(m.be.AlertUpdates()), waitForIncidents(m.be.IncidentChanges()), m.loadStatus(), m.endpoints.Load(), m.incidents.Load())
}

// Messages of the root.
type (
	alertsLoadedMsg struct {
		alerts []alert.Alert
		err    error
	}
	alertsUpdatedMsg struct{ alerts []alert.Alert }
	alertsClosedMsg  struct{}
	incidentsMsg     struct{ changes []incident.Change }
	statusMsg        struct{ status backend.Status }
)

func (m Model) loadAlerts() tea.Cmd {
	be := m.be
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		as, err := be.Alerts(ctx)
		return alertsLoadedMsg{as, err}
	}
}

// waitForAlerts is the live bridge: it waits for the engine's next batch
// of alerts, gathers what else arrives within 100 ms, and returns it as
// one message; the root re-arms it.
func waitForAlerts(ch <-chan []alert.Alert) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		batch, ok := <-ch
		if !ok {
			return alertsClosedMsg{}
		}
		deadline := time.NewTimer(100 * time.Millisecond)
		defer deadline.Stop()
		for len(batch) < 10_000 {
			select {
			case more, ok := <-ch:
				if !ok {
					return alertsUpdatedMsg{batch}
				}
				batch = append(batch, more...)
			case <-deadline.C:
				return alertsUpdatedMsg{batch}
			}
		}
		return alertsUpdatedMsg{batch}
	}
}

// loadStatus reads the status now; tickStatus in a second.
func (m Model) loadStatus() tea.Cmd {
	be := m.be
	return func() tea.Msg { return statusMsg{be.Status()} }
}

func (m Model) tickStatus() tea.Cmd {
	be := m.be
	return m.clock.Tick(time.Second, func(time.Time) tea.Msg { return statusMsg{be.Status()} })
}

// Update routes a message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case alertsLoadedMsg:
		if msg.err != nil {
			return m, request.Notify("loading alerts: "+msg.err.Error(), true)
		}
		m.publishAlerts(msg.alerts)
		return m, nil
	case alertsUpdatedMsg:
		m.publishAlerts(msg.alerts)
		return m, waitForAlerts(m.be.AlertUpdates())
	case alertsClosedMsg:
		return m, nil
	case incidentsMsg:
		return m.handleIncidentChanges(msg.changes)
	case statusMsg:
		m.status = msg.status
		m.sources.SetStatus(msg.status)
		m.alerts.SetStatus(msg.status)
		return m, m.tickStatus()
	case request.NotifyMsg:
		m.notice, m.noticeErr, m.noticeAt = sanitize.Line(msg.Text), msg.Error, m.clock.Now()
		return m, nil
	case request.AlertsChangedMsg:
		if msg.Notice != "" {
			m.notice, m.noticeErr, m.noticeAt = sanitize.Line(msg.Notice), false, m.clock.Now()
		}
		return m, m.loadAlerts()
	case request.PromptMsg:
		m.prompt = &msg
		m.inputMode = inputPrompt
		m.input.Prompt = msg.Prompt
		list.FitInput(&m.input, m.width)
		m.input.SetValue(msg.Value)
		m.input.CursorEnd()
		return m, m.input.Focus()
	case request.OpenTimelineMsg:
		m.focusPane(request.Timeline)
		var cmd tea.Cmd
		m.timeline, cmd = m.timeline.Open(msg.Endpoint, msg.AlertID)
		return m, cmd
	case request.OpenAlertMsg:
		m.focusPane(request.Alerts)
		var cmd tea.Cmd
		m.alerts, cmd = m.alerts.OpenID(msg.ID)
		return m, cmd
	case request.FocusMsg:
		m.focusPane(msg.Pane)
		return m, nil
	case request.OpenIncidentMsg:
		m.focusPane(request.Incidents)
		var cmd tea.Cmd
		m.incidents, cmd = m.incidents.OpenID(msg.ID)
		return m, cmd
	case request.NewIncidentMsg:
		m.focusPane(request.Incidents)
		return m, m.incidents.Start(msg)
	case request.ContainMsg:
		return m.openContain(msg)
	case request.AllowMsg:
		var a allowlist.Model
		var cmd tea.Cmd
		if msg.Alert != nil {
			a, cmd = allowlist.NewAdd(m.be, m.st, m.lang, m.clock, *msg.Alert)
		} else {
			a, cmd = allowlist.NewList(m.be, m.st, m.lang, m.clock)
		}
		a.SetSize(m.width, m.bodyHeight())
		m.allow = &a
		return m, cmd
	case request.UndoMsg:
		c, cmd := contain.NewUndo(m.be, m.st, m.lang, msg.Incident, msg.RunID)
		c.SetSize(m.width, m.bodyHeight())
		m.contain = &c
		return m, cmd
	}
	return m.routeData(msg)
}

// openContain opens the containment picker over the alerts and endpoints
// of msg, for the incident they belong to when msg names none.
func (m Model) openContain(msg request.ContainMsg) (tea.Model, tea.Cmd) {
	sel := containment.Selection{Incident: msg.Incident, Endpoints: msg.Endpoints}
	for _, id := range msg.Alerts {
		if i, ok := m.pos[id]; ok {
			sel.Alerts = append(sel.Alerts, m.list[i])
		}
		if sel.Incident == "" {
			sel.Incident = m.incidents.Owner(id)
		}
	}
	c, cmd := contain.New(m.be, m.st, m.lang, sel)
	c.SetSize(m.width, m.bodyHeight())
	m.contain = &c
	return m, cmd
}

// waitForIncidents is the bridge for changes to incidents: it waits for
// the next batch; the root re-arms it.
func waitForIncidents(ch <-chan []incident.Change) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		changes, ok := <-ch
		if !ok {
			return nil
		}
		return incidentsMsg{changes}
	}
}

// handleIncidentChanges reloads the incidents that changed in the panes
// that show them, and says which alerts the application attached.
func (m Model) handleIncidentChanges(changes []incident.Change) (tea.Model, tea.Cmd) {
	cmds := []tea.Cmd{waitForIncidents(m.be.IncidentChanges())}
	seen := map[string]bool{}
	attached, into := 0, []string{}
	for _, c := range changes {
		if len(c.Alerts) > 0 && c.Action == "alerts attached" {
			attached += len(c.Alerts)
			if !slices.Contains(into, c.Incident) {
				into = append(into, c.Incident)
			}
		}
		if seen[c.Incident] {
			continue
		}
		seen[c.Incident] = true
		var cmd tea.Cmd
		m.incidents, cmd = m.incidents.Update(request.IncidentChangedMsg{ID: c.Incident})
		cmds = append(cmds, cmd)
	}
	if attached > 0 {
		m.notice, m.noticeErr, m.noticeAt = fmt.Sprintf("%d %s → %s", attached, m.lang.T("alerts attached"), strings.Join(into, ", ")), false, m.clock.Now()
	}
	return m, tea.Batch(cmds...)
}

// routeData hands other messages (results of panes' commands) to the pane
// they belong to; each pane ignores what is not its own.
func (m Model) routeData(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmds [7]tea.Cmd
	m.alerts, cmds[0] = m.alerts.Update(msg)
	m.endpoints, cmds[1] = m.endpoints.Update(msg)
	m.timeline, cmds[2] = m.timeline.Update(msg)
	m.sources, cmds[3] = m.sources.Update(msg)
	m.incidents, cmds[4] = m.incidents.Update(msg)
	if m.contain != nil {
		cmds[5] = m.updateContain(msg)
	}
	if m.allow != nil {
		cmds[6] = m.updateAllow(msg)
	}
	return m, tea.Batch(cmds[:]...)
}

// updateAllow gives the allow-list dialog a message; when the user
// closed it (or it added its entry), it goes.
func (m *Model) updateAllow(msg tea.Msg) tea.Cmd {
	a, cmd := m.allow.Update(msg)
	if a.Closed() {
		m.allow = nil
	} else {
		m.allow = &a
	}
	return cmd
}

// updateContain gives the containment dialog a message; when the user
// closed it, it goes, and the incident it acted for reloads if a measure
// ran.
func (m *Model) updateContain(msg tea.Msg) tea.Cmd {
	c, cmd := m.contain.Update(msg)
	if !c.Closed() {
		m.contain = &c
		return cmd
	}
	m.contain = nil
	if !c.Changed() {
		return cmd
	}
	id := c.Incident()
	return tea.Batch(cmd, func() tea.Msg { return request.IncidentChangedMsg{ID: id} })
}

// publishAlerts takes in new and changed alerts and gives the panes the
// list. With 100,000 alerts a batch costs a filter and a sort in the alerts
// pane; the endpoints pane is rebuilt only when it is shown.
func (m *Model) publishAlerts(changed []alert.Alert) {
	if m.pos == nil {
		m.pos = map[string]int{}
	}
	for _, a := range changed {
		if i, ok := m.pos[a.ID]; ok {
			m.list[i] = a
			continue
		}
		m.pos[a.ID] = len(m.list)
		m.list = append(m.list, a)
	}
	m.alerts.SetAlerts(m.list)
	m.incidents.SetAlerts(m.list)
	m.timeline.SetAlerts(m.list)
	if m.focus == request.Endpoints {
		m.endpoints.SetAlerts(m.list)
		m.endpointsStale = false
	} else {
		m.endpointsStale = true
	}
}

func (m Model) capturing() bool {
	if m.allow != nil {
		return true
	}
	if m.contain != nil {
		return m.contain.Capturing()
	}
	switch m.focus {
	case request.Alerts:
		return m.alerts.Capturing()
	case request.Endpoints:
		return m.endpoints.Capturing()
	case request.Timeline:
		return m.timeline.Capturing()
	case request.Incidents:
		return m.incidents.Capturing()
	}
	return false
}

func (m Model) handleKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if m.inputMode != inputNone {
		return m.handleInput(k)
	}
	if m.showHelp {
		m.showHelp = false
		return m, nil
	}
	if k.String() == "ctrl+c" {
		return m, tea.Quit
	}
	if m.allow != nil {
		// The dialog takes every key: its form is typed into.
		return m, m.updateAllow(k)
	}
	if m.contain != nil {
		// The dialog takes every key but help.
		if !m.capturing() && key.Matches(k, m.keys.Help) {
			m.showHelp = true
			return m, nil
		}
		return m, m.updateContain(k)
	}
	if !m.capturing() {
		switch {
		case key.Matches(k, m.keys.Quit):
			return m, tea.Quit
		case key.Matches(k, m.keys.Help):
			m.showHelp = true
			return m, nil
		case key.Matches(k, m.keys.Command):
			m.inputMode = inputCommand
			m.input.Prompt = ":"
			list.FitInput(&m.input, m.width)
			m.input.SetValue("")
			return m, m.input.Focus()
		case key.Matches(k, m.keys.Next):
			m.focusPane((m.focus + 1) % panes)
			return m, m.onFocus()
		case key.Matches(k, m.keys.Prev):
			m.focusPane((m.focus + panes - 1) % panes)
			return m, m.onFocus()
		case key.Matches(k, m.keys.Alerts):
			m.focusPane(request.Alerts)
			return m, nil
		case key.Matches(k, m.keys.Endpoints):
			m.focusPane(request.Endpoints)
			return m, nil
		case key.Matches(k, m.keys.Timeline):
			m.focusPane(request.Timeline)
			return m, nil
		case key.Matches(k, m.keys.Sources):
			m.focusPane(request.Sources)
			return m, nil
		case key.Matches(k, m.keys.Incidents):
			m.focusPane(request.Incidents)
			return m, m.onFocus()
		}
	}
	var cmd tea.Cmd
	switch m.focus {
	case request.Alerts:
		m.alerts, cmd = m.alerts.Update(k)
	case request.Endpoints:
		m.endpoints, cmd = m.endpoints.Update(k)
	case request.Timeline:
		if key.Matches(k, m.keys.Back) && !m.timeline.Capturing() && !m.timeline.InOverlay() && !m.timeline.Searched() {
			m.focusPane(m.prev)
			return m, nil
		}
		m.timeline, cmd = m.timeline.Update(k)
	case request.Sources:
		m.sources, cmd = m.sources.Update(k)
	case request.Incidents:
		m.incidents, cmd = m.incidents.Update(k)
	}
	return m, cmd
}

// panes is the number of panes (tabs).
const panes = request.Incidents + 1

func (m *Model) focusPane(p request.Pane) {
	if p == m.focus || p < 0 || p >= panes {
		return
	}
	m.prev, m.focus = m.focus, p
	if p == request.Endpoints && m.endpointsStale {
		m.endpoints.SetAlerts(m.list)
		m.endpointsStale = false
	}
}

// onFocus refreshes what the focused pane shows: the incident list is
// read again whenever it is shown.
func (m *Model) onFocus() tea.Cmd {
	if m.focus == request.Incidents && !m.incidents.InDetail() {
		return m.incidents.Load()
	}
	return nil
}

// handleInput edits the command line or a prompt.
func (m Model) handleInput(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "esc", "ctrl+c":
		m.inputMode, m.prompt = inputNone, nil
		m.input.Blur()
		return m, nil
	case "enter":
		val := m.input.Value()
		mode, prompt := m.inputMode, m.prompt
		m.inputMode, m.prompt = inputNone, nil
		m.input.Blur()
		if mode == inputPrompt && prompt != nil {
			return m, prompt.Done(val)
		}
		return m.runCommand(val)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(k)
	return m, cmd
}

// runCommand runs a ':' command.
func (m Model) runCommand(line string) (tea.Model, tea.Cmd) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return m, nil
	}
	arg := ""
	if len(f) > 1 {
		arg = f[1]
	}
	switch strings.ToLower(f[0]) {
	case "q", "quit", "q!":
		return m, tea.Quit
	case "a", "alerts", "alert":
		m.focusPane(request.Alerts)
	case "e", "ep", "endpoints", "endpoint":
		m.focusPane(request.Endpoints)
	case "s", "src", "sources":
		m.focusPane(request.Sources)
	case "i", "inc", "incident", "incidents":
		if arg == "" {
			m.focusPane(request.Incidents)
			return m, m.onFocus()
		}
		id := strings.ToUpper(arg)
		return m, func() tea.Msg { return request.OpenIncidentMsg{ID: id} }
	case "t", "tl", "timeline":
		if arg == "" {
			m.focusPane(request.Timeline)
			return m, nil
		}
		return m, m.openTimeline(arg)
	case "allow", "allowlist", "al":
		return m, func() tea.Msg { return request.AllowMsg{} }
	case "theme":
		th, ok := themes.Find(m.themes, arg)
		if !ok {
			var names []string
			for _, t := range m.themes {
				names = append(names, t.Name)
			}
			return m, request.Notify("themes: "+strings.Join(names, ", "), arg != "")
		}
		m.setTheme(th)
	case "lang":
		m.setLang(i18n.Parse(arg))
	case "help", "h":
		m.showHelp = true
	default:
		return m, request.Notify(fmt.Sprintf("%s :%s (try :alerts, :endpoints, :timeline HOST|IP, :sources, :incidents [ID], :allow, :theme NAME, :lang ja, :q)", m.lang.T("unknown cmd"), sanitize.Line(f[0])), true)
	}
	return m, nil
}

// openTimeline opens the timeline of the endpoint a name stands for (an
// address, a host name, an asset's name), or says why it cannot.
func (m Model) openTimeline(name string) tea.Cmd {
	be := m.be
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ep, err := be.ResolveEndpoint(ctx, name)
		if err != nil {
			return request.NotifyMsg{Text: "timeline: " + err.Error(), Error: true}
		}
		return request.OpenTimelineMsg{Endpoint: ep}
	}
}

func (m *Model) setTheme(th *themes.Theme) {
	m.theme = th
	m.st = style.New(th)
	m.alerts.SetStyles(m.st)
	m.endpoints.SetStyles(m.st)
	m.timeline.SetStyles(m.st)
	m.sources.SetStyles(m.st)
	m.incidents.SetStyles(m.st)
	if m.contain != nil {
		m.contain.SetStyles(m.st)
	}
	if m.allow != nil {
		m.allow.SetStyles(m.st)
	}
	m.applyHelpStyles()
}

func (m *Model) setLang(l i18n.Lang) {
	m.lang = l
	m.keys = DefaultKeyMap().In(l)
	m.alerts.SetLang(l)
	m.endpoints.SetLang(l)
	m.timeline.SetLang(l)
	m.sources.SetLang(l)
	m.incidents.SetLang(l)
	if m.contain != nil {
		m.contain.SetLang(l)
	}
	if m.allow != nil {
		m.allow.SetLang(l)
	}
}

func (m *Model) applyHelpStyles() {
	s := help.Styles{
		ShortKey: m.st.HelpKey, ShortDesc: m.st.HelpDesc, ShortSeparator: m.st.HelpSep,
		FullKey: m.st.HelpKey, FullDesc: m.st.HelpDesc, FullSeparator: m.st.HelpSep, Ellipsis: m.st.HelpSep,
	}
	m.help.Styles = s
}

// The console's fixed lines: the header and the tabs above the pane, the
// status line (notices, the command line, prompts) and the footer (the
// keys) under it.
const (
	headerHeight = 1
	tabsHeight   = 1
	statusHeight = 1
	footerHeight = 1
)

// bodyHeight is the rows the panes get: all but header, tabs, status and
// footer.
func (m Model) bodyHeight() int {
	return max(1, m.height-headerHeight-tabsHeight-statusHeight-footerHeight)
}

func (m *Model) layout() {
	h := m.bodyHeight()
	m.alerts.SetSize(m.width, h)
	m.endpoints.SetSize(m.width, h)
	m.timeline.SetSize(m.width, h)
	m.sources.SetSize(m.width, h)
	m.incidents.SetSize(m.width, h)
	if m.contain != nil {
		m.contain.SetSize(m.width, h)
	}
	if m.allow != nil {
		m.allow.SetSize(m.width, h)
	}
	m.help.SetWidth(m.width)
	list.FitInput(&m.input, m.width)
}

// View draws the console.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "mamori"
	return v
}

func (m Model) render() string {
	if m.width < 20 || m.height < 6 {
		return "mamori: the terminal is too small"
	}
	header := m.headerView()
	tabs := m.tabsView()
	body := m.bodyView()
	if m.showHelp {
		body = m.helpOverlay()
	}
	out := lipgloss.JoinVertical(lipgloss.Left, header, tabs, fitHeight(body, m.bodyHeight()), m.statusView(), m.footerView())
	return out
}

// fitHeight pads or cuts s to exactly h lines.
func fitHeight(s string, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func (m Model) bodyView() string {
	if m.allow != nil {
		return m.allow.View()
	}
	if m.contain != nil {
		return m.contain.View()
	}
	switch m.focus {
	case request.Endpoints:
		return m.endpoints.View()
	case request.Timeline:
		return m.timeline.View()
	case request.Sources:
		return m.sources.View()
	case request.Incidents:
		return m.incidents.View()
	}
	return m.alerts.View()
}

// headerView is the status bar: mode, sources, rate, store, learning,
// problems, clock, theme.
func (m Model) headerView() string {
	s := m.status
	T := m.lang.T
	mode := T("review")
	if s.Live {
		mode = "● " + T("live")
	}
	if s.ReadOnly {
		mode = T("readonly")
	}
	var rate float64
	following, failed := 0, 0
	for _, src := range s.Sources {
		rate += src.Rate
		switch src.State {
		case "following", "reading":
			following++
		case "failed":
			failed++
		}
	}
	parts := []string{"mamori", mode}
	if s.Live && len(s.Sources) > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d %s", following, len(s.Sources), T("src")))
		parts = append(parts, fmt.Sprintf("%s %s", human.Count(rate), T("rate")))
	}
	parts = append(parts, T("store")+" "+human.Bytes(s.StoreSize))
	if s.Learned {
		parts = append(parts, T("learned"))
	} else if s.Live || s.Learning > 0 {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", T("learning"), s.Learning*100))
	}
	if m.width < 100 {
		// Narrow: keep the essentials.
		parts = parts[:min(len(parts), 6)]
	}
	// At least one space between the two halves, also when the left one
	// is cut (a wide character may leave no room for a padding space).
	right := " " + m.clock.Now().In(m.be.Location()).Format("15:04:05") + "  " + m.theme.Name + " "
	left := " " + strings.Join(parts, "  ")
	if ansi.StringWidth(left)+ansi.StringWidth(right) > m.width {
		left = " " + strings.Join(parts, " ") // tighter before anything is cut
	}
	line := table.Fit(left, max(0, m.width-ansi.StringWidth(right)), false) + right
	out := m.st.Header.Render(table.Fit(line, m.width, false))
	if s.Err != nil || failed > 0 {
		msg := ""
		if s.Err != nil {
			msg = "store: " + s.Err.Error()
		} else {
			msg = fmt.Sprintf(T("sources failed"), failed)
		}
		out = m.st.Error.Render(table.Fit(" ⚠ "+sanitize.Line(msg), m.width, false))
	}
	return out
}

// tabsView is the tab bar. When the tabs do not fit (Japanese labels at
// 80 columns) it tightens step by step: no space between the tabs, then
// no endpoint after Timeline (the timeline's header names it), then the
// tabs not shown lose their label (their number and count stay); only
// then is the bar cut.
func (m Model) tabsView() string {
	T := m.lang.T
	type tab struct{ label, count string }
	tabs := []tab{
		{T("alerts"), fmt.Sprint(m.alerts.Unacked())},
		{T("endpoints"), fmt.Sprint(m.endpoints.Count())},
		{T("timeline"), ""},
		{T("sources"), ""},
		{T("incidents"), fmt.Sprint(m.incidents.Count())},
	}
	bar := func(sep string, suffix, inactiveLabels bool) string {
		parts := make([]string, len(tabs))
		for i, t := range tabs {
			active := request.Pane(i) == m.focus
			words := []string{fmt.Sprint(i + 1)}
			if active || inactiveLabels {
				label := t.label
				if request.Pane(i) == request.Timeline && suffix {
					label += m.timeline.TabSuffix()
				}
				words = append(words, label)
			}
			if t.count != "" {
				words = append(words, t.count)
			}
			st := m.st.Tab
			if active {
				st = m.st.TabActive
			}
			parts[i] = st.Render(" " + strings.Join(words, " ") + " ")
		}
		return strings.Join(parts, sep)
	}
	var out string
	for _, step := range []struct {
		sep                    string
		suffix, inactiveLabels bool
	}{{" ", true, true}, {"", true, true}, {"", false, true}, {"", false, false}} {
		if out = bar(step.sep, step.suffix, step.inactiveLabels); ansi.StringWidth(out) <= m.width {
			return out
		}
	}
	return ansi.Truncate(out, m.width, "…")
}

func (m Model) statusView() string {
	if m.inputMode != inputNone {
		return table.Fit(m.input.View(), m.width, false)
	}
	if m.notice != "" && m.clock.Now().Sub(m.noticeAt) < 8*time.Second {
		st := m.st.Accent
		if m.noticeErr {
			st = m.st.Error
		}
		return st.Render(table.Fit(" "+m.notice, m.width, false))
	}
	return ""
}

// keyMap is the keys of what has the keyboard: the containment dialog,
// else the focused pane.
func (m Model) keyMap() help.KeyMap {
	if m.allow != nil {
		return m.allow.KeyMap()
	}
	if m.contain != nil {
		return m.contain.KeyMap()
	}
	switch m.focus {
	case request.Endpoints:
		return m.endpoints.KeyMap()
	case request.Timeline:
		return m.timeline.KeyMap()
	case request.Sources:
		return m.sources.KeyMap()
	case request.Incidents:
		return m.incidents.KeyMap()
	}
	return m.alerts.KeyMap()
}

func (m Model) footerView() string {
	bindings := m.keyMap().ShortHelp()
	if m.allow == nil {
		// The allow-list dialog takes every key (? and q are typed into
		// its fields): the global ones are not offered under it.
		bindings = append(bindings, m.keys.ShortHelp()...)
	}
	return ansi.Truncate(m.help.ShortHelpView(bindings), m.width, "…")
}

// The help overlay keeps a column free on either side of its box, is at
// least minHelpBox wide (its frame included) when the terminal allows, and
// its text at least minHelpText.
const (
	helpMargin  = 1
	minHelpBox  = 40
	minHelpText = 18
)

// helpOverlay shows every key of the focused pane and the global ones.
func (m Model) helpOverlay() string {
	h := m.help
	box := m.st.Overlay
	w := max(minHelpText, m.width-2*helpMargin-box.GetHorizontalFrameSize()) // the text's width
	h.SetWidth(0)                                                            // measure it whole
	title := m.st.Title.Render(m.lang.T("help title"))
	const cmds = ":alerts :endpoints :timeline HOST|IP :sources :incidents [ID] :allow :theme NAME :lang en|ja :q"
	commands := m.st.Muted.Render(cmds)
	if lipgloss.Width(commands) > w { // wrapped here, so that its height is known
		commands = m.st.Muted.Width(w).Render(cmds)
	}
	keys := h.FullHelpView(append(m.keyMap().FullHelp(), m.keys.FullHelp()...))
	if lipgloss.Width(keys) > w {
		// Too narrow for every group side by side (at 80 columns the
		// last ones were cut off): the pane's groups go in rows, the
		// global keys below as a line that wraps; if that is too tall,
		// the pane's keys are cut at the width as before.
		pane, global := m.packHelp(h, m.keyMap().FullHelp(), w), m.globalKeysLine(w)
		h.SetWidth(w)
		keys = h.FullHelpView(append(m.keyMap().FullHelp(), m.keys.FullHelp()...))
		// The box: border, title, blank, keys, blank, commands, border;
		// without the blank above the global keys if that makes it fit.
		fixed := box.GetVerticalFrameSize() + lipgloss.Height(title) + 2 // the blank lines after the title and before the commands
		for _, sep := range []string{"\n\n", "\n"} {
			if packed := pane + sep + global; lipgloss.Height(packed)+lipgloss.Height(commands)+fixed <= m.bodyHeight() {
				keys = packed
				break
			}
		}
	}
	body := title + "\n\n" + keys + "\n\n" + commands
	out := box.Width(min(m.width, max(minHelpBox, lipgloss.Width(body)+box.GetHorizontalFrameSize()))).Render(body)
	return lipgloss.Place(m.width, m.bodyHeight(), lipgloss.Center, lipgloss.Center, out)
}

// packHelp lays key groups side by side in rows at most width cells wide.
func (m Model) packHelp(h help.Model, groups [][]key.Binding, width int) string {
	const gap = "    "
	var rows []string
	var row []string
	rowW := 0
	for _, g := range groups {
		v := h.FullHelpView([][]key.Binding{g})
		if v == "" {
			continue
		}
		gw := lipgloss.Width(v)
		if len(row) > 0 && rowW+len(gap)+gw > width {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, rowW = nil, 0
		}
		if len(row) > 0 {
			row = append(row, gap)
			rowW += len(gap)
		}
		row = append(row, v)
		rowW += gw
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	return strings.Join(rows, "\n")
}

// globalKeysLine lists the keys that work in every pane on lines of at
// most width cells.
func (m Model) globalKeysLine(width int) string {
	var parts []string
	for _, g := range m.keys.FullHelp() {
		for _, b := range g {
			if b.Enabled() {
				parts = append(parts, m.st.HelpKey.Render(b.Help().Key)+" "+m.st.HelpDesc.Render(b.Help().Desc))
			}
		}
	}
	return lipgloss.NewStyle().Width(width).Render(strings.Join(parts, m.st.HelpSep.Render(" · ")))
}

// Run runs the console until the user quits or ctx ends.
func Run(ctx context.Context, o Options) error {
	if o.Lang == "" {
		o.Lang = i18n.FromEnv()
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	o.NoColor = o.NoColor || noColor
	p := tea.NewProgram(New(o), tea.WithContext(ctx))
	_, err := p.Run()
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}
