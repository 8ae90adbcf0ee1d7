package normal

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// The rule ids of the catalog.
const (
	RuleCountry     = "N-COUNTRY"
	RuleInternalSvc = "N-INTERNAL-SVC"
	RuleApp         = "N-APP"
	RuleCategory    = "N-CATEGORY"
	RulePort        = "N-PORT"
	RuleExeSource   = "N-EXE-SOURCE"
	RuleUploadType  = "N-UPLOAD-TYPE"
	RuleIPDirect    = "N-IP-DIRECT"
	RuleQuery       = "N-QUERY"
	RuleConnectPort = "N-CONNECT-PORT"
	RuleLANExe      = "N-LAN-EXE"
	RuleProxyBypass = "N-PROXY-BYPASS" //nolint:gosec // G101: a rule id, not a password
	RuleNoDNS       = "N-NO-DNS"
)

// Factories returns the rules of this package.
func Factories() []detect.Factory {
	return []detect.Factory{
		{Rule: RuleCountry, New: newCountry},
		{Rule: RuleInternalSvc, New: newInternalSvc},
		{Rule: RuleApp, New: newApp},
		{Rule: RuleCategory, New: newCategory},
		{Rule: RulePort, New: newPort},
		{Rule: RuleExeSource, New: newExeSource},
		{Rule: RuleUploadType, New: newUploadType},
		{Rule: RuleIPDirect, New: newIPDirect},
		{Rule: RuleQuery, New: newQuery},
		{Rule: RuleConnectPort, New: newConnectPort},
		{Rule: RuleLANExe, New: newLANExe},
		{Rule: RuleProxyBypass, New: newProxyBypass},
		{Rule: RuleNoDNS, New: newNoDNS},
	}
}

// reportEvery is how often a repeated finding (same rule, endpoint and
// key) is reported; the repeats in between are counted and reported with
// the next one. Five minutes keeps a beacon's alert counting without a
// finding per connection.
const reportEvery = 5 * time.Minute

// rule is what every detector of the package shares: its id, the
// environment, a cache of endpoint facts, the repeat limiter and how many
// events it learned from.
type rule struct {
	id  string
	env *detect.Env
	eps *endpoints
	lim *limiter
	// learnt counts the events the rule learned from. A rule that learned
	// nothing (its baseline was lost, or the rule came after the learning
	// window) cannot tell unusual from usual and stays silent.
	learnt int64
	// proxyLog is the time of the newest proxy-log event seen.
	proxyLog time.Time
	tlds     map[string]bool // top-level label → is an internet TLD
	// requests are the qualifying requests seen lately, by endpoint,
	// method and URL, so that a request logged by both the proxy and a
	// sensor counts once.
	requests *detect.LRU[string, time.Time]
}

func newRule(id string, env *detect.Env) rule {
	return rule{id: id, env: env, eps: newEndpoints(env), lim: newLimiter(reportEvery, 1<<14)}
}

// ready reports whether the rule has a baseline to judge by.
func (r *rule) ready() bool { return r.learnt > 0 }

// sensorCopy reports whether ev is a sensor's view (Zeek, Suricata) of a
// request the client sent to an internal proxy, or of the TLS handshake
// inside its tunnel, while the proxy's own log is being read: the proxy log has the same request, and rules that need
// nothing more than it has skip the copy rather than count it twice.
func (r *rule) sensorCopy(ev *event.Event) bool {
	if ev.Kind != event.KindHTTP && ev.Kind != event.KindTLS {
		return false
	}
	if proxyLog(ev) {
		if ev.Time.After(r.proxyLog) {
			r.proxyLog = ev.Time
		}
		return false
	}
	if r.proxyLog.IsZero() || ev.Time.Sub(r.proxyLog) > time.Hour || !ev.DstIP.IsValid() || !r.env.Internal(ev.DstIP) {
		return false
	}
	host := requestHost(ev)
	if a, lit := ipLiteral(host); lit {
		return !r.env.Internal(a)
	}
	return r.internetName(host)
}

