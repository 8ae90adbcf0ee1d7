package normal

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// noDNS is N-NO-DNS: an endpoint connects to an internet address that no
// DNS answer gave it. The rule keeps, per endpoint, a bounded memory of
// the addresses its lookups returned (A and AAAA answers in dnsmasq, Zeek
// or Suricata DNS logs), and judges
//
//   - connections the endpoint itself opened to the internet (firewall,
//     Zeek conn, Suricata flow): traffic through the proxy never shows the
//     client's own lookups, since the proxy resolves for it, so only
//     traffic that goes direct is judged, and never a relay's (the proxy's
//     or the resolver's own connections);
//   - HTTP requests naming a bare internet address (no lookup is possible).
//
// It leaves alone: endpoints whose lookups it has never seen (they use a
// DNS server whose log mamori does not have); exempt ports (DNS and NTP,
// whose servers are configured by address); addresses the endpoint, its
// segment or the organisation reached unresolved while learning
// (configured services); endpoints that did so with many addresses while
// learning (they resolve elsewhere: DNS over HTTPS). A connection is held
// for a grace period before it is judged, so that a DNS log written a
// little later than the firewall's does not make a false alert.
type noDNS struct {
	rule
	relays   *relays
	resolved *detect.LRU[pair, time.Time]       // endpoint and address → when a lookup gave it
	anyone   *detect.LRU[netip.Addr, time.Time] // address → when any endpoint's lookup gave it
	lookups  *detect.LRU[netip.Addr, *dnsSeen]  // endpoint → its answers seen
	pending  *detect.LRU[pair, *unresolved]
	prof     *detect.SetProfile // addresses reached unresolved while learning
	exempt   map[uint16]bool
	grace    time.Duration
	maxAge   time.Duration
}

type pair struct{ ep, addr netip.Addr }

type dnsSeen struct {
	last time.Time
	n    uint32
}

// unresolved is a connection waiting for its grace period to end.
type unresolved struct {
	first time.Time
	last  *event.Event
	n     int
	ev    *event.Event // the first one
}

func newNoDNS(p detect.Params, env *detect.Env) detect.Detector {
	n := &noDNS{
		rule:     newRule(RuleNoDNS, env),
		resolved: detect.NewLRU[pair, time.Time](p.Int("max_answers", 200_000)),
		anyone:   detect.NewLRU[netip.Addr, time.Time](100_000),
		lookups:  detect.NewLRU[netip.Addr, *dnsSeen](1 << 16),
		pending:  detect.NewLRU[pair, *unresolved](4096),
		prof:     detect.NewSetProfile(p.Int("max_unresolved", 32)),
		exempt:   map[uint16]bool{},
		grace:    p.Duration("grace", 2*time.Minute),
		maxAge:   p.Duration("answer_age", 24*time.Hour),
	}
	n.relays = newRelays(p, n.eps)
	for _, port := range p.Ints("exempt_ports", []int{53, 123}) {
		if port > 0 && port < 1<<16 {
			n.exempt[uint16(port)] = true
		}
	}
	return n
}

// Params lists the tunables.
func (n *noDNS) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_answers", Default: 200_000, Doc: "endpoint-and-address answers remembered (least recently used forgotten first)"},
		{Name: "answer_age", Default: "24h", Doc: "how long an answer counts: about the longest a resolver cache keeps one"},
		{Name: "grace", Default: "2m", Doc: "how long a connection waits for a DNS answer logged later than it"},
		{Name: "exempt_ports", Default: []int{53, 123}, Doc: "destination ports of services configured by address (DNS, NTP)"},
		{Name: "max_unresolved", Default: 32, Doc: "an endpoint that reached this many addresses unresolved while learning resolves elsewhere and is not judged"},
		relayParam,
	}
}

// Kinds lists the events read: DNS answers, connections, and HTTP for
// bare addresses and the proxy log.
func (n *noDNS) Kinds() []event.Kind {
	return []event.Kind{event.KindDNS, event.KindConnection, event.KindHTTP}
}

