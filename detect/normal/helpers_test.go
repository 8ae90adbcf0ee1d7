package normal

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

// The test office: ten PCs and a newcomer in 10.0.10.0/24 (office), the
// administrator's PC in 10.0.30.0/24 (admin), servers in 10.0.20.0/24.
const (
	pc1, pc2, pc3, pc4, pc5 = "10.0.10.21", "10.0.10.22", "10.0.10.23", "10.0.10.24", "10.0.10.25"
	newcomer                = "10.0.10.40"
	adminPC                 = "10.0.30.10"
	fileServer              = "10.0.20.10"
	appServer               = "10.0.20.11"
	proxyHost               = "10.0.20.3"
	gateway                 = "10.0.20.1"
	printer                 = "10.0.10.250"
)

// officePCs are the PCs with a baseline (not the newcomer).
var officePCs = []string{pc1, pc2, pc3, pc4, pc5, "10.0.10.26", "10.0.10.27", "10.0.10.28", "10.0.10.29", "10.0.10.30"}

// t0 is the start of learning; detection events come a day later.
var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday, 09:00 in Tokyo

func at(d time.Duration) time.Time { return t0.Add(d) }

// day2 is a time on the detection day.
func day2(d time.Duration) time.Time { return t0.Add(24*time.Hour + d) }

func inventory() *asset.Inventory {
	var as []asset.Asset
	add := func(ip, host, seg, role string) {
		as = append(as, asset.Asset{Prefix: netip.PrefixFrom(netip.MustParseAddr(ip), 32), Host: host, Segment: seg, Role: role})
	}
	for i, ip := range officePCs {
		add(ip, "pc-"+string(rune('a'+i)), "office", "pc")
	}
	add(newcomer, "pc-new", "office", "pc")
	add(adminPC, "adm-pc", "admin", "admin-pc")
	add(fileServer, "fs01", "servers", "file-server")
	add(appServer, "app01", "servers", "app-server")
	add(proxyHost, "proxy01", "servers", "proxy")
	add(gateway, "gw01", "servers", "gateway")
	add(printer, "mfp01", "office", "printer")
	for _, seg := range []struct{ cidr, name string }{{"10.0.10.0/24", "office"}, {"10.0.20.0/24", "servers"}, {"10.0.30.0/24", "admin"}} {
		as = append(as, asset.Asset{Prefix: netip.MustParsePrefix(seg.cidr), Segment: seg.name, Role: "segment"})
	}
	return asset.NewInventory(as)
}

var (
	catOnce sync.Once
	cat     *catalog.Catalog
	catErr  error
)

func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	catOnce.Do(func() { cat, catErr = catalog.Load() })
	if catErr != nil {
		t.Fatal(catErr)
	}
	return cat
}

// fakeGeo and fakeCategories are the optional databases, as maps.
type fakeGeo map[string]string

func (g fakeGeo) Country(a netip.Addr) (string, bool) {
	c, ok := g[a.String()]
	return c, ok
}

type fakeCategories map[string]string