// internetName reports whether a host name is an internet name (see
// externalName), remembering the answer for each top-level label.
func (r *rule) internetName(host string) bool {
	if host == "" {
		return false
	}
	tld := host[strings.LastIndexByte(host, '.')+1:]
	if v, ok := r.tlds[tld]; ok {
		return v
	}
	v := externalName(host)
	if r.tlds == nil || len(r.tlds) >= 4096 {
		r.tlds = map[string]bool{}
	}
	r.tlds[strings.Clone(tld)] = v
	return v
}

// twice reports whether ev is a request the rule already saw in the last
// two minutes from another log (the proxy's line comes when the request
// ends, the sensor's when it starts). Call it only for events that
// qualify: it allocates a key.
func (r *rule) twice(ev *event.Event) bool {
	if r.requests == nil {
		r.requests = detect.NewLRU[string, time.Time](4096)
	}
	k := ev.EndpointID() + " " + ev.Method + " " + ev.URL
	prev, ok := r.requests.Get(k)
	r.requests.Put(k, ev.Time)
	return ok && absDur(ev.Time.Sub(prev)) <= 2*time.Minute
}

// Rule returns the catalog id.
func (r *rule) Rule() string { return r.id }

// Tick reports the repeats held back since the last report.
func (r *rule) Tick(now time.Time, em *detect.Emitter) { r.lim.flush(now, em, false) }

// Finish reports every repeat still held back.
func (r *rule) Finish(now time.Time, em *detect.Emitter) { r.lim.flush(now, em, true) }

// endpointInfo is what the rules need to know about an internal address.
type endpointInfo struct {
	id      string // the address as text: the endpoint id of findings
	segment string // inventory segment, or ""
	host    string // inventory host name, or ""
	// class is what kind of machine it is for N-INTERNAL-SVC: its
	// inventory role when the inventory lists it alone, else its segment,
	// else its /24 (or /64) network.
	class string
	relay bool // the inventory gives it one of the relay roles
}

// endpoints caches endpointInfo by address, so that the per-event path
// neither formats addresses nor scans the inventory. It forgets everything
// when it reaches its bound.
type endpoints struct {
	env   *detect.Env
	m     map[netip.Addr]*endpointInfo
	max   int
	roles map[string]bool // inventory roles of relays
}

// defaultRelayRoles are the inventory roles of machines that carry other
// machines' traffic (the same as the statistical rules').
var defaultRelayRoles = []string{"proxy", "gateway", "nat", "resolver", "dns"}

func newEndpoints(env *detect.Env) *endpoints {
	e := &endpoints{env: env, m: map[netip.Addr]*endpointInfo{}, max: 1 << 16}
	e.setRoles(defaultRelayRoles)
	return e
}

// setRoles sets the relay roles; it must come before the first get.
func (c *endpoints) setRoles(roles []string) {
	c.roles = map[string]bool{}
	for _, r := range roles {
		c.roles[strings.ToLower(strings.TrimSpace(r))] = true
	}
}

