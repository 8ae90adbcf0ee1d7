package statistical

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/internal/human"
)

// Beacon is S-BEACON: an internal endpoint contacting one destination at a
// regular interval with similar sizes, scored the way RITA scores beacons,
// and an internal server polled from outside at a regular interval.
//
// A destination is the domain of a proxy, HTTP or TLS event (the proxy
// hides the server's address, so CONNECT lines count by host name), the
// name of a DNS lookup, or the external address and port of a connection
// (one address serves several services). For each endpoint → destination
// pair the detector keeps the times and sizes of its contacts (events less
// than burst_gap apart are one contact: Squid and Zeek log the same
// request, a check-in is often a request or two). Every `every` of event
// time it scores the pairs that had new contacts over the last `window`:
//
//   - interval regularity: Bowley skewness and median absolute deviation
//     of the intervals, after folding intervals close to 2, 3 or 4 times
//     the median (within the beats' own jitter, and only when at most a
//     third of the gaps fold) back to it when there is a rhythm (a missed
//     beat is not jitter). The dispersion is measured above burst_gap,
//     the shortest interval merging leaves, and a median under twice it
//     has no rhythm to tell: busy random traffic, merged into contacts
//     whose starts cannot be closer than the gap, otherwise reads as a
//     five-second beacon (TestBeaconRandomArrivalsNeverAboveLow);
//   - size regularity: the same on the bytes of each contact (left out when
//     the logs give no sizes, as Zeek's http.log for CONNECT);
//   - coverage: how long the rhythm has held, how many of the expected
//     beats came, and how evenly they spread over the hours they span.
//
// The interval score gates the other two (a beacon needs a rhythm; steady
// sizes and hours only refine it), which keeps traffic without rhythm
// under 0.5 and beacons with ±20 % jitter that miss a tenth of their
// beats above 0.75 (TestBeaconScoreSeparation).
//
// A pair scoring at least min_score with at least min_contacts contacts
// is reported (the names are the rule's settings), its summary naming the
// port and protocol. What the pair is decides the weight:
//
//   - a destination most endpoints reach is normal business (update
//     checks, antivirus, telemetry): skipped outright, not reported at
//     info, because the alert list is for what needs a look;
//   - a well-known service the catalog ships (NTP by its port, public
//     resolvers, OS, browser and antivirus updates, CRL and OCSP,
//     connectivity checks: catalog.ServiceOf), or a site of a benign
//     category in the configured category list, is a timer by design:
//     info, never above low, naming the service. This works with one
//     endpoint, where prevalence has nothing to count;
//   - an outside client polling an internal server at a regular interval
//     (an implant or web shell being polled; an uptime monitor does the
//     same) is medium, with its own explanation ("polled from outside
//     every 270 s"). Only answered contacts count: refused probes on a
//     timer are the internet's background, not polls;
//   - a timer none of whose connections were answered (refused, or no
//     reply) is an attempt, not a channel: medium.
//
// The machines that relay others' traffic (the proxy, the gateway) are
// left out: their clients are judged. The office's own addresses (the
// inventory's, this machine's) are not destinations.
type Beacon struct {
	env    *detect.Env
	relays *relays

	window      time.Duration
	every       time.Duration
	minContacts int
	minScore    float64
	maxContacts int
	burstGap    int64 // seconds
	fullSpan    time.Duration
	commonUsers int
	commonShare float64
	benign      map[string]bool

	pairs *detect.LRU[pairKey, *pair]
	dirty []*pair // pairs with contacts not yet scored
	// siblings are, per endpoint and destination address, the services
	// its beacons to it were reported on (see group).
	siblings *detect.LRU[string, []sibling]
	next     time.Time // next evaluation
	scratch  scratch
}

// pairKey names an endpoint → destination pair without allocating: the
// endpoint's address (or its host name when the address is unknown) and
// the destination's name or address.
type pairKey struct {
	ep   netip.Addr
	host string
	name string
	ip   netip.Addr
	dns  bool // a lookup of name rather than traffic to it
	// in: an outside client (ip) polling the endpoint, a server.
	in bool
	// port and proto are the service of an address destination (the
	// endpoint's own port when in): one address serves several.
	port  uint16
	proto string
}

func (k pairKey) dest() string {
	if k.name != "" {
		return k.name
	}
	return k.ip.String()
}

