package eval

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mamori-soc/mamori/alert"
)

// Class is what an alert is to the scorecard.
type Class string

// The classes of alerts.
const (
	// True alerts are about a truth.
	True Class = "true"
	// OnBenign alerts are about documented benign behaviour: always false
	// positives.
	OnBenign Class = "benign"
	// Unexplained alerts match nothing documented: false positives at
	// medium or above, tolerated below.
	Unexplained Class = "unexplained"
)

// Verdict classifies one alert.
type Verdict struct {
	Class  Class
	Truths []string // ids of the truths it matches (Class True)
	Benign string   // the benign behaviour it is about (Class OnBenign)
}

// FalsePositive reports whether the verdict counts against the score: an
// alert about benign behaviour at any severity, or an unexplained alert at
// medium or above.
func (v Verdict) FalsePositive(sev alert.Severity) bool {
	return v.Class == OnBenign || v.Class == Unexplained && sev >= alert.Medium
}

// Classify says what a is for the set. Benign behaviour is checked first:
// an alert about a documented benign destination is false whatever else
// it might match.
func (s *Set) Classify(a *alert.Alert) Verdict {
	for _, b := range s.Benign {
		if b.Matches(a) {
			return Verdict{Class: OnBenign, Benign: b.What}
		}
	}
	var ids []string
	for i := range s.Truths {
		if s.Truths[i].Matches(a) {
			ids = append(ids, s.Truths[i].ID)
		}
	}
	if len(ids) > 0 {
		return Verdict{Class: True, Truths: ids}
	}
	return Verdict{Class: Unexplained}
}

// Matches reports whether a finds the truth:
//   - its rule is one the truth accepts, or it is composite (C-*);
//   - it mentions one of About, when set (composite alerts need not);
//   - its first-to-last-seen period overlaps From–To, when set;
//   - its endpoint (or host name) or its peer is one of the truth's hosts
//     (Endpoints and Peers together: which side an alert calls its
//     endpoint depends on which one is internal). When the truth names
//     both sides, both the alert's endpoint and its peer must be the
//     truth's, so that an alert about the victim's other traffic does not
//     count; an alert that names no peer must then mention one of the
//     truth's peers in its summary or key. Composite alerts need only
//     their endpoint to be one of the truth's hosts.
func (t *Truth) Matches(a *alert.Alert) bool {
	composite := strings.HasPrefix(a.Rule, "C-")
	if !composite && !slices.ContainsFunc(t.Rules, func(r string) bool { return ruleMatches(r, a.Rule) }) {
		return false
	}
	if len(t.About) > 0 && !composite && !mentions(a, t.About) {
		return false
	}
	if !t.From.IsZero() && a.LastSeen.Before(t.From) || !t.To.IsZero() && a.FirstSeen.After(t.To) {
		return false
	}
	hosts := slices.Concat(t.Endpoints, t.Peers)
	ep := anyMatch(hosts, a.Endpoint) || anyMatch(hosts, a.Host)
	pair := len(t.Endpoints) > 0 && len(t.Peers) > 0
	switch {
	case composite:
		return ep
	case a.Peer == "" && pair:
		return ep && mentions(a, t.Peers)
	case a.Peer == "":
		return ep
	case pair:
		return ep && anyMatch(hosts, a.Peer)
	default:
		return ep || anyMatch(hosts, a.Peer)
	}
}

// Matches reports whether a is about the benign behaviour: its peer is one
// of the destinations and, when endpoints are given, its endpoint one of
// them.
func (b *Benign) Matches(a *alert.Alert) bool {
	if !anyMatch(b.Peers, a.Peer) {
		return false
	}
	return len(b.Endpoints) == 0 || anyMatch(b.Endpoints, a.Endpoint) || anyMatch(b.Endpoints, a.Host)
}

// ruleMatches reports whether rule is pattern or in its family ("S-*").
func ruleMatches(pattern, rule string) bool {
	if fam, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(rule, fam)
	}
	return pattern == rule
}

func mentions(a *alert.Alert, words []string) bool {
	text := strings.ToLower(a.Title + "\n" + a.Summary + "\n" + a.Key)
	return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(text, strings.ToLower(w)) })
}

// pattern is a host as a truth names it: an address, a network, a name,
// or any name under a domain ("*.example.com").
type pattern struct {
	addr   netip.Addr
	prefix netip.Prefix
	name   string // exact name, or the domain after "*."
	under  bool
}

func parsePattern(s string) (pattern, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return pattern{}, fmt.Errorf("empty host")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return pattern{addr: a.Unmap()}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return pattern{}, fmt.Errorf("host %q: %w", s, err)
		}
		return pattern{prefix: p.Masked()}, nil
	}
	if d, ok := strings.CutPrefix(s, "*."); ok {
		return pattern{name: d, under: true}, nil
	}
	return pattern{name: s}, nil
}

// match reports whether the host in an alert's field is the pattern's.
func (p pattern) match(field string) bool {
	h := hostOf(field)
	if h == "" {
		return false
	}
	a, err := netip.ParseAddr(h)
	switch {
	case p.addr.IsValid():
		return err == nil && a.Unmap() == p.addr
	case p.prefix.IsValid():
		return err == nil && p.prefix.Contains(a.Unmap())
	case p.under:
		return strings.HasSuffix(h, "."+p.name)
	default:
		return h == p.name
	}
}

func anyMatch(patterns []string, field string) bool {
	for _, s := range patterns {
		if p, err := parsePattern(s); err == nil && p.match(field) { // validated on load
			return true
		}
	}
	return false
}

// hostOf reduces what an alert names as its endpoint or peer (an address,
// a name, address:port, a URL) to the host, lower case.
func hostOf(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().String()
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap().String()
	}
	if h, port, ok := strings.Cut(s, ":"); ok && !strings.Contains(port, ":") && allDigits(port) {
		s = h
	}
	return strings.TrimSuffix(s, ".")
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
