package statistical

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

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
//   - HTTP 4xx/5xx answers per client (a broken C2, a tool hammering), and
//     per external client of an internal web server (a scanner);
//   - NXDOMAIN answers per client (domain-generation algorithms probing for
//     their C2, reverse-lookup sweeps);
//   - firewall denies of an internal machine's own connections.
//
// The endpoint is the internal actor when there is one, else the internal
// target (a server brute-forced from the internet; sshd names the server
// by its host name when the inventory does not know its address).
//
// A window must reach the class's minimum and also baseline_factor times the
// busiest window the endpoint had while the baseline was learned (an
// endpoint that always has some 404s). The rule is a detect.Learner for
// that part only: while learning it still counts and reports (the
// minimums alone judge then, and brute force is not normal business), and
// it learns only from windows it did not report. Windows are evaluated
// every minute of event time, for the keys that had new errors.
type Errors struct {
	env    *detect.Env
	relays *relays

	window   time.Duration
	minutes  int
	minAuth  int
	minUsers int
	minHTTP  int
	minNX    int
	minDeny  int
	factor   float64

	states   *detect.LRU[errKey, *errState]
	dirty    []errKey
	baseline map[string]uint32 // "endpoint class service" → busiest window while learning
	learning bool              // the last event came through Learn
}

// Error classes.
const (
	clsAuth   uint8 = iota // failed logins
	clsHTTP                // HTTP errors answered to an internal client
	clsHTTPIn              // HTTP errors an internal server answered an outside client
	clsDNS                 // NXDOMAIN answers
	clsDeny                // firewall denies
)

var className = [...]string{"auth", "http", "http-in", "dns", "deny"}

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

