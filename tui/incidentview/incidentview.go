// Package incidentview is one incident in the console: its header (status,
// endpoints, worst severity, attack phases reached, handling phase), and
// five sections — the A–G handling checklist with every role's actions,
// the four findings of the full investigation with the suggestions drawn
// from the alerts' evidence, the incident's alerts, the containment
// actions taken (with undo), and the audit trail. Every change goes
// through the backend's incident manager inside a command, and is
// audited there.
package incidentview

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/tui/alertview"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/contain"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

// section is one of the view's sections.
type section int

const (
	checklist section = iota
	findings
	alerts
	actions
	trail
	nSections
)

// Data is what the view shows of one incident, read in one command.
type Data struct {
	Incident    incident.Incident
	Checklist   incident.Checklist
	Alerts      []alert.Alert
	Suggestions []incident.Suggestion
	Records     []audit.Record
	Actions     []containment.Action
	// Unfinished are the runs started and never finished, by run id.
	Unfinished map[string]bool
}

// Load reads incident id and everything the view shows of it.
func Load(ctx context.Context, be backend.Backend, id string) (Data, error) {
	im, log, cm := be.Incidents(), be.Audit(), be.Containment()
	if im == nil || log == nil || cm == nil {
		return Data{}, errors.New("incident handling is not available")
	}
	inc, err := im.Get(ctx, id)
	if err != nil {
		return Data{}, err
	}
	d := Data{Incident: inc, Checklist: im.Checklist(&inc), Unfinished: map[string]bool{}}
	if d.Alerts, err = im.Alerts(ctx, &inc); err != nil {
		return Data{}, err
	}
	if d.Suggestions, err = im.Suggest(ctx, &inc); err != nil {
		return Data{}, err
	}
	if d.Records, err = log.Records(ctx, audit.Filter{Incident: id}); err != nil {
		return Data{}, err
	}
	for _, r := range audit.Unfinished(d.Records) {
		d.Unfinished[r.Run.ID] = true
	}
	if d.Actions, err = cm.History(ctx, id); err != nil {
		return Data{}, err
	}
	return d, nil
}

// Model shows one incident.
type Model struct {
	keys     KeyMap
	be       backend.Backend
	st       *style.Styles
	lang     i18n.Lang
	readonly bool
	w, h     int
	now      func() time.Time

	id      string
	req     int
	loading bool
	err     string
	data    *Data

	section  section
	cursor   [nSections]int
	offset   [nSections]int
	expanded map[string]bool // phases shown with their actions
	io       map[string]bool // actions shown with inputs and outputs
	allIO    bool

	editing *textarea.Model
	editID  string // the finding being edited
	detail  *alertview.Model
	overlay *viewport.Model // a containment action's details
}

// New returns the view of incident id and the command that loads it.
func New(be backend.Backend, st *style.Styles, lang i18n.Lang, id string) (Model, tea.Cmd) {
	ro := be.ReadOnly() || be.Incidents() == nil || !be.Incidents().CanChange()
	m := Model{keys: keyMap(lang, ro), be: be, st: st, lang: lang, readonly: ro, now: time.Now, id: id,
		expanded: map[string]bool{}, io: map[string]bool{}, loading: true}
	return m, m.load()
}

// ID is the shown incident's id.
func (m Model) ID() string { return m.id }

// Data is what the view holds of the incident; nil before it loaded.
func (m Model) Data() *Data { return m.data }

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
	m.keys = keyMap(l, m.readonly)
	if m.detail != nil {
		m.detail.SetLang(l)
	}
}

// SetSize sets the view's size.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	if m.detail != nil {
		m.detail.SetSize(w, h)
	}
	if m.overlay != nil {
		m.overlay.SetWidth(w)
		m.overlay.SetHeight(max(1, h-hintHeight))
	}
	if m.editing != nil {
		m.sizeEditor(m.editing)
	}
}

// Capturing reports whether the view reads text (a finding being edited).
func (m Model) Capturing() bool { return m.editing != nil }

// InSub reports whether something inside the view is open (an alert, an
// action's details, the editor) that esc closes first.
func (m Model) InSub() bool { return m.detail != nil || m.overlay != nil || m.editing != nil }

// KeyMap returns the keys in effect.
func (m Model) KeyMap() help.KeyMap {
	if m.detail != nil {
		return m.detail.KeyMap()
	}
	return sectionKeys{k: m.keys, section: m.section, editing: m.editing != nil}
}

