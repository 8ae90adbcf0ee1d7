package statistical

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// Refused is S-REFUSED: an endpoint connecting to one address and port
// again and again and being refused or left unanswered (Zeek's REJ, S0
// and resets before any data, a firewall's drops, a Suricata flow the
// server only reset or never answered: detect.ExchangeOf). Malware
// retrying a C2 server that is down, blocked or sinkholed does this
// hundreds of times in minutes; nothing is exchanged, so the other rules
// see nothing (no beacon sizes, no IOC without a list).
//
// Per endpoint and destination address, port and transport it counts the
// failed and the answered connections in per-minute buckets over a
// sliding `window`. A window with at least min_failed failures, at least
// min_share of its connections failed, is reported once per storm (the
// alert's count follows it). The score grows with the storm: the minimum
// scores 0.5, four times it 0.7, sixteen times it 0.9. A destination that
// is a well-known service (a public resolver, NTP: catalog.ServiceOf) is
// reported at info: a broken resolver or time server setting, not malware.
//
// Only the endpoint's own connections count, to the internet or to other
// office machines (one internal target hammered: spreading, phase 4); an
// outside source hammering the office is a scan or a flood (S-FANOUT,
// M-IDS). Relays (the proxy, the gateway) are left out: they retry on
// their clients' behalf. State is kept only for destinations that failed.
type Refused struct {
	env    *detect.Env
	relays *relays

	window    time.Duration
	minFailed int
	minShare  float64

	states *detect.LRU[refKey, *refState]
	dirty  []refKey
}

// refKey is an endpoint and the address, port and transport it tries.
type refKey struct {
	ep    netip.Addr
	dst   netip.AddrPort
	proto string
}

// refBucket is one minute of a key's window.
type refBucket struct {
	minute           int64
	failed, answered uint32
}

// refState is a key's window and its current storm.
type refState struct {
	buckets     []refBucket // ring indexed by minute
	host        string
	first, last time.Time // of the storm: failures with no gap longer than the window
	total       int       // failures in the storm
	answered    int       // answered connections in the storm
	refused     int       // of the failures, refused or blocked (the rest had no answer)
	firstEv     evidence
	lastEv      evidence
	dirty       bool
}

// S-REFUSED defaults: 100 failures in 10 minutes is one every six
// seconds, far more than any program retries a server that is down (a
// browser gives up after a few, a service backs off to minutes), and a
// C2 implant's retry loop reaches it within minutes; 90 % failed leaves
// room for a few that got through.
const (
	refWindow    = 10 * time.Minute
	refMinFailed = 100
	refMinShare  = 0.9
	refMaxKeys   = 20_000
)

// NewRefused builds S-REFUSED.
func NewRefused(p detect.Params, env *detect.Env) detect.Detector {
	window := p.Duration("window", refWindow)
	return &Refused{
		env:       env,
		relays:    newRelays(p.Strings("relay_roles", defaultRelayRoles), env),
		window:    window,
		minFailed: max(1, p.Int("min_failed", refMinFailed)),
		minShare:  p.Float("min_share", refMinShare),
		states:    detect.NewLRU[refKey, *refState](max(1, p.Int("max_keys", refMaxKeys))),
	}
}

// Rule implements detect.Detector.
func (*Refused) Rule() string { return "S-REFUSED" }

// Kinds implements detect.Detector.
func (*Refused) Kinds() []event.Kind { return []event.Kind{event.KindConnection} }

// Params implements detect.Parameterized.
func (*Refused) Params() []detect.Param {
	return []detect.Param{
		{Name: "window", Default: "10m", Doc: "sliding window connections are counted over"},
		{Name: "min_failed", Default: refMinFailed, Doc: "refused or unanswered connections to one address and port in the window"},
		{Name: "min_share", Default: refMinShare, Doc: "share of the window's connections to it that failed"},
		{Name: "max_keys", Default: refMaxKeys, Doc: "endpoint → address:port pairs tracked; the least recently active are forgotten"},
		{Name: "relay_roles", Default: defaultRelayRoles, Doc: "inventory roles of machines that relay others' traffic (left out)"},
	}
}

// minutes is how many buckets the window needs.
func (r *Refused) minutes() int { return max(1, int((r.window+time.Minute-1)/time.Minute)) }

// Observe implements detect.Detector.
func (r *Refused) Observe(ev *event.Event, _ *detect.Emitter) {
	r.relays.note(ev)
	if !ev.Endpoint.IsValid() || ev.Endpoint != ev.SrcIP || !ev.DstIP.IsValid() || ev.DstIP == ev.SrcIP ||
		detect.IsICMP(ev.Transport) || ev.DstPort == 0 || r.relays.is(ev.Endpoint) {
		return
	}
	if !ev.DstIP.IsGlobalUnicast() || r.env.Own(ev.DstIP) && !r.env.Internal(ev.DstIP) {
		return // broadcast and multicast; the office's own public addresses
	}
	x := detect.ExchangeOf(ev)
	failed := x == detect.ExchangeRefused || x == detect.ExchangeUnanswered
	k := refKey{ep: ev.Endpoint, dst: netip.AddrPortFrom(ev.DstIP, ev.DstPort), proto: transport(ev.Transport)}
	st, ok := r.states.Get(k)
	if !ok {
		if !failed {
			return // state only for destinations that fail
		}
		st = &refState{buckets: make([]refBucket, r.minutes())}
		r.states.Put(k, st)
	}
	m := ev.Time.Unix() / 60
	b := &st.buckets[mod(m, int64(len(st.buckets)))]
	if b.minute != m {
		*b = refBucket{minute: m}
	}
	if !failed {
		if x == detect.ExchangeAnswered {
			b.answered++
			if !st.first.IsZero() {
				st.answered++
			}
		}
		return
	}
	b.failed++
	if st.first.IsZero() || ev.Time.Sub(st.last) > r.window {
		*st = refState{buckets: st.buckets, host: st.host, first: ev.Time, firstEv: evidenceOf(ev)}
	}
	if st.host == "" && ev.Host != "" {
		st.host = strings.Clone(ev.Host)
	}
	st.total++
	if x == detect.ExchangeRefused {
		st.refused++
	}
	if ev.Time.After(st.last) {
		st.last = ev.Time
	}
	st.lastEv = evidenceOf(ev)
	if !st.dirty {
		st.dirty = true
		r.dirty = append(r.dirty, k)
	}
}

