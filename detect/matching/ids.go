package matching

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
)

// ids is M-IDS: the alerts of an IDS (Suricata, and Zeek's notices)
// surfaced with their signature and references, weighed so that the
// internet's background noise does not drown the console.
//
// One alert per endpoint and signature family (Key "family:ET CINS"): the
// rule set's group of the signature ("ET SCAN", "ET CINS", "GPL
// WEB_SERVER", a Zeek notice's namespace "Scan::"), so that an IDS's many
// signatures of one kind (a hundred "ET CINS ... group N" lists, the ports
// of "ET SCAN Suspicious inbound to ...") are one alert that counts them,
// lists the signatures seen with how often, and how many distinct peers
// sent them. Its severity is the highest of its hits.
// The endpoint is the office machine involved; when neither side is one of
// the internal networks (a sensor in front of a public server whose
// address is not configured as internal), the destination, the machine
// attacked.
//
// Severity comes from the IDS: Suricata's 1 is high, 2 medium, 3 low. The
// score then moves it:
//
//   - scans, informational, policy and reputation signatures ("ET SCAN",
//     "ET INFO", "ET POLICY", "ET CINS", "ET DROP", "ET DSHIELD", "ET
//     COMPROMISED", "ET 3CORESec", "GPL SCAN"; categories "Attempted
//     Information Leak", "Detection of a Network Scan", "Misc activity",
//     "Not Suspicious Traffic", "Potentially Bad Traffic", "Unknown
//     Traffic", "Generic Protocol Command Decode", unless the signature is
//     an exploit, web attack, shellcode or malware one) coming from the
//     internet score 0.3 (one step lower) and are phase ① reconnaissance;
//   - an alert the IPS blocked scores 0.35 (one step lower);
//   - a signature with CVE references, or of IDS severity 1, scores 0.85
//     (one step higher, at most high).
//
// The phase follows the direction: from the internet it is ①
// reconnaissance (pen-testing of public hosts, exploit attempts against
// them); between office machines ④ internal spread; from an office
// machine out, ⑤ C2 for malware and C2 categories and signatures (ET
// MALWARE, ET TROJAN, ET CNC), ② delivery for exploit kits and phishing;
// otherwise the catalog's ④.
//
// Zeek notices carry no severity: by their name, Intel::* and
// TeamCymruMalwareHashRegistry::Match are high, SSH::Password_Guessing,
// FTP::Bruteforcing, HTTP::SQL_Injection_*, Signatures::Sensitive_Signature
// and Software::Vulnerable_Version medium, Scan::* and the rest low,
// SSL:: certificate notices information; the sensor's health notices
// (CaptureLoss, PacketFilter, Reporter, Weird, Notice, Software's plain
// version changes) are not attacks and are skipped.
type ids struct {
	env *detect.Env
	// groups holds, per endpoint and signature family, the signatures and
	// peers seen.
	groups *detect.LRU[string, *idsGroup]
}

// idsGroup is what one endpoint's alert of one signature family has seen:
// its signatures with their hits (the first maxIDSSigs exactly, the rest
// counted together) and its distinct peers (exactly up to maxIDSPeers).
type idsGroup struct {
	sigs      []idsSig
	otherHits int // hits of signatures beyond the first maxIDSSigs
	peers     map[string]struct{}
}

type idsSig struct {
	name string // as shown: the signature and its sid
	hits int
}

// Bounds: 8192 family×endpoint pairs, 8 signatures listed and 32 peers
// counted exactly each.
const (
	maxIDSKeys  = 8192
	maxIDSSigs  = 8
	maxIDSPeers = 32
)

func newIDS(_ detect.Params, env *detect.Env) detect.Detector { //nolint:revive // var-naming: IDS is an intrusion detection system
	return &ids{env: env, groups: detect.NewLRU[string, *idsGroup](maxIDSKeys)}
}

// sigFamily is the family a signature belongs to: its rule set and class
// ("ET SCAN", "GPL WEB_SERVER", "SURICATA STREAM": the leading upper-case
// words, at most two), a Zeek notice's namespace ("Scan::"), else the
// IDS's category, else the signature itself.
func sigFamily(sig, category string, notice bool) string {
	if notice {
		if ns, _, ok := strings.Cut(sig, "::"); ok {
			return ns + "::"
		}
		return sig
	}
	words := strings.Fields(sig)
	n := 0
	for n < len(words) && n < 2 && upperWord(words[n]) {
		n++
	}
	if n == 1 && len(words) > 1 && ruleSets[words[0]] {
		n = 2 // "ET 3CORESec": a rule set's classes are not always upper case
	}
	switch {
	case n > 0:
		return strings.Join(words[:n], " ")
	case category != "":
		return category
	}
	return sig
}

