package dnslog

import (
	"bufio"
	"encoding/json"
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

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestBindDecode(t *testing.T) {
	// Lines from crowdsec's (MIT) and fail2ban's (GPL-2.0) BIND fixtures,
	// copied in testdata/, and the query log shape of BIND 9's manual.
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return tm.UTC()
	}
	dns := func(t string) event.Event {
		return event.Event{Time: at(t), Format: "bind", Kind: event.KindDNS}
	}
	with := func(e event.Event, f func(*event.Event)) event.Event { f(&e); return e }
	tests := map[string]struct {
		line string
		want event.Event
	}{
		"query log with category and severity": {
			line: "24-Mar-2018 17:15:20.123 queries: info: client @0x7f8b2c0a1b30 10.0.0.5#51234 (example.com): query: example.com IN A +E(0)K (10.0.0.1)",
			want: with(dns("2018-03-24T17:15:20.123Z"), func(e *event.Event) {
				e.SrcIP, e.SrcPort, e.DstIP = ip("10.0.0.5"), 51234, ip("10.0.0.1")
				e.Query, e.QType, e.Transport, e.Label = "example.com", "A", "udp", "query"
			}),
		},
		"query log over tcp in syslog, older without object": {
			line: "Mar  4 10:00:00 ns1 named[812]: client 10.0.0.5#51235 (example.com): view internal: query: example.com IN AXFR -T (10.0.0.1)",
			want: with(dns("2026-03-04T10:00:00Z"), func(e *event.Event) {
				e.Observer = "ns1"
				e.SrcIP, e.SrcPort, e.DstIP = ip("10.0.0.5"), 51235, ip("10.0.0.1")
				e.Query, e.QType, e.Transport, e.Label = "example.com", "AXFR", "tcp", "query"
			}),
		},
		"query log iso time": {
			line: "2024-03-04T10:00:00.250+09:00 client @0x7f 2001:db8::5#5353 (x.example): query: x.example IN AAAA +E(0) (2001:db8::53)",
			want: with(dns("2024-03-04T01:00:00.250Z"), func(e *event.Event) {
				e.SrcIP, e.SrcPort, e.DstIP = ip("2001:db8::5"), 5353, ip("2001:db8::53")
				e.Query, e.QType, e.Transport, e.Label = "x.example", "AAAA", "udp", "query"
			}),
		},
		"query cache denied": {
			line: "19-Oct-2022 05:34:02.425 client @0x7f65100ee4d8 192.168.1.1#3076 (example.com): query (cache) 'example.com/ANY/IN' denied",
			want: with(dns("2022-10-19T05:34:02.425Z"), func(e *event.Event) {
				e.SrcIP, e.SrcPort = ip("192.168.1.1"), 3076
				e.Query, e.QType, e.RCode, e.Label, e.Action = "example.com", "ANY", "REFUSED", "query denied", event.ActionDeny
			}),
		},
		"query denied with acl": {
			line: "06-Feb-2025 10:32:43.895 security: info: client @0x7fcb602f4168 192.168.1.1#44717 (wr_test): query (cache) 'wr_test/A/IN' denied (allow-query-cache did not match)",
			want: with(dns("2025-02-06T10:32:43.895Z"), func(e *event.Event) {
				e.SrcIP, e.SrcPort = ip("192.168.1.1"), 44717
				e.Query, e.QType, e.RCode, e.Label, e.Action = "wr_test", "A", "REFUSED", "query denied", event.ActionDeny
				e.Message = "allow-query-cache did not match"
			}),
		},
		"old syslog query denied with view": {
			line: "Jul 24 14:23:36 raid5 named[3935]: client 62.109.4.89#9334: view external: query (cache) './NS/IN' denied",
			want: with(dns("2025-07-24T14:23:36Z"), func(e *event.Event) {
				e.Observer = "raid5"
				e.SrcIP, e.SrcPort = ip("62.109.4.89"), 9334
				e.Query, e.QType, e.RCode, e.Label, e.Action = ".", "NS", "REFUSED", "query denied", event.ActionDeny
			}),
		},
		"zone transfer denied ipv6": {
			line: "03-Nov-2022 13:34:52.235 security: error: client @0x7fb04c007328 ::1#62449 (example.com): zone transfer 'example.com/AXFR/IN' denied",
			want: with(dns("2022-11-03T13:34:52.235Z"), func(e *event.Event) {
				e.SrcIP, e.SrcPort = ip("::1"), 62449
				e.Query, e.QType, e.RCode, e.Label, e.Action = "example.com", "AXFR", "REFUSED", "zone transfer denied", event.ActionDeny
			}),
		},
		"bad zone transfer request": {
			line: "Aug 27 16:58:31 vhost1-ua named[29206]: client 176.9.92.38#42592 (simmarket.com.ua): bad zone transfer request: 'simmarket.com.ua/IN': non-authoritative zone (NOTAUTH)",
			want: with(dns("2025-08-27T16:58:31Z"), func(e *event.Event) {
				e.Observer = "vhost1-ua"
				e.SrcIP, e.SrcPort = ip("176.9.92.38"), 42592
				e.Query, e.RCode, e.Label, e.Action = "simmarket.com.ua", "NOTAUTH", "zone transfer denied", event.ActionDeny
			}),
		},
		"query failed": {
			line: "04-Mar-2026 10:00:00.000 query-errors: info: client @0x7f1 10.0.0.5#5353 (x.example): query failed (SERVFAIL) for x.example/IN/A at query.c:8096",
			want: with(dns("2026-03-04T10:00:00Z"), func(e *event.Event) {
				e.SrcIP, e.SrcPort = ip("10.0.0.5"), 5353
				e.Query, e.QType, e.RCode, e.Label, e.Outcome = "x.example", "A", "SERVFAIL", "query failed", event.OutcomeFailure
			}),
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var ev event.Event
			if err := NewBind(src).Decode([]byte(tt.line), &ev); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(ev, tt.want) {
				t.Errorf("got  %+v\nwant %+v", ev, tt.want)
			}
		})
	}
}

