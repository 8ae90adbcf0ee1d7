package normal

import (
	"fmt"
	"net/netip"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// country is N-COUNTRY: traffic with a country the endpoint, its segment
// and the organisation do not normally exchange traffic with. A country
// an endpoint only received traffic from is learned when two outside
// sources brought it: one outside source (a scanner, a brute forcer let
// through) cannot make its country usual.
type country struct {
	rule
	relays *relays
	prof   *detect.SetProfile
	geo    *detect.LRU[netip.Addr, string] // address → country, "" for none
	orgMin int
	// inbound holds, while learning, the first outside source of each
	// endpoint's inbound country: a country is learned from inbound
	// traffic only when a second source brings it, so that no single
	// outside source can make its country usual.
	inbound map[string]netip.Addr
}

func newCountry(p detect.Params, env *detect.Env) detect.Detector {
	c := &country{
		rule:   newRule(RuleCountry, env),
		prof:   detect.NewSetProfile(p.Int("max_countries", 64)),
		geo:    detect.NewLRU[netip.Addr, string](1 << 16),
		orgMin: p.Int("org_endpoints", 2),
	}
	c.relays = newRelays(p, c.eps)
	return c
}

// Params lists the tunables.
func (c *country) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_countries", Default: 64, Doc: "countries kept per endpoint; an endpoint with more is too varied to judge"},
		{Name: "org_endpoints", Default: 2, Doc: "a country this many endpoints exchanged traffic with while learning is usual for every endpoint (country alone is a weak sign: business with a country is the organisation's)"},
		relayParam,
	}
}

// Missing says why the rule cannot run.
func (c *country) Missing() string {
	if c.env.Geo == nil {
		return "no GeoIP database configured (geoip: in the config, or --geoip)"
	}
	return ""
}

// Kinds lists the events read: connections and proxied requests.
func (c *country) Kinds() []event.Kind {
	return []event.Kind{event.KindConnection, event.KindHTTP}
}

// peer returns the endpoint and the internet address it exchanged traffic
// with, and whether the traffic came in.
func (c *country) peer(ev *event.Event) (ep, peer netip.Addr, inbound, ok bool) {
	ep = ev.Endpoint
	if !ep.IsValid() || !c.env.Internal(ep) {
		return ep, peer, false, false
	}
	switch ep {
	case ev.SrcIP:
		peer = ev.DstIP
		if ev.Kind == event.KindConnection && c.relays.is(ep) {
			return ep, peer, false, false // judged at the client, from the proxy log
		}
	case ev.DstIP:
		// Traffic coming in counts when it was let in and carried data:
		// what the firewall drops at the edge is the internet's noise.
		peer, inbound = ev.SrcIP, true
		if ev.Action == event.ActionDeny || ev.Action == event.ActionNone && ev.BytesIn == 0 && ev.BytesOut == 0 {
			return ep, peer, true, false
		}
	default:
		return ep, peer, false, false
	}
	if !peer.IsValid() || c.env.Internal(peer) || !publicAddr(peer) {
		return ep, peer, inbound, false
	}
	return ep, peer, inbound, true
}

func (c *country) lookup(a netip.Addr) string {
	if cc, ok := c.geo.Get(a); ok {
		return cc
	}
	cc, _ := c.env.Geo.Country(a)
	c.geo.Put(a, cc)
	return cc
}

// maxInbound bounds the first sources kept while learning.
const maxInbound = 1 << 16

// Learn records the countries each endpoint exchanges traffic with; a
// country seen only inbound needs two outside sources.
func (c *country) Learn(ev *event.Event) {
	c.learnt++
	c.relays.note(c.env, ev)
	if c.env.Geo == nil {
		return
	}
	ep, peer, inbound, ok := c.peer(ev)
	if !ok {
		return
	}
	cc := c.lookup(peer)
	if cc == "" {
		return
	}
	in := c.eps.get(ep)
	if inbound {
		if c.inbound == nil {
			c.inbound = map[string]netip.Addr{}
		}
		k := in.id + " " + cc
		first, seen := c.inbound[k]
		if !seen {
			if len(c.inbound) < maxInbound {
				c.inbound[k] = peer
			}
			return
		}
		if first == peer {
			return
		}
	}
	c.prof.Learn(in.id, in.segment, cc)
}

// Observe reports traffic with a country outside the baseline.
func (c *country) Observe(ev *event.Event, em *detect.Emitter) {
	c.inbound = nil // learning is over
	c.relays.note(c.env, ev)
	if c.env.Geo == nil || !c.ready() {
		return
	}
	ep, peer, inbound, ok := c.peer(ev)
	if !ok {
		return
	}
	cc := c.lookup(peer)
	if cc == "" {
		return
	}
	in := c.eps.get(ep)
	usual, why := c.prof.Usual(in.id, in.segment, cc)
	org := int(c.prof.Org[cc])
	if usual || org >= c.orgMin {
		return
	}
	dest, named := peer.String(), peer.String()
	if host := requestHost(ev); ev.Kind == event.KindHTTP && host != "" && host != dest {
		dest, named = site(host), named+" ("+clip(host, 80)+")"
	}
	dir, dirJA := "traffic to", "への通信"
	if inbound {
		dir, dirJA = "traffic from", "からの通信"
	}
	score := 0.45
	if org == 0 {
		score = 0.6 // nobody in the organisation exchanges traffic with that country
	}
	// Port, protocol and what came back: a refused probe from a country
	// is not traffic exchanged with it.
	svc, svcJA := "", ""
	if s := detect.ServiceName(ev); s != "" {
		svc, svcJA = " on "+s, "（"+s+"）"
	}
	what, whatJA := detect.ExchangeText(ev)
	c.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: peer.String(), Key: cc,
		Score: score, Rare: rare(c.env, dest),
		Summary: fmt.Sprintf("%s %s%s, in %s%s: a country not in the baseline (%s)", dir, named, svc, cc, what, why),
		SummaryJA: fmt.Sprintf("%s（%s）%s%s%s。ベースラインにない国（学習期間中に%d台のエンドポイントが通信）",
			named, cc, svcJA, dirJA, whatJA, org),
		Details: map[string]string{
			"country": cc, "dst_ip": peer.String(), "domain": ev.Domain, "inbound": fmt.Sprint(inbound),
			"org_endpoints": fmt.Sprint(org), "baseline": why,
		},
		Evidence: []*event.Event{ev},
	})
}

// countryBaseline is what N-COUNTRY saves.
type countryBaseline struct {
	Learned int64              `json:"learned_events"`
	Profile *detect.SetProfile `json:"profile"`
	savedRelays
}

// Baseline returns the learned state.
func (c *country) Baseline() any {
	return countryBaseline{Learned: c.learnt, Profile: c.prof, savedRelays: c.relays.save()}
}

// Restore sets the learned state.
func (c *country) Restore(b []byte) error {
	var s countryBaseline
	if err := restoreJSON(c.id, b, &s); err != nil {
		return err
	}
	if s.Profile != nil {
		c.prof = s.Profile
	}
	c.learnt = s.Learned
	c.relays.restore(s.savedRelays)
	return nil
}
