package matching

import (
	"net/netip"
	"strings"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
)

// missingIOC is why the IOC rules are off without lists.
const missingIOC = "no IOC list configured (ioc: in the config, or --ioc)"

// A match that another log already showed (the proxy's and a sensor's
// view of one request, the resolver's and a sensor's of one lookup) counts
// once: see sightings.
//
// An IOC finding's key is the list entry that matched: every name under a
// listed domain, or every address of a listed network, that one endpoint
// contacts within the alert window is one alert, with the last peer.
//
// Scores: a match is strong evidence (0.8); an executable fetched from a
// listed place more so (0.9); a connection from a listed address to the
// office (a listed scanner probing a public server), or traffic the
// firewall or proxy blocked, is weaker (0.4 and 0.6).

// iocDomain is M-IOC-DOMAIN: a DNS question, an HTTP Host, a CONNECT
// target or a TLS server name under an IOC domain entry. dnsmasq writes a
// question and its answers as separate lines; only the question counts.
// CNAME targets in a sensor's DNS answers count too: the lookup leads to
// the listed name.
type iocDomain struct {
	env    *detect.Env
	relays *relays
	seen   sightings
}

func newIOCDomain(p detect.Params, env *detect.Env) detect.Detector {
	return &iocDomain{env: env, relays: newRelays(env, p.Strings("relay_roles", defaultRelayRoles)), seen: newSightings()}
}

func (*iocDomain) Rule() string { return RuleIOCDomain }
func (*iocDomain) Kinds() []event.Kind {
	return []event.Kind{event.KindDNS, event.KindHTTP, event.KindTLS}
}
func (*iocDomain) Params() []detect.Param { return []detect.Param{relayParam} }

func (d *iocDomain) Missing() string {
	if d.env.Intel == nil {
		return missingIOC
	}
	return ""
}

func (d *iocDomain) Observe(ev *event.Event, em *detect.Emitter) {
	d.relays.note(ev)
	if !ev.Endpoint.IsValid() && ev.Host == "" {
		return
	}
	name := ev.Domain
	if ev.Kind == event.KindDNS {
		if isAnswerLine(ev) {
			return
		}
		name = ev.Query
	}
	if name == "" {
		return
	}
	hit, ok := d.env.Intel.Domain(name)
	via := ""
	if !ok && ev.Kind == event.KindDNS {
		for _, a := range ev.Answers {
			if _, err := netip.ParseAddr(a); err == nil || a == "" {
				continue
			}
			if hit, ok = d.env.Intel.Domain(a); ok {
				via, name = name, a
				break
			}
		}
	}
	if !ok || d.seen.again(ev, actOf(ev, name)) {
		return
	}
	ep := ev.EndpointID()
	shown := sanitize.Line(strings.TrimSuffix(name, "."))
	verb, verbJA := contactVerb(ev)
	if via != "" {
		verb = "looked up " + sanitize.Line(via) + ", an alias of"
		verbJA = "を名前解決した（" + sanitize.Line(via) + " の別名）"
	}
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: shown, Key: hit.Indicator,
		Score: 0.8, Rare: rare(d.env, site(name)),
		Summary:   who(ev.Host, ep) + " " + verb + " " + shown + ", listed as " + hitText(hit) + ".",
		SummaryJA: who(ev.Host, ep) + " が " + shown + " " + verbJA + "。IOCリスト " + hit.List + " の " + hit.Indicator + " に一致する。",
		Details:   hitDetails(hit, ev),
		Evidence:  []*event.Event{ev},
	}
	f.Details["domain"] = shown
	blockedOrFetched(&f, ev, phaseFoothold)
	if why := d.relays.why(ev.Endpoint); why != "" {
		asRelay(&f, ev.Host, why)
	}
	em.Emit(f)
}

// isAnswerLine reports whether a DNS event is dnsmasq's answer to a
// question already logged (and counted) on its own line.
func isAnswerLine(ev *event.Event) bool {
	return ev.Format == "dnsmasq" && ev.Label != "query"
}

// contactVerb says how an event reached a name or address.
func contactVerb(ev *event.Event) (en, ja string) {
	switch {
	case ev.Kind == event.KindDNS:
		return "looked up", "を名前解決した"
	case ev.Kind == event.KindTLS:
		return "opened a TLS connection to", "にTLSで接続した"
	case ev.Method == "CONNECT":
		return "opened a tunnel (CONNECT) to", "へトンネル（CONNECT）を開いた"
	case ev.Kind == event.KindHTTP:
		return "sent an HTTP request to", "へHTTPリクエストを送った"
	}
	return "exchanged traffic with", "と通信した"
}