// Messages of the view's commands.
type (
	loadedMsg struct {
		req  int
		data Data
		err  error
	}
	changedMsg struct {
		id   string
		what string
		err  error
	}
	exportedMsg struct {
		what string
		exp  export.Exported
		err  error
	}
)

func (m Model) load() tea.Cmd {
	be, id, req := m.be, m.id, m.req
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d, err := Load(ctx, be, id)
		return loadedMsg{req: req, data: d, err: err}
	}
}

// Reload reads the incident again.
func (m Model) Reload() (Model, tea.Cmd) {
	m.req++
	m.loading = true
	return m, m.load()
}

// change runs a change of the incident in a command; its result reloads
// the view and tells the other panes.
func (m Model) change(what string, do func(ctx context.Context, im *incident.Manager) error) tea.Cmd {
	im, id := m.be.Incidents(), m.id
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err := do(ctx, im)
		var me *audit.MirrorError
		if errors.As(err, &me) {
			return changedMsg{id: id, what: what + " (" + err.Error() + ")"}
		}
		return changedMsg{id: id, what: what, err: err}
	}
}

// Update handles a message.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.req != m.req {
			return m, nil
		}
		m.loading = false
		if msg.err != nil {
			m.err = msg.err.Error()
			return m, nil
		}
		d := msg.data
		m.data, m.err = &d, ""
		if m.detail != nil {
			for _, a := range d.Alerts {
				if a.ID == m.detail.ID() {
					m.detail.SetAlert(a)
				}
			}
		}
		if len(m.expanded) == 0 && m.cursor[checklist] == 0 {
			m.cursor[checklist] = m.phaseRow(d.Checklist.Current)
		}
		m.clamp()
		return m, nil
	case changedMsg:
		if msg.id != m.id {
			return m, nil
		}
		id := m.id
		changed := func() tea.Msg { return request.IncidentChangedMsg{ID: id} }
		if msg.err != nil {
			return m, tea.Batch(request.Notify(msg.err.Error(), true), changed)
		}
		m, cmd := m.Reload()
		return m, tea.Batch(cmd, request.Notify(msg.what, false), changed)
	case exportedMsg:
		if msg.err != nil {
			return m, request.Notify(msg.what+": "+msg.err.Error(), true)
		}
		text := fmt.Sprintf("%s %s %s", msg.what, m.lang.T("exported to"), msg.exp.Path)
		if msg.exp.Warning != "" {
			return m, request.Notify(text+" — "+msg.exp.Warning, true)
		}
		m, cmd := m.Reload()
		return m, tea.Batch(cmd, request.Notify(text, false))
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	if m.detail != nil {
		d, cmd := m.detail.Update(msg)
		m.detail = &d
		return m, cmd
	}
	if m.editing != nil {
		ta, cmd := m.editing.Update(msg)
		m.editing = &ta
		return m, cmd
	}
	return m, nil
}

func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	switch {
	case m.editing != nil:
		return m.editKey(k)
	case m.detail != nil:
		if key.Matches(k, m.detail.KeyMap().Back) {
			m.detail = nil
			return m, nil
		}
		if key.Matches(k, m.keys.Contain) {
			return m, m.contain([]string{m.detail.ID()})
		}
		d, cmd := m.detail.Update(k)
		m.detail = &d
		return m, cmd
	case m.overlay != nil:
		switch {
		case key.Matches(k, m.keys.Back), key.Matches(k, m.keys.Open):
			m.overlay = nil
		case key.Matches(k, m.keys.Up):
			m.overlay.ScrollUp(1)
		case key.Matches(k, m.keys.Down):
			m.overlay.ScrollDown(1)
		case key.Matches(k, m.keys.PageUp):
			m.overlay.PageUp()
		case key.Matches(k, m.keys.PageDown):
			m.overlay.PageDown()
		case key.Matches(k, m.keys.Undo):
			m.overlay = nil
			return m, m.undo()
		}
		return m, nil
	}
	rows := m.rows()
	page := max(1, m.bodyHeight()-pageOverlap)
	switch {
	case key.Matches(k, m.keys.Up):
		m.move(rows, -1)
	case key.Matches(k, m.keys.Down):
		m.move(rows, 1)
	case key.Matches(k, m.keys.PageUp):
		m.move(rows, -page)
	case key.Matches(k, m.keys.PageDown):
		m.move(rows, page)
	case key.Matches(k, m.keys.Top):
		m.move(rows, -len(rows))
	case key.Matches(k, m.keys.Bottom):
		m.move(rows, len(rows))
	case key.Matches(k, m.keys.NextSection):
		m.section = (m.section + 1) % nSections
	case key.Matches(k, m.keys.PrevSection):
		m.section = (m.section + nSections - 1) % nSections
	case key.Matches(k, m.keys.Reload):
		return m.Reload()
	case key.Matches(k, m.keys.Contain):
		if r, ok := m.current(rows); ok && m.section == alerts && r.alert >= 0 {
			return m, m.contain([]string{m.data.Alerts[r.alert].ID})
		}
		return m, m.contain(nil)
	case key.Matches(k, m.keys.CloseReopen):
		return m, m.closeReopen()
	case key.Matches(k, m.keys.Report):
		return m, m.exportPrompt(false)
	case key.Matches(k, m.keys.Evidence):
		return m, m.exportPrompt(true)
	default:
		if r, ok := m.current(rows); ok {
			return m.rowKey(k, r)
		}
	}
	return m, nil
}

