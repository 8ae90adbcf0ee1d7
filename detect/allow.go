package detect

import (
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/alert"
)

// AllowList hides alerts that match an entry: from the config file (global
// and per rule) and from the console or `mamori allow`. Matching happens
// when alerts are shown, so a new entry also hides alerts already stored,
// and an entry that expires or is removed shows them again; nothing is
// deleted.
type AllowList struct {
	mu      sync.RWMutex // the console adds while alerts are shown
	entries []Allow
	now     func() time.Time
}

// NewAllowList builds a list from entries.
func NewAllowList(entries ...[]Allow) *AllowList {
	l := &AllowList{now: time.Now}
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
	// Expires, when set, ends the entry: from then on it hides nothing.
	Expires time.Time `yaml:"expires" json:"expires,omitzero"`

	// ID names an entry made in the console or with `mamori allow add`
	// (kept in the store), for `mamori allow rm`; "" for the
	// configuration's entries, which are changed in the file.
	ID string `yaml:"-" json:"id,omitempty"`
	// Added and By say when and by whom a stored entry was made.
	Added time.Time `yaml:"-" json:"added,omitzero"`
	By    string    `yaml:"-" json:"by,omitempty"`
}

// Empty reports whether the entry names nothing to match (it would hide
// every alert, so it hides none).
func (e Allow) Empty() bool {
	return e.Rule == "" && e.Destination == "" && e.Endpoint == "" && e.User == ""
}

// Active reports whether the entry hides alerts at t.
func (e Allow) Active(t time.Time) bool {
	return !e.Empty() && (e.Expires.IsZero() || t.Before(e.Expires))
}

// Scope says in words what the entry hides: "S-BEACON alerts of 10.0.10.5
// to cdn.example.com".
func (e Allow) Scope() string {
	var b strings.Builder
	if e.Rule == "" || e.Rule == "*" {
		b.WriteString("alerts of every rule")
	} else {
		b.WriteString(e.Rule + " alerts")
	}
	if e.Endpoint != "" {
		b.WriteString(" of " + e.Endpoint)
	} else {
		b.WriteString(" of every endpoint")
	}
	if e.Destination != "" {
		b.WriteString(" to " + e.Destination)
	}
	if e.User != "" {
		b.WriteString(" for user " + e.User)
	}
	return b.String()
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

// SetClock sets the clock entries expire by (tests; time.Now otherwise).
func (l *AllowList) SetClock(now func() time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
}

// Add appends entries.
func (l *AllowList) Add(es ...Allow) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, es...)
}

// Remove takes out the stored entry with the id and returns it.
func (l *AllowList) Remove(id string) (Allow, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.entries {
		if id != "" && e.ID == id {
			l.entries = append(l.entries[:i:i], l.entries[i+1:]...)
			return e, true
		}
	}
	return Allow{}, false
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
	now := l.now()
	for _, e := range l.entries {
		if e.Active(now) && e.Matches(a) {
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

// Matches reports whether the entry covers a (whether or not it has
// expired).
func (e Allow) Matches(a *alert.Alert) bool {
	if e.Empty() {
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
