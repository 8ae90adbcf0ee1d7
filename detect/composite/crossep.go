package composite

import (
	"maps"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// crossEP is C-CROSS-EP: alerts that line up across endpoints, in two
// shapes.
//
// The lateral chain A → B. Endpoint A raises a delivery or foothold alert
// (phase ② or ③); within window (24 h) A reaches office machine B over a
// remote-administration or file-sharing protocol — SMB, RPC, a login, or a
// connection to one of lateralPorts (22 SSH, 135 RPC, 139/445 SMB, 3389 RDP,
// 5985/5986 WinRM, 5900 VNC) that carried data and was not blocked — and
// then, within window of that contact, B raises an alert of its own that
// began after it. Ordinary traffic to internal servers (the proxy, DNS,
// web applications) is what every PC does and makes no chain. The finding
// is on B, the machine the attack reached and that still has to be
// contained, with A as Peer and both in the summary; one alert per chain
// (Key "chain:A"), counting B's rules.
//
// The campaign. Several endpoints (min_endpoints, 2) alert on the same
// external destination within window, and the destination is rare: no
// more of the organisation's endpoints reach it than those alerting, or at
// most rare_share (10 %) of them. Names under the shared cloud, PaaS and
// file-sharing zones of the catalog's trusted-sites list are counted by
// full host name (one tenant's name, not the provider), the others by
// registrable domain as organisation-wide prevalence is. With too few
// endpoints known to judge, the alerts speak for themselves. Each endpoint
// of the group gets the finding (Key "campaign:<destination>", Count the
// endpoints).
//
// Both shapes only count alerts of medium severity or more: a low alert on
// each of two machines is not yet a pattern.
type crossEP struct {
	env       *detect.Env
	window    time.Duration
	minEPs    int
	rareShare float64
	ports     map[uint16]bool
	trusted   *catalog.List
	// hosts counts, for names under trusted zones, the endpoints reaching
	// each full host name.
	hosts *detect.Prevalence

	footholds *detect.LRU[netip.Addr, *foothold]
	contacts  *detect.LRU[netip.Addr, []*contact]
	dests     *detect.LRU[string, *campaign]
	// shared is, per endpoint, the rare destinations it was reported on
	// with other endpoints: one campaign row per endpoint lists them all.
	shared *detect.LRU[string, []string]
}

// foothold is an endpoint's recent delivery and foothold alerts.
type foothold struct {
	steps       []string // "② M-DOUBLE-EXT", in the order they came, up to maxSteps
	first, last time.Time
	ev          event.Event
	hasEv       bool
}

// maxSteps bounds the delivery and foothold alerts named per endpoint.
const maxSteps = 4

// contact is A reaching B after A's foothold.
type contact struct {
	from     netip.Addr
	at, last time.Time
	how      string
	rank     int
	ev       event.Event
	reported []string // B's rules already reported for this chain
	fh       foothold
}

// campaign is the endpoints alerting on one destination.
type campaign struct {
	eps      map[string]*campaignEP
	reported map[string]int // endpoint → group size last reported to it
	// rare is set once the destination was found rare with enough
	// endpoints.
	rare bool
}

type campaignEP struct {
	host        string
	rules       []string
	first, last time.Time
	known       bool // an alert of the known-attack basis
	ev          event.Event
	hasEv       bool
}

// Bounds: 4096 machines with a foothold, 4096 contacted machines with 4
// contacts each, 4096 destinations with 16 endpoints each, 50,000 trusted
// host names.
const (
	maxContacts    = 4
	maxCampaignEPs = 16
	maxSharedDests = 8
	maxDests       = 4096
	maxTrustedName = 50_000
)

// lateralPorts are the TCP ports of remote administration and file
// sharing an attack moves over: SSH, RPC, NetBIOS and SMB, RDP, WinRM, VNC.
var lateralPorts = []uint16{22, 135, 139, 445, 3389, 5985, 5986, 5900}

func newCrossEP(p detect.Params, env *detect.Env) detect.Detector {
	d := &crossEP{
		env:       env,
		window:    p.Duration("window", 24*time.Hour),
		minEPs:    max(2, p.Int("min_endpoints", 2)),
		rareShare: p.Float("rare_share", 0.1),
		ports:     map[uint16]bool{},
		hosts:     detect.NewPrevalence(maxTrustedName),
		footholds: detect.NewLRU[netip.Addr, *foothold](maxEndpoints),
		contacts:  detect.NewLRU[netip.Addr, []*contact](maxEndpoints),
		dests:     detect.NewLRU[string, *campaign](maxDests),
		shared:    detect.NewLRU[string, []string](maxEndpoints),
	}
	for _, port := range lateralPorts {
		d.ports[port] = true
	}
	if env.Catalog != nil {
		d.trusted, _ = env.Catalog.List(catalog.ListTrustedSites)
	}
	if env.Prevalence != nil {
		d.hosts.MinEndpoints = env.Prevalence.MinEndpoints
	}
	return d
}

func (*crossEP) Rule() string { return RuleCrossEP }
func (*crossEP) Kinds() []event.Kind {
	return []event.Kind{event.KindConnection, event.KindSMB, event.KindRPC, event.KindAuth, event.KindFile,
		event.KindDNS, event.KindHTTP, event.KindTLS}
}
func (*crossEP) Params() []detect.Param {
	return []detect.Param{
		{Name: "window", Default: "24h", Doc: "how long a foothold, a contact and a destination's alerts are remembered for linking"},
		{Name: "min_endpoints", Default: 2, Doc: "endpoints alerting on one rare destination that make a campaign"},
		{Name: "rare_share", Default: 0.1, Doc: "share of the organisation's endpoints that may reach a destination for it to still count as rare"},
	}
}

// Observe notes contacts between office machines after a foothold, and
// who reaches names under the shared trusted zones.
func (d *crossEP) Observe(ev *event.Event, em *detect.Emitter) {
	switch ev.Kind {
	case event.KindDNS, event.KindHTTP, event.KindTLS:
		d.noteTrusted(ev)
		return
	}
	if d.footholds.Len() == 0 || !ev.SrcIP.IsValid() || !ev.DstIP.IsValid() || ev.SrcIP == ev.DstIP {
		return
	}
	fh, ok := d.footholds.Peek(ev.SrcIP)
	if !ok || ev.Time.Before(fh.first) || ev.Time.Sub(fh.last) > d.window || !d.env.Internal(ev.DstIP) {
		return
	}
	how, rank := d.lateral(ev)
	if rank == 0 {
		return
	}
	cs, _ := d.contacts.Get(ev.DstIP)
	for _, c := range cs {
		if c.from != ev.SrcIP {
			continue
		}
		if ev.Time.Sub(c.last) > d.window { // an old contact: start over
			*c = contact{from: ev.SrcIP, at: ev.Time, last: ev.Time, how: how, rank: rank, ev: *ev, fh: *fh}
			return
		}
		c.last = ev.Time
		if rank > c.rank {
			c.how, c.rank, c.ev = how, rank, *ev
		}
		return
	}
	if len(cs) >= maxContacts {
		cs = cs[1:]
	}
	d.contacts.Put(ev.DstIP, append(cs, &contact{from: ev.SrcIP, at: ev.Time, last: ev.Time, how: how, rank: rank, ev: *ev, fh: *fh}))
}

// lateral says how an event carries an attack from one machine to
// another, ranked by how telling it is; rank 0 means it does not.
func (d *crossEP) lateral(ev *event.Event) (string, int) {
	switch ev.Kind {
	case event.KindRPC:
		how := "RPC " + strings.TrimSpace(ev.Service+" "+ev.Method)
		if m := strings.ToLower(ev.Method); strings.Contains(m, "create") || strings.Contains(m, "register") || strings.Contains(m, "start") || strings.Contains(m, "jobadd") {
			return how, 5 // the call that runs code on B
		}
		return how, 4
	case event.KindSMB:
		return "SMB", 3
	case event.KindFile:
		if strings.EqualFold(ev.Service, "smb") {
			return "an SMB file transfer", 3
		}
	case event.KindAuth:
		if ev.Outcome == event.OutcomeSuccess {
			svc := ev.Service
			if svc == "" {
				svc = ev.Format
			}
			return "a successful " + svc + " login", 2
		}
	case event.KindConnection:
		if !d.ports[ev.DstPort] || ev.Action == event.ActionDeny || !established(ev) {
			return "", 0
		}
		return "TCP port " + itoa(int(ev.DstPort)), 1
	}
	return "", 0
}

// established reports whether a connection got an answer and carried
// data: Zeek's failed handshakes (S0, REJ, ...) and empty probes do not.
func established(ev *event.Event) bool {
	switch ev.Label {
	case "S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR", "OTH":
		return false
	}
	if strings.HasPrefix(ev.Format, "zeek") || strings.HasPrefix(ev.Format, "suricata") {
		return ev.BytesOut+ev.BytesIn > 0
	}
	return true
}

// noteTrusted counts endpoints per full host name under the trusted zones.
func (d *crossEP) noteTrusted(ev *event.Event) {
	if d.trusted == nil || (!ev.Endpoint.IsValid() && ev.Host == "") || (d.env.Relays != nil && d.env.Relays.Is(ev.Endpoint)) {
		return
	}
	name := ev.Domain
	if ev.Kind == event.KindDNS {
		name = ev.Query
	}
	if name == "" {
		return
	}
	if _, ok := d.trusted.Match(name); ok {
		d.hosts.Note(ev.EndpointID(), strings.ToLower(strings.TrimSuffix(name, ".")))
	}
}

func (d *crossEP) ObserveAlert(a *alert.Alert, em *detect.Emitter) {
	if !counts(a) || a.Severity < alert.Medium {
		return
	}
	if addr, ok := addrOf(a.Endpoint); ok {
		if a.Phase == 2 || a.Phase == 3 {
			d.noteFoothold(addr, a)
		}
		d.chainTo(addr, a, em)
	}
	d.campaign(a, em)
}

func (d *crossEP) noteFoothold(addr netip.Addr, a *alert.Alert) {
	fh, ok := d.footholds.Get(addr)
	if !ok || a.LastSeen.Sub(fh.last) > d.window {
		fh = &foothold{first: a.FirstSeen, last: a.LastSeen}
		fh.ev, fh.hasEv = evidenceOf(a)
		d.footholds.Put(addr, fh)
	}
	if a.LastSeen.After(fh.last) {
		fh.last = a.LastSeen
	}
	if a.FirstSeen.Before(fh.first) {
		fh.first = a.FirstSeen
	}
	step := phaseMark(a.Phase) + " " + a.Rule
	if !slices.Contains(fh.steps, step) && len(fh.steps) < maxSteps {
		fh.steps = append(fh.steps, step)
	}
}

// chainTo reports a chain ending in B when B's new alert a follows a
// contact from a machine with a foothold.
func (d *crossEP) chainTo(b netip.Addr, a *alert.Alert, em *detect.Emitter) {
	cs, ok := d.contacts.Peek(b)
	if !ok {
		return
	}
	for _, c := range cs {
		// B's own alert: begun after the contact (a minute's slack for the
		// clocks of different logs), within the window, not about A itself.
		if a.FirstSeen.Before(c.at.Add(-time.Minute)) || a.LastSeen.Sub(c.last) > d.window || a.Peer == c.from.String() {
			continue
		}
		if slices.Contains(c.reported, a.Rule) {
			continue
		}
		c.reported = append(c.reported, a.Rule)
		d.emitChain(b, a, c, em)
	}
}

func (d *crossEP) emitChain(b netip.Addr, a *alert.Alert, c *contact, em *detect.Emitter) {
	A := c.from.String()
	hostA := d.env.HostOf(c.from)
	hostB := a.Host
	if hostB == "" {
		hostB = d.env.HostOf(b)
	}
	steps := strings.Join(c.fh.steps, ", ")
	summary := "Lateral chain: " + who(hostA, A) + " had delivery or foothold alerts (" + steps + ") from " + clock(d.env, c.fh.first) +
		", reached " + who(hostB, b.String()) + " over " + c.how + " at " + clock(d.env, c.at) +
		", and " + nameOf(hostB, b.String()) + " then raised " + listOf(c.reported) + " (latest " + a.Rule + " at " + clock(d.env, a.FirstSeen) + ")."
	summaryJA := "横展開の連鎖：" + who(hostA, A) + " で " + clock(d.env, c.fh.first) + " 以降に入込み・足場固めのアラート（" + steps + "）が発生し、" +
		clock(d.env, c.at) + " に " + c.how + " で " + who(hostB, b.String()) + " へ接続した。その後 " + nameOf(hostB, b.String()) + " で " + listOf(c.reported) + " が発生した。"
	var evidence []*event.Event
	if c.fh.hasEv {
		ev := c.fh.ev
		evidence = append(evidence, &ev)
	}
	contactEv := c.ev
	evidence = append(evidence, &contactEv)
	if ev, ok := evidenceOf(a); ok {
		evidence = append(evidence, &ev)
	}
	em.Emit(detect.Finding{
		Time: a.LastSeen, FirstSeen: c.fh.first, Endpoint: b.String(), Host: hostB, Peer: A, Key: "chain:" + A,
		Score:   0.9,
		Summary: summary, SummaryJA: summaryJA,
		Details: map[string]string{
			"shape": "lateral chain", "origin": A, "origin_host": hostA, "origin_alerts": steps,
			"contact": c.how, "contact_time": c.at.UTC().Format(time.RFC3339), "rules": listOf(c.reported),
		},
		Evidence: evidence,
	})
}

func nameOf(host, endpoint string) string {
	if host != "" {
		return host
	}
	return endpoint
}

// destination returns the external destination an alert is about, or "".
func (d *crossEP) destination(a *alert.Alert) string {
	p := a.Peer
	if p == "" {
		p = a.Details["domain"]
	}
	if p == "" || p == a.Details["user"] {
		return ""
	}
	if ap, err := netip.ParseAddrPort(p); err == nil {
		p = ap.Addr().String()
	}
	if addr, err := netip.ParseAddr(p); err == nil {
		if d.env.Internal(addr) || !addr.IsGlobalUnicast() {
			return ""
		}
		return addr.Unmap().String()
	}
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
	}
	if i := strings.IndexAny(p, "/:"); i >= 0 {
		p = p[:i]
	}
	p = strings.ToLower(strings.TrimSuffix(p, "."))
	if !strings.Contains(p, ".") || strings.ContainsAny(p, " \\@") {
		return ""
	}
	return p
}

