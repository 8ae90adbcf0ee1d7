package normal

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

func TestLimiter(t *testing.T) {
	l := newLimiter(5*time.Minute, 100)
	em := detect.NewEmitter("N-X")
	f := func(d time.Duration, key string) detect.Finding {
		return detect.Finding{Time: t0.Add(d), Endpoint: pc1, Peer: key, Summary: key}
	}
	l.emit(em, f(0, "a"))
	l.emit(em, f(time.Minute, "a"))           // held
	l.emit(em, f(2*time.Minute, "a"))         // held
	l.emit(em, f(2*time.Minute, "b"))         // another key goes out
	l.flush(t0.Add(3*time.Minute), em, false) // too early for a's repeats
	got := em.Findings()
	if len(got) != 2 || got[0].Peer != "a" || got[0].Count != 1 || got[1].Peer != "b" {
		t.Fatalf("first findings: %+v", got)
	}
	l.flush(t0.Add(6*time.Minute), em, false)
	got = em.Findings()
	if len(got) != 1 || got[0].Peer != "a" || got[0].Count != 2 || !got[0].Time.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("held repeats: %+v", got)
	}
	l.emit(em, f(20*time.Minute, "a")) // after the interval: out at once
	l.emit(em, f(21*time.Minute, "a"))
	l.flush(t0.Add(22*time.Minute), em, true) // final: everything
	got = em.Findings()
	if len(got) != 2 || got[0].Count != 1 || got[1].Count != 1 {
		t.Fatalf("after the interval and at the end: %+v", got)
	}
	// A key forgotten for room reports its held repeats first.
	small := newLimiter(time.Hour, 2)
	small.emit(em, f(0, "a"))
	small.emit(em, f(time.Second, "a"))
	small.emit(em, f(2*time.Second, "b"))
	small.emit(em, f(3*time.Second, "c")) // evicts a
	got = em.Findings()
	if len(got) != 4 || got[2].Peer != "a" || got[2].Count != 1 || got[3].Peer != "c" {
		t.Fatalf("eviction: %+v", got)
	}
}

// TestRelaysFromTraffic checks that a proxy is recognised from the traffic
// alone (no inventory): by the CONNECTs a sensor sees sent to it, and by
// its firewall connections following the proxy log.
func TestRelaysFromTraffic(t *testing.T) {
	env := testEnv(t)
	env.Assets = nil
	t.Run("sensor sees CONNECT", func(t *testing.T) {
		r := newRelays(detect.Params{}, newEndpoints(env))
		r.note(env, sensorHTTP(t0, pc1, "10.9.9.9", 3128, "CONNECT", "www.example.com", "www.example.com:443", chrome124))
		if !r.is(addr("10.9.9.9")) {
			t.Fatal("the CONNECT target is not a relay")
		}
		if _, ok := r.client(addr(pc1)); !ok {
			t.Fatal("the client is not a proxy client")
		}
	})
	t.Run("firewall follows the proxy log", func(t *testing.T) {
		r := newRelays(detect.Params{}, newEndpoints(env))
		for i := range relayMatches + 5 {
			server := netip.AddrFrom4([4]byte{81, 2, 69, byte(140 + i%20)}).String()
			r.note(env, proxied(at(time.Duration(i)*time.Minute), pc1, "CONNECT", "x.example.com:443", server, chrome124, "", 200))
			r.note(env, conn(at(time.Duration(i)*time.Minute+30*time.Second), "10.9.9.9", server, 443, "tcp", event.ActionAllow))
			// the client itself going direct to the same servers is no relay
			r.note(env, conn(at(time.Duration(i)*time.Minute+40*time.Second), pc1, server, 443, "tcp", event.ActionAllow))
			// a server going elsewhere
			r.note(env, conn(at(time.Duration(i)*time.Minute+50*time.Second), appServer, "203.0.113.9", 443, "tcp", event.ActionAllow))
		}
		if !r.is(addr("10.9.9.9")) || r.is(addr(pc1)) || r.is(addr(appServer)) {
			t.Fatalf("relays: %v", r.known)
		}
		s := r.save()
		r2 := newRelays(detect.Params{}, newEndpoints(env))
		r2.restore(s)
		if !r2.is(addr("10.9.9.9")) {
			t.Fatal("relay lost through save and restore")
		}
		if n, ok := r2.client(addr(pc1)); !ok || n != relayMatches+5 {
			t.Fatalf("client count %d, %v", n, ok)
		}
	})
	t.Run("inventory roles", func(t *testing.T) {
		env := testEnv(t)
		r := newRelays(detect.Params{}, newEndpoints(env))
		if !r.is(addr(proxyHost)) || !r.is(addr(gateway)) || r.is(addr(fileServer)) {
			t.Fatal("inventory roles not used")
		}
	})
}