// key names the pair among the endpoint's alerts of the rule.
func (k pairKey) key() string {
	switch {
	case k.in:
		return "polled by " + k.ip.String() + " on " + portName(k.proto, k.port)
	case k.name == "" && k.port != 0:
		return netip.AddrPortFrom(k.ip, k.port).String() + "/" + k.proto
	}
	return k.dest()
}

func (k pairKey) endpoint() string {
	if k.ep.IsValid() {
		return k.ep.String()
	}
	return k.host
}

// contact is one burst of traffic of a pair: when it began (seconds since
// the pair's base) and how many bytes it carried (saturating).
type contact struct {
	at, bytes uint32
}

// pair is the state of one endpoint → destination pair.
type pair struct {
	key      pairKey
	base     int64     // unix seconds the contact times count from
	contacts []contact // a ring of the latest contacts once full
	head     int       // index of the oldest contact when the ring is full
	first    int64     // unix seconds of the first contact ever seen
	total    int       // contacts ever seen
	host     string
	dirty    bool
	// events and failed count the pair's events and those refused or
	// unanswered (detect.ExchangeOf): a timer nobody answers is an
	// attempt, not a channel.
	events, failed int
	// svc is the service of the latest contact for explanations
	// ("443/tcp (tunnel)"): a name's port is in its events, not its key.
	svc     string
	svcRank uint8 // how well svc's event named it (serviceRank)
	// Evidence, kept once the pair has half the contacts it needs (most
	// pairs never do): the event that got it there, and the latest.
	ev *[2]evidence
}

// Beacon defaults: a day is the window RITA scores; 20 contacts is the
// least that gives stable quartiles; 0.72 lies between traffic without
// rhythm (Poisson arrivals under 0.4; a person's sparse visits to one site,
// whose gaps are sums of browsing gaps, reach 0.70 in about one draw in
// three hundred: TestBeaconIgnoresSparseRandomVisits) and jittered beacons
// (0.75 and up); 300 contacts cover a day
// of a five-minute beacon in 2.4 kB per pair; 5 s merges the proxy's and
// the sensor's record of one request; 6 h of a steady rhythm is full
// coverage (RITA: 12 h, but the console should speak sooner); 3 endpoints
// that are a quarter of all make a destination widely used.
const (
	beaconWindow      = 24 * time.Hour
	beaconEvery       = time.Hour
	beaconMinContacts = 20
	beaconMinScore    = 0.72
	beaconMaxPairs    = 100_000
	beaconMaxContacts = 300
	beaconBurstGap    = 5 * time.Second
	beaconFullSpan    = 6 * time.Hour
	commonUsers       = 3
	commonShare       = 0.25
)

// defaultBenignCategories are site categories of services that call home
// on a timer by design.
var defaultBenignCategories = []string{"software-update", "telemetry", "antivirus", "pki", "ntp", "connectivity-check"}

// NewBeacon builds S-BEACON.
func NewBeacon(p detect.Params, env *detect.Env) detect.Detector {
	b := &Beacon{
		env:         env,
		relays:      newRelays(p.Strings("relay_roles", defaultRelayRoles), env),
		window:      p.Duration("window", beaconWindow),
		every:       p.Duration("every", beaconEvery),
		minContacts: max(4, p.Int("min_contacts", beaconMinContacts)),
		minScore:    p.Float("min_score", beaconMinScore),
		maxContacts: max(8, p.Int("max_contacts", beaconMaxContacts)),
		burstGap:    int64(p.Duration("burst_gap", beaconBurstGap) / time.Second),
		fullSpan:    p.Duration("full_span", beaconFullSpan),
		commonUsers: p.Int("common_users", commonUsers),
		commonShare: p.Float("common_share", commonShare),
		benign:      map[string]bool{},
		pairs:       detect.NewLRU[pairKey, *pair](max(1, p.Int("max_pairs", beaconMaxPairs))),
		siblings:    detect.NewLRU[string, []sibling](max(1, p.Int("max_pairs", beaconMaxPairs))),
	}
	for _, c := range p.Strings("benign_categories", defaultBenignCategories) {
		b.benign[strings.ToLower(c)] = true
	}
	b.pairs.OnEvict = func(_ pairKey, p *pair) { p.dirty = false } // forgotten: not scored
	return b
}

// Rule implements detect.Detector.
func (*Beacon) Rule() string { return "S-BEACON" }

