package incidentview

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

// row is one line of a section. Only selectable rows take the cursor;
// a heading is a line that belongs to the selectable row below it.
type row struct {
	line    string // styled
	sel     bool
	heading bool

	phase, action, finding string
	sugg, alert, run       int
}

func newRow(line string) row { return row{line: line, sugg: -1, alert: -1, run: -1} }

// The view's fixed lines: the incident at a glance (header), the section
// tabs above a section; the hint under an action's details.
const (
	headerHeight = 2
	tabsHeight   = 1
	hintHeight   = 1
)

// editHeadHeight is the lines above the finding's editor: the finding's
// name and its questions.
const editHeadHeight = 2

// bodyHeight is the lines a section gets: all but the header and the
// section tabs.
func (m Model) bodyHeight() int { return max(1, m.h-headerHeight-tabsHeight) }

// pageOverlap is the rows a page up or down keeps in view.
const pageOverlap = 1

// indent is what a line under a heading starts with.
const indent = "  "

// local formats a time in the office's zone.
func (m Model) local(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(m.be.Location()).Format(layout)
}

// View renders the view.
func (m Model) View() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	if m.detail != nil {
		return m.detail.View()
	}
	T := m.lang.T
	if m.data == nil {
		msg, st := T("loading"), m.st.Muted
		if m.err != "" {
			msg, st = "✗ "+sanitize.Line(m.err), m.st.Error
		}
		return table.FitLines([]string{m.st.Title.Render(m.id), st.Render(table.Fit(msg, m.w, false))}, m.h)
	}
	if m.overlay != nil {
		hint := m.st.Muted.Render(table.Fit(" esc "+T("back")+"  u "+T("undo…"), m.w, false))
		return lipgloss.JoinVertical(lipgloss.Left, m.overlay.View(), hint)
	}
	if m.editing != nil {
		return m.editView()
	}
	lines := m.header()
	lines = append(lines, m.tabs())
	rows := m.rows()
	cur := m.cursor[m.section]
	off := table.Window(m.offset[m.section], cur, m.bodyHeight(), len(rows))
	for i := off; i < len(rows) && i < off+m.bodyHeight(); i++ {
		if i == cur && rows[i].sel {
			lines = append(lines, m.st.Selected.Render(table.Fit(ansi.Strip(rows[i].line), m.w, false)))
			continue
		}
		lines = append(lines, table.Fit(rows[i].line, m.w, false))
	}
	return table.FitLines(lines, m.h)
}

// header is the incident at a glance: id, title and status; endpoints,
// worst severity, attack phases reached and the handling phase.
func (m Model) header() []string {
	T := m.lang.T
	d := m.data
	inc := &d.Incident
	status := m.st.OK.Render("● " + T("status open"))
	if !inc.IsOpen() {
		status = m.st.Muted.Render("○ " + T("status closed"))
	}
	left := m.st.Title.Render(sanitize.Line(inc.ID)) + "  " + m.st.Bold.Render(sanitize.Line(inc.Title))
	line1 := rightAligned(left, status, m.w)

	var reached [7]bool
	worst, any := alert.Info, false
	for i := range d.Alerts {
		a := &d.Alerts[i]
		if a.Phase >= 1 && a.Phase <= 6 {
			reached[a.Phase] = true
		}
		if !any || a.Severity > worst {
			worst, any = a.Severity, true
		}
	}
	parts := []string{sanitize.Line(Hosts(m.be, inc.Endpoints, d.Alerts))}
	if any {
		parts = append(parts, m.st.Sev(worst).Render(style.SevMark(worst)+" "+style.SevName(worst, m.lang)))
	}
	parts = append(parts, T("phases")+" "+m.st.Phases(reached))
	done, total := Progress(d.Checklist)
	ph := T("handling done")
	if c := d.Checklist.Current; c != "" {
		ph = T("handling") + " " + c
		if p, ok := m.be.Catalog().HandlingPhase(c); ok {
			ph += " " + p.Name.In(string(m.lang))
		}
	}
	parts = append(parts, fmt.Sprintf("%d/%d", done, total), ph)
	line2 := table.Fit(strings.Join(parts, m.st.Subtle.Render(" · ")), m.w, false)
	return []string{line1, line2}
}

// Progress sums a checklist's done (or skipped) and total items.
func Progress(cl incident.Checklist) (done, total int) {
	for _, p := range cl.Phases {
		done += p.Done
		total += p.Total
	}
	return done, total
}

