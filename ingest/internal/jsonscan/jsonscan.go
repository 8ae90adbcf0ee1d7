// Package jsonscan walks one-line JSON records — Zeek JSON logs, Suricata
// eve.json — without reflection and without allocating.
//
// A record is read member by member with an Iter; each member's Value keeps
// the raw text of the value (a slice of the line) and converts it only when
// asked: Text for strings, Int and Float for numbers, Members and Elements
// to descend into objects and arrays. Iterating validates the syntax of
// everything it passes over, nested values included, so a line whose
// members were all read without error is well-formed JSON.
//
// Strings are decoded leniently where JSON allows no choice: invalid UTF-8
// inside a string, and unpaired UTF-16 surrogates in \u escapes, become
// U+FFFD rather than errors, because log content is attacker-controlled and
// a single odd byte in a URL must not make the whole record disappear.
package jsonscan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is how deeply objects and arrays may nest. Log records nest two or
// three levels; anything deeper is hostile or not a log record.
const MaxDepth = 32

// Kind is the JSON type of a value.
type Kind uint8

// The kinds of JSON values.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"invalid", "null", "bool", "number", "string", "array", "object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// SyntaxError is malformed JSON at a byte offset of the record.
type SyntaxError struct {
	Offset int
	Msg    string
	eof    bool
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}

