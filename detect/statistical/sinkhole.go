package statistical

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// Sinkhole is S-SINKHOLE: an endpoint that keeps looking up a name whose
// answer is 127.0.0.1, 0.0.0.0 (or ::, ::1, any 127/8 address, or an
// address configured as a known sinkhole) or NXDOMAIN, recurring over
// hours: malware whose C2 name was parked, taken down or sinkholed keeps
// trying (J-CRAT's indicator). The catalog ships no list of sinkhole
// operators' addresses, so the sinkhole_addresses setting takes them.
//
// Per endpoint and name, the answers of the last `window` are kept (those
// less than 5 s apart are one lookup: the resolver's log and the sensor
// record the same one). A pair is reported when it has at least
// min_lookups lookups spanning at least min_span over at least two clock
// hours: a mistyped name looked up a few times in a minute is not. A
// regular rhythm raises the score. A name many endpoints look up (an
// advertising domain the resolver blocks, that every browser hits) is
// normal business and skipped, as are the lookups of relays (the proxy
// resolves for its clients) and local names (wpad, *.local, reverse
// lookups).
type Sinkhole struct {
	env    *detect.Env
	relays *relays

	window      time.Duration
	every       time.Duration
	minLookups  int
	minSpan     time.Duration
	commonUsers int
	commonShare float64
	sinkholes   []netip.Prefix

	pairs *detect.LRU[sinkKey, *sinkPair]
	dirty []sinkKey
	next  time.Time
	buf   []float64
	dev   []float64
}

// sinkKey is an endpoint and the name it looks up.
type sinkKey struct {
	ep   netip.Addr
	host string
	name string
}

func (k sinkKey) endpoint() string {
	if k.ep.IsValid() {
		return k.ep.String()
	}
	return k.host
}

// sinkPair is the sinkholed lookups of one pair.
type sinkPair struct {
	times           []int64 // unix seconds, oldest first, at most maxLookups
	total           int     // sinkholed lookups ever seen
	answer          string  // the last sinkhole answer: "0.0.0.0", "NXDOMAIN"
	real            string  // a real address the name was given since, if any
	host            string
	firstEv, lastEv evidence
	dirty           bool
}

// Sinkhole defaults: 6 lookups over an hour, spread over two clock hours,
// are no typo; a day is the window J-CRAT's periodic lookups are judged
// over; the widely-used test is S-BEACON's.
const (
	sinkWindow     = 24 * time.Hour
	sinkEvery      = 10 * time.Minute
	sinkMinLookups = 6
	sinkMinSpan    = time.Hour
	sinkMaxPairs   = 50_000
	sinkMaxLookups = 256
	sinkMerge      = 5 // seconds
)

// NewSinkhole builds S-SINKHOLE.
func NewSinkhole(p detect.Params, env *detect.Env) detect.Detector {
	s := &Sinkhole{
		env:         env,
		relays:      newRelays(p.Strings("relay_roles", defaultRelayRoles), env),
		window:      p.Duration("window", sinkWindow),
		every:       p.Duration("every", sinkEvery),
		minLookups:  max(2, p.Int("min_lookups", sinkMinLookups)),
		minSpan:     p.Duration("min_span", sinkMinSpan),
		commonUsers: p.Int("common_users", commonUsers),
		commonShare: p.Float("common_share", commonShare),
		pairs:       detect.NewLRU[sinkKey, *sinkPair](max(1, p.Int("max_pairs", sinkMaxPairs))),
	}
	for _, a := range p.Strings("sinkhole_addresses", nil) {
		if pf, err := netip.ParsePrefix(a); err == nil {
			s.sinkholes = append(s.sinkholes, pf.Masked())
		} else if ad, err := netip.ParseAddr(a); err == nil {
			s.sinkholes = append(s.sinkholes, netip.PrefixFrom(ad, ad.BitLen()))
		}
	}
	return s
}

// Rule implements detect.Detector.
func (*Sinkhole) Rule() string { return "S-SINKHOLE" }

// Kinds implements detect.Detector: lookups, and proxy requests to learn
// which machines resolve for others.
func (*Sinkhole) Kinds() []event.Kind { return []event.Kind{event.KindDNS, event.KindHTTP} }

