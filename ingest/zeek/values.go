package zeek

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseUint parses a non-negative decimal integer of at most 18 digits (so
// it cannot overflow; Zeek counts of that size do not occur).
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseSeconds parses Zeek's time and interval values: non-negative decimal
// seconds with an optional fraction ("1521911725.396014"), exactly to the
// nanosecond. JSON may also write an exponent ("1.5e9"), parsed as a float.
func parseSeconds(b []byte) (sec, nsec int64, ok bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || i > 12 {
		return floatSeconds(b)
	}
	sec, _ = parseUint(b[:i])
	if i == len(b) {
		return sec, 0, true
	}
	if b[i] != '.' {
		return floatSeconds(b)
	}
	i++
	start, scale := i, int64(100_000_000)
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		nsec += int64(b[i]-'0') * scale // digits past nanoseconds add 0
		scale /= 10
		i++
	}
	if i == start {
		return 0, 0, false
	}
	if i != len(b) {
		return floatSeconds(b)
	}
	return sec, nsec, true
}

func floatSeconds(b []byte) (sec, nsec int64, ok bool) {
	if !bytes.ContainsAny(b, "eE") {
		return 0, 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f > maxSeconds || math.IsNaN(f) {
		return 0, 0, false
	}
	s := math.Floor(f)
	return int64(s), int64(math.Round((f - s) * 1e9)), true
}

// parseAddr parses an IPv4 address without allocating, and anything else
// with netip.
func parseAddr(b []byte) (netip.Addr, bool) {
	if a, ok := parseIPv4(b); ok {
		return a, true
	}
	if bytes.IndexByte(b, ':') < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(b))
	return a, err == nil
}

// parseIPv4 accepts what netip.ParseAddr accepts for IPv4: four decimal
// octets without leading zeros.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var ip [4]byte
	octet := 0
	for i := 0; i < 4; i++ {
		if i > 0 {
			if octet >= len(b) || b[octet] != '.' {
				return netip.Addr{}, false
			}
			octet++
		}
		n, digits := 0, 0
		for octet < len(b) && b[octet] >= '0' && b[octet] <= '9' {
			if digits > 0 && n == 0 {
				return netip.Addr{}, false // leading zero
			}
			n = n*10 + int(b[octet]-'0')
			digits++
			octet++
			if n > 255 {
				return netip.Addr{}, false
			}
		}
		if digits == 0 {
			return netip.Addr{}, false
		}
		ip[i] = byte(n)
	}
	if octet != len(b) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}

// unescape decodes a TSV value: Zeek's ASCII writer escapes a backslash as
// "\\" and bytes that are unprintable or clash with a separator as "\xNN".
// Any other backslash is kept as it is. Invalid UTF-8 in the result is
// replaced by U+FFFD.
func unescape(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return validString(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case '\\':
				out = append(out, '\\')
				i++
				continue
			case 'x':
				if i+3 < len(b) {
					if h, ok := unhex(b[i+2], b[i+3]); ok {
						out = append(out, h)
						i += 3
						continue
					}
				}
			}
		}
		out = append(out, c)
	}
	return validString(out)
}

// unescapeHeader decodes the value of #separator and #set_separator: "\x09",
// or "\t" as some writers put it.
func unescapeHeader(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case 't':
				out = append(out, '\t')
				i++
				continue
			case '\\':
				out = append(out, '\\')
				i++
				continue
			case 'x':
				if i+3 < len(b) {
					if h, ok := unhex(b[i+2], b[i+3]); ok {
						out = append(out, h)
						i += 3
						continue
					}
				}
			}
		}
		out = append(out, b[i])
	}
	return out
}

func unhex(a, b byte) (byte, bool) {
	hi, ok1 := hexDigit(a)
	lo, ok2 := hexDigit(b)
	return hi<<4 | lo, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func validString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// interner hands out the same string for repeated values of a field with
// few distinct values (proto, conn_state, service, a sensor name), so that
// decoding them does not allocate on every line.
type interner struct {
	vals [8]string
	n    int // slots used
	next int // slot to replace when full
}

func (in *interner) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	for i := 0; i < in.n; i++ {
		if in.vals[i] == string(b) {
			return in.vals[i]
		}
	}
	s := string(b)
	if in.n < len(in.vals) {
		in.vals[in.n] = s
		in.n++
		return s
	}
	in.vals[in.next] = s
	in.next = (in.next + 1) % len(in.vals)
	return s
}

// get returns field f of r, interned when it needs no decoding.
func (in *interner) get(r *record, f field) string {
	if b, ok := r.raw(f); ok {
		return in.intern(b)
	}
	return r.str(f)
}