func (c fakeCategories) Category(domain string) (string, bool) {
	for d := domain; d != ""; {
		if cat, ok := c[d]; ok {
			return cat, true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	return "", false
}

// testEnv is the office's environment, with prevalence counting and no
// optional databases.
func testEnv(t testing.TB) *detect.Env {
	return &detect.Env{
		Catalog:    testCatalog(t),
		Networks:   asset.MustNetworks(asset.DefaultInternal...),
		Assets:     inventory(),
		Prevalence: detect.NewPrevalence(10_000),
		Now:        func() time.Time { return time.Time{} },
	}
}

var testEnricher = ingesttest.Enricher(inventory())

// enrich sets the endpoint as ingest does.
func enrich(ev *event.Event) *event.Event {
	testEnricher.Enrich(ev)
	if ev.Raw == "" {
		ev.Raw = ev.Format + " " + ev.SrcIP.String() + " " + ev.DstIP.String() + " " + ev.URL
	}
	return ev
}

func addr(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	return netip.MustParseAddr(s)
}

// conn is a connection record: a netfilter line (action allow or deny) or
// a Zeek conn record (action none).
func conn(t time.Time, src, dst string, port uint16, transport string, action event.Action) *event.Event {
	ev := &event.Event{Time: t, Kind: event.KindConnection, Format: "netfilter", SrcIP: addr(src), SrcPort: 50000, DstIP: addr(dst),
		DstPort: port, Transport: transport, Action: action}
	switch action {
	case event.ActionNone:
		ev.Format, ev.Label, ev.BytesOut, ev.BytesIn = "zeek.conn", "SF", 900, 4000
	case event.ActionAllow:
		ev.Label = "FW-ACCEPT-OUT:"
	default:
		ev.Label = "FW-DROP:"
	}
	return enrich(ev)
}

// proxied is a Squid access.log line: client asks for url (or CONNECT
// host:port); server is the address Squid went to.
func proxied(t time.Time, client, method, url, server, ua, contentType string, status int) *event.Event {
	ev := &event.Event{Time: t, Kind: event.KindHTTP, Format: "squid", SrcIP: addr(client), DstIP: addr(server), Method: method,
		URL: url, UserAgent: ua, ContentType: contentType, Status: status, Action: event.ActionAllow, Label: "TCP_MISS"}
	ev.Domain = urlHost(url)
	ev.DstPort = urlPort(url)
	if ev.DstPort == 0 {
		ev.DstPort = 80
	}
	if method == "CONNECT" {
		ev.Label = "TCP_TUNNEL"
	}
	if status == 403 {
		ev.Action, ev.Label = event.ActionDeny, "TCP_DENIED"
	}
	return enrich(ev)
}

// sensorHTTP is a Zeek http.log record of a request sent straight to
// server (or to the proxy, when server is the proxy's address).
func sensorHTTP(t time.Time, client, server string, port uint16, method, host, uri, ua string) *event.Event {
	ev := &event.Event{Time: t, Kind: event.KindHTTP, Format: "zeek.http", SrcIP: addr(client), DstIP: addr(server), DstPort: port,
		Method: method, Domain: host, URL: uri, UserAgent: ua, Status: 200}
	if !strings.Contains(uri, "://") && method != "CONNECT" {
		ev.URL = "http://" + host + uri
	}
	return enrich(ev)
}

// answer is a dnsmasq answer line: client asked name and got answers.
func answer(t time.Time, client, name string, answers ...string) *event.Event {
	return enrich(&event.Event{Time: t, Kind: event.KindDNS, Format: "dnsmasq", SrcIP: addr(client), DstIP: addr(gateway),
		Query: name, QType: "A", RCode: "NOERROR", Label: "reply", Answers: answers})
}

// smbWrite is a Zeek smb_files FILE_WRITE record.
func smbWrite(t time.Time, from, to, share, name string) *event.Event {
	return enrich(&event.Event{Time: t, Kind: event.KindSMB, Format: "zeek.smb_files", SrcIP: addr(from), DstIP: addr(to), DstPort: 445,
		Method: "SMB::FILE_WRITE", FileName: share + `\` + name, Label: share, FileSize: 286720})
}

// zeekFile is a Zeek files.log record of a file that from sent to to over
// a connection from opened (is_orig true: bytes out), or received from it
// (sent false: bytes in).
func zeekFile(t time.Time, from, to, mime string, size int64, sent bool) *event.Event {
	ev := &event.Event{Time: t, Kind: event.KindFile, Format: "zeek.files", SrcIP: addr(from), DstIP: addr(to), Service: "http",
		ContentType: mime, FileSize: size}
	if sent {
		ev.BytesOut = size
	} else {
		ev.BytesIn = size
	}
	return enrich(ev)
}

// rpc is a Zeek dce_rpc record.
func rpc(t time.Time, from, to, endpoint, op string) *event.Event {
	return enrich(&event.Event{Time: t, Kind: event.KindRPC, Format: "zeek.dce_rpc", SrcIP: addr(from), DstIP: addr(to), DstPort: 445,
		Service: endpoint, Method: op, Label: `\pipe\ntsvcs`})
}

// ruleCase is one table case of a rule: what it learns, what it then
// sees, and the finding expected (none when want is nil).
type ruleCase struct {
	learn   []*event.Event
	observe []*event.Event
	want    *wantFinding
}

type wantFinding struct {
	endpoint, peer, key string
	summary             []string // substrings of the summary
	minScore            float64
	count               int // when set, the occurrences all findings count
}

// run builds the rule, feeds it the case and returns its findings
// (including the repeats reported at the end).
func run(t *testing.T, f func(detect.Params, *detect.Env) detect.Detector, env *detect.Env, c ruleCase) []detect.Finding {
	t.Helper()
	d := f(detect.Params{}, env)
	l, ok := d.(detect.Learner)
	if !ok {
		t.Fatalf("%s is not a learner", d.Rule())
	}
	for _, ev := range c.learn {
		l.Learn(ev)
	}
	em := detect.NewEmitter(d.Rule())
	var last time.Time
	for _, ev := range c.observe {
		if tk, ok := d.(detect.Ticker); ok && ev.Time.Truncate(time.Minute).After(last) {
			last = ev.Time.Truncate(time.Minute)
			tk.Tick(ev.Time, em)
		}
		d.Observe(ev, em)
	}
	if fin, ok := d.(detect.Finisher); ok {
		fin.Finish(last.Add(time.Hour), em)
	}
	return em.Findings()
}

// check runs the cases of one rule.
func check(t *testing.T, f func(detect.Params, *detect.Env) detect.Detector, env func() *detect.Env, cases map[string]ruleCase) {
	t.Helper()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			fs := run(t, f, env(), c)
			if c.want == nil {
				for _, f := range fs {
					t.Errorf("unexpected finding: %s %s %s: %s", f.Endpoint, f.Peer, f.Key, f.Summary)
				}
				return
			}
			if len(fs) == 0 {
				t.Fatal("no finding")
			}
			f := fs[0]
			w := c.want
			if f.Endpoint != w.endpoint || f.Peer != w.peer || f.Key != w.key {
				t.Errorf("finding on %s, peer %s, key %s; want %s, %s, %s", f.Endpoint, f.Peer, f.Key, w.endpoint, w.peer, w.key)
			}
			for _, s := range w.summary {
				if !strings.Contains(f.Summary, s) {
					t.Errorf("summary %q does not say %q", f.Summary, s)
				}
			}
			if f.SummaryJA == "" || len(f.Evidence) == 0 || f.Time.IsZero() || f.Score <= 0 || f.Score > 1 {
				t.Errorf("incomplete finding: %+v", f)
			}
			if f.Score < w.minScore {
				t.Errorf("score %.2f, want at least %.2f", f.Score, w.minScore)
			}
			if w.count > 0 {
				n := 0
				for _, f := range fs {
					n += max(f.Count, 1)
				}
				if n != w.count {
					t.Errorf("%d occurrences counted, want %d", n, w.count)
				}
			}
		})
	}
}

// each makes one event per endpoint of a list.
func each(eps []string, mk func(i int, ep string) *event.Event) []*event.Event {
	out := make([]*event.Event, 0, len(eps))
	for i, ep := range eps {
		out = append(out, mk(i, ep))
	}
	return out
}

func concat(lists ...[]*event.Event) []*event.Event {
	var out []*event.Event
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
