package matching

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// want is the finding a case expects; a zero want expects silence.
type want struct {
	endpoint, peer, key string
	summary             []string // parts the summary must name
	phase               int
	score               float64 // 0: not checked
	severity            *alert.Severity
}

func (w want) silent() bool { return w.endpoint == "" }

func expect(t *testing.T, name string, fs []detect.Finding, w want) {
	t.Helper()
	if w.silent() {
		if len(fs) != 0 {
			t.Errorf("%s: fired: %+v", name, fs[0])
		}
		return
	}
	if len(fs) == 0 {
		t.Errorf("%s: silent", name)
		return
	}
	f := fs[len(fs)-1]
	if f.Endpoint != w.endpoint || f.Peer != w.peer || f.Key != w.key {
		t.Errorf("%s: endpoint %q peer %q key %q, want %q %q %q", name, f.Endpoint, f.Peer, f.Key, w.endpoint, w.peer, w.key)
	}
	if !mentions(f.Summary, w.summary...) {
		t.Errorf("%s: summary %q lacks %q", name, f.Summary, w.summary)
	}
	if f.SummaryJA == "" || len(f.Evidence) == 0 || f.Time.IsZero() {
		t.Errorf("%s: no Japanese summary, evidence or time: %+v", name, f)
	}
	if f.Phase != w.phase {
		t.Errorf("%s: phase %d, want %d", name, f.Phase, w.phase)
	}
	if w.score != 0 && f.Score != w.score {
		t.Errorf("%s: score %.2f, want %.2f", name, f.Score, w.score)
	}
	if w.severity != nil && (f.Severity == nil || *f.Severity != *w.severity) {
		t.Errorf("%s: severity %v, want %v", name, f.Severity, *w.severity)
	}
}

func sevp(s alert.Severity) *alert.Severity { return &s }

