package matching

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/suricata"
	"github.com/mamori-soc/mamori/ingest/zeek"
)

func TestDDNS(t *testing.T) {
	env := newEnv(t)
	env.Zones = map[string]*catalog.DomainSet{catalog.ListDynamicDNS: catalog.NewDomainSet("branch-vpn.example")}
	cases := map[string]struct {
		evs  []*event.Event
		want want
	}{
		"lookup under duckdns": {[]*event.Event{dnsQ(0, pc1, "mail-sync.hopto.org")},
			want{endpoint: pc1.String(), peer: "mail-sync.hopto.org", key: "", summary: []string{"pc-021", "looked up mail-sync.hopto.org", "zone hopto.org", "shipped list dynamic-dns"}, score: 0.6}},
		"executable downloaded from a ddns host is delivery": {[]*event.Event{squid(0, pc1, "GET", "http://files-share.ddns.net/s/inv.pdf.exe", "files-share.ddns.net", ip("203.0.113.20"), 80, "application/octet-stream")},
			want{endpoint: pc1.String(), peer: "files-share.ddns.net", summary: []string{"ddns.net", "fetched an executable"}, phase: phaseDelivery, score: 0.9}},
		"tls server name": {[]*event.Event{{Time: t0, Format: "zeek.ssl", Kind: event.KindTLS, SrcIP: pc1, DstIP: ip("203.0.113.21"), DstPort: 443, Domain: "c2.duckdns.org"}},
			want{endpoint: pc1.String(), peer: "c2.duckdns.org", summary: []string{"TLS", "duckdns.org"}}},
		"zone added by the configuration": {[]*event.Event{dnsQ(0, pc1, "gw.branch-vpn.example")},
			want{endpoint: pc1.String(), peer: "gw.branch-vpn.example", summary: []string{"branch-vpn.example", "ddns: files"}}},
		"the provider's own web site":       {[]*event.Event{dnsQ(0, pc1, "www.duckdns.org")}, want{}},
		"the zone itself":                   {[]*event.Event{dnsQ(0, pc1, "duckdns.org")}, want{}},
		"look-alike outside the zone":       {[]*event.Event{dnsQ(0, pc1, "duckdns.org.example.com")}, want{}},
		"ordinary site":                     {[]*event.Event{dnsQ(0, pc1, "www.yahoo.co.jp")}, want{}},
		"dnsmasq's sinkhole answer line":    {[]*event.Event{{Time: t0, Format: "dnsmasq", Kind: event.KindDNS, SrcIP: pc1, Query: "x.hopto.org", Label: "config", Answers: []string{"0.0.0.0"}}}, want{}},
		"resolver's lookup for its clients": {[]*event.Event{dnsQ(0, gw, "c2.duckdns.org")}, want{endpoint: gw.String(), peer: "c2.duckdns.org", summary: []string{"gw01 relays"}, severity: sevp(alert.Info)}},
	}
	for name, c := range cases {
		expect(t, name, run(t, env, RuleDDNS, nil, c.evs...), c.want)
	}
	fs := run(t, env, RuleDDNS, nil, dnsQ(0, pc1, "mail-sync.hopto.org"))
	if len(fs) != 1 || fs[0].Details["zone"] != "hopto.org" {
		t.Errorf("details: %+v", fs)
	}
}

