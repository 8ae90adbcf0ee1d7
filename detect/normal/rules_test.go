package normal

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

const (
	chrome124 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	chrome125 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.61 Safari/537.36"
	chrome58  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/58.0.3029.110 Safari/537.36"
	wuAgent   = "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.71"
	psAgent   = "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.16299.98"
)

// browsing is every office PC using the proxy for the usual sites while
// learning.
func browsing() []*event.Event {
	var evs []*event.Event
	for h := range 8 {
		evs = append(evs, each(officePCs, func(i int, ep string) *event.Event {
			return proxied(at(time.Duration(h)*time.Hour+time.Duration(i)*time.Minute), ep, "CONNECT", "www.example.co.jp:443", "81.2.69.150", chrome124, "", 200)
		})...)
		evs = append(evs, each(officePCs, func(i int, ep string) *event.Event {
			return proxied(at(time.Duration(h)*time.Hour+time.Duration(i)*time.Minute+30*time.Second), ep, "CONNECT", "fe3.delivery.mp.microsoft.com:443", "89.160.20.130", wuAgent, "", 200)
		})...)
	}
	return evs
}

func TestCountry(t *testing.T) {
	geo := fakeGeo{"81.2.69.150": "GB", "89.160.20.130": "SE", "216.160.83.57": "US", "111.235.161.47": "CN", "202.196.230.18": "PH"}
	env := func() *detect.Env {
		e := testEnv(t)
		e.Geo = geo
		return e
	}
	learnUS := concat(browsing(), []*event.Event{
		// the administrator and one PC of the office reach a US service
		proxied(at(time.Hour), adminPC, "CONNECT", "api.example.com:443", "216.160.83.57", chrome124, "", 200),
		proxied(at(2*time.Hour), pc5, "CONNECT", "api.example.com:443", "216.160.83.57", chrome124, "", 200),
	})
	check(t, newCountry, env, map[string]ruleCase{
		"new country through the proxy": {
			learn:   browsing(),
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "kx7-update.duckdns.org:8443", "111.235.161.47", chrome124, "", 200)},
			want:    &wantFinding{endpoint: pc1, peer: "111.235.161.47", key: "CN", summary: []string{"traffic to 111.235.161.47 (kx7-update.duckdns.org) on 8443/tcp (tunnel), in CN and was answered (HTTP 200): a country not in the baseline"}, minScore: 0.6},
		},
		"a blocked attempt to a new country says it was blocked": {
			learn:   browsing(),
			observe: []*event.Event{conn(day2(0), pc2, "202.196.230.18", 8080, "tcp", event.ActionDeny)},
			want:    &wantFinding{endpoint: pc2, peer: "202.196.230.18", key: "PH", summary: []string{"traffic to 202.196.230.18 on 8080/tcp, in PH; it was blocked (FW-DROP:)"}},
		},
		"new country at the firewall": {
			learn:   browsing(),
			observe: []*event.Event{conn(day2(0), pc2, "202.196.230.18", 443, "tcp", event.ActionAllow)},
			want:    &wantFinding{endpoint: pc2, peer: "202.196.230.18", key: "PH", summary: []string{"202.196.230.18", "PH"}},
		},
		"a colleague's country on the first day": {
			learn:   browsing(),
			observe: []*event.Event{proxied(day2(0), newcomer, "CONNECT", "www.example.co.jp:443", "81.2.69.150", chrome124, "", 200)},
		},
		"a country two endpoints use, even in another segment": {
			learn:   learnUS,
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "api.example.com:443", "216.160.83.57", chrome124, "", 200)},
		},
		"dropped inbound noise": {
			learn:   browsing(),
			observe: []*event.Event{conn(day2(0), "111.235.161.47", fileServer, 22, "tcp", event.ActionDeny)},
		},
		"allowed inbound with data": {
			learn: browsing(),
			observe: []*event.Event{func() *event.Event {
				ev := conn(day2(0), "111.235.161.47", fileServer, 22, "tcp", event.ActionNone)
				return ev
			}()},
			want: &wantFinding{endpoint: fileServer, peer: "111.235.161.47", key: "CN", summary: []string{"traffic from 111.235.161.47"}},
		},
		"the proxy's own connection": {
			learn:   browsing(),
			observe: []*event.Event{conn(day2(0), proxyHost, "111.235.161.47", 8443, "tcp", event.ActionAllow)},
		},
		"an address the database does not know": {
			learn:   browsing(),
			observe: []*event.Event{conn(day2(0), pc1, "198.51.100.77", 443, "tcp", event.ActionAllow)},
		},
		"nothing learned": {
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "kx7-update.duckdns.org:8443", "111.235.161.47", chrome124, "", 200)},
		},
	})
	c := newCountry(detect.Params{}, testEnv(t)).(detect.Requirer)
	if m := c.Missing(); !strings.Contains(m, "GeoIP") {
		t.Errorf("Missing() without a database = %q", m)
	}
}

