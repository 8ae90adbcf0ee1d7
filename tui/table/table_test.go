package table

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestWidthsFitFixedAndFlex(t *testing.T) {
	cols := []Column{{Width: 5}, {Width: 10, Flex: 1}, {Width: 4}, {Width: 8, Flex: 2}}
	ws := Widths(cols, 80)
	total := len(ws) - 1
	for _, w := range ws {
		total += w
	}
	if total != 80 {
		t.Fatalf("widths %v use %d cells, want 80", ws, total)
	}
	narrow := Widths(cols, 20)
	if narrow[3] != 0 || narrow[0] != 5 {
		t.Fatalf("narrow widths %v: the last columns should be dropped", narrow)
	}
}

func TestFitMeasuresWideCharacters(t *testing.T) {
	cases := map[string]struct {
		in   string
		w    int
		want int
	}{
		"ascii pad":      {"abc", 6, 6},
		"japanese pad":   {"端末", 6, 6},
		"japanese trunc": {"標的型攻撃対策", 7, 7},
		"exact":          {"abc", 3, 3},
	}
	for name, c := range cases {
		if got := ansi.StringWidth(Fit(c.in, c.w, false)); got != c.want {
			t.Errorf("%s: width %d, want %d (%q)", name, got, c.want, Fit(c.in, c.w, false))
		}
	}
	if got := Fit("標的型攻撃対策", 7, false); !strings.HasSuffix(got, "…") {
		t.Errorf("truncation has no ellipsis: %q", got)
	}
}

func TestRenderLinesHaveTheTableWidth(t *testing.T) {
	cols := []Column{{Title: "時刻", Width: 5}, {Title: "ルール", Width: 12}, {Title: "概要", Width: 10, Flex: 1}}
	rows := []Row{
		{Cells: []Cell{{Text: "09:00"}, {Text: "S-BEACON"}, {Text: "ビーコン通信 every 300 s to cdn-update.duckdns.org"}}},
		{Cells: []Cell{{Text: "09:01"}, {Text: "M-DDNS"}, {Text: "short"}}},
	}
	st := Styles{Header: lipgloss.NewStyle(), Text: lipgloss.NewStyle(), Selected: lipgloss.NewStyle().Reverse(true), Match: lipgloss.NewStyle()}
	out := Render(cols, rows, 1, 0, 40, 5, st)
	for i, l := range strings.Split(out, "\n") {
		if w := ansi.StringWidth(l); w != 40 {
			t.Errorf("line %d is %d cells wide, want 40: %q", i, w, l)
		}
	}
}

func TestWindowKeepsSelectionVisible(t *testing.T) {
	cases := []struct{ off, sel, h, total, want int }{
		{0, 0, 10, 100, 0},
		{0, 15, 10, 100, 6},
		{20, 5, 10, 100, 5},
		{95, 99, 10, 100, 90},
		{0, 2, 10, 3, 0},
	}
	for _, c := range cases {
		if got := Window(c.off, c.sel, c.h, c.total); got != c.want {
			t.Errorf("Window(%d,%d,%d,%d) = %d, want %d", c.off, c.sel, c.h, c.total, got, c.want)
		}
	}
}

// A Japanese title wider than its column widens it when the row has room,
// taking the space from the flexible columns; without room the columns
// keep their widths.
func TestWidthsMakeRoomForTitles(t *testing.T) {
	cols := []Column{{Title: "段階", Width: 2}, {Title: "タイトル", Width: 10, Flex: 1}}
	if ws := Widths(cols, 40); ws[0] != 4 || ws[1] != 35 {
		t.Fatalf("widths %v: the phase column should take its title's 4 cells", ws)
	}
	if ws := Widths(cols, 13); ws[0] != 2 || ws[1] != 10 {
		t.Fatalf("narrow widths %v: the columns should keep their widths", ws)
	}
	out := ansi.Strip(Render(cols, nil, -1, 0, 40, 1, Styles{}))
	if !strings.HasPrefix(out, "段階 タイトル") {
		t.Fatalf("header %q: a title is cut", out)
	}
}