func TestDisguise(t *testing.T) {
	cases := map[string]struct {
		name string
		want bool
		how  string
	}{
		"doc.exe":                  {"report.doc.exe", true, "disguised as .doc"},
		"pdf.scr upper case":       {"Invoice.PDF.SCR", true, "(.scr) disguised as .pdf"},
		"txt.exe":                  {"memo.txt.exe", true, ".txt"},
		"jpg.js":                   {"photo.jpg.js", true, ".jpg"},
		"japanese name":            {"請求書_2026.pdf.exe", true, ".pdf"},
		"spaces before extension":  {"report.docx     .exe", true, ".docx"},
		"many dots":                {"memo.txt.....exe", true, ".txt"},
		"lnk behind a document":    {"Document.txt.lnk", true, ".lnk"},
		"right-to-left override":   {"invoice\u202efdp.exe", true, "U+202E"},
		"rlo in a scr":             {"photo_\u202egpj.scr", true, "really .scr"},
		"padding alone":            {"Scan 2026-03-04            .exe", true, "pushed out of view by 12 spaces"},
		"setup.exe":                {"setup.exe", false, ""},
		"archive.tar.gz":           {"archive.tar.gz", false, ""},
		"jquery.min.js":            {"jquery.min.js", false, ""},
		"report.v2.pdf":            {"report.v2.pdf", false, ""},
		"file.name.with.dots.docx": {"file.name.with.dots.docx", false, ""},
		"installer with version":   {"python-3.12.1-amd64.exe", false, ""},
		"document with rlo only":   {"abc\u202etxt.docx", false, ""},
		"two spaces":               {"My Tool  .exe", false, ""},
		"dot only":                 {".exe", false, ""},
		"empty":                    {"", false, ""},
	}
	for name, c := range cases {
		d, ok := disguise(c.name)
		if ok != c.want {
			t.Errorf("%s: %q judged %v, want %v (%+v)", name, c.name, ok, c.want, d)
			continue
		}
		if ok {
			if en, ja := d.how(); !strings.Contains(en, c.how) || ja == "" {
				t.Errorf("%s: %q explained %q, want %q", name, c.name, en, c.how)
			}
		}
	}
}

func TestDoubleExt(t *testing.T) {
	env := newEnv(t)
	lure := "請求書_2026.pdf.exe"
	cases := map[string]struct {
		evs  []*event.Event
		want want
	}{
		"percent-encoded download path": {[]*event.Event{squid(0, pc1, "GET", "http://files-share.ddns.net/s/%E8%AB%8B%E6%B1%82%E6%9B%B8_2026.pdf.exe", "files-share.ddns.net", ip("203.0.113.20"), 80, "application/octet-stream")},
			want{endpoint: pc1.String(), peer: "files-share.ddns.net", key: lure, summary: []string{"pc-021", "downloaded \"" + lure + "\" from files-share.ddns.net", "disguised as .pdf"}, score: 0.9}},
		"download name in the query": {[]*event.Event{squid(0, pc1, "GET", "http://portal.example.com/get.php?id=3&name=invoice.pdf.exe", "portal.example.com", ip("203.0.113.20"), 80, "application/octet-stream")},
			want{endpoint: pc1.String(), peer: "portal.example.com", key: "invoice.pdf.exe", summary: []string{"invoice.pdf.exe"}}},
		"zeek resp_filenames": {[]*event.Event{{Time: t0, Format: "zeek.http", Kind: event.KindHTTP, SrcIP: pc1, DstIP: ip("203.0.113.20"), DstPort: 80,
			Method: "GET", URL: "http://x.example/dl?f=1", Domain: "x.example", FileName: "scan.jpg.scr"}},
			want{endpoint: pc1.String(), peer: "x.example", key: "scan.jpg.scr", summary: []string{"scan.jpg.scr", ".jpg"}}},
		"mail attachment in files.log": {[]*event.Event{{Time: t0, Format: "zeek.files", Kind: event.KindFile, SrcIP: ip("203.0.113.25"), DstIP: pc1, Service: "smtp",
			FileName: "見積書.docx .exe"}},
			want{endpoint: pc1.String(), peer: "203.0.113.25", key: "見積書.docx .exe", summary: []string{"mail attachment"}}},
		"rlo shown visibly in the summary": {[]*event.Event{{Time: t0, Format: "zeek.files", Kind: event.KindFile, SrcIP: ip("203.0.113.25"), DstIP: pc1, Service: "http",
			FileName: "invoice\u202efdp.exe"}},
			want{endpoint: pc1.String(), peer: "203.0.113.25", key: "invoice\u202efdp.exe", summary: []string{"invoice<U+202E>fdp.exe", "U+202E"}, score: 0.95}},
		"share write between office machines is spreading": {[]*event.Event{{Time: t0, Format: "zeek.smb_files", Kind: event.KindSMB, SrcIP: pc1, DstIP: server, DstPort: 445,
			Method: "SMB::FILE_WRITE", FileName: `\\fs01\share\経理\report.xlsx.exe`, Label: `\\fs01\share`}},
			want{endpoint: pc1.String(), peer: server.String(), key: "report.xlsx.exe", summary: []string{"SMB"}, phase: phaseSpread}},
		"download the sensor sees between the PC and the proxy is no spreading": {[]*event.Event{{Time: t0, Format: "zeek.files", Kind: event.KindFile, SrcIP: pc1, DstIP: proxy, Service: "http",
			FileName: "scan.pdf.exe"}},
			want{endpoint: pc1.String(), peer: proxy.String(), key: "scan.pdf.exe", summary: []string{"downloaded \"scan.pdf.exe\" from 10.0.20.3"}}},
		"plain installer":         {[]*event.Event{squid(0, pc1, "GET", "http://dl.example.com/setup.exe", "dl.example.com", ip("203.0.113.20"), 80, "application/x-msdownload")}, want{}},
		"minified script":         {[]*event.Event{squid(0, pc1, "GET", "https://cdn.example.com/js/jquery.min.js?v=3", "cdn.example.com", ip("203.0.113.20"), 443, "application/javascript")}, want{}},
		"versioned document":      {[]*event.Event{squid(0, pc1, "GET", "http://intra.example/docs/report.v2.pdf", "intra.example", ip("203.0.113.20"), 80, "application/pdf")}, want{}},
		"connect carries no name": {[]*event.Event{squid(0, pc1, "CONNECT", "a.pdf.exe.example:443", "a.pdf.exe.example", ip("203.0.113.20"), 443, "")}, want{}},
	}
	for name, c := range cases {
		expect(t, name, run(t, env, RuleDoubleExt, nil, c.evs...), c.want)
	}
}

