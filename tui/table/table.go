// Package table renders the console's tables: fixed and flexible columns
// fitted to the pane's width, wide (Japanese) characters measured by the
// cells they take, a selected row, and a window of rows around it. Cells
// are plain strings that the caller has already sanitised; styling is
// applied here so truncation never cuts an escape sequence.
package table

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Column describes one column.
type Column struct {
	Title string
	// Width is the column's width in cells; with Flex > 0 it is the
	// minimum and the column takes a share of the space left.
	Width int
	Flex  int
	Right bool // right-align (numbers)
}

// Cell is one cell: text, an optional style, and the rune positions to
// highlight (fuzzy-filter matches).
type Cell struct {
	Text  string
	Style *lipgloss.Style
	Match []int
}

// Row is a table row.
type Row struct {
	Cells []Cell
	// Style applies to the whole row's text (an alert row in a timeline).
	Style *lipgloss.Style
}

// Styles are the styles a table uses.
type Styles struct {
	Header, Text, Selected, Match lipgloss.Style
}

// Widths fits columns into width: fixed columns keep their width (the
// last ones are dropped when even they do not fit), flexible ones share
// the rest in proportion to Flex. One space separates columns. When every
// column fits, a column is at least as wide as its title (a Japanese title
// is often wider than the figures under it).
func Widths(cols []Column, width int) []int {
	titled := make([]Column, len(cols))
	need := -1
	for i, c := range cols {
		c.Width = max(c.Width, ansi.StringWidth(c.Title))
		titled[i] = c
		need += c.Width + 1
	}
	if need <= width {
		cols = titled
	}
	ws := make([]int, len(cols))
	used, flex := 0, 0
	for i, c := range cols {
		need := c.Width
		if i > 0 {
			need++
		}
		if used+need > width {
			break // this and later columns are hidden (width 0)
		}
		ws[i] = c.Width
		used += need
		flex += c.Flex
	}
	if rest := width - used; rest > 0 && flex > 0 {
		given := 0
		last := -1
		for i, c := range cols {
			if ws[i] == 0 || c.Flex == 0 {
				continue
			}
			add := rest * c.Flex / flex
			ws[i] += add
			given += add
			last = i
		}
		if last >= 0 {
			ws[last] += rest - given
		}
	}
	return ws
}

// Fit truncates or pads s to exactly w cells.
func Fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	pad := w - ansi.StringWidth(s)
	if pad <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", pad) + s
	}
	return s + strings.Repeat(" ", pad)
}

// FitLines joins lines, cut or padded with empty lines to exactly h: a
// pane's view is exactly its height.
func FitLines(lines []string, h int) string {
	if len(lines) > h {
		lines = lines[:max(h, 0)]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// Highlight styles the runes of s at positions idx with match and the rest
// with base; s is first truncated to w cells.
func Highlight(s string, idx []int, w int, base, match lipgloss.Style) string {
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if len(idx) == 0 {
		return base.Render(s)
	}
	hit := make(map[int]bool, len(idx))
	for _, i := range idx {
		hit[i] = true
	}
	var b strings.Builder
	var run []rune
	inMatch := false
	flush := func() {
		if len(run) == 0 {
			return
		}
		if inMatch {
			b.WriteString(match.Render(string(run)))
		} else {
			b.WriteString(base.Render(string(run)))
		}
		run = run[:0]
	}
	for i, r := range []rune(s) {
		if hit[i] != inMatch {
			flush()
			inMatch = hit[i]
		}
		run = append(run, r)
	}
	flush()
	return b.String()
}

// HeaderHeight is the lines of a table's column header.
const HeaderHeight = 1

// Rows is how many rows a table of height lines (its header included)
// shows.
func Rows(height int) int { return max(0, height-HeaderHeight) }

// Window returns the first row to show so that selected is visible in a
// window of height rows, moving the previous offset as little as possible.
func Window(offset, selected, height, total int) int {
	if height <= 0 {
		return 0
	}
	if selected < offset {
		offset = selected
	}
	if selected >= offset+height {
		offset = selected - height + 1
	}
	if offset > total-height {
		offset = total - height
	}
	return max(offset, 0)
}

// Render draws the header and the rows from offset that fit in height
// (header included), the selected row highlighted.
func Render(cols []Column, rows []Row, selected, offset, width, height int, st Styles) string {
	ws := Widths(cols, width)
	var b strings.Builder
	var hdr []string
	for i, c := range cols {
		if ws[i] == 0 {
			continue
		}
		hdr = append(hdr, Fit(c.Title, ws[i], c.Right))
	}
	b.WriteString(st.Header.Render(Fit(strings.Join(hdr, " "), width, false)))
	for r := offset; r < len(rows) && r < offset+Rows(height); r++ {
		b.WriteByte('\n')
		row := rows[r]
		var parts []string
		for i, c := range cols {
			if ws[i] == 0 || i >= len(row.Cells) {
				continue
			}
			cell := row.Cells[i]
			text := Fit(cell.Text, ws[i], c.Right)
			switch {
			case r == selected:
				parts = append(parts, text)
			case len(cell.Match) > 0:
				base := st.Text
				if cell.Style != nil {
					base = *cell.Style
				}
				parts = append(parts, Highlight(text, cell.Match, ws[i], base, st.Match))
			case cell.Style != nil:
				parts = append(parts, cell.Style.Render(text))
			case row.Style != nil:
				parts = append(parts, row.Style.Render(text))
			default:
				parts = append(parts, st.Text.Render(text))
			}
		}
		line := strings.Join(parts, " ")
		if r == selected {
			line = st.Selected.Render(Fit(line, width, false))
		}
		b.WriteString(line)
	}
	return b.String()
}