// answers remembers the addresses a DNS event gave its client.
func (n *noDNS) answers(ev *event.Event) {
	client := ev.SrcIP
	if len(ev.Answers) == 0 || !client.IsValid() || !n.env.Internal(client) {
		return
	}
	got := false
	for _, ans := range ev.Answers {
		a, ok := ipLiteral(ans)
		if !ok || !publicAddr(a) {
			continue // CNAME targets, sinkhole answers
		}
		got = true
		k := pair{client, a}
		n.resolved.Put(k, ev.Time)
		n.anyone.Put(a, ev.Time)
		n.pending.Remove(k)
	}
	if got {
		s := n.lookups.GetOr(client, func() *dnsSeen { return &dnsSeen{} })
		s.last = ev.Time
		if s.n < 1<<31 {
			s.n++
		}
	}
}

// target returns the endpoint and address of a connection that must have
// been resolved, with the address as the connection names it.
func (n *noDNS) target(ev *event.Event) (src, dst netip.Addr, ok bool) {
	switch ev.Kind {
	case event.KindConnection:
		src, dst, ok = outbound(n.env, ev)
		if !ok || ev.DstPort == 0 || n.exempt[ev.DstPort] {
			return src, dst, false
		}
	case event.KindHTTP:
		if !ev.Endpoint.IsValid() || ev.Endpoint != ev.SrcIP {
			return src, dst, false
		}
		src = ev.SrcIP
		dst, ok = ipLiteral(requestHost(ev))
		if !ok || n.env.Internal(dst) || !publicAddr(dst) {
			return src, dst, false
		}
	default:
		return src, dst, false
	}
	if n.relays.is(src) {
		return src, dst, false
	}
	if _, seen := n.lookups.Peek(src); !seen {
		return src, dst, false // its lookups are not in our logs
	}
	return src, dst, true
}

// wasResolved reports whether a lookup gave addr to ep recently enough.
func (n *noDNS) wasResolved(ep, addr netip.Addr, at time.Time) bool {
	t, ok := n.resolved.Get(pair{ep, addr})
	return ok && at.Sub(t) <= n.maxAge
}

// Learn remembers answers and the addresses reached without one.
func (n *noDNS) Learn(ev *event.Event) {
	n.learnt++
	n.relays.note(n.env, ev)
	if n.sensorCopy(ev) {
		return
	}
	if ev.Kind == event.KindDNS {
		n.answers(ev)
		return
	}
	src, dst, ok := n.target(ev)
	if !ok || n.wasResolved(src, dst, ev.Time) {
		return
	}
	in := n.eps.get(src)
	n.prof.Learn(in.id, in.segment, dst.String())
}

// Observe remembers answers and holds connections to unresolved addresses
// for the grace period.
func (n *noDNS) Observe(ev *event.Event, em *detect.Emitter) {
	n.relays.note(n.env, ev)
	if n.sensorCopy(ev) {
		return
	}
	if ev.Kind == event.KindDNS {
		n.answers(ev)
		return
	}
	if !n.ready() {
		return
	}
	src, dst, ok := n.target(ev)
	if !ok || n.wasResolved(src, dst, ev.Time) {
		return
	}
	k := pair{src, dst}
	if u, ok := n.pending.Get(k); ok {
		u.n++
		u.last = ev
		return
	}
	in := n.eps.get(src)
	if usual, _ := n.prof.Usual(in.id, in.segment, dst.String()); usual {
		return
	}
	n.pending.Put(k, &unresolved{first: ev.Time, ev: ev, last: ev, n: 1})
}

// Tick judges the connections whose grace period is over.
func (n *noDNS) Tick(now time.Time, em *detect.Emitter) {
	n.judge(now, em, false)
	n.rule.Tick(now, em)
}

// Finish judges every connection still held: no more answers will come.
func (n *noDNS) Finish(now time.Time, em *detect.Emitter) {
	n.judge(now, em, true)
	n.rule.Finish(now, em)
}

