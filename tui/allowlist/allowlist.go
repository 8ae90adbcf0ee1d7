// Package allowlist is the console's allow-list dialog. Adding an entry
// for an alert (A) shows, before anything is hidden, what the entry
// hides in words and how many stored alerts by severity, offers an
// expiry (a day, a week, a month, never; a week unless changed), asks for
// the reason, and for an entry that would hide a critical or kill-chain
// alert asks for the endpoint (or the rule) to be typed, as a containment
// plan does. The list (:allow) shows every entry — what it hides, until
// when, who made it and why — and removes a stored one with a note.
// Read-only mode lists and changes nothing.
package allowlist

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/clock"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/list"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

// step is where the dialog is.
type step int

const (
	adding   step = iota // the form of a new entry
	listing              // the list of entries
	removing             // confirming the removal of one
)

// The fields of the form, top to bottom.
const (
	fieldExpiry = iota
	fieldReason
	fieldConfirm
)

// Expiry is a choice of how long a new entry lasts; 0 is never.
type Expiry struct {
	For  time.Duration
	Name string // the key of its words
}

// Expiries are the choices, DefaultExpiry the one offered first.
var (
	Expiries = []Expiry{
		{24 * time.Hour, "al:1 day"},
		{7 * 24 * time.Hour, "al:7 days"},
		{30 * 24 * time.Hour, "al:30 days"},
		{0, "al:never"},
	}
	DefaultExpiry = 1
)

// Counts are stored alerts by severity.
type Counts = [alert.Critical + 1]int

// Model is the dialog.
type Model struct {
	be       backend.Backend
	st       *style.Styles
	lang     i18n.Lang
	clock    clock.Clock
	keys     KeyMap
	readonly bool
	w, h     int
	step     step
	closed   bool

	// Adding: the alert A was pressed on and the entry made from it.
	alert   alert.Alert
	entry   detect.Allow
	hides   Counts
	counted bool
	// countErr is why the count failed: nothing is added unseen.
	countErr string
	// already is the entry that hides the alert already, if one does.
	already string
	field   int
	expiry  int
	reason  textinput.Model
	confirm textinput.Model
	saving  bool

	// Listing.
	rows     []row
	loaded   bool
	selected int
	offset   int
	note     textinput.Model

	// message says what went wrong or what was refused.
	message string
}

// row is a listed entry and what it hides.
type row struct {
	e     detect.Allow
	hides Counts
}

// NewAdd opens the form of a new entry hiding alerts like a: its rule,
// endpoint and peer. It counts what the entry hides.
func NewAdd(be backend.Backend, st *style.Styles, lang i18n.Lang, clk clock.Clock, a alert.Alert) (Model, tea.Cmd) {
	m := newModel(be, st, lang, clk)
	m.step, m.alert = adding, a
	m.entry = detect.Allow{Rule: a.Rule, Endpoint: a.Endpoint, Destination: a.Peer}
	m.expiry = DefaultExpiry
	m.field = fieldReason
	cmd := m.focusField()
	if e, ok := be.HiddenBy(&a); ok {
		m.already = e.ID
		if m.already == "" {
			m.already = lang.T("al:config")
		}
		m.message = fmt.Sprintf(lang.T("al:already"), m.already)
	}
	if m.readonly {
		m.message = lang.T("al:readonly")
	}
	return m, tea.Batch(cmd, m.count())
}

// NewList opens the list of entries.
func NewList(be backend.Backend, st *style.Styles, lang i18n.Lang, clk clock.Clock) (Model, tea.Cmd) {
	m := newModel(be, st, lang, clk)
	m.step = listing
	return m, m.load()
}

func newModel(be backend.Backend, st *style.Styles, lang i18n.Lang, clk clock.Clock) Model {
	input := func() textinput.Model {
		ti := textinput.New()
		ti.Prompt = ""
		ti.CharLimit = 300
		s := ti.Styles()
		s.Cursor.Blink = false // a blinking cursor redraws twice a second over SSH
		ti.SetStyles(s)
		return ti
	}
	ro := be.ReadOnly()
	return Model{be: be, st: st, lang: lang, clock: clock.Or(clk), keys: keyMap(lang, ro), readonly: ro,
		reason: input(), confirm: input(), note: input()}
}

