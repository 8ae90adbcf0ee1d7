package contain

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/tui/table"
)

// listLine is one line of the picker: a target's heading or a measure.
type listLine struct {
	header string
	shown  int // index into m.shown
}

// lines are the picker's lines: measures under their target's heading.
func (m Model) lines() []listLine {
	var out []listLine
	var last catalog.Target
	for i, o := range m.shown {
		t := m.options[o].Measure.Target
		if i == 0 || t != last {
			out = append(out, listLine{header: m.targetName(t), shown: -1})
			last = t
		}
		out = append(out, listLine{shown: i})
	}
	return out
}

func (m Model) lineOf(shown int) int {
	for i, l := range m.lines() {
		if l.header == "" && l.shown == shown {
			return i
		}
	}
	return 0
}

func (m Model) targetName(t catalog.Target) string {
	for _, ti := range m.be.Catalog().Targets() {
		if ti.ID == t {
			return ti.Name.In(string(m.lang))
		}
	}
	return string(t)
}

// The picker's fixed lines: its title and column header above the list,
// the status line under it; and the plan's prompt under the plan.
const (
	titleHeight  = 1
	statusHeight = 1
	promptHeight = 1
)

// listHeight is the lines of measures the picker shows: all but the
// title, the column header and the status line.
func (m Model) listHeight() int { return max(1, m.h-titleHeight-table.HeaderHeight-statusHeight) }

// bottomIndent starts the lines under the plan and the picker's status
// line, the inputs on them too.
const bottomIndent = " "

// The picker's rows start with a mark column: the selection's mark, or
// blank.
const (
	selMark = "▸ "
	noMark  = "  "
)

// View renders the dialog.
func (m Model) View() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	if m.step == picking {
		return m.pickerView()
	}
	var bottom []string
	T := m.lang.T
	switch m.step {
	case planning:
		switch {
		case m.loading || (m.plan == nil && m.planErr == ""):
			bottom = append(bottom, m.st.Muted.Render(" "+T("loading")))
		case m.plan == nil:
			bottom = append(bottom, m.st.Error.Render(" ✗ "+sanitize.Line(m.planErr)))
		case m.readonly:
			bottom = append(bottom, m.st.Muted.Render(" "+T("readonly no run")))
		default:
			bottom = append(bottom, m.st.Accent.Render(" ▶ "+fmt.Sprintf(T("enter to run"), sanitize.Line(m.plan.Confirm))))
		}
	case confirming:
		what := sanitize.Line(m.plan.Confirm)
		bottom = append(bottom,
			m.st.Warn.Render(" "+fmt.Sprintf(T("type to run"), m.plan.ConfirmParam))+m.st.Bold.Render(what)+m.st.Muted.Render("  "+T("nothing ran yet")),
			bottomIndent+m.confirm.View())
		if m.refused != "" {
			bottom = append(bottom, m.st.Error.Render(" ✗ "+T("refused")+": "+sanitize.Line(m.refused)))
		} else {
			bottom = append(bottom, m.st.Muted.Render(" "+T("esc cancels")))
		}
	case running:
		bottom = append(bottom, m.st.Warn.Render(" ⏳ "+T("running")+" "+m.commandText(m.plan)))
	}
	// What is said under the plan wraps (a refusal in Japanese is longer
	// than the width); the input line scrolls in itself.
	var lines []string
	for _, b := range bottom {
		for i, l := range strings.Split(ansi.Wrap(b, m.w-len(bottomIndent), " ,;/"), "\n") {
			if i > 0 {
				l = bottomIndent + l
			}
			lines = append(lines, table.Fit(l, m.w, false))
		}
	}
	bottom = lines
	vp := m.vp
	vp.SetHeight(max(1, m.h-len(bottom)))
	out := vp.View()
	if len(bottom) > 0 {
		out = lipgloss.JoinVertical(lipgloss.Left, out, strings.Join(bottom, "\n"))
	}
	return out
}

