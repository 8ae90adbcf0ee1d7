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
// into the void are what scanners make. A firewall's packet log whose
// prefix names no verdict (detect.LoggedAttempt) counts as a probe of an
// outside source, once. A window must reach the minimum of
// its shape and baseline_factor times what the endpoint usually reaches (a
// file server or the administrator's PC talks to many machines every
// day); an endpoint with no baseline of its own (a new PC) is judged by the
// median of its segment's endpoints. Outside scanners are judged by the
// minimums alone.
//
// While the baseline is learned the rule reports scan-shaped windows (most
// destinations never answered) by the minimums alone: scanning is not
// normal business. It learns, per internal endpoint, the busiest window of
// each hour the endpoint was active in, leaving out the hours in which it
// reported a scan; the usual value is the upper quartile of those hours
// (at least fanMinHours of them), not the busiest, so a sweep whose hosts
// answered, made while learning, moves nothing unless it fills a quarter
// of the endpoint's hours. Outside scanners learn nothing.
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
	learn    map[string][]fanBase // while learning: each endpoint's hourly peaks (nil after)
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

// fanBase is an endpoint's usual busy window (or one hour's peak while
// learning).
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
	// Learning: the hour being learned (unix hours), its peak, and whether
	// a scan was reported in it.
	lhour   int64
	lpeak   fanBase
	lfired  bool
	lactive bool
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
// usual busy window is a clear excess; 4096 targets cover a /20 sweep; the
// usual value is the upper quartile of at least 4 learned hours.
const (
	fanWindow     = 10 * time.Minute
	fanMinHosts   = 15
	fanMinPorts   = 20
	fanFactor     = 2.0
	fanMaxTargets = 4096
	fanMaxActors  = 20_000
	fanMinHours   = 4
	fanMaxHours   = 168
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
		{Name: "baseline_factor", Default: fanFactor, Doc: "times the endpoint's usual busy window (upper quartile of its learned hours) a window must also reach"},
		{Name: "max_targets", Default: fanMaxTargets, Doc: "destinations kept per endpoint in the window"},
		{Name: "max_actors", Default: fanMaxActors, Doc: "endpoints and outside scanners tracked; the least recently active are forgotten"},
	}
}

// Observe implements detect.Detector.
func (f *Fanout) Observe(ev *event.Event, _ *detect.Emitter) {
	if f.learn != nil {
		f.finishLearning()
	}
	f.learning = false
	f.record(ev)
}

// Learn implements detect.Learner.
func (f *Fanout) Learn(ev *event.Event) {
	if f.learn == nil {
		f.learn = map[string][]fanBase{}
	}
	f.learning = true
	f.record(ev)
}

// fanBaseline is the persisted baseline. Version 1 (each endpoint's
// busiest window) could be raised by one sweep and is dropped on restore.
type fanBaseline struct {
	Version   int                `json:"version"`
	Endpoints map[string]fanBase `json:"endpoints"`
}

const fanBaselineVersion = 2

// Baseline implements detect.Learner.
func (f *Fanout) Baseline() any {
	if f.learn != nil {
		f.finishLearning()
	}
	return fanBaseline{Version: fanBaselineVersion, Endpoints: f.baseline}
}

// Restore implements detect.Learner. A baseline of the first version is
// dropped: the minimums and segment medians judge until the next learning.
func (f *Fanout) Restore(b []byte) error {
	var v fanBaseline
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("S-FANOUT baseline: %w", err)
	}
	f.baseline, f.segStale = map[string]fanBase{}, true
	if v.Version == fanBaselineVersion && v.Endpoints != nil {
		f.baseline = v.Endpoints
	}
	return nil
}

// noteHour moves an endpoint's learning to the hour of t.
func (f *Fanout) noteHour(k fanKey, st *fanState, t time.Time) {
	h := t.Unix() / 3600
	if st.lactive && h <= st.lhour {
		return
	}
	if st.lactive {
		f.keepHour(k, st)
	}
	st.lhour, st.lpeak, st.lfired, st.lactive = h, fanBase{}, false, true
}

// keepHour adds an endpoint's finished hour to what is learned, unless it
// reported a scan in it.
func (f *Fanout) keepHour(k fanKey, st *fanState) {
	st.lactive = false
	if st.lfired || f.learn == nil || k.src.IsValid() {
		return
	}
	ep := k.ep.String()
	peaks, known := f.learn[ep]
	if !known && len(f.learn) >= fanMaxActors {
		return
	}
	if len(peaks) >= fanMaxHours {
		peaks = peaks[1:]
	}
	f.learn[ep] = append(peaks, st.lpeak)
}