// Closed reports whether the user closed the dialog.
func (m Model) Closed() bool { return m.closed }

// KeyMap returns the keys of the dialog's step.
func (m Model) KeyMap() helpKeys { return helpKeys{k: m.keys, step: m.step} }

// SetStyles changes the theme.
func (m *Model) SetStyles(st *style.Styles) { m.st = st }

// SetLang changes the language.
func (m *Model) SetLang(l i18n.Lang) {
	m.lang = l
	m.keys = keyMap(l, m.readonly)
}

// labelWidth is the width of the form's labels.
const labelWidth = 12

// SetSize sets the dialog's size.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	for _, ti := range []*textinput.Model{&m.reason, &m.confirm, &m.note} {
		list.FitInput(ti, w-labelWidth-2)
	}
}

// Messages of the dialog's commands.
type (
	countedMsg struct {
		hides Counts
		err   error
	}
	savedMsg  struct{ err error }
	listedMsg struct {
		rows []row
		err  error
	}
	removedMsg struct {
		id    string
		hides int
		err   error
	}
)

func (m Model) count() tea.Cmd {
	be, e := m.be, m.entry
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n, err := be.Hides(ctx, e)
		return countedMsg{hides: n, err: err}
	}
}

func (m Model) load() tea.Cmd {
	be := m.be
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		es, err := be.AllowEntries(ctx)
		if err != nil {
			return listedMsg{err: err}
		}
		// The ones made here first, newest first; the configuration's
		// after them, as the file lists them.
		var stored, config []row
		for _, e := range es {
			n, err := be.Hides(ctx, e)
			if err != nil {
				return listedMsg{err: err}
			}
			if e.ID != "" {
				stored = append([]row{{e, n}}, stored...)
			} else {
				config = append(config, row{e, n})
			}
		}
		return listedMsg{rows: append(stored, config...)}
	}
}

// Critical reports whether an entry made from a needs its target typed:
// the alert is critical or a kill chain's (C-*), or the entry hides a
// critical alert.
func Critical(a *alert.Alert, hides Counts) bool {
	return a.Severity >= alert.Critical || strings.HasPrefix(strings.ToUpper(a.Rule), "C-") || hides[alert.Critical] > 0
}

// target is what is typed to allow-list a critical alert: the endpoint
// the entry names, else its rule.
func (m Model) target() string {
	if m.entry.Endpoint != "" {
		return m.entry.Endpoint
	}
	return m.entry.Rule
}

func (m Model) needsConfirm() bool { return m.counted && Critical(&m.alert, m.hides) }

// expires is when the entry would end (zero: never).
func (m Model) expires() time.Time {
	if d := Expiries[m.expiry].For; d > 0 {
		return m.clock.Now().Add(d)
	}
	return time.Time{}
}

// Update handles a message.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case countedMsg:
		if msg.err != nil {
			m.countErr = m.lang.T("al:count failed") + ": " + msg.err.Error()
			m.message = m.countErr
			return m, nil
		}
		m.hides, m.counted = msg.hides, true
		return m, nil
	case savedMsg:
		m.saving = false
		if msg.err != nil {
			m.message = msg.err.Error()
			return m, nil
		}
		m.closed = true
		notice := fmt.Sprintf(m.lang.T("al:added"), Scope(m.entry, m.lang), HidesText(m.hides, m.lang), m.untilText())
		return m, func() tea.Msg { return request.AlertsChangedMsg{Notice: notice} }
	case listedMsg:
		m.loaded = true
		if msg.err != nil {
			m.message = msg.err.Error()
			return m, nil
		}
		m.rows = msg.rows
		m.selected = min(m.selected, max(0, len(m.rows)-1))
		return m, nil
	case removedMsg:
		if msg.err != nil {
			m.message = msg.err.Error()
			return m, nil
		}
		notice := fmt.Sprintf(m.lang.T(plural("al:removed", "al:removed 1", msg.hides)), msg.id, msg.hides)
		return m, tea.Batch(m.load(), func() tea.Msg { return request.AlertsChangedMsg{Notice: notice} })
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	switch m.step {
	case adding:
		return m.addKey(k)
	case removing:
		return m.removeKey(k)
	}
	return m.listKey(k)
}