// tabs are the section tabs with their counts.
func (m Model) tabs() string {
	T := m.lang.T
	d := m.data
	done, total := Progress(d.Checklist)
	written := len(d.Incident.Findings)
	names := []string{
		fmt.Sprintf("%s %d/%d", T("checklist"), done, total),
		fmt.Sprintf("%s %d/%d", T("findings"), written, len(m.be.Catalog().Findings())),
		fmt.Sprintf("%s %d", T("alerts"), len(d.Alerts)),
		fmt.Sprintf("%s %d", T("actions"), len(d.Actions)),
		fmt.Sprintf("%s %d", T("audit"), len(d.Records)),
	}
	var parts []string
	for i, n := range names {
		if section(i) == m.section {
			parts = append(parts, m.st.TabActive.Render(" "+n+" "))
		} else {
			parts = append(parts, m.st.Tab.Render(" "+n+" "))
		}
	}
	return ansi.Truncate(strings.Join(parts, ""), m.w, "…")
}

// rows builds the lines of the current section.
func (m Model) rows() []row {
	if m.data == nil {
		return nil
	}
	switch m.section {
	case checklist:
		return m.checklistRows()
	case findings:
		return m.findingRows()
	case alerts:
		return m.alertRows()
	case actions:
		return m.actionRows()
	}
	return m.trailRows()
}

// bar draws done of total in width cells.
func bar(done, total, width int) string {
	n := 0
	if total > 0 {
		n = done * width / total
	}
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}

// rightAligned fits left and puts right at the end of a line of width w,
// a space at least between them.
func rightAligned(left, right string, w int) string {
	const gap = " "
	return table.Fit(left, max(0, w-ansi.StringWidth(right)-len(gap)), false) + gap + right
}

func (m Model) checklistRows() []row {
	T := m.lang.T
	L := string(m.lang)
	cl := m.data.Checklist
	var out []row
	markW := max(ansi.StringWidth("◀ "+T("current")), ansi.StringWidth("◀ "+T("current set")))
	for _, pp := range cl.Phases {
		id := pp.Phase.ID
		mark := "▸"
		if m.expanded[id] {
			mark = "▾"
		}
		nameSt := m.st.Text
		marker := ""
		switch {
		case id == cl.Current:
			nameSt = m.st.Title
			cur := T("current")
			if cl.Explicit {
				cur = T("current set")
			}
			marker = m.st.Warn.Render("◀ " + cur)
		case pp.Complete():
			marker = m.st.OK.Render("✓")
		}
		right := m.st.Accent.Render(bar(pp.Done, pp.Total, 8)) + fmt.Sprintf(" %2d/%-2d ", pp.Done, pp.Total) + table.Fit(marker, markW, false)
		r := newRow(rightAligned(fmt.Sprintf("%s %s  %s", mark, nameSt.Render(id), nameSt.Render(pp.Phase.Name.In(L))), right, m.w))
		r.sel, r.phase = true, id
		out = append(out, r)
		if !m.expanded[id] {
			continue
		}
		if purpose := pp.Phase.Purpose.In(L); purpose != "" {
			out = append(out, m.wrapped("    ", purpose, m.st.Muted)...)
		}
		for _, ri := range pp.Roles {
			h := newRow("  " + m.st.Bold.Render(ri.Role.Name.In(L)))
			h.heading, h.phase = true, id
			out = append(out, h)
			if len(ri.Items) == 0 {
				text := T("no part")
				if !ri.NoPart.IsZero() {
					text = ri.NoPart.In(L)
				}
				out = append(out, newRow("    "+m.st.Muted.Render("— "+text)))
				continue
			}
			for _, it := range ri.Items {
				out = append(out, m.itemRows(id, it)...)
			}
		}
	}
	return out
}