func TestBindInvalidUTF8(t *testing.T) {
	var ev event.Event
	line := "19-Oct-2022 05:34:02.425 client 192.168.1.1#3076 (x): query 'ex\xffample.com/ANY/IN' denied"
	if err := NewBind(src).Decode([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Query != "ex\uFFFDample.com" {
		t.Errorf("Query = %q", ev.Query)
	}
}

func TestBindSkipsAndRejects(t *testing.T) {
	tests := map[string]struct {
		line   string
		reason string // "" for parse.ErrSkip
	}{
		"zone loaded":          {"24-Mar-2018 17:15:20.123 general: info: zone example.com/IN: loaded serial 5", ""},
		"notify in syslog":     {"Jul 25 12:09:06 combo named[2306]: notify question section contains no SOA", ""},
		"other program":        {"Jul 25 12:09:06 combo sshd[2306]: Connection closed by 192.0.2.5", ""},
		"category as program":  {"Oct 23 02:06:39 security: info: client @0x7f4e446fd6e8 192.0.2.8#53 (example.io): query (cache) 'example.io/A/IN' denied", ""},
		"no timestamp":         {"client @0x7f8ac00071e8 ::1#62524 (example.com): zone transfer 'example.com/AXFR/IN' denied", "bad timestamp"},
		"journal without time": {"atom named[1806]: client @0x7fb13400eec0 192.0.2.1#61977 (.): query (cache) './ANY/IN' denied", "bad timestamp"},
		"bad date":             {"19-Oct-2022 25:34:02.425 client 192.168.1.1#3076 (example.com): query 'example.com/ANY/IN' denied", "bad timestamp"},
		"bad client":           {"19-Oct-2022 05:34:02.425 client 192.168.1.300#3076 (example.com): query 'example.com/ANY/IN' denied", "bad address"},
		"client without port":  {"19-Oct-2022 05:34:02.425 client 192.168.1.1 (example.com): query 'example.com/ANY/IN' denied", "bad address"},
		"truncated":            {"19-Oct-2022 05:34:02.425 client 192.168.1.1#3076 (example.com", "truncated line"},
		"time only":            {"19-Oct-2022 05:34:02.425", "truncated line"},
		"binary garbage":       {"\x00\x01\xff\xfe", "bad timestamp"},
		"json":                 {`{"ts":1521911754.1,"query":"x"}`, "bad timestamp"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var ev event.Event
			err := NewBind(src).Decode([]byte(tt.line), &ev)
			if tt.reason == "" {
				if !errors.Is(err, parse.ErrSkip) {
					t.Fatalf("err = %v, want ErrSkip", err)
				}
				return
			}
			var r *parse.Reject
			if !errors.As(err, &r) || r.Reason != tt.reason {
				t.Fatalf("err = %v, want reject %q", err, tt.reason)
			}
		})
	}
}

// TestBindFixtures decodes the BIND fixtures of crowdsec and fail2ban and
// checks the client against fail2ban's annotations.
func TestBindFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want [3]int // events, skipped, rejected
	}{
		// crowdsec: 2 lines carry no timestamp; 1 is a NOTAUTH request.
		{"crowdsec/bind9-logs.log", [3]int{11, 0, 2}},
		// fail2ban: the journal line has no time; two have a BIND
		// category where syslog has its tag, so their program is not named.
		{"fail2ban/named-refused.log", [3]int{13, 2, 1}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("..", "..", "testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			dec := NewBind(src)
			var got [3]int
			var host string
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				line := sc.Text()
				if j, ok := strings.CutPrefix(line, "# failJSON: "); ok {
					var note struct{ Host string }
					if err := json.Unmarshal([]byte(j), &note); err != nil {
						t.Fatal(err)
					}
					host = note.Host
					continue
				}
				if line == "" || line[0] == '#' {
					continue
				}
				var ev event.Event
				switch err := dec.Decode([]byte(line), &ev); {
				case err == nil:
					got[0]++
					if ev.Action != event.ActionDeny || ev.Query == "" {
						t.Errorf("%q: %+v", line, ev)
					}
					if host != "" && ev.SrcIP.String() != host {
						t.Errorf("%q: client %v, fail2ban says %s", line, ev.SrcIP, host)
					}
				case errors.Is(err, parse.ErrSkip):
					got[1]++
				default:
					got[2]++
				}
				host = ""
			}
			if got != tc.want {
				t.Errorf("events, skipped, rejected = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	read := func(p string) [][]byte {
		b, err := os.ReadFile(filepath.Join("..", "..", p))
		if err != nil {
			t.Fatal(err)
		}
		var lines [][]byte
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" && len(lines) < parse.SniffLines {
				lines = append(lines, []byte(l))
			}
		}
		return lines
	}
	other := map[string][][]byte{
		"licence":  read("testdata/crowdsec/LICENSE.txt"),
		"readme":   read("testdata/README.md"),
		"sshd":     read("testdata/crowdsec/ssh-bf.log"),
		"json":     {[]byte(`{"ts":1521911754.1,"uid":"C1","query":"example.com"}`)},
		"zeek tsv": {[]byte("#separator \\x09"), []byte("#fields\tts\tuid\tquery"), []byte("1521911754.1\tC1\texample.com")},
	}
	for name, lines := range other {
		for _, f := range Formats {
			if got := f.Sniff("x.log", lines); got != 0 {
				t.Errorf("%s sniffs %s as %d, want 0", f.Name, name, got)
			}
		}
	}
	if got := Bind.Sniff("named.log", read("testdata/crowdsec/bind9-logs.log")); got < 70 {
		t.Errorf("bind sniffs crowdsec's BIND log as %d, want at least 70", got)
	}
	if got := Dnsmasq.Sniff("dnsmasq.log", read("testdata/dnsmasq/dnsmasq.log")); got != 90 {
		t.Errorf("dnsmasq sniffs its log as %d, want 90", got)
	}
	if got := Dnsmasq.Sniff("named.log", read("testdata/crowdsec/bind9-logs.log")); got != 0 {
		t.Errorf("dnsmasq sniffs a BIND log as %d, want 0", got)
	}
	if got := Bind.Sniff("dnsmasq.log", read("testdata/dnsmasq/dnsmasq.log")); got != 0 {
		t.Errorf("bind sniffs a dnsmasq log as %d, want 0", got)
	}
}

