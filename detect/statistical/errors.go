package statistical

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// Errors is S-ERRORS: error responses piling up for one endpoint in a
// short window. It counts, each over a sliding `window` (the names are
// the rule's settings):
//
//   - failed logins (sshd, Zeek ssh/ntlm/kerberos) per actor and target:
//     brute force (many tries), password spraying (many accounts from one
//     source) and a success after the failures, which is what matters most;
//   - sshd connections that end before authentication (no identification,
//     failed key exchange, bad protocol, timeouts, disconnects), per
//     client: scanners and bots guessing against key-only servers;
//   - HTTP 4xx/5xx answers per client (a broken C2, a tool hammering), and
//     per external client of an internal web server (a scanner);
//   - NXDOMAIN answers per client (domain-generation algorithms probing for
//     their C2, reverse-lookup sweeps, and a program looping on names that
//     do not exist), one lookup recorded twice counted once;
//   - requests a DNS server refused, per client (BIND's denied queries and
//     zone transfers): a zone transfer or an ANY query refused is
//     reconnaissance or open-resolver probing from the first;
//   - firewall denies of an internal machine's own connections.
//
// The endpoint is the internal actor when there is one, else the internal
// target (a server brute-forced from the internet; sshd names the server
// by its host name when the inventory does not know its address).
//
// A window is reported when it reaches its class's minimum (fail2ban's and
// CrowdSec's kind of thresholds), or when accounts enough were tried, or
// when a login succeeds after min_failures_before_success failures of the
// same source (critical when the failures reached the brute-force
// minimum). A window is judged as it stood at its last event, so a burst
// followed by silence is judged on its own.
//
// Learning. An internal actor may have errors as normal business (a
// script with a stale password, a PC whose search domain makes NXDOMAIN
// answers): the rule is a detect.Learner for that part only. While the
// baseline is learned it reports by the minimums alone (brute force is
// not normal business), and it learns, per internal source (and, for
// logins, per target), the busiest window of each hour the source was
// active in. Hours in which a window reached the minimums, or belonged to
// a reported burst, are left out: nothing that raised, or would have
// raised, an alert is learned. The usual value is the upper quartile of
// those hours (at least errMinHours of them), not their maximum, so one
// busy hour moves nothing; since every learned hour was below the
// minimum, the bar (baseline_factor times the usual value) can never rise
// above baseline_factor times the minimum. Outside sources (an internet
// client of a server, a client sshd knows only by name) learn nothing:
// they are always judged by the minimums, so no outside source can raise
// the bar for another. Pre-authentication failures are judged by their
// minimum only.
type Errors struct {
	env    *detect.Env
	relays *relays

	window     time.Duration
	minutes    int
	minAuth    int
	minUsers   int
	minPreauth int
	minSuccess int
	minHTTP    int
	minNX      int
	minLookups int
	minRefused int
	minDeny    int
	factor     float64

	states *detect.LRU[errKey, *errState]
	dirty  []errKey
	// baseline maps a learned key (learnKey) to its usual busy window; learn
	// holds the hourly peaks while the baseline is learned (nil after).
	baseline map[string]uint32
	learn    map[string][]uint16
	learning bool // the last event came through Learn
}

// Error classes.
const (
	clsAuth    uint8 = iota // failed logins
	clsHTTP                 // HTTP errors answered to an internal client
	clsHTTPIn               // HTTP errors an internal server answered an outside client
	clsDNS                  // NXDOMAIN answers
	clsDeny                 // firewall denies
	clsRefused              // requests a DNS server refused
)

var className = [...]string{"auth", "http", "http-in", "dns", "deny", "dns-refused"}

// errKey is what errors are counted per: the endpoint, the class, for
// logins the service and the other side, for inbound HTTP the client, and
// the log format (the proxy and the sensor record the same request: each
// source is counted on its own and the alert keeps the larger count).
type errKey struct {
	ep       netip.Addr
	host     string
	class    uint8
	service  string
	peer     netip.Addr
	peerName string
	format   string
	outbound bool // the endpoint is the actor
}

func (k errKey) endpoint() string {
	if k.ep.IsValid() {
		return k.ep.String()
	}
	return k.host
}

func (k errKey) peerString() string {
	if k.peer.IsValid() {
		return k.peer.String()
	}
	return k.peerName
}

// bucket is one minute of a key's window: n are class-specific counts
// (logins: password failures, PAM failures, rejected users, connections
// ended before authentication; HTTP and DNS: errors, all answers; denies:
// denies; refused DNS requests: zone transfers, probing queries (ANY, the
// root's NS), other queries and updates).
type bucket struct {
	minute int64
	n      [4]uint32
}

// errState is a key's sliding window and its current burst.
type errState struct {
	buckets []bucket         // ring indexed by minute
	values  map[string]int64 // the burst's users, names, sites or destinations, by the minute last tried
	more    bool             // values reached its cap: there are more
	host    string
	// The current burst: from its first error to its last, with no gap
	// longer than the window; its counts are a bucket's, summed.
	first, last     time.Time
	total           [4]uint32
	firstEv, lastEv evidence
	success         *login    // a success after the failures
	ports           [8]uint16 // source ports of the latest pre-authentication ends (one connection logs two)
	port            int
	lookups         []dnsLookup // DNS: the latest lookups, to count one recorded twice once
	reported        bool
	dirty           bool
	// Learning: the hour being learned (unix hours), its busiest window,
	// and whether a window of it reached the minimums.
	lhour   int64
	lpeak   uint32
	lfired  bool
	lactive bool
}