// blockedOrFetched adjusts an IOC finding for what the traffic did: an
// executable fetched from the listed place is the second stage of an
// infection (phase fetchPhase; 0 keeps the catalog's); traffic a firewall
// or proxy blocked is weaker.
func blockedOrFetched(f *detect.Finding, ev *event.Event, fetchPhase int) {
	switch {
	case ev.Action == event.ActionDeny:
		f.Score = 0.6
		f.Details["action"] = "deny"
		f.Summary += " The traffic was blocked."
		f.SummaryJA += "通信は遮断された。"
	case executableDownload(ev):
		f.Score = 0.9
		f.Phase = fetchPhase
		f.Details["download"] = "executable"
		f.Summary += " It fetched an executable."
		f.SummaryJA += "実行ファイルを取得している。"
	}
}

// iocIP is M-IOC-IP: any event whose peer outside the office is a listed
// address, address and port, or network. The port is the peer's: an
// "ip:port" entry matches connections to that port, and a connection from
// the listed address's own port.
type iocIP struct {
	env    *detect.Env
	relays *relays
	seen   sightings
}

func newIOCIP(p detect.Params, env *detect.Env) detect.Detector {
	return &iocIP{env: env, relays: newRelays(env, p.Strings("relay_roles", defaultRelayRoles)), seen: newSightings()}
}

func (*iocIP) Rule() string { return RuleIOCIP }
func (*iocIP) Kinds() []event.Kind {
	return []event.Kind{event.KindConnection, event.KindHTTP, event.KindDNS, event.KindTLS, event.KindAuth,
		event.KindFile, event.KindSMB, event.KindRPC, event.KindIDS, event.KindNotice}
}
func (*iocIP) Params() []detect.Param { return []detect.Param{relayParam} }

func (d *iocIP) Missing() string {
	if d.env.Intel == nil {
		return missingIOC
	}
	return ""
}

func (d *iocIP) Observe(ev *event.Event, em *detect.Emitter) {
	d.relays.note(ev)
	if !ev.Endpoint.IsValid() {
		return
	}
	peer := ev.Peer()
	if !peer.IsValid() || peer == ev.Endpoint || d.env.Internal(peer) {
		return
	}
	port := peerPort(ev, peer)
	hit, ok := d.env.Intel.IP(peer, port)
	if !ok || d.seen.again(ev, "ip "+netip.AddrPortFrom(peer, port).String()) {
		return
	}
	ep := ev.Endpoint.String()
	inbound := peer == ev.SrcIP
	target := peer.String()
	if port != 0 && !inbound {
		target = netip.AddrPortFrom(peer, port).String()
	}
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: target, Key: hit.Indicator,
		Score: 0.8, Rare: rare(d.env, peer.String()),
		Details:  hitDetails(hit, ev),
		Evidence: []*event.Event{ev},
	}
	f.Details["dst_ip"] = peer.String()
	if inbound {
		// A listed address probing the office: mostly scanners and bots
		// against public servers, reconnaissance.
		f.Score, f.Phase = 0.4, phaseRecon
		f.Summary = target + ", listed as " + hitText(hit) + ", connected to " + who(ev.Host, ep) + "."
		f.SummaryJA = "IOCリスト " + hit.List + " の " + hit.Indicator + " に一致する " + target + " が " + who(ev.Host, ep) + " に接続した。"
	} else {
		verb, verbJA := contactVerb(ev)
		f.Summary = who(ev.Host, ep) + " " + verb + " " + target + ", listed as " + hitText(hit) + "."
		f.SummaryJA = who(ev.Host, ep) + " が " + target + " " + verbJA + "。IOCリスト " + hit.List + " の " + hit.Indicator + " に一致する。"
		if ev.Domain != "" {
			f.Details["domain"] = sanitize.Line(ev.Domain)
		}
	}
	blockedOrFetched(&f, ev, phaseFoothold)
	if inbound && ev.Action == event.ActionDeny {
		f.Score = 0.3
	}
	if why := d.relays.why(ev.Endpoint); why != "" {
		asRelay(&f, ev.Host, why)
	}
	em.Emit(f)
}

// iocURL is M-IOC-URL: a requested URL on an IOC URL list, by host and
// path (and query, when the entry gives one). Only plain HTTP, or a proxy
// that inspects TLS, shows full URLs.
type iocURL struct {
	env    *detect.Env
	relays *relays
	seen   sightings
}

func newIOCURL(p detect.Params, env *detect.Env) detect.Detector {
	return &iocURL{env: env, relays: newRelays(env, p.Strings("relay_roles", defaultRelayRoles)), seen: newSightings()}
}

func (*iocURL) Rule() string           { return RuleIOCURL }
func (*iocURL) Kinds() []event.Kind    { return []event.Kind{event.KindHTTP} }
func (*iocURL) Params() []detect.Param { return []detect.Param{relayParam} }
func (d *iocURL) Missing() string {
	if d.env.Intel == nil {
		return missingIOC
	}
	return ""
}