// rare reports whether at most alerting endpoints, or rareShare of the
// organisation's, reach dest; and how many reach it of how many.
func (d *crossEP) rare(dest string, alerting int) (bool, int, int) {
	var n, total int
	prev := d.env.Prevalence
	switch {
	case d.trusted != nil && isName(dest) && matches(d.trusted, dest):
		prev = d.hosts
		n, total = prev.Users(dest)
	case prev == nil:
		return true, 0, 0
	case isName(dest):
		n, total = prev.Users(detect.Site(dest))
	default:
		n, total = prev.Users(dest)
	}
	if total < prev.MinEndpoints {
		return true, n, total // too few endpoints known to judge
	}
	limit := max(alerting, int(math.Ceil(d.rareShare*float64(total))))
	return n <= limit, n, total
}

func isName(s string) bool { _, err := netip.ParseAddr(s); return err != nil }

func matches(l *catalog.List, name string) bool { _, ok := l.Match(name); return ok }

func (d *crossEP) campaign(a *alert.Alert, em *detect.Emitter) {
	dest := d.destination(a)
	if dest == "" {
		return
	}
	now := a.LastSeen
	cg := d.dests.GetOr(dest, func() *campaign {
		return &campaign{eps: map[string]*campaignEP{}, reported: map[string]int{}}
	})
	for ep, ce := range cg.eps {
		if now.Sub(ce.last) > d.window {
			delete(cg.eps, ep)
			delete(cg.reported, ep)
		}
	}
	ce, ok := cg.eps[a.Endpoint]
	if !ok {
		if len(cg.eps) >= maxCampaignEPs {
			return
		}
		first := a.FirstSeen
		if first.IsZero() {
			first = now
		}
		ce = &campaignEP{first: first}
		ce.ev, ce.hasEv = evidenceOf(a)
		cg.eps[a.Endpoint] = ce
	}
	if a.Host != "" {
		ce.host = a.Host
	}
	if now.After(ce.last) {
		ce.last = now
	}
	if !slices.Contains(ce.rules, a.Rule) {
		ce.rules = append(ce.rules, a.Rule)
	}
	ce.known = ce.known || a.Basis == alert.KnownAttack
	n := len(cg.eps)
	if n < d.minEPs {
		return
	}
	if isRare, _, _ := d.rare(dest, n); !isRare {
		return
	}
	cg.rare = true
	for ep := range cg.eps {
		if cg.reported[ep] == n {
			continue
		}
		cg.reported[ep] = n
		d.emitCampaign(ep, dest, now, a.Phase, em)
	}
}