func TestInternalSvc(t *testing.T) {
	learn := concat(
		each(officePCs, func(i int, ep string) *event.Event {
			return conn(at(time.Duration(i)*time.Minute), ep, fileServer, 445, "tcp", event.ActionNone)
		}),
		each(officePCs, func(i int, ep string) *event.Event {
			return conn(at(time.Hour+time.Duration(i)*time.Minute), ep, gateway, 53, "udp", event.ActionNone)
		}),
		[]*event.Event{
			conn(at(2*time.Hour), adminPC, pc2, 445, "tcp", event.ActionNone), // a look at a PC's services
			conn(at(3*time.Hour), adminPC, fileServer, 22, "tcp", event.ActionNone),
			conn(at(3*time.Hour), pc3, fileServer, 49711, "tcp", event.ActionNone), // an RPC dynamic port
		},
	)
	check(t, newInternalSvc, func() *detect.Env { return testEnv(t) }, map[string]ruleCase{
		"a PC talking SMB to another PC": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc1, pc2, 445, "tcp", event.ActionNone)},
			want:    &wantFinding{endpoint: pc1, peer: pc2, key: "port:445", summary: []string{pc2 + " (pc-b)", "port 445 (smb)", "no pc port 445"}, minScore: 0.7},
		},
		"remote desktop to the file server": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc1, fileServer, 3389, "tcp", event.ActionNone)},
			want:    &wantFinding{endpoint: pc1, peer: fileServer, key: "port:3389", summary: []string{"3389 (rdp)"}},
		},
		"the administrator looks at another PC": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), adminPC, pc4, 445, "tcp", event.ActionNone)},
		},
		"a newcomer maps the share": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), newcomer, fileServer, 445, "tcp", event.ActionNone)},
		},
		"another RPC dynamic port": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc3, fileServer, 51234, "tcp", event.ActionNone)},
		},
		"internet traffic is not internal": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc1, "81.2.69.150", 445, "tcp", event.ActionAllow)},
		},
		"a scan probe without answer": {
			learn: learn,
			observe: []*event.Event{func() *event.Event {
				ev := conn(day2(0), pc1, "10.0.20.99", 445, "tcp", event.ActionNone)
				ev.Label = "S0"
				return ev
			}()},
			want: &wantFinding{endpoint: pc1, peer: "10.0.20.99", key: "port:445", summary: []string{"without an answer"}},
		},
	})

	// A sweep over the LAN on one port is one alert naming every kind of
	// machine reached, not one per kind.
	fs := run(t, newInternalSvc, testEnv(t), ruleCase{learn: learn, observe: []*event.Event{
		conn(day2(0), pc1, pc2, 445, "tcp", event.ActionNone),
		conn(day2(time.Second), pc1, "10.0.20.99", 445, "tcp", event.ActionNone),
		conn(day2(2*time.Second), pc1, gateway, 445, "tcp", event.ActionNone),
	}})
	if len(fs) == 0 {
		t.Fatal("a sweep raised nothing")
	}
	last := fs[len(fs)-1]
	for _, f := range fs {
		if f.Key != last.Key || f.Endpoint != pc1 {
			t.Errorf("the sweep raised %s/%s beside %s/%s: want one alert", f.Endpoint, f.Key, last.Endpoint, last.Key)
		}
	}
	if !strings.Contains(last.Summary, "3 kinds of internal machine") || !strings.Contains(last.Summary, "(gateway)") || last.Peer != pc2 {
		t.Errorf("sweep summary %q (peer %s): want the 3 kinds named and the first server as peer", last.Summary, last.Peer)
	}
}

func TestApp(t *testing.T) {
	learn := browsing()
	check(t, newApp, func() *detect.Env { return testEnv(t) }, map[string]ruleCase{
		"PowerShell downloading": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "GET", "http://files.example.net/a.ps1", "81.2.69.151", psAgent, "text/plain", 200)},
			want:    &wantFinding{endpoint: pc1, peer: "example.net", key: agentFamily(psAgent), summary: []string{psAgent, "files.example.net", "not in the baseline"}, minScore: 0.7},
		},
		"a browser update": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "www.example.co.jp:443", "81.2.69.150", chrome125, "", 200)},
		},
		"the newcomer's browser": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), newcomer, "CONNECT", "www.example.co.jp:443", "81.2.69.150", chrome124, "", 200)},
		},
		"a hard-coded old browser string": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc2, "CONNECT", "cdn-x.example.org:443", "81.2.69.152", chrome58, "", 200)},
			want:    &wantFinding{endpoint: pc2, peer: "example.org", key: agentFamily(chrome58) + " Chrome/58", summary: []string{"Chrome/58", "66 major versions behind the 124"}},
		},
		"no user agent": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "x.example.org:443", "81.2.69.152", "-", "", 200)},
		},
	})
}

func TestAgentFamily(t *testing.T) {
	cases := map[string]struct{ a, b string }{
		"browser update":      {chrome124, chrome125},
		"edge update":         {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 Edg/123.0.2420.97", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80"},
		"onedrive build":      {"Microsoft SkyDriveSync 24.086.0428.0002 ship; Windows NT 10.0 (19045)", "Microsoft SkyDriveSync 24.101.0519.0010 ship; Windows NT 10.0 (22631)"},
		"device id":           {"AppX/1.0 id=3f2a9c1be07d44aa", "AppX/1.2 id=9b1c22aa0f3e1d07"},
		"spacing and control": {"curl/7.58.0", " curl/8.4.0\x00 "},
	}
	for name, c := range cases {
		if fa, fb := agentFamily(c.a), agentFamily(c.b); fa != fb {
			t.Errorf("%s: %q and %q differ", name, fa, fb)
		}
	}
	for name, c := range map[string]struct{ a, b string }{
		"old IE vs Chrome": {"Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)", chrome124},
		"misspelt":         {"Mozila/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"},
		"tool":             {"rclone/v1.66.0", "curl/8.4.0"},
	} {
		if agentFamily(c.a) == agentFamily(c.b) {
			t.Errorf("%s: same family %q", name, agentFamily(c.a))
		}
	}
	if f := agentFamily(strings.Repeat("A/1 ", 1000)); len(f) > maxAgent {
		t.Errorf("family of a huge agent is %d bytes", len(f))
	}
}