func (d *iocURL) Observe(ev *event.Event, em *detect.Emitter) {
	d.relays.note(ev)
	if ev.URL == "" || ev.Method == "CONNECT" || (!ev.Endpoint.IsValid() && ev.Host == "") {
		return
	}
	hit, ok := d.env.Intel.URL(ev.URL)
	if !ok || d.seen.again(ev, "url "+ev.Method+" "+ev.URL) {
		return
	}
	ep := ev.EndpointID()
	shown := sanitize.Line(ev.URL)
	peer := ev.Domain
	if peer == "" {
		if p := ev.Peer(); p.IsValid() {
			peer = p.String()
		}
	}
	status := ""
	if ev.Status != 0 {
		status = " (HTTP " + itoa(ev.Status) + ")"
	}
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: sanitize.Line(peer), Key: hit.Indicator,
		Score: 0.8, Rare: peer != "" && rare(d.env, site(peer)),
		Summary:   who(ev.Host, ep) + " requested " + shown + status + ", listed as " + hitText(hit) + ".",
		SummaryJA: who(ev.Host, ep) + " が " + shown + status + " にアクセスした。URLブラックリスト " + hit.List + " の " + hit.Indicator + " に一致する。",
		Details:   hitDetails(hit, ev),
		Evidence:  []*event.Event{ev},
	}
	f.Details["url"] = shown
	if peer != "" {
		f.Details["url_host"] = sanitize.Line(peer)
	}
	blockedOrFetched(&f, ev, 0)
	if why := d.relays.why(ev.Endpoint); why != "" {
		asRelay(&f, ev.Host, why)
	}
	em.Emit(f)
}

// iocHash is M-IOC-HASH: a file seen on the wire or on a share whose
// hash is listed. A file carried from one office machine to another over
// SMB is spreading (phase 4).
type iocHash struct {
	env  *detect.Env
	seen sightings
}

func newIOCHash(_ detect.Params, env *detect.Env) detect.Detector {
	return &iocHash{env: env, seen: newSightings()}
}

func (*iocHash) Rule() string { return RuleIOCHash }
func (*iocHash) Kinds() []event.Kind {
	return []event.Kind{event.KindFile, event.KindSMB, event.KindHTTP}
}
func (d *iocHash) Missing() string {
	if d.env.Intel == nil {
		return missingIOC
	}
	return ""
}

func (d *iocHash) Observe(ev *event.Event, em *detect.Emitter) {
	if ev.FileHash == "" || (!ev.Endpoint.IsValid() && ev.Host == "") {
		return
	}
	hit, ok := d.env.Intel.Hash(ev.FileHash)
	if !ok || d.seen.again(ev, "file "+strings.ToLower(ev.FileHash)) {
		return
	}
	ep := ev.EndpointID()
	name := sanitize.Line(baseName(ev.FileName))
	if name == "" {
		name = "a file"
	} else {
		name = "\"" + name + "\""
	}
	peer := ev.Domain
	if p := ev.Peer(); peer == "" && p.IsValid() {
		peer = p.String()
	}
	internal := lateralTransfer(d.env, ev)
	short := strings.ToLower(ev.FileHash)
	if len(short) > 16 {
		short = short[:16] + "…"
	}
	var en, ja string
	switch {
	case internal:
		en, ja = "exchanged "+name+" with another office machine, "+peer, "が社内の別の端末 "+peer+" と "+name+" をやり取りした"
	case peer != "":
		en, ja = "received "+name+" from "+peer, "が "+peer+" から "+name+" を受け取った"
	default:
		en, ja = "received "+name, "が "+name+" を受け取った"
	}
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: peer, Key: hit.Indicator,
		Score:     0.9,
		Summary:   who(ev.Host, ep) + " " + en + "; its hash " + short + " is listed in " + hit.List + commentSuffix(hit) + ".",
		SummaryJA: who(ev.Host, ep) + " " + ja + "。ハッシュ値 " + short + " がIOCリスト " + hit.List + " に載っている。",
		Details:   hitDetails(hit, ev),
		Evidence:  []*event.Event{ev},
	}
	f.Details["file_hash"] = strings.ToLower(ev.FileHash)
	if ev.FileName != "" {
		f.Details["file_name"] = sanitize.Line(ev.FileName)
	}
	if ev.FileSize > 0 {
		f.Details["file_size"] = itoa(int(ev.FileSize))
	}
	if internal {
		f.Phase = phaseSpread
	}
	em.Emit(f)
}

func commentSuffix(h detect.Hit) string {
	if h.Comment == "" {
		return ""
	}
	return " (" + h.Comment + ")"
}
