// Package sources shows the files mamori follows: format, state, how far
// it has read, rates, and the rejected lines with their reasons, so that a
// parser problem is visible rather than silent.
package sources

import (
	"time"

	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/internal/human"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

// KeyMap is the pane's keys.
type KeyMap struct{ Up, Down key.Binding }

// DefaultKeyMap returns the pane's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:   key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down: key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Up, k.Down}} }

// Model is the pane.
type Model struct {
	keys          KeyMap
	st            *style.Styles
	lang          i18n.Lang
	width, height int
	status        backend.Status
	selected      int
	offset        int
	loc           *time.Location
}

// New returns the pane; times are shown in loc, the office's zone.
func New(st *style.Styles, lang i18n.Lang, loc *time.Location) Model {
	m := Model{st: st, loc: loc}
	m.SetLang(lang)
	return m
}

// SetStatus gives the pane the latest status.
func (m *Model) SetStatus(s backend.Status) {
	m.status = s
	if m.selected >= len(s.Sources) {
		m.selected = max(0, len(s.Sources)-1)
	}
}

// SetStyles changes the theme.
func (m *Model) SetStyles(st *style.Styles) { m.st = st }

// SetLang changes the language.
func (m *Model) SetLang(l i18n.Lang) {
	m.lang = l
	m.keys = DefaultKeyMap()
	l.Keys(&m.keys)
}

// SetSize sets the pane's size.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// KeyMap returns the pane's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// Update handles keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, m.keys.Up):
			m.selected = max(0, m.selected-1)
		case key.Matches(k, m.keys.Down):
			m.selected = max(0, min(len(m.status.Sources)-1, m.selected+1))
		}
		if n := len(m.status.Sources); n > 0 {
			shown := table.Rows(m.tableHeight(len(m.detail(m.status.Sources[m.selected]))))
			m.offset = table.Window(m.offset, m.selected, shown, n)
		}
	}
	return m, nil
}

// View renders the pane: the sources table on top, the selected source's
// details (its counts, why it waits or failed, its rejected lines) below.
// The table takes the rows it needs, or what the details leave of the
// pane (half of it at least), and the selected source is always on it.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	T := m.lang.T
	srcs := m.status.Sources
	if len(srcs) == 0 {
		return table.FitLines([]string{m.st.Muted.Render("  " + T("no sources"))}, m.height)
	}
	cols := []table.Column{
		{Title: T("path"), Width: 14, Flex: 1},
		{Title: T("format"), Width: 9},
		{Title: T("state"), Width: 9},
		{Title: T("events"), Width: 8, Right: true},
		{Title: T("rate"), Width: 6, Right: true},
		{Title: T("rejected"), Width: 8, Right: true},
		{Title: T("lag"), Width: 7, Right: true},
	}
	rows := make([]table.Row, len(srcs))
	for i, s := range srcs {
		var st = m.st.Text
		switch s.State {
		case ingest.StateFailed:
			st = m.st.Error
		case ingest.StateWaiting, ingest.StateSkipped:
			st = m.st.Warn
		case ingest.StateFollowing:
			st = m.st.OK
		}
		rej := fmt.Sprint(s.Rejected)
		rejStyle := m.st.Text
		if s.Rejected > 0 {
			rejStyle = m.st.Warn
		}
		events, rate := fmt.Sprint(s.Events), fmt.Sprintf("%.0f", s.Rate)
		if s.State == ingest.StateStored { // counted by the run that read it, not kept
			events, rate, rej = "–", "–", "–"
		}
		rows[i] = table.Row{Cells: []table.Cell{
			{Text: shortPath(s.Path)},
			{Text: s.Format},
			{Text: m.stateName(s.State), Style: &st},
			{Text: events},
			{Text: rate},
			{Text: rej, Style: &rejStyle},
			{Text: human.Compact(s.Lag())},
		}}
	}
	detail := m.detail(srcs[min(m.selected, len(srcs)-1)])
	tableH := m.tableHeight(len(detail))
	offset := table.Window(m.offset, m.selected, table.Rows(tableH), len(srcs))
	body := table.Render(cols, rows, m.selected, offset, m.width, tableH, table.Styles{Header: m.st.ColumnHeader, Text: m.st.Text, Selected: m.st.Selected, Match: m.st.Match})
	return table.FitLines(append(strings.Split(body, "\n"), detail...), m.height)
}

// stateName is a source's state in the pane's language.
func (m Model) stateName(state string) string {
	if name := m.lang.T("state " + state); name != "state "+state {
		return name
	}
	return state
}

// tableHeight is the lines the table gets (its header included) when the
// selected source's details take detail lines.
func (m Model) tableHeight(detail int) int {
	need := len(m.status.Sources) + table.HeaderHeight
	return min(need, max(m.height-detail, m.height/2, table.HeaderHeight+1))
}

// detail is what the pane says of one source: a heading with its path,
// why it waits or failed, its counts, its rejected lines by reason, its
// notes and sample lines; each line fits the width (the counts and
// reasons wrap, a sample line is cut).
func (m Model) detail(sel ingest.SourceStats) []string {
	T := m.lang.T
	out := []string{m.st.Accent.Render(table.Fit("── "+sanitize.Line(sel.Path)+" ", m.width, false))}
	wrap := func(text string, st lipgloss.Style) {
		for _, l := range strings.Split(ansi.Wrap(text, m.width, " ,;/"), "\n") {
			out = append(out, st.Render(l))
		}
	}
	if sel.Reason != "" {
		wrap(sanitize.Line(sel.Reason), m.st.Warn)
	}
	if sel.State == ingest.StateStored {
		wrap(fmt.Sprintf(T("stored source"), human.Compact(sel.Offset), human.Compact(sel.Size), sel.LastRead.In(m.loc).Format("01-02 15:04")), m.st.Text)
	} else {
		wrap(fmt.Sprintf(T("source counts"), sel.Lines, sel.Events, sel.Ignored, sel.Rejected, sel.Offset, sel.Size), m.st.Text)
	}
	for _, r := range slices.Sorted(maps.Keys(sel.ByReason)) {
		wrap(fmt.Sprintf("%6d  %s", sel.ByReason[r], sanitize.Line(r)), m.st.Warn)
	}
	for _, n := range slices.Sorted(maps.Keys(sel.Notes)) {
		wrap(fmt.Sprintf("%6d  %s", sel.Notes[n], sanitize.Line(n)), m.st.Muted)
	}
	for _, smp := range sel.Samples {
		out = append(out, table.Fit(m.st.Muted.Render(fmt.Sprintf("  @%d %s: ", smp.Offset, sanitize.Line(smp.Reason)))+sanitize.Line(smp.Line), m.width, false))
	}
	return out
}

func shortPath(p string) string {
	dir, file := filepath.Split(p)
	parent := filepath.Base(filepath.Clean(dir))
	return sanitize.Line(filepath.Join(parent, file))
}