// dnsLookup is a DNS lookup as the resolver saw it: the client's source port
// and the name, at a time.
type dnsLookup struct {
	port uint16
	name string
	at   time.Time
}

// lookupRing is how many recent lookups a DNS key remembers, and
// lookupTwice how far apart two records of one lookup can be: a sensor
// that sees each packet twice (a mirror port), two sensors, or a query
// forwarded to a second resolver from the same port write one lookup
// twice within milliseconds; a client retrying picks a new source port
// (RFC 5452).
const (
	lookupRing  = 8
	lookupTwice = 500 * time.Millisecond
)

// again reports whether ev is a lookup already counted, and remembers it.
func (st *errState) again(ev *event.Event, name string) bool {
	if ev.SrcPort == 0 || name == "" {
		return false
	}
	for _, l := range st.lookups {
		if l.port == ev.SrcPort && l.name == name && ev.Time.Sub(l.at).Abs() <= lookupTwice {
			return true
		}
	}
	l := dnsLookup{port: ev.SrcPort, name: strings.Clone(name), at: ev.Time}
	if len(st.lookups) < lookupRing {
		st.lookups = append(st.lookups, l)
	} else {
		copy(st.lookups, st.lookups[1:])
		st.lookups[lookupRing-1] = l
	}
	return false
}

// login is a successful login.
type login struct {
	time time.Time
	user string
	ev   evidence
}

// maxValues bounds the distinct users, names or sites kept per key.
const maxValues = 32

// Errors defaults: 10 failed logins in 10 minutes is beyond a person's
// typos (fail2ban's default bans at 5); 5 accounts from one source is
// spraying (crowdsec's ssh-bf bucket holds 5); 5 failures then a success
// is fail2ban's maxretry reached and then let in; 20 connections ended
// before authentication in 10 minutes is twice what a monitoring check
// every minute makes; 30 HTTP errors, 20 NXDOMAIN answers and 30 denies
// in 10 minutes are more than a mistyped address, a blocked site tried
// again or a dead bookmark (NXDOMAIN counted by name, HTTP errors only when
// they are most of the answers); 40 lookups of names that do not exist in
// 10 minutes, whatever the names, is a failing lookup every 15 s, four
// times what background retries make (an update check, a desktop search
// lens: one every minute or so); 5 refused DNS queries is fail2ban's
// maxretry for named-refused; 3 times the usual busy window is a clear
// excess. The usual value is the upper quartile of at least 4 learned
// hours.
const (
	errWindow     = 10 * time.Minute
	errMinAuth    = 10
	errMinUsers   = 5
	errMinSuccess = 5
	errMinPreauth = 20
	errMinHTTP    = 30
	errMinNX      = 20
	errMinLookups = 40
	errMinRefused = 5
	errMinDeny    = 30
	errFactor     = 3.0
	errMaxKeys    = 50_000
	errQuantile   = 0.75
	errMinHours   = 4
	errMaxHours   = 168 // hourly peaks kept per key while learning: a week
)

// NewErrors builds S-ERRORS.
func NewErrors(p detect.Params, env *detect.Env) detect.Detector {
	w := min(max(p.Duration("window", errWindow), time.Minute), time.Hour).Truncate(time.Minute)
	return &Errors{
		env:        env,
		relays:     newRelays(p.Strings("relay_roles", defaultRelayRoles), env),
		window:     w,
		minutes:    int(w / time.Minute),
		minAuth:    max(1, p.Int("min_failures", errMinAuth)),
		minUsers:   max(2, p.Int("min_users", errMinUsers)),
		minSuccess: max(1, p.Int("min_failures_before_success", errMinSuccess)),
		minPreauth: max(1, p.Int("min_preauth", errMinPreauth)),
		minHTTP:    max(1, p.Int("min_http_errors", errMinHTTP)),
		minNX:      min(max(1, p.Int("min_nxdomain", errMinNX)), maxValues),
		minLookups: max(1, p.Int("min_nxdomain_lookups", errMinLookups)),
		minRefused: max(1, p.Int("min_refused_queries", errMinRefused)),
		minDeny:    max(1, p.Int("min_denies", errMinDeny)),
		factor:     max(1, p.Float("baseline_factor", errFactor)),
		states:     detect.NewLRU[errKey, *errState](max(1, p.Int("max_keys", errMaxKeys))),
		baseline:   map[string]uint32{},
	}
}

// Rule implements detect.Detector.
func (*Errors) Rule() string { return "S-ERRORS" }

// Kinds implements detect.Detector.
func (*Errors) Kinds() []event.Kind {
	return []event.Kind{event.KindAuth, event.KindHTTP, event.KindDNS, event.KindConnection}
}