func (c *endpoints) get(a netip.Addr) *endpointInfo {
	if in, ok := c.m[a]; ok {
		return in
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
	in := &endpointInfo{id: a.String()}
	if as, ok := c.env.Assets.Lookup(a); ok {
		in.segment = as.Segment
		if as.Prefix.IsSingleIP() {
			in.host = as.Host
			in.class = strings.ToLower(as.Role)
			in.relay = c.roles[in.class]
		}
		if in.class == "" {
			in.class = as.Segment
		}
	}
	if in.class == "" {
		bits := 24
		if a.Is6() {
			bits = 64
		}
		p, _ := a.Prefix(bits)
		in.class = p.String()
	}
	c.m[a] = in
	return in
}

// hostOf names an endpoint for texts: "10.0.10.31 (pc-011)".
func hostOf(id, host string) string {
	if host == "" || host == id {
		return id
	}
	return id + " (" + host + ")"
}

// outbound returns the internal endpoint that opened the connection ev
// records and the external address it went to; ok is false for anything
// else (internal traffic, inbound traffic, events without both addresses).
func outbound(env *detect.Env, ev *event.Event) (src, dst netip.Addr, ok bool) {
	src, dst = ev.SrcIP, ev.DstIP
	if !src.IsValid() || !dst.IsValid() || ev.Endpoint != src || !env.Internal(src) || env.Internal(dst) {
		return src, dst, false
	}
	return src, dst, publicAddr(dst)
}

// publicAddr reports whether a could be an internet host: not loopback,
// link-local, multicast, unspecified or the limited broadcast.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// urlHost returns the host part of a logged URL: "http://h:81/p" → "h",
// "h:443" (a CONNECT target) → "h", "[2001:db8::1]:443" → "2001:db8::1".
func urlHost(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	if strings.HasPrefix(u, "[") {
		if i := strings.IndexByte(u, ']'); i > 0 {
			return u[1:i]
		}
		return u
	}
	if i := strings.LastIndexByte(u, ':'); i >= 0 && strings.Count(u, ":") == 1 {
		u = u[:i]
	}
	return u
}

// urlPort returns the port of a URL's authority or a CONNECT target, or 0.
func urlPort(u string) uint16 {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	i := strings.LastIndexByte(u, ':')
	switch {
	case i < 0:
		return 0
	case strings.HasPrefix(u, "["):
		if i == 0 || u[i-1] != ']' {
			return 0
		}
	case strings.Count(u, ":") > 1:
		return 0 // a bare IPv6 address
	}
	n := 0
	for _, c := range u[i+1:] {
		if c < '0' || c > '9' {
			return 0
		}
		if n = n*10 + int(c-'0'); n > 65535 {
			return 0
		}
	}
	return uint16(n)
}

// ipLiteral returns the address a host names literally, if it does.
func ipLiteral(host string) (netip.Addr, bool) {
	if host == "" || (host[0] < '0' || host[0] > '9') && strings.IndexByte(host, ':') < 0 {
		return netip.Addr{}, false // neither IPv4 (a leading digit) nor IPv6 (a colon)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// requestHost is the host an HTTP request named: the Host header (or
// CONNECT target) the parser put in Domain, else the URL's host.
func requestHost(ev *event.Event) string {
	if ev.Domain != "" {
		return strings.TrimSuffix(urlHost(ev.Domain), ".")
	}
	return strings.TrimSuffix(urlHost(ev.URL), ".")
}

// externalName reports whether a host name is an internet name: its top
// label is a top-level domain of the public suffix list ("com", "jp"),
// unlike office names under "lan", "local", "corp" or none.
func externalName(host string) bool {
	tld := host[strings.LastIndexByte(host, '.')+1:]
	if tld == "" {
		return false
	}
	_, icann := publicsuffix.PublicSuffix(strings.ToLower(tld))
	return icann
}

// site names the destination of an HTTP request by its registrable domain
// (detect.Site), or its address for a bare IP.
func site(host string) string {
	if a, ok := ipLiteral(host); ok {
		return a.String()
	}
	return detect.Site(host)
}

// portName names a transport port for texts: "8443/tcp".
func portName(transport string, port uint16) string {
	if transport == "" {
		return fmt.Sprintf("%d", port)
	}
	return fmt.Sprintf("%d/%s", port, transport)
}

// verdict says what a policy device did, for texts: "the firewall
// allowed it" / "dropped it".
func verdict(ev *event.Event) (en, ja string) {
	switch ev.Action {
	case event.ActionAllow:
		return "allowed", "許可"
	case event.ActionDeny:
		return "blocked", "遮断"
	}
	return "seen", "観測"
}

// restoreJSON reads a saved baseline, naming the rule in errors.
func restoreJSON(rule string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s baseline: %w", rule, err)
	}
	return nil
}

// rare, common and describe ask the organisation-wide prevalence about a
// destination (nothing is rare or common without one).
func rare(env *detect.Env, dest string) bool {
	return env.Prevalence != nil && env.Prevalence.Rare(dest)
}

func common(env *detect.Env, dest string) bool {
	return env.Prevalence != nil && env.Prevalence.Common(dest)
}

func describe(env *detect.Env, dest string) string {
	if env.Prevalence == nil {
		return "prevalence unknown"
	}
	return env.Prevalence.Describe(dest)
}

// matchList matches a name against a shipped list that may be missing.
func matchList(l *catalog.List, name string) (string, bool) {
	if l == nil {
		return "", false
	}
	return l.Match(name)
}

// durText writes a duration the way settings are written: "24h", "10m".
func durText(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// clip shortens attacker-controlled text for summaries.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