// Unwrap makes a record that ends too early match io.ErrUnexpectedEOF, so
// callers can tell a truncated line from a garbled one.
func (e *SyntaxError) Unwrap() error {
	if e.eof {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// IsTruncated reports whether err says the record ended in the middle of a
// value.
func IsTruncated(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }

func syntaxErr(off int, msg string) error { return &SyntaxError{Offset: off, Msg: msg} }
func eofErr(off int) error {
	return &SyntaxError{Offset: off, Msg: "unexpected end of record", eof: true}
}

// Value is one JSON value inside a record. Its bytes alias the record.
type Value struct {
	Kind Kind
	raw  []byte // strings: the bytes between the quotes, still escaped; others: the text
	esc  bool   // a string containing backslash escapes
}

// Raw returns the value's text as written: for a string, the bytes between
// the quotes with escapes still in place.
func (v Value) Raw() []byte { return v.raw }

// Text returns a string value decoded, or "" for any other kind.
func (v Value) Text() string {
	if v.Kind != String {
		return ""
	}
	if !v.esc && utf8.Valid(v.raw) {
		return string(v.raw)
	}
	return string(v.AppendText(nil))
}

// AppendText appends the decoded string to dst.
func (v Value) AppendText(dst []byte) []byte {
	if v.Kind != String {
		return dst
	}
	if !v.esc {
		return appendValidUTF8(dst, v.raw)
	}
	return appendUnescaped(dst, v.raw)
}

// Bytes returns the decoded string without copying when it has no escapes
// and is valid UTF-8 (the common case); the result then aliases the record.
// Otherwise it decodes into a new slice.
func (v Value) Bytes() []byte {
	if v.Kind != String {
		return nil
	}
	if !v.esc && utf8.Valid(v.raw) {
		return v.raw
	}
	return v.AppendText(nil)
}

// Equal reports whether v is a string whose decoded text is s.
func (v Value) Equal(s string) bool {
	if v.Kind != String {
		return false
	}
	if !v.esc {
		return string(v.raw) == s
	}
	return string(v.AppendText(nil)) == s
}

// Bool returns a boolean value.
func (v Value) Bool() (b, ok bool) {
	if v.Kind != Bool {
		return false, false
	}
	return v.raw[0] == 't', true
}

// Int returns an integral number that fits in an int64.
func (v Value) Int() (int64, bool) {
	if v.Kind != Number {
		return 0, false
	}
	neg := v.raw[0] == '-'
	digits := v.raw
	if neg {
		digits = digits[1:]
	}
	var n uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false // a fraction or an exponent
		}
		if n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true //nolint:gosec // range checked above
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

// Float returns a number as a float64.
func (v Value) Float() (float64, bool) {
	if v.Kind != Number {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v.raw), 64)
	return f, err == nil
}

// Members returns an iterator over an object's members; on any other kind it
// yields nothing.
func (v Value) Members() Iter {
	if v.Kind != Object {
		return Iter{done: true}
	}
	return Iter{data: v.raw, pos: 1, first: true}
}

// Elements returns an iterator over an array's elements (Key is nil); on any
// other kind it yields nothing.
func (v Value) Elements() Iter {
	if v.Kind != Array {
		return Iter{done: true}
	}
	return Iter{data: v.raw, pos: 1, first: true, array: true}
}

// Iter walks the members of an object or the elements of an array:
//
//	it := jsonscan.Record(line)
//	for it.Next() {
//		switch string(it.Key()) { ... it.Value() ... }
//	}
//	if err := it.Err(); err != nil { ... }
type Iter struct {
	data  []byte
	pos   int
	first bool
	array bool
	top   bool // a whole record: nothing but white space may follow it
	done  bool
	err   error
	key   []byte
	val   Value
}

// Record returns an iterator over the members of the object that makes up
// record (white space around it is allowed).
func Record(record []byte) Iter {
	pos := skipSpace(record, 0)
	if pos >= len(record) {
		return Iter{done: true, err: eofErr(pos)}
	}
	if record[pos] != '{' {
		return Iter{done: true, err: syntaxErr(pos, "record is not a JSON object")}
	}
	return Iter{data: record, pos: pos + 1, first: true, top: true}
}

// Next advances to the next member and reports whether there is one.
func (it *Iter) Next() bool {
	if it.done {
		return false
	}
	closer := byte('}')
	if it.array {
		closer = ']'
	}
	d := it.data
	p := skipSpace(d, it.pos)
	if p >= len(d) {
		return it.fail(eofErr(p))
	}
	if d[p] == closer && it.first {
		return it.finish(p + 1)
	}
	if !it.first {
		switch d[p] {
		case closer:
			return it.finish(p + 1)
		case ',':
			p = skipSpace(d, p+1)
		default:
			return it.fail(syntaxErr(p, "expected ',' or '"+string(closer)+"'"))
		}
	}
	it.first = false
	it.key = nil
	if !it.array {
		if p >= len(d) {
			return it.fail(eofErr(p))
		}
		if d[p] != '"' {
			return it.fail(syntaxErr(p, "expected a member name"))
		}
		end, esc, err := scanString(d, p)
		if err != nil {
			return it.fail(err)
		}
		it.key = d[p+1 : end-1]
		if esc {
			it.key = appendUnescaped(nil, it.key)
		}
		p = skipSpace(d, end)
		if p >= len(d) {
			return it.fail(eofErr(p))
		}
		if d[p] != ':' {
			return it.fail(syntaxErr(p, "expected ':'"))
		}
		p = skipSpace(d, p+1)
	}
	v, end, err := scanValue(d, p, 1)
	if err != nil {
		return it.fail(err)
	}
	it.val = v
	it.pos = end
	return true
}

// Key returns the current member's name, decoded; nil for array elements.
func (it *Iter) Key() []byte { return it.key }

// Value returns the current member's value.
func (it *Iter) Value() Value { return it.val }

// Err returns the syntax error that stopped the iteration, if any.
func (it *Iter) Err() error { return it.err }

func (it *Iter) fail(err error) bool {
	it.err, it.done = err, true
	return false
}

func (it *Iter) finish(p int) bool {
	it.done = true
	if it.top {
		if q := skipSpace(it.data, p); q < len(it.data) {
			it.err = syntaxErr(q, "data after the record")
		}
	}
	return false
}

func skipSpace(d []byte, p int) int {
	for p < len(d) {
		switch d[p] {
		case ' ', '\t', '\n', '\r':
			p++
		default:
			return p
		}
	}
	return p
}

// scanValue reads the value starting at p and returns it and the offset just
// past it.
func scanValue(d []byte, p, depth int) (Value, int, error) {
	if p >= len(d) {
		return Value{}, p, eofErr(p)
	}
	switch c := d[p]; {
	case c == '"':
		end, esc, err := scanString(d, p)
		if err != nil {
			return Value{}, p, err
		}
		return Value{Kind: String, raw: d[p+1 : end-1], esc: esc}, end, nil
	case c == '{' || c == '[':
		end, err := skipComposite(d, p, depth)
		if err != nil {
			return Value{}, p, err
		}
		k := Object
		if c == '[' {
			k = Array
		}
		return Value{Kind: k, raw: d[p:end]}, end, nil
	case c == 't':
		return literal(d, p, "true", Bool)
	case c == 'f':
		return literal(d, p, "false", Bool)
	case c == 'n':
		return literal(d, p, "null", Null)
	case c == '-' || (c >= '0' && c <= '9'):
		end, err := scanNumber(d, p)
		if err != nil {
			return Value{}, p, err
		}
		return Value{Kind: Number, raw: d[p:end]}, end, nil
	}
	return Value{}, p, syntaxErr(p, "unexpected character "+strconv.QuoteRune(rune(d[p])))
}

func literal(d []byte, p int, word string, k Kind) (Value, int, error) {
	end := p + len(word)
	if end > len(d) {
		if bytes.HasPrefix([]byte(word), d[p:]) {
			return Value{}, p, eofErr(len(d))
		}
		return Value{}, p, syntaxErr(p, "invalid literal")
	}
	if string(d[p:end]) != word {
		return Value{}, p, syntaxErr(p, "invalid literal")
	}
	return Value{Kind: k, raw: d[p:end]}, end, nil
}

// scanString checks the string whose opening quote is at p and returns the
// offset past its closing quote and whether it holds escapes.
func scanString(d []byte, p int) (end int, esc bool, err error) {
	i := p + 1
	for {
		// Fast path over plain bytes.
		for i < len(d) && d[i] != '"' && d[i] != '\\' && d[i] >= 0x20 {
			i++
		}
		if i >= len(d) {
			return 0, false, eofErr(i)
		}
		switch d[i] {
		case '"':
			return i + 1, esc, nil
		case '\\':
			esc = true
			if i+1 >= len(d) {
				return 0, false, eofErr(i + 1)
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return 0, false, eofErr(len(d))
				}
				if _, ok := hex4(d[i+2 : i+6]); !ok {
					return 0, false, syntaxErr(i, "invalid \\u escape")
				}
				i += 6
			default:
				return 0, false, syntaxErr(i, "invalid escape")
			}
		default:
			return 0, false, syntaxErr(i, "control character in string")
		}
	}
}