// Params implements detect.Parameterized.
func (*Errors) Params() []detect.Param {
	return []detect.Param{
		{Name: "window", Default: "10m", Doc: "sliding window errors are counted over (1m to 1h)"},
		{Name: "min_failures", Default: errMinAuth, Doc: "failed logins in the window from one actor to one target"},
		{Name: "min_users", Default: errMinUsers, Doc: "accounts tried in the window that make password spraying"},
		{Name: "min_failures_before_success", Default: errMinSuccess, Doc: "failed logins of one source that make its next success an alert (critical from min_failures on)"},
		{Name: "min_preauth", Default: errMinPreauth, Doc: "sshd connections of one client ended before authentication in the window (scanners, key-only brute force)"},
		{Name: "min_http_errors", Default: errMinHTTP, Doc: "HTTP 4xx/5xx answers in the window (and at least half of the answers)"},
		{Name: "min_nxdomain", Default: errMinNX, Doc: "distinct names answered NXDOMAIN in the window (at most 32)"},
		{Name: "min_nxdomain_lookups", Default: errMinLookups, Doc: "lookups answered NXDOMAIN in the window, whatever the names (a program looping on names that do not exist); one lookup recorded twice counts once"},
		{Name: "min_refused_queries", Default: errMinRefused, Doc: "queries a DNS server refused one client in the window (a refused zone transfer or ANY query is reported from the first, at low)"},
		{Name: "min_denies", Default: errMinDeny, Doc: "firewall denies of the endpoint's connections in the window"},
		{Name: "baseline_factor", Default: errFactor, Doc: "times an internal source's usual busy window (learned, always below the minimums) a window must also reach"},
		{Name: "max_keys", Default: errMaxKeys, Doc: "windows tracked; the least recently active are forgotten"},
		{Name: "relay_roles", Default: defaultRelayRoles, Doc: "inventory roles of machines that relay others' traffic (their lookups and denies are their clients')"},
	}
}

// Observe implements detect.Detector.
func (e *Errors) Observe(ev *event.Event, _ *detect.Emitter) {
	if e.learn != nil {
		e.finishLearning()
	}
	e.learning = false
	e.record(ev)
}

// Learn implements detect.Learner: it counts as Observe does (the windows
// are still judged and reported by the minimums) and learns the hourly
// peaks of internal sources.
func (e *Errors) Learn(ev *event.Event) {
	if e.learn == nil {
		e.learn = map[string][]uint16{}
	}
	e.learning = true
	e.record(ev)
}

// errBaseline is the persisted baseline. Version 1 (a plain map of each
// endpoint's busiest window, outside sources included) could be poisoned
// and is dropped on restore.
type errBaseline struct {
	Version int               `json:"version"`
	Usual   map[string]uint32 `json:"usual"`
}

const errBaselineVersion = 2

// Baseline implements detect.Learner.
func (e *Errors) Baseline() any {
	if e.learn != nil {
		e.finishLearning()
	}
	return errBaseline{Version: errBaselineVersion, Usual: e.baseline}
}

// Restore implements detect.Learner. A baseline of the first version is
// dropped: the minimums judge until the next learning.
func (e *Errors) Restore(b []byte) error {
	var v errBaseline
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("S-ERRORS baseline: %w", err)
	}
	e.baseline = map[string]uint32{}
	if v.Version == errBaselineVersion && v.Usual != nil {
		e.baseline = v.Usual
	}
	return nil
}

// learnKey names the baseline a key learns into and is judged by: the
// internal source (the endpoint as actor), its class and, for logins, the
// service and target. Keys whose source is outside (inbound logins and
// HTTP errors of outside clients) have none.
func learnKey(k errKey) (string, bool) {
	if !k.outbound || !k.ep.IsValid() || k.class == clsRefused {
		return "", false
	}
	if k.class == clsAuth {
		return k.ep.String() + " auth " + k.service + " " + k.peerString(), true
	}
	return k.ep.String() + " " + className[k.class], true
}

// noteHour moves a key's learning to the hour of t, keeping the peak of
// the hour before.
func (e *Errors) noteHour(k errKey, st *errState, t time.Time) {
	h := t.Unix() / 3600
	if st.lactive && st.lhour == h {
		return
	}
	if st.lactive && h > st.lhour {
		e.keepHour(k, st)
	}
	if !st.lactive || h > st.lhour {
		st.lhour, st.lpeak, st.lfired, st.lactive = h, 0, false, true
	}
}

// keepHour adds a key's finished hour to what is learned, unless a window
// of it reached the minimums.
func (e *Errors) keepHour(k errKey, st *errState) {
	defer func() { st.lactive = false }()
	if st.lfired || e.learn == nil {
		return
	}
	bk, ok := learnKey(k)
	if !ok {
		return
	}
	peaks, known := e.learn[bk]
	if !known && len(e.learn) >= errMaxKeys*2 {
		return
	}
	if len(peaks) >= errMaxHours {
		peaks = peaks[1:] // the latest week
	}
	e.learn[bk] = append(peaks, uint16(min(st.lpeak, math.MaxUint16)))
}

// finishLearning turns the learned hours into usual values: the upper
// quartile of each key's hourly peaks, when it has errMinHours of them.
func (e *Errors) finishLearning() {
	e.states.Each(func(k errKey, st *errState) {
		if st.lactive {
			e.keepHour(k, st)
		}
	})
	base := map[string]uint32{}
	var xs []float64
	for bk, peaks := range e.learn {
		if len(peaks) < errMinHours {
			continue
		}
		xs = xs[:0]
		for _, p := range peaks {
			xs = append(xs, float64(p))
		}
		slices.Sort(xs)
		if u := uint32(math.Round(quantile(xs, errQuantile))); u > 0 {
			base[bk] = u
		}
	}
	e.baseline, e.learn = base, nil
}