// addKey: ↑/↓ (tab) choose a field, ←/→ the expiry, enter goes to the
// next field and, on the last, allow-lists; esc cancels.
func (m Model) addKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	last := fieldReason
	if m.needsConfirm() {
		last = fieldConfirm
	}
	switch {
	case key.Matches(k, m.keys.Cancel):
		m.closed = true
		return m, nil
	case key.Matches(k, m.keys.PrevField):
		m.field = max(fieldExpiry, m.field-1)
		return m, m.focusField()
	case key.Matches(k, m.keys.NextField):
		m.field = min(last, m.field+1)
		return m, m.focusField()
	case m.field == fieldExpiry && key.Matches(k, m.keys.Shorter):
		m.expiry = (m.expiry + len(Expiries) - 1) % len(Expiries)
		return m, nil
	case m.field == fieldExpiry && key.Matches(k, m.keys.Longer):
		m.expiry = (m.expiry + 1) % len(Expiries)
		return m, nil
	case key.Matches(k, m.keys.Next):
		if m.field < last {
			m.field++
			return m, m.focusField()
		}
		return m.save()
	}
	var cmd tea.Cmd
	before := m.reason.Value() + "\x00" + m.confirm.Value()
	switch m.field {
	case fieldReason:
		m.reason, cmd = m.reason.Update(k)
	case fieldConfirm:
		m.confirm, cmd = m.confirm.Update(k)
	}
	// A refusal is about what was given: it goes once that changes
	// (what keeps the form from adding anything stays).
	if m.reason.Value()+"\x00"+m.confirm.Value() != before && m.lasting() == "" {
		m.message = ""
	}
	return m, cmd
}

// lasting is what keeps the form from adding anything whatever is
// typed: read-only mode, an entry that hides the alert already, a count
// that failed.
func (m Model) lasting() string {
	switch {
	case m.readonly:
		return m.lang.T("al:readonly")
	case m.already != "":
		return fmt.Sprintf(m.lang.T("al:already"), m.already)
	}
	return m.countErr
}

// focusField puts the cursor in the chosen field.
func (m *Model) focusField() tea.Cmd {
	m.reason.Blur()
	m.confirm.Blur()
	switch m.field {
	case fieldReason:
		return m.reason.Focus()
	case fieldConfirm:
		return m.confirm.Focus()
	}
	return nil
}

// save checks what was given and adds the entry.
func (m Model) save() (Model, tea.Cmd) {
	T := m.lang.T
	reason := strings.TrimSpace(m.reason.Value())
	switch {
	case m.readonly:
		m.message = T("al:readonly")
		return m, nil
	case m.saving:
		return m, nil
	case m.already != "":
		m.message = fmt.Sprintf(T("al:already"), m.already)
		return m, nil
	case m.countErr != "":
		m.message = m.countErr
		return m, nil
	case !m.counted:
		m.message = T("al:counting")
		return m, nil
	case reason == "":
		m.message = T("al:reason required")
		m.field = fieldReason
		return m, m.focusField()
	case m.needsConfirm() && !strings.EqualFold(strings.TrimSpace(m.confirm.Value()), m.target()):
		m.message = fmt.Sprintf(T("al:not the target"), sanitize.Line(m.target()))
		m.confirm.SetValue("")
		m.field = fieldConfirm
		return m, m.focusField()
	}
	m.entry.Reason, m.entry.Expires = reason, m.expires()
	m.saving, m.message = true, ""
	be, e := m.be, m.entry
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return savedMsg{err: be.Allow(ctx, e)}
	}
}

// listKey moves in the list, starts a removal, closes.
func (m Model) listKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Close):
		m.closed = true
	case key.Matches(k, m.keys.Up):
		m.selected = max(0, m.selected-1)
	case key.Matches(k, m.keys.Down):
		m.selected = min(max(0, len(m.rows)-1), m.selected+1)
	case key.Matches(k, m.keys.Remove):
		if m.selected >= len(m.rows) {
			return m, nil
		}
		if m.rows[m.selected].e.ID == "" {
			m.message = m.lang.T("al:config entry")
			return m, nil
		}
		m.step, m.message = removing, ""
		m.note.SetValue("")
		return m, m.note.Focus()
	}
	return m, nil
}