func scanNumber(d []byte, p int) (int, error) {
	i := p
	if d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i >= len(d) {
		return 0, eofErr(i)
	}
	if d[i] == '0' {
		i++
	} else if digits() == 0 {
		return 0, syntaxErr(i, "invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			if i >= len(d) {
				return 0, eofErr(i)
			}
			return 0, syntaxErr(i, "invalid number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			if i >= len(d) {
				return 0, eofErr(i)
			}
			return 0, syntaxErr(i, "invalid number")
		}
	}
	return i, nil
}

// skipComposite checks the object or array opening at p and returns the
// offset past its end.
func skipComposite(d []byte, p, depth int) (int, error) {
	if depth > MaxDepth {
		return 0, syntaxErr(p, "nested too deeply")
	}
	array := d[p] == '['
	closer := byte('}')
	if array {
		closer = ']'
	}
	i := skipSpace(d, p+1)
	if i < len(d) && d[i] == closer {
		return i + 1, nil
	}
	for {
		if i >= len(d) {
			return 0, eofErr(i)
		}
		if !array {
			if d[i] != '"' {
				return 0, syntaxErr(i, "expected a member name")
			}
			end, _, err := scanString(d, i)
			if err != nil {
				return 0, err
			}
			i = skipSpace(d, end)
			if i >= len(d) {
				return 0, eofErr(i)
			}
			if d[i] != ':' {
				return 0, syntaxErr(i, "expected ':'")
			}
			i = skipSpace(d, i+1)
		}
		_, end, err := scanValue(d, i, depth+1)
		if err != nil {
			return 0, err
		}
		i = skipSpace(d, end)
		if i >= len(d) {
			return 0, eofErr(i)
		}
		switch d[i] {
		case closer:
			return i + 1, nil
		case ',':
			i = skipSpace(d, i+1)
		default:
			return 0, syntaxErr(i, "expected ',' or '"+string(closer)+"'")
		}
	}
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped decodes the escapes of a string scanString accepted.
func appendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			j := i + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			dst = appendValidUTF8(dst, s[i:j])
			i = j
			continue
		}
		if i+1 >= len(s) { // cannot happen after scanString; stay safe
			return dst
		}
		c := s[i+1]
		i += 2
		switch c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if i+4 > len(s) {
				return dst
			}
			r, _ := hex4(s[i : i+4])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if lo, ok := hex4(s[i+2 : i+6]); ok {
						if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
							r2 = dec
							i += 6
						}
					}
				}
				r = r2
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
	}
	return dst
}

// appendValidUTF8 appends b with each run of invalid UTF-8 replaced by one
// U+FFFD, like strings.ToValidUTF8.
func appendValidUTF8(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	invalid := false
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			if !invalid {
				dst = append(dst, "\uFFFD"...)
				invalid = true
			}
		} else {
			dst = append(dst, b[:n]...)
			invalid = false
		}
		b = b[n:]
	}
	return dst
}