func TestURLParts(t *testing.T) {
	cases := map[string]struct {
		url, host string
		port      uint16
	}{
		"absolute":          {"http://www.example.com/a?b=c", "www.example.com", 0},
		"with port":         {"http://www.example.com:8080/a", "www.example.com", 8080},
		"connect":           {"kx7-update.duckdns.org:8443", "kx7-update.duckdns.org", 8443},
		"ipv6 connect":      {"[2001:db8::1]:443", "2001:db8::1", 443},
		"ipv6 url":          {"http://[2001:db8::1]/x", "2001:db8::1", 0},
		"bare ipv6":         {"2001:db8::1", "2001:db8::1", 0},
		"user info":         {"http://u:p@198.51.100.7:81/", "198.51.100.7", 81},
		"origin form":       {"/index.html", "", 0},
		"port too big":      {"h:99999", "h", 0},
		"garbage port":      {"h:44x", "h", 0},
		"unclosed bracket":  {"[2001:db8::1", "[2001:db8::1", 0},
		"empty":             {"", "", 0},
		"colon in the path": {"http://h/a:b", "h", 0},
	}
	for name, c := range cases {
		if got := urlHost(c.url); got != c.host {
			t.Errorf("%s: urlHost(%q) = %q, want %q", name, c.url, got, c.host)
		}
		if got := urlPort(c.url); got != c.port {
			t.Errorf("%s: urlPort(%q) = %d, want %d", name, c.url, got, c.port)
		}
	}
}

func TestFileTypes(t *testing.T) {
	ev := func(url, ct, name string) *event.Event {
		return &event.Event{URL: url, ContentType: ct, FileName: name}
	}
	exe := map[string]struct {
		ev   *event.Event
		want bool
	}{
		"exe by path":           {ev("http://h/a/setup.exe", "application/octet-stream", ""), true},
		"escaped name":          {ev("http://h/s/%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf.exe", "", ""), true},
		"by content type":       {ev("http://h/dl?id=3", "application/x-msdownload; charset=binary", ""), true},
		"zeek magic":            {ev("", "application/x-dosexec", ""), true},
		"named js":              {ev("http://h/dl", "application/octet-stream", "invoice.js"), true},
		"web page script":       {ev("http://h/app.js", "application/javascript", ""), false},
		"js path, no type":      {ev("http://h/app.js", "", ""), false},
		"exe path, html answer": {ev("http://h/x.exe", "text/html", ""), false},
		"pdf":                   {ev("http://h/a.pdf", "application/pdf", ""), false},
		"query looks like exe":  {ev("http://h/a?f=x.exe", "", ""), false},
		"shell script as text":  {ev("http://h/bin.sh", "text/plain", ""), true},
		"batch file as text":    {ev("http://h/run.bat", "text/x-msdos-batch", ""), true},
		"script path, html":     {ev("http://h/install.sh", "text/html", ""), false},
	}
	for name, c := range exe {
		if _, got := executable(c.ev); got != c.want {
			t.Errorf("executable %s: %v", name, got)
		}
	}
	for name, c := range map[string]struct {
		ct, name, want string
		fam            fileFamily
	}{
		"zip by type":     {"application/zip", "", "zip", famArchive},
		"7z by name":      {"", "backup.7Z", "7z", famArchive},
		"pst":             {"", "outlook.pst", "pst", famDatabase},
		"docx by type":    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "", "docx", famDocument},
		"exe by magic":    {"application/x-dosexec", "", "exe", famExecutable},
		"unknown":         {"application/json", "data", "", famOther},
		"image":           {"", "photo.jpg", "jpg", famOther},
		"long extension":  {"", "a.thisisnotanextension", "", famOther},
		"trailing dot":    {"", "a.", "", famOther},
		"path separators": {"", `C:\x\y.rar`, "rar", famArchive},
	} {
		got, fam := fileType(c.ct, c.name)
		if got != c.want || fam != c.fam {
			t.Errorf("fileType %s: %q %v", name, got, fam)
		}
	}
	if got := uploadName("http://h/api/upload?filename=a%20b.zip", false); got != "a b.zip" {
		t.Errorf("uploadName from the query: %q", got)
	}
	if got := uploadName("http://h/upload.php", false); got != "" {
		t.Errorf("a script is no file name: %q", got)
	}
	if got := uploadName("http://h/bucket/key-without-ext", true); got != "key-without-ext" {
		t.Errorf("a PUT names its target: %q", got)
	}
}

