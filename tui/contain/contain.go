// Package contain is the console's containment dialog: the picker of the
// measures that apply to what is selected (grouped by target, fuzzy
// filtered), the plan of the chosen one shown before anything runs (the
// exact command or the steps by hand, what it protects and costs in C, I
// and A, what it does to evidence, how it is undone, whom it affects),
// the typed confirmation, and the result. It is opened from an alert, an
// endpoint or an incident, and on an earlier run to undo it.
package contain

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/sahilm/fuzzy"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/export"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/list"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

// step is where the dialog is.
type step int

const (
	picking    step = iota // the list of measures
	planning               // one measure's plan
	confirming             // typing the target
	running                // the command runs
	done                   // the result
)

// Model is the dialog.
type Model struct {
	keys     KeyMap
	be       backend.Backend
	st       *style.Styles
	lang     i18n.Lang
	readonly bool
	w, h     int

	sel     containment.Selection
	step    step
	req     int
	loading bool
	err     string // loading the offer or the undo plan failed

	// The picker.
	options  []containment.Option
	shown    []int   // options after the filter, grouped by target
	matches  [][]int // fuzzy matches per shown option, in its search text
	selected int     // index into shown
	offset   int     // first line of the list shown
	filter   list.Filter

	// The plan.
	opt     *containment.Option // nil for an undo
	values  map[string]string   // chosen parameters
	param   int                 // selected parameter
	plan    *containment.Plan
	planErr string
	dry     *containment.Plan
	dryErr  string
	export  string // what exporting the evidence did
	exportE bool
	undo    string // the run an undo plan undoes
	vp      viewport.Model

	// The confirmation and the result.
	confirm textinput.Model
	refused string
	result  *containment.Result
	runErr  string
	changed bool
	closed  bool
}

// New returns the picker over a selection and the command that loads
// what applies to it.
func New(be backend.Backend, st *style.Styles, lang i18n.Lang, sel containment.Selection) (Model, tea.Cmd) {
	m := newModel(be, st, lang)
	m.sel = sel
	m.loading = true
	return m, m.loadOffer()
}

// NewUndo returns the dialog on the plan that undoes run runID of an
// incident, and the command that builds it.
func NewUndo(be backend.Backend, st *style.Styles, lang i18n.Lang, incident, runID string) (Model, tea.Cmd) {
	m := newModel(be, st, lang)
	m.sel = containment.Selection{Incident: incident}
	m.undo = runID
	m.step = planning
	m.loading = true
	return m, m.loadUndo()
}

func newModel(be backend.Backend, st *style.Styles, lang i18n.Lang) Model {
	ro := be.ReadOnly() || be.Containment() == nil || !be.Containment().CanChange()
	ci := textinput.New()
	ci.Prompt = "> "
	ci.CharLimit = 300
	s := ci.Styles()
	s.Cursor.Blink = false // no redraws twice a second over SSH
	ci.SetStyles(s)
	return Model{keys: keyMap(lang, ro), be: be, st: st, lang: lang, readonly: ro, filter: list.NewFilter(), confirm: ci, vp: viewport.New()}
}

// Incident is the incident the dialog acts for ("" for none).
func (m Model) Incident() string { return m.sel.Incident }

// Closed reports whether the user closed the dialog.
func (m Model) Closed() bool { return m.closed }

// Changed reports whether a measure was run or recorded (the incident's
// views should reload).
func (m Model) Changed() bool { return m.changed }

// SetStyles changes the theme.
func (m *Model) SetStyles(st *style.Styles) { m.st = st; m.render() }

// SetLang changes the language.
func (m *Model) SetLang(l i18n.Lang) {
	m.lang = l
	m.keys = keyMap(l, m.readonly)
	m.render()
}

// SetSize sets the dialog's size.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.filter.SetWidth(w - len(bottomIndent))
	list.FitInput(&m.confirm, w-len(bottomIndent))
	m.render()
}

// Capturing reports whether the dialog is reading text (a filter, the
// confirmation), so that no key is taken as a global one.
func (m Model) Capturing() bool { return m.filter.Active() || m.step == confirming }

// KeyMap returns the keys of the current step.
func (m Model) KeyMap() help.KeyMap {
	k := m.keys
	k.Export.SetEnabled(m.plan != nil && m.plan.ExportFirst && m.sel.Incident != "")
	canTune := m.opt != nil && len(m.opt.Params) > 0
	k.PrevParam.SetEnabled(canTune)
	k.NextParam.SetEnabled(canTune)
	k.PrevValue.SetEnabled(canTune)
	k.NextValue.SetEnabled(canTune)
	k.TypeValue.SetEnabled(canTune)
	k.Run.SetEnabled(!m.readonly && m.plan != nil)
	k.DryRun.SetEnabled(m.plan != nil)
	return stepKeys{k: k, step: m.step}
}

