package matching

import (
	"net/netip"
	"strings"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/internal/human"
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
	if fromOutside(d.env, ev) {
		return // an outside client naming the office's own site, or asking its server
	}
	name := reachedName(ev)
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
	if svc := detect.ServiceName(ev); svc != "" {
		f.Summary = strings.TrimSuffix(f.Summary, ".") + " (" + svc + ")."
		f.Details["service"] = svc
	}
	blockedOrFetched(&f, ev, phaseFoothold)
	weighKind(&f, hit.Kind, ev.Action == event.ActionDeny)
	if why := d.relays.why(ev.Endpoint); why != "" {
		asRelay(&f, ev.Host, why)
	}
	em.Emit(f)
}

// fromOutside reports whether an event was started by a machine outside
// the organisation towards one of its own (a request to its web server, a
// query to its DNS server): the names in it are the office's, not ones it
// contacted.
func fromOutside(env *detect.Env, ev *event.Event) bool {
	return ev.Endpoint.IsValid() && ev.SrcIP.IsValid() && ev.Endpoint != ev.SrcIP && !env.Internal(ev.SrcIP)
}

// weighKind weighs a domain or URL finding by what its list lists: a list
// of services attackers also use (dynamic DNS, anonymisers,
// what-is-my-IP) is medium, low when blocked; a scanner list is low; an
// attacker list keeps the rule's weight.
func weighKind(f *detect.Finding, kind detect.ListKind, blocked bool) {
	set := func(s alert.Severity, score float64) { f.Severity, f.Score = &s, score }
	switch kind {
	case detect.ListSuspicious:
		if blocked {
			set(alert.Low, 0.5)
		} else {
			set(alert.Medium, 0.6)
		}
	case detect.ListScanner:
		set(alert.Low, 0.5)
	}
	f.Details["list_kind"] = kind.String()
}

// isAnswerLine reports whether a DNS event is dnsmasq's answer to a
// question already logged (and counted) on its own line.
func isAnswerLine(ev *event.Event) bool {
	return ev.Format == "dnsmasq" && ev.Label != "query"
}

