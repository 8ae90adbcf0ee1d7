package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"plain":             {"GET http://example.com/ 200", "GET http://example.com/ 200"},
		"japanese":          {"請求書_2026.pdf.exe", "請求書_2026.pdf.exe"},
		"tab":               {"a\tb", "a b"},
		"newline and cr":    {"a\r\nb", "ab"},
		"csi colour":        {"Mozilla\x1b[31mRED\x1b[0m", "MozillaRED"},
		"csi cursor move":   {"x\x1b[2J\x1b[H\x1b[10;20Hy", "xy"},
		"osc title bel":     {"ua\x1b]0;pwned\x07end", "uaend"},
		"osc title st":      {"ua\x1b]2;pwned\x1b\\end", "uaend"},
		"osc 52 clipboard":  {"\x1b]52;c;cm0gLXJmIC8=\x07ok", "ok"},
		"dcs":               {"\x1bPq#0;2;0;0;0\x1b\\ok", "ok"},
		"two-byte esc":      {"a\x1bcb\x1b7c", "abc"},
		"charset esc":       {"a\x1b(0b", "ab"},
		"8-bit csi":         {"a\u009b31mb", "ab"},
		"c1 control":        {"a\u0085b", "ab"},
		"del":               {"a\x7fb", "ab"},
		"bel and nul":       {"a\x07\x00b", "ab"},
		"rlo filename":      {"invoice\u202Efdp.exe", "invoice<U+202E>fdp.exe"},
		"invalid utf8":      {"a\xffb", "a\uFFFDb"},
		"lone esc at end":   {"abc\x1b", "abc"},
		"unterminated csi":  {"abc\x1b[12;", "abc"},
		"unterminated osc":  {"abc\x1b]0;title", "abc"},
		"line separator":    {"a\u2028b", "a b"},
		"backspace overtyp": {"safe\b\b\b\bevil", "safeevil"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Line(c.in); got != c.want {
				t.Fatalf("Line(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mx", "\x1b]0;t\x07", "\u202e", "\xff\xfe", "\u009b2J"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidi(r) {
				t.Fatalf("control %U left in %q (from %q)", r, out, s)
			}
		}
		if strings.ContainsRune(out, 0x1b) {
			t.Fatalf("ESC left in %q", out)
		}
	})
}