// emitCampaign raises (or updates) ep's one campaign alert: every rare
// destination ep alerted on together with other endpoints, dest among them.
func (d *crossEP) emitCampaign(ep, dest string, now time.Time, phase int, em *detect.Emitter) {
	dests, _ := d.shared.Get(ep)
	if !slices.Contains(dests, dest) {
		if len(dests) == maxSharedDests {
			dests = slices.Delete(dests, 0, 1)
		}
		dests = append(dests, dest)
		d.shared.Put(ep, dests)
	}
	var (
		groups, groupsJA []string
		named            []string
		evidence         []*event.Event
		others           = map[string]bool{}
		known            bool
		host             string
		first, epFirst   = now, now
	)
	for _, ds := range dests {
		cg, ok := d.dests.Peek(ds)
		if !ok || !cg.rare || cg.eps[ep] == nil || len(cg.eps) < d.minEPs {
			continue // the campaign on ds has expired
		}
		eps := slices.Collect(maps.Keys(cg.eps))
		slices.SortFunc(eps, func(x, y string) int { return cg.eps[x].first.Compare(cg.eps[y].first) })
		var parts []string
		for _, o := range eps {
			e := cg.eps[o]
			others[o] = true
			known = known || e.known
			first = minTime(first, e.first)
			parts = append(parts, nameOf(e.host, o)+" ("+strings.Join(e.rules, ", ")+" from "+clock(d.env, e.first)+")")
			if e.hasEv && len(evidence) < 2*maxSharedDests {
				ev := e.ev
				evidence = append(evidence, &ev)
			}
		}
		me := cg.eps[ep]
		epFirst = minTime(epFirst, me.first)
		if me.host != "" {
			host = me.host
		}
		// The reach now; the alerting endpoints reached it, also when
		// through a proxy (which prevalence leaves out).
		_, users, total := d.rare(ds, len(eps))
		users = max(users, len(eps))
		seen, seenJA := "", ""
		if total > 0 {
			seen = "; reached by " + itoa(users) + " of " + itoa(total) + " endpoints"
			seenJA = "（" + itoa(total) + "台中" + itoa(users) + "台が通信）"
		}
		named = append(named, ds)
		groups = append(groups, strings.Join(parts, "; ")+seen)
		groupsJA = append(groupsJA, strings.Join(parts, "、")+seenJA)
	}
	if len(named) == 0 {
		return
	}
	score := 0.75
	if known {
		score = 0.9
	}
	n := len(others)
	span := spanText(now.Sub(first).Round(time.Minute))
	var summary, summaryJA string
	if len(named) == 1 {
		summary = itoa(n) + " endpoints alerted on the rare destination " + named[0] + " within " + span + ": " + groups[0] + ". One campaign, several victims."
		summaryJA = itoa(n) + "台のエンドポイントが " + span + " の間に希少な通信先 " + named[0] + " についてアラートを上げた：" + groupsJA[0] +
			"。一つの攻撃キャンペーンで複数の端末が被害を受けている可能性がある。"
	} else {
		for i := range named {
			groups[i] = named[i] + " — " + groups[i]
			groupsJA[i] = named[i] + "：" + groupsJA[i]
		}
		summary = itoa(n) + " endpoints alerted on " + itoa(len(named)) + " rare destinations within " + span + ": " +
			strings.Join(groups, " | ") + ". One campaign, several victims."
		summaryJA = itoa(n) + "台のエンドポイントが " + span + " の間に " + itoa(len(named)) + " 件の希少な通信先についてアラートを上げた：" +
			strings.Join(groupsJA, "／") + "。一つの攻撃キャンペーンで複数の端末が被害を受けている可能性がある。"
	}
	endpoints := slices.Sorted(maps.Keys(others))
	em.Emit(detect.Finding{
		Time: now, FirstSeen: epFirst, Endpoint: ep, Host: host, Peer: named[0], Key: "campaign",
		Score: score, Count: n, Absolute: true, Phase: phase,
		Summary: summary, SummaryJA: summaryJA,
		Details: map[string]string{
			"shape": "campaign", "destination": named[0], "destinations": strings.Join(named, " "), "endpoints": strings.Join(endpoints, " "),
		},
		Evidence: evidence,
	})
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