func TestCategory(t *testing.T) {
	cats := fakeCategories{"example.co.jp": "news", "microsoft.com": "software-update", "files.example.net": "file-sharing", "shop.example.com": "shopping"}
	env := func() *detect.Env {
		e := testEnv(t)
		e.Categories = cats
		return e
	}
	check(t, newCategory, env, map[string]ruleCase{
		"file sharing, never visited": {
			learn:   browsing(),
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "files.example.net:443", "81.2.69.151", chrome124, "", 200)},
			want:    &wantFinding{endpoint: pc1, peer: "example.net", key: "file-sharing", summary: []string{"files.example.net", "file-sharing site", "not in the baseline"}, minScore: 0.7},
		},
		"a colleague's news site on the first day": {
			learn:   browsing(),
			observe: []*event.Event{proxied(day2(0), newcomer, "CONNECT", "www.example.co.jp:443", "81.2.69.150", chrome124, "", 200)},
		},
		"a site the list does not know": {
			learn:   browsing(),
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "unknown.example.org:443", "81.2.69.151", chrome124, "", 200)},
		},
		"the sensor's view of a proxied handshake": {
			learn: browsing(),
			observe: []*event.Event{
				proxied(day2(0), pc1, "CONNECT", "files.example.net:443", "81.2.69.151", chrome124, "", 200),
				enrich(&event.Event{Time: day2(time.Second), Kind: event.KindTLS, Format: "zeek.ssl", SrcIP: addr(pc1), DstIP: addr(proxyHost), DstPort: 3128, Domain: "files.example.net"}),
			},
			want: &wantFinding{endpoint: pc1, peer: "example.net", key: "file-sharing", count: 1},
		},
		"a handshake the sensor saw going direct": {
			learn:   browsing(),
			observe: []*event.Event{enrich(&event.Event{Time: day2(0), Kind: event.KindTLS, Format: "zeek.ssl", SrcIP: addr(pc2), DstIP: addr("81.2.69.151"), DstPort: 443, Domain: "files.example.net"})},
			want:    &wantFinding{endpoint: pc2, peer: "example.net", key: "file-sharing"},
		},
		"a denied visit counts": {
			learn:   browsing(),
			observe: []*event.Event{proxied(day2(0), pc3, "CONNECT", "shop.example.com:443", "", chrome124, "", 403)},
			want:    &wantFinding{endpoint: pc3, peer: "example.com", key: "shopping", summary: []string{"the proxy denied it"}},
		},
	})
	if m := newCategory(detect.Params{}, testEnv(t)).(detect.Requirer).Missing(); !strings.Contains(m, "categor") {
		t.Errorf("Missing() without a list = %q", m)
	}
}

func TestPort(t *testing.T) {
	learn := concat(browsing(),
		// two PCs of the office try NTP directly; the proxy goes out on 443 and 8443
		[]*event.Event{
			conn(at(time.Hour), pc4, "89.160.20.112", 123, "udp", event.ActionDeny),
			conn(at(2*time.Hour), pc5, "89.160.20.112", 123, "udp", event.ActionDeny),
			conn(at(time.Hour), proxyHost, "81.2.69.150", 443, "tcp", event.ActionAllow),
		})
	check(t, newPort, func() *detect.Env { return testEnv(t) }, map[string]ruleCase{
		"a raw port out": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc1, "203.0.113.66", 4444, "tcp", event.ActionAllow)},
			want:    &wantFinding{endpoint: pc1, peer: "203.0.113.66", key: "ports", summary: []string{"203.0.113.66 port 4444/tcp", "allowed by netfilter", "not in the baseline"}, minScore: 0.6},
		},
		"NTP like two colleagues": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc3, "89.160.20.112", 123, "udp", event.ActionDeny)},
		},
		"the newcomer's NTP like colleagues": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), newcomer, "89.160.20.112", 123, "udp", event.ActionDeny)},
		},
		"the proxy on its clients' behalf": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), proxyHost, "111.235.161.47", 8443, "tcp", event.ActionAllow)},
		},
		"inbound is not a destination port": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), "111.235.161.47", fileServer, 4444, "tcp", event.ActionAllow)},
		},
		"a dropped attempt counts": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc2, "203.0.113.66", 6667, "tcp", event.ActionDeny)},
			want:    &wantFinding{endpoint: pc2, peer: "203.0.113.66", key: "ports", summary: []string{"blocked by netfilter"}},
		},
	})
}

// TestPortScanIsOneAlert: one source's scan of 44 ports (nmap's run)
// was 44 alerts, one per port; it is one, on the source, whose count is
// the 44 attempts and whose summary lists what it touched.
func TestPortScanIsOneAlert(t *testing.T) {
	learn := concat(browsing(), []*event.Event{conn(at(time.Hour), pc4, "89.160.20.112", 123, "udp", event.ActionDeny)})
	var scan []*event.Event
	for i := range 44 {
		scan = append(scan, conn(day2(time.Duration(i)*time.Second), pc1, "203.0.113.66", uint16(1000+i), "tcp", event.ActionDeny))
	}
	scan = append(scan, conn(day2(time.Minute), pc1, "203.0.113.67", 4444, "tcp", event.ActionAllow))
	fs := run(t, newPort, testEnv(t), ruleCase{learn: learn, observe: scan})
	n := 0
	for _, f := range fs {
		if f.Endpoint != pc1 || f.Key != fs[0].Key {
			t.Errorf("finding on %s key %q beside %q: the scan is split", f.Endpoint, f.Key, fs[0].Key)
		}
		n += max(f.Count, 1)
	}
	if n != 45 {
		t.Errorf("%d attempts counted, want 45", n)
	}
	last := fs[len(fs)-1]
	for _, w := range []string{"outbound to 45 ports not in the baseline (1000/tcp, 1001/tcp,", "and 33 more", "on 2 destination(s)"} {
		if !strings.Contains(last.Summary, w) {
			t.Errorf("summary %q does not say %q", last.Summary, w)
		}
	}
	if last.Details["ports"] != "45" || last.Details["destinations"] != "2" || last.Score < 0.7 {
		t.Errorf("details %v, score %.2f", last.Details, last.Score)
	}
}