// bucket is one minute of a key's window: n[0..2] are class-specific
// counts (logins: password failures, PAM failures, rejected users; HTTP
// and DNS: errors, all answers; denies: denies).
type bucket struct {
	minute int64
	n      [3]uint32
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
	total           [3]uint32
	firstEv, lastEv evidence
	success         *login // a success after the failures
	reported        bool
	dirty           bool
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
// spraying (crowdsec's ssh-bf bucket holds 5); 30 HTTP errors, 20
// NXDOMAIN answers and 30 denies in 10 minutes are more than a
// mistyped address, a blocked site tried again or a dead bookmark; 3
// times the busiest learned window is a clear excess.
const (
	errWindow   = 10 * time.Minute
	errMinAuth  = 10
	errMinUsers = 5
	errMinHTTP  = 30
	errMinNX    = 20
	errMinDeny  = 30
	errFactor   = 3.0
	errMaxKeys  = 50_000
)

// NewErrors builds S-ERRORS.
func NewErrors(p detect.Params, env *detect.Env) detect.Detector {
	w := min(max(p.Duration("window", errWindow), time.Minute), time.Hour).Truncate(time.Minute)
	return &Errors{
		env:      env,
		relays:   newRelays(p.Strings("relay_roles", defaultRelayRoles), env),
		window:   w,
		minutes:  int(w / time.Minute),
		minAuth:  max(1, p.Int("min_failures", errMinAuth)),
		minUsers: max(2, p.Int("min_users", errMinUsers)),
		minHTTP:  max(1, p.Int("min_http_errors", errMinHTTP)),
		minNX:    max(1, p.Int("min_nxdomain", errMinNX)),
		minDeny:  max(1, p.Int("min_denies", errMinDeny)),
		factor:   p.Float("baseline_factor", errFactor),
		states:   detect.NewLRU[errKey, *errState](max(1, p.Int("max_keys", errMaxKeys))),
		baseline: map[string]uint32{},
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
		{Name: "min_http_errors", Default: errMinHTTP, Doc: "HTTP 4xx/5xx answers in the window"},
		{Name: "min_nxdomain", Default: errMinNX, Doc: "NXDOMAIN answers in the window"},
		{Name: "min_denies", Default: errMinDeny, Doc: "firewall denies of the endpoint's connections in the window"},
		{Name: "baseline_factor", Default: errFactor, Doc: "times the endpoint's busiest learned window a window must also reach"},
		{Name: "max_keys", Default: errMaxKeys, Doc: "windows tracked; the least recently active are forgotten"},
		{Name: "relay_roles", Default: defaultRelayRoles, Doc: "inventory roles of machines that relay others' traffic (their lookups and denies are their clients')"},
	}
}

// Observe implements detect.Detector.
func (e *Errors) Observe(ev *event.Event, _ *detect.Emitter) {
	e.learning = false
	e.record(ev)
}

// Learn implements detect.Learner: it counts as Observe does; the windows
// judged meanwhile that are not reported teach the baseline.
func (e *Errors) Learn(ev *event.Event) {
	e.learning = true
	e.record(ev)
}

// Baseline implements detect.Learner.
func (e *Errors) Baseline() any { return e.baseline }

// Restore implements detect.Learner.
func (e *Errors) Restore(b []byte) error {
	m := map[string]uint32{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("S-ERRORS baseline: %w", err)
	}
	e.baseline = m
	return nil
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
	minute := ev.Time.Unix() / 60
	b := &st.buckets[mod(minute, int64(e.minutes))]
	if b.minute != minute {
		*b = bucket{minute: minute}
	}
	for i := range n {
		b.n[i] = satAdd(b.n[i], int64(n[i]))
	}
	failure := n[0] > 0 || (k.class == clsAuth && n[1]+n[2] > 0)
	inBurst := !st.first.IsZero() && ev.Time.Sub(st.last) <= e.window
	if k.class == clsAuth && ev.Outcome == event.OutcomeSuccess {
		if inBurst {
			st.success = &login{time: ev.Time, user: strings.Clone(ev.User), ev: evidenceOf(ev)}
			st.mark(e, k)
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
		st.first, st.firstEv, st.success, st.reported, st.total, st.more = ev.Time, evidenceOf(ev), nil, false, [3]uint32{}, false
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
}

func (st *errState) add(n [3]int) {
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
func (e *Errors) classify(ev *event.Event) (k errKey, n [3]int, value string, ok bool) {
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
		if ev.Outcome == event.OutcomeSuccess {
			return k, n, "", true
		}
		reps := ev.Times()
		switch {
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

// sum adds up the buckets of the window ending at now.
func (e *Errors) sum(st *errState, now time.Time) [3]uint32 {
	to := now.Unix() / 60
	from := to - int64(e.minutes) + 1
	var sum [3]uint32
	for _, b := range st.buckets {
		if b.minute >= from && b.minute <= to {
			for i := range sum {
				sum[i] += b.n[i]
			}
		}
	}
	return sum
}

// errorsOf reads counts as errors and, for HTTP and DNS, all answers.
// Failed logins are logged up to three times per try (PAM's line, sshd's
// "Failed password", the rejected user): the most complete of the three
// counts is taken, never their sum.
func errorsOf(class uint8, n [3]uint32) (errs, all int) {
	if class == clsAuth {
		return int(max(n[0], n[1], n[2])), 0
	}
	return int(n[0]), int(n[1])
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

// thresholds of a class: the count that fires, given the endpoint's
// baseline.
func (e *Errors) threshold(k errKey) (int, uint32) {
	floor := map[uint8]int{clsAuth: e.minAuth, clsHTTP: e.minHTTP, clsHTTPIn: e.minHTTP, clsDNS: e.minNX, clsDeny: e.minDeny}[k.class]
	base := e.baseline[baseKey(k)]
	return max(floor, int(e.factor*float64(base)+0.999)), base
}

func baseKey(k errKey) string { return k.endpoint() + " " + className[k.class] + " " + k.service }

// judge evaluates a window and makes its finding.
func (e *Errors) judge(k errKey, st *errState, now time.Time) (detect.Finding, bool) {
	errs, _ := errorsOf(k.class, e.sum(st, now))
	if errs == 0 && st.success == nil {
		return detect.Finding{}, false
	}
	vs := st.valueList()
	need, base := e.threshold(k)
	// Many accounts from one source within the window is spraying (a
	// burst can last longer than the window: users of one NAT address
	// mistyping now and then over a day are not).
	recent := 0
	from := now.Unix()/60 - int64(e.minutes) + 1
	for _, m := range st.values {
		if m >= from {
			recent++
		}
	}
	spray := k.class == clsAuth && recent >= e.minUsers
	fire := errs >= need || spray || (st.reported && st.success != nil)
	if !fire {
		if e.learning && len(e.baseline) < errMaxKeys*2 {
			if bk := baseKey(k); uint32(errs) > e.baseline[bk] {
				e.baseline[bk] = uint32(errs)
			}
		}
		return detect.Finding{}, false
	}
	st.reported = true
	return e.finding(k, st, errs, vs, need, base, spray), true
}

// finding writes a reported window up.
func (e *Errors) finding(k errKey, st *errState, peak int, vs []string, need int, base uint32, spray bool) detect.Finding {
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
	score := min(1, 0.5+0.5*float64(peak)/float64(4*need))
	switch k.class {
	case clsAuth:
		svc := strings.ToUpper(k.service)
		patternJA := "ブルートフォース"
		pattern = "brute force"
		if spray && (more || errs <= 3*len(vs)) { // a few tries for each of many accounts
			pattern, patternJA = "password spraying", "パスワードスプレー"
			score = max(score, 0.7)
		}
		actor := k.endpoint()
		if !k.outbound {
			actor, target = peer, k.endpoint()
			if st.host != "" {
				target = st.host
			}
		}
		en = fmt.Sprintf("%d failed %s logins for %s%s in %s from %s to %s (%s)", errs, svc, plural("user"), listed(vs, more), dur(d), actor, target, pattern)
		ja = fmt.Sprintf("%sから%sへの%sログイン失敗が%sで%d回（%s個のユーザー名、%s）", actor, target, svc, durJA(d), errs, nvals, patternJA)
		if s := st.success; s != nil {
			en += fmt.Sprintf(", then a success for %s", s.user)
			ja += fmt.Sprintf("。その後 %s でログインに成功", s.user)
			score = 1
		}
	case clsHTTP, clsHTTPIn:
		whom := ", from "
		if k.class == clsHTTPIn {
			whom = " to " + peer + ", for "
		}
		en = fmt.Sprintf("%d HTTP error answers (4xx/5xx or denied) of %d in %s%s%s%s", errs, all, dur(d), whom, plural("site"), listed(vs, more))
		ja = fmt.Sprintf("HTTPのエラー応答（4xx/5xx・拒否）が%sで%d件（全%d件、%sサイト）", durJA(d), errs, all, nvals)
	case clsDNS:
		en = fmt.Sprintf("%d NXDOMAIN answers in %s for %s%s", errs, dur(d), plural("name"), listed(vs, more))
		ja = fmt.Sprintf("NXDOMAIN応答が%sで%d件（%s個の名前）", durJA(d), errs, nvals)
	case clsDeny:
		en = fmt.Sprintf("%d connections denied by the firewall in %s, to %s%s", errs, dur(d), plural("destination"), listed(vs, more))
		ja = fmt.Sprintf("ファイアウォールによる通信拒否が%sで%d件（%s個の宛先）", durJA(d), errs, nvals)
	}
	if base > 0 {
		en += fmt.Sprintf(" (busiest window while learning: %d)", base)
		ja += fmt.Sprintf("（学習期間中の最大: %d）", base)
	}
	details := map[string]string{
		"class":     className[k.class],
		"errors":    strconv.Itoa(errs),
		"peak":      strconv.Itoa(peak),
		"threshold": strconv.Itoa(need),
		"values":    nvals,
		"window":    e.window.String(),
		"format":    k.format,
		"burst":     d.String(),
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
	case clsHTTPIn:
		key += " " + peer
	}
	last := st.last
	if st.success != nil && st.success.time.After(last) {
		last = st.success.time
	}
	return detect.Finding{
		Time:      last,
		FirstSeen: st.first,
		Endpoint:  k.endpoint(),
		Host:      st.host,
		Peer:      peer,
		Key:       key,
		Score:     score,
		Count:     errs,
		Absolute:  true,
		Summary:   en,
		SummaryJA: ja,
		Details:   details,
		Evidence:  events(evs...),
		Phase:     map[uint8]int{clsAuth: 4, clsHTTP: 5, clsHTTPIn: 1, clsDNS: 5, clsDeny: 5}[k.class],
	}
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
