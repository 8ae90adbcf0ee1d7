package matching

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/detect/intel"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
	"github.com/mamori-soc/mamori/ingest/parse"
)

const testdata = "../../testdata"

var t0 = time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC) // a Monday

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// The office of the tests: PCs in 10.0.10.0/24, servers in 10.0.20.0/24,
// the proxy 10.0.20.3 and the resolver 10.0.20.1.
var (
	pc1    = ip("10.0.10.21")
	pc2    = ip("10.0.10.22")
	proxy  = ip("10.0.20.3")
	gw     = ip("10.0.20.1")
	server = ip("10.0.20.10")
	www    = ip("198.51.100.50") // the office's public web server, in a listed network
)

// testIOCs is the IOC trail of the tests.
const testIOCs = `# Reference: https://example.org/apt-report
kx7-update.duckdns.org
evil.example
203.0.113.80:80
198.51.100.0/24
http://dl.bad.example/payload/
44d88612fea8a8f36de82e1278abb02f # eicar
http://192.0.2.80
/wp-content/plugins/wp-shell/
`

// testScanners is a scanner list, named as Maltrail names its own.
const testScanners = `192.0.2.200 # census.scanner.example
`

// newEnv returns the environment of the tests, with the IOC trail and the
// inventory (the proxy and the resolver have relay roles).
func newEnv(t testing.TB) *detect.Env {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, scanners := filepath.Join(dir, "iocs.txt"), filepath.Join(dir, "mass_scanner.txt")
	if err := os.WriteFile(p, []byte(testIOCs), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(scanners, []byte(testScanners), 0o644); err != nil {
		t.Fatal(err)
	}
	suspicious := filepath.Join(dir, "suspicious")
	if err := os.Mkdir(suspicious, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(suspicious, "dynamic_domain.txt"), []byte("ddns-provider.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := intel.Load(p, scanners, suspicious)
	if err != nil {
		t.Fatal(err)
	}
	inv := asset.NewInventory([]asset.Asset{
		{Prefix: netip.PrefixFrom(pc1, 32), Host: "pc-021", Segment: "office", Role: "pc"},
		{Prefix: netip.PrefixFrom(pc2, 32), Host: "pc-022", Segment: "office", Role: "pc"},
		{Prefix: netip.PrefixFrom(proxy, 32), Host: "proxy01", Segment: "servers", Role: "proxy"},
		{Prefix: netip.PrefixFrom(gw, 32), Host: "gw01", Segment: "servers", Role: "gateway"},
		{Prefix: netip.PrefixFrom(server, 32), Host: "fs01", Segment: "servers", Role: "file-server"},
		{Prefix: netip.PrefixFrom(www, 32), Host: "www01", Segment: "dmz", Role: "web-server"}, // a public address
	})
	return &detect.Env{
		Catalog: cat, Networks: asset.MustNetworks(asset.DefaultInternal...), Assets: inv,
		Intel: set, Prevalence: detect.NewPrevalence(1000),
	}
}

// enrich sets the endpoint and host as ingest does.
func enrich(env *detect.Env, ev *event.Event) *event.Event {
	(&ingest.Enricher{Networks: env.Networks, Inventory: env.Assets}).Enrich(ev)
	if ev.Ref.File == "" {
		ev.Ref = event.Ref{File: "/test.log", Offset: ev.Time.UnixNano()}
	}
	return ev
}

// run feeds events to a new detector of rule and returns its findings.
func run(t testing.TB, env *detect.Env, rule string, params map[string]any, evs ...*event.Event) []detect.Finding {
	t.Helper()
	d := build(t, env, rule)
	em := detect.NewEmitter(rule)
	for _, ev := range evs {
		d.Observe(enrich(env, ev), em)
	}
	return em.Findings()
}

func build(t testing.TB, env *detect.Env, rule string) detect.Detector {
	t.Helper()
	for _, f := range Factories() {
		if f.Rule == rule {
			return f.New(detect.Params{}, env)
		}
	}
	t.Fatalf("no rule %s", rule)
	return nil
}

// Event builders.

func dnsQ(at time.Duration, client netip.Addr, name string) *event.Event {
	return &event.Event{Time: t0.Add(at), Format: "dnsmasq", Kind: event.KindDNS, SrcIP: client, Query: name, QType: "A", Label: "query"}
}

func squid(at time.Duration, client netip.Addr, method, url, domain string, dst netip.Addr, port uint16, ctype string) *event.Event {
	return &event.Event{Time: t0.Add(at), Format: "squid", Kind: event.KindHTTP, SrcIP: client, DstIP: dst, DstPort: port,
		Method: method, URL: url, Domain: domain, Status: 200, ContentType: ctype, Label: "TCP_MISS", Action: event.ActionAllow}
}

func conn(at time.Duration, src netip.Addr, sport uint16, dst netip.Addr, dport uint16) *event.Event {
	return &event.Event{Time: t0.Add(at), Format: "zeek.conn", Kind: event.KindConnection, SrcIP: src, SrcPort: sport, DstIP: dst, DstPort: dport,
		Transport: "tcp", Label: "SF", BytesOut: 500, BytesIn: 1500}
}

// readLog decodes a real log file (gzip or not) with a format, as ingest
// does, enriching each event for env.
func readLog(t testing.TB, env *detect.Env, f parse.Format, path string) []*event.Event {
	t.Helper()
	evs := ingesttest.ReadLog(t, path, ingesttest.Options{Format: f.Name, Year: 2021})
	out := make([]*event.Event, len(evs))
	for i := range evs {
		out[i] = enrich(env, &evs[i])
	}
	return out
}

// mentions reports whether s contains every one of parts.
func mentions(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func sortByTime(evs []*event.Event) {
	slices.SortStableFunc(evs, func(a, b *event.Event) int { return a.Time.Compare(b.Time) })
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// newEngine returns a real engine with this package's rules on env.
func newEngine(t testing.TB, env *detect.Env) *detect.Engine {
	t.Helper()
	e, err := detect.New(detect.Options{Factories: Factories(), Env: env, Learning: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
