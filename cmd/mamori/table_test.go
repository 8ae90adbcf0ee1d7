package main

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestGridFitsTheTerminalAndKeepsTextWhole(t *testing.T) {
	long := "beacon every 300 s ±4 % to cdn-update.duckdns.org port 443/tcp, 96 times over 8 h, from pc-006 (経理部)"
	g := func() *grid {
		t := newGrid("LAST SEEN", "SEVERITY", "RULE", "PH", "ENDPOINT", "COUNT", "SUMMARY").withDetail(6)
		t.row("12-07 06:29:34", "▲ high", "S-BEACON", "5", "pc-006 10.0.10.6", "96", long)
		t.row("12-07 06:29:35", "■ critical", "C-KILLCHAIN", "5", "pc-011 10.0.10.11", "3", "alerts walking\x1b[2J forward")
		return t
	}

	var b strings.Builder
	if err := g().write(&b, 80); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line of %d cells at 80 columns: %q", w, l)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(out), " "), long) {
		t.Errorf("the summary is not whole under its row at 80 columns:\n%s", out)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("an escape sequence from a log reached the output: %q", out)
	}

	b.Reset()
	if err := g().write(&b, 0); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[1], long) {
		t.Errorf("without a width, one whole line per row:\n%s", b.String())
	}

	b.Reset()
	narrow := newGrid("ID", "ENDPOINTS", "TITLE")
	narrow.row("INC-20261207-01", strings.Repeat("10.0.10.1,", 20), "title")
	if err := narrow.write(&b, 60); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if w := ansi.StringWidth(l); w > 60 {
			t.Errorf("line of %d cells at 60 columns: %q", w, l)
		}
	}
	if !strings.Contains(b.String(), "…") {
		t.Errorf("a cut cell is not marked:\n%s", b.String())
	}
}