func TestMeasure(t *testing.T) {
	for name, c := range map[string]struct {
		q    string
		blob int
		kind string
	}{
		"words":         {"q=cheap+hotel+near+tokyo&page=2", 0, ""},
		"base64":        {"d=ZXhmaWx0cmF0ZWQ6IGhvc3Q9cGMtMDExIHVzZXI9eW9zaGlkYQ%3D%3D", 50, "base64"},
		"hex":           {"id=4f3c2a1b9e8d7c6b5a4f3c2a1b9e8d7c6b5a4f3c", 40, "hex"},
		"long word":     {"x=abcdefghijklmnopqrstuvwxyzabcdefghijklmnop", 0, ""},
		"no case mix":   {"x=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEF", 0, ""},
		"percent noise": {"x=%41%42%43", 0, ""},
	} {
		s := measure(c.q)
		if s.blob < c.blob || c.blob == 0 && s.blob != 0 || s.blobKind != c.kind {
			t.Errorf("%s: blob %d %q", name, s.blob, s.blobKind)
		}
		if s.length != len(c.q) || s.entropy <= 0 {
			t.Errorf("%s: length %d entropy %.2f", name, s.length, s.entropy)
		}
	}
}

func TestEndpointClasses(t *testing.T) {
	env := testEnv(t)
	env.Assets = asset.NewInventory(append(inventory().All(), asset.Asset{Prefix: netip.MustParsePrefix("10.0.40.0/24"), Segment: "lab"}))
	c := newEndpoints(env)
	for ip, want := range map[string]string{
		fileServer:   "file-server",
		"10.0.10.99": "office",      // in a segment, not listed alone
		"10.0.40.5":  "lab",         // a segment without role
		"10.7.7.7":   "10.7.7.0/24", // not in the inventory
		"fd00::1":    "fd00::/64",   // IPv6
		proxyHost:    "proxy",
	} {
		if got := c.get(addr(ip)).class; got != want {
			t.Errorf("class of %s = %q, want %q", ip, got, want)
		}
	}
	if !c.get(addr(proxyHost)).relay || c.get(addr(fileServer)).relay {
		t.Error("relay roles")
	}
	c.max = 3
	for i := range 10 {
		c.get(netip.AddrFrom4([4]byte{10, 1, 1, byte(i)}))
	}
	if len(c.m) > 3 {
		t.Errorf("cache holds %d", len(c.m))
	}
	if hostOf("10.0.10.21", "pc-a") != "10.0.10.21 (pc-a)" || hostOf("x", "") != "x" {
		t.Error("hostOf")
	}
	if got := clip("日本語テキスト", 7); got != "日本…" || !strings.HasSuffix(clip(strings.Repeat("a", 10), 4), "…") {
		t.Errorf("clip: %q", got)
	}
}

// FuzzText runs the text helpers on hostile input: no panics, bounded
// output.
func FuzzText(f *testing.F) {
	for _, s := range []string{chrome124, "http://[::1]:80/a?b=%2B%2F", "h:443", "\xff\xfe", "a.b.c.", strings.Repeat("%2", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if fam := agentFamily(s); len(fam) > maxAgent {
			t.Fatalf("family %d bytes", len(fam))
		}
		products(s, func(p product) {
			if p.name == "" || len(p.name) > 32 || p.major < 0 {
				t.Fatalf("product %+v", p)
			}
		})
		urlHost(s)
		urlPort(s)
		ipLiteral(s)
		sh := measure(s)
		if sh.blob > len(s) || sh.entropy < 0 || sh.entropy > 8.0001 {
			t.Fatalf("shape %+v of %d bytes", sh, len(s))
		}
		uploadName(s, true)
		fileType(s, s)
		executable(&event.Event{URL: s, ContentType: s, FileName: s})
		if c := clip(s, 10); len(c) > 10+len("…") {
			t.Fatalf("clip %q", c)
		}
		if s != "" {
			externalName(s)
		}
	})
}