func TestExeSource(t *testing.T) {
	wu := func(d time.Duration, ep string) *event.Event {
		return proxied(d2t(d), ep, "GET", "http://download.windowsupdate.com/c/msdownload/update/software/defu/2026/03/am_delta_patch_1.409.120.0.exe",
			"89.160.20.140", "Microsoft BITS/7.8", "application/octet-stream", 200)
	}
	learn := each(officePCs, func(i int, ep string) *event.Event { return wu(time.Duration(i)*time.Minute, ep) })
	env := func() *detect.Env {
		e := testEnv(t)
		for _, ep := range officePCs {
			e.Prevalence.Note(ep, "example-cdn.com") // a CDN everybody reaches
		}
		return e
	}
	check(t, newExeSource, env, map[string]ruleCase{
		"from an unknown site": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "GET", "http://files.example.net/s/invoice.pdf.exe", "81.2.69.151", chrome124, "application/octet-stream", 200)},
			want:    &wantFinding{endpoint: pc1, peer: "files.example.net", key: "example.net", summary: []string{"invoice.pdf.exe", "files.example.net", "not a site the organisation gets executables from"}, minScore: 0.6},
		},
		"from a bare address, by content type": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "GET", "http://198.51.100.77/update", "198.51.100.77", "Mozilla/4.0", "application/x-msdownload", 200)},
			want:    &wantFinding{endpoint: pc1, peer: "198.51.100.77", key: "198.51.100.77", summary: []string{"application/x-msdownload", "a bare IP address"}, minScore: 0.75},
		},
		"from a dynamic-DNS name": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc2, "GET", "http://docs-invoice.ddns.net/a.scr", "202.196.230.18", chrome124, "", 200)},
			want:    &wantFinding{endpoint: pc2, peer: "docs-invoice.ddns.net", key: "docs-invoice.ddns.net", summary: []string{"dynamic-DNS name under ddns.net"}, minScore: 0.8},
		},
		"the update host on a newcomer's first day": {
			learn:   learn,
			observe: []*event.Event{wu(24*time.Hour, newcomer)},
		},
		"a popular CDN": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "GET", "http://dl.example-cdn.com/setup.msi", "81.2.69.160", chrome124, "application/octet-stream", 200)},
		},
		"a script on a web page": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "GET", "http://files.example.net/app.js", "81.2.69.151", chrome124, "application/javascript", 200)},
		},
		"a denied download": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "GET", "http://files.example.net/x.exe", "", chrome124, "text/html", 403)},
		},
		"a file a sensor saw from the internet": {
			learn: learn,
			observe: []*event.Event{enrich(&event.Event{Time: day2(0), Kind: event.KindFile, Format: "zeek.files", SrcIP: addr(pc3), DstIP: addr("202.196.230.18"),
				Service: "http", ContentType: "application/x-dosexec", FileSize: 73802})},
			want: &wantFinding{endpoint: pc3, peer: "202.196.230.18", key: "202.196.230.18", summary: []string{"application/x-dosexec"}},
		},
	})
}

func d2t(d time.Duration) time.Time { return at(d) }

func TestUploadType(t *testing.T) {
	put := func(tm time.Time, ep, url string) *event.Event {
		return proxied(tm, ep, "PUT", url, "81.2.69.170", chrome124, "application/json", 200)
	}
	learn := concat(
		each(officePCs, func(i int, ep string) *event.Event {
			return put(at(time.Duration(i)*time.Minute), ep, "http://docs.example.com/upload/report.pdf")
		}),
		each(officePCs[:3], func(i int, ep string) *event.Event {
			return put(at(time.Hour+time.Duration(i)*time.Minute), ep, "http://docs.example.com/upload/sheet.xlsx")
		}),
	)
	env := func() *detect.Env {
		e := testEnv(t)
		e.Categories = fakeCategories{"storage.example.org": "personal-storage"}
		return e
	}
	check(t, newUploadType, env, map[string]ruleCase{
		"an archive to personal storage": {
			learn:   learn,
			observe: []*event.Event{put(day2(0), pc1, "http://storage.example.org/put/backup_2026.7z")},
			want:    &wantFinding{endpoint: pc1, peer: "example.org", key: "7z", summary: []string{"7z archive", "backup_2026.7z", "storage.example.org (personal-storage)"}, minScore: 0.75},
		},
		"an archive named in the query": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc2, "POST", "http://up.example.net/api/upload?filename=data%20set.zip&x=1", "81.2.69.171", chrome124, "", 200)},
			want:    &wantFinding{endpoint: pc2, peer: "example.net", key: "zip", summary: []string{`"data set.zip"`}},
		},
		"a large body of unknown type": {
			learn: learn,
			observe: []*event.Event{func() *event.Event {
				ev := sensorHTTP(day2(0), pc3, "81.2.69.172", 80, "POST", "sync.example.net", "/api/v2/push", "agent/1.0")
				ev.BytesOut = 50 << 20
				return ev
			}()},
			want: &wantFinding{endpoint: pc3, peer: "example.net", key: unknownType, summary: []string{"large upload of unknown type", "52.4 MB"}, minScore: 0.6},
		},
		"a document like everyone": {
			learn:   learn,
			observe: []*event.Event{put(day2(0), newcomer, "http://docs.example.com/upload/minutes.pdf")},
		},
		"a form post": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "POST", "http://www.example.com/login.php", "81.2.69.170", chrome124, "text/html", 200)},
		},
		"to an office server": {
			learn:   learn,
			observe: []*event.Event{sensorHTTP(day2(0), pc1, appServer, 80, "PUT", "app01.office.lan", "/store/dump.sql", chrome124)},
		},
		"an archive a sensor saw the endpoint send": {
			learn:   learn,
			observe: []*event.Event{zeekFile(day2(0), pc5, "203.0.113.91", "application/zip", 8<<20, true)},
			want:    &wantFinding{endpoint: pc5, peer: "203.0.113.91", key: "zip"},
		},
		"an archive a sensor saw the endpoint download": {
			learn:   learn,
			observe: []*event.Event{zeekFile(day2(0), pc5, "203.0.113.91", "application/zip", 8<<20, false)},
		},
		"an SMB write to the internet": {
			learn:   learn,
			observe: []*event.Event{smbWrite(day2(0), pc4, "203.0.113.90", `\\203.0.113.90\drop`, "mail.pst")},
			want:    &wantFinding{endpoint: pc4, peer: "203.0.113.90", key: "pst", summary: []string{"pst database or mailbox"}},
		},
	})
}