// Messages of the dialog's commands.
type (
	offerMsg struct {
		req     int
		options []containment.Option
		err     error
	}
	planMsg struct {
		req  int
		plan containment.Plan
		err  error
	}
	dryMsg struct {
		req  int
		plan containment.Plan
		err  error
	}
	runMsg struct {
		req int
		res containment.Result
		err error
	}
	exportMsg struct {
		req int
		exp export.Exported
		err error
	}
	valueMsg struct {
		req   int
		name  string
		value string
	}
)

func (m Model) loadOffer() tea.Cmd {
	cm, sel, req := m.be.Containment(), m.sel, m.req
	return func() tea.Msg {
		if cm == nil {
			return offerMsg{req: req, err: errors.New("containment is not available")}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		opts, err := cm.Offer(ctx, sel)
		return offerMsg{req: req, options: opts, err: err}
	}
}

func (m Model) loadUndo() tea.Cmd {
	cm, run, req := m.be.Containment(), m.undo, m.req
	return func() tea.Msg {
		if cm == nil {
			return planMsg{req: req, err: errors.New("containment is not available")}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		p, err := cm.UndoPlan(ctx, run)
		return planMsg{req: req, plan: p, err: err}
	}
}

func (m Model) loadPlan() tea.Cmd {
	cm, inc, req := m.be.Containment(), m.sel.Incident, m.req
	measure := m.opt.Measure.ID
	vals := make(map[string]string, len(m.values))
	for k, v := range m.values {
		vals[k] = v
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		p, err := cm.Plan(ctx, inc, measure, vals)
		return planMsg{req: req, plan: p, err: err}
	}
}

// replan asks for the plan again (parameters changed, evidence exported).
func (m Model) replan() (Model, tea.Cmd) {
	m.req++
	m.dry, m.dryErr = nil, ""
	if m.undo != "" {
		return m, m.loadUndo()
	}
	return m, m.loadPlan()
}

// Update handles a message.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case offerMsg:
		if msg.req != m.req {
			return m, nil
		}
		m.loading = false
		if msg.err != nil {
			m.err = msg.err.Error()
			return m, nil
		}
		m.options = msg.options
		m.applyFilter()
		return m, nil
	case planMsg:
		if msg.req != m.req {
			return m, nil
		}
		m.loading = false
		if msg.err != nil {
			m.plan, m.planErr = nil, msg.err.Error()
		} else {
			p := msg.plan
			m.plan, m.planErr = &p, ""
		}
		m.render()
		return m, nil
	case dryMsg:
		if msg.req != m.req {
			return m, nil
		}
		if msg.err != nil {
			m.dry, m.dryErr = nil, msg.err.Error()
		} else {
			p := msg.plan
			m.dry, m.dryErr = &p, ""
		}
		m.render()
		m.vp.GotoTop()
		return m, nil
	case exportMsg:
		if msg.req != m.req {
			return m, nil
		}
		if msg.err != nil {
			m.export, m.exportE = msg.err.Error(), true
			m.render()
			return m, nil
		}
		m.export, m.exportE = fmt.Sprintf("%s %s (%d %s, sha256 %.12s…)", m.lang.T("exported to"), msg.exp.Path, msg.exp.Lines(), m.lang.T("lines"), msg.exp.SHA256), false
		if msg.exp.Warning != "" {
			m.export += " — " + msg.exp.Warning
			m.exportE = true
		}
		return m.replan()
	case valueMsg:
		if msg.req != m.req || m.opt == nil {
			return m, nil
		}
		m.values[msg.name] = strings.TrimSpace(msg.value)
		return m.replan()
	case runMsg:
		if msg.req != m.req {
			return m, nil
		}
		if errors.Is(msg.err, containment.ErrConfirmation) {
			m.step = confirming
			m.refused = fmt.Sprintf(m.lang.T("not the target"), m.plan.ConfirmParam, m.plan.Confirm)
			m.confirm.SetValue("")
			return m, m.confirm.Focus()
		}
		res := msg.res
		m.result = &res
		m.runErr = ""
		if msg.err != nil {
			m.runErr = msg.err.Error()
		}
		m.changed = m.changed || res.RunID != ""
		m.step = done
		m.render()
		m.vp.GotoTop()
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m Model) close() (Model, tea.Cmd) {
	m.closed = true
	m.req++ // drop what is still on its way
	return m, nil
}

func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	switch m.step {
	case picking:
		return m.pickKey(k)
	case planning:
		return m.planKey(k)
	case confirming:
		return m.confirmKey(k)
	case done:
		switch {
		case key.Matches(k, m.keys.PageUp), key.Matches(k, m.keys.Up):
			m.vp.ScrollUp(max(1, m.vp.Height()/2))
		case key.Matches(k, m.keys.PageDown), key.Matches(k, m.keys.Down):
			m.vp.ScrollDown(max(1, m.vp.Height()/2))
		case key.Matches(k, m.keys.Close):
			return m.close()
		}
	}
	return m, nil
}

