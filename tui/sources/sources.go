// Package sources shows the files mamori follows: format, state, how far
// it has read, rates, and the rejected lines with their reasons, so that a
// parser problem is visible rather than silent.
package sources

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mamori-soc/mamori/ingest"
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
}

// New returns the pane.
func New(st *style.Styles, lang i18n.Lang) Model {
	m := Model{st: st}
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
			m.selected = min(len(m.status.Sources)-1, m.selected+1)
		}
	}
	return m, nil
}

// View renders the pane: the sources table on top, the selected source's
// rejected lines below.
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
		state := s.State
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
			{Text: state, Style: &st},
			{Text: events},
			{Text: rate},
			{Text: rej, Style: &rejStyle},
			{Text: humanBytes(s.Lag())},
		}}
	}
	top := min(len(srcs)+1, max(3, m.height/2))
	offset := table.Window(m.offset, m.selected, top, len(srcs))
	body := table.Render(cols, rows, m.selected, offset, m.width, top, table.Styles{Header: m.st.ColumnHeader, Text: m.st.Text, Selected: m.st.Selected, Match: m.st.Match})
	sel := srcs[min(m.selected, len(srcs)-1)]
	var b strings.Builder
	b.WriteString(body)
	b.WriteString("\n")
	b.WriteString(m.st.Accent.Render(table.Fit("── "+sanitize.Line(sel.Path)+" ", m.width, false)))
	lines := []string{}
	if sel.Reason != "" {
		lines = append(lines, m.st.Warn.Render(sanitize.Line(sel.Reason)))
	}
	if sel.State == ingest.StateStored {
		lines = append(lines, fmt.Sprintf(T("stored source"), humanBytes(sel.Offset), humanBytes(sel.Size), sel.LastRead.Local().Format("01-02 15:04")))
	} else {
		lines = append(lines, fmt.Sprintf("%d lines, %d events, %d not events, %d rejected; offset %d of %d", sel.Lines, sel.Events, sel.Ignored, sel.Rejected, sel.Offset, sel.Size))
	}
	reasons := make([]string, 0, len(sel.ByReason))
	for r := range sel.ByReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		lines = append(lines, m.st.Warn.Render(fmt.Sprintf("%6d  %s", sel.ByReason[r], sanitize.Line(r))))
	}
	for _, n := range slices.Sorted(maps.Keys(sel.Notes)) {
		lines = append(lines, m.st.Muted.Render(fmt.Sprintf("%6d  %s", sel.Notes[n], sanitize.Line(n))))
	}
	for _, smp := range sel.Samples {
		lines = append(lines, m.st.Muted.Render(fmt.Sprintf("  @%d %s: ", smp.Offset, sanitize.Line(smp.Reason)))+sanitize.Line(smp.Line))
	}
	for _, l := range lines {
		b.WriteString("\n")
		b.WriteString(table.Fit(l, m.width, false))
	}
	return table.FitLines(strings.Split(b.String(), "\n"), m.height)
}

func shortPath(p string) string {
	dir, file := filepath.Split(p)
	parent := filepath.Base(filepath.Clean(dir))
	return sanitize.Line(filepath.Join(parent, file))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0fK", float64(n)/(1<<10))
	}
	return fmt.Sprint(n)
}
