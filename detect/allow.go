package detect

import (
	"net/netip"
	"strings"
	"sync"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/config"
)

// AllowList hides alerts that match an entry: from the config file (global
// and per rule) and from the console. Matching happens when alerts are
// shown, so a new entry also hides alerts already stored; nothing is
// deleted.
type AllowList struct {
	mu      sync.RWMutex // the console adds while alerts are shown
	entries []config.Allow
}

// NewAllowList builds a list from entries.
func NewAllowList(entries ...[]config.Allow) *AllowList {
	l := &AllowList{}
	for _, es := range entries {
		l.entries = append(l.entries, es...)
	}
	return l
}

// FromConfig collects the global and per-rule entries of a configuration.
func FromConfig(c *config.Config) *AllowList {
	l := NewAllowList(c.Allow)
	for id, r := range c.Rules {
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
func (l *AllowList) Add(es ...config.Allow) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, es...)
}

// Entries returns the entries.
func (l *AllowList) Entries() []config.Allow {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]config.Allow(nil), l.entries...)
}

// Match returns the first entry matching a, if any.
func (l *AllowList) Match(a *alert.Alert) (config.Allow, bool) {
	if l == nil {
		return config.Allow{}, false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, e := range l.entries {
		if entryMatches(e, a) {
			return e, true
		}
	}
	return config.Allow{}, false
}

// Hidden reports whether a is allow-listed.
func (l *AllowList) Hidden(a *alert.Alert) bool {
	_, ok := l.Match(a)
	return ok
}

func entryMatches(e config.Allow, a *alert.Alert) bool {
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
