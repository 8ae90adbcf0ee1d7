package alerts

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/search"
	"github.com/mamori-soc/mamori/tui/style"
)

// The "/" filter of the alerts pane (package search is its language):
//
//	pc-006              alerts of pc-006 first, then those that mention it
//	ep:pc-006           only pc-006's (ep: takes a host name, an address,
//	                    a CIDR or a glob: ep:10.0.10.0/24, ep:pc-0*)
//	rule:S-BEACON       rule:C-* for every composite
//	peer:duckdns.org    the peer or a domain under it; a CIDR; a glob
//	sev>=high           also sev:critical, sev<medium
//	phase>=5            the attack phase, 1–6
//	!S-ERRORS           invert any term

// filterFields are the field names the pane knows, aliases included.
var filterFields = []string{"ep", "endpoint", "host", "rule", "peer", "dst", "sev", "severity", "phase", "ph"}

// filter is a compiled "/" filter.
type filter struct {
	words  []search.Term // ranked words (their Not set: to leave out)
	fields []fieldTest
	err    string // the terms that could not be read, for the status line
}

// fieldTest is a field term as a test of an alert: match returns the
// searched fields (fRule...) it matched, to highlight, or matched (no
// field to highlight); nil when it does not match.
type fieldTest struct {
	not   bool
	match func(*alert.Alert) []int
}

// matched is what a field test that matches without a column returns.
var matched = []int{}

// compileFilter reads the "/" text; what cannot be read is said in lang.
func compileFilter(s string, lang i18n.Lang) filter {
	var f filter
	var bad []string
	for _, t := range search.Parse(s, filterFields...).Terms {
		if t.Field == "" {
			f.words = append(f.words, t)
			continue
		}
		ft, err := fieldTerm(t, lang)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		ft.not = t.Not
		f.fields = append(f.fields, ft)
	}
	f.err = strings.Join(bad, "; ")
	return f
}

func fieldTerm(t search.Term, lang i18n.Lang) (fieldTest, error) {
	v := t.Value
	eq := t.Op == ":" || t.Op == "="
	switch t.Field {
	case "ep", "endpoint", "host":
		if !eq {
			break
		}
		return fieldTest{match: func(a *alert.Alert) []int {
			var out []int
			if nameMatches(v, a.Endpoint) {
				out = append(out, fEndpoint)
			}
			if nameMatches(v, a.Host) {
				out = append(out, fHost)
			}
			return out
		}}, nil
	case "rule":
		if !eq {
			break
		}
		return fieldTest{match: func(a *alert.Alert) []int { return when(glob(v, a.Rule), fRule) }}, nil
	case "peer", "dst":
		if !eq {
			break
		}
		return fieldTest{match: func(a *alert.Alert) []int {
			return when(nameMatches(v, a.Peer) || (!strings.Contains(v, "*") && detect.DomainMatches("*."+v, a.Peer)), fPeer)
		}}, nil
	case "sev", "severity":
		s, ok := parseSeverity(v)
		if !ok {
			return fieldTest{}, fmt.Errorf(lang.T("filter bad severity"), t)
		}
		return fieldTest{match: func(a *alert.Alert) []int { return when(compare(int(a.Severity), t.Op, int(s))) }}, nil
	case "phase", "ph":
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 6 {
			return fieldTest{}, fmt.Errorf(lang.T("filter bad phase"), t)
		}
		return fieldTest{match: func(a *alert.Alert) []int { return when(compare(a.Phase, t.Op, p)) }}, nil
	}
	return fieldTest{}, fmt.Errorf(lang.T("filter bad op"), t, t.Field)
}

// when is fields when ok (matched when there are none), else nil.
func when(ok bool, fields ...int) []int {
	switch {
	case !ok:
		return nil
	case len(fields) == 0:
		return matched
	}
	return fields
}

// compare applies an operator; ":" is "=".
func compare(a int, op string, b int) bool {
	switch op {
	case ">=":
		return a >= b
	case ">":
		return a > b
	case "<=":
		return a <= b
	case "<":
		return a < b
	}
	return a == b
}

// parseSeverity reads a severity in English (or its first letters:
// crit, med) or Japanese.
func parseSeverity(s string) (alert.Severity, bool) {
	for sev := alert.Info; sev <= alert.Critical; sev++ {
		name := sev.String()
		if strings.EqualFold(s, name) || (len(s) >= 2 && strings.HasPrefix(name, strings.ToLower(s))) ||
			s == style.SevName(sev, i18n.JA) || s == style.SevShort(sev, i18n.JA) {
			return sev, true
		}
	}
	return 0, false
}