// itemRows are a checklist item: its state, what to do, who marked it
// when, the note, and (on demand) what it needs and produces.
func (m Model) itemRows(phase string, it incident.Item) []row {
	T := m.lang.T
	L := string(m.lang)
	c := it.Check
	mark := "[ ]"
	st := m.st.Text
	switch c.State {
	case incident.Done:
		mark, st = m.st.OK.Render("[✓]"), m.st.Text
	case incident.Skipped:
		mark, st = m.st.Muted.Render("[–]"), m.st.Muted
	}
	right := ""
	if c.Who != "" {
		right = m.st.Muted.Render(sanitize.Line(clip(c.Who, 16)) + " " + m.local(c.When, "01-02 15:04"))
	}
	left := "    " + mark + " " + st.Render(it.Action.Do.In(L))
	room := m.w // what the row has for left: the width, less who marked it when
	r := newRow(left)
	if right != "" {
		r.line = rightAligned(left, right, m.w)
		room = m.w - ansi.StringWidth(right) - 1
	}
	r.sel, r.phase, r.action = true, phase, it.Action.ID
	out := []row{r}
	if c.Note != "" {
		note := "“" + sanitize.Line(c.Note) + "”"
		if c.State == incident.Skipped {
			note = T("skipped because") + " " + note
		}
		out = append(out, m.wrapped("        ", note, m.st.Muted)...)
	}
	if m.allIO || m.io[it.Action.ID] {
		if ansi.StringWidth(left) > room { // the row cut it: here it is whole
			out = append(out, m.wrapped("        ", it.Action.Do.In(L), m.st.Text)...)
		}
		var ins, outs []string
		for _, t := range it.Action.Inputs {
			ins = append(ins, t.In(L))
		}
		for _, t := range it.Action.Outputs {
			outs = append(outs, t.In(L))
		}
		if len(ins) > 0 {
			out = append(out, m.wrapped("        ", "← "+T("inputs")+": "+strings.Join(ins, "; "), m.st.Accent)...)
		}
		if len(outs) > 0 {
			out = append(out, m.wrapped("        ", "→ "+T("outputs")+": "+strings.Join(outs, "; "), m.st.Accent)...)
		}
	}
	return out
}

// wrapped wraps text (sanitised here) under an indent, one row per line.
func (m Model) wrapped(indent, text string, st lipgloss.Style) []row {
	var out []row
	width := max(10, m.w-ansi.StringWidth(indent))
	for _, para := range strings.Split(text, "\n") {
		for _, l := range strings.Split(ansi.Wrap(sanitize.Line(para), width, " ,;/"), "\n") {
			out = append(out, newRow(indent+st.Render(l)))
		}
	}
	return out
}

func (m Model) findingRows() []row {
	T := m.lang.T
	L := string(m.lang)
	inc := &m.data.Incident
	var out []row
	for i, f := range m.be.Catalog().Findings() {
		if i > 0 {
			out = append(out, newRow(""))
		}
		fd, written := inc.Findings[f.ID]
		status := m.st.Muted.Render(T("not written"))
		if written {
			status = m.st.Muted.Render(fmt.Sprintf("%s %s %s", T("written by"), sanitize.Line(clip(fd.Who, 16)), m.local(fd.When, "01-02 15:04")))
		}
		mark := m.st.Muted.Render("□")
		if written {
			mark = m.st.OK.Render("■")
		}
		h := newRow(rightAligned(mark+" "+m.st.Title.Render(f.Name.In(L)), status, m.w))
		h.sel, h.finding = true, f.ID
		out = append(out, h)
		var qs []string
		for _, q := range f.Questions {
			qs = append(qs, q.In(L))
		}
		if len(qs) > 0 {
			q := newRow(indent + m.st.Subtle.Render(table.Fit(strings.Join(qs, " · "), m.w-len(indent), false)))
			q.finding = f.ID
			out = append(out, q)
		}
		if written {
			out = append(out, m.wrapped("  ", fd.Text, m.st.Text)...)
		}
		var sgs []int
		for j := range m.data.Suggestions {
			if m.data.Suggestions[j].Finding == f.ID {
				sgs = append(sgs, j)
			}
		}
		if len(sgs) == 0 {
			continue
		}
		lbl := newRow("  " + m.st.Accent.Render(T("suggested")))
		lbl.heading = true
		out = append(out, lbl)
		for _, j := range sgs {
			s := m.data.Suggestions[j]
			mark, st := "◇ ", m.st.Accent
			if written && strings.Contains(fd.Text, s.Text) {
				mark, st = "✓ ", m.st.Muted
			}
			lines := m.wrapped("    ", s.Text, st)
			lines[0].line = "  " + st.Render(mark) + strings.TrimPrefix(lines[0].line, "    ")
			lines[0].sel, lines[0].finding, lines[0].sugg = true, f.ID, j
			out = append(out, lines...)
		}
	}
	return out
}

