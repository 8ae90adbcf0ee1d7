package statistical

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// Fanout is S-FANOUT: an endpoint contacting many distinct destinations
// in a short window, as scanning and worm-like spreading do.
//
// Two shapes fan out:
//
//   - horizontal: many internal hosts (a sweep of port 445 across the
//     office, a ping sweep), counted as distinct internal addresses;
//   - vertical: many ports of one host (an nmap scan of a server), counted
//     as distinct ports of the busiest host. Internal hosts count every
//     port contacted; internet hosts count only the ports whose connection
//     failed, since an office PC reaches the internet on a couple of ports
//     and a vertical scan of an internet host is mostly refused (Zeek's
//     REJ). An outside source scanning the ports of an internal host is a
//     vertical scan too, with the scanned host as the endpoint (a public
//     server being scanned: reconnaissance, phase 1).
//
// A destination whose every connection failed (Zeek's S0, REJ and the
// other no-answer states, a firewall deny) counts one and a half: probes
// into the void are what scanners make. A window must reach the minimum of
// its shape and baseline_factor times the busiest window the endpoint had while
// the baseline was learned (a file server or the administrator's PC
// talks to many machines every day); an endpoint with no baseline of its
// own (a new PC) is judged by the median of its segment's endpoints.
//
// While the baseline is learned the rule still reports scan-shaped windows
// (most destinations never answered): scanning is not normal business.
// Windows whose destinations answered are learned, however busy, so that a
// machine that always talks to many is not reported for doing so.
type Fanout struct {
	env *detect.Env

	window     time.Duration
	minHosts   float64
	minPorts   float64
	factor     float64
	maxTargets int

	states   *detect.LRU[fanKey, *fanState]
	dirty    []fanKey
	baseline map[string]fanBase
	segments map[string][]float64 // segment → its endpoints' learned horizontal fan-out (cached, rebuilt when stale)
	segStale bool
	learning bool // the last event came through Learn
}

// fanKey is an actor: an internal endpoint, or an outside source scanning
// the endpoint.
type fanKey struct {
	ep  netip.Addr
	src netip.Addr // the outside scanner; zero for the endpoint's own fan-out
}

// fanBase is an endpoint's busiest learned window.
type fanBase struct {
	Hosts float64 `json:"hosts"`
	Ports float64 `json:"ports"`
}

// fanState is an actor's window of targets and its current burst.
type fanState struct {
	targets     map[netip.AddrPort]fanTarget
	more        bool // targets reached the cap
	host        string
	first, last time.Time
	// The latest events that added a destination: the probes themselves.
	probes   [4]evidence
	probe    int
	reported bool
	dirty    bool
}

// fanTarget is one destination address and port of an actor.
type fanTarget struct {
	first, last int64 // unix seconds
	failed      bool  // every connection to it failed
	proto       string
}

// Fanout defaults: 15 internal hosts in 10 minutes is more than an office
// PC touches (the proxy, a file server, a printer, a domain controller);
// 20 ports of one host is more than any client protocol uses; twice the
// busiest learned window is a clear excess; 4096 targets cover a /20
// sweep.
const (
	fanWindow     = 10 * time.Minute
	fanMinHosts   = 15
	fanMinPorts   = 20
	fanFactor     = 2.0
	fanMaxTargets = 4096
	fanMaxActors  = 20_000
)

// failedStates are Zeek conn_state values of a connection that got no
// answer or was refused.
var failedStates = map[string]bool{"S0": true, "REJ": true, "RSTOS0": true, "RSTRH": true, "SH": true, "SHR": true, "OTH": true}

// NewFanout builds S-FANOUT.
func NewFanout(p detect.Params, env *detect.Env) detect.Detector {
	return &Fanout{
		env:        env,
		window:     p.Duration("window", fanWindow),
		minHosts:   p.Float("min_hosts", fanMinHosts),
		minPorts:   p.Float("min_ports", fanMinPorts),
		factor:     p.Float("baseline_factor", fanFactor),
		maxTargets: max(16, p.Int("max_targets", fanMaxTargets)),
		states:     detect.NewLRU[fanKey, *fanState](max(1, p.Int("max_actors", fanMaxActors))),
		baseline:   map[string]fanBase{},
		segStale:   true,
	}
}

// Rule implements detect.Detector.
func (*Fanout) Rule() string { return "S-FANOUT" }

// Kinds implements detect.Detector.
func (*Fanout) Kinds() []event.Kind { return []event.Kind{event.KindConnection, event.KindSMB} }