// record counts one event into its key's window.
func (e *Errors) record(ev *event.Event) {
	e.relays.note(ev)
	k, n, value, ok := e.classify(ev)
	if !ok {
		return
	}
	st, ok := e.states.Get(k)
	if !ok {
		// The key outlives the event: its strings must not keep the
		// event's line alive.
		k.host, k.service, k.peerName, k.format = strings.Clone(k.host), strings.Clone(k.service), strings.Clone(k.peerName), strings.Clone(k.format)
		st = &errState{buckets: make([]bucket, e.minutes), values: map[string]int64{}}
		e.states.Put(k, st)
	}
	if st.host == "" && ev.Host != "" {
		st.host = strings.Clone(ev.Host)
	}
	if (k.class == clsDNS || k.class == clsRefused) && st.again(ev, value) {
		return // one lookup recorded twice
	}
	if e.learning {
		e.noteHour(k, st, ev.Time)
	}
	if n[3] > 0 && ev.SrcPort != 0 {
		// sshd logs a connection's end twice ("Received disconnect", then
		// "Disconnected from"): count it once.
		if slices.Contains(st.ports[:], ev.SrcPort) {
			n[3] = 0
		} else {
			st.ports[st.port] = ev.SrcPort
			st.port = (st.port + 1) % len(st.ports)
		}
	}
	minute := ev.Time.Unix() / 60
	b := &st.buckets[mod(minute, int64(e.minutes))]
	if b.minute != minute {
		*b = bucket{minute: minute}
	}
	for i := range n {
		b.n[i] = satAdd(b.n[i], int64(n[i]))
	}
	failure := n[0] > 0 || ((k.class == clsAuth || k.class == clsRefused) && n[1]+n[2]+n[3] > 0) //nolint:gosec // G602: n is a [4]int; constant indices are checked by the compiler (securego/gosec#1495)
	inBurst := !st.first.IsZero() && ev.Time.Sub(st.last) <= e.window
	if k.class == clsAuth && ev.Outcome == event.OutcomeSuccess {
		if inBurst {
			st.success = &login{time: ev.Time, user: strings.Clone(ev.User), ev: evidenceOf(ev)}
			st.mark(e, k)
			e.learnWindow(k, st, ev.Time)
		}
		return
	}
	if !failure {
		if inBurst {
			st.add(n)
		}
		return
	}
	if !inBurst {
		st.first, st.firstEv, st.success, st.reported, st.total, st.more = ev.Time, evidenceOf(ev), nil, false, [4]uint32{}, false
		clear(st.values)
	}
	st.add(n)
	st.last, st.lastEv = ev.Time, evidenceOf(ev)
	if value != "" {
		if _, ok := st.values[value]; ok {
			st.values[value] = minute
		} else if len(st.values) < maxValues {
			st.values[strings.Clone(value)] = minute
		} else {
			st.more = true
		}
	}
	st.mark(e, k)
	e.learnWindow(k, st, ev.Time)
}

// learnWindow measures, while learning, the window ending at t for the
// hour's peak, or marks the hour as one not to learn when the window
// reaches the minimums. It does not wait for the engine's ticks, so that
// relearning from stored events (`mamori baseline learn`) learns the same.
func (e *Errors) learnWindow(k errKey, st *errState, t time.Time) {
	if !e.learning {
		return
	}
	v := e.measure(k, st, t)
	if fire, _, _ := e.verdict(k, st, v, e.floor(k)); fire {
		st.lfired = true
		return
	}
	st.lpeak = max(st.lpeak, uint32(v.errs))
}

func (st *errState) add(n [4]int) {
	for i := range n {
		st.total[i] = satAdd(st.total[i], int64(n[i]))
	}
}

func (st *errState) mark(e *Errors, k errKey) {
	if !st.dirty {
		st.dirty = true
		e.dirty = append(e.dirty, k)
	}
}

// classify names an event's key, its counts and the value it tried (a
// user, a name, a site, a destination); ok is false for events of no
// class.
func (e *Errors) classify(ev *event.Event) (k errKey, n [4]int, value string, ok bool) {
	k = errKey{ep: ev.Endpoint, format: ev.Format}
	if !k.ep.IsValid() {
		if ev.Host == "" {
			return k, n, "", false
		}
		k.host = ev.Host
	}
	outbound := !ev.Endpoint.IsValid() || ev.Endpoint == ev.SrcIP
	k.outbound = outbound
	switch ev.Kind {
	case event.KindAuth:
		k.class, k.service = clsAuth, ev.Service
		if k.service == "" {
			k.service = "login"
		}
		switch {
		case outbound && ev.DstIP.IsValid():
			k.peer = ev.DstIP
		case outbound:
			k.peerName = ev.Observer // the server, named by its own log
		default:
			k.peer = ev.SrcIP
		}
		if !k.ep.IsValid() && k.host != "" && k.peerName == k.host {
			// The server, known only by name, is the endpoint: the peer is
			// the client.
			k.peerName, k.peer, k.outbound = "", ev.SrcIP, false
		}
		if !k.outbound && !k.peer.IsValid() {
			k.peerName = clientName(ev)
		}
		if ev.Outcome == event.OutcomeSuccess {
			return k, n, "", true
		}
		reps := ev.Times()
		switch {
		case ev.Outcome == event.OutcomeNone && preauthLabels[ev.Label]:
			n[3] = reps
			return k, n, ev.User, true
		case ev.Outcome != event.OutcomeFailure:
			return k, n, "", false
		case ev.Label == "pam-failure":
			n[1] = reps
		case ev.Label == "invalid-user" || ev.Label == "not-allowed" || ev.Label == "max-attempts":
			n[2] = reps
		default:
			n[0] = reps
		}
		return k, n, ev.User, true
	case event.KindHTTP:
		if ev.Status == 0 && ev.Action != event.ActionDeny {
			return k, n, "", false
		}
		k.class = clsHTTP
		if !outbound {
			if e.env.Internal(ev.SrcIP) {
				return k, n, "", false // an internal client: counted on its own side
			}
			k.class, k.peer = clsHTTPIn, ev.SrcIP
		}
		n[1] = 1
		if ev.Status >= 400 || ev.Action == event.ActionDeny {
			n[0] = 1 //nolint:gosec // G602: n is a [3]int; constant indices are checked by the compiler (securego/gosec#1495)
		}
		site := ev.Domain
		if site == "" {
			site = ev.URL
		}
		return k, n, normName(site), true
	case event.KindDNS:
		if ev.Action == event.ActionDeny {
			return e.classifyRefused(ev, k)
		}
		if ev.RCode == "" || !outbound || e.relays.is(ev.Endpoint) {
			return k, n, "", false
		}
		k.class = clsDNS
		n[1] = 1
		if ev.RCode == "NXDOMAIN" {
			n[0] = 1
		}
		return k, n, normName(ev.Query), true
	case event.KindConnection:
		if ev.Action != event.ActionDeny || !outbound || !ev.Endpoint.IsValid() || e.relays.is(ev.Endpoint) {
			return k, n, "", false
		}
		k.class = clsDeny
		n[0] = 1
		return k, n, netip.AddrPortFrom(ev.DstIP, ev.DstPort).String(), true
	}
	return k, n, "", false
}

