package normal

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// port is N-PORT: an endpoint's outbound traffic to an internet port
// ("8443/tcp") that neither it, its segment nor the organisation uses.
// Attempts the firewall dropped count: the program tried.
//
// One alert per endpoint (key "ports") lists what it touched: a scan's
// forty new ports, or a program's two, are one alert naming the ports and
// destinations, not one alert per port.
type port struct {
	rule
	relays  *relays
	prof    *detect.SetProfile
	names   map[portKey]string
	touched *detect.LRU[string, *portGroup] // by endpoint
}

// portGroup is what one endpoint touched outside its baseline lately.
type portGroup struct {
	ports []string // "8443/tcp", in the order first seen, at most maxGroupPorts
	more  int      // ports beyond the bound
	dsts  map[string]struct{}
	last  time.Time
}

// Bounds: 4096 endpoints, 12 ports listed and 32 destinations counted
// exactly each; a group is forgotten after a day without a mismatch.
const (
	maxGroupEndpoints = 4096
	maxGroupPorts     = 12
	maxGroupDsts      = 32
	groupIdle         = 24 * time.Hour
)

// note adds a mismatch to the endpoint's group and returns the group.
func (r *port) note(ep, v, dst string, at time.Time) *portGroup {
	g := r.touched.GetOr(ep, func() *portGroup { return &portGroup{dsts: map[string]struct{}{}} })
	if !g.last.IsZero() && at.Sub(g.last) > groupIdle {
		*g = portGroup{dsts: map[string]struct{}{}}
	}
	g.last = at
	if !slices.Contains(g.ports, v) {
		if len(g.ports) < maxGroupPorts {
			g.ports = append(g.ports, v)
		} else {
			g.more++
		}
	}
	if len(g.dsts) < maxGroupDsts {
		g.dsts[dst] = struct{}{}
	}
	return g
}

// n is how many ports the group holds.
func (g *portGroup) n() int { return len(g.ports) + g.more }

// list names the group's ports.
func (g *portGroup) list() string {
	s := strings.Join(g.ports, ", ")
	if g.more > 0 {
		s += fmt.Sprintf(" and %d more", g.more)
	}
	return s
}

type portKey struct {
	transport string
	port      uint16
}

func newPort(p detect.Params, env *detect.Env) detect.Detector {
	r := &port{rule: newRule(RulePort, env), prof: detect.NewSetProfile(p.Int("max_ports", 128)), names: map[portKey]string{},
		touched: detect.NewLRU[string, *portGroup](maxGroupEndpoints)}
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
	g := r.note(in.id, v, dst, ev.Time)
	summary := fmt.Sprintf("outbound to %s port %s (%s by %s): a destination port not in the baseline (%s)",
		dst, v, what, ev.Format, why)
	summaryJA := fmt.Sprintf("%s のポート %s への外向き通信（%s で%s）。ベースラインにない通信先ポート（学習期間中に%d台のエンドポイントが使用）",
		dst, v, ev.Format, whatJA, org)
	if n := g.n(); n > 1 {
		// One source's mismatches are one alert listing what it touched.
		dsts := strconv.Itoa(len(g.dsts))
		if len(g.dsts) >= maxGroupDsts {
			dsts += "+"
		}
		summary = fmt.Sprintf("outbound to %d ports not in the baseline (%s) on %s destination(s); the latest: %s port %s (%s by %s, %s)",
			n, g.list(), dsts, dst, v, what, ev.Format, why)
		summaryJA = fmt.Sprintf("ベースラインにない %d 個の通信先ポート（%s）へ、%s 件の宛先に外向き通信。最新：%s のポート %s（%s で%s）",
			n, g.list(), dsts, dst, v, ev.Format, whatJA)
		if n >= 10 {
			score = max(score, 0.7) // a scan, or something that tries port after port
		}
	}
	r.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: dst, Key: "ports",
		Score: score, Rare: rare(r.env, dst),
		Summary: summary, SummaryJA: summaryJA,
		Details: map[string]string{
			"dst_ip": dst, "dst_port": strconv.Itoa(int(ev.DstPort)), "transport": ev.Transport,
			"action": ev.Action.String(), "baseline": why, "org_endpoints": strconv.Itoa(org),
			"ports": strconv.Itoa(g.n()), "port_list": g.list(), "destinations": strconv.Itoa(len(g.dsts)),
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
