package squid

import (
	"bufio"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

var src = parse.Source{ModTime: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), Location: time.UTC}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func unix(sec, ms int64) time.Time { return time.UnixMilli(sec*1000 + ms).UTC() }

func TestDecode(t *testing.T) {
	// fail2ban's Squid fixture (testdata/fail2ban/squid.log) and the
	// examples of Squid's and its FAQ's documentation of the formats.
	tests := map[string]struct {
		line string
		want event.Event
	}{
		"denied by the proxy": {
			line: "1386543323.000      4 91.188.124.227 TCP_DENIED/403 4099 GET http://www.proxy-listen.de/azenv.php - HIER_NONE/- text/html",
			want: event.Event{Time: unix(1386543323, 0), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("91.188.124.227"),
				Method: "GET", URL: "http://www.proxy-listen.de/azenv.php", Domain: "www.proxy-listen.de", DstPort: 80,
				Status: 403, BytesIn: 4099, Duration: 4 * time.Millisecond, ContentType: "text/html",
				Label: "TCP_DENIED", Action: event.ActionDeny},
		},
		"connect method not allowed": {
			line: "1386543500.000      5 175.44.0.184 NONE/405 3364 CONNECT error:method-not-allowed - HIER_NONE/- text/html",
			want: event.Event{Time: unix(1386543500, 0), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("175.44.0.184"),
				Method: "CONNECT", URL: "error:method-not-allowed", Status: 405, BytesIn: 3364,
				Duration: 5 * time.Millisecond, ContentType: "text/html", Label: "NONE", Action: event.ActionAllow},
		},
		"miss direct": {
			line: "1286536309.450    226 192.168.0.5 TCP_MISS/200 4402 GET http://www.example.com/ - HIER_DIRECT/93.184.216.34 text/html",
			want: event.Event{Time: unix(1286536309, 450), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("192.168.0.5"),
				Method: "GET", URL: "http://www.example.com/", Domain: "www.example.com", DstPort: 80, DstIP: ip("93.184.216.34"),
				Status: 200, BytesIn: 4402, Duration: 226 * time.Millisecond, ContentType: "text/html",
				Label: "TCP_MISS", Action: event.ActionAllow},
		},
		"connect tunnel with user and user agent": {
			line: `1709514000.123   6021 10.0.0.5 TCP_TUNNEL/200 51234 CONNECT Update.Example.com:8443 alice HIER_DIRECT/203.0.113.7 - "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"`,
			want: event.Event{Time: unix(1709514000, 123), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("10.0.0.5"), User: "alice",
				Method: "CONNECT", URL: "Update.Example.com:8443", Domain: "update.example.com", DstPort: 8443, DstIP: ip("203.0.113.7"),
				Status: 200, BytesIn: 51234, Duration: 6021 * time.Millisecond, UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
				Label: "TCP_TUNNEL", Action: event.ActionAllow},
		},
		"request size (%>st) after the content type: an upload through a tunnel": {
			line: `1709514002.000 905120 10.0.0.5 TCP_TUNNEL/200 6120 CONNECT storage.googleapis.com:443 - HIER_DIRECT/142.250.196.123 - 312607837 "-" "rclone/v1.66.0"`,
			want: event.Event{Time: unix(1709514002, 0), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("10.0.0.5"),
				Method: "CONNECT", URL: "storage.googleapis.com:443", Domain: "storage.googleapis.com", DstPort: 443, DstIP: ip("142.250.196.123"),
				Status: 200, BytesIn: 6120, BytesOut: 312607837, Duration: 905120 * time.Millisecond, UserAgent: "rclone/v1.66.0",
				Label: "TCP_TUNNEL", Action: event.ActionAllow},
		},
		"referer and user agent appended": {
			line: `1709514001.000     12 10.0.0.5 TCP_MISS/200 830 GET https://[2001:db8::7]:8080/a?b=c - FIRSTUP_PARENT/10.0.0.1 application/json "http://ref.example/" "curl/8.5.0"`,
			want: event.Event{Time: unix(1709514001, 0), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("10.0.0.5"),
				Method: "GET", URL: "https://[2001:db8::7]:8080/a?b=c", Domain: "2001:db8::7", DstPort: 8080,
				Status: 200, BytesIn: 830, Duration: 12 * time.Millisecond, ContentType: "application/json", UserAgent: "curl/8.5.0",
				Label: "TCP_MISS", Action: event.ActionAllow},
		},
		"squid 2 direct by host name, no status": {
			line: "955682882.018 19 192.168.1.142 TCP_MISS/200 1722 GET http://www.corecom.com/ - DIRECT/www.corecom.com text/html",
			want: event.Event{Time: unix(955682882, 18), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("192.168.1.142"),
				Method: "GET", URL: "http://www.corecom.com/", Domain: "www.corecom.com", DstPort: 80,
				Status: 200, BytesIn: 1722, Duration: 19 * time.Millisecond, ContentType: "text/html",
				Label: "TCP_MISS", Action: event.ActionAllow},
		},
		"bad request": {
			line: "1709514002.000      0 10.0.0.9 NONE_NONE/400 3950 NONE error:invalid-request - HIER_NONE/- text/html",
			want: event.Event{Time: unix(1709514002, 0), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("10.0.0.9"),
				Method: "NONE", URL: "error:invalid-request", Status: 400, BytesIn: 3950, ContentType: "text/html",
				Label: "NONE_NONE", Action: event.ActionAllow},
		},
		"client by name": {
			line: "1709514003.000     40 pc12.office.lan TCP_MEM_HIT/200 2048 GET http://intra.example/logo.png - HIER_NONE/- image/png",
			want: event.Event{Time: unix(1709514003, 0), Format: "squid", Kind: event.KindHTTP, Message: "pc12.office.lan",
				Method: "GET", URL: "http://intra.example/logo.png", Domain: "intra.example", DstPort: 80,
				Status: 200, BytesIn: 2048, Duration: 40 * time.Millisecond, ContentType: "image/png",
				Label: "TCP_MEM_HIT", Action: event.ActionAllow},
		},
		"combined": {
			line: `192.168.0.5 - alice [24/Mar/2018:17:15:20 +0900] "GET http://www.example.com/index.html HTTP/1.1" 200 5120 "http://www.example.com/" "Mozilla/5.0" TCP_MISS:HIER_DIRECT`,
			want: event.Event{Time: time.Date(2018, 3, 24, 8, 15, 20, 0, time.UTC), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("192.168.0.5"), User: "alice",
				Method: "GET", URL: "http://www.example.com/index.html", Domain: "www.example.com", DstPort: 80,
				Status: 200, BytesIn: 5120, UserAgent: "Mozilla/5.0", Label: "TCP_MISS", Action: event.ActionAllow},
		},
		"common connect denied": {
			line: `10.0.0.7 - - [24/Mar/2018:17:15:21 +0900] "CONNECT evil.example:443 HTTP/1.1" 403 3811 TCP_DENIED:HIER_NONE`,
			want: event.Event{Time: time.Date(2018, 3, 24, 8, 15, 21, 0, time.UTC), Format: "squid", Kind: event.KindHTTP, SrcIP: ip("10.0.0.7"),
				Method: "CONNECT", URL: "evil.example:443", Domain: "evil.example", DstPort: 443,
				Status: 403, BytesIn: 3811, Label: "TCP_DENIED", Action: event.ActionDeny},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var ev event.Event
			if err := New(src).Decode([]byte(tt.line), &ev); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(ev, tt.want) {
				t.Errorf("got  %+v\nwant %+v", ev, tt.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := map[string]struct {
		line   string
		reason string
	}{
		"truncated":           {"1386543323.000      4 91.188.124.227 TCP_DENIED/403 4099 GET", "too few fields"},
		"bad elapsed":         {"1386543323.000     x4 91.188.124.227 TCP_DENIED/403 4099 GET http://a/ - HIER_NONE/- text/html", "bad number"},
		"bad bytes":           {"1386543323.000      4 91.188.124.227 TCP_DENIED/403 -1 GET http://a/ - HIER_NONE/- text/html", "bad number"},
		"bad status":          {"1386543323.000      4 91.188.124.227 TCP_DENIED/forbidden 4099 GET http://a/ - HIER_NONE/- text/html", "bad status"},
		"code lowercase":      {"1386543323.000      4 91.188.124.227 tcp_denied/403 4099 GET http://a/ - HIER_NONE/- text/html", "bad status"},
		"huge timestamp":      {"99999999999999999.000 4 91.188.124.227 TCP_DENIED/403 4099 GET http://a/ - HIER_NONE/- text/html", "bad timestamp"},
		"apache access log":   {`192.168.0.5 - - [24/Mar/2018:17:15:20 +0900] "GET /index.html HTTP/1.1" 200 5120 "-" "Mozilla/5.0"`, "not squid"},
		"combined bad time":   {`192.168.0.5 - - [24/Foo/2018:17:15:20 +0900] "GET / HTTP/1.1" 200 5 TCP_MISS:HIER_DIRECT`, "bad timestamp"},
		"combined open quote": {`192.168.0.5 - - [24/Mar/2018:17:15:20 +0900] "GET / HTTP/1.1`, "truncated line"},
		"combined bad status": {`192.168.0.5 - - [24/Mar/2018:17:15:20 +0900] "GET / HTTP/1.1" 2x0 5 TCP_MISS:HIER_DIRECT`, "bad status"},
		"zeek tsv":            {"1521911754.123456\tCx1\t10.0.0.1\t53", "not squid"},
		"json":                {`{"ts":1521911754.1,"uid":"C1"}`, "not squid"},
		"readme":              {"# Squid samples", "not squid"},
		"binary garbage":      {"\x00\x01\x02\xff", "not squid"},
		"empty":               {"   ", "not squid"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var ev event.Event
			err := New(src).Decode([]byte(tt.line), &ev)
			var r *parse.Reject
			if !errors.As(err, &r) || r.Reason != tt.reason {
				t.Fatalf("err = %v, want reject %q", err, tt.reason)
			}
		})
	}
}

func TestDecodeInvalidUTF8(t *testing.T) {
	var ev event.Event
	line := "1709514003.000     40 10.0.0.5 TCP_MISS/200 2048 GET http://intra.example/\xff - HIER_NONE/- image/png"
	if err := New(src).Decode([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.URL != "http://intra.example/\uFFFD" {
		t.Errorf("URL = %q", ev.URL)
	}
}

// TestFail2banFixture decodes fail2ban's Squid fixture; its comment lines
// are not log lines and are rejected.
func TestFail2banFixture(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "fail2ban", "squid.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	dec := New(src)
	var hosts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var ev event.Event
		if err := dec.Decode([]byte(line), &ev); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		hosts = append(hosts, ev.SrcIP.String())
	}
	want := []string{"91.188.124.227", "175.44.0.184", "198.74.125.200", "175.42.91.151"}
	if !reflect.DeepEqual(hosts, want) {
		t.Errorf("clients %v, want %v (fail2ban's annotations)", hosts, want)
	}
}

func TestSniff(t *testing.T) {
	lines := func(ss ...string) [][]byte {
		var out [][]byte
		for _, s := range ss {
			out = append(out, []byte(s))
		}
		return out
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fail2ban", "squid.log"))
	if err != nil {
		t.Fatal(err)
	}
	var fixture [][]byte
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			fixture = append(fixture, []byte(l))
		}
	}
	tests := map[string]struct {
		lines           [][]byte
		atLeast, atMost int
	}{
		"native":                {lines("1286536309.450    226 192.168.0.5 TCP_MISS/200 4402 GET http://www.example.com/ - HIER_DIRECT/93.184.216.34 text/html"), 90, 90},
		"fixture with comments": {fixture, 20, 60},
		"apache log":            {lines(`192.168.0.5 - - [24/Mar/2018:17:15:20 +0900] "GET / HTTP/1.1" 200 5 "-" "x"`), 0, 0},
		"readme":                {lines("# Test data", "", "Small slices of real, public log data."), 0, 0},
		"json":                  {lines(`{"ts":1521911754.1,"uid":"C1","id.orig_h":"10.0.0.1"}`), 0, 0},
		"zeek tsv":              {lines("#separator \\x09", "#fields\tts\tuid", "1521911754.123456\tC1\t10.0.0.1\t53\t10.0.0.2\t80"), 0, 0},
		"syslog":                {lines("Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502"), 0, 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Format.Sniff("access.log", tt.lines); got < tt.atLeast || got > tt.atMost {
				t.Errorf("Sniff = %d, want %d..%d", got, tt.atLeast, tt.atMost)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"1386543323.000      4 91.188.124.227 TCP_DENIED/403 4099 GET http://www.proxy-listen.de/azenv.php - HIER_NONE/- text/html",
		"1386543500.000      5 175.44.0.184 NONE/405 3364 CONNECT error:method-not-allowed - HIER_NONE/- text/html",
		`1709514001.000     12 10.0.0.5 TCP_MISS/200 830 GET https://[2001:db8::7]:8080/a - FIRSTUP_PARENT/10.0.0.1 application/json "r" "ua"`,
		`192.168.0.5 - alice [24/Mar/2018:17:15:20 +0900] "GET http://www.example.com/ HTTP/1.1" 200 5120 "-" "Mozilla/5.0" TCP_MISS:HIER_DIRECT`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var ev event.Event
		err := New(src).Decode(line, &ev)
		if err == nil && (ev.Time.IsZero() || ev.Time.Location() != time.UTC || ev.Kind != event.KindHTTP) {
			t.Fatalf("accepted event with bad time or kind: %+v", ev)
		}
		var r *parse.Reject
		if err != nil && !errors.As(err, &r) {
			t.Fatalf("error %v is not a *Reject", err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	lines := [][]byte{
		[]byte("1286536309.450    226 192.168.0.5 TCP_MISS/200 4402 GET http://www.example.com/index.html - HIER_DIRECT/93.184.216.34 text/html"),
		[]byte(`1709514000.123   6021 10.0.0.5 TCP_TUNNEL/200 51234 CONNECT update.example.com:443 alice HIER_DIRECT/203.0.113.7 - "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"`),
		[]byte(`192.168.0.5 - alice [24/Mar/2018:17:15:20 +0900] "GET http://www.example.com/index.html HTTP/1.1" 200 5120 "http://www.example.com/" "Mozilla/5.0" TCP_MISS:HIER_DIRECT`),
	}
	dec := New(src)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var ev event.Event
		if err := dec.Decode(lines[i%len(lines)], &ev); err != nil {
			b.Fatal(err)
		}
	}
}