// Kinds implements detect.Detector.
func (*Beacon) Kinds() []event.Kind {
	return []event.Kind{event.KindConnection, event.KindHTTP, event.KindTLS, event.KindDNS}
}

// Params implements detect.Parameterized.
func (*Beacon) Params() []detect.Param {
	return []detect.Param{
		{Name: "window", Default: "24h", Doc: "how far back contacts are scored"},
		{Name: "every", Default: "1h", Doc: "how often (event time) pairs with new contacts are scored"},
		{Name: "min_contacts", Default: beaconMinContacts, Doc: "fewest contacts in the window for a pair to be scored"},
		{Name: "min_score", Default: beaconMinScore, Doc: "lowest beacon score (0–1) reported"},
		{Name: "max_pairs", Default: beaconMaxPairs, Doc: "endpoint → destination pairs tracked; the least recently active are forgotten"},
		{Name: "max_contacts", Default: beaconMaxContacts, Doc: "contacts kept per pair (the latest)"},
		{Name: "burst_gap", Default: "5s", Doc: "events of a pair closer than this are one contact"},
		{Name: "full_span", Default: "6h", Doc: "how long a rhythm must hold for full coverage"},
		{Name: "common_users", Default: commonUsers, Doc: "endpoints that, if also common_share of all, make a destination widely used (skipped)"},
		{Name: "common_share", Default: commonShare, Doc: "share of all endpoints that, with common_users, makes a destination widely used"},
		{Name: "benign_categories", Default: defaultBenignCategories, Doc: "site categories (of the configured category list) of update and telemetry services, reported at info; the catalog's well-known services always are"},
		{Name: "relay_roles", Default: defaultRelayRoles, Doc: "inventory roles of machines that relay others' traffic (left out)"},
	}
}

// Observe implements detect.Detector: it records a contact.
func (b *Beacon) Observe(ev *event.Event, _ *detect.Emitter) {
	b.relays.note(ev)
	if b.relays.is(ev.Endpoint) {
		return // a relay: its clients are judged
	}
	x := detect.ExchangeOf(ev)
	if x == detect.ExchangeICMPError {
		return // a report about other traffic, not a contact
	}
	inbound := ev.Endpoint.IsValid() && ev.Endpoint != ev.SrcIP
	if inbound && (x.Failed() || ev.Endpoint != ev.DstIP || !ev.SrcIP.IsValid() || b.env.Internal(ev.SrcIP) || ev.Kind == event.KindDNS) {
		// Towards the endpoint, only an outside client's answered
		// contacts with a server are polls: refused probes are what
		// the internet sends every public address.
		return
	}
	k, ok := b.keyOf(ev, inbound)
	if !ok {
		return
	}
	at := ev.Time
	if ev.Format == "squid" && ev.Duration > 0 {
		at = at.Add(-ev.Duration) // Squid logs a request when it ends
	}
	p, ok := b.pairs.Get(k)
	if !ok {
		// The key outlives the event: its strings must not keep the
		// event's line alive.
		k.host, k.name = strings.Clone(k.host), strings.Clone(k.name)
		p = &pair{key: k, base: at.Unix(), first: at.Unix(), host: strings.Clone(ev.Host), contacts: make([]contact, 0, 4)}
		b.pairs.Put(k, p)
	}
	p.add(at.Unix(), ev.BytesIn+ev.BytesOut, b.burstGap, b.maxContacts)
	p.events++
	if x.Failed() {
		p.failed++
	}
	// A name's service comes best from the request itself (a CONNECT
	// names its port); a TLS handshake seen on the way to the proxy
	// names the proxy's.
	if rank := serviceRank(ev, b.env); rank >= p.svcRank {
		if svc := beaconService(ev, k); svc != p.svc {
			p.svc = strings.Clone(svc)
		}
		p.svcRank = rank
	}
	if p.total*2 >= b.minContacts {
		if p.ev == nil {
			p.ev = &[2]evidence{evidenceOf(ev)}
		}
		p.ev[1] = evidenceOf(ev)
	}
	if !p.dirty {
		p.dirty = true
		b.dirty = append(b.dirty, p)
	}
}

