// Package matching implements the matching rules of the defence model that
// compare traffic with known attacks (known-attack basis): IOC lists
// (M-IOC-DOMAIN, M-IOC-IP, M-IOC-URL, M-IOC-HASH), PsExec-style remote
// service creation inside the LAN (M-PSEXEC), IDS alerts for known attacks
// and vulnerabilities (M-IDS), dynamic-DNS destinations (M-DDNS) and
// executables disguised by a double extension or a right-to-left override
// (M-DOUBLE-EXT).
//
// Every rule judges one event at a time and keeps only small bounded
// state (the machines that relay others' traffic, recent evidence of a
// remote service creation, the sources of an IDS signature), so Observe is
// cheap and memory stays flat however long mamori runs.
//
// Relays. A forwarding proxy, a DNS forwarder or a NAT gateway looks up
// and connects to names and addresses on behalf of its clients: the
// proxy's lookup of a C2 name is the client's doing, and the client's own
// request (the proxy log, the sensor) raises the alert that matters. A
// match on a relay is therefore kept as an information-level alert
// ("looked up on behalf of its clients") rather than a high one on the
// proxy. Relays are the inventory's machines with a relay role (parameter
// relay_roles: proxy, gateway, nat, resolver, dns) and the internal
// machines seen receiving CONNECT requests or DNS queries from others.
package matching

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// Factories returns the rules of this package.
func Factories() []detect.Factory {
	return []detect.Factory{
		{Rule: RuleIOCDomain, New: newIOCDomain},
		{Rule: RuleIOCIP, New: newIOCIP},
		{Rule: RuleIOCURL, New: newIOCURL},
		{Rule: RuleIOCHash, New: newIOCHash},
		{Rule: RulePsExec, New: newPsExec},
		{Rule: RuleIDS, New: newIDS},
		{Rule: RuleDDNS, New: newDDNS},
		{Rule: RulePaaS, New: newPaaS},
		{Rule: RuleDoubleExt, New: newDoubleExt},
	}
}

// The catalog ids of the rules.
const (
	RuleIOCDomain = "M-IOC-DOMAIN"
	RuleIOCIP     = "M-IOC-IP"
	RuleIOCURL    = "M-IOC-URL"
	RuleIOCHash   = "M-IOC-HASH"
	RulePsExec    = "M-PSEXEC"
	RuleIDS       = "M-IDS" //nolint:revive // var-naming: IDS is an intrusion detection system, not a plural of ID
	RuleDDNS      = "M-DDNS"
	RulePaaS      = "M-PAAS"
	RuleDoubleExt = "M-DOUBLE-EXT"
)

// The attack phases (DESIGN §2.1) findings name when they know better
// than the catalog.
const (
	phaseRecon    = 1
	phaseDelivery = 2
	phaseFoothold = 3
	phaseSpread   = 4
	phaseC2       = 5
)

// defaultRelayRoles are the inventory roles of machines that carry other
// machines' traffic (the same as the statistical and normal-business
// rules use).
var defaultRelayRoles = detect.DefaultRelayRoles

// relayParam documents the relay_roles parameter.
var relayParam = detect.Param{Name: "relay_roles", Default: defaultRelayRoles,
	Doc: "inventory roles of machines that relay others' traffic (proxies, resolvers, NAT gateways): their matches are kept at information level, as their clients' own requests raise the alerts"}

// relays tells which internal machines relay others' traffic (see
// detect.Relays), with a rule's own relay roles.
type relays struct{ *detect.Relays }

func newRelays(env *detect.Env, roles []string) *relays {
	r := detect.NewRelays(roles, env)
	r.Resolvers = true // matches on them are only softened
	return &relays{r}
}

// note learns relays from one event.
func (r *relays) note(ev *event.Event) { r.Learn(ev) }

// why says why endpoint relays others' traffic, or "" when it does not.
func (r *relays) why(endpoint netip.Addr) string { return r.Why(endpoint) }

// asRelay turns a finding on a relay into an information-level one that
// says so.
func asRelay(f *detect.Finding, host, why string) {
	info := alert.Info
	f.Severity = &info
	f.Score = 0.2
	f.Rare = false
	name := f.Endpoint
	if host != "" {
		name = host
	}
	f.Summary += " " + name + " relays others' traffic (" + why + "): this is on behalf of a client, whose own request is judged separately."
	if f.SummaryJA != "" {
		f.SummaryJA += name + " は他の端末の通信を中継している（" + why + "）。クライアントに代わって行ったもので、クライアント自身の要求は別途判定される。"
	}
	if f.Details != nil {
		f.Details["relay"] = why
	}
}

// who names an endpoint for a summary: "pc-023 (10.0.10.23)", or the
// address alone.
func who(host, endpoint string) string {
	if host == "" || host == endpoint {
		return endpoint
	}
	return host + " (" + endpoint + ")"
}