// Params implements detect.Parameterized.
func (*Fanout) Params() []detect.Param {
	return []detect.Param{
		{Name: "window", Default: "10m", Doc: "sliding window destinations are counted over"},
		{Name: "min_hosts", Default: fanMinHosts, Doc: "distinct internal hosts in the window (unanswered ones count 1.5)"},
		{Name: "min_ports", Default: fanMinPorts, Doc: "distinct ports of one host in the window (unanswered ones count 1.5)"},
		{Name: "baseline_factor", Default: fanFactor, Doc: "times the endpoint's busiest learned window a window must also reach"},
		{Name: "max_targets", Default: fanMaxTargets, Doc: "destinations kept per endpoint in the window"},
		{Name: "max_actors", Default: fanMaxActors, Doc: "endpoints and outside scanners tracked; the least recently active are forgotten"},
	}
}

// Observe implements detect.Detector.
func (f *Fanout) Observe(ev *event.Event, _ *detect.Emitter) {
	f.learning = false
	f.record(ev)
}

// Learn implements detect.Learner.
func (f *Fanout) Learn(ev *event.Event) {
	f.learning = true
	f.record(ev)
}

// Baseline implements detect.Learner.
func (f *Fanout) Baseline() any { return f.baseline }

// Restore implements detect.Learner.
func (f *Fanout) Restore(b []byte) error {
	m := map[string]fanBase{}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("S-FANOUT baseline: %w", err)
	}
	f.baseline, f.segStale = m, true
	return nil
}

// record notes one connection's destination.
func (f *Fanout) record(ev *event.Event) {
	if !ev.Endpoint.IsValid() || !ev.SrcIP.IsValid() || !ev.DstIP.IsValid() || ev.SrcIP == ev.DstIP {
		return
	}
	failed := ev.Action == event.ActionDeny || failedStates[ev.Label]
	k := fanKey{ep: ev.Endpoint}
	peer := ev.DstIP
	switch {
	case ev.Endpoint == ev.SrcIP:
		if !peer.IsGlobalUnicast() || (!f.env.Internal(peer) && !failed) {
			return
		}
	case !f.env.Internal(ev.SrcIP) && failed:
		k.src = ev.SrcIP // an outside source probing the endpoint
	default:
		return
	}
	st := f.states.GetOr(k, func() *fanState { return &fanState{targets: map[netip.AddrPort]fanTarget{}} })
	if st.host == "" && ev.Host != "" {
		st.host = strings.Clone(ev.Host)
	}
	port := ev.DstPort
	if ev.Kind == event.KindSMB && port == 0 {
		port = 445
	}
	ap := netip.AddrPortFrom(peer, port)
	now := ev.Time.Unix()
	t, ok := st.targets[ap]
	switch {
	case ok:
		t.failed = t.failed && failed
	case len(st.targets) >= f.maxTargets:
		st.more = true
		return
	default:
		t = fanTarget{first: now, failed: failed, proto: transport(ev.Transport)}
		st.probes[st.probe] = evidenceOf(ev)
		st.probe = (st.probe + 1) % len(st.probes)
	}
	t.last = now
	st.targets[ap] = t
	if st.first.IsZero() || ev.Time.Sub(st.last) > f.window {
		st.first, st.reported, st.more = ev.Time, false, false
	}
	st.last = ev.Time
	if !st.dirty {
		st.dirty = true
		f.dirty = append(f.dirty, k)
	}
}

// Tick implements detect.Ticker.
func (f *Fanout) Tick(now time.Time, em *detect.Emitter) { f.evaluate(now, em) }

// Finish implements detect.Finisher.
func (f *Fanout) Finish(now time.Time, em *detect.Emitter) { f.evaluate(now, em) }

func (f *Fanout) evaluate(now time.Time, em *detect.Emitter) {
	dirty := f.dirty
	f.dirty = f.dirty[:0] // reused: nothing is marked while judging
	for _, k := range dirty {
		st, ok := f.states.Peek(k)
		if !ok || !st.dirty {
			continue
		}
		st.dirty = false
		if fd, ok := f.judge(k, st, now); ok {
			em.Emit(fd)
		}
	}
}

// fanCount is the shape of a window.
type fanCount struct {
	hosts, hostsFailed int // distinct internal hosts, and those that never answered
	ports, portsFailed int // distinct ports of the busiest host, and the failed ones
	busiest            netip.Addr
	since              int64        // unix seconds of the first contact of the window's new destinations
	topNet             netip.Prefix // the /24 (or /64) most hosts are in
	topPort            string       // the port most hosts were contacted on
	hostList           []netip.Addr
	portList           []uint16
}

func (c fanCount) effHosts() float64 { return float64(c.hosts) + 0.5*float64(c.hostsFailed) }
func (c fanCount) effPorts() float64 { return float64(c.ports) + 0.5*float64(c.portsFailed) }