// keyOf names the pair of an event: endpoint and destination, or for an
// inbound event the server and its outside client.
func (b *Beacon) keyOf(ev *event.Event, inbound bool) (pairKey, bool) {
	k := pairKey{ep: ev.Endpoint}
	if inbound {
		k.in, k.ip, k.port, k.proto = true, ev.SrcIP, ev.DstPort, transportOf(ev)
		return k, k.ip.IsGlobalUnicast() && !b.env.Own(k.ip)
	}
	if !k.ep.IsValid() {
		if ev.Host == "" {
			return k, false
		}
		k.host = ev.Host
	}
	switch ev.Kind {
	case event.KindDNS:
		k.name, k.dns = normName(ev.Query), true
	case event.KindHTTP, event.KindTLS:
		k.name = normName(ev.Domain)
	}
	switch {
	case k.name != "":
		if c := k.name[0]; '0' <= c && c <= '9' || strings.IndexByte(k.name, ':') >= 0 {
			if a, err := netip.ParseAddr(k.name); err == nil {
				k.ip, k.name = a, "" // a bare address in the Host header
			}
		}
		if k.name != "" && !externalName(k.name) {
			return k, false
		}
	case ev.Kind == event.KindDNS:
		return k, false
	default:
		k.ip = ev.Peer()
		if k.proto = transportOf(ev); !detect.IsICMP(k.proto) {
			k.port = ev.DstPort // Zeek writes an ICMP type and code as ports
		}
	}
	if k.name == "" && (!k.ip.IsValid() || b.env.Own(k.ip) || !k.ip.IsGlobalUnicast()) {
		return k, false // the office's own addresses (a resolver in the inventory) are not destinations
	}
	return k, true
}

// transportOf is an event's transport as a constant (no event string is
// kept by state), "tcp" for HTTP and TLS when the log does not say.
func transportOf(ev *event.Event) string {
	if ev.Transport == "" && (ev.Kind == event.KindHTTP || ev.Kind == event.KindTLS) {
		return "tcp"
	}
	return transport(ev.Transport)
}

// beaconService names the service of a contact for explanations: port,
// transport and application ("443/tcp (tunnel)", "123/udp (ntp)"). A
// proxied request's port is the one it names, not the proxy's.
func beaconService(ev *event.Event, k pairKey) string {
	if k.dns {
		return "DNS"
	}
	port, proto, app := ev.DstPort, transportOf(ev), strings.ToLower(ev.Service)
	switch ev.Kind {
	case event.KindHTTP:
		app = "http"
		rest, https := strings.CutPrefix(ev.URL, "https://")
		rest, plain := strings.CutPrefix(rest, "http://")
		switch {
		case ev.Method == "CONNECT":
			app, port = "tunnel", 443
		case https:
			port = 443
		case plain:
			port = 80
		}
		if p := authorityPort(rest); p != 0 {
			port = p
		}
	case event.KindTLS:
		app = "tls"
	}
	if k.port != 0 {
		port, proto = k.port, k.proto
	}
	svc := portName(proto, port)
	if detect.IsICMP(proto) {
		svc = proto
	}
	if app != "" && app != "-" && len(app) <= 16 && !strings.ContainsAny(app, " \t") {
		svc += " (" + app + ")"
	}
	return svc
}

// serviceRank says how well an event names the service of its
// destination: a request does (2), a TLS handshake or connection to an
// internal machine (the proxy) names only the way there (0).
func serviceRank(ev *event.Event, env *detect.Env) uint8 {
	switch {
	case ev.Kind == event.KindHTTP:
		return 2
	case ev.DstIP.IsValid() && env.Internal(ev.DstIP):
		return 0
	}
	return 1
}

// authorityPort returns the port of "host:port[/...]" (a CONNECT target,
// a URL without its scheme), or 0.
func authorityPort(s string) uint16 {
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.HasSuffix(s[:i], ":") || (strings.Count(s, ":") > 1 && !strings.Contains(s, "]:")) {
		return 0
	}
	n, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return 0
	}
	return uint16(n)
}

// add records a contact at unix second t carrying n bytes.
func (p *pair) add(t, n int64, gap int64, maxContacts int) {
	if t < p.first {
		p.first = t
	}
	if t < p.base { // out of order before the base: treat as at the base
		t = p.base
	}
	if len(p.contacts) > 0 {
		last := &p.contacts[p.newest()]
		if d := t - (p.base + int64(last.at)); d < gap && d > -gap {
			last.bytes = satAdd(last.bytes, n)
			return
		}
	}
	p.total++
	rel := t - p.base
	if rel > math.MaxUint32 {
		p.rebase(t)
		rel = 0
	}
	c := contact{at: uint32(rel), bytes: satAdd(0, n)}
	if len(p.contacts) < maxContacts {
		p.contacts = append(p.contacts, c)
		return
	}
	p.contacts[p.head] = c
	p.head = (p.head + 1) % len(p.contacts)
}

