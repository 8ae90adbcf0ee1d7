package detect

import (
	"net/netip"
	"strings"

	"github.com/mamori-soc/mamori/event"
)

// DefaultRelayRoles are the inventory roles of machines that carry other
// machines' traffic (a proxy, a NAT gateway, a resolver): what they send
// is their clients' doing.
var DefaultRelayRoles = []string{"proxy", "gateway", "nat", "resolver", "dns"}

// maxRelays bounds the proxies learned from the traffic.
const maxRelays = 256

// Relays tells which internal machines relay others' traffic: those the
// inventory gives a relay role, and those seen relaying: the internal
// server clients send CONNECT requests to (a proxy, as a sensor's HTTP log
// shows) and, with Resolvers set, the one they send DNS queries to (a
// resolver; often also a domain controller whose own behaviour matters,
// so only rules that merely soften their findings on relays learn them).
// Prevalence
// counts them out: a proxy reaches every site its users reach, so counting
// it would make every destination look one endpoint more common, and the
// organisation one endpoint larger. Rules judge the clients instead of
// the relay.
type Relays struct {
	// Resolvers makes Learn learn resolvers too.
	Resolvers bool

	roles   map[string]bool
	env     *Env
	learned map[netip.Addr]string // → why
	cache   map[netip.Addr]string // inventory answers ("" for none): Lookup scans the inventory
}

// NewRelays returns the relays of env's inventory with the given roles.
func NewRelays(roles []string, env *Env) *Relays {
	r := &Relays{roles: map[string]bool{}, env: env, learned: map[netip.Addr]string{}, cache: map[netip.Addr]string{}}
	for _, role := range roles {
		r.roles[strings.ToLower(role)] = true
	}
	return r
}

// Learn learns relays from one event and returns the machine when it is a
// newly learned one.
func (r *Relays) Learn(ev *event.Event) (netip.Addr, bool) {
	var why string
	switch {
	case ev.Kind == event.KindHTTP && ev.Method == "CONNECT":
		why = "other machines send it CONNECT requests"
	case r.Resolvers && ev.Kind == event.KindDNS && ev.DstPort == 53:
		why = "other machines send it DNS queries"
	default:
		return netip.Addr{}, false
	}
	a := ev.DstIP
	if !a.IsValid() || a == ev.SrcIP || !r.env.Internal(a) || !r.env.Internal(ev.SrcIP) {
		return netip.Addr{}, false
	}
	if _, ok := r.learned[a]; ok || len(r.learned) >= maxRelays || r.inventory(a) != "" {
		return netip.Addr{}, false
	}
	r.learned[a] = why
	return a, true
}

// Is reports whether a relays others' traffic.
func (r *Relays) Is(a netip.Addr) bool { return r.Why(a) != "" }

// IsEndpoint is Is for an endpoint id (an address, or a host name, which
// is never a relay).
func (r *Relays) IsEndpoint(endpoint string) bool {
	a, err := netip.ParseAddr(endpoint)
	return err == nil && r.Is(a)
}

// Why says why a relays others' traffic ("inventory role proxy", "other
// machines send it CONNECT requests"), or "" when it does not.
func (r *Relays) Why(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	if w, ok := r.learned[a]; ok {
		return w
	}
	return r.inventory(a)
}

// Role names what a relay is, for explanations: its inventory role, or
// "proxy" or "resolver" for one learned from the traffic.
func (r *Relays) Role(a netip.Addr) string {
	if w, ok := r.learned[a]; ok {
		if strings.Contains(w, "DNS") {
			return "resolver"
		}
		return "proxy"
	}
	if as, ok := r.env.Assets.Lookup(a); ok && as.Role != "" {
		return strings.ToLower(as.Role)
	}
	return "relay"
}

// inventory says why the inventory makes a a relay, or "".
func (r *Relays) inventory(a netip.Addr) string {
	if v, ok := r.cache[a]; ok {
		return v
	}
	as, _ := r.env.Assets.Lookup(a)
	v := ""
	if as.Prefix.IsSingleIP() && r.roles[strings.ToLower(as.Role)] {
		v = "inventory role " + as.Role
	}
	if len(r.cache) >= 1<<14 {
		clear(r.cache)
	}
	r.cache[a] = v
	return v
}