func TestIPDirect(t *testing.T) {
	app := func(tm time.Time, ep string) *event.Event {
		return proxied(tm, ep, "GET", "http://203.0.113.50/orders/list", "203.0.113.50", chrome124, "text/html", 200)
	}
	monitor := make([]*event.Event, 6)
	for i := range monitor {
		monitor[i] = sensorHTTP(at(time.Duration(i)*time.Minute), appServer, fmt.Sprintf("198.51.100.%d", 10+i), 80, "GET", fmt.Sprintf("198.51.100.%d", 10+i), "/status", "check/1.0")
	}
	learn := concat([]*event.Event{app(at(0), pc4), app(at(time.Minute), pc5)}, monitor, browsing())
	check(t, newIPDirect, func() *detect.Env { return testEnv(t) }, map[string]ruleCase{
		"a second stage from a bare address": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "GET", "http://198.51.100.77/update.exe", "198.51.100.77", "Mozilla/4.0", "application/x-msdownload", 200)},
			want:    &wantFinding{endpoint: pc1, peer: "198.51.100.77", key: "198.51.100.77", summary: []string{"198.51.100.77", "GET http://198.51.100.77/update.exe", "an executable"}, minScore: 0.8},
		},
		"a tunnel to a bare address": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc2, "CONNECT", "198.51.100.9:443", "198.51.100.9", "x", "", 200)},
			want:    &wantFinding{endpoint: pc2, peer: "198.51.100.9", key: "198.51.100.9", summary: []string{"CONNECT 198.51.100.9:443"}},
		},
		"the printer's page": {
			learn:   learn,
			observe: []*event.Event{sensorHTTP(day2(0), pc1, printer, 80, "GET", printer, "/", chrome124)},
		},
		"the business application colleagues use": {
			learn:   learn,
			observe: []*event.Event{app(day2(0), newcomer)},
		},
		"a monitoring host by habit": {
			learn:   learn,
			observe: []*event.Event{sensorHTTP(day2(0), appServer, "198.51.100.99", 80, "GET", "198.51.100.99", "/status", "check/1.0")},
		},
		"a name, not an address": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "GET", "http://www.example.com/", "81.2.69.150", chrome124, "text/html", 200)},
		},
		// Judged without a baseline: a short capture is all learning.
		"a script fetched from a bare address while learning": {
			learn: concat(learn, []*event.Event{proxied(at(2*time.Hour), pc2, "GET", "http://203.0.113.9/bin.sh", "203.0.113.9", "Wget", "text/plain", 200)}),
			want:  &wantFinding{endpoint: pc2, peer: "203.0.113.9", key: "203.0.113.9", summary: []string{"fetched bin.sh (text/plain) from the bare address 203.0.113.9", "without a baseline"}, minScore: 0.8},
		},
		"a file of no page type from a bare address while learning": {
			learn: concat(learn, []*event.Event{proxied(at(2*time.Hour), pc2, "GET", "http://203.0.113.8/Mozi.a", "203.0.113.8", "", "application/octet-stream", 200)}),
			want:  &wantFinding{endpoint: pc2, peer: "203.0.113.8", key: "203.0.113.8", summary: []string{"fetched Mozi.a from the bare address"}, minScore: 0.7},
		},
		"a browser finding its proxy by address (WPAD)": {
			learn: concat(learn, []*event.Event{proxied(at(2*time.Hour), pc2, "GET", "http://198.51.100.3/wpad.dat", "198.51.100.3", chrome124, "application/x-ns-proxy-autoconfig", 200)}),
		},
		"a page from a bare address while learning": {
			learn: concat(learn, []*event.Event{proxied(at(2*time.Hour), pc2, "GET", "http://203.0.113.7/index.html", "203.0.113.7", chrome124, "text/html", 200)}),
		},
		"a payload the server did not have": {
			learn: concat(learn, []*event.Event{proxied(at(2*time.Hour), pc2, "GET", "http://203.0.113.6/x86.bin", "203.0.113.6", "", "text/html", 404)}),
		},
	})
}

