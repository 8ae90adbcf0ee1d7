package normal

import (
	"fmt"
	"strconv"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/internal/human"
)

// bypass is N-PROXY-BYPASS: web traffic going straight out (seen at the
// firewall or by a sensor) from an endpoint that uses the proxy, which it
// appears in the proxy log as a client of. Allowed and blocked attempts
// both count, and the finding says which. Direct web destinations an
// endpoint (or its segment, or the organisation) used while learning are
// sanctioned exceptions (an update service let through on purpose).
type bypass struct {
	rule
	relays *relays
	prof   *detect.SetProfile // direct web destinations (addresses)
	web    map[uint16]bool
}

// defaultWebPorts are the ports of web traffic: HTTP, HTTPS (TCP and
// QUIC) and the usual alternatives and proxy ports.
var defaultWebPorts = []int{80, 443, 8080, 8443, 8000, 8008, 8888, 3128}

func newProxyBypass(p detect.Params, env *detect.Env) detect.Detector {
	b := &bypass{rule: newRule(RuleProxyBypass, env), prof: detect.NewSetProfile(p.Int("max_destinations", 64)), web: map[uint16]bool{}}
	b.relays = newRelays(p, b.eps)
	for _, port := range p.Ints("web_ports", defaultWebPorts) {
		if port > 0 && port < 1<<16 {
			b.web[uint16(port)] = true
		}
	}
	return b
}

// Params lists the tunables.
func (b *bypass) Params() []detect.Param {
	return []detect.Param{
		{Name: "web_ports", Default: defaultWebPorts, Doc: "destination ports of web traffic that should go through the proxy"},
		{Name: "max_destinations", Default: 64, Doc: "direct web destinations kept per endpoint as sanctioned exceptions"},
		relayParam,
	}
}

// Kinds lists the events read: connections, and the proxy log to know its
// clients.
func (b *bypass) Kinds() []event.Kind { return []event.Kind{event.KindConnection, event.KindHTTP} }

// direct returns the endpoint of a direct outbound web connection.
func (b *bypass) direct(ev *event.Event) (*endpointInfo, bool) {
	if ev.Kind != event.KindConnection || !b.web[ev.DstPort] || (ev.Transport != "tcp" && ev.Transport != "udp" && ev.Transport != "") {
		return nil, false
	}
	src, _, ok := outbound(b.env, ev)
	if !ok || b.relays.is(src) {
		return nil, false
	}
	return b.eps.get(src), true
}

// Learn records the proxy's clients and the direct web destinations in
// use.
func (b *bypass) Learn(ev *event.Event) {
	b.learnt++
	b.relays.note(b.env, ev)
	if in, ok := b.direct(ev); ok {
		b.prof.Learn(in.id, in.segment, ev.DstIP.String())
	}
}

// Observe reports direct web traffic from a proxy client.
func (b *bypass) Observe(ev *event.Event, em *detect.Emitter) {
	b.relays.note(b.env, ev)
	if !b.ready() {
		return
	}
	in, ok := b.direct(ev)
	if !ok {
		return
	}
	requests, client := b.relays.client(ev.SrcIP)
	if !client {
		return
	}
	dst := ev.DstIP.String()
	usual, why := b.prof.Usual(in.id, in.segment, dst)
	if usual {
		return
	}
	score := 0.7
	what, whatJA := "", ""
	switch ev.Action {
	case event.ActionDeny:
		score = 0.5 // an attempt: the firewall did its job
		what, whatJA = "the firewall blocked it", "ファイアウォールが遮断"
	case event.ActionAllow:
		what, whatJA = "the firewall allowed it", "ファイアウォールが許可"
	default:
		what, whatJA = "a sensor saw it", "センサーで観測"
	}
	if ev.BytesIn > 0 && ev.Action != event.ActionDeny {
		score = 0.8
		what += fmt.Sprintf(" and it received %s", human.Traffic(ev.BytesIn))
		whatJA += fmt.Sprintf("、%sを受信", human.Traffic(ev.BytesIn))
	}
	label := ""
	if ev.Label != "" {
		label = " " + clip(ev.Label, 40)
	}
	b.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: dst, Key: dst,
		Score: score, Rare: rare(b.env, dst),
		Summary: fmt.Sprintf("connected directly to %s port %s, not through the proxy it uses (%d requests in the proxy log); %s (%s%s)",
			dst, portName(ev.Transport, ev.DstPort), requests, what, ev.Format, label),
		SummaryJA: fmt.Sprintf("普段プロキシを使う端末（プロキシログに%d件）が %s のポート %s へ直接接続（%s）",
			requests, dst, portName(ev.Transport, ev.DstPort), whatJA),
		Details: map[string]string{
			"dst_ip": dst, "dst_port": strconv.Itoa(int(ev.DstPort)), "action": ev.Action.String(),
			"proxy_requests": strconv.FormatUint(uint64(requests), 10), "baseline": why, "label": ev.Label,
		},
		Evidence: []*event.Event{ev},
	})
}

// bypassBaseline is what N-PROXY-BYPASS saves.
type bypassBaseline struct {
	Learned int64              `json:"learned_events"`
	Profile *detect.SetProfile `json:"profile"`
	savedRelays
}

// Baseline returns the learned state.
func (b *bypass) Baseline() any {
	return bypassBaseline{Learned: b.learnt, Profile: b.prof, savedRelays: b.relays.save()}
}

// Restore sets the learned state.
func (b *bypass) Restore(data []byte) error {
	var v bypassBaseline
	if err := restoreJSON(b.id, data, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		b.prof = v.Profile
	}
	b.learnt = v.Learned
	b.relays.restore(v.savedRelays)
	return nil
}