// removeKey: a note, then enter removes; esc keeps the entry.
func (m Model) removeKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Keep):
		m.step, m.message = listing, ""
		m.note.Blur()
		return m, nil
	case key.Matches(k, m.keys.ConfirmRemove):
		note := strings.TrimSpace(m.note.Value())
		if note == "" {
			m.message = m.lang.T("al:note required")
			return m, nil
		}
		r := m.rows[m.selected]
		m.step = listing
		m.note.Blur()
		be := m.be
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return removedMsg{id: r.e.ID, hides: total(r.hides), err: be.RemoveAllow(ctx, r.e.ID, note)}
		}
	}
	var cmd tea.Cmd
	m.note, cmd = m.note.Update(k)
	return m, cmd
}

// plural is the key of the words for n things: one's for 1.
func plural(many, one string, n int) string {
	if n == 1 {
		return one
	}
	return many
}

func total(n Counts) int {
	t := 0
	for _, k := range n {
		t += k
	}
	return t
}

// Scope says in the console's language what an entry hides.
func Scope(e detect.Allow, lang i18n.Lang) string {
	if lang != i18n.JA {
		return sanitize.Line(e.Scope())
	}
	rule := "全ルール"
	if e.Rule != "" && e.Rule != "*" {
		rule = e.Rule
	}
	var parts []string
	if e.Endpoint != "" {
		parts = append(parts, "端末 "+e.Endpoint)
	} else {
		parts = append(parts, "全端末")
	}
	if e.Destination != "" {
		parts = append(parts, "宛先 "+e.Destination)
	}
	if e.User != "" {
		parts = append(parts, "ユーザー "+e.User)
	}
	return sanitize.Line(rule + " のアラート（" + strings.Join(parts, "、") + "）")
}

// HidesText says how many stored alerts an entry hides, by severity,
// most severe first: "3 alerts: ■ 1 critical · ▲ 2 high".
func HidesText(n Counts, lang i18n.Lang) string {
	t := total(n)
	if t == 0 {
		return lang.T("al:hides none")
	}
	var parts []string
	for _, s := range severities(n) {
		parts = append(parts, fmt.Sprintf("%s %d %s", style.SevMark(s), n[s], style.SevName(s, lang)))
	}
	return fmt.Sprintf(lang.T(plural("al:hides n", "al:hides 1", t)), t) + ": " + strings.Join(parts, " · ")
}

// untilText says until when the new entry lasts.
func (m Model) untilText() string {
	t := m.expires()
	if t.IsZero() {
		return m.lang.T("al:until removed")
	}
	return fmt.Sprintf(m.lang.T("al:until"), t.In(m.be.Location()).Format("01-02 15:04 MST"))
}

// View renders the dialog.
func (m Model) View() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	if m.step == adding {
		return m.addView()
	}
	return m.listView()
}

// label writes a form label, the chosen field's marked.
func (m Model) label(text string, chosen bool) string {
	mark := " "
	if chosen {
		mark = "▸"
	}
	return m.st.Accent.Render(mark) + m.st.Muted.Render(table.Fit(text, labelWidth, false)) + " "
}

// wrap lays text over lines of the dialog's width under a label's
// indent.
func (m Model) wrap(text string, st interface{ Render(...string) string }) []string {
	var out []string
	// ansi.Wrap breaks a word (and Japanese, which has no spaces) rather
	// than leave a line wider than the dialog.
	for i, l := range strings.Split(ansi.Wrap(text, max(10, m.w-labelWidth-2), " ,;/"), "\n") {
		if i > 0 {
			l = strings.Repeat(" ", labelWidth+2) + l
		}
		out = append(out, st.Render(l))
	}
	return out
}

// wrapAll lays text over lines of the dialog's width, the lines after
// the first indented by one cell.
func (m Model) wrapAll(text string, st interface{ Render(...string) string }) []string {
	var out []string
	for i, l := range strings.Split(ansi.Wrap(text, max(10, m.w-1), " ,;/"), "\n") {
		if i > 0 {
			l = " " + l
		}
		out = append(out, st.Render(l))
	}
	return out
}

