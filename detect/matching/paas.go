package matching

import (
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/internal/human"
	"github.com/mamori-soc/mamori/sanitize"
)

// paas is M-PAAS: a name looked up or contacted (DNS question, HTTP Host,
// CONNECT target, TLS server name) under a zone of the catalog's paas-paste
// list: a paste site, an anonymous file drop, a tunnel, object storage or
// PaaS hosting where anyone can make a name — the "traffic to PaaS
// environments" J-CRAT names as a sign of malware traffic. Offices use
// many of these services for work, so a contact alone scores below the
// rule's low (information, low when other alerts point at the endpoint);
// sending to it (a POST or PUT, or 1 MB or more) is low, an executable
// fetched from it medium. Each name is its own
// alert (Key), with the zone in Details; one lookup or request written in
// two logs counts once (sightings), and an executable fetched from one is
// delivery (phase 2).
type paas struct {
	env    *detect.Env
	relays *relays
	seen   sightings
	list   *catalog.List
}

func newPaaS(p detect.Params, env *detect.Env) detect.Detector {
	d := &paas{env: env, relays: newRelays(env, p.Strings("relay_roles", defaultRelayRoles)), seen: newSightings()}
	if env.Catalog != nil {
		d.list, _ = env.Catalog.List(catalog.ListPaaSPaste)
	}
	return d
}

func (*paas) Rule() string { return RulePaaS }
func (*paas) Kinds() []event.Kind {
	return []event.Kind{event.KindDNS, event.KindHTTP, event.KindTLS}
}
func (*paas) Params() []detect.Param { return []detect.Param{relayParam} }

func (d *paas) Missing() string {
	if d.list == nil {
		return "no PaaS and paste zone list (the catalog's " + catalog.ListPaaSPaste + " list is missing)"
	}
	return ""
}

func (d *paas) Observe(ev *event.Event, em *detect.Emitter) {
	d.relays.note(ev)
	if d.list == nil || (!ev.Endpoint.IsValid() && ev.Host == "") {
		return
	}
	name := reachedName(ev)
	if name == "" {
		return
	}
	zone, ok := d.list.Match(name)
	if !ok {
		return
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if d.seen.again(ev, actOf(ev, name)) {
		return
	}
	ep := ev.EndpointID()
	shown := sanitize.Line(name)
	verb, verbJA := contactVerb(ev)
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: shown,
		Score: paasContact,
		Summary: who(ev.Host, ep) + " " + verb + " " + shown + ", a paste, file-drop or PaaS service (" + zone +
			") where anyone can put content: a place attackers stage tools, pass commands and take data out.",
		SummaryJA: who(ev.Host, ep) + " が " + shown + " " + verbJA + "。誰でも内容を置けるペーストサイト・ファイル転送・PaaSのサービス（" + zone +
			"）で、攻撃者がツールの配置、命令の受け渡し、情報の持ち出しに使う。",
		Details:  map[string]string{"domain": shown, "zone": zone, "list": "shipped list " + catalog.ListPaaSPaste, "source": ev.Format},
		Evidence: []*event.Event{ev},
	}
	if d.env.Prevalence != nil {
		f.Details["prevalence"] = d.env.Prevalence.Describe(site(name))
	}
	if sent(ev) {
		f.Score = paasSent
		f.Details["sent"] = strconv.FormatInt(ev.BytesOut, 10)
		f.Summary += " It sent " + human.Traffic(ev.BytesOut) + " there (" + sanitize.Line(ev.Method) + ")."
		f.SummaryJA += human.Traffic(ev.BytesOut) + " を送信している（" + sanitize.Line(ev.Method) + "）。"
	}
	blockedOrFetched(&f, ev, phaseDelivery)
	if why := d.relays.why(ev.Endpoint); why != "" {
		asRelay(&f, ev.Host, why)
	}
	em.Emit(f)
}

// M-PAAS scores: a contact alone is below the catalog's low (the engine
// lowers a score under 0.4 by one step), data sent there is low.
const (
	paasContact = 0.35
	paasSent    = 0.5
	paasUpload  = 1 << 20 // bytes sent that make an upload
)

// sent reports whether ev put something on the service: a POST or PUT,
// or paasUpload bytes or more sent.
func sent(ev *event.Event) bool {
	return ev.Kind == event.KindHTTP && (ev.Method == "POST" || ev.Method == "PUT") || ev.BytesOut >= paasUpload
}