// classifyRefused keys a request a DNS server refused (BIND's "query
// (cache) ... denied", "zone transfer ... denied"): per client, the
// client as the endpoint when it is internal, else the server, named by
// its log's host, with the client as the peer. A client outside the
// organisation of a server whose log names no host (BIND's own file) has
// no endpoint to hold it and is left out, as is the server asking itself
// (a loopback client).
func (e *Errors) classifyRefused(ev *event.Event, k errKey) (errKey, [4]int, string, bool) {
	var n [4]int
	if ev.SrcIP.IsLoopback() {
		return k, n, "", false
	}
	k.class = clsRefused
	k.outbound = ev.Endpoint.IsValid() && ev.Endpoint == ev.SrcIP
	if k.outbound {
		k.peerName = ev.Observer
	} else {
		if !ev.SrcIP.IsValid() {
			return k, n, "", false
		}
		k.peer = ev.SrcIP
	}
	reps := ev.Times()
	switch {
	case ev.Label == "zone transfer denied":
		n[0] = reps
	case probingQuery(ev):
		n[1] = reps
	default:
		n[2] = reps
	}
	name := normName(ev.Query)
	if name == "" {
		name = "."
	}
	return k, n, name, true
}

// probingQuery reports whether a refused query is one open-resolver
// scanners and amplification attacks send: ANY (RFC 8482 let servers stop
// answering it; ordinary clients no longer ask it) or the root zone's NS.
func probingQuery(ev *event.Event) bool {
	q := strings.TrimSuffix(ev.Query, ".")
	return strings.EqualFold(ev.QType, "ANY") || (q == "" && strings.EqualFold(ev.QType, "NS"))
}

// preauthLabels are sshd's labels of a connection that ended before
// authentication (see ingest/sshd).
var preauthLabels = map[string]bool{
	"preauth-closed": true, "preauth-disconnect": true, "no-identification": true,
	"negotiation-failed": true, "bad-protocol": true, "timeout": true, "refused-connect": true,
}

// clientName is the client of a login named only by host name (sshd puts
// PAM's rhost= or UseDNS names in Message), or "".
func clientName(ev *event.Event) string {
	m := ev.Message
	if ev.SrcIP.IsValid() || m == "" || len(m) > 253 || strings.ContainsAny(m, " \t") {
		return ""
	}
	return normName(m)
}

// sum adds up the buckets of the window ending at t.
func (e *Errors) sum(st *errState, t time.Time) [4]uint32 {
	to := t.Unix() / 60
	from := to - int64(e.minutes) + 1
	var sum [4]uint32
	for _, b := range st.buckets {
		if b.minute >= from && b.minute <= to {
			for i := range sum {
				sum[i] = satAdd(sum[i], int64(b.n[i]))
			}
		}
	}
	return sum
}

// errorsOf reads counts as errors and, for HTTP and DNS, all answers.
// Failed logins are logged up to three times per try (PAM's line, sshd's
// "Failed password", the rejected user): the most complete of the three
// counts is taken, never their sum.
func errorsOf(class uint8, n [4]uint32) (errs, all int) {
	switch class {
	case clsAuth:
		return int(max(n[0], n[1], n[2])), 0
	case clsRefused:
		return int(satAdd(satAdd(n[0], int64(n[1])), int64(n[2]))), 0 //nolint:gosec // G602: n is a [4]uint32; constant indices are checked by the compiler (securego/gosec#1495)
	}
	return int(n[0]), int(n[1]) //nolint:gosec // G602: n is a [4]uint32; constant indices are checked by the compiler (securego/gosec#1495)
}

// winCount is a window as it is judged.
type winCount struct {
	errs    int // errors (logins: failures; NXDOMAIN: distinct names)
	lookups int // NXDOMAIN: lookups answered NXDOMAIN, whatever the names
	probes  int // refused DNS requests: zone transfers and probing queries
	all     int // HTTP: all answers
	preauth int // logins: connections ended before authentication
	values  int // distinct values (logins: accounts) tried in the window
}