func TestPsExec(t *testing.T) {
	env := newEnv(t)
	rpc := func(at time.Duration, src, dst string, iface, op string) *event.Event {
		return &event.Event{Time: t0.Add(at), Format: "zeek.dce_rpc", Kind: event.KindRPC, SrcIP: ip(src), SrcPort: 49000, DstIP: ip(dst), DstPort: 445,
			Service: iface, Method: op, Label: `\pipe\ntsvcs`}
	}
	smbFile := func(at time.Duration, src, dst, action, share, name string) *event.Event {
		path := name
		if share != "" {
			path = share + `\` + name
		}
		return &event.Event{Time: t0.Add(at), Format: "zeek.smb_files", Kind: event.KindSMB, SrcIP: ip(src), SrcPort: 49000, DstIP: ip(dst), DstPort: 445,
			Method: action, Label: share, FileName: path}
	}
	a, b := pc1.String(), pc2.String()
	cases := map[string]struct {
		evs  []*event.Event
		want want
	}{
		"impacket psexec with a random service name": {[]*event.Event{
			smbFile(0, a, b, "SMB::FILE_WRITE", `\\`+b+`\ADMIN$`, "qWeRtYuI.exe"),
			smbFile(time.Second, a, b, "SMB::FILE_OPEN", "", `\svcctl`),
			rpc(2*time.Second, a, b, "svcctl", "OpenSCManagerW"),
			rpc(3*time.Second, a, b, "svcctl", "CreateServiceW"),
			rpc(4*time.Second, a, b, "svcctl", "StartServiceW")},
			want{endpoint: a, peer: b, key: "remote-exec", summary: []string{"pc-021", "created a service on pc-022 (10.0.10.22)", "CreateServiceW", "PsExec"}, score: 0.9}},
		"psexec's own pipe": {[]*event.Event{smbFile(0, a, b, "SMB::FILE_OPEN", `\\`+b+`\IPC$`, "PSEXESVC-PC021-4711-stdin")},
			want{endpoint: a, peer: b, key: "remote-exec", summary: []string{"PsExec's service pipe"}, score: 0.85}},
		"atexec scheduled task": {[]*event.Event{rpc(0, a, b, "ITaskSchedulerService", "SchRpcRegisterTask")},
			want{endpoint: a, peer: b, key: "remote-exec", summary: []string{"scheduled task", "SchRpcRegisterTask"}, score: 0.85}},
		"existing service pointed at new code": {[]*event.Event{rpc(0, a, b, "svcctl", "ChangeServiceConfigW")},
			want{endpoint: a, peer: b, key: "remote-exec", summary: []string{"ChangeServiceConfigW"}, score: 0.8}},
		"a service started alone is medium": {[]*event.Event{rpc(0, a, b, "svcctl", "StartServiceW")},
			want{endpoint: a, peer: b, key: "remote-exec", summary: []string{"started a service"}, score: 0.5, severity: sevp(alert.Medium)}},
		"suricata dcerpc over smb": {[]*event.Event{{Time: t0, Format: "suricata.smb", Kind: event.KindRPC, SrcIP: pc1, DstIP: pc2, DstPort: 445, Service: "svcctl", Method: "CreateServiceW"}},
			want{endpoint: a, peer: b, key: "remote-exec", summary: []string{"CreateServiceW"}}},
		"executable on C$": {[]*event.Event{smbFile(0, a, b, "SMB::FILE_WRITE", `\\PC-022\C$`, `Windows\Temp\x.bat`)},
			want{endpoint: a, peer: b, key: "remote-exec", summary: []string{"administrative share", "x.bat"}, score: 0.8}},
		"administrator querying services": {[]*event.Event{
			smbFile(0, a, b, "SMB::FILE_OPEN", "", "svcctl"),
			rpc(time.Second, a, b, "svcctl", "OpenSCManagerW"),
			rpc(2*time.Second, a, b, "svcctl", "OpenServiceW"),
			rpc(3*time.Second, a, b, "svcctl", "QueryServiceStatus"),
			rpc(4*time.Second, a, b, "svcctl", "QueryServiceConfigW")}, want{}},
		"document saved to a share":    {[]*event.Event{smbFile(0, a, server.String(), "SMB::FILE_WRITE", `\\fs01\share`, "report.xlsx")}, want{}},
		"executable on a normal share": {[]*event.Event{smbFile(0, a, server.String(), "SMB::FILE_WRITE", `\\fs01\software`, "setup.exe")}, want{}},
		"task queried, not registered": {[]*event.Event{rpc(0, a, b, "ITaskSchedulerService", "SchRpcEnumTasks")}, want{}},
	}
	for name, c := range cases {
		expect(t, name, run(t, env, RulePsExec, nil, c.evs...), c.want)
	}
	// The creation carries the pipe open and the share write before it as
	// evidence; the start that follows is not a second finding.
	fs := run(t, env, RulePsExec, nil, cases["impacket psexec with a random service name"].evs...)
	if len(fs) != 2 || len(fs[1].Evidence) != 3 {
		t.Fatalf("psexec sequence: %d findings, last with %d events", len(fs), len(fs[len(fs)-1].Evidence))
	}
}

// TestPsExecWRCCDC runs M-PSEXEC on the real WRCCDC 2018 capture: the red
// team's PsExec-style service creation from 10.128.0.214 on 10.47.8.142
// and 10.47.8.154, and an atexec-style task from 10.128.0.233 on
// 10.47.21.82.
func TestPsExecWRCCDC(t *testing.T) {
	env := newEnv(t)
	var evs []*event.Event
	for _, f := range []string{"smb_files.log.gz", "dce_rpc.log.gz", "smb_mapping.log.gz"} {
		evs = append(evs, readLog(t, env, zeek.Format, filepath.Join(testdata, "zeek-wrccdc2018", f))...)
	}
	if len(evs) < 150 {
		t.Fatalf("only %d events read", len(evs))
	}
	sortByTime(evs)
	d := build(t, env, RulePsExec)
	em := detect.NewEmitter(RulePsExec)
	for _, ev := range evs {
		d.Observe(ev, em)
	}
	got := map[string]detect.Finding{}
	for _, f := range em.Findings() {
		got[f.Endpoint+" → "+f.Peer] = f
	}
	for pair, tech := range map[string]string{
		"10.128.0.214 → 10.47.8.142": "remote service creation",
		"10.128.0.214 → 10.47.8.154": "remote service creation",
		"10.128.0.233 → 10.47.21.82": "remote scheduled task",
	} {
		f, ok := got[pair]
		if !ok || !strings.Contains(f.Details["technique"], tech) {
			t.Errorf("%s: %+v", pair, f)
			continue
		}
		if len(f.Evidence) < 2 {
			t.Errorf("%s: the \\svcctl pipe open is not evidence: %d events", pair, len(f.Evidence))
		}
	}
	if len(got) != 3 {
		t.Errorf("pairs found: %v", keys(got))
	}
	// 10.128.0.214 ran code on two machines: its findings are one alert
	// (one key) that ends naming both, critical; 10.128.0.233 reached one.
	spread := got["10.128.0.214 → 10.47.8.154"]
	if got["10.128.0.214 → 10.47.8.142"].Key != spread.Key || spread.Severity == nil || *spread.Severity != alert.Critical ||
		!strings.Contains(spread.Summary, "on 2 machines (10.47.8.142, 10.47.8.154)") || spread.Details["targets"] != "2" {
		t.Errorf("10.128.0.214 on two machines: key %q, %q", spread.Key, spread.Summary)
	}
	if one := got["10.128.0.233 → 10.47.21.82"]; one.Severity != nil && *one.Severity == alert.Critical {
		t.Errorf("one target is not spreading: %q", one.Summary)
	}
}

// TestPsExecSpreadIsOneEscalatedAlert: one source creating services on
// three machines is one critical alert naming them, whose count is the
// three runs, not three high alerts; a mere service start elsewhere adds
// no target.
func TestPsExecSpreadIsOneEscalatedAlert(t *testing.T) {
	env := newEnv(t)
	rpc := func(at time.Duration, src, dst, iface, op string) *event.Event {
		return &event.Event{Time: t0.Add(at), Format: "zeek.dce_rpc", Kind: event.KindRPC, SrcIP: ip(src), DstIP: ip(dst), DstPort: 445, Service: iface, Method: op}
	}
	src := pc1.String()
	e := newEngine(t, env)
	for _, ev := range []*event.Event{
		rpc(0, src, "10.0.10.22", "svcctl", "CreateServiceW"),
		rpc(time.Second, src, "10.0.10.22", "svcctl", "StartServiceW"),
		rpc(time.Minute, src, "10.0.10.23", "svcctl", "StartServiceW"),
		rpc(2*time.Minute, src, "10.0.10.24", "ITaskSchedulerService", "SchRpcRegisterTask"),
		rpc(3*time.Minute, src, "10.0.10.25", "svcctl", "CreateServiceW"),
	} {
		e.Process(enrich(env, ev))
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	var got []alert.Alert
	for _, a := range e.Alerts() {
		if a.Rule == RulePsExec {
			got = append(got, a)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d M-PSEXEC alerts, want one for the source", len(got))
	}
	a := got[0]
	if a.Endpoint != src || a.Severity != alert.Critical || a.Count != 4 || a.Details["targets"] != "3" ||
		!strings.Contains(a.Summary, "on 3 machines (pc-022 (10.0.10.22), 10.0.10.24, 10.0.10.25)") {
		t.Errorf("%s count %d targets %s: %q", a.Severity, a.Count, a.Details["targets"], a.Summary)
	}
}

func TestIDS(t *testing.T) {
	env := newEnv(t)
	suri := func(sig string, sid int64, sev int, cat string, src, dst string, refs ...string) *event.Event {
		return &event.Event{Time: t0, Format: "suricata.alert", Kind: event.KindIDS, SrcIP: ip(src), SrcPort: 40000, DstIP: ip(dst), DstPort: 445,
			Signature: sig, SignatureID: sid, Severity: sev, Label: cat, Refs: refs, Action: event.ActionAllow}
	}
	cases := map[string]struct {
		evs  []*event.Event
		want want
	}{
		"exploit with a cve from the internet": {[]*event.Event{suri("ET EXPLOIT Possible ETERNALBLUE MS17-010", 2024218, 1, "Attempted Administrator Privilege Gain", "198.51.100.7", server.String(), "CVE-2017-0144", "url,example.org")},
			want{endpoint: server.String(), peer: "198.51.100.7", key: "family:ET EXPLOIT", summary: []string{"ETERNALBLUE", "sid 2024218", "CVE-2017-0144", "from 198.51.100.7 against fs01", "IDS severity 1"}, phase: phaseRecon, score: 0.85, severity: sevp(alert.High)}},
		"exploit between office machines": {[]*event.Event{suri("ET EXPLOIT Possible ETERNALBLUE MS17-010", 2024218, 1, "Attempted Administrator Privilege Gain", pc1.String(), pc2.String(), "CVE-2017-0144")},
			want{endpoint: pc1.String(), peer: pc2.String(), key: "family:ET EXPLOIT", summary: []string{"from pc-021 (10.0.10.21) to 10.0.10.22"}, phase: phaseSpread, score: 0.85}},
		"malware beacon out": {[]*event.Event{suri("ET MALWARE Cobalt Strike Beacon Observed", 2028591, 1, "A Network Trojan was detected", pc1.String(), "203.0.113.5")},
			want{endpoint: pc1.String(), peer: "203.0.113.5", key: "family:ET MALWARE", summary: []string{"Cobalt Strike"}, phase: phaseC2, score: 0.85}},
		"internet scan is weighed down": {[]*event.Event{suri("ET SCAN Suspicious inbound to MSSQL port 1433", 2010935, 2, "Potentially Bad Traffic", "87.103.208.30", server.String())},
			want{endpoint: server.String(), peer: "87.103.208.30", key: "family:ET SCAN", summary: []string{"background noise"}, phase: phaseRecon, score: 0.3, severity: sevp(alert.Medium)}},
		"blocked by the ips": {[]*event.Event{func() *event.Event {
			ev := suri("ET WEB_SERVER Possible SQL Injection", 2006445, 2, "Web Application Attack", "198.51.100.7", server.String())
			ev.Action = event.ActionDeny
			return ev
		}()},
			want{endpoint: server.String(), peer: "198.51.100.7", key: "family:ET WEB_SERVER", summary: []string{"blocked by the IPS"}, phase: phaseRecon, score: 0.35}},
		"zeek password guessing notice": {[]*event.Event{{Time: t0, Format: "zeek.notice", Kind: event.KindIDS, SrcIP: pc1, DstIP: server, DstPort: 22,
			Signature: "SSH::Password_Guessing", Message: "10.0.10.21 appears to be guessing SSH passwords (seen in 30 connections)."}},
			want{endpoint: pc1.String(), peer: server.String(), key: "family:SSH::", summary: []string{"Zeek notice", "SSH::Password_Guessing", "weighed medium"}, phase: phaseSpread, severity: sevp(alert.Medium)}},
		// zeek-slips test10's notice.log: a notice about one host names no
		// other side.
		"zeek address scan notice names the scanner once": {[]*event.Event{{Time: t0, Format: "zeek.notice", Kind: event.KindIDS, SrcIP: pc1, DstPort: 23, Transport: "tcp",
			Signature: "Scan::Address_Scan", Message: "10.0.10.21 scanned at least 25 unique hosts on port 23/tcp in 1m14s"}},
			want{endpoint: pc1.String(), key: "family:Scan::", summary: []string{"Scan::Address_Scan by pc-021 (10.0.10.21) (10.0.10.21 scanned at least 25 unique hosts on port 23/tcp in 1m14s)"}, severity: sevp(alert.Low)}},
		"zeek capture loss is the sensor's": {[]*event.Event{{Time: t0, Format: "zeek.notice", Kind: event.KindIDS, SrcIP: pc1, Signature: "CaptureLoss::Too_Much_Loss"}}, want{}},
	}
	for name, c := range cases {
		expect(t, name, run(t, env, RuleIDS, nil, c.evs...), c.want)
	}
}

// TestIDSGroupsByFamily: an IDS's many signatures of one kind (a
// reputation list split into a hundred "group N" signatures, one scan
// signature per port) are one alert per endpoint and family, counting the
// hits and listing the signatures; another family is another alert.
func TestIDSGroupsByFamily(t *testing.T) {
	env := newEnv(t)
	suri := func(at time.Duration, sig string, sid int64, src string) *event.Event {
		return &event.Event{Time: t0.Add(at), Format: "suricata.alert", Kind: event.KindIDS, SrcIP: ip(src), SrcPort: 40000, DstIP: server, DstPort: 22,
			Signature: sig, SignatureID: sid, Severity: 2, Label: "Misc Attack", Action: event.ActionAllow}
	}
	fs := run(t, env, RuleIDS, nil,
		suri(0, "ET CINS Active Threat Intelligence Poor Reputation IP group 98", 2403397, "198.51.100.1"),
		suri(time.Minute, "ET CINS Active Threat Intelligence Poor Reputation IP group 7", 2403306, "198.51.100.2"),
		suri(2*time.Minute, "ET CINS Active Threat Intelligence Poor Reputation IP group 98", 2403397, "198.51.100.3"),
		suri(3*time.Minute, "ET COMPROMISED Known Compromised or Hostile Host Traffic group 46", 2500090, "198.51.100.4"),
	)
	keys := map[string]int{}
	for _, f := range fs {
		keys[f.Key]++
	}
	if len(keys) != 2 || keys["family:ET CINS"] != 3 || keys["family:ET COMPROMISED"] != 1 {
		t.Fatalf("keys %v: want one family of 3 hits and one of 1", keys)
	}
	last := fs[2].Summary
	for _, w := range []string{"3 alerts of the ET CINS family (2 signatures) from 3 peer(s)", "group 98 (sid 2403397) ×2", "group 7 (sid 2403306)", "the latest: ET CINS"} {
		if !strings.Contains(last, w) {
			t.Errorf("summary %q lacks %q", last, w)
		}
	}
	if d := fs[2].Details; d["family"] != "ET CINS" || d["family_alerts"] != "3" || d["family_signatures"] != "2" || d["peers"] != "3" {
		t.Errorf("details %v", d)
	}
	for sig, want := range map[string]string{
		"ET SCAN Suspicious inbound to MSSQL port 1433": "ET SCAN", "GPL WEB_SERVER .htpasswd access": "GPL WEB_SERVER",
		"ET 3CORESec Poor Reputation IP group 4": "ET 3CORESec", "SURICATA STREAM ESTABLISHED packet out of window": "SURICATA STREAM",
		"Local rule: odd thing": "Misc Attack",
	} {
		if got := sigFamily(sig, "Misc Attack", false); !strings.EqualFold(got, want) {
			t.Errorf("family of %q: %q, want %q", sig, got, want)
		}
	}
	if got := sigFamily("Scan::Port_Scan", "", true); got != "Scan::" {
		t.Errorf("family of a Zeek notice: %q", got)
	}
}

// TestIDSSlips runs M-IDS on the real Suricata alerts of the Slips
// honeypot capture: an exploit of IDS severity 1 stands out at high, the
// internet's scans and reputation hits sink, and repeats aggregate by
// signature family on the endpoint: one alert per family, whose count is
// every hit of it.
func TestIDSSlips(t *testing.T) {
	env := newEnv(t)
	evs := readLog(t, env, suricata.Format, filepath.Join(testdata, "suricata-slips", "eve-slice.json"))
	e := newEngine(t, env)
	n := 0
	families := map[string]bool{} // endpoint and family
	sigs := map[string]bool{}
	for _, ev := range evs {
		if ev.Kind == event.KindIDS {
			n++
			families[ev.EndpointID()+" "+sigFamily(ev.Signature, ev.Label, false)] = true
			sigs[ev.EndpointID()+" "+strconv.FormatInt(ev.SignatureID, 10)] = true
			e.Process(ev)
		}
	}
	if n < 40 {
		t.Fatalf("only %d alerts in the sample", n)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	byFamily := map[string]alert.Alert{}
	total := 0
	for _, a := range e.Alerts() {
		if a.Rule != RuleIDS {
			continue
		}
		total += a.Count
		if _, ok := byFamily[a.Key]; ok {
			t.Errorf("family %s on %s split into two alerts", a.Key, a.Endpoint)
		}
		byFamily[a.Key] = a
	}
	if total != n {
		t.Errorf("alerts count %d IDS events, the sample has %d", total, n)
	}
	if len(byFamily) != len(families) || len(families) >= len(sigs) {
		t.Errorf("%d alerts for %d families and %d signatures on endpoints in %d IDS events: not grouped by family", len(byFamily), len(families), len(sigs), n)
	}
	exploit, ok := byFamily["family:ET EXPLOIT"]
	if !ok || exploit.Severity != alert.High || exploit.Endpoint != "192.168.1.129" || exploit.Phase != phaseRecon ||
		!strings.Contains(exploit.Summary, "D-Link") || !strings.Contains(exploit.Summary, "Netgear") {
		t.Errorf("ET EXPLOIT (D-Link at IDS severity 1, Netgear at 2): %s %q", exploit.Severity, exploit.Summary)
	}
	for key, a := range byFamily {
		noisy := strings.HasPrefix(key, "family:ET SCAN") || strings.HasPrefix(key, "family:ET CINS") || strings.HasPrefix(key, "family:ET DROP")
		if noisy && a.Severity > alert.Low {
			t.Errorf("%s (%s) is %s: internet noise must not be above low", key, a.Details["signature"], a.Severity)
		}
	}
	if a := byFamily["family:ET SCAN"]; a.Count < 2 || !strings.Contains(a.Summary, "MSSQL") {
		t.Errorf("MSSQL scan from several sources: count %d, %q", a.Count, a.Summary)
	}
}