// reachedName is the domain name an event reaches: the name a lookup asks
// for, the host of a web request; "" for a resolver's answer line (its
// query line counted already) and for events without one.
func reachedName(ev *event.Event) string {
	if ev.Kind != event.KindDNS {
		return ev.Domain
	}
	if isAnswerLine(ev) {
		return ""
	}
	return ev.Query
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
	icmp := detect.IsICMP(ev.Transport)
	port := peerPort(ev, peer)
	if icmp {
		port = 0 // Zeek writes ICMP types and codes as ports
	}
	hit, ok := d.env.Intel.IP(peer, port)
	if !ok || d.env.Own(peer) || d.seen.again(ev, "ip "+netip.AddrPortFrom(peer, port).String()) {
		return
	}
	ep := ev.Endpoint.String()
	x := detect.ExchangeOf(ev)
	errName, icmpErr := detect.ICMPErrorType(ev)
	// Who sent the traffic: the side that opened it, except that an ICMP
	// error goes back to the side whose traffic was refused.
	inbound := peer == ev.SrcIP
	if icmpErr {
		inbound = !inbound
	}
	target := peer.String()
	if port != 0 && !inbound {
		target = netip.AddrPortFrom(peer, port).String()
	}
	addr, svc := peer.String(), detect.ServiceName(ev)
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: target, Key: hit.Indicator,
		Score: 0.8, Rare: rare(d.env, peer.String()),
		Details:  hitDetails(hit, ev),
		Evidence: []*event.Event{ev},
	}
	f.Details["dst_ip"] = addr
	f.Details["service"] = svc
	if xs := x.String(); xs != "" {
		f.Details["exchange"] = xs
	}
	me := who(ev.Host, ep)
	listed, listedJA := "listed as "+hitText(hit), "IOCリスト "+hit.List+" の "+hit.Indicator+" に一致する"
	what, whatJA := exchangeText(ev, x, errName)
	if inbound {
		f.Phase = phaseRecon
		if icmpErr {
			f.Summary = me + " answered traffic from " + addr + ", " + listed + ", with an ICMP " + errName + " message (" + svc + "): " + addr + " probed a closed port or address."
			f.SummaryJA = me + " は " + listedJA + " " + addr + " からの通信にICMP（" + errName + "、" + svc + "）で応答した。閉じたポートまたはアドレスへの探索である。"
		} else {
			f.Summary = addr + ", " + listed + ", connected to " + me + " on " + svc + what + "."
			f.SummaryJA = listedJA + " " + addr + " が " + me + " の " + svc + " に接続した" + whatJA + "。"
		}
	} else {
		switch {
		case icmpErr:
			f.Summary = addr + ", " + listed + ", sent " + me + " an ICMP " + errName + " message (" + svc + "): what " + me + " sent there did not get through."
			f.SummaryJA = listedJA + " " + addr + " から " + me + " にICMP（" + errName + "、" + svc + "）が届いた。" + me + " の送った通信は届かなかった。"
		case x.Failed():
			f.Summary = me + " tried to reach " + addr + " on " + svc + what + "; it is " + listed + "."
			f.SummaryJA = me + " が " + addr + " の " + svc + " への接続を試みた" + whatJA + "。" + listedJA + "。"
		default:
			verb, verbJA := ipVerb(ev)
			f.Summary = me + " " + verb + " " + addr + " on " + svc + what + ", " + listed + "."
			f.SummaryJA = me + " が " + addr + " の " + svc + " " + verbJA + whatJA + "。" + listedJA + "。"
			if ev.Domain != "" {
				f.Details["domain"] = sanitize.Line(ev.Domain)
			}
		}
	}
	if !x.Failed() && !inbound {
		blockedOrFetched(&f, ev, phaseFoothold)
	}
	weighIP(&f, hit.Kind, inbound, x)
	if why := d.relays.why(ev.Endpoint); why != "" {
		asRelay(&f, ev.Host, why)
	}
	em.Emit(f)
}

// requestHost is the host an HTTP request named.
func requestHost(ev *event.Event) string {
	if ev.Domain != "" {
		return ev.Domain
	}
	if u, ok := strings.CutPrefix(ev.URL, "http://"); ok {
		h, _, _ := strings.Cut(u, "/")
		return h
	}
	return ""
}

// ipVerb says how an event reached an address.
func ipVerb(ev *event.Event) (en, ja string) {
	switch ev.Kind {
	case event.KindDNS:
		return "sent a DNS query to", "にDNS問い合わせを送った"
	case event.KindHTTP, event.KindTLS:
		return contactVerb(ev)
	}
	return "connected to", "に接続した"
}

// exchangeText says what came back, for a summary: "; it was refused",
// "; nothing answered", ", 1.2 kB exchanged", or "" when the log does not
// say.
func exchangeText(ev *event.Event, x detect.Exchange, icmpErr string) (en, ja string) {
	switch x {
	case detect.ExchangeRefused:
		switch {
		case ev.Action == event.ActionDeny:
			return "; it was blocked (" + sanitize.Line(ev.Label) + ")", "が、遮断された（" + sanitize.Line(ev.Label) + "）"
		case ev.Label == "RSTO" || ev.Label == "RSTR":
			return "; the connection was reset before any data was exchanged", "が、データのやり取り前にリセットされた"
		}
		return "; it was refused (reset)", "が、拒否された（リセット）"
	case detect.ExchangeUnanswered:
		return "; nothing answered", "が、応答はなかった"
	case detect.ExchangeICMPError:
		return "; an ICMP " + icmpErr + " message", "（ICMP " + icmpErr + "）"
	case detect.ExchangeAnswered:
		if n := ev.BytesIn + ev.BytesOut; n > 0 && ev.Kind == event.KindConnection {
			return " and exchanged " + human.Traffic(n), "（" + human.Traffic(n) + " をやり取り）"
		}
	}
	return "", ""
}