// finishLearning turns the learned hours into usual values: the upper
// quartile of each endpoint's hourly peaks, hosts and ports apart.
func (f *Fanout) finishLearning() {
	f.states.Each(func(k fanKey, st *fanState) {
		if st.lactive {
			f.keepHour(k, st)
		}
	})
	base := map[string]fanBase{}
	var hs, ps []float64
	for ep, peaks := range f.learn {
		if len(peaks) < fanMinHours {
			continue
		}
		hs, ps = hs[:0], ps[:0]
		for _, p := range peaks {
			hs, ps = append(hs, p.Hosts), append(ps, p.Ports)
		}
		slices.Sort(hs)
		slices.Sort(ps)
		if b := (fanBase{Hosts: quantile(hs, 0.75), Ports: quantile(ps, 0.75)}); b.Hosts > 0 || b.Ports > 0 {
			base[ep] = b
		}
	}
	f.baseline, f.learn, f.segStale = base, nil, true
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
	case !f.env.Internal(ev.SrcIP) && (failed || detect.LoggedAttempt(ev)):
		// An outside source probing the endpoint: refused, unanswered, or
		// logged by a firewall rule that names no verdict (counted, but not
		// as failed).
		k.src = ev.SrcIP
	default:
		return
	}
	st := f.states.GetOr(k, func() *fanState { return &fanState{targets: map[netip.AddrPort]fanTarget{}} })
	if st.host == "" && ev.Host != "" {
		st.host = strings.Clone(ev.Host)
	}
	if f.learning && !k.src.IsValid() {
		f.noteHour(k, st, ev.Time)
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
// they came from: the minimums while learning and for outside scanners,
// else also baseline_factor times the endpoint's usual value, or its
// segment's median for an endpoint without one.
func (f *Fanout) thresholds(k fanKey) (hosts, ports float64, base fanBase, own bool) {
	if f.learning || k.src.IsValid() {
		return f.minHosts, f.minPorts, fanBase{}, false
	}
	base, own = f.baseline[k.ep.String()]
	if !own {
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

// judge evaluates an actor's window as it stood at its last connection (or
// at now, if earlier: a tick inside the burst), so that a scan followed by
// silence is judged on its own window.
func (f *Fanout) judge(k fanKey, st *fanState, now time.Time) (detect.Finding, bool) {
	if !st.last.IsZero() && st.last.Before(now) {
		now = st.last
	}
	needH, needP, base, own := f.thresholds(k)
	learn := f.learning && !k.src.IsValid()
	if reach := 1.5 * float64(len(st.targets)); reach < min(needH, needP) && (!learn || f.factor*reach < min(needH, needP)) {
		// Too few destinations to matter (or, while learning, to teach
		// more than the minimums already say): forget the old ones.
		if learn {
			st.lpeak = fanBase{Hosts: max(st.lpeak.Hosts, reach), Ports: max(st.lpeak.Ports, reach)}
		}
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
	if f.learning {
		switch {
		case learn && scan:
			st.lfired = true
		case learn:
			st.lpeak = fanBase{Hosts: max(st.lpeak.Hosts, c.effHosts()), Ports: max(st.lpeak.Ports, c.effPorts())}
		}
		if !scan {
			return detect.Finding{}, false
		}
	}
	if !horizontal && !vertical {
		return detect.Finding{}, false
	}
	st.reported = true
	return f.finding(k, st, c, horizontal, needH, needP, base, own), true
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
		en += fmt.Sprintf("; it usually reaches up to %s hosts and %s ports in %s", trimFloat(base.Hosts), trimFloat(base.Ports), dur(f.window))
		ja += fmt.Sprintf("（この端末は通常%sあたり%sホスト・%sポートまで）", durJA(f.window), trimFloat(base.Hosts), trimFloat(base.Ports))
	case !own && base.Hosts > 0:
		en += fmt.Sprintf("; a new machine: machines of its segment usually reach %s hosts in %s", trimFloat(base.Hosts), dur(f.window))
		ja += fmt.Sprintf("（新しい端末。同じセグメントの端末は通常%sあたり%sホスト）", durJA(f.window), trimFloat(base.Hosts))
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
