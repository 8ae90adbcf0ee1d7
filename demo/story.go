package demo

import (
	"net/netip"
	"slices"
	"time"
)

// Endpoint is one machine of the office as the inventory names it.
type Endpoint struct {
	IP   netip.Addr
	Host string
	Role string
}

// Evidence says what a line of a demo file shows when the step happened:
// what a test or a person can grep for.
type Evidence struct {
	File     string   // path relative to the demo directory, e.g. "proxy/access.log"
	Contains []string // strings that all occur in one line
}

func ev(file string, contains ...string) Evidence { return Evidence{File: file, Contains: contains} }

// Step is one step of the attack and what the detection engine is
// expected to raise for it.
type Step struct {
	Name  string // short stable id: "delivery", "c2-beacon", ...
	Title string
	Phase int       // attack phase of the defence model (DESIGN §2.1), 2 to 6
	Time  time.Time // when it starts
	// Every is the nominal period of a repeated step (beacons, lookups).
	Every time.Duration
	// Endpoint is the office machine the alerts are expected on.
	Endpoint netip.Addr
	Host     string
	// Peer is the other side: an office machine or an internet address.
	Peer   netip.Addr
	Domain string // the internet name involved, if any
	// Rules are the ids of the rules expected to raise an alert for the
	// step on Endpoint.
	Rules    []string
	Evidence []Evidence
}

// HardNegative is normal business that resembles an attack step. The
// endpoints listed must stay at or below low for the rules listed.
type HardNegative struct {
	Name      string
	Title     string
	Endpoints []netip.Addr
	Rules     []string
}

// Indicators are the entries of intel/iocs.txt that the attack matches.
type Indicators struct {
	Domain string // the C2 name
	IPPort string // the second stage's server, "ip:port"
	SHA256 string // the second stage, also copied to the peers' ADMIN$
}

// Scenario is the demo's attack as data: the contract between the demo
// and the detection engine's end-to-end tests.
type Scenario struct {
	At         time.Time // the anchor T
	Start, End time.Time // the period Write covers
	Victim     Endpoint
	Peers      []Endpoint // the machines the attacker spreads to
	Steps      []Step
	// Benign are the machines without any attack traffic: nothing above
	// low is expected on them.
	Benign []Endpoint
	// Relays carry the victim's traffic on its behalf (the proxy's
	// upstream connections, the gateway's firewall): an engine should
	// attribute that traffic to the client it relays, so the e2e tests may
	// hold relays to the benign standard, but they have no attack of
	// their own.
	Relays []Endpoint
	// Targets are machines the attack reached without compromising them
	// by itself: the file server whose backup password it guessed.
	Targets       []Endpoint
	Indicators    Indicators
	HardNegatives []HardNegative
}

// Rule ids of the catalog the scenario refers to.
const (
	RuleDoubleExt   = "M-DOUBLE-EXT"
	RuleExeSource   = "N-EXE-SOURCE"
	RuleIPDirect    = "N-IP-DIRECT"
	RuleApp         = "N-APP"
	RuleBeacon      = "S-BEACON"
	RuleDDNS        = "M-DDNS"
	RuleConnectPort = "N-CONNECT-PORT"
	RuleIOCDomain   = "M-IOC-DOMAIN"
	RuleSinkhole    = "S-SINKHOLE"
	RuleFanout      = "S-FANOUT"
	RulePsExec      = "M-PSEXEC"
	RuleLANExe      = "N-LAN-EXE"
	RuleErrors      = "S-ERRORS"
	RuleBytesOut    = "S-BYTES-OUT"
	RuleProxyBypass = "N-PROXY-BYPASS" //nolint:gosec // G101: a rule id, not a password
	RuleNoDNS       = "N-NO-DNS"
	RuleCrossEP     = "C-CROSS-EP"
	RuleSameEP      = "C-SAME-EP"
	RuleKillChain   = "C-KILLCHAIN"
)

// Story returns the scenario the demo of opts plays out, without writing
// anything.
func Story(opts Options) (Scenario, error) {
	opts, err := opts.normalize(time.Now)
	if err != nil {
		return Scenario{}, err
	}
	rn, err := prepare("", opts)
	if err != nil {
		return Scenario{}, err
	}
	return rn.scenario(), nil
}

