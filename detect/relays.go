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
// inventory gives a relay role, and proxies seen receiving CONNECT
// requests from other internal machines. Prevalence counts them out: a
// proxy reaches every site its users reach, so counting it would make
// every destination look one endpoint more common, and the organisation
// one endpoint larger.
type Relays struct {
	roles   map[string]bool
	env     *Env
	learned map[netip.Addr]struct{}
	cache   map[netip.Addr]bool // inventory answers: Lookup scans the inventory
}

// NewRelays returns the relays of env's inventory with the given roles.
func NewRelays(roles []string, env *Env) *Relays {
	r := &Relays{roles: map[string]bool{}, env: env, learned: map[netip.Addr]struct{}{}, cache: map[netip.Addr]bool{}}
	for _, role := range roles {
		r.roles[strings.ToLower(role)] = true
	}
	return r
}

// Learn notes a request sent to an internal machine in proxy form
// (CONNECT host:port) and returns the machine when it is a newly learned
// proxy.
func (r *Relays) Learn(ev *event.Event) (netip.Addr, bool) {
	if ev.Kind != event.KindHTTP || ev.Method != "CONNECT" || !ev.DstIP.IsValid() || ev.DstIP == ev.SrcIP ||
		!r.env.Internal(ev.DstIP) || !r.env.Internal(ev.SrcIP) {
		return netip.Addr{}, false
	}
	if _, ok := r.learned[ev.DstIP]; ok || len(r.learned) >= maxRelays || r.inventory(ev.DstIP) {
		return netip.Addr{}, false
	}
	r.learned[ev.DstIP] = struct{}{}
	return ev.DstIP, true
}

// Is reports whether a relays others' traffic.
func (r *Relays) Is(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	if _, ok := r.learned[a]; ok {
		return true
	}
	return r.inventory(a)
}

// IsEndpoint is Is for an endpoint id (an address, or a host name, which
// is never a relay).
func (r *Relays) IsEndpoint(endpoint string) bool {
	a, err := netip.ParseAddr(endpoint)
	return err == nil && r.Is(a)
}

// Role names what a relay is, for explanations: its inventory role, or
// "proxy" for one learned from CONNECT requests.
func (r *Relays) Role(a netip.Addr) string {
	if _, ok := r.learned[a]; ok {
		return "proxy"
	}
	if as, ok := r.env.Assets.Lookup(a); ok && as.Role != "" {
		return strings.ToLower(as.Role)
	}
	return "relay"
}

func (r *Relays) inventory(a netip.Addr) bool {
	if v, ok := r.cache[a]; ok {
		return v
	}
	as, _ := r.env.Assets.Lookup(a)
	v := as.Prefix.IsSingleIP() && r.roles[strings.ToLower(as.Role)]
	if len(r.cache) >= 1<<14 {
		clear(r.cache)
	}
	r.cache[a] = v
	return v
}