// rebase drops every contact and counts from t: a pair's times are
// kept as 32-bit seconds from its base, and a contact 136 years later
// (a broken timestamp) cannot be.
func (p *pair) rebase(t int64) {
	p.base = t
	p.contacts = p.contacts[:0]
	p.head = 0
}

func (p *pair) newest() int {
	if p.head == 0 {
		return len(p.contacts) - 1
	}
	return p.head - 1
}

func satAdd(a uint32, n int64) uint32 {
	if n <= 0 {
		return a
	}
	s := int64(a) + n
	if s > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(s)
}

// Tick implements detect.Ticker: every `every` it scores the pairs with new
// contacts and forgets pairs silent for a whole window.
func (b *Beacon) Tick(now time.Time, em *detect.Emitter) {
	if b.next.IsZero() {
		b.next = now.Add(b.every)
		return
	}
	if now.Before(b.next) {
		return
	}
	b.next = now.Add(b.every)
	b.evaluate(now, em)
	b.sweep(now)
}

// Finish implements detect.Finisher.
func (b *Beacon) Finish(now time.Time, em *detect.Emitter) { b.evaluate(now, em) }

func (b *Beacon) evaluate(now time.Time, em *detect.Emitter) {
	dirty := b.dirty
	b.dirty = b.dirty[:0] // reused: nothing is marked while scoring
	for _, p := range dirty {
		if !p.dirty {
			continue // forgotten since
		}
		p.dirty = false
		if f, ok := b.score(p.key, p, now); ok {
			em.Emit(f)
		}
	}
	clear(dirty) // let forgotten pairs go
}

// sweep forgets pairs whose last contact left the window.
func (b *Beacon) sweep(now time.Time) {
	cut := now.Add(-b.window).Unix()
	var stale []pairKey
	b.pairs.Each(func(k pairKey, p *pair) {
		if len(p.contacts) == 0 || p.base+int64(p.contacts[p.newest()].at) < cut {
			stale = append(stale, k)
		}
	})
	for _, k := range stale {
		b.pairs.Remove(k)
	}
}

// beaconScore is a pair's scoring, with the figures an alert explains.
type beaconScore struct {
	n           int
	first, last int64 // unix seconds of the first and last contact scored
	interval    spread
	folded      int // missed beats folded back
	size        spread
	sized       bool    // the logs gave sizes
	ts, ds, cov float64 // interval, size and coverage scores
	score       float64
	activeH     int // hours with contacts
	spanH       int // hours from the first contact to the last
}

// sample is a contact being scored.
type sample struct{ t, n float64 }

// scratch are buffers reused by evaluations.
type scratch struct {
	samples                        []sample
	intervals, sizes, dev, folding []float64
}