func FuzzDecodeBind(f *testing.F) {
	for _, s := range []string{
		"24-Mar-2018 17:15:20.123 queries: info: client @0x7f8b2c0a1b30 10.0.0.5#51234 (example.com): query: example.com IN A +E(0)K (10.0.0.1)",
		"06-Feb-2025 10:32:43.895 security: info: client @0x7fcb602f4168 192.168.1.1#44717 (wr_test): query (cache) 'wr_test/A/IN' denied (allow-query-cache did not match)",
		"Jul 24 14:23:36 raid5 named[3935]: client 62.109.4.89#9334: view external: query (cache) './NS/IN' denied",
		"Aug 27 16:58:31 vhost1-ua named[29206]: client 176.9.92.38#42592 (x.ua): bad zone transfer request: 'x.ua/IN': non-authoritative zone (NOTAUTH)",
		"2024-03-04T10:00:00.250+09:00 client @0x7f 2001:db8::5#5353 (x.example): query failed (SERVFAIL) for x.example/IN/A at query.c:1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var ev event.Event
		err := NewBind(src).Decode(line, &ev)
		if err == nil && (ev.Time.IsZero() || ev.Time.Location() != time.UTC || !ev.SrcIP.IsValid()) {
			t.Fatalf("accepted event with bad time or client: %+v", ev)
		}
		var r *parse.Reject
		if err != nil && !errors.Is(err, parse.ErrSkip) && !errors.As(err, &r) {
			t.Fatalf("error %v is neither ErrSkip nor *Reject", err)
		}
	})
}

func BenchmarkDecodeBind(b *testing.B) {
	line := []byte("24-Mar-2018 17:15:20.123 queries: info: client @0x7f8b2c0a1b30 10.0.0.5#51234 (example.com): query: example.com IN A +E(0)K (10.0.0.1)")
	dec := NewBind(src)
	b.ReportAllocs()
	for b.Loop() {
		var ev event.Event
		if err := dec.Decode(line, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