func TestQuery(t *testing.T) {
	var learn []*event.Event
	words := []string{"weather", "train+timetable", "tokyo", "osaka+hotel", "invoice+template", "holiday"}
	for i := range 30 {
		learn = append(learn, sensorHTTP(at(time.Duration(i)*time.Minute), officePCs[i%len(officePCs)], "81.2.69.180", 80, "GET", "search.example.jp",
			fmt.Sprintf("/search?q=%s&page=%d", words[i%len(words)], i%3), chrome124))
	}
	for i := range 30 {
		learn = append(learn, sensorHTTP(at(time.Hour+time.Duration(i)*time.Minute), pc2, "81.2.69.181", 80, "GET", "login.example.com",
			"/auth?token=eyJhbGciOiJIUzI1NiJ9."+fmt.Sprintf("%064x", i*7919)+"Qk", chrome124))
	}
	blob := "ZXhmaWx0cmF0ZWQ6IGhvc3Q9cGMtMDExIHVzZXI9eW9zaGlkYSBkb21haW49T0ZGSUNFIGlwPTEwLjAuMTAuMzEgb3M9V2luMTAgYXY9RGVmZW5kZXIgcHJveHk9MTAuMC4yMC4zOjMxMjg="
	check(t, newQuery, func() *detect.Env { return testEnv(t) }, map[string]ruleCase{
		"a base64 blob to a search site": {
			learn:   learn,
			observe: []*event.Event{sensorHTTP(day2(0), pc1, "81.2.69.180", 80, "GET", "search.example.jp", "/search?q="+blob, chrome124)},
			want:    &wantFinding{endpoint: pc1, peer: "search.example.jp", key: "example.jp", summary: []string{"base64 blob", "learned from 30 queries"}},
		},
		"a slightly longer search": {
			learn:   learn,
			observe: []*event.Event{sensorHTTP(day2(0), pc1, "81.2.69.180", 80, "GET", "search.example.jp", "/search?q=cheap+hotel+near+tokyo+station&page=2", chrome124)},
		},
		"a token where tokens are usual": {
			learn:   learn,
			observe: []*event.Event{sensorHTTP(day2(0), pc3, "81.2.69.181", 80, "GET", "login.example.com", "/auth?token=eyJhbGciOiJIUzI1NiJ9."+fmt.Sprintf("%064x", 123456789)+"Zz", chrome124)},
		},
		"a site without a baseline": {
			learn:   learn,
			observe: []*event.Event{sensorHTTP(day2(0), pc1, "81.2.69.182", 80, "GET", "new.example.org", "/x?d="+blob, chrome124)},
		},
	})
}

func TestConnectPort(t *testing.T) {
	learn := concat(browsing(), []*event.Event{
		proxied(at(time.Hour), pc4, "CONNECT", "erp.example.com:8443", "81.2.69.190", chrome124, "", 200),
		proxied(at(2*time.Hour), pc5, "CONNECT", "erp.example.com:8443", "81.2.69.190", chrome124, "", 200),
	})
	check(t, newConnectPort, func() *detect.Env { return testEnv(t) }, map[string]ruleCase{
		"a tunnel to 4444": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "c2.example.net:4444", "198.51.100.44", "x", "", 200)},
			want:    &wantFinding{endpoint: pc1, peer: "c2.example.net", key: "4444", summary: []string{"c2.example.net port 4444", "not in the baseline"}, minScore: 0.7},
		},
		"https": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "new.example.org:443", "81.2.69.191", chrome124, "", 200)},
		},
		"the business application's port on the first day": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), newcomer, "CONNECT", "erp.example.com:8443", "81.2.69.190", chrome124, "", 200)},
		},
		"a denied SSH tunnel": {
			learn:   learn,
			observe: []*event.Event{proxied(day2(0), pc2, "CONNECT", "vps.example.net:22", "", "x", "", 403)},
			want:    &wantFinding{endpoint: pc2, peer: "vps.example.net", key: "22", summary: []string{"the proxy denied it"}},
		},
		"a sensor sees the tunnel": {
			learn:   learn,
			observe: []*event.Event{sensorHTTP(day2(0), pc3, proxyHost, 3128, "CONNECT", "c2.example.net", "c2.example.net:8080", "x")},
			want:    &wantFinding{endpoint: pc3, peer: "c2.example.net", key: "8080"},
		},
	})
}