// Tick implements detect.Ticker.
func (r *Refused) Tick(now time.Time, em *detect.Emitter) { r.evaluate(now, em) }

// Finish implements detect.Finisher.
func (r *Refused) Finish(now time.Time, em *detect.Emitter) { r.evaluate(now, em) }

func (r *Refused) evaluate(now time.Time, em *detect.Emitter) {
	dirty := r.dirty
	r.dirty = r.dirty[:0] // reused: nothing is marked while judging
	for _, k := range dirty {
		st, ok := r.states.Peek(k)
		if !ok || !st.dirty {
			continue
		}
		st.dirty = false
		if f, ok := r.judge(k, st, now); ok {
			em.Emit(f)
		}
	}
}

// judge reports a storm whose window reaches the thresholds.
func (r *Refused) judge(k refKey, st *refState, now time.Time) (detect.Finding, bool) {
	var failed, answered int
	cut := now.Add(-r.window).Unix() / 60
	for _, b := range st.buckets {
		if b.minute > cut && b.minute <= now.Unix()/60+1 {
			failed += int(b.failed)
			answered += int(b.answered)
		}
	}
	if failed < r.minFailed || float64(failed) < r.minShare*float64(failed+answered) {
		return detect.Finding{}, false
	}
	return r.finding(k, st, failed, answered), true
}

// finding writes a storm up.
func (r *Refused) finding(k refKey, st *refState, failed, answered int) detect.Finding {
	ep := k.ep.String()
	dst := k.dst.String()
	svc := portName(k.proto, k.dst.Port())
	d := st.last.Sub(st.first)
	how, howJA := "refused", "拒否"
	switch {
	case st.refused == 0:
		how, howJA = "unanswered", "無応答"
	case st.refused < st.total:
		how, howJA = fmt.Sprintf("refused or unanswered (%d refused)", st.refused), fmt.Sprintf("拒否または無応答（拒否%d件）", st.refused)
	}
	got := "none got through"
	gotJA := "成立した接続はない"
	if st.answered > 0 {
		got = detect.Plural(st.answered, "connection") + " got through"
		gotJA = fmt.Sprintf("成立した接続は%d件", st.answered)
	}
	en := fmt.Sprintf("%s connections to %s (%s) in %s, %s; %s", strconv.Itoa(st.total), dst, svc, dur(d), how, got)
	ja := fmt.Sprintf("%s（%s）への接続が%sで%d回%sとなった。%s", dst, svc, durJA(d), st.total, howJA, gotJA)
	// Score: the minimum is 0.5, each doubling adds 0.1.
	score := clamp01(0.5 + 0.1*math.Log2(float64(st.total)/float64(r.minFailed)))
	phase := 0
	if r.env.Internal(k.dst.Addr()) {
		phase = 4 // one office machine hammered by another
		en += "; the target is an office machine"
		ja += "。接続先は組織内の端末である"
	}
	var sev *alert.Severity
	if c := r.env.Catalog; c != nil {
		if m, ok := c.ServiceOf("", k.dst.Addr(), k.proto, k.dst.Port()); ok {
			info := alert.Info
			sev, score = &info, min(score, 0.39)
			en += fmt.Sprintf("; %s is %s (%s): a broken setting rather than malware", dst, m.Service.Title.EN, m.By)
			ja += fmt.Sprintf("。%s は%s（%s）であり、マルウェアより設定の誤りが考えられる", dst, m.Service.Title.JA, m.By)
		}
	}
	return detect.Finding{
		Time:      st.last,
		FirstSeen: st.first,
		Endpoint:  ep,
		Host:      st.host,
		Peer:      dst,
		Key:       dst + "/" + k.proto,
		Score:     score,
		Count:     st.total,
		Absolute:  true,
		Summary:   en,
		SummaryJA: ja,
		Details: map[string]string{
			"failed":          strconv.Itoa(st.total),
			"refused":         strconv.Itoa(st.refused),
			"unanswered":      strconv.Itoa(st.total - st.refused),
			"answered":        strconv.Itoa(st.answered),
			"window_failed":   strconv.Itoa(failed),
			"window_answered": strconv.Itoa(answered),
			"service":         svc,
			"threshold":       strconv.Itoa(r.minFailed),
			"window":          r.window.String(),
		},
		Evidence: events(st.firstEv, st.lastEv),
		Phase:    phase,
		Severity: sev,
		Rare:     r.env.Prevalence != nil && !r.env.Internal(k.dst.Addr()) && r.env.Prevalence.Rare(k.dst.Addr().String()),
	}
}