// measure scores the contacts of p within the window ending at now.
func (b *Beacon) measure(p *pair, now time.Time) (beaconScore, bool) {
	sc := &b.scratch
	cut := now.Add(-b.window).Unix()
	sc.samples = sc.samples[:0]
	for i := range p.contacts {
		c := p.contacts[(p.head+i)%len(p.contacts)]
		if t := p.base + int64(c.at); t >= cut {
			sc.samples = append(sc.samples, sample{float64(t), float64(c.bytes)})
		}
	}
	if len(sc.samples) < b.minContacts {
		return beaconScore{}, false
	}
	// Contacts are kept in arrival order: sort them by time and merge any
	// that arrival order kept apart.
	slices.SortFunc(sc.samples, func(a, c sample) int { return cmp.Compare(a.t, c.t) })
	cs := sc.samples[:1]
	for _, x := range sc.samples[1:] {
		if last := &cs[len(cs)-1]; x.t-last.t < float64(b.burstGap) {
			last.n += x.n
			continue
		}
		cs = append(cs, x)
	}
	n := len(cs)
	if n < b.minContacts {
		return beaconScore{}, false
	}
	s := beaconScore{n: n, first: int64(cs[0].t), last: int64(cs[n-1].t)}

	// Interval regularity, with missed beats folded back: an interval
	// within half a period of 2, 3 or 4 periods is that many beats. Only
	// a rhythm has beats to miss: folding is done only when the intervals
	// shorter than 1.5 periods are themselves regular (relative MAD under
	// a quarter), or it would pull random gaps towards the median.
	sc.intervals, sc.folding = sc.intervals[:0], sc.folding[:0]
	for i := 1; i < n; i++ {
		sc.intervals = append(sc.intervals, cs[i].t-cs[i-1].t)
	}
	sc.folding = append(sc.folding, sc.intervals...)
	var raw spread
	raw, sc.dev = describe(sc.folding, sc.dev)
	if m := raw.Median; m > 0 {
		core := sc.folding[:0]
		for _, d := range sc.intervals {
			if d <= 1.5*m {
				core = append(core, d)
			}
		}
		var c spread
		c, sc.dev = describe(core, sc.dev)
		if c.Dispersion() < 0.25 {
			// A missed beat lands near a multiple of the period, within the
			// jitter the beats themselves show: a tolerance of half a period
			// would take in every gap between 1.5 and 4.5 periods and make
			// random arrivals look periodic. And a rhythm misses a few beats,
			// not most: when more than a third of the gaps would fold, there
			// is no rhythm to restore.
			tol := math.Min(0.5*c.Median, math.Max(3*c.MAD, 0.1*c.Median))
			folds := 0
			for _, d := range sc.intervals {
				if k := math.Round(d / c.Median); d > 1.5*c.Median && k <= 4 && math.Abs(d-k*c.Median) <= tol*math.Sqrt(k) {
					folds++
				}
			}
			if 3*folds <= len(sc.intervals) {
				for i, d := range sc.intervals {
					if k := math.Round(d / c.Median); d > 1.5*c.Median && k <= 4 && math.Abs(d-k*c.Median) <= tol*math.Sqrt(k) {
						sc.intervals[i] = d / k
						s.folded += int(k) - 1
					}
				}
			}
		}
	}
	s.interval, sc.dev = describe(sc.intervals, sc.dev)
	// Contacts closer than burst_gap are one contact, so no interval is
	// shorter: the spread of intervals is measured above that floor, or
	// busy random traffic (a request every few seconds, merged into
	// contacts whose starts cannot be closer than the gap) reads as a
	// rhythm pressed against it. A period under twice the gap is the
	// merging's own, not the traffic's: no rhythm can be told there.
	if gap := float64(b.burstGap); s.interval.Median >= 2*gap {
		above := s.interval
		above.Median -= gap
		s.ts = above.rhythm()
	}

	// Size regularity on RITA's scale (a MAD as large as the median
	// scores 0), when the logs give sizes.
	sc.sizes = sc.sizes[:0]
	for _, x := range cs {
		sc.sizes = append(sc.sizes, x.n)
		s.sized = s.sized || x.n > 0
	}
	if s.sized {
		s.size, sc.dev = describe(sc.sizes, sc.dev)
		s.ds = s.size.regularity(1)
	}

	// Coverage: how long the rhythm held, how many of the beats it
	// implies came, and how evenly they spread over the hours they span.
	spanS := float64(s.last - s.first)
	length := clamp01(spanS / b.fullSpan.Seconds())
	expected := 1.0
	if m := s.interval.Median; m > 0 {
		expected = spanS/m + 1
	}
	fill := clamp01(float64(n) / expected)
	s.spanH = int(s.last/3600-s.first/3600) + 1
	prev := int64(-1)
	for _, x := range cs {
		if h := int64(x.t) / 3600; h != prev {
			s.activeH++
			prev = h
		}
	}
	hours := clamp01(float64(s.activeH) / math.Max(1, math.Min(float64(s.spanH), expected)))
	s.cov = length * (fill + hours) / 2

	// Without a rhythm there is no beacon, however steady the sizes and
	// the hours: the interval score gates the rest, which refine it. (RITA
	// adds weighted sub-scores; gating keeps random traffic with steady
	// sizes, which adds up to 0.7 there, at the level of its rhythm.)
	if s.sized {
		s.score = s.ts * (0.6 + 0.15*s.ds + 0.25*s.cov)
	} else {
		s.score = s.ts * (0.7 + 0.3*s.cov)
	}
	return s, true
}