// addView is the form of a new entry.
func (m Model) addView() string {
	T := m.lang.T
	a := &m.alert
	var lines []string
	lines = append(lines, m.st.Title.Render(table.Fit(" "+T("al:add title"), m.w, false)), "")
	scope := m.wrap(Scope(m.entry, m.lang), m.st.Bold)
	lines = append(lines, m.label(T("al:hides"), false)+scope[0])
	lines = append(lines, scope[1:]...)
	stored := T("al:counting")
	if m.counted {
		stored = HidesText(m.hides, m.lang)
	}
	hides := m.wrap(stored, m.st.Text)
	lines = append(lines, m.label(T("al:stored"), false)+hides[0])
	lines = append(lines, hides[1:]...)
	sev := m.st.Sev(a.Severity).Render(style.SevMark(a.Severity) + " " + style.SevName(a.Severity, m.lang))
	from := sanitize.Line(a.Rule + " " + T("al:on") + " " + hostOf(a))
	lines = append(lines, m.label(T("al:from"), false)+sev+" "+m.st.Text.Render(from), "")

	exp := Expiries[m.expiry]
	choice := "◀ " + T(exp.Name) + " ▶"
	lines = append(lines, m.label(T("al:expires"), m.field == fieldExpiry)+m.st.Bold.Render(choice)+"  "+m.st.Muted.Render(m.untilText()))
	lines = append(lines, m.label(T("al:reason"), m.field == fieldReason)+m.reason.View())
	if m.needsConfirm() {
		lines = append(lines, "")
		why := T("al:critical")
		if a.Severity < alert.Critical && strings.HasPrefix(strings.ToUpper(a.Rule), "C-") {
			why = T("al:kill chain")
		}
		lines = append(lines, m.wrapAll(" ⚠ "+why+" "+fmt.Sprintf(T("al:type target"), sanitize.Line(m.target())), m.st.Warn)...)
		lines = append(lines, m.label(T("al:confirm"), m.field == fieldConfirm)+m.confirm.View())
	}
	if m.message != "" {
		lines = append(lines, "")
		lines = append(lines, m.wrapAll(" "+sanitize.Line(m.message), m.st.Error)...)
	}
	for i := range lines {
		lines[i] = table.Fit(lines[i], m.w, false)
	}
	return table.FitLines(lines, m.h)
}

// hostOf names an alert's endpoint: "pc-23 (10.0.10.23)".
func hostOf(a *alert.Alert) string {
	if a.Host != "" && a.Host != a.Endpoint {
		return a.Host + " (" + a.Endpoint + ")"
	}
	return a.Endpoint
}

func (m Model) listView() string {
	T := m.lang.T
	loc := m.be.Location()
	config := 0
	for _, r := range m.rows {
		if r.e.ID == "" {
			config++
		}
	}
	title := fmt.Sprintf(T(plural("al:list title", "al:list title 1", len(m.rows))), len(m.rows), config)
	if m.readonly {
		title += "  " + T("al:readonly short")
	}
	lines := []string{m.st.Title.Render(table.Fit(" "+title, m.w, false))}
	if !m.loaded {
		lines = append(lines, m.st.Muted.Render("  "+T("loading")))
		return table.FitLines(lines, m.h)
	}
	if len(m.rows) == 0 {
		lines = append(lines, m.st.Muted.Render(table.Fit("  "+T("al:none"), m.w, false)))
		if m.message != "" {
			lines = append(lines, m.st.Error.Render(table.Fit(" "+sanitize.Line(m.message), m.w, false)))
		}
		return table.FitLines(lines, m.h)
	}
	// Who made an entry has a column from 100 cells; the detail under
	// the list says it at any width.
	wide := m.w >= 100
	cols := []table.Column{
		{Title: "ID", Width: 11}, // al- and 8 hex digits
		{Title: T("al:col hides"), Width: 9},
		{Title: T("al:col expires"), Width: 11},
	}
	if wide {
		cols = append(cols, table.Column{Title: T("al:col by"), Width: 8})
	}
	cols = append(cols, table.Column{Title: T("al:col scope"), Width: 12, Flex: 2}, table.Column{Title: T("al:col reason"), Width: 10, Flex: 1})
	now := m.clock.Now()
	rows := make([]table.Row, len(m.rows))
	for i, r := range m.rows {
		id, by := r.e.ID, r.e.By
		if id == "" {
			id, by = T("al:config"), T("al:config")
		}
		expires := T("al:never")
		if !r.e.Expires.IsZero() {
			expires = r.e.Expires.In(loc).Format("01-02 15:04")
		}
		cells := []table.Cell{{Text: id}, {Text: compact(r.hides)}, {Text: expires}}
		if !r.e.Active(now) {
			muted := m.st.Muted
			cells[2] = table.Cell{Text: T("al:expired"), Style: &muted}
		}
		if wide {
			cells = append(cells, table.Cell{Text: sanitize.Line(by)})
		}
		cells = append(cells, table.Cell{Text: Scope(r.e, m.lang)}, table.Cell{Text: sanitize.Line(r.e.Reason)})
		rows[i] = table.Row{Cells: cells}
	}
	// The selected entry's detail (and the removal's note) keeps its
	// lines; the list has the rest, at least a row.
	detail := m.detail(m.rows[m.selected], now)
	listH := max(table.HeaderHeight+1, m.h-len(lines)-len(detail))
	offset := table.Window(m.offset, m.selected, table.Rows(listH), len(rows))
	list := table.Render(cols, rows, m.selected, offset, m.w, listH, table.Styles{Header: m.st.ColumnHeader, Text: m.st.Text, Selected: m.st.Selected, Match: m.st.Match})
	lines = append(lines, strings.Split(list, "\n")...)
	lines = append(lines, detail...)
	return table.FitLines(lines, m.h)
}