func TestLANExe(t *testing.T) {
	admin := `\\` + pc2 + `\ADMIN$`
	deploy := []*event.Event{
		smbWrite(at(time.Hour), adminPC, pc2, admin, "agent_setup.exe"),
		rpc(at(time.Hour+2*time.Second), adminPC, pc2, "svcctl", "CreateServiceW"),
		conn(at(2*time.Hour), pc1, fileServer, 445, "tcp", event.ActionNone),
	}
	env := func() *detect.Env {
		e := testEnv(t)
		e.Prevalence.Note(pc1, "c2.example.net")
		return e
	}
	peer := `\\` + pc3 + `\ADMIN$`
	check(t, newLANExe, env, map[string]ruleCase{
		"copied and started as a service": {
			learn: deploy,
			observe: []*event.Event{
				smbWrite(day2(0), pc1, pc3, peer, "kXaGmzqz.exe"),
				rpc(day2(300*time.Millisecond), pc1, pc3, "svcctl", "OpenSCManagerW"),
				rpc(day2(400*time.Millisecond), pc1, pc3, "svcctl", "CreateServiceW"),
			},
			want: &wantFinding{endpoint: pc1, peer: pc3, key: pc3, summary: []string{"kXaGmzqz.exe", pc3 + " (pc-c)", "svcctl CreateServiceW from " + pc1, "400ms later"}, minScore: 0.8},
		},
		"copied, then a scheduled task": {
			learn: deploy,
			observe: []*event.Event{
				smbWrite(day2(0), pc1, pc3, `\\`+pc3+`\C$`, `Windows\Temp\t.bat`),
				rpc(day2(time.Minute), pc1, pc3, "ITaskSchedulerService", "SchRpcRegisterTask"),
			},
			want: &wantFinding{endpoint: pc1, peer: pc3, key: pc3, summary: []string{"SchRpcRegisterTask"}},
		},
		"copied, then both call the same rare host": {
			learn: deploy,
			observe: []*event.Event{
				smbWrite(day2(0), pc1, pc3, peer, "a.exe"),
				proxied(day2(time.Minute), pc3, "CONNECT", "c2.example.net:8443", "198.51.100.8", "x", "", 200),
				proxied(day2(2*time.Minute), pc1, "CONNECT", "c2.example.net:8443", "198.51.100.8", "x", "", 200),
			},
			want: &wantFinding{endpoint: pc1, peer: pc3, key: pc3, summary: []string{"reached example.net, as " + pc1 + " did"}},
		},
		"copied, never started": {
			learn:   deploy,
			observe: []*event.Event{smbWrite(day2(0), pc1, pc3, peer, "a.exe")},
		},
		"started without a copy": {
			learn:   deploy,
			observe: []*event.Event{rpc(day2(0), pc1, pc3, "svcctl", "CreateServiceW")},
		},
		"started long after the copy": {
			learn:   deploy,
			observe: []*event.Event{smbWrite(day2(0), pc1, pc3, peer, "a.exe"), rpc(day2(time.Hour), pc1, pc3, "svcctl", "CreateServiceW")},
		},
		"a document, then a service query": {
			learn:   deploy,
			observe: []*event.Event{smbWrite(day2(0), pc1, pc3, peer, "report.docx"), rpc(day2(time.Second), pc1, pc3, "svcctl", "CreateServiceW")},
		},
		"the administrator deploys to another PC": {
			learn:   deploy,
			observe: []*event.Event{smbWrite(day2(0), adminPC, pc4, `\\`+pc4+`\ADMIN$`, "agent_setup.exe"), rpc(day2(time.Second), adminPC, pc4, "svcctl", "StartServiceW")},
		},
	})
}

func TestProxyBypass(t *testing.T) {
	learn := concat(browsing(), []*event.Event{
		// a sanctioned direct destination: two office PCs reach the vendor's update host
		conn(at(time.Hour), pc4, "216.160.83.60", 443, "tcp", event.ActionAllow),
		conn(at(2*time.Hour), pc5, "216.160.83.60", 443, "tcp", event.ActionAllow),
	})
	check(t, newProxyBypass, func() *detect.Env { return testEnv(t) }, map[string]ruleCase{
		"allowed straight out": {
			learn: learn,
			observe: []*event.Event{proxied(day2(0), pc1, "CONNECT", "www.example.co.jp:443", "81.2.69.150", chrome124, "", 200),
				conn(day2(time.Minute), pc1, "67.43.156.14", 443, "tcp", event.ActionAllow)},
			want: &wantFinding{endpoint: pc1, peer: "67.43.156.14", key: "67.43.156.14", summary: []string{"67.43.156.14 port 443/tcp", "not through the proxy", "(17 requests in the proxy log)", "the firewall allowed it"}, minScore: 0.7},
		},
		"blocked attempt": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc2, "67.43.156.14", 80, "tcp", event.ActionDeny)},
			want:    &wantFinding{endpoint: pc2, peer: "67.43.156.14", key: "67.43.156.14", summary: []string{"the firewall blocked it"}},
		},
		"a sensor sees data flow": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc3, "67.43.156.14", 443, "tcp", event.ActionNone)},
			want:    &wantFinding{endpoint: pc3, peer: "67.43.156.14", key: "67.43.156.14", summary: []string{"received 4 kB"}, minScore: 0.8},
		},
		"a server that never uses the proxy": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), appServer, "67.43.156.14", 443, "tcp", event.ActionAllow)},
		},
		"the proxy itself": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), proxyHost, "67.43.156.14", 443, "tcp", event.ActionAllow)},
		},
		"time sync is not web": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc1, "89.160.20.112", 123, "udp", event.ActionDeny)},
		},
		"the sanctioned update host": {
			learn:   learn,
			observe: []*event.Event{conn(day2(0), pc1, "216.160.83.60", 443, "tcp", event.ActionAllow)},
		},
	})
}