func (m Model) alertRows() []row {
	T := m.lang.T
	cols := []table.Column{
		{Title: T("time"), Width: 11}, {Title: T("severity"), Width: 6}, {Title: T("rule"), Width: 14},
		{Title: T("phase"), Width: 2, Right: true}, {Title: T("endpoint"), Width: 12}, {Title: T("title"), Width: 10, Flex: 1},
	}
	ws := table.Widths(cols, m.w)
	type cell struct {
		text string
		st   lipgloss.Style
	}
	join := func(cells ...cell) string {
		var parts []string
		for i, c := range cells {
			if ws[i] > 0 {
				parts = append(parts, c.st.Render(table.Fit(c.text, ws[i], cols[i].Right)))
			}
		}
		return strings.Join(parts, " ")
	}
	hdr := make([]cell, len(cols))
	for i, c := range cols {
		hdr[i] = cell{c.Title, m.st.ColumnHeader}
	}
	h := newRow(join(hdr...))
	h.heading = true
	out := []row{h}
	if len(m.data.Alerts) == 0 {
		return append(out, newRow(m.st.Muted.Render(T("no alerts yet"))))
	}
	for i := range m.data.Alerts {
		a := &m.data.Alerts[i]
		title := a.Title
		if r, ok := m.be.Catalog().Rule(a.Rule); ok {
			title = r.Title.In(string(m.lang))
		}
		ep := a.Endpoint
		if a.Host != "" {
			ep = a.Host
		}
		r := newRow(join(
			cell{m.local(a.FirstSeen, "01-02 15:04"), m.st.Text},
			cell{style.SevMark(a.Severity) + " " + style.SevShort(a.Severity, m.lang), m.st.Sev(a.Severity)},
			cell{a.Rule, m.st.Text},
			cell{fmt.Sprint(a.Phase), m.st.Text},
			cell{sanitize.Line(ep), m.st.Text},
			cell{sanitize.Line(title), m.st.Text},
		))
		r.sel, r.alert = true, i
		out = append(out, r)
	}
	return out
}