// Params implements detect.Parameterized.
func (*Sinkhole) Params() []detect.Param {
	return []detect.Param{
		{Name: "window", Default: "24h", Doc: "how far back lookups are judged"},
		{Name: "every", Default: "10m", Doc: "how often (event time) pairs with new lookups are judged"},
		{Name: "min_lookups", Default: sinkMinLookups, Doc: "fewest sinkholed lookups of one name in the window"},
		{Name: "min_span", Default: "1h", Doc: "shortest time from the first to the last of them"},
		{Name: "sinkhole_addresses", Default: []string{}, Doc: "addresses or networks of known sinkholes, besides 0.0.0.0, ::, 127/8 and ::1"},
		{Name: "common_users", Default: commonUsers, Doc: "endpoints that, if also common_share of all, make a name widely used (skipped)"},
		{Name: "common_share", Default: commonShare, Doc: "share of all endpoints that, with common_users, makes a name widely used"},
		{Name: "max_pairs", Default: sinkMaxPairs, Doc: "endpoint → name pairs tracked; the least recently active are forgotten"},
		{Name: "relay_roles", Default: defaultRelayRoles, Doc: "inventory roles of machines that resolve for others (left out)"},
	}
}

// sinkAnswer returns the sinkhole answer of a DNS answer event, or "".
func (s *Sinkhole) sinkAnswer(ev *event.Event) (answer, real string) {
	if ev.RCode == "NXDOMAIN" {
		return "NXDOMAIN", ""
	}
	for _, a := range ev.Answers {
		ad, err := netip.ParseAddr(a)
		if err != nil {
			continue // a CNAME target
		}
		if s.sinkholed(ad) {
			return ad.String(), ""
		}
		real = a
	}
	return "", real
}