func (m Model) pickerView() string {
	T := m.lang.T
	head := m.st.Title.Render(T("containment")) + "  " + m.st.Text.Render(m.selectionText())
	lines := []string{table.Fit(head, m.w, false)}
	if m.loading || m.err != "" || len(m.options) == 0 {
		msg, st := T("loading"), m.st.Muted
		switch {
		case m.err != "":
			msg, st = "✗ "+sanitize.Line(m.err), m.st.Error
		case !m.loading:
			msg = T("no measures")
		}
		lines = append(lines, st.Render(table.Fit(" "+msg, m.w, false)))
		return table.FitLines(lines, m.h)
	}
	cols := m.columns()
	ws := table.Widths(cols, m.w-ansi.StringWidth(noMark))
	var hdr []string
	for i, c := range cols {
		if ws[i] > 0 {
			hdr = append(hdr, table.Fit(c.Title, ws[i], c.Right))
		}
	}
	lines = append(lines, m.st.ColumnHeader.Render(table.Fit(noMark+strings.Join(hdr, " "), m.w, false)))
	all := m.lines()
	sel := m.lineOf(m.selected)
	for i := m.offset; i < len(all) && i < m.offset+m.listHeight(); i++ {
		l := all[i]
		if l.header != "" {
			lines = append(lines, m.st.Accent.Render(table.Fit("── "+l.header+" ", m.w, false)))
			continue
		}
		lines = append(lines, m.optionLine(l.shown, ws, cols, i == sel))
	}
	body := table.FitLines(lines, m.h-statusHeight)
	status := fmt.Sprintf(" %d/%d %s", len(m.shown), len(m.options), T("measures n"))
	if q := m.filter.Value(); q != "" {
		status += "  /" + sanitize.Line(q)
	}
	if m.filter.Active() {
		status = bottomIndent + m.filter.View()
	} else {
		status = m.st.Muted.Render(table.Fit(status+"  "+T("legend"), m.w, false))
	}
	return body + "\n" + table.Fit(status, m.w, false)
}

func (m Model) columns() []table.Column {
	T := m.lang.T
	return []table.Column{
		{Title: T("measure"), Width: 20, Flex: 3},
		{Title: "C I A", Width: 5},
		{Title: T("cost"), Width: 4},
		{Title: T("evidence short"), Width: 7},
		{Title: T("how"), Width: 4},
		{Title: T("value"), Width: 10, Flex: 2},
	}
}

func (m Model) optionLine(i int, ws []int, cols []table.Column, selected bool) string {
	o := &m.options[m.shown[i]]
	ms := o.Measure
	L := string(m.lang)
	T := m.lang.T
	_, titleLen := m.searchText(o)
	title := ms.Title.In(L)
	vals := sanitize.Line(defaults(o))
	var titleMatch, valMatch []int
	if i < len(m.matches) {
		valStart := titleLen + 1 + len([]rune(ms.ID)) + 1
		for _, x := range m.matches[i] {
			switch {
			case x < titleLen:
				titleMatch = append(titleMatch, x)
			case x >= valStart && x < valStart+len([]rune(vals)):
				valMatch = append(valMatch, x-valStart)
			}
		}
	}
	ev := T("evidence " + string(ms.Evidence.Class))
	if ms.Evidence.ExportFirst {
		ev += "!"
	}
	how := T("by command")
	if o.Manual {
		how = T("by hand short")
	}
	cells := []struct {
		text  string
		match []int
		style lipgloss.Style
	}{
		{title, titleMatch, m.st.Text},
		{fmt.Sprintf("%d %d %d", ms.Protects.C, ms.Protects.I, ms.Protects.A), nil, m.st.OK},
		{fmt.Sprintf("%d", ms.Cost.Availability), nil, m.costStyle(ms.Cost.Availability)},
		{ev, nil, m.evidenceStyle(ms.Evidence)},
		{how, nil, m.st.Muted},
		{vals, valMatch, m.st.Text},
	}
	var parts []string
	for j, c := range cells {
		if ws[j] == 0 {
			continue
		}
		text := table.Fit(c.text, ws[j], cols[j].Right)
		switch {
		case selected:
			parts = append(parts, text)
		case len(c.match) > 0:
			parts = append(parts, table.Highlight(text, c.match, ws[j], c.style, m.st.Match))
		default:
			parts = append(parts, c.style.Render(text))
		}
	}
	line := noMark + strings.Join(parts, " ")
	if selected {
		return m.st.Selected.Render(table.Fit(selMark+strings.Join(parts, " "), m.w, false))
	}
	return line
}

