package normal

import (
	"fmt"
	"strconv"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// connectPort is N-CONNECT-PORT: a CONNECT request through the proxy to a
// port outside the baseline. The usual ports (443 by default) are normal
// for everyone; others only where the endpoint, its segment or the
// organisation used them while learning (a business application on
// 8443). A CONNECT the proxy denied counts: the program tried to tunnel.
type connectPort struct {
	rule
	prof  *detect.SetProfile
	usual map[uint16]bool
	names map[uint16]string
}

func newConnectPort(p detect.Params, env *detect.Env) detect.Detector {
	c := &connectPort{
		rule:  newRule(RuleConnectPort, env),
		prof:  detect.NewSetProfile(p.Int("max_ports", 64)),
		usual: map[uint16]bool{},
		names: map[uint16]string{},
	}
	for _, port := range p.Ints("usual_ports", []int{443}) {
		if port > 0 && port < 1<<16 {
			c.usual[uint16(port)] = true
		}
	}
	return c
}

// Params lists the tunables.
func (c *connectPort) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_ports", Default: 64, Doc: "CONNECT ports kept per endpoint"},
		{Name: "usual_ports", Default: []int{443}, Doc: "ports every endpoint may CONNECT to (HTTPS)"},
	}
}

// Kinds lists the events read: HTTP requests.
func (c *connectPort) Kinds() []event.Kind { return []event.Kind{event.KindHTTP} }

// target returns the endpoint, host and port of a CONNECT request.
func (c *connectPort) target(ev *event.Event) (*endpointInfo, string, uint16, bool) {
	if ev.Method != "CONNECT" || !ev.Endpoint.IsValid() || ev.Endpoint != ev.SrcIP {
		return nil, "", 0, false
	}
	port := urlPort(ev.URL)
	if port == 0 && proxyLog(ev) {
		port = ev.DstPort // the proxy log's own reading of the target
	}
	if port == 0 {
		return nil, "", 0, false
	}
	return c.eps.get(ev.Endpoint), requestHost(ev), port, true
}

func (c *connectPort) name(port uint16) string {
	if s, ok := c.names[port]; ok {
		return s
	}
	s := strconv.Itoa(int(port))
	c.names[port] = s
	return s
}

// Learn records the ports each endpoint tunnels to.
func (c *connectPort) Learn(ev *event.Event) {
	c.learnt++
	if c.sensorCopy(ev) {
		return
	}
	if in, _, port, ok := c.target(ev); ok {
		c.prof.Learn(in.id, in.segment, c.name(port))
	}
}

// Observe reports a CONNECT to a port outside the baseline.
func (c *connectPort) Observe(ev *event.Event, em *detect.Emitter) {
	if c.sensorCopy(ev) {
		return
	}
	if !c.ready() {
		return
	}
	in, host, port, ok := c.target(ev)
	if !ok || c.usual[port] {
		return
	}
	p := c.name(port)
	usual, why := c.prof.Usual(in.id, in.segment, p)
	if usual {
		return
	}
	score := 0.6
	if c.prof.Org[p] == 0 {
		score = 0.7 // nobody tunnels to this port
	}
	denied, deniedJA := "", ""
	if ev.Action == event.ActionDeny {
		denied, deniedJA = "; the proxy denied it", "（プロキシが拒否）"
	}
	dest := site(host)
	c.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: host, Key: p,
		Score: score, Rare: rare(c.env, dest),
		Summary: fmt.Sprintf("CONNECT through the proxy to %s port %s%s: a port not in the baseline (%s)",
			clip(host, 80), p, denied, why),
		SummaryJA: fmt.Sprintf("プロキシ経由で %s のポート %s へCONNECT%s。ベースラインにないポート", clip(host, 80), p, deniedJA),
		Details: map[string]string{
			"domain": host, "dst_port": p, "user_agent": clip(ev.UserAgent, 200), "baseline": why,
			"action": ev.Action.String(),
		},
		Evidence: []*event.Event{ev},
	})
}

// Baseline returns the learned state.
func (c *connectPort) Baseline() any { return profileBaseline{Learned: c.learnt, Profile: c.prof} }

// Restore sets the learned state.
func (c *connectPort) Restore(b []byte) error {
	var v profileBaseline
	if err := restoreJSON(c.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		c.prof = v.Profile
	}
	c.learnt = v.Learned
	return nil
}
