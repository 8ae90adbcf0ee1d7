package detect

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/event"
)

// guard keeps attacks out of the normal-business baselines: a baseline
// learned while an attack was under way would call the attack normal.
//
// Every alert of a known-attack rule (matching or statistical, medium or
// above) raised while the baselines are learned taints what it names: its
// outside peer (an address or a site) from a little before the alert on,
// for every endpoint; or, when it names no outside peer (an NXDOMAIN
// burst, a sweep of the LAN, PsExec to a colleague's PC), the endpoint
// itself for the alert's period. Events that touch a taint are not
// learned by the normal-business rules.
//
// Windowed rules report minutes after the events they judge, so the
// normal-business matching rules (N-*) get their events learnDelay late,
// when the alerts about them have been raised; S-CONN-VOLUME and
// S-BYTES-OUT, which close hours on the clock, learn at once from what is
// not tainted yet.
type guard struct {
	held    []*event.Event       // events waiting for the delayed learners, in arrival order
	peers   map[string]time.Time // tainted outside peer → from when
	windows map[string][]span    // endpoint → tainted periods, sorted, not overlapping
}

type span struct{ from, to time.Time }

// Guard bounds: the delay covers the 10-minute windows of S-ERRORS and
// S-FANOUT and the tick that judges them; the margin reaches back over the
// events that led to an alert; held events are capped so that a flood
// cannot exhaust memory (the oldest are then learned early).
const (
	learnDelay     = 15 * time.Minute
	taintMargin    = 10 * time.Minute
	maxHeld        = 50_000
	maxTaintPeers  = 20_000
	maxTaintSpans  = 64
	maxTaintedEPs  = 20_000
	minTaintSevere = alert.Medium
)

func newGuard() *guard {
	return &guard{peers: map[string]time.Time{}, windows: map[string][]span{}}
}

// empty reports whether nothing is tainted (the common case: no lookups).
func (g *guard) empty() bool { return len(g.peers) == 0 && len(g.windows) == 0 }

// taints reports whether an alert of rule taints what it names.
func taints(r *ruleRun, a *alert.Alert) bool {
	return r.rule.Basis == alert.KnownAttack && r.rule.Perspective != alert.Composite && a.Severity >= minTaintSevere
}

// taint records what an alert (or one finding of it) names: its endpoint,
// its peer and the period it covers.
func (g *guard) taint(endpoint, peer string, first, last time.Time, env *Env) {
	if first.IsZero() || !last.IsZero() && first.After(last) {
		first = last
	}
	if last.Before(first) {
		last = first
	}
	if p := outsidePeer(peer, env); p != "" {
		from := first.Add(-taintMargin)
		if was, ok := g.peers[p]; ok {
			if from.Before(was) {
				g.peers[p] = from
			}
			return
		}
		if len(g.peers) < maxTaintPeers {
			g.peers[p] = from
		}
		return
	}
	if endpoint == "" {
		return
	}
	ss, ok := g.windows[endpoint]
	if !ok && len(g.windows) >= maxTaintedEPs {
		return
	}
	g.windows[endpoint] = addSpan(ss, span{first.Add(-taintMargin), last.Add(taintMargin)})
}

// addSpan inserts s into sorted, disjoint spans, merging what overlaps;
// past the bound the last two are merged.
func addSpan(ss []span, s span) []span {
	i, _ := slices.BinarySearchFunc(ss, s.from, func(x span, t time.Time) int { return x.from.Compare(t) })
	ss = slices.Insert(ss, i, s)
	out := ss[:1]
	for _, x := range ss[1:] {
		last := &out[len(out)-1]
		if !x.from.After(last.to) {
			if x.to.After(last.to) {
				last.to = x.to
			}
			continue
		}
		out = append(out, x)
	}
	if len(out) > maxTaintSpans {
		n := len(out)
		out[n-2].to = out[n-1].to
		out = out[:n-1]
	}
	return out
}

// outsidePeer reduces an alert's peer to the key events are matched by:
// an address outside the organisation, or the site of a host name; ""
// for an internal address, a network, or nothing.
func outsidePeer(peer string, env *Env) string {
	h := peer
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	if i := strings.IndexAny(h, "/?#"); i >= 0 {
		h = h[:i]
	}
	if h == "" || strings.Contains(h, "/") {
		return ""
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		h = ap.Addr().String()
	} else if i := strings.LastIndexByte(h, ':'); i > 0 && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	h = strings.Trim(h, "[]")
	if a, err := netip.ParseAddr(h); err == nil {
		a = a.Unmap()
		if env.Internal(a) || !a.IsGlobalUnicast() {
			return ""
		}
		return a.String()
	}
	if !strings.Contains(h, ".") {
		return "" // a host name of the office (fs01), not an outside site
	}
	return Site(h)
}

// tainted reports whether ev touches a taint.
func (g *guard) tainted(ev *event.Event, env *Env) bool {
	if g.empty() {
		return false
	}
	if ss := g.windows[ev.EndpointID()]; len(ss) > 0 {
		i, _ := slices.BinarySearchFunc(ss, ev.Time, func(x span, t time.Time) int { return x.from.Compare(t) })
		// ss[i-1] is the last span starting at or before ev.Time.
		if i < len(ss) && ss[i].from.Equal(ev.Time) || i > 0 && !ev.Time.After(ss[i-1].to) {
			return true
		}
	}
	if len(g.peers) == 0 {
		return false
	}
	hit := func(k string) bool {
		from, ok := g.peers[k]
		return ok && !ev.Time.Before(from)
	}
	for _, a := range [...]netip.Addr{ev.SrcIP, ev.DstIP} {
		if a.IsValid() && !env.Internal(a) && hit(a.Unmap().String()) {
			return true
		}
	}
	if ev.Domain != "" && hit(Site(stripPort(ev.Domain))) {
		return true
	}
	return ev.Kind == event.KindDNS && ev.Query != "" && hit(Site(ev.Query))
}

// stripPort drops a CONNECT target's port: "host:443" → "host".
func stripPort(h string) string {
	if i := strings.LastIndexByte(h, ':'); i > 0 && strings.Count(h, ":") == 1 {
		return h[:i]
	}
	return h
}

// hold keeps an event for the delayed learners; past the bound the oldest
// is returned to be learned at once.
func (g *guard) hold(ev *event.Event) *event.Event {
	g.held = append(g.held, ev)
	if len(g.held) > maxHeld {
		old := g.held[0]
		g.held[0] = nil
		g.held = g.held[1:]
		return old
	}
	return nil
}

// release returns the held events older than cut (all of them with a zero
// cut), oldest first.
func (g *guard) release(cut time.Time) []*event.Event {
	n := 0
	for n < len(g.held) && (cut.IsZero() || !g.held[n].Time.After(cut)) {
		n++
	}
	if n == 0 {
		return nil
	}
	out := slices.Clone(g.held[:n])
	clear(g.held[:n])
	g.held = g.held[n:]
	if len(g.held) == 0 {
		g.held = nil // let the backing array go
	}
	return out
}