// score evaluates one pair and makes its finding.
func (b *Beacon) score(k pairKey, p *pair, now time.Time) (detect.Finding, bool) {
	s, ok := b.measure(p, now)
	if !ok || s.score < b.minScore {
		return detect.Finding{}, false
	}
	dest := k.dest()
	site := dest
	if k.name != "" {
		site = detect.Site(dest)
	}
	if !k.in && widelyUsed(b.env.Prevalence, site, b.commonUsers, b.commonShare) {
		return detect.Finding{}, false
	}
	benign, benignJA := b.knownTimer(k)
	preEN, preJA := "", ""
	if !k.in {
		preEN, preJA = prevalenceOf(b.env.Prevalence, site)
	}
	every := time.Duration(s.interval.Median * float64(time.Second))
	over := time.Duration(s.last-s.first) * time.Second
	disp := int(math.Round(100 * s.interval.Dispersion()))
	svc := p.svc
	var sum strings.Builder
	var ja string
	switch {
	case k.in:
		fmt.Fprintf(&sum, "polled from outside every %s ±%d %%, %d times over %s by %s on %s", span(every), disp, s.n, dur(over), dest, svc)
		ja = fmt.Sprintf("外部の %s から %s（%s）へ%s間隔（±%d%%）の定期的な接続：%sに%d回", dest, k.endpoint(), svc, spanJA(every), disp, durJA(over), s.n)
	case k.dns:
		fmt.Fprintf(&sum, "DNS lookup of %s every %s ±%d %%, %d times over %s", dest, span(every), disp, s.n, dur(over))
		ja = fmt.Sprintf("%sの名前解決（DNS）：%s間隔（±%d%%）で%sに%d回", dest, spanJA(every), disp, durJA(over), s.n)
	default:
		fmt.Fprintf(&sum, "beacon every %s ±%d %%, %d times over %s to %s on %s", span(every), disp, s.n, dur(over), dest, svc)
		ja = fmt.Sprintf("%s（%s）への定期通信：%s間隔（±%d%%）で%sに%d回", dest, svc, spanJA(every), disp, durJA(over), s.n)
	}
	if s.folded > 0 {
		fmt.Fprintf(&sum, " (%s missed)", detect.Plural(s.folded, "beat"))
	}
	if preEN != "" {
		sum.WriteString(", " + preEN)
		ja += "（" + preJA + "）"
	}
	score := s.score
	var sev *alert.Severity
	lower := func(to alert.Severity, maxScore float64) {
		if sev == nil || to < *sev {
			sev = &to
		}
		score = min(score, maxScore)
	}
	noAnswer := p.events > 0 && p.failed == p.events
	switch {
	case benign != "":
		fmt.Fprintf(&sum, "; %s", benign)
		ja += "。" + benignJA
		lower(alert.Info, 0.39) // never raised above low by the score
	case k.in:
		// A webshell or implant polled from outside looks like this;
		// so does an uptime monitor. One step below an outbound beacon,
		// which is medium alone (the engine's ceiling for a statistical
		// finding without a known attack or corroboration): low, medium
		// when another perspective corroborates it.
		fmt.Fprintf(&sum, "; an implant or web shell being polled looks like this, and so does an uptime monitor: is %s yours?", dest)
		ja += "。外部からポーリングされるバックドアやWebシェルはこう見える（死活監視も同様）。" + dest + " は自組織のものか"
		lower(alert.Low, 0.84)
	case noAnswer:
		// No channel: one step below an outbound beacon, as above.
		fmt.Fprintf(&sum, "; none of its %d connections was answered (refused or no reply): an attempt, not a channel", p.events)
		ja += fmt.Sprintf("。%d回の接続のいずれにも応答がない（拒否または無応答）。通信路は成立していない", p.events)
		lower(alert.Low, 0.84)
	}
	f := detect.Finding{
		Time:      time.Unix(s.last, 0).UTC(),
		FirstSeen: time.Unix(p.first, 0).UTC(),
		Endpoint:  k.endpoint(),
		Host:      p.host,
		Peer:      dest,
		Key:       k.key(),
		Score:     score,
		Count:     p.total,
		Absolute:  true,
		Summary:   sum.String(),
		SummaryJA: ja,
		Details: map[string]string{
			"interval_s":      strconv.Itoa(int(math.Round(s.interval.Median))),
			"dispersion_pct":  strconv.Itoa(disp),
			"interval_skew":   strconv.FormatFloat(s.interval.Skew, 'f', 2, 64),
			"contacts":        strconv.Itoa(s.n),
			"span":            over.String(),
			"missed_beats":    strconv.Itoa(s.folded),
			"hours_active":    fmt.Sprintf("%d of %d", s.activeH, s.spanH),
			"interval_score":  strconv.FormatFloat(s.ts, 'f', 2, 64),
			"coverage_score":  strconv.FormatFloat(s.cov, 'f', 2, 64),
			"beacon_score":    strconv.FormatFloat(s.score, 'f', 2, 64),
			"window":          b.window.String(),
			"service":         svc,
			"unanswered":      fmt.Sprintf("%d of %d", p.failed, p.events),
			"destination_use": preEN,
		},
		Evidence: events(p.ev[:]...),
		Severity: sev,
		Rare:     !k.in && b.env.Prevalence != nil && b.env.Prevalence.Rare(site),
	}
	if k.in {
		f.Details["direction"] = "inbound"
		f.Phase = 5
	}
	if s.sized {
		f.Details["size_median"] = human.Traffic(int64(s.size.Median))
		f.Details["size_dispersion_pct"] = strconv.Itoa(int(math.Round(100 * s.size.Dispersion())))
		f.Details["size_score"] = strconv.FormatFloat(s.ds, 'f', 2, 64)
	}
	if benign != "" {
		f.Details["known_service"] = benign
	}
	b.group(k, &f, svc, every)
	return f, true
}