func TestIOCRules(t *testing.T) {
	env := newEnv(t)
	c2 := "kx7-update.duckdns.org"
	zeekDNS := func(name string, answers ...string) *event.Event {
		return &event.Event{Time: t0, Format: "zeek.dns", Kind: event.KindDNS, SrcIP: pc1, SrcPort: 53001, DstIP: gw, DstPort: 53, Query: name, Answers: answers}
	}
	cases := map[string]struct {
		rule string
		evs  []*event.Event
		want want
	}{
		"domain: lookup of the C2 name": {RuleIOCDomain, []*event.Event{dnsQ(0, pc1, c2)},
			want{endpoint: pc1.String(), peer: c2, key: c2, summary: []string{"pc-021 (10.0.10.21)", "looked up " + c2, "iocs.txt", "apt-report", "(dns)."}, score: 0.8}},
		"domain: subdomain of a listed domain, upper case": {RuleIOCDomain, []*event.Event{dnsQ(0, pc1, "CDN.Evil.Example.")},
			want{endpoint: pc1.String(), peer: "CDN.Evil.Example", key: "evil.example", summary: []string{"CDN.Evil.Example", "listed as evil.example"}, score: 0.8}},
		"domain: CONNECT through the proxy": {RuleIOCDomain, []*event.Event{squid(0, pc1, "CONNECT", c2+":8443", c2, ip("203.0.113.7"), 8443, "")},
			want{endpoint: pc1.String(), peer: c2, key: c2, summary: []string{"tunnel (CONNECT)", c2, "(8443/tcp (tunnel))."}, score: 0.8}},
		"domain: CNAME to a listed name": {RuleIOCDomain, []*event.Event{zeekDNS("innocent.example.com", "cdn.evil.example", "203.0.113.9")},
			want{endpoint: pc1.String(), peer: "cdn.evil.example", key: "evil.example", summary: []string{"innocent.example.com", "alias of", "cdn.evil.example"}}},
		"domain: executable fetched from a listed name is a foothold": {RuleIOCDomain, []*event.Event{squid(0, pc1, "GET", "http://evil.example/a/upd.bin", "evil.example", ip("203.0.113.9"), 80, "application/x-dosexec")},
			want{endpoint: pc1.String(), peer: "evil.example", key: "evil.example", summary: []string{"fetched an executable"}, phase: phaseFoothold, score: 0.9}},
		"domain: the proxy's own lookup is its client's": {RuleIOCDomain, []*event.Event{dnsQ(0, proxy, c2)},
			want{endpoint: proxy.String(), peer: c2, key: c2, summary: []string{"proxy01 relays", "on behalf of a client"}, score: 0.2, severity: sevp(alert.Info)}},
		"domain: a learned proxy (CONNECT target) is a relay": {RuleIOCDomain, []*event.Event{
			{Time: t0, Format: "zeek.http", Kind: event.KindHTTP, SrcIP: pc2, DstIP: ip("10.0.30.8"), DstPort: 3128, Method: "CONNECT", Domain: "www.example.com"},
			dnsQ(time.Second, ip("10.0.30.8"), c2)},
			want{endpoint: "10.0.30.8", peer: c2, key: c2, summary: []string{"CONNECT requests"}, severity: sevp(alert.Info)}},
		"domain: dnsmasq answer line is not counted again": {RuleIOCDomain, []*event.Event{
			{Time: t0, Format: "dnsmasq", Kind: event.KindDNS, SrcIP: pc1, Query: c2, Label: "reply", RCode: "NOERROR", Answers: []string{"203.0.113.7"}}}, want{}},
		"domain: a list of services attackers also use is medium": {RuleIOCDomain, []*event.Event{dnsQ(0, pc1, "home.ddns-provider.example")},
			want{endpoint: pc1.String(), peer: "home.ddns-provider.example", key: "ddns-provider.example", summary: []string{"suspicious/dynamic_domain.txt"}, score: 0.6, severity: sevp(alert.Medium)}},
		"domain: an outside client naming the office's own site": {RuleIOCDomain, []*event.Event{
			{Time: t0, Format: "zeek.http", Kind: event.KindHTTP, SrcIP: ip("203.0.113.7"), SrcPort: 50000, DstIP: server, DstPort: 80, Method: "GET", URL: "http://evil.example/", Domain: "evil.example", Status: 200}}, want{}},
		"domain: name merely ending like a listed one": {RuleIOCDomain, []*event.Event{dnsQ(0, pc1, "notevil.example")}, want{}},
		"domain: popular site":                         {RuleIOCDomain, []*event.Event{dnsQ(0, pc1, "www.microsoft.com")}, want{}},

		"ip: connection to a listed ip:port": {RuleIOCIP, []*event.Event{conn(0, pc1, 50000, ip("203.0.113.80"), 80)},
			want{endpoint: pc1.String(), peer: "203.0.113.80:80", key: "203.0.113.80:80", summary: []string{"203.0.113.80:80", "listed as 203.0.113.80:80 in iocs.txt"}, score: 0.8}},
		"ip: same address, other port (shared hosting)": {RuleIOCIP, []*event.Event{conn(0, pc1, 50000, ip("203.0.113.80"), 443)}, want{}},
		"ip: address in a listed network": {RuleIOCIP, []*event.Event{conn(0, pc1, 50000, ip("198.51.100.44"), 4444)},
			want{endpoint: pc1.String(), peer: "198.51.100.44:4444", key: "198.51.100.0/24", summary: []string{"198.51.100.44 on 4444/tcp", "exchanged 2 kB", "198.51.100.0/24"}}},
		"ip: executable over plain http from a listed address": {RuleIOCIP, []*event.Event{squid(0, pc1, "GET", "http://203.0.113.80/update.exe", "203.0.113.80", ip("203.0.113.80"), 80, "application/x-msdownload")},
			want{endpoint: pc1.String(), peer: "203.0.113.80:80", key: "203.0.113.80:80", summary: []string{"fetched an executable"}, phase: phaseFoothold, score: 0.9}},
		"ip: listed attacker answered by a server is reconnaissance, medium": {RuleIOCIP, []*event.Event{conn(0, ip("198.51.100.9"), 41000, server, 22)},
			want{endpoint: server.String(), peer: "198.51.100.9", key: "198.51.100.0/24", summary: []string{"198.51.100.9", "connected to fs01 (10.0.20.10) on 22/tcp"}, phase: phaseRecon, score: 0.5, severity: sevp(alert.Medium)}},
		"ip: listed attacker's probe refused is low": {RuleIOCIP, []*event.Event{state(conn(0, ip("198.51.100.9"), 41000, server, 23), "REJ")},
			want{endpoint: server.String(), peer: "198.51.100.9", key: "198.51.100.0/24", summary: []string{"on 23/tcp; it was refused"}, phase: phaseRecon, score: 0.3, severity: sevp(alert.Low)}},
		"ip: scanner list probing the office is information": {RuleIOCIP, []*event.Event{state(conn(0, ip("192.0.2.200"), 41000, server, 23), "S0")},
			want{endpoint: server.String(), peer: "192.0.2.200", key: "192.0.2.200", summary: []string{"census.scanner.example", "mass_scanner.txt", "nothing answered"}, phase: phaseRecon, score: 0.3, severity: sevp(alert.Info)}},
		"ip: scanner list answered is still information": {RuleIOCIP, []*event.Event{conn(0, ip("192.0.2.200"), 41000, server, 443)},
			want{endpoint: server.String(), peer: "192.0.2.200", key: "192.0.2.200", summary: []string{"on 443/tcp"}, phase: phaseRecon, score: 0.3, severity: sevp(alert.Info)}},
		"ip: the office's ICMP unreachable to a listed address answers its probe": {RuleIOCIP, []*event.Event{{Time: t0, Format: "zeek.conn", Kind: event.KindConnection,
			SrcIP: server, SrcPort: 3, DstIP: ip("198.51.100.9"), DstPort: 3, Transport: "icmp", Label: "OTH", BytesOut: 56}},
			want{endpoint: server.String(), peer: "198.51.100.9", key: "198.51.100.0/24", summary: []string{"ICMP destination unreachable message (icmp type 3)", "probed a closed port"}, phase: phaseRecon, severity: sevp(alert.Low)}},
		"ip: established connection to a C2 entry stays high": {RuleIOCIP, []*event.Event{conn(0, pc1, 50000, ip("203.0.113.80"), 80)},
			want{endpoint: pc1.String(), peer: "203.0.113.80:80", key: "203.0.113.80:80", summary: []string{"connected to 203.0.113.80 on 80/tcp and exchanged 2 kB"}, score: 0.8}},
		"ip: refused connection to a C2 entry is an attempt, still high": {RuleIOCIP, []*event.Event{state(conn(0, pc1, 50000, ip("203.0.113.80"), 80), "REJ")},
			want{endpoint: pc1.String(), peer: "203.0.113.80:80", key: "203.0.113.80:80", summary: []string{"tried to reach 203.0.113.80 on 80/tcp; it was refused (reset)"}, score: 0.6}},
		"ip: the office's public server is never an ioc peer": {RuleIOCIP, []*event.Event{conn(0, pc1, 50000, www, 443)}, want{}},
		"ip: a url entry for an address is no address entry":  {RuleIOCIP, []*event.Event{squid(0, pc1, "GET", "http://www.vendor.example/connecttest.txt", "www.vendor.example", ip("192.0.2.80"), 80, "text/plain")}, want{}},
		"ip: the proxy's upstream connection is its client's": {RuleIOCIP, []*event.Event{
			{Time: t0, Format: "netfilter", Kind: event.KindConnection, SrcIP: proxy, SrcPort: 40000, DstIP: ip("203.0.113.80"), DstPort: 80, Action: event.ActionAllow}},
			want{endpoint: proxy.String(), peer: "203.0.113.80:80", key: "203.0.113.80:80", summary: []string{"proxy01 relays"}, severity: sevp(alert.Info)}},
		"ip: blocked at the firewall is weaker": {RuleIOCIP, []*event.Event{
			{Time: t0, Format: "netfilter", Kind: event.KindConnection, SrcIP: pc1, SrcPort: 40000, DstIP: ip("198.51.100.3"), DstPort: 443, Action: event.ActionDeny}},
			want{endpoint: pc1.String(), peer: "198.51.100.3:443", key: "198.51.100.0/24", summary: []string{"blocked"}, score: 0.6}},
		"ip: internal traffic is never an ioc peer": {RuleIOCIP, []*event.Event{conn(0, pc1, 50000, pc2, 445)}, want{}},

		"url: download below a listed folder": {RuleIOCURL, []*event.Event{squid(0, pc1, "GET", "http://dl.bad.example/payload/x/inv.zip?id=3", "dl.bad.example", ip("192.0.2.50"), 80, "application/zip")},
			want{endpoint: pc1.String(), peer: "dl.bad.example", key: "http://dl.bad.example/payload/", summary: []string{"requested http://dl.bad.example/payload/x/inv.zip?id=3", "(HTTP 200)"}}},
		"url: same host, other path": {RuleIOCURL, []*event.Event{squid(0, pc1, "GET", "http://dl.bad.example/about.html", "dl.bad.example", ip("192.0.2.50"), 80, "text/html")}, want{}},
		"url: CONNECT has no path":   {RuleIOCURL, []*event.Event{squid(0, pc1, "CONNECT", "dl.bad.example:443", "dl.bad.example", ip("192.0.2.50"), 443, "")}, want{}},
		"url: a url entry for an address matches requests to it by url": {RuleIOCURL, []*event.Event{squid(0, pc1, "GET", "http://192.0.2.80/a.php", "192.0.2.80", ip("192.0.2.80"), 80, "text/html")},
			want{endpoint: pc1.String(), peer: "192.0.2.80", key: "http://192.0.2.80", summary: []string{"requested http://192.0.2.80/a.php"}}},
		"url: an outside client probing the office's server for a listed path": {RuleIOCURL, []*event.Event{
			{Time: t0, Format: "zeek.http", Kind: event.KindHTTP, SrcIP: ip("203.0.113.7"), SrcPort: 50000, DstIP: server, DstPort: 80, Method: "GET", URL: "http://www.office.example/wp-content/plugins/wp-shell/", Domain: "www.office.example", Status: 200}},
			want{endpoint: server.String(), peer: "203.0.113.7", key: "/wp-content/plugins/wp-shell/", summary: []string{"203.0.113.7 requested http://www.office.example/wp-content/plugins/wp-shell/ (80/tcp (http)) from fs01", "(HTTP 200)"}, phase: phaseRecon, score: 0.6, severity: sevp(alert.Medium)}},
		"url: a name's request to that address is not that url": {RuleIOCURL, []*event.Event{squid(0, pc1, "GET", "http://www.vendor.example/connecttest.txt", "www.vendor.example", ip("192.0.2.80"), 80, "text/plain")}, want{}},

		"hash: file downloaded": {RuleIOCHash, []*event.Event{{Time: t0, Format: "zeek.files", Kind: event.KindFile, SrcIP: pc1, DstIP: ip("192.0.2.50"),
			FileName: "tool.exe", FileHash: "44D88612FEA8A8F36DE82E1278ABB02F", Service: "http"}},
			want{endpoint: pc1.String(), peer: "192.0.2.50", key: "44d88612fea8a8f36de82e1278abb02f", summary: []string{"\"tool.exe\"", "44d88612fea8a8f3", "eicar"}, score: 0.9}},
		"hash: copied to another office machine is spreading": {RuleIOCHash, []*event.Event{{Time: t0, Format: "zeek.files", Kind: event.KindFile, SrcIP: pc1, DstIP: pc2,
			FileName: "abcd.exe", FileHash: "44d88612fea8a8f36de82e1278abb02f", Service: "smb"}},
			want{endpoint: pc1.String(), peer: pc2.String(), key: "44d88612fea8a8f36de82e1278abb02f", summary: []string{"another office machine"}, phase: phaseSpread}},
		"hash: download through the office proxy is no spreading": {RuleIOCHash, []*event.Event{{Time: t0, Format: "zeek.files", Kind: event.KindFile, SrcIP: pc1, DstIP: proxy,
			FileName: "update.exe", FileHash: "44d88612fea8a8f36de82e1278abb02f", Service: "http"}},
			want{endpoint: pc1.String(), peer: proxy.String(), key: "44d88612fea8a8f36de82e1278abb02f", summary: []string{"received \"update.exe\" from 10.0.20.3"}}},
		"hash: unlisted file": {RuleIOCHash, []*event.Event{{Time: t0, Format: "zeek.files", Kind: event.KindFile, SrcIP: pc1, DstIP: ip("192.0.2.50"),
			FileName: "setup.exe", FileHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}, want{}},
	}
	for name, c := range cases {
		expect(t, name, run(t, env, c.rule, nil, c.evs...), c.want)
	}
}

// state sets a connection's Zeek conn_state, with no bytes for the
// states that exchange none.
func state(ev *event.Event, s string) *event.Event {
	ev.Label = s
	if s != "SF" {
		ev.BytesIn, ev.BytesOut = 0, 0
	}
	return ev
}

// TestIOCNeverOwnAddress: the machine mamori runs on is the office's own,
// even outside the internal networks.
func TestIOCNeverOwnAddress(t *testing.T) {
	env := newEnv(t)
	ev := conn(0, pc1, 50000, ip("198.51.100.60"), 443)
	if fs := run(t, env, RuleIOCIP, nil, ev); len(fs) != 1 {
		t.Fatalf("a listed network's address: %d findings", len(fs))
	}
	env = newEnv(t)
	env.Self = []netip.Addr{ip("198.51.100.60")}
	if fs := run(t, env, RuleIOCIP, nil, conn(0, pc1, 50000, ip("198.51.100.60"), 443)); len(fs) != 0 {
		t.Errorf("mamori's own address reported as an IOC peer: %s", fs[0].Summary)
	}
}

func TestIOCRulesNeedLists(t *testing.T) {
	env := newEnv(t)
	env.Intel = nil
	for _, rule := range []string{RuleIOCDomain, RuleIOCIP, RuleIOCURL, RuleIOCHash} {
		d, ok := build(t, env, rule).(detect.Requirer)
		if !ok || d.Missing() == "" {
			t.Errorf("%s runs without IOC lists", rule)
		}
	}
	env = newEnv(t)
	if m := build(t, env, RuleIOCDomain).(detect.Requirer).Missing(); m != "" {
		t.Errorf("with lists: %s", m)
	}
}

func TestIOCRarity(t *testing.T) {
	env := newEnv(t)
	for i := range 30 {
		env.Prevalence.Note(netip.AddrFrom4([4]byte{10, 0, 10, byte(100 + i)}).String(), "www.example.com")
	}
	env.Prevalence.Note(pc1.String(), detect.Site("kx7-update.duckdns.org"))
	fs := run(t, env, RuleIOCDomain, nil, dnsQ(0, pc1, "kx7-update.duckdns.org"))
	if len(fs) != 1 || !fs[0].Rare {
		t.Fatalf("a name one endpoint of 31 reaches is not rare: %+v", fs)
	}
}

// TestSameActInTwoLogs checks that one act written by two logs counts
// once, and that a real repeat still counts.
func TestSameActInTwoLogs(t *testing.T) {
	env := newEnv(t)
	c2 := "kx7-update.duckdns.org"
	sensor := func(at time.Duration) *event.Event {
		return &event.Event{Time: t0.Add(at), Format: "zeek.http", Kind: event.KindHTTP, SrcIP: pc1, DstIP: proxy, DstPort: 3128, Method: "CONNECT", URL: c2 + ":8443", Domain: c2}
	}
	zeekDNS := func(at time.Duration) *event.Event {
		return &event.Event{Time: t0.Add(at), Format: "zeek.dns", Kind: event.KindDNS, SrcIP: pc1, DstIP: gw, DstPort: 53, Query: c2}
	}
	proxyLine := func(at time.Duration) *event.Event {
		return squid(at, pc1, "CONNECT", c2+":8443", c2, ip("203.0.113.7"), 8443, "")
	}
	cases := map[string]struct {
		rule string
		evs  []*event.Event
		want int
	}{
		"tunnel in the sensor's and the proxy's log":    {RuleIOCDomain, []*event.Event{sensor(0), proxyLine(2 * time.Second)}, 1},
		"two tunnels five minutes apart":                {RuleIOCDomain, []*event.Event{sensor(0), proxyLine(time.Second), sensor(5 * time.Minute), proxyLine(5*time.Minute + time.Second)}, 2},
		"lookup in the resolver's and the sensor's log": {RuleDDNS, []*event.Event{dnsQ(0, pc1, c2), zeekDNS(time.Millisecond)}, 1},
		"A and AAAA questions":                          {RuleDDNS, []*event.Event{dnsQ(0, pc1, c2), dnsQ(time.Millisecond, pc1, c2)}, 2},
		"a lookup and then a tunnel":                    {RuleDDNS, []*event.Event{dnsQ(0, pc1, c2), proxyLine(time.Second)}, 2},
		"download in three logs": {RuleDoubleExt, []*event.Event{
			{Time: t0, Format: "zeek.http", Kind: event.KindHTTP, SrcIP: pc1, DstIP: proxy, DstPort: 3128, Method: "GET", URL: "http://x.example/a.pdf.exe", Domain: "x.example"},
			{Time: t0.Add(time.Millisecond), Format: "zeek.files", Kind: event.KindFile, SrcIP: pc1, DstIP: proxy, Service: "http", FileName: "a.pdf.exe"},
			squid(2*time.Second, pc1, "GET", "http://x.example/a.pdf.exe", "x.example", ip("203.0.113.9"), 80, "application/octet-stream")}, 1},
	}
	for name, c := range cases {
		if got := len(run(t, env, c.rule, nil, c.evs...)); got != c.want {
			t.Errorf("%s: %d findings, want %d", name, got, c.want)
		}
	}
}