// measure reads the window of a key ending at t. NXDOMAIN answers are
// counted by distinct name: one name failing again and again is a lookup
// retried (a stale setting; a parked C2 name on a rhythm is S-SINKHOLE's),
// many names failing is what domain-generation algorithms and address
// sweeps do.
func (e *Errors) measure(k errKey, st *errState, t time.Time) winCount {
	n := e.sum(st, t)
	var v winCount
	v.errs, v.all = errorsOf(k.class, n)
	if k.class == clsAuth {
		v.preauth = int(n[3])
	}
	from := t.Unix()/60 - int64(e.minutes) + 1
	for _, m := range st.values {
		if m >= from {
			v.values++
		}
	}
	if k.class == clsRefused {
		v.probes = int(n[0] + n[1]) //nolint:gosec // G602: n is a [4]uint32; constant indices are checked by the compiler (securego/gosec#1495)
	}
	if k.class == clsDNS {
		v.lookups = v.errs
		v.errs = min(v.errs, v.values)
		if st.more && v.values >= maxValues {
			v.errs = max(v.errs, maxValues+1)
		}
	}
	return v
}

// floor is the minimum of a key's class.
func (e *Errors) floor(k errKey) int {
	switch k.class {
	case clsAuth:
		return e.minAuth
	case clsHTTP, clsHTTPIn:
		return e.minHTTP
	case clsDNS:
		return e.minNX
	case clsRefused:
		return e.minRefused
	}
	return e.minDeny
}

// lookupsNeed is the count of NXDOMAIN lookups that fires a DNS key whose
// names need need: min_nxdomain_lookups, raised with the source's usual
// value as the names' threshold is.
func (e *Errors) lookupsNeed(need int) int {
	return max(e.minLookups, e.minLookups*need/max(1, e.minNX))
}

// threshold is the count of errors that fires for a key, and the usual
// value it came from: the minimum while learning and for outside sources,
// else also baseline_factor times the source's usual busy window.
func (e *Errors) threshold(k errKey) (int, uint32) {
	floor := e.floor(k)
	if e.learning {
		return floor, 0
	}
	bk, ok := learnKey(k)
	if !ok {
		return floor, 0
	}
	base := e.baseline[bk]
	return max(floor, int(math.Ceil(e.factor*float64(base)))), base
}

// failuresBefore is how many failed logins the burst had, for a success
// after them.
func (st *errState) failuresBefore() int {
	n, _ := errorsOf(clsAuth, st.total)
	return n
}

// verdict says whether a window fires with need errors, and why: spray (many
// accounts), preauth (many connections ended before authentication); a
// success after enough failures fires too.
func (e *Errors) verdict(k errKey, st *errState, v winCount, need int) (fire, spray, preauth bool) {
	in := false
	if k.class == clsAuth {
		spray = v.values >= e.minUsers
		preauth = v.preauth >= e.minPreauth
		in = st.success != nil && (st.reported || st.failuresBefore() >= e.minSuccess)
	}
	over := v.errs >= need
	switch k.class {
	case clsDNS:
		over = over || v.lookups >= e.lookupsNeed(need)
	case clsRefused:
		over = over || v.probes > 0
	}
	if k.class == clsHTTP || k.class == clsHTTPIn {
		// Errors among many good answers are a busy page's broken parts
		// (ad and tracking sites); a tool hammering, a broken implant or a
		// scanner gets mostly errors.
		over = over && 2*v.errs >= v.all
	}
	return over || spray || preauth || in || (st.reported && v.errs+v.preauth > 0), spray, preauth
}

// values returns the distinct values of the burst.
func (st *errState) valueList() []string {
	vs := slices.Collect(maps.Keys(st.values))
	slices.Sort(vs)
	return vs
}

// Tick implements detect.Ticker: it evaluates the windows with new
// errors.
func (e *Errors) Tick(now time.Time, em *detect.Emitter) { e.evaluate(now, em) }

// Finish implements detect.Finisher.
func (e *Errors) Finish(now time.Time, em *detect.Emitter) { e.evaluate(now, em) }

func (e *Errors) evaluate(now time.Time, em *detect.Emitter) {
	dirty := e.dirty
	e.dirty = e.dirty[:0] // reused: nothing is marked while judging
	for _, k := range dirty {
		st, ok := e.states.Peek(k)
		if !ok || !st.dirty {
			continue
		}
		st.dirty = false
		if f, ok := e.judge(k, st, now); ok {
			em.Emit(f)
		}
	}
}

// lastAt is the time of the burst's last event (a failure or the success
// after them).
func (st *errState) lastAt() time.Time {
	if st.success != nil && st.success.time.After(st.last) {
		return st.success.time
	}
	return st.last
}

// judge evaluates a key's window as it stood at its last event (or at now,
// if earlier: a tick inside the burst) and makes its finding.
func (e *Errors) judge(k errKey, st *errState, now time.Time) (detect.Finding, bool) {
	at := now
	if t := st.lastAt(); !t.IsZero() && t.Before(at) {
		at = t
	}
	v := e.measure(k, st, at)
	if v.errs == 0 && v.preauth == 0 && st.success == nil {
		return detect.Finding{}, false
	}
	need, base := e.threshold(k)
	fire, spray, preauth := e.verdict(k, st, v, need)
	if !fire {
		return detect.Finding{}, false
	}
	st.reported = true
	if e.learning {
		st.lfired = true
	}
	return e.finding(k, st, v, need, base, spray, preauth && v.errs < need), true
}

