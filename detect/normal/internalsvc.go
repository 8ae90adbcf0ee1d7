package normal

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// internalSvc is N-INTERNAL-SVC: an endpoint opening an internal server's
// port that neither it nor its segment uses. Two baselines answer: the
// exact server and port ("10.0.20.10:445"), and the kind of machine and
// port ("file-server:445", "pc:445", by the inventory's role, else the
// segment or network), so that the administrator who looks at one PC's
// services over SMB may look at another's, while an office PC that starts
// talking SMB to other PCs may not.
type internalSvc struct {
	rule
	exact, class *detect.SetProfile
	names        map[svcName]string // value strings, to keep Observe allocation-free
	// spread is, per endpoint and port, the kinds of machine it reached
	// outside its baseline lately: a sweep over the LAN is one alert
	// naming them all, not one per kind.
	spread *detect.LRU[string, *svcSpread]
}

// svcSpread is the kinds of internal machine one endpoint reached on one
// port outside its baseline, since first.
type svcSpread struct {
	first time.Time
	hits  []svcHit
}

type svcHit struct {
	class, host string
	dst         netip.Addr
}

// Bounds of the spread: kinds named per endpoint and port, and how long a
// list runs before it starts again.
const (
	maxSpreadHits = 12
	spreadWindow  = 24 * time.Hour
)

type svcName struct {
	what string     // a class, or "" for an exact server
	addr netip.Addr // the server, for exact values
	port uint16
}

// dynamicPorts starts the IANA dynamic range: RPC services and passive
// transfers listen on ports from it that change every time, so they are
// one value, "dynamic".
const dynamicPorts = 49152

func newInternalSvc(p detect.Params, env *detect.Env) detect.Detector {
	n := p.Int("max_services", 512)
	return &internalSvc{
		rule:   newRule(RuleInternalSvc, env),
		exact:  detect.NewSetProfile(n),
		class:  detect.NewSetProfile(n),
		names:  map[svcName]string{},
		spread: detect.NewLRU[string, *svcSpread](1 << 14),
	}
}

// Params lists the tunables.
func (s *internalSvc) Params() []detect.Param {
	return []detect.Param{{Name: "max_services", Default: 512, Doc: "internal server:port pairs kept per endpoint; an endpoint using more (a scanner, a monitoring server) is too varied to judge"}}
}

// Kinds lists the events read: connections, SMB and DCE/RPC.
func (s *internalSvc) Kinds() []event.Kind {
	return []event.Kind{event.KindConnection, event.KindSMB, event.KindRPC}
}

func (s *internalSvc) name(k svcName) string {
	if v, ok := s.names[k]; ok {
		return v
	}
	if len(s.names) >= 1<<16 {
		clear(s.names)
	}
	port := strconv.Itoa(int(k.port))
	if k.port >= dynamicPorts {
		port = "dynamic"
	}
	v := k.what + ":" + port
	if k.what == "" {
		v = netip.AddrPortFrom(k.addr, k.port).String()
		if k.port >= dynamicPorts {
			v = k.addr.String() + ":dynamic"
		}
	}
	s.names[k] = v
	return v
}

// values returns the endpoint and the exact and class values of an
// internal connection it opened.
func (s *internalSvc) values(ev *event.Event) (src *endpointInfo, dst netip.Addr, exact, class string, ok bool) {
	if !ev.SrcIP.IsValid() || ev.Endpoint != ev.SrcIP || ev.DstPort == 0 || ev.SrcIP == ev.DstIP ||
		!s.env.Internal(ev.DstIP) || !s.env.Internal(ev.SrcIP) {
		return nil, dst, "", "", false
	}
	dst = ev.DstIP
	port := ev.DstPort
	if port >= dynamicPorts {
		port = dynamicPorts
	}
	exact = s.name(svcName{addr: dst, port: port})
	class = s.name(svcName{what: s.eps.get(dst).class, port: port})
	return s.eps.get(ev.SrcIP), dst, exact, class, true
}

// Learn records the internal services each endpoint uses.
func (s *internalSvc) Learn(ev *event.Event) {
	s.learnt++
	src, _, exact, class, ok := s.values(ev)
	if !ok {
		return
	}
	s.exact.Learn(src.id, src.segment, exact)
	s.class.Learn(src.id, src.segment, class)
}

// lateralPorts are the ports of remote administration and file sharing
// that spreading inside a LAN uses.
var lateralPorts = map[uint16]string{
	22: "ssh", 23: "telnet", 135: "msrpc", 139: "netbios-ssn", 445: "smb", 1433: "mssql", 3306: "mysql",
	3389: "rdp", 5432: "postgresql", 5900: "vnc", 5985: "winrm", 5986: "winrm-https",
}

