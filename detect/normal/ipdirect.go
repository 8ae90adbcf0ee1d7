package normal

import (
	"fmt"
	"net/netip"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// ipDirect is N-IP-DIRECT: an HTTP request naming a bare internet address
// as its host (http://203.0.113.5/..., CONNECT 203.0.113.5:443, or a
// request without a Host header that a sensor logs by address). Addresses
// inside the organisation (a printer's or a NAS's admin page) are not
// judged. The baseline holds the addresses each endpoint used so: one its
// segment or the organisation also uses (a business service at a fixed
// address), and an endpoint that habitually uses many (a monitoring host),
// are normal.
type ipDirect struct {
	rule
	prof  *detect.SetProfile
	habit int
}

func newIPDirect(p detect.Params, env *detect.Env) detect.Detector {
	return &ipDirect{
		rule:  newRule(RuleIPDirect, env),
		prof:  detect.NewSetProfile(p.Int("max_addresses", 64)),
		habit: p.Int("habitual", 5),
	}
}

// Params lists the tunables.
func (d *ipDirect) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_addresses", Default: 64, Doc: "addresses kept per endpoint"},
		{Name: "habitual", Default: 5, Doc: "an endpoint that used this many different internet addresses as HTTP hosts while learning does so by habit and is not judged"},
	}
}

// Kinds lists the events read: HTTP requests.
func (d *ipDirect) Kinds() []event.Kind { return []event.Kind{event.KindHTTP} }

// literal returns the endpoint and the internet address a request named.
func (d *ipDirect) literal(ev *event.Event) (*endpointInfo, netip.Addr, bool) {
	if !ev.Endpoint.IsValid() || ev.Endpoint != ev.SrcIP {
		return nil, netip.Addr{}, false
	}
	a, ok := ipLiteral(requestHost(ev))
	if !ok || d.env.Internal(a) || !publicAddr(a) {
		return nil, a, false
	}
	return d.eps.get(ev.Endpoint), a, true
}

// Learn records the addresses each endpoint uses as HTTP hosts.
func (d *ipDirect) Learn(ev *event.Event) {
	d.learnt++
	if d.sensorCopy(ev) {
		return
	}
	if in, a, ok := d.literal(ev); ok {
		d.prof.Learn(in.id, in.segment, a.String())
	}
}

// Observe reports a request to a bare internet address.
func (d *ipDirect) Observe(ev *event.Event, em *detect.Emitter) {
	if d.sensorCopy(ev) {
		return
	}
	if !d.ready() {
		return
	}
	in, a, ok := d.literal(ev)
	if !ok {
		return
	}
	ip := a.String()
	if usual, _ := d.prof.Usual(in.id, in.segment, ip); usual || len(d.prof.Values(in.id)) >= d.habit {
		return
	}
	why := fmt.Sprintf("it used %d bare addresses while learning; %d endpoints used this one",
		len(d.prof.Values(in.id)), d.prof.Org[ip])
	score := 0.6
	what, whatJA := ev.Method+" "+clip(ev.URL, 120), ev.Method+" "+clip(ev.URL, 120)
	if exe, isExe := executable(ev); isExe {
		score = 0.8
		what, whatJA = what+", an executable ("+exe+")", whatJA+"（実行ファイル "+exe+"）"
	} else if ev.Method == "POST" || ev.Method == "PUT" {
		score = 0.7
	}
	denied, deniedJA := "", ""
	if ev.Action == event.ActionDeny {
		denied, deniedJA = " (denied)", "（拒否）"
	}
	d.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: ip, Key: ip,
		Score: score, Rare: rare(d.env, ip),
		Summary: fmt.Sprintf("HTTP request to the bare address %s%s: %s (%s)", ip, denied, what, why),
		SummaryJA: fmt.Sprintf("IPアドレス %s を直接指定したHTTPリクエスト%s: %s（学習期間中にこのアドレスを使ったエンドポイントは%d台）",
			ip, deniedJA, whatJA, d.prof.Org[ip]),
		Details: map[string]string{
			"dst_ip": ip, "url": clip(ev.URL, 300), "method": ev.Method, "user_agent": clip(ev.UserAgent, 200), "baseline": why,
		},
		Evidence: []*event.Event{ev},
	})
}

// Baseline returns the learned state.
func (d *ipDirect) Baseline() any { return profileBaseline{Learned: d.learnt, Profile: d.prof} }

// Restore sets the learned state.
func (d *ipDirect) Restore(b []byte) error {
	var v profileBaseline
	if err := restoreJSON(d.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		d.prof = v.Profile
	}
	d.learnt = v.Learned
	return nil
}