func (m Model) costStyle(n int) lipgloss.Style {
	switch {
	case n >= 3:
		return m.st.Error
	case n == 2:
		return m.st.Warn
	}
	return m.st.Text
}

func (m Model) evidenceStyle(e catalog.EvidenceEffect) lipgloss.Style {
	if e.ExportFirst || e.Class != catalog.EvidenceKept {
		return m.st.Warn
	}
	return m.st.Muted
}

// selectionText says what the picker is for: the incident, endpoints and
// alerts.
func (m Model) selectionText() string {
	var parts []string
	if m.sel.Incident != "" {
		parts = append(parts, m.sel.Incident)
	}
	var names []string
	add := func(s string) {
		if s != "" && !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	for _, ep := range m.sel.Endpoints {
		name := ep
		for _, a := range m.sel.Alerts {
			if a.Endpoint == ep && a.Host != "" {
				name = a.Host
				break
			}
		}
		add(name)
	}
	for _, a := range m.sel.Alerts {
		if a.Host != "" {
			add(a.Host)
		} else {
			add(a.Endpoint)
		}
	}
	if len(names) > 3 {
		names = append(names[:3], fmt.Sprintf("+%d", len(names)-3))
	}
	if len(names) > 0 {
		parts = append(parts, strings.Join(names, ", "))
	}
	if n := len(m.sel.Alerts); n == 1 {
		parts = append(parts, m.sel.Alerts[0].Rule)
	} else if n > 1 {
		parts = append(parts, fmt.Sprintf("%d %s", n, m.lang.T("alerts n")))
	}
	return sanitize.Line(strings.Join(parts, " · "))
}

// render lays out the plan or the result for the viewport.
func (m *Model) render() {
	if m.w <= 0 {
		return
	}
	var content string
	switch m.step {
	case planning, confirming, running:
		content = m.planContent()
	case done:
		content = m.resultContent()
	default:
		return
	}
	m.vp.SetWidth(m.w)
	m.vp.SetHeight(max(1, m.h-promptHeight))
	m.vp.SetContent(content)
}

// doc builds wrapped, labelled paragraphs.
type doc struct {
	b     strings.Builder
	w, lw int // width, label column
}

func (d *doc) line(s string) { d.b.WriteString(s); d.b.WriteByte('\n') }

// para writes text after a label, wrapped at the width, continuation
// lines indented under the text. The text must be sanitised already.
func (d *doc) para(label string, text string, st lipgloss.Style, labelSt lipgloss.Style) {
	pad := d.lw - ansi.StringWidth(label)
	prefix := labelSt.Render(label) + strings.Repeat(" ", max(pad, 1))
	indent := strings.Repeat(" ", max(d.lw, ansi.StringWidth(label)+1))
	width := max(10, d.w-len(indent))
	wrapped := strings.Split(ansi.Wrap(text, width, " ,;/"), "\n")
	for i, l := range wrapped {
		if i == 0 {
			d.line(prefix + st.Render(l))
		} else {
			d.line(indent + st.Render(l))
		}
	}
}

// mark writes a paragraph after a mark (⚠, ✗, ◇) and a space, wrapped
// under the text.
func (d *doc) mark(mark, text string, st lipgloss.Style) {
	under := strings.Repeat(" ", ansi.StringWidth(mark)+1)
	for i, l := range strings.Split(ansi.Wrap(text, max(10, d.w-len(under)), " ,;/"), "\n") {
		if i == 0 {
			d.line(st.Render(mark + " " + l))
		} else {
			d.line(st.Render(under + l))
		}
	}
}

// item writes a paragraph after a prefix ("1. "), wrapped under the text.
func (d *doc) item(prefix, text string, st lipgloss.Style) {
	pw := ansi.StringWidth(prefix)
	for i, l := range strings.Split(ansi.Wrap(text, max(10, d.w-pw), " ,;/"), "\n") {
		if i == 0 {
			d.line(prefix + st.Render(l))
		} else {
			d.line(strings.Repeat(" ", pw) + st.Render(l))
		}
	}
}

// text writes a paragraph over the whole width.
func (d *doc) text(text string, st lipgloss.Style) {
	for _, l := range strings.Split(ansi.Wrap(text, d.w, " ,;/"), "\n") {
		d.line(st.Render(l))
	}
}

func (m Model) labelWidth(labels ...string) int {
	w := 0
	for _, l := range labels {
		w = max(w, ansi.StringWidth(m.lang.T(l)))
	}
	return w + 2
}

// commandText is a plan's command for display: argv quoted as a shell
// would need, sanitised.
func (m Model) commandText(p *containment.Plan) string {
	if p == nil {
		return ""
	}
	if p.Manual {
		return m.lang.T("by hand")
	}
	return sanitize.Line(containment.CommandLine(p.Argv))
}

func (m Model) planContent() string {
	T := m.lang.T
	L := string(m.lang)
	d := &doc{w: m.w, lw: m.labelWidth("parameters", "command label", "protects", "cost", "rationale", "evidence", "undo", "affects", "to run", "by hand label")}
	var ms *catalog.Measure
	switch {
	case m.plan != nil:
		ms, _ = m.be.Catalog().Measure(m.plan.Measure)
	case m.opt != nil:
		ms = m.opt.Measure
	}
	if ms == nil {
		if m.planErr != "" {
			d.mark("✗", sanitize.Line(m.planErr), m.st.Error)
		} else {
			d.line(m.st.Muted.Render(T("loading")))
		}
		return strings.TrimRight(d.b.String(), "\n")
	}
	title := ms.Title.In(L)
	if m.undo != "" {
		title = T("undo of") + " " + title
	}
	scope := T("no incident")
	if m.sel.Incident != "" {
		scope = m.sel.Incident
	}
	if m.undo != "" {
		scope += " · " + T("undoes run") + " " + sanitize.Line(m.undo)
	}
	d.line(table.Fit(m.st.Title.Render(title)+"  "+m.st.Muted.Render(ms.ID+" · "+scope), m.w, false))
	p := m.plan
	if m.planErr != "" {
		d.mark("✗", sanitize.Line(m.planErr), m.st.Error)
	}
	if p != nil && p.ExportFirst {
		msg := fmt.Sprintf(T("export first"), m.evidenceName(p.Evidence.Class))
		if m.sel.Incident != "" {
			msg += " " + fmt.Sprintf(T("press x to export"), EvidencePath(m.sel.Incident))
		} else {
			msg += " " + T("open incident to export")
		}
		d.mark("⚠", msg, m.st.Error)
	}
	if m.export != "" {
		st, mark := m.st.OK, "✓"
		if m.exportE {
			st, mark = m.st.Error, "✗"
		}
		d.mark(mark, sanitize.Line(m.export), st)
	}
	if m.dry != nil {
		what := fmt.Sprintf(T("dry would run"), m.commandText(m.dry))
		if m.dry.Manual {
			what = T("dry would record")
		}
		d.mark("◇", T("dry run nothing ran")+" "+what, m.st.Accent)
	}
	if m.dryErr != "" {
		d.mark("✗", T("dry run")+": "+sanitize.Line(m.dryErr), m.st.Error)
	}
	m.paramLines(d)
	if p == nil {
		return strings.TrimRight(d.b.String(), "\n")
	}
	if p.Manual {
		d.para(T("by hand label"), fmt.Sprintf(T("manual steps"), len(p.Steps)), m.st.Warn, m.st.Bold)
	} else {
		d.para(T("command label"), m.commandText(p), m.st.Bold, m.st.Bold)
		d.para("", fmt.Sprintf(T("no shell limit"), p.Timeout), m.st.Muted, m.st.Muted)
	}
	sc := m.be.Catalog().Scales()
	prot := fmt.Sprintf("C %s   I %s   A %s", m.rating(sc.Protection, p.Protects.C, m.st.OK), m.rating(sc.Protection, p.Protects.I, m.st.OK), m.rating(sc.Protection, p.Protects.A, m.st.OK))
	d.para(T("protects"), prot, m.st.Text, m.st.Bold)
	d.para(T("cost"), "A "+m.rating(sc.Cost, p.Cost.Availability, m.costStyle(p.Cost.Availability))+" — "+p.Cost.Affected.In(L), m.st.Text, m.st.Bold)
	d.para(T("affects"), sanitize.Line(p.Impact.ScopeIn(L)), m.st.Text, m.st.Bold)
	if n := len(p.Impact.Hosts); n > 1 {
		hosts := strings.Join(p.Impact.Hosts, ", ")
		if p.Impact.Endpoints > n {
			hosts += fmt.Sprintf(" (+%d)", p.Impact.Endpoints-n)
		}
		d.para("", sanitize.Line(hosts), m.st.Muted, m.st.Muted)
	}
	d.para(T("rationale"), p.Rationale.In(L), m.st.Text, m.st.Bold)
	evSt := m.st.Text
	if p.Evidence.Class != catalog.EvidenceKept {
		evSt = m.st.Warn
	}
	d.para(T("evidence"), m.evidenceName(p.Evidence.Class)+" — "+p.Evidence.Note.In(L), evSt, m.st.Bold)
	undo := m.reversibleName(p.Reversible) + " — " + p.UndoText.In(L)
	d.para(T("undo"), undo, m.st.Text, m.st.Bold)
	if len(p.UndoArgv) > 0 {
		d.para("", T("undo command")+": "+sanitize.Line(containment.CommandLine(p.UndoArgv)), m.st.Muted, m.st.Muted)
	}
	if !m.readonly {
		d.para(T("to run"), fmt.Sprintf(T("press enter type"), p.ConfirmParam)+" "+m.st.Bold.Render(sanitize.Line(p.Confirm)), m.st.Text, m.st.Bold)
	}
	if p.Manual {
		d.line("")
		d.line(m.st.Bold.Render(T("steps")))
		for i, s := range p.Steps {
			d.item(fmt.Sprintf("%2d. ", i+1), s.In(L), m.st.Text)
		}
		if len(p.Example) > 0 {
			var ex []string
			for _, c := range p.Example {
				ex = append(ex, sanitize.Line(containment.CommandLine(c.Argv)))
			}
			d.para("", T("for reference")+": "+strings.Join(ex, " ; "), m.st.Muted, m.st.Muted)
		}
	}
	d.line("")
	d.text(ms.Description.In(L), m.st.Muted)
	return strings.TrimRight(d.b.String(), "\n")
}

// paramLines lists the parameters: the chosen value, where it came from
// and which of the choices it is.
func (m Model) paramLines(d *doc) {
	T := m.lang.T
	if m.opt == nil {
		if m.plan == nil {
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m.plan.Params)) {
			d.line(table.Fit("  "+k+"  "+sanitize.Line(m.plan.Params[k]), m.w, false))
		}
		return
	}
	nw := 0
	for _, c := range m.opt.Params {
		nw = max(nw, len(c.Param.Name))
	}
	for i, c := range m.opt.Params {
		v := m.values[c.Param.Name]
		mark := "  "
		if i == m.param {
			mark = "▸ "
		}
		shown := sanitize.Line(v)
		if v == "" {
			shown = "(" + T("none") + ")"
		}
		n := len(c.Choices)
		if !c.Param.Required {
			n++
		}
		pos, source := "", ""
		for j, ch := range c.Choices {
			if ch.Value == v {
				source = ch.Source
				k := j + 1
				if !c.Param.Required {
					k++
				}
				pos = fmt.Sprintf("◂ %d/%d ▸", k, n)
			}
		}
		if v == "" && !c.Param.Required {
			pos = fmt.Sprintf("◂ 1/%d ▸", n)
		}
		if n < 2 {
			pos = ""
		}
		if pos == "" && source == "" && v != "" {
			source = T("typed")
		}
		req := ""
		if c.Param.Required {
			req = "*"
		}
		left := fmt.Sprintf("%s%-*s %s", mark, nw+1, c.Param.Name+req, shown)
		line := left + "  " + m.st.Muted.Render(sanitize.Line(source))
		if pos != "" {
			line += "  " + m.st.Accent.Render(pos)
		}
		if i == m.param {
			line = m.st.Selected.Render(table.Fit(left, min(m.w, ansi.StringWidth(left)), false)) + line[len(left):]
		}
		d.line(table.Fit(line, m.w, false))
	}
	if m.param < len(m.opt.Params) {
		p := m.opt.Params[m.param].Param
		d.line(table.Fit(m.st.Muted.Render("  "+p.Label.In(string(m.lang))), m.w, false))
	}
}