// finding writes a reported window up: v is the window that fired, need
// its threshold and base the usual value it came from; preauth says it
// fired on connections ended before authentication alone.
func (e *Errors) finding(k errKey, st *errState, v winCount, need int, base uint32, spray, preauth bool) detect.Finding {
	vs := st.valueList()
	d := st.last.Sub(st.first)
	errs, all := errorsOf(k.class, st.total)
	more := st.more
	peer := k.peerString()
	target := peer
	if host := e.env.HostOf(k.peer); host != "" {
		target = host
	}
	nvals := strconv.Itoa(len(vs))
	if more {
		nvals += "+"
	}
	plural := func(thing string) string {
		if nvals == "1" {
			return "1 " + thing
		}
		return nvals + " " + thing + "s"
	}
	var en, ja, pattern string
	var phase int
	score := min(1, 0.5+0.5*float64(v.errs)/float64(4*need))
	var sev *alert.Severity
	count := errs
	switch k.class {
	case clsAuth:
		svc := strings.ToUpper(k.service)
		patternJA := "ブルートフォース"
		pattern = "brute force"
		if spray && (more || errs <= 3*len(vs)) { // a few tries for each of many accounts
			pattern, patternJA = "password spraying", "パスワードスプレー"
			score = max(score, 0.7)
		}
		actor, actorJA := k.endpoint(), k.endpoint()
		if !k.outbound {
			actor, actorJA, target = peer, peer, k.endpoint()
			if peer == "" {
				actor, actorJA = "an unnamed client", "名前のわからないクライアント"
			}
			if st.host != "" {
				target = st.host
			}
		}
		if preauth {
			pre := int(st.total[3])
			pattern, count = "pre-authentication failures", pre
			score = min(1, 0.5+0.5*float64(v.preauth)/float64(4*e.minPreauth))
			en = fmt.Sprintf("%d %s connections from %s to %s ended before authentication in %s (no identification, failed key exchange, bad protocol or disconnect%s): a scan, or guessing against a server without passwords",
				pre, svc, actor, target, dur(d), usersTried(len(vs), more, vs))
			ja = fmt.Sprintf("%sから%sへの%s接続のうち%d件が認証前に終了（%s、識別文字列なし・鍵交換失敗・プロトコル不正・切断）。スキャン、またはパスワードを使わないサーバへの総当たり",
				actorJA, target, svc, pre, durJA(d))
			break
		}
		users, usersJA := " for "+plural("user")+listed(vs, more), nvals+"個のユーザー名、"
		if len(vs) == 0 { // PAM without user= (an unknown account)
			users, usersJA = "", ""
		}
		en = fmt.Sprintf("%d failed %s logins%s in %s from %s to %s (%s)", errs, svc, users, dur(d), actor, target, pattern)
		ja = fmt.Sprintf("%sから%sへの%sログイン失敗が%sで%d回（%s%s）", actorJA, target, svc, durJA(d), errs, usersJA, patternJA)
		if s := st.success; s != nil {
			en += fmt.Sprintf(", then a success for %s: the account may be in the attacker's hands", s.user)
			ja += fmt.Sprintf("。その後 %s でログインに成功（アカウントが攻撃者に渡った可能性）", s.user)
			score = 1
			level := alert.High
			if errs >= e.minAuth {
				level = alert.Critical
			}
			sev = &level
		}
	case clsHTTP, clsHTTPIn:
		whom := ", from "
		if k.class == clsHTTPIn {
			whom = " to " + peer + ", for "
		}
		en = fmt.Sprintf("%d HTTP error answers (4xx/5xx or denied) of %d in %s%s%s%s", errs, all, dur(d), whom, plural("site"), listed(vs, more))
		ja = fmt.Sprintf("HTTPのエラー応答（4xx/5xx・拒否）が%sで%d件（全%d件、%sサイト）", durJA(d), errs, all, nvals)
	case clsDNS:
		en = fmt.Sprintf("%d lookups answered NXDOMAIN (no such name) in %s for %s%s", errs, dur(d), plural("name"), listed(vs, more))
		ja = fmt.Sprintf("存在しない名前（NXDOMAIN）の名前解決が%sで%d件（%s個の名前）", durJA(d), errs, nvals)
		if v.errs < need {
			// Fired on lookups alone: few names, tried again and again.
			// Worth a look, rarely urgent: low.
			pattern = "retry loop"
			score = min(1, 0.5+0.5*float64(v.lookups)/float64(4*e.lookupsNeed(need)))
			low := alert.Low
			sev = &low
			en += ", tried again and again: a program looping on names that do not exist (a removed C2 name, a broken service or setting)"
			ja += "。同じ名前を繰り返し試している（削除されたC2の名前、壊れたサービスや設定でループするプログラム）"
		}
	case clsRefused:
		en, ja, pattern = e.refusedText(k, st, vs, more, d)
		phase = 1
		if v.errs < need {
			low := alert.Low
			sev = &low
		}
	case clsDeny:
		en = fmt.Sprintf("%d connections denied by the firewall in %s, to %s%s", errs, dur(d), plural("destination"), listed(vs, more))
		ja = fmt.Sprintf("ファイアウォールによる通信拒否が%sで%d件（%s個の宛先）", durJA(d), errs, nvals)
	}
	if base > 0 && !preauth {
		en += fmt.Sprintf("; this source usually has up to %d in %s, so from %d it is reported", base, dur(e.window), need)
		ja += fmt.Sprintf("（この送信元は通常%sあたり%d件まで。%d件以上で通知）", durJA(e.window), base, need)
	}
	details := map[string]string{
		"class":     className[k.class],
		"errors":    strconv.Itoa(errs),
		"peak":      strconv.Itoa(v.errs),
		"threshold": strconv.Itoa(need),
		"values":    nvals,
		"window":    e.window.String(),
		"format":    k.format,
		"burst":     d.String(),
	}
	if base > 0 {
		details["usual"] = strconv.Itoa(int(base))
	}
	if preauth {
		details["peak"], details["threshold"] = strconv.Itoa(v.preauth), strconv.Itoa(e.minPreauth)
	}
	if k.class == clsAuth && st.total[3] > 0 {
		details["preauth"] = strconv.Itoa(int(st.total[3]))
	}
	if k.service != "" {
		details["service"] = k.service
	}
	if all > 0 {
		details["answers"] = strconv.Itoa(all)
	}
	if pattern != "" {
		details["pattern"] = pattern
	}
	if st.success != nil {
		details["success_user"] = st.success.user
		details["success_time"] = st.success.time.UTC().Format(time.RFC3339)
	}
	evs := []evidence{st.firstEv, st.lastEv}
	if st.success != nil {
		evs = append(evs, st.success.ev)
	}
	key := className[k.class]
	switch k.class {
	case clsAuth:
		key = k.service + " " + peer
	case clsHTTPIn, clsRefused:
		key += " " + peer
	}
	return detect.Finding{
		Time:      st.lastAt(),
		FirstSeen: st.first,
		Endpoint:  k.endpoint(),
		Host:      st.host,
		Peer:      peer,
		Key:       key,
		Score:     score,
		Count:     max(count, 1),
		Absolute:  true,
		Summary:   en,
		SummaryJA: ja,
		Details:   details,
		Evidence:  events(evs...),
		Phase:     cmp.Or(phase, map[uint8]int{clsAuth: 4, clsHTTP: 5, clsHTTPIn: 1, clsDNS: 5, clsDeny: 5}[k.class]),
		Severity:  sev,
	}
}

