package demo

import (
	"strconv"
	"unicode/utf8"
)

// Small appenders shared by the line formats. They write into a caller's
// buffer so that a line costs no allocation beyond its buffer's growth.

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// stamp caches the syslog form of the last second formatted.
type stamp struct {
	sec int64
	buf []byte
}

// append appends the RFC 3164 time of t in JST: "Mar  4 10:00:00".
func (s *stamp) append(b []byte, t int64) []byte {
	sec := floorDiv(t, second)
	if s.buf != nil && sec == s.sec {
		return append(b, s.buf...)
	}
	lt := toTime(t + jstOffset) // the JST wall clock, read as UTC
	s.sec = sec
	s.buf = s.buf[:0]
	s.buf = append(s.buf, months[lt.Month()-1]...)
	s.buf = append(s.buf, ' ')
	if lt.Day() < 10 {
		s.buf = append(s.buf, ' ')
	}
	s.buf = strconv.AppendInt(s.buf, int64(lt.Day()), 10)
	s.buf = append(s.buf, ' ')
	s.buf = append2(s.buf, lt.Hour())
	s.buf = append(s.buf, ':')
	s.buf = append2(s.buf, lt.Minute())
	s.buf = append(s.buf, ':')
	s.buf = append2(s.buf, lt.Second())
	return append(b, s.buf...)
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}

// appendFrac appends v (non-negative) zero-padded to width digits.
func appendFrac(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for n := 0; n < width; n++ {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[i:]...)
}

// appendPadded appends v right-aligned in a field of width characters.
func appendPadded(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for n := len(s); n < width; n++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

// appendEpoch appends t as seconds since the epoch with digits decimals
// (3 for Squid, 6 for Zeek).
func appendEpoch(b []byte, t int64, digits int) []byte {
	sec := floorDiv(t, second)
	frac := t - sec*second
	b = strconv.AppendInt(b, sec, 10)
	b = append(b, '.')
	div := int64(1)
	for i := digits; i < 9; i++ {
		div *= 10
	}
	return appendFrac(b, frac/div, digits)
}

// appendSeconds appends a duration in seconds with six decimals, the way
// Zeek writes intervals.
func appendSeconds(b []byte, d int64) []byte {
	if d < 0 {
		d = 0
	}
	b = strconv.AppendInt(b, d/second, 10)
	b = append(b, '.')
	return appendFrac(b, (d%second)/us, 6)
}

// appendZeekString appends s escaped as Zeek's ASCII writer does with its
// default options: backslash doubled, the separators and non-printable
// bytes as \xNN, valid UTF-8 passed through.
func appendZeekString(b []byte, s string, inSet bool) []byte {
	if s == "" {
		return append(b, "(empty)"...)
	}
	if s == "-" {
		return append(b, `\x2d`...)
	}
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && c != '\\' && (!inSet || c != ',')
	}
	if plain {
		return append(b, s...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = appendHexEscape(b, c)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\t' || c < 0x20 || c == 0x7f || (inSet && c == ','):
			b = appendHexEscape(b, c)
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}

const hexDigits = "0123456789abcdef"

func appendHexEscape(b []byte, c byte) []byte {
	return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 'T')
	}
	return append(b, 'F')
}

func appendHex(b []byte, v []byte) []byte {
	for _, c := range v {
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// appendCount appends v, or Zeek's unset mark when v is negative.
func appendCount(b []byte, v int64) []byte {
	if v < 0 {
		return append(b, '-')
	}
	return strconv.AppendInt(b, v, 10)
}
