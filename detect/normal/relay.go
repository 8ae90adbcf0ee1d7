package normal

import (
	"net/netip"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// relays knows the organisation's forwarding proxies and their clients.
//
// A proxy's connections to the internet are made on its clients' behalf:
// an odd port or country there is the client's, and the proxy log says
// which client. So the rules that judge raw connections (N-PORT,
// N-COUNTRY, N-NO-DNS) leave a relay's connections alone. A relay is
//
//   - an address the inventory gives a relay role (relay_roles: proxy,
//     gateway, nat, resolver, dns by default);
//   - the internal server that clients send CONNECT requests to, as a
//     sensor's HTTP log shows (Zeek, Suricata);
//   - an address whose connections at the firewall go where the proxy log
//     says the proxy went (HIER_DIRECT/peer) shortly before: at least
//     relayMatches of them, and at least half of its connections.
//
// Clients are the addresses that appear as clients in the proxy log.
type relays struct {
	eps      *endpoints
	known    map[netip.Addr]string // learned relays → why
	clients  *detect.LRU[netip.Addr, *uint32]
	upstream *detect.LRU[netip.AddrPort, time.Time] // where the proxy log says the proxy went
	scores   *detect.LRU[netip.Addr, *relayScore]
}

type relayScore struct{ total, matched int }

// Relay recognition bounds: 20 matching connections make a relay; the
// proxy log's upstreams are remembered for 10 minutes (8192 of them).
const (
	relayMatches = 20
	relayWindow  = 10 * time.Minute
	maxRelays    = 256
)

// relayParam is the setting of the relay roles, for the rules that use
// relays.
var relayParam = detect.Param{Name: "relay_roles", Default: defaultRelayRoles,
	Doc: "inventory roles of machines that carry other machines' traffic (their own connections are their clients')"}

// newRelays returns a relay tracker reading the relay_roles setting.
func newRelays(p detect.Params, eps *endpoints) *relays {
	eps.setRoles(p.Strings(relayParam.Name, defaultRelayRoles))
	return &relays{
		eps:      eps,
		known:    map[netip.Addr]string{},
		clients:  detect.NewLRU[netip.Addr, *uint32](1 << 16),
		upstream: detect.NewLRU[netip.AddrPort, time.Time](8192),
		scores:   detect.NewLRU[netip.Addr, *relayScore](4096),
	}
}

// proxyLog reports whether ev comes from a proxy's own access log.
func proxyLog(ev *event.Event) bool { return ev.Kind == event.KindHTTP && ev.Format == "squid" }

// note learns from one event; env tells internal addresses.
func (r *relays) note(env *detect.Env, ev *event.Event) {
	switch {
	case proxyLog(ev):
		if ev.SrcIP.IsValid() && env.Internal(ev.SrcIP) {
			r.noteClient(ev.SrcIP)
		}
		if ev.DstIP.IsValid() && ev.DstPort != 0 && !env.Internal(ev.DstIP) {
			r.upstream.Put(netip.AddrPortFrom(ev.DstIP, ev.DstPort), ev.Time)
		}
	case ev.Kind == event.KindHTTP && ev.Method == "CONNECT":
		// a sensor sees a client asking an internal server to tunnel
		if ev.DstIP.IsValid() && env.Internal(ev.DstIP) && ev.SrcIP != ev.DstIP {
			r.learn(ev.DstIP, "clients send it CONNECT requests")
			if env.Internal(ev.SrcIP) {
				r.noteClient(ev.SrcIP)
			}
		}
	case ev.Kind == event.KindConnection:
		src, dst, ok := outbound(env, ev)
		if !ok || ev.DstPort == 0 || r.is(src) {
			return
		}
		if _, client := r.clients.Peek(src); client {
			return // a proxy client is no proxy
		}
		sc := r.scores.GetOr(src, func() *relayScore { return &relayScore{} })
		sc.total++
		if t, ok := r.upstream.Peek(netip.AddrPortFrom(dst, ev.DstPort)); ok && absDur(ev.Time.Sub(t)) <= relayWindow {
			sc.matched++
		}
		if sc.matched >= relayMatches && 2*sc.matched >= sc.total {
			r.learn(src, "its connections follow the proxy log")
		}
	}
}

func (r *relays) noteClient(a netip.Addr) {
	n := r.clients.GetOr(a, func() *uint32 { return new(uint32) })
	if *n < 1<<31 {
		*n++
	}
}

func (r *relays) learn(a netip.Addr, why string) {
	if _, ok := r.known[a]; !ok && len(r.known) < maxRelays {
		r.known[a] = why
	}
}

// is reports whether a is a relay.
func (r *relays) is(a netip.Addr) bool {
	if _, ok := r.known[a]; ok {
		return true
	}
	return r.eps.get(a).relay
}

// client reports whether a uses the proxy, and how many of its requests
// the proxy log showed (saturating).
func (r *relays) client(a netip.Addr) (uint32, bool) {
	n, ok := r.clients.Peek(a)
	if !ok {
		return 0, false
	}
	return *n, true
}

// saved is the part of relays that persists with a baseline.
type savedRelays struct {
	Relays  map[string]string `json:"relays,omitempty"`
	Clients map[string]uint32 `json:"proxy_clients,omitempty"`
}

func (r *relays) save() savedRelays {
	s := savedRelays{Relays: map[string]string{}, Clients: map[string]uint32{}}
	for a, why := range r.known {
		s.Relays[a.String()] = why
	}
	r.clients.Each(func(a netip.Addr, n *uint32) { s.Clients[a.String()] = *n })
	return s
}

func (r *relays) restore(s savedRelays) {
	for k, why := range s.Relays {
		if a, err := netip.ParseAddr(k); err == nil {
			r.learn(a, why)
		}
	}
	for k, n := range s.Clients {
		if a, err := netip.ParseAddr(k); err == nil {
			r.clients.Put(a, &n)
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