// count forgets targets older than the window and measures the rest.
func (f *Fanout) count(k fanKey, st *fanState, now time.Time) fanCount {
	cut := now.Add(-f.window).Unix()
	type hostAcc struct {
		ports, failedPorts int
		failed             bool
	}
	var c fanCount
	hosts := map[netip.Addr]*hostAcc{}
	ports := map[string]int{}
	for ap, t := range st.targets {
		if t.last < cut {
			delete(st.targets, ap)
			continue
		}
		if t.first >= cut && (c.since == 0 || t.first < c.since) {
			c.since = t.first // destinations new in the window: the fan-out itself
		}
		h := hosts[ap.Addr()]
		if h == nil {
			h = &hostAcc{failed: true}
			hosts[ap.Addr()] = h
		}
		h.ports++
		if t.failed {
			h.failedPorts++
		} else {
			h.failed = false
		}
		if !k.src.IsValid() {
			ports[portName(t.proto, ap.Port())]++
		}
	}
	nets := map[netip.Prefix]int{}
	for a, h := range hosts {
		if h.ports > c.ports || (h.ports == c.ports && a.Less(c.busiest)) {
			c.ports, c.portsFailed, c.busiest = h.ports, h.failedPorts, a
		}
		if k.src.IsValid() || !f.env.Internal(a) {
			continue // only the endpoint's own internal peers fan out horizontally
		}
		c.hosts++
		if h.failed {
			c.hostsFailed++
		}
		c.hostList = append(c.hostList, a)
		bits := 24
		if a.Is6() {
			bits = 64
		}
		p, _ := a.Prefix(bits)
		nets[p]++
	}
	for p, n := range nets {
		if n > nets[c.topNet] || (n == nets[c.topNet] && p.Addr().Less(c.topNet.Addr())) {
			c.topNet = p
		}
	}
	for p, n := range ports {
		if n > ports[c.topPort] || (n == ports[c.topPort] && p < c.topPort) {
			c.topPort = p
		}
	}
	for ap := range st.targets {
		if ap.Addr() == c.busiest {
			c.portList = append(c.portList, ap.Port())
		}
	}
	if c.since == 0 {
		c.since = cut
	}
	slices.SortFunc(c.hostList, func(a, b netip.Addr) int { return a.Compare(b) })
	slices.Sort(c.portList)
	return c
}

// transport returns a constant for the common transports, else a copy: a
// target must not keep its event's line alive.
func transport(s string) string {
	switch s {
	case "tcp":
		return "tcp"
	case "udp":
		return "udp"
	case "icmp":
		return "icmp"
	}
	return strings.Clone(s)
}

func portName(proto string, port uint16) string {
	if proto == "" {
		proto = "tcp"
	}
	if port == 0 {
		return proto
	}
	return strconv.Itoa(int(port)) + "/" + proto
}

// thresholds returns the counts that fire for an actor, and the baseline
// they came from.
func (f *Fanout) thresholds(k fanKey) (hosts, ports float64, base fanBase, own bool) {
	base, own = f.baseline[k.ep.String()]
	if !own && !k.src.IsValid() {
		base.Hosts = f.segmentMedian(f.env.Segment(k.ep.String()))
	}
	return max(f.minHosts, f.factor*base.Hosts), max(f.minPorts, f.factor*base.Ports), base, own
}

// segmentMedian is the median learned horizontal fan-out of a segment's
// endpoints: what a new machine of the segment is judged by.
func (f *Fanout) segmentMedian(seg string) float64 {
	if seg == "" {
		return 0
	}
	if f.segStale {
		f.segments = map[string][]float64{}
		for ep, b := range f.baseline {
			if s := f.env.Segment(ep); s != "" {
				f.segments[s] = append(f.segments[s], b.Hosts)
			}
		}
		for _, v := range f.segments {
			slices.Sort(v)
		}
		f.segStale = false
	}
	return quantile(f.segments[seg], 0.5)
}

// judge evaluates an actor's window.
func (f *Fanout) judge(k fanKey, st *fanState, now time.Time) (detect.Finding, bool) {
	needH, needP, base, own := f.thresholds(k)
	if reach := 1.5 * float64(len(st.targets)); reach < min(needH, needP) && (!f.learning || reach <= min(base.Hosts, base.Ports)) {
		// Too few destinations to matter (or to teach): forget the old ones.
		cut := now.Add(-f.window).Unix()
		for ap, t := range st.targets {
			if t.last < cut {
				delete(st.targets, ap)
			}
		}
		return detect.Finding{}, false
	}
	c := f.count(k, st, now)
	horizontal := c.effHosts() >= needH
	vertical := c.effPorts() >= needP
	scan := (horizontal && 2*c.hostsFailed >= c.hosts) || (!horizontal && vertical && 2*c.portsFailed >= c.ports)
	if f.learning && !scan {
		f.learn(k, c)
		return detect.Finding{}, false
	}
	if !horizontal && !vertical {
		return detect.Finding{}, false
	}
	st.reported = true
	return f.finding(k, st, c, horizontal, needH, needP, base, own), true
}