func (m Model) pickKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.filter.Active() {
		changed, cmd := m.filter.Handle(k)
		if changed {
			m.applyFilter()
		}
		return m, cmd
	}
	if d, ok := m.keys.nav().Delta(k, len(m.shown), m.listHeight()); ok {
		m.move(d)
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Filter):
		return m, m.filter.Start()
	case key.Matches(k, m.keys.Back):
		if m.filter.Value() != "" {
			m.filter.Clear()
			m.applyFilter()
			return m, nil
		}
		return m.close()
	case key.Matches(k, m.keys.Pick):
		if m.selected < len(m.shown) {
			opt := m.options[m.shown[m.selected]]
			m.opt = &opt
			m.values = opt.Values()
			m.param = 0
			m.plan, m.planErr, m.export, m.refused = nil, "", "", ""
			m.step = planning
			m.loading = true
			m.vp.GotoTop()
			return m.replan()
		}
	}
	return m, nil
}

func (m Model) planKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	keys := m.KeyMap().(stepKeys).k
	switch {
	case key.Matches(k, keys.Back):
		if m.undo != "" {
			return m.close()
		}
		m.step = picking
		m.req++ // drop plans still on their way
		return m, nil
	case key.Matches(k, keys.PageUp):
		m.vp.ScrollUp(max(1, m.vp.Height()/2))
	case key.Matches(k, keys.PageDown):
		m.vp.ScrollDown(max(1, m.vp.Height()/2))
	case key.Matches(k, keys.PrevParam):
		m.param = max(0, m.param-1)
		m.render()
	case key.Matches(k, keys.NextParam):
		m.param = min(len(m.opt.Params)-1, m.param+1)
		m.render()
	case key.Matches(k, keys.PrevValue):
		return m.cycle(-1)
	case key.Matches(k, keys.NextValue):
		return m.cycle(1)
	case key.Matches(k, keys.TypeValue):
		return m, m.typeValue()
	case key.Matches(k, keys.DryRun):
		return m, m.dryRun()
	case key.Matches(k, keys.Export):
		return m, m.exportEvidence()
	case key.Matches(k, keys.Run):
		m.step = confirming
		m.refused = ""
		m.confirm.SetValue("")
		m.render()
		return m, m.confirm.Focus()
	}
	return m, nil
}

func (m Model) confirmKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Cancel):
		m.step = planning
		m.confirm.Blur()
		m.render()
		return m, nil
	case key.Matches(k, m.keys.Confirm):
		if m.plan == nil {
			return m, nil
		}
		m.confirm.Blur()
		m.step = running
		m.req++
		m.render()
		return m, m.run(m.confirm.Value())
	}
	var cmd tea.Cmd
	m.confirm, cmd = m.confirm.Update(k)
	return m, cmd
}

// cycle chooses the previous or next value of the selected parameter
// (an optional one can also be left empty) and plans again.
func (m Model) cycle(dir int) (Model, tea.Cmd) {
	if m.opt == nil || m.param >= len(m.opt.Params) {
		return m, nil
	}
	c := m.opt.Params[m.param]
	vals := make([]string, 0, len(c.Choices)+1)
	if !c.Param.Required {
		vals = append(vals, "")
	}
	for _, v := range c.Choices {
		vals = append(vals, v.Value)
	}
	cur := m.values[c.Param.Name]
	if !slices.Contains(vals, cur) {
		vals = append(vals, cur) // a value typed by hand
	}
	if len(vals) < 2 {
		return m, nil
	}
	i := slices.Index(vals, cur)
	m.values[c.Param.Name] = vals[(i+dir+len(vals))%len(vals)]
	return m.replan()
}