// weighIP weighs an M-IOC-IP finding by what the list lists and what
// happened:
//
//   - an attacker list's address reached from the office stays high,
//     refused or not: the endpoint tried to reach it (a blocked attempt
//     scores 0.6, an executable fetched 0.9);
//   - an attacker list's address connecting to the office is
//     reconnaissance, medium when it was answered, low when refused or
//     unanswered (what a firewall is for);
//   - a list of services attackers also use is medium from the office,
//     low towards it;
//   - a scanner or crawler list is information when it probes the
//     office (the internet's background, listed so that it can be told
//     apart) and low when an office machine contacts it.
func weighIP(f *detect.Finding, kind detect.ListKind, inbound bool, x detect.Exchange) {
	sev := func(s alert.Severity, score float64) {
		f.Severity, f.Score = &s, score
	}
	switch kind {
	case detect.ListScanner:
		if inbound {
			sev(alert.Info, 0.3)
		} else {
			sev(alert.Low, 0.5)
		}
	case detect.ListSuspicious:
		switch {
		case inbound:
			sev(alert.Low, 0.3)
		case x.Failed():
			sev(alert.Low, 0.5)
		default:
			sev(alert.Medium, 0.6)
		}
	default:
		switch {
		case inbound && x.Failed():
			sev(alert.Low, 0.3)
		case inbound:
			sev(alert.Medium, 0.5)
		case x.Failed():
			f.Score = 0.6
		}
	}
	f.Details["list_kind"] = kind.String()
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
	inbound := fromOutside(d.env, ev)
	peer := ev.Domain
	if peer == "" || inbound {
		peer = ""
		if p := ev.Peer(); p.IsValid() {
			peer = p.String()
		}
	}
	status := ""
	if ev.Status != 0 {
		status = " (HTTP " + itoa(ev.Status) + ")"
	}
	svc := detect.ServiceName(ev)
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: sanitize.Line(peer), Key: hit.Indicator,
		Score: 0.8, Rare: !inbound && peer != "" && rare(d.env, site(peer)),
		Summary:   who(ev.Host, ep) + " requested " + shown + " (" + svc + ")" + status + ", listed as " + hitText(hit) + ".",
		SummaryJA: who(ev.Host, ep) + " が " + shown + "（" + svc + "）" + status + " にアクセスした。URLブラックリスト " + hit.List + " の " + hit.Indicator + " に一致する。",
		Details:   hitDetails(hit, ev),
		Evidence:  []*event.Event{ev},
	}
	f.Details["url"] = shown
	f.Details["service"] = svc
	if peer != "" {
		f.Details["url_host"] = sanitize.Line(peer)
	}
	if inbound {
		// An outside client asking the office's server for a listed URL:
		// probing for a planted page or webshell, worth a look when the
		// server had it.
		sev, score := alert.Low, 0.3
		if ev.Status >= 200 && ev.Status < 300 {
			sev, score = alert.Medium, 0.6
		}
		f.Severity, f.Score, f.Phase, f.Details["url_host"] = &sev, score, phaseRecon, sanitize.Line(requestHost(ev))
		f.Summary = peer + " requested " + shown + " (" + svc + ") from " + who(ev.Host, ep) + status + ", listed as " + hitText(hit) + "."
		f.SummaryJA = peer + " が " + who(ev.Host, ep) + " に " + shown + "（" + svc + "）" + status + " を要求した。URLブラックリスト " + hit.List + " の " + hit.Indicator + " に一致する。"
	} else {
		blockedOrFetched(&f, ev, 0)
		weighKind(&f, hit.Kind, ev.Action == event.ActionDeny)
	}
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
