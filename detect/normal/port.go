package normal

import (
	"fmt"
	"strconv"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// port is N-PORT: an endpoint's outbound traffic to an internet port
// ("8443/tcp") that neither it, its segment nor the organisation uses.
// Attempts the firewall dropped count: the program tried.
type port struct {
	rule
	relays *relays
	prof   *detect.SetProfile
	names  map[portKey]string
}

type portKey struct {
	transport string
	port      uint16
}

func newPort(p detect.Params, env *detect.Env) detect.Detector {
	r := &port{rule: newRule(RulePort, env), prof: detect.NewSetProfile(p.Int("max_ports", 128)), names: map[portKey]string{}}
	r.relays = newRelays(p, r.eps)
	return r
}

// Params lists the tunables.
func (r *port) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_ports", Default: 128, Doc: "destination ports kept per endpoint; an endpoint using more is too varied to judge"},
		relayParam,
	}
}

// Kinds lists the events read: connections (and the proxy log, to know
// the proxy's own connections).
func (r *port) Kinds() []event.Kind { return []event.Kind{event.KindConnection, event.KindHTTP} }

// value returns the endpoint and the port value of an outbound
// connection.
func (r *port) value(ev *event.Event) (*endpointInfo, string, bool) {
	if ev.Kind != event.KindConnection || ev.DstPort == 0 {
		return nil, "", false
	}
	src, _, ok := outbound(r.env, ev)
	if !ok || r.relays.is(src) {
		return nil, "", false
	}
	k := portKey{ev.Transport, ev.DstPort}
	v, ok := r.names[k]
	if !ok {
		if len(r.names) >= 1<<16 {
			clear(r.names)
		}
		v = portName(ev.Transport, ev.DstPort)
		r.names[k] = v
	}
	return r.eps.get(src), v, true
}

// Learn records the ports each endpoint reaches.
func (r *port) Learn(ev *event.Event) {
	r.learnt++
	r.relays.note(r.env, ev)
	if in, v, ok := r.value(ev); ok {
		r.prof.Learn(in.id, in.segment, v)
	}
}

// Observe reports an outbound port outside the baseline.
func (r *port) Observe(ev *event.Event, em *detect.Emitter) {
	r.relays.note(r.env, ev)
	if !r.ready() {
		return
	}
	in, v, ok := r.value(ev)
	if !ok {
		return
	}
	usual, why := r.prof.Usual(in.id, in.segment, v)
	if usual {
		return
	}
	org := int(r.prof.Org[v])
	score := 0.5
	if ev.Action != event.ActionDeny && (ev.BytesIn > 0 || ev.Action == event.ActionAllow) {
		score = 0.6 // it went through
	}
	if org == 0 {
		score += 0.1
	}
	dst := ev.DstIP.String()
	what, whatJA := verdict(ev)
	r.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: dst, Key: v,
		Score: score, Rare: rare(r.env, dst),
		Summary: fmt.Sprintf("outbound to %s port %s (%s by %s): a destination port not in the baseline (%s)",
			dst, v, what, ev.Format, why),
		SummaryJA: fmt.Sprintf("%s のポート %s への外向き通信（%s で%s）。ベースラインにない通信先ポート（学習期間中に%d台のエンドポイントが使用）",
			dst, v, ev.Format, whatJA, org),
		Details: map[string]string{
			"dst_ip": dst, "dst_port": strconv.Itoa(int(ev.DstPort)), "transport": ev.Transport,
			"action": ev.Action.String(), "baseline": why, "org_endpoints": strconv.Itoa(org),
		},
		Evidence: []*event.Event{ev},
	})
}

// portBaseline is what N-PORT saves.
type portBaseline struct {
	Learned int64              `json:"learned_events"`
	Profile *detect.SetProfile `json:"profile"`
	savedRelays
}

// Baseline returns the learned state.
func (r *port) Baseline() any {
	return portBaseline{Learned: r.learnt, Profile: r.prof, savedRelays: r.relays.save()}
}

// Restore sets the learned state.
func (r *port) Restore(b []byte) error {
	var v portBaseline
	if err := restoreJSON(r.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		r.prof = v.Profile
	}
	r.learnt = v.Learned
	r.relays.restore(v.savedRelays)
	return nil
}