func (s *Sinkhole) sinkholed(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsUnspecified() || a.IsLoopback() {
		return true
	}
	for _, p := range s.sinkholes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Observe implements detect.Detector.
func (s *Sinkhole) Observe(ev *event.Event, _ *detect.Emitter) {
	s.relays.note(ev)
	if ev.Kind != event.KindDNS || ev.Query == "" || (ev.RCode == "" && len(ev.Answers) == 0) {
		return
	}
	if (ev.Endpoint.IsValid() && ev.Endpoint != ev.SrcIP) || s.relays.is(ev.Endpoint) {
		return
	}
	k := sinkKey{ep: ev.Endpoint, name: normName(ev.Query)}
	if !k.ep.IsValid() {
		if ev.Host == "" {
			return
		}
		k.host = ev.Host
	}
	answer, real := s.sinkAnswer(ev)
	if answer == "" {
		if p, ok := s.pairs.Peek(k); ok && real != "" {
			p.real = strings.Clone(real) // the name resolves for real now
		}
		return
	}
	if !externalName(k.name) {
		return
	}
	p, ok := s.pairs.Get(k)
	if !ok {
		k.host, k.name = strings.Clone(k.host), strings.Clone(k.name) // not the event's line
		p = &sinkPair{host: strings.Clone(ev.Host)}
		s.pairs.Put(k, p)
	}
	if p.answer != answer {
		p.answer = strings.Clone(answer)
	}
	t := ev.Time.Unix()
	if n := len(p.times); n > 0 && t-p.times[n-1] < sinkMerge && t >= p.times[n-1] {
		p.lastEv = evidenceOf(ev)
		return
	}
	if len(p.times) >= sinkMaxLookups {
		copy(p.times, p.times[1:])
		p.times = p.times[:len(p.times)-1]
	}
	p.times = append(p.times, t)
	p.total++
	if !p.firstEv.valid() {
		p.firstEv = evidenceOf(ev)
	}
	p.lastEv = evidenceOf(ev)
	if !p.dirty {
		p.dirty = true
		s.dirty = append(s.dirty, k)
	}
}

// Tick implements detect.Ticker.
func (s *Sinkhole) Tick(now time.Time, em *detect.Emitter) {
	if s.next.IsZero() {
		s.next = now.Add(s.every)
		return
	}
	if now.Before(s.next) {
		return
	}
	s.next = now.Add(s.every)
	s.evaluate(now, em)
}

// Finish implements detect.Finisher.
func (s *Sinkhole) Finish(now time.Time, em *detect.Emitter) { s.evaluate(now, em) }

func (s *Sinkhole) evaluate(now time.Time, em *detect.Emitter) {
	dirty := s.dirty
	s.dirty = s.dirty[:0] // reused: nothing is marked while judging
	for _, k := range dirty {
		p, ok := s.pairs.Peek(k)
		if !ok || !p.dirty {
			continue
		}
		p.dirty = false
		if f, ok := s.judge(k, p, now); ok {
			em.Emit(f)
		}
	}
}

// judge evaluates one pair.
func (s *Sinkhole) judge(k sinkKey, p *sinkPair, now time.Time) (detect.Finding, bool) {
	cut := now.Add(-s.window).Unix()
	i := 0
	for i < len(p.times) && p.times[i] < cut {
		i++
	}
	p.times = p.times[i:]
	n := len(p.times)
	if n < s.minLookups {
		return detect.Finding{}, false
	}
	first, last := p.times[0], p.times[n-1]
	hours := map[int64]bool{}
	for _, t := range p.times {
		hours[t/3600] = true
	}
	if time.Duration(last-first)*time.Second < s.minSpan || len(hours) < 2 {
		return detect.Finding{}, false
	}
	site := detect.Site(k.name)
	if widelyUsed(s.env.Prevalence, site, s.commonUsers, s.commonShare) {
		return detect.Finding{}, false
	}
	s.buf = s.buf[:0]
	for j := 1; j < n; j++ {
		s.buf = append(s.buf, float64(p.times[j]-p.times[j-1]))
	}
	var iv spread
	iv, s.dev = describe(s.buf, s.dev)
	regular := iv.rhythm()
	// A recurring sinkholed name is the finding; a steady rhythm and more
	// hours make it surer.
	score := clamp01(0.55 + 0.3*regular + 0.15*math.Min(1, float64(len(hours))/12))
	what := "answered " + p.answer
	whatJA := p.answer + "が返された"
	if p.answer != "NXDOMAIN" {
		what += " (sinkholed or parked)"
	}
	every := time.Duration(iv.Median * float64(time.Second))
	over := time.Duration(last-first) * time.Second
	en := fmt.Sprintf("%s looked up %d times over %s, %s", k.name, n, dur(over), what)
	ja := fmt.Sprintf("%s を%sに%d回名前解決し、%s", k.name, durJA(over), n, whatJA)
	if regular >= 0.7 {
		disp := int(math.Round(100 * iv.Dispersion()))
		en += fmt.Sprintf(", every %s ±%d %%", span(every), disp)
		ja += fmt.Sprintf("（%s間隔、±%d%%）", spanJA(every), disp)
	}
	if pre, preJA := prevalenceOf(s.env.Prevalence, site); pre != "" {
		en += ", " + pre
		ja += "（" + preJA + "）"
	}
	if p.real != "" {
		en += "; it has also resolved to " + p.real
		ja += "。実在のアドレス " + p.real + " も返されている"
	}
	return detect.Finding{
		Time:      time.Unix(last, 0).UTC(),
		FirstSeen: time.Unix(first, 0).UTC(),
		Endpoint:  k.endpoint(),
		Host:      p.host,
		Peer:      k.name,
		Key:       k.name,
		Score:     score,
		Count:     p.total,
		Absolute:  true,
		Summary:   en,
		SummaryJA: ja,
		Details: map[string]string{
			"answer":       p.answer,
			"lookups":      strconv.Itoa(n),
			"span":         over.String(),
			"hours":        strconv.Itoa(len(hours)),
			"interval_s":   strconv.Itoa(int(math.Round(iv.Median))),
			"regularity":   strconv.FormatFloat(regular, 'f', 2, 64),
			"window":       s.window.String(),
			"real_address": p.real,
		},
		Evidence: events(p.firstEv, p.lastEv),
		Rare:     s.env.Prevalence != nil && s.env.Prevalence.Rare(site),
	}, true
}