// hitText names an IOC hit for a summary: the entry, its list, and its
// comment when there is one.
func hitText(h detect.Hit) string {
	s := h.Indicator + " in " + h.List
	if h.Comment != "" {
		s += " (" + h.Comment + ")"
	}
	return s
}

// hitDetails are the details every IOC finding has.
func hitDetails(h detect.Hit, ev *event.Event) map[string]string {
	d := map[string]string{"indicator": h.Indicator, "list": h.List, "source": ev.Format}
	if h.Comment != "" {
		d["comment"] = h.Comment
	}
	return d
}

// peerPort returns the port on the peer's side of an event.
func peerPort(ev *event.Event, peer netip.Addr) uint16 {
	if peer == ev.DstIP {
		return ev.DstPort
	}
	return ev.SrcPort
}

// rare reports whether few of the organisation's endpoints reach dest.
func rare(env *detect.Env, dest string) bool {
	return env.Prevalence != nil && dest != "" && env.Prevalence.Rare(dest)
}

// site is what prevalence counts a domain by.
func site(domain string) string { return detect.Site(domain) }

// executableDownload reports whether an HTTP event fetched an executable:
// by the type the server or sensor gave, or by the file name.
func executableDownload(ev *event.Event) bool {
	if ev.Kind != event.KindHTTP && ev.Kind != event.KindFile {
		return false
	}
	if ev.Method == "CONNECT" || ev.Status >= 300 || ev.Action == event.ActionDeny {
		return false
	}
	switch strings.ToLower(ev.ContentType) {
	case "application/x-dosexec", "application/x-msdownload", "application/x-msdos-program",
		"application/x-executable", "application/vnd.microsoft.portable-executable",
		"application/x-ms-installer", "application/x-msi", "application/java-archive",
		"application/hta", "application/x-ms-shortcut":
		return true
	}
	if ev.FileName != "" {
		if _, ok := executableExt(baseName(ev.FileName)); ok {
			return true
		}
	}
	if ev.URL != "" {
		if _, ok := executableExt(urlFileName(ev.URL)); ok {
			return true
		}
	}
	return false
}

// urlFileName returns the last path segment of a URL (still
// percent-encoded), or "".
func urlFileName(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		j := strings.IndexByte(u, '/')
		if j < 0 {
			return ""
		}
		u = u[j:]
	}
	return u[strings.LastIndexByte(u, '/')+1:]
}

// baseName returns the last element of a Windows or Unix path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }

// lateralTransfer reports whether a file event is a transfer between two
// office machines over SMB: spreading (phase 4). A download the sensor sees
// between a PC and the office's proxy is internal on both sides too, but is
// no such thing.
func lateralTransfer(env *detect.Env, ev *event.Event) bool {
	smb := ev.Kind == event.KindSMB || strings.EqualFold(ev.Service, "smb")
	return smb && ev.SrcIP.IsValid() && ev.DstIP.IsValid() && env.Internal(ev.SrcIP) && env.Internal(ev.DstIP)
}

// sightings tells a repeat of an act from the same act written in another
// log: a request is in the proxy's log and in a sensor's HTTP log, a
// lookup in the resolver's log and in the sensor's DNS log. Counting both
// would double the count an alert shows, so a match seen in a different
// log format within sameAct of the last one is the same act, not a new
// one. Only matches are recorded, so the bounded map costs nothing on
// ordinary traffic.
type sightings struct {
	last *detect.LRU[string, sighting]
}

type sighting struct {
	format string
	at     time.Time
}

// sameAct is how far apart two logs may write one act: a proxy logs a
// request when it ends, a sensor when it starts.
const (
	sameAct      = 2 * time.Minute
	maxSightings = 4096
)

func newSightings() sightings {
	return sightings{last: detect.NewLRU[string, sighting](maxSightings)}
}

// again records that ev did act and reports whether it is the same act
// already seen in another log.
func (s sightings) again(ev *event.Event, act string) bool {
	k := ev.EndpointID() + "\x00" + act
	prev, ok := s.last.Get(k)
	if ok && prev.format != ev.Format && ev.Time.Sub(prev.at) <= sameAct && ev.Time.Sub(prev.at) >= -sameAct {
		return true
	}
	s.last.Put(k, sighting{ev.Format, ev.Time})
	return false
}

// actOf names what an event did with a name, so that the same act in two
// logs has the same name: a lookup, or a connection (an HTTP request, the
// CONNECT tunnel and the TLS handshake inside it).
func actOf(ev *event.Event, name string) string {
	if ev.Kind == event.KindDNS {
		return "dns " + strings.ToLower(name)
	}
	return "conn " + strings.ToLower(name)
}