func (n *noDNS) judge(now time.Time, em *detect.Emitter, all bool) {
	var due []pair
	n.pending.Each(func(k pair, u *unresolved) {
		if all || now.Sub(u.first) >= n.grace {
			due = append(due, k)
		}
	})
	for _, k := range due {
		u, _ := n.pending.Peek(k)
		n.pending.Remove(k)
		n.report(k, u, em)
	}
}

func (n *noDNS) report(k pair, u *unresolved, em *detect.Emitter) {
	ev := u.last
	in := n.eps.get(k.ep)
	dst := k.addr.String()
	score := 0.7
	others, othersJA := "", ""
	if t, ok := n.anyone.Peek(k.addr); ok && ev.Time.Sub(t) <= n.maxAge {
		score = 0.4 // another endpoint's lookup gave it: shared hosting, or a cached answer
		others, othersJA = "; another endpoint's lookup did return it", "（他のエンドポイントの名前解決では返されている）"
	}
	how, howJA := verdict(ev)
	switch {
	case ev.Kind == event.KindHTTP:
		how, howJA = "an HTTP request naming the bare address", "IPアドレス直接指定のHTTPリクエスト"
	case ev.Action == event.ActionDeny:
		score -= 0.2
		how, howJA = "blocked by "+ev.Format, ev.Format+"で遮断"
	default:
		how, howJA = how+" by "+ev.Format, ev.Format+"で"+howJA
	}
	if ev.Kind == event.KindConnection && ev.Action != event.ActionDeny && ev.BytesIn > 0 {
		score += 0.1
	}
	var lookups uint32
	if s, ok := n.lookups.Peek(k.ep); ok {
		lookups = s.n
	}
	port := portName(ev.Transport, ev.DstPort)
	if ev.Kind == event.KindHTTP {
		port = strconv.Itoa(int(urlPortOr(ev.URL, ev.DstPort)))
	}
	evidence := []*event.Event{u.ev}
	if u.last != u.ev {
		evidence = append(evidence, u.last)
	}
	n.lim.emit(em, detect.Finding{
		Time: ev.Time, FirstSeen: u.first, Endpoint: in.id, Host: ev.Host, Peer: dst, Key: dst,
		Score: score, Count: u.n, Rare: rare(n.env, dst),
		Summary: fmt.Sprintf("connected to %s port %s (%s, %s) without a DNS answer giving it that address in the last %s, while %d of its lookups were seen%s",
			dst, port, how, pluralTimes(u.n), durText(n.maxAge), lookups, others),
		SummaryJA: fmt.Sprintf("名前解決をせずに %s のポート %s へ接続（%s、%d回）%s", dst, port, howJA, u.n, othersJA),
		Details: map[string]string{
			"dst_ip": dst, "dst_port": port, "action": ev.Action.String(), "lookups_seen": strconv.FormatUint(uint64(lookups), 10),
			"connections": strconv.Itoa(u.n),
		},
		Evidence: evidence,
	})
}

// urlPortOr returns a URL's port, else def, else 80.
func urlPortOr(u string, def uint16) uint16 {
	if p := urlPort(u); p != 0 {
		return p
	}
	if def != 0 {
		return def
	}
	return 80
}

func pluralTimes(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

// noDNSBaseline is what N-NO-DNS saves: the learned exceptions and who
// uses the proxy. The answer memory is rebuilt by replaying recent events.
type noDNSBaseline struct {
	Learned int64              `json:"learned_events"`
	Profile *detect.SetProfile `json:"profile"`
	savedRelays
}

// Baseline returns the learned state.
func (n *noDNS) Baseline() any {
	return noDNSBaseline{Learned: n.learnt, Profile: n.prof, savedRelays: n.relays.save()}
}

// Restore sets the learned state.
func (n *noDNS) Restore(b []byte) error {
	var v noDNSBaseline
	if err := restoreJSON(n.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		n.prof = v.Profile
	}
	n.learnt = v.Learned
	n.relays.restore(v.savedRelays)
	return nil
}
