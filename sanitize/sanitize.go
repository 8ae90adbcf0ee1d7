// Package sanitize makes attacker-controlled text safe to show on a
// terminal. Log content is written by whoever sent the traffic: a user
// agent, a URL or a user name can carry escape sequences that would move the
// cursor, rewrite the window title, or hide text. Everything from a log goes
// through Line before it reaches the screen.
package sanitize

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Line returns s with every control character and escape sequence removed
// and nothing else changed: tabs become a space; ESC-introduced sequences
// (CSI, OSC, DCS, ...) are dropped whole; C1 controls and DEL are dropped;
// invalid UTF-8 becomes U+FFFD; Unicode bidirectional controls (the
// right-to-left override used to disguise "exe.pdf" file names) are shown
// as a visible <U+202E> tag instead of reordering the text.
func Line(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\t':
				b.WriteByte(' ')
				i++
			case c == 0x1b:
				i = skipEscape(s, i)
			case c < 0x20 || c == 0x7f:
				i++
			default:
				b.WriteByte(c)
				i++
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(utf8.RuneError)
		case r >= 0x80 && r <= 0x9f: // C1 controls, including the 8-bit CSI
			if r == 0x9b || r == 0x9d || r == 0x90 {
				i = skipC1(s, i+n)
				continue
			}
		case isBidi(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		case r == 0x2028 || r == 0x2029: // line and paragraph separators
			b.WriteByte(' ')
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII only, the common case.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func isBidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// skipEscape returns the index after the escape sequence starting at s[i].
func skipEscape(s string, i int) int {
	i++ // ESC
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[': // CSI: parameters and intermediates, then a final byte 0x40-0x7e
		for i++; i < len(s); i++ {
			if c := s[i]; c >= 0x40 && c <= 0x7e {
				return i + 1
			}
		}
		return i
	case ']', 'P', '_', '^', 'X': // OSC, DCS, APC, PM, SOS: until BEL or ST
		return skipString(s, i+1)
	default: // two-byte sequences (ESC c, ESC 7, ESC ( B ...)
		if s[i] >= 0x20 && s[i] <= 0x2f && i+1 < len(s) { // intermediate then final
			return i + 2
		}
		return i + 1
	}
}

// skipString skips a control string's body up to and including BEL, ESC \
// or the 8-bit ST.
func skipString(s string, i int) int {
	for ; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case s[i] == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c:
			return i + 2
		}
	}
	return i
}

// skipC1 skips the body of an 8-bit CSI/OSC/DCS introduced by a C1 control.
func skipC1(s string, i int) int {
	for j := i; j < len(s); j++ {
		if c := s[j]; c >= 0x40 && c <= 0x7e {
			return j + 1
		}
		if s[j] == 0x07 {
			return j + 1
		}
	}
	return len(s)
}
