package intel

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
)

const testdata = "../../testdata"

// lookup is one question asked of a Set, and the hit expected (empty
// indicator: no hit).
type lookup struct {
	kind, value string
	port        uint16
	indicator   string
	list        string
	comment     string // a substring of the hit's comment
}

func ask(s *Set, q lookup) (detect.Hit, bool) {
	switch q.kind {
	case "domain":
		return s.Domain(q.value)
	case "ip":
		return s.IP(netip.MustParseAddr(q.value), q.port)
	case "url":
		return s.URL(q.value)
	case "hash":
		return s.Hash(q.value)
	}
	panic("unknown lookup kind " + q.kind)
}

func check(t *testing.T, s *Set, cases map[string]lookup) {
	t.Helper()
	for name, q := range cases {
		h, ok := ask(s, q)
		if q.indicator == "" {
			if ok {
				t.Errorf("%s: %s %q matched %+v", name, q.kind, q.value, h)
			}
			continue
		}
		if !ok || h.Indicator != q.indicator || h.List != q.list || !strings.Contains(h.Comment, q.comment) {
			t.Errorf("%s: %s %q: got %+v, %v; want %s from %s with comment ~%q", name, q.kind, q.value, h, ok, q.indicator, q.list, q.comment)
		}
	}
}

func TestLoadRealLists(t *testing.T) {
	s, err := Load(filepath.Join(testdata, "ioc-maltrail"), filepath.Join(testdata, "ioc-misp"))
	if err != nil {
		t.Fatal(err)
	}
	const (
		cs      = "ioc-maltrail/malware/cobaltstrike.txt"
		emotet  = "ioc-maltrail/malware/emotet.txt"
		async   = "ioc-maltrail/malware/asyncrat.txt"
		scanner = "ioc-maltrail/mass_scanner.txt"
	)
	check(t, s, map[string]lookup{
		"listed domain":                 {kind: "domain", value: "queda212.duckdns.org", indicator: "queda212.duckdns.org", list: async, comment: "Reference: https://twitter.com/luc4m/status/1106618159522635776"},
		"subdomain, case, trailing dot": {kind: "domain", value: "WWW.Queda212.DuckDNS.org.", indicator: "queda212.duckdns.org", list: async},
		"emotet C2 name":                {kind: "domain", value: "1c26.dyndns.org", indicator: "1c26.dyndns.org", list: emotet, comment: "Reference: https://twitter.com/500mk500/status/1221354099058401280"},
		"sibling name":                  {kind: "domain", value: "2c26.dyndns.org"},
		"duckdns is a lots zone":        {kind: "domain", value: "notqueda212.duckdns.org", indicator: ".duckdns.org", list: "ioc-misp/lots-project.json"},
		"parent of a listed name":       {kind: "domain", value: "dyndns.org"},
		"listed name as a prefix":       {kind: "domain", value: "queda212.duckdns.org.evil.example"},
		"ip:port on its port":           {kind: "ip", value: "66.210.228.178", port: 443, indicator: "66.210.228.178:443", list: emotet, comment: "Reference: https://twitter.com/_lockhum/status/1221213324525867008"},
		"ip:port on another port":       {kind: "ip", value: "50.252.121.146", port: 443},
		"ip:port without a port":        {kind: "ip", value: "50.252.121.146"},
		"http://ip is no address entry": {kind: "ip", value: "101.132.33.79", port: 80},
		"http://ip matches its urls":    {kind: "url", value: "http://101.132.33.79/submit.php?id=1", indicator: "http://101.132.33.79", list: cs, comment: "and 211 more references"},
		"a name's url at that address":  {kind: "url", value: "http://www.example.com/submit.php"},
		"plain address any port":        {kind: "ip", value: "129.82.138.12", port: 33512, indicator: "129.82.138.12", list: scanner, comment: "pinger1a.netsec.colostate.edu"},
		"unlisted address":              {kind: "ip", value: "129.82.138.13", port: 80},
		"misp sinkhole network":         {kind: "ip", value: "104.244.13.7", port: 80, indicator: "104.244.12.0/22", list: "ioc-misp/sinkholes.json", comment: "sinkhole"},
		"misp hostname subdomain":       {kind: "domain", value: "phish.azurewebsites.net", indicator: ".azurewebsites.net", list: "ioc-misp/lots-project.json", comment: "LOTS"},
		"misp hostname itself":          {kind: "domain", value: "api.ipify.org", indicator: "api.ipify.org", list: "ioc-misp/whats-my-ip.json"},
		"misp dynamic dns":              {kind: "domain", value: "x.0bit.org", indicator: ".0bit.org", list: "ioc-misp/dynamic-dns.json", comment: "dynamic DNS"},
		"url with trailing slash":       {kind: "url", value: "http://regionsnews.net/OEqhU8Lg5/", indicator: "http://regionsnews.net/OEqhU8Lg5", list: emotet, comment: "pastebin.com/csipUv2z"},
		"url below a listed url":        {kind: "url", value: "http://RegionsNews.net:80/OEqhU8Lg5/x.doc?a=1", indicator: "http://regionsnews.net/OEqhU8Lg5", list: emotet},
		"url path case differs":         {kind: "url", value: "http://regionsnews.net/oeqhu8lg5"},
		"url on another host":           {kind: "url", value: "http://example.com/OEqhU8Lg5"},
		"path-only entry with query":    {kind: "url", value: "http://anything.example/ilksan_sorgu.php?tck=12345678901", indicator: "/ilksan_sorgu.php?tck=", list: async},
		"path-only entry, no query":     {kind: "url", value: "http://anything.example/ilksan_sorgu.php"},
		"connect target is no url hit":  {kind: "url", value: "regionsnews.net:443"},
	})
	var got []string
	for _, p := range s.Problems() {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		cs + `: not an indicator: 1 line (first: line 261 "139.9.234.13:33:1099")`,
		`ioc-maltrail/suspicious/onion.txt: not an indicator: 1 line`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	lists := strings.Join(s.Lists(), "\n")
	if !strings.Contains(lists, cs+" (") || !strings.Contains(lists, "ioc-misp/sinkholes.json (") || strings.Contains(lists, "LICENSE") {
		t.Errorf("lists:\n%s", lists)
	}
}

// write creates a file under dir with content and returns its path.
func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestListKinds: a hit says what its list lists, from the list's name:
// Maltrail's mass_scanner.txt lists scanners, its suspicious/ folder
// services attackers also use, its malware/ folder attackers.
func TestListKinds(t *testing.T) {
	for name, want := range map[string]detect.ListKind{
		"ioc-maltrail/mass_scanner.txt":              detect.ListScanner,
		"trails/static/mass_scanner_cidr.txt":        detect.ListScanner,
		"feeds/Crawlers.txt":                         detect.ListScanner,
		"ioc-maltrail/suspicious/dynamic_domain.txt": detect.ListSuspicious,
		`C:\iocs\Suspicious\onion.txt`:               detect.ListSuspicious,
		"ioc-maltrail/malware/cobaltstrike.txt":      detect.ListMalicious,
		"office-iocs.txt":                            detect.ListMalicious,
		"suspicious.txt":                             detect.ListMalicious, // a file, not the folder
	} {
		if got := KindOf(name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	s, err := Load(filepath.Join(testdata, "ioc-maltrail"))
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[lookup]detect.ListKind{
		{kind: "ip", value: "129.82.138.12", port: 33512}: detect.ListScanner,
		{kind: "domain", value: "x.3utilities.com"}:       detect.ListSuspicious,
		{kind: "domain", value: "queda212.duckdns.org"}:   detect.ListMalicious,
	} {
		if h, ok := ask(s, q); !ok || h.Kind != want {
			t.Errorf("%s %s: %+v %v, want a %s hit", q.kind, q.value, h, ok, want)
		}
	}
}

func TestTextIndicators(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "trail.txt", "\ufeff"+`# a hand-written trail
# Reference: https://example.org/report

evil.example
*.wild.example
.dot.example
port.example:8443
203.0.113.5:8443
[2001:db8::5]:443
2001:db8:1::/48
198.51.100.0/24
198.51.100.77 # the loader
http://dl.example/payload/stage2.bin
files.example/get.php?id=
hxxp://defanged.example/x
http://192.0.2.9:8080
http://192.0.2.10
http://[2001:db8::a]/
https://secure.example/a/#frag
D41D8CD98F00B204E9800998ECF8427E
da39a3ee5e6b4b0d3255bfef95601890afd80709
two fields
not_a_domain
`)
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	const l = "trail.txt"
	check(t, s, map[string]lookup{
		"domain":                       {kind: "domain", value: "evil.example", indicator: "evil.example", list: l, comment: "Reference: https://example.org/report"},
		"domain's subdomain":           {kind: "domain", value: "a.b.evil.example", indicator: "evil.example", list: l},
		"wildcard":                     {kind: "domain", value: "x.wild.example", indicator: "*.wild.example", list: l},
		"wildcard base":                {kind: "domain", value: "wild.example", indicator: "*.wild.example", list: l},
		"leading dot":                  {kind: "domain", value: "y.dot.example", indicator: ".dot.example", list: l},
		"domain with port":             {kind: "domain", value: "port.example", indicator: "port.example:8443", list: l},
		"ip:port":                      {kind: "ip", value: "203.0.113.5", port: 8443, indicator: "203.0.113.5:8443", list: l},
		"ip:port other port":           {kind: "ip", value: "203.0.113.5", port: 443},
		"v6 with port":                 {kind: "ip", value: "2001:db8::5", port: 443, indicator: "[2001:db8::5]:443", list: l},
		"v6 network":                   {kind: "ip", value: "2001:db8:1:ff::1", port: 22, indicator: "2001:db8:1::/48", list: l},
		"v4-mapped in v4 network":      {kind: "ip", value: "::ffff:198.51.100.3", indicator: "198.51.100.0/24", list: l},
		"address beats network":        {kind: "ip", value: "198.51.100.77", indicator: "198.51.100.77", list: l, comment: "the loader"},
		"url":                          {kind: "url", value: "http://dl.example/payload/stage2.bin", indicator: "http://dl.example/payload/stage2.bin", list: l},
		"url without scheme and query": {kind: "url", value: "http://files.example/get.php?id=42&x=1", indicator: "files.example/get.php?id=", list: l},
		"url query prefix differs":     {kind: "url", value: "http://files.example/get.php?name=42"},
		"defanged scheme":              {kind: "url", value: "http://defanged.example/x", indicator: "hxxp://defanged.example/x", list: l},
		"url host with port":           {kind: "ip", value: "192.0.2.9", port: 8080, indicator: "http://192.0.2.9:8080", list: l},
		"url host without port":        {kind: "ip", value: "192.0.2.10", port: 80},
		"url host by url":              {kind: "url", value: "http://192.0.2.10/index.html", indicator: "http://192.0.2.10", list: l},
		"v6 url host by url":           {kind: "url", value: "http://[2001:db8::a]/x", indicator: "http://[2001:db8::a]/", list: l},
		"v6 url host is no address":    {kind: "ip", value: "2001:db8::a", port: 80},
		"url fragment ignored":         {kind: "url", value: "https://secure.example:443/a/b", indicator: "https://secure.example/a/#frag", list: l},
		"md5 upper-case":               {kind: "hash", value: "d41d8cd98f00b204e9800998ecf8427e", indicator: "D41D8CD98F00B204E9800998ECF8427E", list: l},
		"sha1 asked upper-case":        {kind: "hash", value: "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", indicator: "da39a3ee5e6b4b0d3255bfef95601890afd80709", list: l},
		"unlisted hash":                {kind: "hash", value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	})
	ps := s.Problems()
	if len(ps) != 2 || ps[0].Line != 22 || ps[1].Line != 23 || ps[1].Reason != "not an indicator" {
		t.Errorf("problems: %v", ps)
	}
}

func TestZeekIntel(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "intel.dat", strings.Join([]string{
		"#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url",
		"203.0.113.66\tIntel::ADDR\tfeodo\tDridex C2\t-",
		"192.0.2.0/25\tIntel::SUBNET\tlocal\t-\t-",
		"c2.example\tIntel::DOMAIN\tlocal\tbeacon host\t-",
		"dl.example/drop/x.exe\tIntel::URL\tlocal\t-\t-",
		"44d88612fea8a8f36de82e1278abb02f\tIntel::FILE_HASH\tlocal\teicar\t-",
		"bad@example.com\tIntel::EMAIL\tlocal\t-\t-",
		"not-an-ip\tIntel::ADDR\tlocal\t-\t-",
		"",
	}, "\n"))
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	const l = "intel.dat"
	check(t, s, map[string]lookup{
		"addr":                     {kind: "ip", value: "203.0.113.66", port: 443, indicator: "203.0.113.66", list: l, comment: "feodo: Dridex C2"},
		"subnet":                   {kind: "ip", value: "192.0.2.100", indicator: "192.0.2.0/25", list: l, comment: "local"},
		"outside the subnet":       {kind: "ip", value: "192.0.2.200"},
		"domain":                   {kind: "domain", value: "C2.example.", indicator: "c2.example", list: l, comment: "beacon host"},
		"domain is exact, as zeek": {kind: "domain", value: "www.c2.example"},
		"url":                      {kind: "url", value: "http://dl.example/drop/x.exe", indicator: "dl.example/drop/x.exe", list: l},
		"hash":                     {kind: "hash", value: "44d88612fea8a8f36de82e1278abb02f", indicator: "44d88612fea8a8f36de82e1278abb02f", list: l, comment: "eicar"},
	})
	var reasons []string
	for _, p := range s.Problems() {
		reasons = append(reasons, p.Reason)
	}
	if strings.Join(reasons, "|") != "unsupported type Intel::EMAIL|not an address" {
		t.Errorf("problems: %v", s.Problems())
	}
}

func TestGzipAndNonLists(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("gz.example\n"))
	zw.Close()
	write(t, dir, "feeds/packed.txt.gz", buf.String())
	write(t, dir, "feeds/LICENSE.txt", "MIT License\nPermission is hereby granted\n")
	write(t, dir, "feeds/.hidden.txt", "hidden.example\n")
	write(t, dir, "feeds/geo.mmdb", "\x00\x01binary")
	write(t, dir, "feeds/categories.txt", "example.com\tnews\nexample.org\tshopping\n")
	s, err := Load(filepath.Join(dir, "feeds"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, s, map[string]lookup{
		"gzip list":        {kind: "domain", value: "gz.example", indicator: "gz.example", list: "feeds/packed.txt.gz"},
		"hidden file":      {kind: "domain", value: "hidden.example"},
		"not an ioc list":  {kind: "domain", value: "example.com"},
		"licence not read": {kind: "domain", value: "hereby.granted"},
	})
	found := false
	for _, p := range s.Problems() {
		found = found || (p.List == "feeds/categories.txt" && strings.Contains(p.Reason, "no indicators"))
	}
	if !found {
		t.Errorf("a domain<TAB>category file is not reported: %v", s.Problems())
	}
	if len(s.Lists()) != 2 {
		t.Errorf("lists: %v", s.Lists())
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "empty/README.md", "nothing here")
	cases := map[string][]string{
		"nothing given":     nil,
		"missing file":      {filepath.Join(dir, "nope.txt")},
		"folder of no list": {filepath.Join(dir, "empty")},
	}
	for name, paths := range cases {
		if _, err := Load(paths...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReloadSwapsWholeLists(t *testing.T) {
	dir := t.TempDir()
	many := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("n" + strconv.Itoa(i) + ".example\n")
		}
		return b.String()
	}
	a := write(t, dir, "lists/a.txt", many(1000))
	s, err := Load(filepath.Join(dir, "lists"))
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := s.Reload(); changed || err != nil {
		t.Fatalf("reload without change: %v %v", changed, err)
	}

	// Readers run while the list is rewritten and reloaded: each sees the
	// 1000 entries or the 2000, never a list half read.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if n := s.Len(); n != 1000 && n != 2000 {
					t.Errorf("a reader saw %d indicators", n)
					return
				}
				s.Domain("n999.example")
			}
		}()
	}
	for i := range 20 {
		os.WriteFile(a, []byte(many(1000*(1+i%2))), 0o644)
		os.Chtimes(a, time.Now(), time.Now().Add(time.Duration(i+1)*time.Second))
		if changed, err := s.Reload(); !changed || err != nil {
			t.Fatalf("reload %d: %v %v", i, changed, err)
		}
	}
	cancel()
	wg.Wait()

	write(t, dir, "lists/b.txt", "added.example\n")
	if changed, _ := s.Reload(); !changed {
		t.Fatal("a new file in the folder was not noticed")
	}
	check(t, s, map[string]lookup{
		"last content":       {kind: "domain", value: "n1999.example", indicator: "n1999.example", list: "lists/a.txt"},
		"new file":           {kind: "domain", value: "added.example", indicator: "added.example", list: "lists/b.txt"},
		"beyond the content": {kind: "domain", value: "n2000.example"},
	})

	// A vanished root keeps the lists and says so.
	os.RemoveAll(filepath.Join(dir, "lists"))
	if changed, err := s.Reload(); changed || err == nil {
		t.Fatalf("reload of a missing folder: %v %v", changed, err)
	}
	if _, ok := s.Domain("added.example"); !ok {
		t.Error("a failed reload dropped the lists")
	}
	if ps := s.Problems(); len(ps) == 0 || !strings.Contains(ps[len(ps)-1].Reason, "reload failed") {
		t.Errorf("problems: %v", ps)
	}
}