// rating is a level as a bar, the figures and the level's name:
// "██░ 2/3 medium".
func (m Model) rating(scale []catalog.Level, n int, st lipgloss.Style) string {
	top := 0
	name := ""
	for _, l := range scale {
		top = max(top, l.Level)
		if l.Level == n {
			name = l.Name.In(string(m.lang))
		}
	}
	n = min(max(n, 0), top)
	return st.Render(strings.Repeat("█", n)+strings.Repeat("░", top-n)) + fmt.Sprintf(" %d/%d %s", n, top, name)
}

func (m Model) evidenceName(c catalog.EvidenceClass) string {
	for _, ci := range m.be.Catalog().Scales().Evidence {
		if ci.Class == c {
			return ci.Name.In(string(m.lang))
		}
	}
	return string(c)
}

func (m Model) reversibleName(r catalog.Reversibility) string {
	for _, ri := range m.be.Catalog().Scales().Reversibility {
		if ri.Value == r {
			return ri.Name.In(string(m.lang))
		}
	}
	return string(r)
}

// outputIndent is what a command's output lines start with.
const outputIndent = "  "

func (m Model) resultContent() string {
	T := m.lang.T
	L := string(m.lang)
	r := m.result
	d := &doc{w: m.w, lw: m.labelWidth("command label", "output", "errors", "run")}
	title := ""
	if m.plan != nil {
		if ms, ok := m.be.Catalog().Measure(m.plan.Measure); ok {
			title = ms.Title.In(L)
		}
	}
	if r == nil || r.RunID == "" {
		d.line(m.st.Error.Render(table.Fit("✗ "+T("nothing ran"), m.w, false)))
		if m.runErr != "" {
			d.para("", sanitize.Line(m.runErr), m.st.Error, m.st.Error)
		}
		return strings.TrimRight(d.b.String(), "\n")
	}
	st, mark := m.st.Error, "✗"
	if r.Outcome == audit.Succeeded || r.Outcome == audit.ByHand {
		st, mark = m.st.OK, "✓"
	}
	head := mark + " " + T("outcome "+string(r.Outcome))
	if r.Exit != nil {
		head += fmt.Sprintf(" · %s %d", T("exit"), *r.Exit)
	}
	if r.Outcome != audit.ByHand {
		head += " · " + r.Duration.Round(time.Millisecond).String()
	}
	d.line(table.Fit(st.Render(head), m.w, false))
	d.line(table.Fit(m.st.Title.Render(title), m.w, false))
	d.para(T("run"), sanitize.Line(r.RunID), m.st.Muted, m.st.Bold)
	if m.plan != nil {
		d.para(T("command label"), m.commandText(m.plan), m.st.Text, m.st.Bold)
	}
	if r.Error != "" {
		d.mark("✗", sanitize.Line(r.Error), m.st.Error)
	}
	for _, out := range []struct{ label, text string }{{"output", r.Stdout}, {"errors", r.Stderr}} {
		if strings.TrimSpace(out.text) == "" {
			continue
		}
		d.line(m.st.Bold.Render(T(out.label)))
		for _, l := range strings.Split(strings.TrimRight(out.text, "\n"), "\n") {
			for _, w := range strings.Split(ansi.Wrap(sanitize.Line(l), max(10, m.w-len(outputIndent)), ""), "\n") {
				d.line(outputIndent + w)
			}
		}
	}
	if r.Truncated {
		d.line(m.st.Muted.Render(T("output cut")))
	}
	for _, w := range r.Warnings {
		d.mark("⚠", sanitize.Line(w), m.st.Warn)
	}
	if m.runErr != "" {
		d.mark("✗", sanitize.Line(m.runErr), m.st.Error)
	}
	d.line("")
	where := T("recorded audit")
	if m.sel.Incident != "" {
		where = fmt.Sprintf(T("recorded incident"), m.sel.Incident)
	}
	d.text(where, m.st.Muted)
	return strings.TrimRight(d.b.String(), "\n")
}
