package detect

import (
	"net/netip"
	"strings"
	"sync"

	"github.com/mamori-soc/mamori/alert"
)

// AllowList hides alerts that match an entry: from the config file (global
// and per rule) and from the console. Matching happens when alerts are
// shown, so a new entry also hides alerts already stored; nothing is
// deleted.
type AllowList struct {
	mu      sync.RWMutex // the console adds while alerts are shown
	entries []Allow
}

// NewAllowList builds a list from entries.
func NewAllowList(entries ...[]Allow) *AllowList {
	l := &AllowList{}
	for _, es := range entries {
		l.entries = append(l.entries, es...)
	}
	return l
}

// Allow is one allow-list entry: every field given must match. A
// destination may be a domain, a wildcard domain (*.example.com matches
// example.com and its subdomains), an address or a CIDR.
type Allow struct {
	Rule        string `yaml:"rule" json:"rule,omitempty"`
	Destination string `yaml:"destination" json:"destination,omitempty"`
	Endpoint    string `yaml:"endpoint" json:"endpoint,omitempty"`
	User        string `yaml:"user" json:"user,omitempty"`
	Reason      string `yaml:"reason" json:"reason,omitempty"`
}

// RuleConfig tunes one detection rule.
type RuleConfig struct {
	// Enabled turns a rule off with false; default on.
	Enabled *bool `yaml:"enabled"`
	// Params are the rule's thresholds and windows (see `mamori rules`).
	Params map[string]any `yaml:"params"`
	// Allow hides this rule's alerts that match.
	Allow []Allow `yaml:"allow"`
}

// FromConfig collects the global entries and those of each rule's
// configuration.
func FromConfig(global []Allow, rules map[string]RuleConfig) *AllowList {
	l := NewAllowList(global)
	for id, r := range rules {
		for _, a := range r.Allow {
			if a.Rule == "" {
				a.Rule = id
			}
			l.entries = append(l.entries, a)
		}
	}
	return l
}

// Add appends entries.
func (l *AllowList) Add(es ...Allow) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, es...)
}

// Entries returns the entries.
func (l *AllowList) Entries() []Allow {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]Allow(nil), l.entries...)
}

// Match returns the first entry matching a, if any.
func (l *AllowList) Match(a *alert.Alert) (Allow, bool) {
	if l == nil {
		return Allow{}, false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, e := range l.entries {
		if entryMatches(e, a) {
			return e, true
		}
	}
	return Allow{}, false
}

// Hidden reports whether a is allow-listed.
func (l *AllowList) Hidden(a *alert.Alert) bool {
	_, ok := l.Match(a)
	return ok
}

func entryMatches(e Allow, a *alert.Alert) bool {
	if e.Rule == "" && e.Destination == "" && e.Endpoint == "" && e.User == "" {
		return false // an empty entry must not hide everything
	}
	if e.Rule != "" && e.Rule != "*" && !strings.EqualFold(e.Rule, a.Rule) {
		return false
	}
	if e.Endpoint != "" && !addrOrNameMatches(e.Endpoint, a.Endpoint) && !strings.EqualFold(e.Endpoint, a.Host) {
		return false
	}
	if e.Destination != "" {
		ok := addrOrNameMatches(e.Destination, a.Peer)
		for _, k := range []string{"domain", "dst_ip", "url_host"} {
			ok = ok || addrOrNameMatches(e.Destination, a.Details[k])
		}
		if !ok {
			return false
		}
	}
	if e.User != "" && !strings.EqualFold(e.User, a.Peer) && !strings.EqualFold(e.User, a.Details["user"]) {
		return false
	}
	return true
}

// addrOrNameMatches matches a pattern (an address, a CIDR, a domain or a
// wildcard domain) against a value.
func addrOrNameMatches(pattern, value string) bool {
	if value == "" {
		return false
	}
	if a, err := netip.ParseAddr(value); err == nil {
		if p, err := netip.ParsePrefix(pattern); err == nil {
			return p.Contains(a.Unmap())
		}
		if pa, err := netip.ParseAddr(pattern); err == nil {
			return pa.Unmap() == a.Unmap()
		}
		return false
	}
	return DomainMatches(pattern, value)
}

// DomainMatches matches a domain against a pattern: "example.com" matches
// itself; "*.example.com" matches example.com and every subdomain. Case
// and trailing dots do not matter.
func DomainMatches(pattern, domain string) bool {
	p := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(pattern)), ".")
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if p == "" || d == "" {
		return false
	}
	if base, ok := strings.CutPrefix(p, "*."); ok {
		return d == base || strings.HasSuffix(d, "."+base)
	}
	return p == d
}