func TestWatchReloads(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "w.txt", "before.example\n")
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Watch(ctx, 10*time.Millisecond) }()
	os.WriteFile(p, []byte("after.example\n"), 0o644)
	os.Chtimes(p, time.Now(), time.Now().Add(time.Hour))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := s.Domain("after.example"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Watch did not reload a changed file")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLoadZones(t *testing.T) {
	dir := t.TempDir()
	txt := write(t, dir, "ddns.txt", "# our extra providers\nmy-ddns.example\n.other-ddns.example\n203.0.113.9\n")
	zones, problems, err := LoadZones(txt, filepath.Join(testdata, "ioc-misp", "dynamic-dns.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"host.my-ddns.example":   "my-ddns.example",
		"a.b.other-ddns.example": "other-ddns.example",
		"x.0bit.org":             "0bit.org",
		"example.com":            "",
	} {
		if zone, _ := zones.Match(name); zone != want {
			t.Errorf("%s: zone %q, want %q", name, zone, want)
		}
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Reason, "1 entry that is not a DNS zone") {
		t.Errorf("problems: %v", problems)
	}
	if _, _, err := LoadZones(filepath.Join(dir, "missing.txt")); err == nil {
		t.Error("a missing zone file is no error")
	}
}

func TestLookupsDoNotAllocate(t *testing.T) {
	s, err := Load(filepath.Join(testdata, "ioc-maltrail"), filepath.Join(testdata, "ioc-misp"))
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr("198.51.100.23")
	for name, fn := range map[string]func(){
		"domain": func() { s.Domain("www.some-site.example.co.jp") },
		"ip":     func() { s.IP(a, 443) },
		"url":    func() { s.URL("http://www.some-site.example.co.jp/news/2026/index.html?page=2") },
		"hash":   func() { s.Hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s lookup allocates %.0f times", name, n)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"ioc-maltrail/malware/emotet.txt", "ioc-misp/sinkholes.json"} {
		b, err := os.ReadFile(filepath.Join(testdata, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::ADDR\n"))
	f.Add([]byte("http://[::1/x\n//\n/?\n*.\n.:1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &listReader{x: newIndex(), list: "fuzz"}
		_ = r.read(bytes.NewReader(b))
		for _, q := range []string{"a.example", "http://a.example/x?y", "/x?y"} {
			r.x.domain(q)
			r.x.url(q)
		}
		r.x.ip(netip.MustParseAddr("1.2.3.4"), 80)
	})
}