func endpointOf(h *host) Endpoint { return Endpoint{IP: h.ip, Host: h.name, Role: h.role} }

func (rn *run) scenario() Scenario {
	g := rn.g
	o := g.o
	p := g.story
	ss := o.sites
	v := p.victim
	vip := v.ipStr
	c2 := ss.c2
	s := Scenario{
		At:      toTime(p.T),
		Start:   toTime(g.start),
		End:     toTime(p.T + minute),
		Victim:  endpointOf(v),
		Peers:   []Endpoint{endpointOf(p.peerA), endpointOf(p.peerB)},
		Relays:  []Endpoint{endpointOf(o.proxy), endpointOf(o.gw)},
		Targets: []Endpoint{endpointOf(o.fs)},
		Indicators: Indicators{
			Domain: c2.name,
			IPPort: addrFoothold.String() + ":80",
			SHA256: sha256Hex(payloadKey),
		},
	}
	step := func(name, title string, phase int, t int64, h *host, peer netip.Addr, domain string, rules []string, ev ...Evidence) Step {
		return Step{Name: name, Title: title, Phase: phase, Time: toTime(t), Endpoint: h.ip, Host: h.name, Peer: peer, Domain: domain, Rules: rules, Evidence: ev}
	}
	beacon := step("c2-beacon", "the implant calls its C2 through the proxy every ~300 s on an odd CONNECT port", 5, p.beacon, v, c2.ips[0], c2.name,
		[]string{RuleBeacon, RuleDDNS, RuleConnectPort, RuleIOCDomain, RuleApp, RuleSameEP},
		ev("proxy/access.log", vip+" TCP_TUNNEL/200", "CONNECT "+c2.name+":8443", uaMalware),
		ev("zeek/http.log", c2.name+":8443"))
	beacon.Every = 300 * time.Second
	sink := step("sinkhole-lookups", "the implant resolves its parked C2 name every ~10 min; dnsmasq answers 0.0.0.0", 5, p.sink, v, netip.Addr{}, sinkholed,
		[]string{RuleSinkhole, RuleDDNS},
		ev("gateway/dnsmasq.log", "query[A] "+sinkholed+" from "+vip), ev("gateway/dnsmasq.log", "config "+sinkholed+" is 0.0.0.0"),
		ev("zeek/dns.log", sinkholed))
	sink.Every = 600 * time.Second
	s.Steps = []Step{
		step("delivery", "the victim downloads "+deliveryFile+" (double extension) from a rarely visited dynamic-DNS host", 2, p.delivery, v,
			ss.delivery.ips[0], ss.delivery.name, []string{RuleDoubleExt, RuleExeSource, RuleDDNS},
			ev("proxy/access.log", ".pdf.exe"), ev("zeek/files.log", deliveryFile), ev("zeek/http.log", ss.delivery.name)),
		step("foothold", "second stage: http://"+addrFoothold.String()+"/update.exe, a bare IP address, with an unusual user agent", 3, p.foothold, v,
			addrFoothold, "", []string{RuleIPDirect, RuleExeSource, RuleApp},
			ev("proxy/access.log", "GET http://"+addrFoothold.String()+"/update.exe"), ev("zeek/files.log", sha256Hex(payloadKey))),
		beacon,
		sink,
		step("fan-out", "the victim probes TCP 445 on its segment and the server segment", 4, p.fanout, v, netip.Addr{}, "",
			[]string{RuleFanout}, ev("zeek/conn.log", "\t445\ttcp\t-\t")),
		step("spread-"+p.peerA.name, "the implant is copied to "+p.peerA.name+"'s ADMIN$ and started as service "+p.svcA, 4, p.spreadA, v, p.peerA.ip, "",
			[]string{RuleLANExe, RulePsExec},
			ev("zeek/smb_files.log", p.exeA), ev("zeek/dce_rpc.log", "CreateServiceW"), ev("zeek/smb_mapping.log", `\\\\`+p.peerA.ipStr+`\\ADMIN$`)),
		step("spread-"+p.peerB.name, "the implant is copied to "+p.peerB.name+"'s ADMIN$ and started as service "+p.svcB, 4, p.spreadB, v, p.peerB.ip, "",
			[]string{RuleLANExe, RulePsExec},
			ev("zeek/smb_files.log", p.exeB), ev("zeek/files.log", p.exeB)),
		step("lateral-c2", p.peerB.name+" starts its own lookups and beacon: the lateral chain", 5, p.peerC2, p.peerB, v.ip, c2.name,
			[]string{RuleIOCDomain, RuleDDNS, RuleConnectPort, RuleApp, RuleCrossEP},
			ev("gateway/dnsmasq.log", "query[A] "+sinkholed+" from "+p.peerB.ipStr), ev("proxy/access.log", p.peerB.ipStr+" TCP_TUNNEL/200", "CONNECT "+c2.name+":8443")),
		step("brute-force", "SSH password guessing against the file server until the backup account's password works", 4, p.brute, v, o.fs.ip, "",
			[]string{RuleErrors},
			ev("servers/auth.log", "Failed password for invalid user admin from "+vip), ev("servers/auth.log", "Accepted password for backup from "+vip)),
		step("exfiltration", "the share's documents are read in a burst and uploaded to cloud storage through the proxy", 6, p.collect, v, ss.exfil.ips[0], ss.exfil.name,
			[]string{RuleBytesOut, RuleApp, RuleKillChain},
			ev("proxy/access.log", "CONNECT "+ss.exfil.name+":443"), ev("zeek/http.log", uaExfil)),
		step("proxy-bypass", "the victim connects straight to an internet address on 443, never resolved, through a too-broad firewall rule", 6, p.bypass, v, addrBypass, "",
			[]string{RuleProxyBypass, RuleNoDNS},
			ev("gateway/firewall.log", "FW-ACCEPT-OUT: IN=eth1 OUT=eth0 MAC="+g.routedMAC()+" SRC="+vip+" DST="+addrBypass.String()),
			ev("zeek/conn.log", addrBypass.String()+"\t443")),
	}
	involved := map[*host]bool{v: true, p.peerA: true, p.peerB: true, o.fs: true, o.proxy: true, o.gw: true}
	for _, h := range o.hosts {
		if !involved[h] {
			s.Benign = append(s.Benign, endpointOf(h))
		}
	}
	var pcs, odd, bulky []netip.Addr
	for _, h := range o.pcs {
		pcs = append(pcs, h.ip)
		if h.odd {
			odd = append(odd, h.ip)
		}
		if h.bulky {
			bulky = append(bulky, h.ip)
		}
	}
	pcs = append(pcs, o.admin.ip)
	s.HardNegatives = []HardNegative{
		{"windows-update", "hourly, jittered update and signature checks on every PC; Defender deltas (executables) from download.windowsupdate.com", pcs, []string{RuleBeacon, RuleExeSource}},
		{"av-cloud", "antivirus cloud lookups every 30 min on every PC", pcs, []string{RuleBeacon}},
		{"nas", "the NAS checks in hourly and uploads its backup at 2 a.m. through the proxy", []netip.Addr{o.nas.ip}, []string{RuleBeacon, RuleBytesOut}},
		{"cloud-sync", "accounting staff sync scans of 100+ MB to the office's cloud storage every day", bulky, []string{RuleBytesOut}},
		{"newcomer", "a new employee's PC appears on day 3 and does its first updates", []netip.Addr{o.newcomer.ip}, []string{RuleExeSource, RuleApp, RuleBeacon}},
		{"admin-ssh", "the administrator's SSH sessions, with a mistyped password now and then", []netip.Addr{o.admin.ip}, []string{RuleErrors}},
		{"service-check", "the administrator queries a PC's services over svcctl (no CreateServiceW)", []netip.Addr{o.admin.ip}, []string{RulePsExec}},
		{"time-sync", "an app on a few PCs looks up time.windows.com and tries NTP directly; the firewall drops it", odd, []string{RuleProxyBypass}},
		{"typos-and-blocks", "mistyped names (NXDOMAIN) and blocked streaming sites (TCP_DENIED/403)", pcs, []string{RuleErrors}},
	}
	return s
}

// Rules lists the rule ids the scenario expects, sorted, each once.
func (s Scenario) Rules() []string {
	var rs []string
	for _, st := range s.Steps {
		rs = append(rs, st.Rules...)
	}
	slices.Sort(rs)
	return slices.Compact(rs)
}