// refusedText writes up requests a DNS server refused: who asked which
// server for what. Zone transfers ask for every name of a zone at once
// (reconnaissance of the organisation's hosts); ANY and root NS queries
// are what open-resolver scanners send, to find servers to use for
// amplification attacks.
func (e *Errors) refusedText(k errKey, st *errState, vs []string, more bool, d time.Duration) (en, ja, pattern string) {
	client, server := k.endpoint(), k.peerString()
	if !k.outbound {
		client, server = k.peerString(), k.endpoint()
		if st.host != "" {
			server = st.host
		}
	}
	at, atJA := "", "DNSサーバ"
	if server != "" {
		at, atJA = " by "+server, "DNSサーバ "+server
	}
	xfr, probes, other := st.total[0], st.total[1], st.total[2]
	var parts, partsJA []string
	if xfr > 0 {
		parts = append(parts, plural(int(xfr), "zone transfer (AXFR) request", "zone transfer (AXFR) requests"))
		partsJA = append(partsJA, fmt.Sprintf("ゾーン転送（AXFR）%d件", xfr))
	}
	if probes > 0 {
		parts = append(parts, plural(int(probes), "ANY or root NS query", "ANY or root NS queries"))
		partsJA = append(partsJA, fmt.Sprintf("ANY・ルートNSの問い合わせ%d件", probes))
	}
	if other > 0 {
		parts = append(parts, plural(int(other), "other query", "other queries"))
		partsJA = append(partsJA, fmt.Sprintf("その他の問い合わせ%d件", other))
	}
	names := listed(vs, more)
	in, inJA := " in "+dur(d), "、"+durJA(d)
	if d < time.Second { // one request: no span to speak of
		in, inJA = "", ""
	}
	en = fmt.Sprintf("%s refused%s%s, asked by %s%s", strings.Join(parts, ", "), at, in, client, names)
	ja = fmt.Sprintf("%sが%sの要求を拒否（%s%s）", atJA, client, strings.Join(partsJA, "・"), inJA)
	switch {
	case xfr > 0:
		pattern = "zone transfer"
		en += ": an attempt to list every name of the zone (reconnaissance), or a secondary server that is not allowed"
		ja += "。ゾーン内の全ての名前を取得しようとする試み（偵察）、または許可されていないセカンダリサーバ"
	case probes > 0:
		pattern = "open-resolver probing"
		en += ": the queries open-resolver scanners send to find servers to use in amplification attacks"
		ja += "。DNSアンプ攻撃に使えるオープンリゾルバを探すスキャナが送る問い合わせ"
	default:
		pattern = "refused queries"
		en += ": a client using a server that does not serve it (probing, or a wrong resolver setting)"
		ja += "。利用を許可されていないサーバへの問い合わせ（探索、またはリゾルバ設定の誤り）"
	}
	return en, ja, pattern
}

// plural writes "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// usersTried says ", 3 users tried (root, admin, …)" for pre-authentication
// failures that named accounts.
func usersTried(n int, more bool, vs []string) string {
	if n == 0 {
		return ""
	}
	s := fmt.Sprintf("; %d users tried", n)
	if more {
		s = fmt.Sprintf("; %d+ users tried", n)
	}
	if n == 1 && !more {
		s = "; 1 user tried"
	}
	return s + listed(vs, more)
}

// listed writes the first few values in parentheses: " (admin, root, …)".
func listed(vs []string, more bool) string {
	if len(vs) == 0 {
		return ""
	}
	const n = 5
	s := strings.Join(vs[:min(n, len(vs))], ", ")
	if len(vs) > n || more {
		s += ", …"
	}
	return " (" + s + ")"
}