// detail describes the selected entry under the list, or asks for the
// note of its removal.
func (m Model) detail(r row, now time.Time) []string {
	T := m.lang.T
	loc := m.be.Location()
	out := []string{m.st.Subtle.Render(strings.Repeat("─", m.w))}
	out = append(out, m.wrapAll(" "+Scope(r.e, m.lang), m.st.Bold)...)
	out = append(out, m.wrapAll(" "+HidesText(r.hides, m.lang), m.st.Text)...)
	var when []string
	if !r.e.Added.IsZero() {
		when = append(when, fmt.Sprintf(T("al:added by"), r.e.Added.In(loc).Format("01-02 15:04 MST"), sanitize.Line(r.e.By)))
	} else {
		when = append(when, T("al:from config"))
	}
	switch {
	case r.e.Expires.IsZero():
		when = append(when, T("al:until removed"))
	case !r.e.Active(now):
		when = append(when, fmt.Sprintf(T("al:expired at"), r.e.Expires.In(loc).Format("01-02 15:04 MST")))
	default:
		when = append(when, fmt.Sprintf(T("al:until"), r.e.Expires.In(loc).Format("01-02 15:04 MST")))
	}
	out = append(out, m.wrapAll(" "+strings.Join(when, " · "), m.st.Muted)...)
	out = append(out, m.wrapAll(" "+T("al:reason")+": "+sanitize.Line(r.e.Reason), m.st.Text)...)
	if m.step == removing {
		prompt := fmt.Sprintf(T(plural("al:remove prompt", "al:remove prompt 1", total(r.hides))), r.e.ID, total(r.hides))
		out = append(out, m.st.Warn.Render(table.Fit(" "+prompt, m.w, false)))
		out = append(out, m.label(T("al:note"), true)+m.note.View())
	}
	if m.message != "" {
		out = append(out, m.st.Error.Render(table.Fit(" "+sanitize.Line(m.message), m.w, false)))
	}
	for i := range out {
		out[i] = table.Fit(out[i], m.w, false)
	}
	return out
}

// compact writes counts by severity in few cells: "■1 ▲2"; "–" for none.
func compact(n Counts) string {
	var parts []string
	for _, s := range severities(n) {
		parts = append(parts, fmt.Sprintf("%s%d", style.SevMark(s), n[s]))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, " ")
}

// severities are those with a count, most severe first. (Severity is
// unsigned: a loop down to Info never ends.)
func severities(n Counts) []alert.Severity {
	var out []alert.Severity
	for i := len(n) - 1; i >= 0; i-- {
		if n[i] > 0 {
			out = append(out, alert.Severity(i))
		}
	}
	return out
}