// nameMatches matches a value typed for a name field: a CIDR or an
// address against an address, a glob (pc-0*), or the name itself, case
// aside.
func nameMatches(pattern, value string) bool {
	if value == "" {
		return false
	}
	if p, err := netip.ParsePrefix(pattern); err == nil {
		a, err := netip.ParseAddr(value)
		return err == nil && p.Contains(a.Unmap())
	}
	if pa, err := netip.ParseAddr(pattern); err == nil {
		a, err := netip.ParseAddr(value)
		return err == nil && a.Unmap() == pa.Unmap()
	}
	return glob(pattern, value)
}

// glob matches a pattern where * stands for any run of characters, case
// aside; without * it is equality.
func glob(pattern, s string) bool {
	p, s := strings.ToLower(pattern), strings.ToLower(s)
	parts := strings.Split(p, "*")
	if len(parts) == 1 {
		return p == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// The searched fields of an alert, in this order.
const (
	fRule = iota
	fEndpoint
	fHost
	fTitle
	fPeer
	fSummary
	fSummaryJA
	nFields
)

// fields are what the words are looked for in: the names (rule,
// endpoint, host, peer) rank above the free text; the title is the one
// the table shows.
func (m Model) fields(a *alert.Alert) []search.Field {
	return []search.Field{
		fRule:      {Text: a.Rule, Key: true},
		fEndpoint:  {Text: a.Endpoint, Key: true},
		fHost:      {Text: a.Host, Key: true},
		fTitle:     {Text: m.title(a)},
		fPeer:      {Text: a.Peer, Key: true},
		fSummary:   {Text: a.Summary},
		fSummaryJA: {Text: a.Details["summary_ja"]},
	}
}

// filterRows keeps the rows that pass every term of f and orders them by
// how well they match the words (then in the order given): the best tier
// each word reaches decides how loose its matches may be (search.Cut).
// fuzzy reports whether a word had to match fuzzily.
func (m Model) filterRows(rows []*alert.Alert, f filter) (out []*alert.Alert, fuzzy bool) {
	for _, r := range rows {
		ok := true
		for _, ft := range f.fields {
			if (ft.match(r) != nil) == ft.not {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	if len(f.words) == 0 || len(out) == 0 {
		return out, false
	}
	fields := make([][]search.Field, len(out))
	for i, r := range out {
		fields[i] = m.fields(r)
	}
	rank := make([]search.Tier, len(out))
	span := make([]int, len(out))
	keep := make([]bool, len(out))
	for i := range keep {
		keep[i] = true
	}
	for _, w := range f.words {
		tiers := make([]search.Tier, len(out))
		best := search.None
		for i := range out {
			if !keep[i] {
				continue
			}
			tiers[i] = search.Rank(w.Value, fields[i])
			best = min(best, tiers[i])
		}
		if w.Not {
			for i := range out {
				keep[i] = keep[i] && tiers[i] > search.Part
			}
			continue
		}
		if best == search.None { // nothing but fuzzy matches, if any
			for i := range out {
				if !keep[i] {
					continue
				}
				if s, ok := search.FuzzySpan(w.Value, fields[i]); ok {
					tiers[i], span[i] = search.Fuzzy, span[i]+s
					fuzzy = true
				}
			}
			best = search.Fuzzy
		}
		cut := search.Cut(best)
		for i := range out {
			keep[i] = keep[i] && tiers[i] <= cut
			rank[i] = max(rank[i], tiers[i])
		}
	}
	idx := make([]int, 0, len(out))
	for i := range out {
		if keep[i] {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(x, y int) bool {
		i, j := idx[x], idx[y]
		if rank[i] != rank[j] {
			return rank[i] < rank[j]
		}
		return span[i] < span[j]
	})
	kept := make([]*alert.Alert, len(idx))
	for k, i := range idx {
		kept[k] = out[i]
	}
	return kept, fuzzy
}

// highlights returns, per searched field, the runes to highlight in row
// a: where the words match (as well as they do), and the whole cell a
// field term matched.
func (m Model) highlights(a *alert.Alert) [nFields][]int {
	var out [nFields][]int
	f := m.compiled
	fields := m.fields(a)
	for _, w := range f.words {
		if w.Not {
			continue
		}
		tier := search.Rank(w.Value, fields)
		if tier == search.None {
			tier = search.Fuzzy
		}
		for i, fl := range fields {
			if tier == search.Fuzzy {
				// Only the field the letters were found in.
				if _, ok := search.FuzzySpan(w.Value, []search.Field{fl}); !ok {
					continue
				}
			}
			out[i] = append(out[i], search.Highlight(fl.Text, w.Value, tier)...)
		}
	}
	for _, ft := range f.fields {
		if ft.not {
			continue
		}
		for _, i := range ft.match(a) {
			out[i] = all(fields[i].Text)
		}
	}
	return out
}

// all is every rune position of s.
func all(s string) []int {
	out := make([]int, len([]rune(s)))
	for i := range out {
		out[i] = i
	}
	return out
}
