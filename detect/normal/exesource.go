package normal

import (
	"fmt"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// exeSource is N-EXE-SOURCE: an executable downloaded from a site the
// organisation does not get executables from. The usual sites are learned
// per endpoint and shared through the segment and the organisation (the
// update host every PC uses is usual for a new PC too); a site most
// endpoints reach anyway (a popular CDN) is not held against anyone.
type exeSource struct {
	rule
	prof *detect.SetProfile
	ddns *catalog.List
}

func newExeSource(p detect.Params, env *detect.Env) detect.Detector {
	e := &exeSource{rule: newRule(RuleExeSource, env), prof: detect.NewSetProfile(p.Int("max_sites", 128))}
	if env.Catalog != nil {
		e.ddns, _ = env.Catalog.List(catalog.ListDynamicDNS)
	}
	return e
}

// Params lists the tunables.
func (e *exeSource) Params() []detect.Param {
	return []detect.Param{{Name: "max_sites", Default: 128, Doc: "sites kept per endpoint that it fetched executables from"}}
}

// Kinds lists the events read: HTTP requests and files seen on the wire.
func (e *exeSource) Kinds() []event.Kind { return []event.Kind{event.KindHTTP, event.KindFile} }

// download returns the endpoint, the site and host an executable came
// from and what shows it is one.
func (e *exeSource) download(ev *event.Event) (in *endpointInfo, dest, host, why string, ok bool) {
	if !ev.Endpoint.IsValid() || ev.Action == event.ActionDeny || ev.Status >= 300 {
		return nil, "", "", "", false
	}
	switch ev.Kind {
	case event.KindHTTP:
		if ev.Endpoint != ev.SrcIP || ev.Method == "CONNECT" {
			return nil, "", "", "", false
		}
		host = requestHost(ev)
		if a, lit := ipLiteral(host); lit {
			if e.env.Internal(a) {
				return nil, "", "", "", false
			}
		} else if !e.internetName(host) {
			return nil, "", "", "", false
		}
	case event.KindFile:
		// A file seen by a sensor: judged here when its other side is on
		// the internet; through the proxy it is judged from the HTTP log.
		peer := ev.Peer()
		if !peer.IsValid() || e.env.Internal(peer) || !publicAddr(peer) || ev.Service == "smb" {
			return nil, "", "", "", false
		}
		host = peer.String()
	default:
		return nil, "", "", "", false
	}
	why, ok = executable(ev)
	if !ok {
		return nil, "", "", "", false
	}
	return e.eps.get(ev.Endpoint), site(host), host, why, true
}

// Learn records the sites each endpoint fetches executables from.
func (e *exeSource) Learn(ev *event.Event) {
	e.learnt++
	if in, dest, _, _, ok := e.download(ev); ok {
		e.prof.Learn(in.id, in.segment, dest)
	}
}

// Observe reports an executable from a site outside the baseline.
func (e *exeSource) Observe(ev *event.Event, em *detect.Emitter) {
	if !e.ready() {
		return
	}
	in, dest, host, why, ok := e.download(ev)
	if !ok {
		return
	}
	usual, baseline := e.prof.Usual(in.id, in.segment, dest)
	if usual || common(e.env, dest) || ev.Kind == event.KindHTTP && e.twice(ev) {
		return
	}
	score, kind, kindJA := 0.6, "", ""
	if _, lit := ipLiteral(host); lit {
		score, kind, kindJA = 0.75, ", a bare IP address", "（IPアドレス直接指定）"
	}
	if zone, ok := matchList(e.ddns, host); ok {
		score, kind, kindJA = 0.8, ", a dynamic-DNS name under "+zone, "（ダイナミックDNS "+zone+"）"
	}
	peer := host
	if a, lit := ipLiteral(host); lit {
		peer = a.String()
	}
	e.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: peer, Key: dest,
		Score: score, Rare: rare(e.env, dest),
		Summary: fmt.Sprintf("downloaded an executable, %s, from %s%s: not a site the organisation gets executables from (%s; %s)",
			why, clip(host, 80), kind, baseline, describe(e.env, dest)),
		SummaryJA: fmt.Sprintf("組織が通常実行ファイルを取得しないサイト %s%s から実行ファイル %s をダウンロード",
			clip(host, 80), kindJA, why),
		Details: map[string]string{
			"domain": host, "site": dest, "file": why, "url": clip(ev.URL, 300), "baseline": baseline,
			"prevalence": describe(e.env, dest),
		},
		Evidence: []*event.Event{ev},
	})
}

// Baseline returns the learned state.
func (e *exeSource) Baseline() any { return profileBaseline{Learned: e.learnt, Profile: e.prof} }

// Restore sets the learned state.
func (e *exeSource) Restore(b []byte) error {
	var v profileBaseline
	if err := restoreJSON(e.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		e.prof = v.Profile
	}
	e.learnt = v.Learned
	return nil
}