// Hosts names an incident's endpoints as people know them: the host name
// the alerts or the inventory give, else the address.
func Hosts(be interface {
	Asset(string) (asset.Asset, bool)
}, endpoints []string, as []alert.Alert) string {
	names := make([]string, 0, len(endpoints))
	for _, ep := range endpoints {
		name := ep
		for i := range as {
			if as[i].Endpoint == ep && as[i].Host != "" {
				name = as[i].Host
				break
			}
		}
		if name == ep {
			if a, ok := be.Asset(ep); ok && a.Host != "" && a.Prefix.IsSingleIP() {
				name = a.Host
			}
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

// stateText is an action's state with a mark that differs without colour.
func (m Model) stateText(a *containment.Action) (string, lipgloss.Style) {
	T := m.lang.T
	s := string(a.State)
	switch {
	case a.State == containment.State(audit.Succeeded):
		return "✓ " + T("outcome "+s), m.st.OK
	case a.State == containment.State(audit.ByHand):
		return "✓ " + T("outcome "+s), m.st.OK
	case a.State == containment.Running:
		return "⏳ " + T("outcome "+s), m.st.Warn
	case a.State == containment.Unfinished, a.State == containment.State(audit.Interrupted):
		return "⚠ " + T("outcome "+s), m.st.Error
	}
	return "✗ " + T("outcome "+s), m.st.Error
}

func (m Model) actionRows() []row {
	T := m.lang.T
	L := string(m.lang)
	if len(m.data.Actions) == 0 {
		return []row{newRow(m.st.Muted.Render(T("no actions")))}
	}
	var out []row
	for i := range m.data.Actions {
		a := &m.data.Actions[i]
		state, st := m.stateText(a)
		if a.Exit != nil {
			state += fmt.Sprintf(" (%d)", *a.Exit)
		}
		title := a.Title.In(L)
		if title == "" {
			title = a.Measure
		}
		var vals []string
		for _, k := range slices.Sorted(maps.Keys(a.Params)) {
			vals = append(vals, a.Params[k])
		}
		note := ""
		switch {
		case a.UndoOf != "":
			note = "↶ " + T("undo of run") + " " + a.UndoOf
		case a.UndoneBy != "":
			note = "↶ " + T("undone")
		}
		left := fmt.Sprintf("%s %s %s", m.local(a.Started, "01-02 15:04"), st.Render(table.Fit(state, 16, false)), title)
		right := m.st.Muted.Render(sanitize.Line(strings.Join(vals, " ")+" "+clip(a.Who, 12)) + " " + note)
		r := newRow(rightAligned(sanitize.Line(left), right, m.w))
		r.sel, r.run = true, i
		out = append(out, r)
	}
	return out
}

// actionDetail is everything about one containment action.
func (m Model) actionDetail(a *containment.Action) string {
	T := m.lang.T
	L := string(m.lang)
	var b strings.Builder
	w := m.w
	line := func(label, text string) {
		text = sanitize.Line(text)
		if label != "" {
			text = m.st.Muted.Render(label+": ") + text
		}
		b.WriteString(ansi.Wrap(text, w, " ,;/") + "\n")
	}
	state, st := m.stateText(a)
	b.WriteString(m.st.Title.Render(a.Title.In(L)) + "  " + m.st.Muted.Render(a.Measure) + "\n")
	b.WriteString(st.Render(state) + "\n")
	line(T("run"), a.RunID)
	line(T("who"), a.Who)
	line(T("started"), m.local(a.Started, "2006-01-02 15:04:05"))
	if !a.Finished.IsZero() {
		line(T("finished"), m.local(a.Finished, "2006-01-02 15:04:05"))
	}
	for _, k := range slices.Sorted(maps.Keys(a.Params)) {
		line(k, a.Params[k])
	}
	if a.Manual {
		line(T("command label"), T("by hand"))
	} else {
		line(T("command label"), containment.CommandLine(a.Argv))
	}
	if a.Exit != nil {
		line(T("exit"), fmt.Sprint(*a.Exit))
	}
	if a.Note != "" {
		line(T("note"), a.Note)
	}
	if a.Error != "" {
		line("✗", a.Error)
	}
	for _, o := range []struct{ label, text string }{{"output", a.Stdout}, {"errors", a.Stderr}} {
		if strings.TrimSpace(o.text) == "" {
			continue
		}
		b.WriteString(m.st.Bold.Render(T(o.label)) + "\n")
		for _, l := range strings.Split(strings.TrimRight(o.text, "\n"), "\n") {
			for _, wl := range strings.Split(ansi.Wrap(sanitize.Line(l), max(10, w-len(indent)), ""), "\n") {
				b.WriteString(indent + wl + "\n")
			}
		}
	}
	if a.UndoneBy != "" {
		line("↶", T("undone")+" ("+a.UndoneBy+")")
	} else if why := m.undoable(a); why != "" {
		line("↶", why)
	} else {
		line("↶", T("can undo"))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (m Model) trailRows() []row {
	T := m.lang.T
	if len(m.data.Records) == 0 {
		return []row{newRow(m.st.Muted.Render(T("no records")))}
	}
	var out []row
	for _, rec := range m.data.Records {
		what := string(rec.Kind) + " " + rec.Action
		st := m.st.Text
		if rec.Subject != "" {
			what += " " + rec.Subject
		}
		if run := rec.Run; run != nil {
			switch rec.Action {
			case audit.ActionStarted:
				what = fmt.Sprintf("%s %s: %s", rec.Action, rec.Subject, containment.CommandLine(run.Argv))
				if m.data.Unfinished[run.ID] {
					what = "⚠ " + T("outcome unfinished") + " · " + what
					st = m.st.Error
				}
			case audit.ActionFinished:
				what = fmt.Sprintf("%s: %s", rec.Action, run.Outcome)
				if run.Exit != nil {
					what += fmt.Sprintf(", %s %d", T("exit"), *run.Exit)
				}
				what += " · " + rec.Subject
				if run.Outcome != audit.Succeeded {
					st = m.st.Warn
				}
			case audit.ActionManual:
				what = fmt.Sprintf("%s: %s · %s", rec.Action, T("outcome "+string(run.Outcome)), rec.Subject)
			case audit.ActionInterrupted:
				what = "⚠ " + T("outcome interrupted") + " · " + rec.Subject
				st = m.st.Error
			}
			if run.UndoOf != "" {
				what += " (" + T("undo of run") + " " + run.UndoOf + ")"
			}
		}
		if v := rec.Fields["alerts"]; v != "" {
			what += fmt.Sprintf(" (%d %s)", strings.Count(v, ",")+1, T("alerts n"))
		}
		if rec.Note != "" {
			what += " — “" + rec.Note + "”"
		}
		line := m.st.Muted.Render(m.local(rec.Time, "01-02 15:04:05")+" "+table.Fit(sanitize.Line(rec.Who), 10, false)) + " " + st.Render(sanitize.Line(what))
		r := newRow(line)
		r.sel = true
		out = append(out, r)
	}
	return out
}

func (m Model) editView() string {
	T := m.lang.T
	L := string(m.lang)
	name := m.editID
	var qs []string
	if f, ok := m.be.Catalog().Finding(m.editID); ok {
		name = f.Name.In(L)
		for _, q := range f.Questions {
			qs = append(qs, q.In(L))
		}
	}
	head := m.st.Title.Render("✎ "+sanitize.Line(m.data.Incident.ID)+" · "+name) + "  " + m.st.Muted.Render(T("edit hint"))
	lines := []string{table.Fit(head, m.w, false), m.st.Subtle.Render(table.Fit(strings.Join(qs, " · "), m.w, false))}
	lines = append(lines, strings.Split(m.editing.View(), "\n")...)
	return table.FitLines(lines, m.h)
}
