// Package search is the console's "/" language: words that rank rows
// (an exact name first, then a whole word, then any part, and fuzzy only
// when nothing else matches), field:value terms for precision (each pane
// says which fields it knows) and "!" to invert a term, as k9s does.
//
// A filter is a list of terms, all of which a row must pass:
//
//	pc-006            rows naming pc-006 first, then those that mention it
//	ep:10.0.10.0/24   a field term: the pane decides what ep: means
//	sev>=high         operators :, =, >=, >, <=, <
//	!beacon           rows that do not mention beacon
//	"lateral move"    quotes keep spaces in a term
package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Term is one term of a filter.
type Term struct {
	// Not inverts the term ("!" before it).
	Not bool
	// Field is the field's name, lower case ("" for a word to rank).
	Field string
	// Op is the operator between field and value: ":", "=", ">=", ">",
	// "<=" or "<".
	Op string
	// Value is what is looked for.
	Value string
}

// String writes the term as it is typed.
func (t Term) String() string {
	s := t.Value
	if t.Field != "" {
		s = t.Field + t.Op + t.Value
	}
	if t.Not {
		s = "!" + s
	}
	return s
}

// Query is a parsed filter.
type Query struct{ Terms []Term }

// Empty reports whether the filter has no term.
func (q Query) Empty() bool { return len(q.Terms) == 0 }

// Words returns the terms to rank rows by (no field).
func (q Query) Words() []Term {
	var out []Term
	for _, t := range q.Terms {
		if t.Field == "" {
			out = append(out, t)
		}
	}
	return out
}

// operators in the order they are looked for (">=" before ">").
var operators = []string{">=", "<=", ":", "=", ">", "<"}

// Parse reads a filter. A term "name:value" (or name>=value...) is a
// field term only when name is one of fields (lower case); otherwise, as
// in an IPv6 address or "host:port", it is a word. A term with an empty
// value (still being typed) is left out.
func Parse(s string, fields ...string) Query {
	var q Query
	for _, tok := range split(s) {
		t := Term{}
		if strings.HasPrefix(tok, "!") {
			t.Not, tok = true, tok[1:]
		}
		for _, op := range operators {
			i := strings.Index(tok, op)
			if i <= 0 {
				continue
			}
			name := strings.ToLower(tok[:i])
			if !known(name, fields) {
				continue
			}
			t.Field, t.Op, tok = name, op, tok[i+len(op):]
			break
		}
		t.Value = strings.TrimSpace(tok)
		if t.Value != "" {
			q.Terms = append(q.Terms, t)
		}
	}
	return q
}

func known(name string, fields []string) bool {
	for _, f := range fields {
		if f == name {
			return true
		}
	}
	return false
}

// split cuts s at spaces, keeping what is in double quotes together (the
// quotes go; a "!" before them stays).
func split(s string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case unicode.IsSpace(r) && !quoted:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// Field is one searchable text of a row. A key field is a name (a host,
// an address, a rule id, a peer): a word that is all of it, or a whole
// part of it, ranks above a mention in free text.
type Field struct {
	Text string
	Key  bool
}

// Tier is how well a word matches a row; lower is better.
type Tier int

// The tiers, best first.
const (
	// Exact: a key field is the word (case aside).
	Exact Tier = iota
	// Word: the word is a whole part of a key field: "beacon" in
	// S-BEACON, "10.0.10" in 10.0.10.6, "duckdns.org" in
	// cdn.duckdns.org.
	Word
	// Mention: the word stands whole in free text ("to pc-006 at").
	Mention
	// Part: the word is part of some text ("pc-00" in pc-006).
	Part
	// Fuzzy: the word's letters appear in order within one field.
	Fuzzy
	// None: no match.
	None
)

// Cut is the worst tier a word keeps given the best any row reached:
// exact names, whole words and mentions are shown together (ranked);
// parts only when there is none of those, fuzzy matches only when there
// is nothing else.
func Cut(best Tier) Tier {
	if best <= Mention {
		return Mention
	}
	return best
}

// Rank is the best tier word reaches in fields without fuzzy matching
// (FuzzySpan ranks that).
func Rank(word string, fields []Field) Tier {
	best := None
	for _, f := range fields {
		i := indexFold(f.Text, word)
		if i < 0 {
			continue
		}
		t := Part
		switch {
		case f.Key && len(f.Text) == len(word) && i == 0:
			return Exact
		case whole(f.Text, word, i):
			t = Mention
			if f.Key {
				t = Word
			}
		}
		best = min(best, t)
	}
	return best
}

// FuzzySpan reports whether word's letters appear in order within one of
// fields, and how closely: the fewest runes spanned (lower is better).
func FuzzySpan(word string, fields []Field) (span int, ok bool) {
	span = -1
	for _, f := range fields {
		if pos := subsequence(f.Text, word); pos != nil {
			if s := pos[len(pos)-1] - pos[0]; span < 0 || s < span {
				span = s
			}
		}
	}
	return span, span >= 0
}

// Highlight returns the runes of text to highlight for word at tier: the
// occurrences of word, or for Fuzzy the letters matched in order.
func Highlight(text, word string, tier Tier) []int {
	if tier == Fuzzy {
		return subsequence(text, word)
	}
	var out []int
	for from := 0; from < len(text); {
		i := indexFold(text[from:], word)
		if i < 0 {
			break
		}
		i += from
		start := utf8.RuneCountInString(text[:i])
		n := utf8.RuneCountInString(word)
		for k := range n {
			out = append(out, start+k)
		}
		from = i + max(1, len(word))
	}
	return out
}

// Contains reports whether word is part of text, case aside.
func Contains(text, word string) bool { return indexFold(text, word) >= 0 }

// whole reports whether the occurrence of word at byte i of s stands
// whole: no letter or digit just before or after it.
func whole(s, word string, i int) bool {
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		if isWordRune(r) {
			return false
		}
	}
	if j := i + len(word); j < len(s) {
		r, _ := utf8.DecodeRuneInString(s[j:])
		if isWordRune(r) {
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// indexFold is strings.Index case aside, without allocating for ASCII.
func indexFold(s, sub string) int {
	if sub == "" {
		return 0
	}
	if !ascii(s) || !ascii(sub) {
		ls, lsub := strings.ToLower(s), strings.ToLower(sub)
		if len(ls) != len(s) { // a rune whose case changes its length
			return -1
		}
		return strings.Index(ls, lsub)
	}
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if lower(s[i]) != lower(sub[0]) {
			continue
		}
		j := 1
		for j < n && lower(s[i+j]) == lower(sub[j]) {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// subsequence returns the rune positions in s of word's runes in order
// (case aside), each as late as the next allows, so that the span is
// short; nil when they are not all there.
func subsequence(s, word string) []int {
	w := []rune(strings.ToLower(word))
	if len(w) == 0 {
		return nil
	}
	r := []rune(strings.ToLower(s))
	// Find the end of the first full match, then walk back for the
	// latest start: the shortest window ending there.
	k, end := 0, -1
	for i, c := range r {
		if c == w[k] {
			k++
			if k == len(w) {
				end = i
				break
			}
		}
	}
	if end < 0 {
		return nil
	}
	pos := make([]int, len(w))
	k = len(w) - 1
	for i := end; i >= 0 && k >= 0; i-- {
		if r[i] == w[k] {
			pos[k] = i
			k--
		}
	}
	return pos
}