func TestNoDNS(t *testing.T) {
	lookups := concat(
		each(officePCs, func(i int, ep string) *event.Event {
			return answer(at(time.Duration(i)*time.Minute), ep, "time.windows.com", "twc.trafficmanager.net", "89.160.20.112")
		}),
		[]*event.Event{
			// a resolver configured by address, used by two PCs
			conn(at(time.Hour), pc4, "198.51.100.53", 853, "tcp", event.ActionAllow),
			conn(at(2*time.Hour), pc5, "198.51.100.53", 853, "tcp", event.ActionAllow),
		})
	check(t, newNoDNS, func() *detect.Env { return testEnv(t) }, map[string]ruleCase{
		"straight to an address never resolved": {
			learn: lookups,
			observe: []*event.Event{
				answer(day2(0), pc1, "www.example.com", "81.2.69.150"),
				conn(day2(time.Minute), pc1, "67.43.156.14", 443, "tcp", event.ActionAllow),
				conn(day2(time.Minute+2*time.Second), pc1, "67.43.156.14", 443, "tcp", event.ActionAllow),
				conn(day2(10*time.Minute), pc1, "81.2.69.150", 443, "tcp", event.ActionAllow),
			},
			want: &wantFinding{endpoint: pc1, peer: "67.43.156.14", key: "67.43.156.14", summary: []string{"67.43.156.14 port 443/tcp", "allowed by netfilter", "2 times", "without a DNS answer", "last 24h"}, minScore: 0.7},
		},
		"resolved first": {
			learn: lookups,
			observe: []*event.Event{
				answer(day2(0), pc1, "www.example.com", "www.example.com.edgekey.net", "81.2.69.150"),
				conn(day2(time.Second), pc1, "81.2.69.150", 443, "tcp", event.ActionAllow),
				conn(day2(10*time.Minute), pc1, "81.2.69.150", 443, "tcp", event.ActionAllow),
			},
		},
		"the DNS log comes a little late": {
			learn: lookups,
			observe: []*event.Event{
				conn(day2(0), pc1, "81.2.69.150", 443, "tcp", event.ActionAllow),
				answer(day2(30*time.Second), pc1, "www.example.com", "81.2.69.150"),
				conn(day2(10*time.Minute), pc2, "81.2.69.199", 53, "udp", event.ActionAllow),
			},
		},
		"an endpoint whose lookups we never see": {
			learn:   lookups,
			observe: []*event.Event{conn(day2(0), appServer, "67.43.156.14", 443, "tcp", event.ActionAllow)},
		},
		"NTP to a configured address": {
			learn:   lookups,
			observe: []*event.Event{conn(day2(0), pc1, "133.243.238.164", 123, "udp", event.ActionDeny)},
		},
		"a resolver configured by address": {
			learn:   lookups,
			observe: []*event.Event{conn(day2(0), pc3, "198.51.100.53", 853, "tcp", event.ActionAllow)},
		},
		"the proxy's own connection": {
			learn:   concat(lookups, []*event.Event{answer(at(0), proxyHost, "x.example.com", "81.2.69.150")}),
			observe: []*event.Event{conn(day2(0), proxyHost, "198.51.100.77", 80, "tcp", event.ActionAllow)},
		},
		"an HTTP request to a bare address": {
			learn:   lookups,
			observe: []*event.Event{proxied(day2(0), pc2, "GET", "http://198.51.100.77/update.exe", "198.51.100.77", "x", "application/x-msdownload", 200)},
			want:    &wantFinding{endpoint: pc2, peer: "198.51.100.77", key: "198.51.100.77", summary: []string{"198.51.100.77 port 80", "an HTTP request naming the bare address"}},
		},
		"an address another endpoint resolved": {
			learn: lookups,
			observe: []*event.Event{
				answer(day2(0), pc2, "shared.example.net", "81.2.69.155"),
				conn(day2(time.Minute), pc1, "81.2.69.155", 443, "tcp", event.ActionAllow),
			},
			want: &wantFinding{endpoint: pc1, peer: "81.2.69.155", key: "81.2.69.155", summary: []string{"another endpoint's lookup did return it"}},
		},
	})
}

// TestNoDNSScoresSharedAddressesLower checks that an address another
// endpoint resolved weighs less than one nobody resolved.
func TestNoDNSScoresSharedAddressesLower(t *testing.T) {
	lookups := []*event.Event{answer(at(0), pc1, "a.example.com", "81.2.69.150"), answer(at(0), pc2, "b.example.com", "81.2.69.155")}
	fs := run(t, newNoDNS, testEnv(t), ruleCase{learn: lookups, observe: []*event.Event{
		conn(day2(0), pc1, "81.2.69.155", 443, "tcp", event.ActionAllow),
		answer(day2(time.Second), pc2, "b.example.com", "81.2.69.155"),
		conn(day2(time.Second), pc1, "67.43.156.14", 443, "tcp", event.ActionAllow),
	}})
	score := map[string]float64{}
	for _, f := range fs {
		score[f.Peer] = f.Score
	}
	if len(score) != 2 || score["81.2.69.155"] >= score["67.43.156.14"] {
		t.Fatalf("scores %v", score)
	}
}

// TestOneDownloadTwoLogs checks that a download the proxy and a sensor
// both logged counts once.
func TestOneDownloadTwoLogs(t *testing.T) {
	learn := each(officePCs, func(i int, ep string) *event.Event {
		return proxied(at(time.Duration(i)*time.Minute), ep, "GET", "http://download.windowsupdate.com/a.exe", "89.160.20.140", "Microsoft BITS/7.8", "application/octet-stream", 200)
	})
	url := "http://files.example.net/s/invoice.pdf.exe"
	sensor := sensorHTTP(day2(0), pc1, proxyHost, 3128, "GET", "files.example.net", url, chrome124)
	sensor.ContentType = "application/x-dosexec"
	fs := run(t, newExeSource, testEnv(t), ruleCase{learn: learn, observe: []*event.Event{
		sensor,
		proxied(day2(2*time.Second), pc1, "GET", url, "81.2.69.151", chrome124, "application/octet-stream", 200),
		proxied(day2(time.Hour), pc1, "GET", url, "81.2.69.151", chrome124, "application/octet-stream", 200), // fetched again later
	}})
	n := 0
	for _, f := range fs {
		n += max(f.Count, 1)
	}
	if n != 2 {
		t.Fatalf("%d downloads counted, want 2: %+v", n, fs)
	}
}