// rowKey handles the keys that act on the selected row.
func (m Model) rowKey(k tea.KeyPressMsg, r row) (Model, tea.Cmd) {
	switch m.section {
	case checklist:
		switch {
		case key.Matches(k, m.keys.Open):
			if r.action != "" {
				m.io[r.action] = !m.io[r.action]
			} else {
				m.expanded[r.phase] = !m.expanded[r.phase]
			}
		case key.Matches(k, m.keys.InOut):
			m.allIO = !m.allIO
			m.io = map[string]bool{}
		case key.Matches(k, m.keys.Done) && r.action != "":
			return m, m.mark(r, incident.Done)
		case key.Matches(k, m.keys.Skip) && r.action != "":
			return m, m.mark(r, incident.Skipped)
		case key.Matches(k, m.keys.SetPhase):
			phase := r.phase
			return m, m.change(fmt.Sprintf("%s %s", m.lang.T("current phase set"), phase), func(ctx context.Context, im *incident.Manager) error {
				_, err := im.SetPhase(ctx, m.id, phase, "")
				return err
			})
		case key.Matches(k, m.keys.AutoPhase):
			return m, m.change(m.lang.T("phase from checklist"), func(ctx context.Context, im *incident.Manager) error {
				_, err := im.SetPhase(ctx, m.id, "", "")
				return err
			})
		}
	case findings:
		switch {
		case key.Matches(k, m.keys.Accept) && r.sugg >= 0:
			return m, m.accept(r.finding, []incident.Suggestion{m.data.Suggestions[r.sugg]})
		case key.Matches(k, m.keys.AcceptAll) || (key.Matches(k, m.keys.Accept) && r.sugg < 0):
			var sgs []incident.Suggestion
			for _, s := range m.data.Suggestions {
				if s.Finding == r.finding {
					sgs = append(sgs, s)
				}
			}
			return m, m.accept(r.finding, sgs)
		case key.Matches(k, m.keys.Edit):
			return m.edit(r.finding)
		}
	case alerts:
		if key.Matches(k, m.keys.Open) && r.alert >= 0 {
			d := alertview.New(m.data.Alerts[r.alert], m.be, m.st, m.lang)
			d.SetSize(m.w, m.h)
			m.detail = &d
		}
	case actions:
		switch {
		case key.Matches(k, m.keys.Open) && r.run >= 0:
			vp := viewport.New()
			vp.SetWidth(m.w)
			vp.SetHeight(max(1, m.h-hintHeight))
			vp.SetContent(m.actionDetail(&m.data.Actions[r.run]))
			m.overlay = &vp
		case key.Matches(k, m.keys.Undo):
			return m, m.undo()
		}
	}
	return m, nil
}

// mark asks for a note and marks a checklist item: done (or open again
// when it is done), skipped (or open again when it is skipped).
func (m Model) mark(r row, to incident.CheckState) tea.Cmd {
	cur := m.data.Incident.Checks[r.action].State
	state, verb := to, "mark done"
	if to == incident.Skipped {
		verb = "mark skipped"
	}
	if cur == to {
		state, verb = incident.Todo, "mark open"
	}
	act, _ := m.be.Catalog().Action(r.action)
	what := r.action
	if act != nil {
		what = act.Do.In(string(m.lang))
	}
	prompt := fmt.Sprintf("%s — %s: ", m.lang.T(verb), clip(sanitize.Line(what), 40))
	id, action, T := m.id, r.action, m.lang.T
	return func() tea.Msg {
		return request.PromptMsg{Prompt: prompt, Done: func(note string) tea.Cmd {
			return m.change(fmt.Sprintf("%s: %s", T(verb), action), func(ctx context.Context, im *incident.Manager) error {
				_, err := im.Check(ctx, id, incident.Mark{Action: action, State: state, Note: note})
				return err
			})
		}}
	}
}