// Observe reports an internal service outside the baselines.
func (s *internalSvc) Observe(ev *event.Event, em *detect.Emitter) {
	if !s.ready() {
		return
	}
	src, dst, exact, class, ok := s.values(ev)
	if !ok {
		return
	}
	if usual, _ := s.exact.Usual(src.id, src.segment, exact); usual {
		return
	}
	usual, why := s.class.Usual(src.id, src.segment, class)
	if usual {
		return
	}
	d := s.eps.get(dst)
	svc, lateral := lateralPorts[ev.DstPort]
	if svc == "" {
		svc = ev.Service
	}
	score := 0.5
	if lateral {
		score = 0.7
	}
	if s.class.Org[class] == 0 {
		score += 0.1 // nobody in the organisation uses such a service
	}
	port := strconv.Itoa(int(ev.DstPort))
	if svc != "" {
		port += " (" + svc + ")"
	}
	attempt, attemptJA := "", ""
	if ev.Action == event.ActionDeny || ev.Label == "S0" || ev.Label == "REJ" || ev.Label == "RSTOS0" {
		attempt, attemptJA = ", without an answer", "（応答なし）"
	}
	summary := fmt.Sprintf("connected to %s on port %s%s: no %s port %s in its baseline or its segment's (%s)",
		hostOf(d.id, d.host), port, attempt, d.class, port, why)
	summaryJA := fmt.Sprintf("%s のポート %s に接続%s。このエンドポイントとそのセグメントのベースラインにない内部サービス（%s）",
		hostOf(d.id, d.host), port, attemptJA, d.class)
	sp := s.spreadOf(src.id, ev.DstPort, ev.Time)
	if !slices.ContainsFunc(sp.hits, func(h svcHit) bool { return h.class == d.class }) && len(sp.hits) < maxSpreadHits {
		name := d.host
		if name == "" {
			name = d.id
		}
		sp.hits = append(sp.hits, svcHit{class: d.class, host: name, dst: dst})
	}
	peer := dst
	if len(sp.hits) > 1 {
		peer = sp.hits[0].dst
		kinds := make([]string, len(sp.hits))
		for i, h := range sp.hits {
			kinds[i] = h.host + " (" + h.class + ")"
		}
		summary = fmt.Sprintf("connected on port %s to %d kinds of internal machine outside its baseline and its segment's: %s",
			port, len(sp.hits), strings.Join(kinds, ", "))
		summaryJA = fmt.Sprintf("ポート %s で、このエンドポイントとそのセグメントのベースラインにない %d 種類の内部機器に接続：%s",
			port, len(sp.hits), strings.Join(kinds, "、"))
	}
	s.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: src.id, Host: ev.Host, Peer: peer.String(), Key: "port:" + strconv.Itoa(int(ev.DstPort)),
		Score:     score,
		Summary:   summary,
		SummaryJA: summaryJA,
		Details: map[string]string{
			"dst_ip": dst.String(), "dst_port": strconv.Itoa(int(ev.DstPort)), "service": svc,
			"class": d.class, "baseline": why, "format": ev.Format,
		},
		Evidence: []*event.Event{ev},
	})
}

// spreadOf returns the spread of endpoint on port, started afresh when
// its first kind is older than the window.
func (s *internalSvc) spreadOf(endpoint string, port uint16, at time.Time) *svcSpread {
	k := endpoint + "\x00" + strconv.Itoa(int(port))
	sp := s.spread.GetOr(k, func() *svcSpread { return &svcSpread{first: at} })
	if at.Sub(sp.first) > spreadWindow {
		sp.first, sp.hits = at, sp.hits[:0]
	}
	return sp
}

// internalSvcBaseline is what N-INTERNAL-SVC saves.
type internalSvcBaseline struct {
	Learned int64              `json:"learned_events"`
	Exact   *detect.SetProfile `json:"exact"`
	Class   *detect.SetProfile `json:"class"`
}

// Baseline returns the learned state.
func (s *internalSvc) Baseline() any {
	return internalSvcBaseline{Learned: s.learnt, Exact: s.exact, Class: s.class}
}

// Restore sets the learned state.
func (s *internalSvc) Restore(b []byte) error {
	var v internalSvcBaseline
	if err := restoreJSON(s.id, b, &v); err != nil {
		return err
	}
	if v.Exact != nil && v.Class != nil {
		s.exact, s.class = v.Exact, v.Class
	}
	s.learnt = v.Learned
	return nil
}
