package app

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/store"
)

// Topology is what a scan saw of the office's own side: how many events
// had an address in the internal networks, and, among those that had
// none, the addresses in most of them: the monitored hosts, when the
// internal networks were not set for them (a public server's capture, a
// honeypot, a sensor in front of public addresses). Nearly every rule
// judges an endpoint, the office's side of an event; with no internal
// address there is none, and a scan says nothing.
type Topology struct {
	Events   int64        `json:"events_with_addresses"` // events that name an address
	Internal int64        `json:"events_internal"`       // of them, with an internal address
	Likely   []AddrEvents `json:"likely_monitored,omitempty"`
	Networks string       `json:"internal_networks"`
}

// AddrEvents is an address, how many of the events without an internal
// address it is in, and how many distinct other addresses it exchanged
// them with (counted up to maxPeers): a monitored host talks with many.
type AddrEvents struct {
	Addr   netip.Addr `json:"addr"`
	Events int64      `json:"events"`
	Peers  int        `json:"peers"`
}

// maxTopologyAddrs bounds the addresses counted; later ones are not.
// maxPeers bounds the peers counted per address.
const (
	maxTopologyAddrs = 1 << 15
	maxPeers         = 8
)

// addrCount is one address's count.
type addrCount struct {
	events int64
	peers  [maxPeers]netip.Addr
	n      int
}

func (c *addrCount) add(peer netip.Addr) {
	c.events++
	if c.n == maxPeers || !peer.IsValid() || slices.Contains(c.peers[:c.n], peer) {
		return
	}
	c.peers[c.n] = peer
	c.n++
}

// topologyCount counts, for Topology, the events a replay hands on.
type topologyCount struct {
	src      detect.Events
	networks asset.Networks
	t        Topology
	addrs    map[netip.Addr]*addrCount
}

// Events implements detect.Events: it passes every event on, counting.
func (c *topologyCount) Events(ctx context.Context, from, to time.Time, fn func(store.Stored) error) error {
	return c.src.Events(ctx, from, to, func(s store.Stored) error {
		c.note(s.Event.SrcIP, s.Event.DstIP, s.Event.EndpointID() != "")
		return fn(s)
	})
}

// note counts one event: its addresses, and whether it has an endpoint
// (an internal address, or a host the log names as the office's).
func (c *topologyCount) note(src, dst netip.Addr, endpoint bool) {
	if !src.IsValid() && !dst.IsValid() {
		return // an sshd line naming a host, a notice about nothing
	}
	c.t.Events++
	if endpoint {
		c.t.Internal++
		return
	}
	for _, p := range [2][2]netip.Addr{{src, dst}, {dst, src}} {
		a, peer := p[0], p[1]
		if !a.IsValid() || !a.IsGlobalUnicast() {
			continue
		}
		ac, ok := c.addrs[a]
		if !ok {
			if len(c.addrs) >= maxTopologyAddrs {
				continue
			}
			ac = &addrCount{}
			c.addrs[a] = ac
		}
		ac.add(peer)
	}
}

// result ranks the addresses in at least a tenth of the events without
// an internal address: the most peers first (the monitored host talks
// with everyone; each of its peers mostly with it), then the most events;
// at most five.
func (c *topologyCount) result() Topology {
	t := c.t
	t.Networks = c.networks.String()
	outside := t.Events - t.Internal
	for a, ac := range c.addrs {
		if 10*ac.events >= outside {
			t.Likely = append(t.Likely, AddrEvents{a, ac.events, ac.n})
		}
	}
	slices.SortFunc(t.Likely, func(x, y AddrEvents) int {
		if c := cmp.Compare(y.Peers, x.Peers); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Events, x.Events); c != 0 {
			return c
		}
		return x.Addr.Compare(y.Addr)
	})
	if len(t.Likely) > 5 {
		t.Likely = t.Likely[:5]
	}
	return t
}

// Warning says what is wrong when no event had an internal address, with
// the addresses that look like the monitored hosts and the option that
// names them; "" when some had.
func (t Topology) Warning() string {
	if t.Events == 0 || t.Internal > 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "none of the %d events with an address has one in the internal networks (%s): the rules judge the office's side of each event, so they had nothing to judge.", t.Events, t.Networks)
	if len(t.Likely) == 0 {
		b.WriteString(" Give the monitored networks with --internal or internal_networks.")
		return b.String()
	}
	b.WriteString(" The addresses in most events, those talking with the most others first (likely the monitored hosts):")
	var cidrs []string
	for i, l := range t.Likely {
		sep := ","
		if i == 0 {
			sep = ""
		}
		others := fmt.Sprintf("%d others", l.Peers)
		switch l.Peers {
		case maxPeers:
			others = fmt.Sprintf("%d+ others", l.Peers)
		case 1:
			others = "1 other"
		}
		fmt.Fprintf(&b, "%s %s (in %d %% of the events, with %s)", sep, l.Addr, 100*l.Events/t.Events, others)
		if l.Peers == t.Likely[0].Peers {
			cidrs = append(cidrs, netip.PrefixFrom(l.Addr, l.Addr.BitLen()).String())
		}
	}
	fmt.Fprintf(&b, ". If they are, scan again with --internal %s (with your other networks), or set internal_networks.", strings.Join(cidrs, ","))
	return b.String()
}