// learn raises an endpoint's baseline to a window it did not report.
func (f *Fanout) learn(k fanKey, c fanCount) {
	if k.src.IsValid() {
		return
	}
	ep := k.ep.String()
	b, ok := f.baseline[ep]
	if (!ok && len(f.baseline) >= fanMaxActors) || (c.effHosts() <= b.Hosts && c.effPorts() <= b.Ports) {
		return
	}
	f.baseline[ep] = fanBase{Hosts: max(b.Hosts, c.effHosts()), Ports: max(b.Ports, c.effPorts())}
	f.segStale = true
}

// finding writes a reported window up.
func (f *Fanout) finding(k fanKey, st *fanState, c fanCount, horizontal bool, needH, needP float64, base fanBase, own bool) detect.Finding {
	d := st.last.Sub(time.Unix(c.since, 0))
	more := ""
	if st.more {
		more = "+"
	}
	var en, ja, peer, key string
	var score float64
	count := c.ports
	phase := 0
	if horizontal {
		peer, key = c.topNet.String(), "hosts"
		en = fmt.Sprintf("contacted %d%s internal hosts in %s (%d never answered), mostly in %s on %s: %s", c.hosts, more, dur(d), c.hostsFailed, c.topNet, c.topPort, addrList(c.hostList, 5))
		ja = fmt.Sprintf("%sで%d%s台の内部ホストへ接続（%d台は応答なし）。主に%sの%s", durJA(d), c.hosts, more, c.hostsFailed, c.topNet, c.topPort)
		score = c.effHosts() / needH
		count = c.hosts
	} else {
		peer, key = c.busiest.String(), "ports "+c.busiest.String()
		actor, target := k.ep.String(), c.busiest.String()
		if k.src.IsValid() {
			actor, target = k.src.String(), k.ep.String()
			if st.host != "" {
				target = st.host
			}
			peer, key, phase = k.src.String(), "ports from "+k.src.String(), 1
		}
		en = fmt.Sprintf("%s probed %d%s ports of %s in %s (%d failed): %s", actor, c.ports, more, target, dur(d), c.portsFailed, portList(c.portList, 8))
		ja = fmt.Sprintf("%sが%sの%d%s個のポートへ%sで接続（%d件失敗）", actor, target, c.ports, more, durJA(d), c.portsFailed)
		score = c.effPorts() / needP
	}
	switch {
	case own && (base.Hosts > 0 || base.Ports > 0):
		en += fmt.Sprintf(" (busiest window while learning: %s hosts, %s ports)", trimFloat(base.Hosts), trimFloat(base.Ports))
		ja += fmt.Sprintf("（学習期間中の最大: %sホスト、%sポート）", trimFloat(base.Hosts), trimFloat(base.Ports))
	case !own && base.Hosts > 0:
		en += fmt.Sprintf(" (no baseline of its own; its segment's median: %s hosts)", trimFloat(base.Hosts))
		ja += fmt.Sprintf("（自身のベースラインなし。セグメントの中央値: %sホスト）", trimFloat(base.Hosts))
	}
	// Score: reaching the threshold is 0.6, four times it is 1.
	score = clamp01(0.6 + 0.4*(score-1)/3)
	details := map[string]string{
		"hosts":            strconv.Itoa(c.hosts),
		"hosts_unanswered": strconv.Itoa(c.hostsFailed),
		"busiest_host":     c.busiest.String(),
		"ports":            strconv.Itoa(c.ports),
		"ports_failed":     strconv.Itoa(c.portsFailed),
		"threshold_hosts":  trimFloat(needH),
		"threshold_ports":  trimFloat(needP),
		"window":           f.window.String(),
		"top_port":         c.topPort,
	}
	if k.src.IsValid() {
		details["scanner"] = k.src.String()
	}
	return detect.Finding{
		Time:      st.last,
		FirstSeen: time.Unix(c.since, 0).UTC(),
		Endpoint:  k.ep.String(),
		Host:      st.host,
		Peer:      peer,
		Key:       key,
		Score:     score,
		Count:     count,
		Absolute:  true,
		Summary:   en,
		SummaryJA: ja,
		Details:   details,
		Evidence:  events(append(st.probes[st.probe:], st.probes[:st.probe]...)...),
		Phase:     phase,
	}
}

func addrList(as []netip.Addr, n int) string {
	var b strings.Builder
	for i, a := range as {
		if i == n {
			b.WriteString(", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	return b.String()
}

func portList(ps []uint16, n int) string {
	ss := make([]string, 0, min(n, len(ps)))
	for i, p := range ps {
		if i == n {
			ss = append(ss, "…")
			break
		}
		ss = append(ss, strconv.Itoa(int(p)))
	}
	return strings.Join(ss, ", ")
}