// ruleSets are the tags of the rule sets whose second word is a class.
var ruleSets = map[string]bool{"ET": true, "ETPRO": true, "GPL": true, "SURICATA": true}

// upperWord reports whether w is a rule set's tag: upper-case letters,
// digits, '_' and '-', with at least one letter ("ET", "3CORESEC", "WEB_SERVER").
func upperWord(w string) bool {
	letter := false
	for _, c := range w {
		switch {
		case c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return letter
}

func (*ids) Rule() string        { return RuleIDS }
func (*ids) Kinds() []event.Kind { return []event.Kind{event.KindIDS} }

// noisePrefixes are signature prefixes of scan, information, policy and
// reputation rules (Emerging Threats and the old GPL set).
var noisePrefixes = []string{"ET SCAN", "ET INFO", "ET POLICY", "ET CINS", "ET DROP", "ET DSHIELD",
	"ET COMPROMISED", "ET 3CORESEC", "ET TOR", "ET HUNTING", "GPL SCAN", "GPL ICMP_INFO", "GPL INFO", "SURICATA "}

// noiseCategories are Suricata classification texts of the same.
var noiseCategories = setOf("attempted information leak", "detection of a network scan", "misc activity",
	"not suspicious traffic", "potentially bad traffic", "unknown traffic", "generic protocol command decode",
	"potential corporate privacy violation")

// attackPrefixes are signatures of attacks proper, never noise whatever
// their category ("ET EXPLOIT ..." often comes as "Attempted Information
// Leak").
var attackPrefixes = []string{"ET EXPLOIT", "ET WEB_SERVER", "ET WEB_SPECIFIC_APPS", "ET ATTACK_RESPONSE",
	"ET SHELLCODE", "ET WORM", "ET DOS", "ET MALWARE", "ET TROJAN", "ET CNC", "GPL EXPLOIT", "GPL WEB_SERVER",
	"GPL SHELLCODE", "GPL ATTACK_RESPONSE"}

// c2Prefixes and deliveryPrefixes are signatures of malware traffic and
// of delivery (exploit kits, phishing).
var (
	c2Prefixes       = []string{"ET MALWARE", "ET TROJAN", "ET CNC", "ET MOBILE_MALWARE", "ETPRO MALWARE", "ETPRO TROJAN"}
	c2Categories     = setOf("a network trojan was detected", "malware command and control activity detected", "domain observed used for c2 detected")
	deliveryPrefixes = []string{"ET EXPLOIT_KIT", "ET CURRENT_EVENTS", "ET PHISHING", "ET WEB_CLIENT"}
)

func hasPrefix(s string, prefixes []string) bool {
	u := strings.ToUpper(s)
	for _, p := range prefixes {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// noticeWeight maps a Zeek notice to a severity; skip reports notices about
// the sensor rather than the traffic.
func noticeWeight(note string) (sev alert.Severity, score float64, skip bool) {
	ns, _, _ := strings.Cut(note, "::")
	switch ns {
	case "CaptureLoss", "PacketFilter", "Reporter", "Weird", "Notice", "Conn", "Cluster", "Broker", "Telemetry":
		return 0, 0, true
	case "Intel", "TeamCymruMalwareHashRegistry":
		return alert.High, 0.8, false
	case "SSL":
		return alert.Info, 0.3, false
	}
	switch note {
	case "Software::Software_Version_Change", "Software::Version_Change":
		return 0, 0, true
	case "SSH::Password_Guessing", "FTP::Bruteforcing", "HTTP::SQL_Injection_Attacker", "HTTP::SQL_Injection_Victim",
		"Signatures::Sensitive_Signature", "Signatures::Multiple_Signature_Hosts", "Software::Vulnerable_Version":
		return alert.Medium, 0.6, false
	}
	return alert.Low, 0.5, false
}

func (d *ids) Observe(ev *event.Event, em *detect.Emitter) {
	ep := ev.EndpointID()
	if ep == "" && ev.DstIP.IsValid() {
		ep = ev.DstIP.String() // a public server outside the configured networks
	}
	if ep == "" || ev.Signature == "" {
		return
	}
	notice := strings.HasPrefix(ev.Format, "zeek")
	var sev alert.Severity
	score := 0.5
	if notice {
		var skip bool
		if sev, score, skip = noticeWeight(ev.Signature); skip {
			return
		}
	} else {
		switch ev.Severity {
		case 1:
			sev, score = alert.High, 0.85
		case 2:
			sev = alert.Medium
		case 3:
			sev = alert.Low
		default: // Suricata allows up to 255: treat anything else as informational
			sev = alert.Low
			if ev.Severity > 3 {
				sev = alert.Info
			}
		}
	}

	// Direction: who started it, as the office sees it.
	srcIn := ev.SrcIP.IsValid() && d.env.Internal(ev.SrcIP)
	dstIn := ev.DstIP.IsValid() && d.env.Internal(ev.DstIP)
	fromOutside := ev.SrcIP.IsValid() && !srcIn
	phase := 0
	switch {
	case fromOutside:
		phase = phaseRecon
	case srcIn && dstIn:
		phase = phaseSpread
	case srcIn && (hasPrefix(ev.Signature, c2Prefixes) || c2Categories[strings.ToLower(ev.Label)]):
		phase = phaseC2
	case srcIn && hasPrefix(ev.Signature, deliveryPrefixes):
		phase = phaseDelivery
	}
	noise := hasPrefix(ev.Signature, noisePrefixes) || strings.HasPrefix(ev.Signature, "Scan::") ||
		(noiseCategories[strings.ToLower(ev.Label)] && !hasPrefix(ev.Signature, attackPrefixes))
	cves := cveRefs(ev.Refs)
	switch {
	case noise && fromOutside:
		score = 0.3
	case ev.Action == event.ActionDeny:
		score = 0.35
	case len(cves) > 0:
		score = max(score, 0.85)
	}

	family := sanitize.Line(sigFamily(ev.Signature, ev.Label, notice))
	key := "family:" + family
	peer := ev.Peer()
	if !ev.Endpoint.IsValid() {
		peer = ev.SrcIP
	}
	peerStr := detect.Addr(peer)

	sig := sanitize.Line(ev.Signature)
	what := "Suricata"
	if notice {
		what = "Zeek notice"
	}
	ref := ""
	if ev.SignatureID != 0 {
		ref = " (sid " + strconv.FormatInt(ev.SignatureID, 10)
		if len(cves) > 0 {
			ref += ", " + strings.Join(cves, ", ")
		}
		ref += ")"
	} else if len(cves) > 0 {
		ref = " (" + strings.Join(cves, ", ") + ")"
	}
	dir, dirJA := "between "+detect.Addr(ev.SrcIP)+" and "+who(ev.Host, ep), detect.Addr(ev.SrcIP)+" と "+who(ev.Host, ep)+" の間"
	switch {
	case peerStr == "" && (!ev.SrcIP.IsValid() || ev.SrcIP.String() == ep || ev.SrcIP == ev.Endpoint):
		// A notice about one host (a scan, a sweep): what it did is in
		// the notice's message.
		dir, dirJA = "by "+who(ev.Host, ep), who(ev.Host, ep)+" による"
		if msg := sanitize.Line(ev.Message); msg != "" {
			msg = clipText(msg, 160)
			dir += " (" + msg + ")"
			dirJA += "（" + msg + "）"
		}
	case peerStr != "" && peer == ev.SrcIP:
		dir, dirJA = "from "+peerStr+" against "+who(ev.Host, ep)+portSuffix(ev.DstPort), peerStr+" から "+who(ev.Host, ep)+portSuffix(ev.DstPort)+" へ"
	case peerStr != "":
		dir, dirJA = "from "+who(ev.Host, ep)+" to "+peerStr+portSuffix(ev.DstPort), who(ev.Host, ep)+" から "+peerStr+portSuffix(ev.DstPort)+" へ"
	}
	sevText := "IDS severity " + strconv.Itoa(ev.Severity)
	if notice {
		sevText = "weighed " + sev.String()
	}
	g := d.note(ep+"\x00"+key, sig+ref, peerStr)
	nPeers := max(len(g.peers), 1)
	summary := what + ": " + sig + ref + " " + dir + ", " + sevText
	summaryJA := what + "：" + sig + ref + "（" + dirJA + "、" + sevText + "）"
	if hits, nSigs := g.total(); hits > 1 {
		peers := strconv.Itoa(nPeers)
		if nPeers >= maxIDSPeers {
			peers += "+"
		}
		summary = fmt.Sprintf("%s: %d alerts of the %s family (%s) from %s peer(s) against %s so far: %s; the latest: %s %s, %s",
			what, hits, family, detect.Plural(nSigs, "signature"), peers, who(ev.Host, ep), g.list(), sig+ref, dir, sevText)
		summaryJA = fmt.Sprintf("%s：%s 系のシグネチャ %d 種で %d 件（これまでに %s の相手から、対象 %s：%s）。最新は %s（%s、%s）",
			what, family, nSigs, hits, peers, who(ev.Host, ep), g.list(), sig+ref, dirJA, sevText)
	}
	if noise && fromOutside {
		summary += "; internet background noise (scan or reputation signature), weighed down"
		summaryJA += "。インターネットからの定常的なノイズ（スキャン・評判系シグネチャ）のため重要度を下げた"
	}
	if ev.Action == event.ActionDeny {
		summary += "; blocked by the IPS"
		summaryJA += "。IPSが遮断した"
	}
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: peerStr, Key: key,
		Score: score, Severity: &sev, Phase: phase,
		Summary: summary + ".", SummaryJA: summaryJA + "。",
		Details: map[string]string{
			"signature": sig, "ids": what, "source": ev.Format,
		},
		Evidence: []*event.Event{ev},
	}
	if ev.SignatureID != 0 {
		f.Details["signature_id"] = strconv.FormatInt(ev.SignatureID, 10)
	}
	if ev.Severity != 0 {
		f.Details["ids_severity"] = strconv.Itoa(ev.Severity)
	}
	if ev.Label != "" {
		f.Details["category"] = sanitize.Line(ev.Label)
	}
	if len(ev.Refs) > 0 {
		f.Details["refs"] = sanitize.Line(strings.Join(ev.Refs, " "))
	}
	if len(cves) > 0 {
		f.Details["cve"] = strings.Join(cves, " ")
	}
	if ev.Message != "" {
		f.Details["message"] = sanitize.Line(ev.Message)
	}
	f.Details["peers"] = strconv.Itoa(nPeers)
	f.Details["family"] = family
	hits, nSigs := g.total()
	f.Details["family_alerts"] = strconv.Itoa(hits)
	f.Details["family_signatures"] = strconv.Itoa(nSigs)
	em.Emit(f)
}

// note records a hit of signature sig from peer in the group key and
// returns the group.
func (d *ids) note(key, sig, peer string) *idsGroup {
	g := d.groups.GetOr(key, func() *idsGroup { return &idsGroup{peers: map[string]struct{}{}} })
	if peer != "" && len(g.peers) < maxIDSPeers {
		g.peers[peer] = struct{}{}
	}
	for i := range g.sigs {
		if g.sigs[i].name == sig {
			g.sigs[i].hits++
			return g
		}
	}
	if len(g.sigs) < maxIDSSigs {
		g.sigs = append(g.sigs, idsSig{name: strings.Clone(sig), hits: 1})
		return g
	}
	g.otherHits++
	return g
}

// total returns the group's hits and its distinct signatures (beyond the
// bound, the others count as one).
func (g *idsGroup) total() (hits, sigs int) {
	for _, s := range g.sigs {
		hits += s.hits
	}
	sigs = len(g.sigs)
	if g.otherHits > 0 {
		sigs++
	}
	return hits + g.otherHits, sigs
}

// list shows the group's signatures, most hits first: "ET CINS ... group
// 98 (sid 2403397) ×11, ...".
func (g *idsGroup) list() string {
	ss := slices.Clone(g.sigs)
	slices.SortStableFunc(ss, func(a, b idsSig) int { return b.hits - a.hits })
	parts := make([]string, 0, len(ss)+1)
	for _, s := range ss {
		p := clipText(s.name, 120)
		if s.hits > 1 {
			p += " ×" + strconv.Itoa(s.hits)
		}
		parts = append(parts, p)
	}
	if g.otherHits > 0 {
		parts = append(parts, "and "+detect.Plural(g.otherHits, "hit")+" of other signatures")
	}
	return strings.Join(parts, ", ")
}

// clipText shortens a text for a summary, on a rune boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

func portSuffix(p uint16) string {
	if p == 0 {
		return ""
	}
	return " port " + strconv.Itoa(int(p))
}

// cveRefs returns the CVE ids among an IDS alert's references.
func cveRefs(refs []string) []string {
	var out []string
	for _, r := range refs {
		if strings.HasPrefix(strings.ToUpper(r), "CVE-") {
			out = append(out, strings.ToUpper(r))
		}
	}
	return out
}