// maxSiblings bounds the services grouped per endpoint and address.
const maxSiblings = 8

// sibling is one service's beacon to an address, as last reported.
type sibling struct {
	svc   string // "8760/udp"
	every time.Duration
	total int
}

// group makes the beacons of one endpoint to one address on several
// ports one alert: a program's timers to its server are one behaviour,
// and one address to look at or block. The key is the address; the count
// is every contact on every port; the summary names the other ports.
func (b *Beacon) group(k pairKey, f *detect.Finding, svc string, every time.Duration) {
	if k.in || k.dns || k.name != "" || k.port == 0 {
		return
	}
	f.Key = k.ip.String()
	gk := k.endpoint() + "\x00" + f.Key
	sibs, _ := b.siblings.Get(gk)
	found := false
	for i := range sibs {
		if sibs[i].svc == svc {
			sibs[i].every, sibs[i].total, found = every, f.Count, true
		}
	}
	if !found && len(sibs) < maxSiblings {
		sibs = append(sibs, sibling{svc: strings.Clone(svc), every: every, total: f.Count})
	}
	b.siblings.Put(gk, sibs)
	if len(sibs) < 2 {
		return
	}
	var others, othersJA []string
	total := 0
	for _, o := range sibs {
		total += o.total
		if o.svc != svc {
			others = append(others, fmt.Sprintf("%s every %s (%d contacts)", o.svc, span(o.every), o.total))
			othersJA = append(othersJA, fmt.Sprintf("%s（%s間隔、%d回）", o.svc, spanJA(o.every), o.total))
		}
	}
	f.Count = max(f.Count, total)
	f.Summary += "; also to " + f.Key + " on " + strings.Join(others, ", ")
	f.SummaryJA += "。同じ宛先への定期通信：" + strings.Join(othersJA, "、")
	f.Details["services"] = strconv.Itoa(len(sibs))
}

// knownTimer says, in both languages, why a pair is a timer by design:
// its destination is a well-known service the catalog ships (NTP by its
// port, a public resolver, an update, revocation or connectivity-check
// host), or a site of a benign category in the configured category list.
// Inbound, only the port can say it (the office's NTP server polled by
// its clients). "" when neither does.
func (b *Beacon) knownTimer(k pairKey) (en, ja string) {
	if c := b.env.Catalog; c != nil {
		name, ip := k.name, k.ip
		if k.in {
			name, ip = "", netip.Addr{}
		}
		if m, ok := c.ServiceOf(name, ip, k.proto, k.port); ok {
			return fmt.Sprintf("%s is %s (%s), a timer by design", k.dest(), m.Service.Title.EN, m.By),
				fmt.Sprintf("%s は%s（%s）であり、仕様上の定期通信である", k.dest(), m.Service.Title.JA, m.By)
		}
	}
	if k.name != "" && b.env.Categories != nil {
		if cat, ok := b.env.Categories.Category(k.name); ok && b.benign[strings.ToLower(cat)] {
			return fmt.Sprintf("%s is a %s service, so this is likely its timer", k.name, cat),
				fmt.Sprintf("%s は %s のサービスであり、定期的な確認通信と考えられる", k.name, cat)
		}
	}
	return "", ""
}