// accept adds suggestions to a finding's text, each as a line of its
// own, leaving out those already in it.
func (m Model) accept(finding string, sgs []incident.Suggestion) tea.Cmd {
	text := m.data.Incident.Findings[finding].Text
	var add []string
	for _, s := range sgs {
		if !strings.Contains(text, s.Text) && !slices.Contains(add, s.Text) {
			add = append(add, s.Text)
		}
	}
	if len(add) == 0 {
		return request.Notify(m.lang.T("already accepted"), false)
	}
	if text != "" {
		text += "\n"
	}
	text += strings.Join(add, "\n")
	id := m.id
	return m.change(fmt.Sprintf("%s: %s", m.lang.T("suggestion accepted"), finding), func(ctx context.Context, im *incident.Manager) error {
		_, err := im.SetFinding(ctx, id, finding, text, "")
		return err
	})
}

// edit opens the editor on a finding.
func (m Model) edit(finding string) (Model, tea.Cmd) {
	if finding == "" || m.readonly {
		return m, nil
	}
	ta := textarea.New()
	ta.ShowLineNumbers = false
	ta.CharLimit = 20000
	ta.MaxHeight = 0
	ta.Prompt = "│ "
	st := ta.Styles()
	st.Cursor.Blink = false // no redraws twice a second over SSH
	ta.SetStyles(st)
	m.sizeEditor(&ta)
	// What is stored is not trusted to be free of control characters.
	lines := strings.Split(m.data.Incident.Findings[finding].Text, "\n")
	for i := range lines {
		lines[i] = sanitize.Line(lines[i])
	}
	ta.SetValue(strings.Join(lines, "\n"))
	m.editing, m.editID = &ta, finding
	return m, m.editing.Focus()
}

// sizeEditor gives the finding's editor the pane under its heading (the
// finding's name and its questions); the editor fits its prompt in.
func (m Model) sizeEditor(ta *textarea.Model) {
	ta.SetWidth(max(10, m.w))
	ta.SetHeight(max(3, m.h-editHeadHeight))
}

func (m Model) editKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Cancel):
		m.editing = nil
		return m, nil
	case key.Matches(k, m.keys.Save):
		text, finding, id := m.editing.Value(), m.editID, m.id
		m.editing = nil
		return m, m.change(fmt.Sprintf("%s: %s", m.lang.T("finding saved"), finding), func(ctx context.Context, im *incident.Manager) error {
			_, err := im.SetFinding(ctx, id, finding, text, "")
			return err
		})
	}
	ta, cmd := m.editing.Update(k)
	m.editing = &ta
	return m, cmd
}

// contain asks for the picker over the incident (alert ids nil: all its
// alerts and endpoints).
func (m Model) contain(alertIDs []string) tea.Cmd {
	if m.data == nil {
		return nil
	}
	msg := request.ContainMsg{Incident: m.id, Alerts: alertIDs}
	if alertIDs == nil {
		msg.Endpoints = slices.Clone(m.data.Incident.Endpoints)
		for _, a := range m.data.Alerts {
			msg.Alerts = append(msg.Alerts, a.ID)
		}
	}
	return func() tea.Msg { return msg }
}

// undo asks for the undo plan of the selected action.
func (m Model) undo() tea.Cmd {
	r, ok := m.current(m.rows())
	if !ok || m.section != actions || r.run < 0 || m.readonly {
		return nil
	}
	a := m.data.Actions[r.run]
	if why := m.undoable(&a); why != "" {
		return request.Notify(why, true)
	}
	msg := request.UndoMsg{Incident: m.id, RunID: a.RunID}
	return func() tea.Msg { return msg }
}

// undoable says why an action cannot be undone, or "".
func (m Model) undoable(a *containment.Action) string {
	T := m.lang.T
	switch {
	case a.UndoOf != "":
		return T("is an undo")
	case a.UndoneBy != "":
		return T("already undone")
	case !a.Done():
		return T("did not take effect")
	}
	if ms, ok := m.be.Catalog().Measure(a.Measure); ok && ms.Reversible == catalog.Irreversible {
		return T("irreversible")
	}
	return ""
}

