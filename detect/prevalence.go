package detect

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Prevalence counts, for each destination (a site or an external
// address), how many of the organisation's endpoints reach it: only what
// an endpoint itself sends counts (the engine notes outbound events), so
// that no outside source can make itself common by reaching many
// endpoints. A
// destination most endpoints reach is normal business even when its
// traffic is periodic (update checks, NTP, antivirus); one only one
// endpoint reaches is rare. With few endpoints nothing is common.
type Prevalence struct {
	dests     *LRU[string, *destUsers]
	endpoints *LRU[string, struct{}]
	// MinEndpoints is how many endpoints must be known before anything is
	// called common or rare.
	MinEndpoints int
}

// destUsers is the endpoints seen reaching one destination, exactly up
// to maxUsers of them and then only counted.
type destUsers struct {
	users map[string]struct{}
	more  int
}

const maxUsers = 64

// NewPrevalence tracks up to maxDests destinations.
func NewPrevalence(maxDests int) *Prevalence {
	return &Prevalence{dests: NewLRU[string, *destUsers](maxDests), endpoints: NewLRU[string, struct{}](1 << 16), MinEndpoints: 5}
}

// Site reduces a host name to the registrable domain that prevalence is
// counted by (a.b.example.co.jp → example.co.jp; x.duckdns.org stays, as
// each dynamic-DNS name is its own site).
func Site(domain string) string {
	d := strings.TrimSuffix(strings.ToLower(domain), ".")
	if d == "" {
		return ""
	}
	if s, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return s
	}
	return d
}

// Note records that endpoint reached dest.
func (p *Prevalence) Note(endpoint, dest string) {
	if endpoint == "" || dest == "" {
		return
	}
	p.endpoints.Put(endpoint, struct{}{})
	u := p.dests.GetOr(dest, func() *destUsers { return &destUsers{users: map[string]struct{}{}} })
	if _, ok := u.users[endpoint]; ok {
		return
	}
	if len(u.users) < maxUsers {
		u.users[endpoint] = struct{}{}
	} else {
		u.more++
	}
}

// Forget removes endpoint from every count: a machine found to be a relay
// after its traffic was counted (a proxy learned from CONNECT requests).
func (p *Prevalence) Forget(endpoint string) {
	if _, ok := p.endpoints.Peek(endpoint); !ok {
		return
	}
	p.endpoints.Remove(endpoint)
	p.dests.Each(func(_ string, u *destUsers) { delete(u.users, endpoint) })
}

// Users returns how many endpoints reach dest, and how many endpoints are
// known in all.
func (p *Prevalence) Users(dest string) (n, total int) {
	total = p.endpoints.Len()
	if u, ok := p.dests.Peek(dest); ok {
		n = len(u.users) + u.more
	}
	return n, total
}

// Common reports whether at least half of enough endpoints reach dest.
func (p *Prevalence) Common(dest string) bool {
	n, total := p.Users(dest)
	return total >= p.MinEndpoints && n*2 >= total
}

// Rare reports whether dest is reached by at most one endpoint in twenty
// (at least one) among enough endpoints. A destination no endpoint reached
// (an outside source seen only inbound: prevalence counts what endpoints
// reach) is unknown, not rare.
func (p *Prevalence) Rare(dest string) bool {
	n, total := p.Users(dest)
	return total >= p.MinEndpoints && n >= 1 && n <= max(1, total/20)
}

// Describe says "seen from n of total endpoints".
func (p *Prevalence) Describe(dest string) string {
	n, total := p.Users(dest)
	return "seen from " + itoa(n) + " of " + itoa(total) + " endpoints"
}