// typeValue asks for a value of the selected parameter; Plan validates it.
func (m Model) typeValue() tea.Cmd {
	if m.opt == nil || m.param >= len(m.opt.Params) {
		return nil
	}
	p := m.opt.Params[m.param].Param
	req, cur := m.req, m.values[p.Name]
	prompt := fmt.Sprintf("%s (%s): ", p.Name, p.Label.In(string(m.lang)))
	return func() tea.Msg {
		return request.PromptMsg{Prompt: prompt, Value: cur, Done: func(v string) tea.Cmd {
			return func() tea.Msg { return valueMsg{req: req, name: p.Name, value: v} }
		}}
	}
}

func (m Model) dryRun() tea.Cmd {
	if m.plan == nil {
		return nil
	}
	cm, p, req := m.be.Containment(), *m.plan, m.req
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		d, err := cm.DryRun(ctx, p)
		return dryMsg{req: req, plan: d, err: err}
	}
}

// EvidencePath is where an incident's evidence bundle is exported by
// default: ./<id>-evidence.tar.gz.
func EvidencePath(incident string) string { return "./" + incident + "-evidence.tar.gz" }

func (m Model) exportEvidence() tea.Cmd {
	be, inc, req := m.be, m.sel.Incident, m.req
	if inc == "" {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		exp, err := be.ExportEvidence(ctx, inc, EvidencePath(inc))
		return exportMsg{req: req, exp: exp, err: err}
	}
}

func (m Model) run(typed string) tea.Cmd {
	cm, p, req := m.be.Containment(), *m.plan, m.req
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), p.Timeout+time.Minute)
		defer cancel()
		res, err := cm.Run(ctx, p, containment.Confirmation{Text: typed})
		return runMsg{req: req, res: res, err: err}
	}
}

// searchText is what the filter matches an option against: the title
// shown first (so match positions map onto it), then the id, the default
// values, the title in the other language and the target.
func (m Model) searchText(o *containment.Option) (text string, titleLen int) {
	L := string(m.lang)
	title := o.Measure.Title.In(L)
	other := o.Measure.Title.EN
	if other == title {
		other = o.Measure.Title.JA
	}
	return strings.Join([]string{title, o.Measure.ID, defaults(o), other, string(o.Measure.Target)}, " "), len([]rune(title))
}

// defaults are an option's pre-selected values, for the list.
func defaults(o *containment.Option) string {
	var vs []string
	for _, c := range o.Params {
		if c.Default != "" {
			vs = append(vs, c.Default)
		}
	}
	return strings.Join(vs, " ")
}

// applyFilter fuzzy-filters the options and groups them by target in the
// catalog's order (best matches first within a target).
func (m *Model) applyFilter() {
	var keep string
	if m.selected < len(m.shown) {
		keep = m.options[m.shown[m.selected]].Measure.ID
	}
	m.shown, m.matches = m.shown[:0], nil
	q := strings.TrimSpace(m.filter.Value())
	if q == "" {
		for i := range m.options {
			m.shown = append(m.shown, i)
		}
	} else {
		texts := make([]string, len(m.options))
		for i := range m.options {
			texts[i], _ = m.searchText(&m.options[i])
		}
		found := fuzzy.Find(q, texts)
		order := m.targetOrder()
		slices.SortStableFunc(found, func(a, b fuzzy.Match) int {
			return order[m.options[a.Index].Measure.Target] - order[m.options[b.Index].Measure.Target]
		})
		for _, f := range found {
			m.shown = append(m.shown, f.Index)
			m.matches = append(m.matches, f.MatchedIndexes)
		}
	}
	m.selected = 0
	for i, o := range m.shown {
		if m.options[o].Measure.ID == keep {
			m.selected = i
		}
	}
	m.offset = 0
	m.move(0)
}

func (m Model) targetOrder() map[catalog.Target]int {
	order := map[catalog.Target]int{}
	for i, t := range m.be.Catalog().Targets() {
		order[t.ID] = i
	}
	return order
}

func (m *Model) move(n int) {
	m.selected = min(max(m.selected+n, 0), max(len(m.shown)-1, 0))
	line := m.lineOf(m.selected)
	m.offset = table.Window(m.offset, line, m.listHeight(), len(m.lines()))
	if m.offset > 0 && line > 0 && m.lines()[line-1].header != "" && m.offset == line {
		m.offset-- // keep a group's heading with its first measure
	}
}