func (m Model) closeReopen() tea.Cmd {
	if m.data == nil || m.readonly {
		return nil
	}
	open := m.data.Incident.IsOpen()
	prompt, what := m.lang.T("close note"), m.lang.T("incident closed")
	if !open {
		prompt, what = m.lang.T("reopen note"), m.lang.T("incident reopened")
	}
	id := m.id
	done, total := m.data.Checklist.Progress()
	untouched := open && done == 0
	notePrompt := func() tea.Msg {
		return request.PromptMsg{Prompt: prompt, Done: func(note string) tea.Cmd {
			if untouched && strings.TrimSpace(note) == "" {
				return request.Notify(m.lang.T("close untouched note"), true)
			}
			return m.change(what+": "+id, func(ctx context.Context, im *incident.Manager) error {
				var err error
				if open {
					_, err = im.Close(ctx, id, "", note)
				} else {
					_, err = im.Reopen(ctx, id, "", note)
				}
				return err
			})
		}}
	}
	if !untouched {
		return notePrompt
	}
	// Nobody marked a checklist item: closing now closes an incident
	// nobody handled. As the command line asks for --force, the console
	// asks for a typed yes, then a note saying why.
	return func() tea.Msg {
		return request.PromptMsg{Prompt: fmt.Sprintf(m.lang.T("close untouched"), total), Done: func(v string) tea.Cmd {
			if !confirmed(v) {
				return request.Notify(fmt.Sprintf(m.lang.T("not closed untouched"), total), true)
			}
			return notePrompt
		}}
	}
}

// confirmed reports whether a typed answer is an explicit yes.
func confirmed(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v == "yes" || v == "はい"
}

// ReportPath is where an incident's report is exported by default.
func ReportPath(id string) string { return "./" + id + ".md" }

// exportPrompt asks for the file and exports the report or the evidence
// bundle there.
func (m Model) exportPrompt(evidence bool) tea.Cmd {
	be, id, lang := m.be, m.id, m.lang
	prompt, path, what := lang.T("report to"), ReportPath(id), lang.T("report")
	if evidence {
		prompt, path, what = lang.T("evidence to"), contain.EvidencePath(id), lang.T("evidence bundle")
	}
	return func() tea.Msg {
		return request.PromptMsg{Prompt: prompt, Value: path, Done: func(p string) tea.Cmd {
			p = strings.TrimSpace(p)
			if p == "" {
				return nil
			}
			return func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				var exp export.Exported
				var err error
				if evidence {
					exp, err = be.ExportEvidence(ctx, id, p)
				} else {
					exp, err = be.ExportReport(ctx, id, p, string(lang))
				}
				return exportedMsg{what: what, exp: exp, err: err}
			}
		}}
	}
}

// current returns the selected row of the section.
func (m Model) current(rows []row) (row, bool) {
	c := m.cursor[m.section]
	if c < 0 || c >= len(rows) || !rows[c].sel {
		return row{}, false
	}
	return rows[c], true
}

// move moves the cursor n selectable rows.
func (m *Model) move(rows []row, n int) {
	c := m.cursor[m.section]
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for ; n > 0; n-- {
		next := c + step
		for next >= 0 && next < len(rows) && !rows[next].sel {
			next += step
		}
		if next < 0 || next >= len(rows) {
			break
		}
		c = next
	}
	m.cursor[m.section] = c
	m.offset[m.section] = table.Window(m.offset[m.section], c, m.bodyHeight(), len(rows))
	if step < 0 {
		// Show what a selectable row belongs to (a phase's heading, a
		// finding's title) when moving up onto it.
		for c > 0 && !rows[c-1].sel && m.offset[m.section] == c && rows[c-1].heading {
			c--
			m.offset[m.section] = c
		}
	}
}

// clamp keeps every section's cursor on a selectable row.
func (m *Model) clamp() {
	cur := m.section
	for s := range nSections {
		m.section = s
		rows := m.rows()
		c := min(m.cursor[s], max(len(rows)-1, 0))
		m.cursor[s] = c
		if len(rows) > 0 && !rows[c].sel {
			m.move(rows, 1)
			if !rows[m.cursor[s]].sel {
				m.move(rows, -1)
			}
		}
		m.offset[s] = table.Window(m.offset[s], m.cursor[s], m.bodyHeight(), len(rows))
	}
	m.section = cur
}

// phaseRow is the row of a phase in the collapsed checklist.
func (m Model) phaseRow(phase string) int {
	for i, p := range m.be.Catalog().HandlingPhases() {
		if p.ID == phase {
			return i
		}
	}
	return 0
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
