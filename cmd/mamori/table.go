package main

import (
	"io"
	"os"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"

	"github.com/mamori-soc/mamori/sanitize"
)

// outputWidth is how wide tables on stdout may be: the terminal's width,
// or 0 (no limit: whole text) when stdout is a file or a pipe, or when
// --wide asks for whole lines.
func outputWidth(g *globals) int {
	if g.wide {
		return 0
	}
	if w, _, err := term.GetSize(os.Stdout.Fd()); err == nil && w > 0 {
		return w
	}
	return 0
}

// grid is a table of text for the command line. Columns take the width of
// their widest cell. When the table is wider than the terminal, the
// detail column (a title or a summary), if there is one, leaves the table
// and goes under each row, whole and wrapped at word boundaries; the other
// columns give way, the widest first, and cells are cut with "…" rather
// than wrapped mid-word by the terminal. Cells are sanitised: they may
// come from logs.
type grid struct {
	rows   [][]string // the first is the header
	detail []int      // the columns that may go under their row, in order
}

func newGrid(header ...string) *grid { return &grid{rows: [][]string{header}} }

// withDetail names the columns that go under each row on a narrow
// terminal (the last ones of the table), joined by "; ".
func (g *grid) withDetail(cols ...int) *grid {
	g.detail = cols
	return g
}

func (g *grid) row(cells ...string) {
	for i, c := range cells {
		cells[i] = sanitize.Line(c)
	}
	g.rows = append(g.rows, cells)
}

const gridGap = 2

// write writes the table, fitted to width (0: no limit).
func (g *grid) write(w io.Writer, width int) error {
	rows, details := g.rows, []string(nil)
	if width > 0 && len(g.detail) > 0 && natural(rows) > width {
		rows, details = splitColumns(rows, g.detail)
	}
	n := 0
	for _, r := range rows {
		n = max(n, len(r))
	}
	widths := make([]int, n)
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	if width > 0 {
		fit(widths, rows[0], width-gridGap*(n-1), details == nil)
	}
	var b strings.Builder
	for ri, r := range rows {
		line := make([]string, 0, n)
		for i := range n {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			if ansi.StringWidth(c) > widths[i] {
				c = ansi.Truncate(c, widths[i], "…")
			}
			if i < n-1 {
				c += strings.Repeat(" ", widths[i]-ansi.StringWidth(c))
			}
			line = append(line, c)
		}
		b.WriteString(strings.TrimRight(strings.Join(line, strings.Repeat(" ", gridGap)), " "))
		b.WriteByte('\n')
		if details != nil && ri > 0 && details[ri] != "" {
			const indent = "    "
			for _, l := range strings.Split(ansi.Wordwrap(details[ri], max(20, width-len(indent)), ""), "\n") {
				b.WriteString(indent + l + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// natural is the width of rows laid out without limit.
func natural(rows [][]string) int {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	sum := gridGap * max(0, len(widths)-1)
	for _, w := range widths {
		sum += w
	}
	return sum
}

// splitColumns takes columns cols out of rows: the rows without them, and
// their non-empty cells joined by "; ", by row.
func splitColumns(rows [][]string, cols []int) ([][]string, []string) {
	out := make([][]string, len(rows))
	details := make([]string, len(rows))
	for i, r := range rows {
		var keep, text []string
		for j, c := range r {
			if slices.Contains(cols, j) {
				if c != "" {
					text = append(text, c)
				}
				continue
			}
			keep = append(keep, c)
		}
		out[i], details[i] = keep, strings.Join(text, "; ")
	}
	return out, details
}

// fit narrows widths until they sum to room: the last column first (down
// to 16 cells) when lastFirst, then always the widest column, none below
// its header (or 4 cells).
func fit(widths []int, header []string, room int, lastFirst bool) {
	sum := 0
	for _, w := range widths {
		sum += w
	}
	last := len(widths) - 1
	floor := func(i int) int {
		f := 4
		if i < len(header) {
			f = max(f, ansi.StringWidth(header[i]))
		}
		if i == last && lastFirst {
			f = max(f, 16)
		}
		return min(f, widths[i])
	}
	if over := sum - room; over > 0 && lastFirst {
		cut := min(over, widths[last]-floor(last))
		widths[last] -= cut
		sum -= cut
	}
	for sum > room {
		widest := -1
		for i, w := range widths {
			if w > floor(i) && (widest < 0 || w > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return // as narrow as it goes: the terminal wraps
		}
		widths[widest]--
		sum--
	}
}
