package syslog

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/dnslog"
	"github.com/mamori-soc/mamori/ingest/netfilter"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/ingest/sshd"
)

var src = parse.Source{ModTime: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), Location: time.UTC}

// mixed is a syslog file as a small office box writes it, made of real
// lines from the crowdsec and fail2ban fixtures in testdata/ and of the
// dnsmasq sample.
var mixed = []string{
	"May 11 04:02:36 host1 postfix/smtpd[26897]: warning: unknown[192.168.1.1]: SASL LOGIN authentication failed: authentication failure",
	"Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502",
	"Jun  8 14:34:33 sd-126005 kernel: [50028442.088484] IN=enp1s0 OUT= MAC=00:08:a2:0c:1f:12:00:c8:8b:e2:d6:87:08:00 SRC=195.54.160.107 DST=51.15.166.67 LEN=40 TOS=0x00 PREC=0x00 TTL=245 ID=37308 PROTO=TCP SPT=8080 DPT=8123 WINDOW=1024 RES=0x00 SYN URGP=0",
	"Mar  4 10:00:03 gw dnsmasq[512]: query[A] qwxkjzpl.example.net from 10.0.0.9",
	"Mar  4 10:00:03 gw dnsmasq[512]: forwarded qwxkjzpl.example.net to 192.0.2.53",
	"Mar  4 10:00:03 gw CRON[3012]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
	"Mar  4 10:00:03 gw dnsmasq[512]: reply qwxkjzpl.example.net is NXDOMAIN",
	"Jul 24 14:16:55 raid5 named[3935]: client 194.145.196.18#4795: query 'ricreig.com/NS/IN' denied",
	"Feb 12 14:10:24 sd-126005 sshd-session[16379]: Invalid user pascal5 from 35.188.49.176 port 53502",
	"Jul 25 12:09:06 combo kernel: usbcore: registered new driver hub",
	"2023-11-14T00:20:42.738197+01:00 myserver sshd[1112652]: User root from 192.168.1.1 not allowed because not listed in AllowUsers",
}

// TestDispatch checks that each line decodes to exactly what its family's
// own format makes of it, and that the rest is skipped.
func TestDispatch(t *testing.T) {
	dec := New(src)
	own := map[string]parse.Decoder{
		"sshd":      sshd.New(src),
		"netfilter": netfilter.New(src),
		"dnsmasq":   dnslog.NewDnsmasq(src),
		"bind":      dnslog.NewBind(src),
	}
	var formats []string
	for _, line := range mixed {
		var ev event.Event
		err := dec.Decode([]byte(line), &ev)
		// Feed every family's decoder, so the stateful dnsmasq one sees
		// the question before its answer as the dispatcher does.
		wants := map[string]event.Event{}
		for name, d := range own {
			var w event.Event
			if d.Decode([]byte(line), &w) == nil {
				wants[name] = w
			}
		}
		if errors.Is(err, parse.ErrSkip) {
			formats = append(formats, "-")
			if len(wants) != 0 {
				t.Errorf("%q skipped, but decoded by %v", line, wants)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		formats = append(formats, ev.Format)
		if want, ok := wants[ev.Format]; !ok || !reflect.DeepEqual(ev, want) {
			t.Errorf("%q:\n got  %+v\n want %+v", line, ev, want)
		}
	}
	want := []string{"-", "sshd", "netfilter", "dnsmasq", "-", "-", "dnsmasq", "bind", "sshd", "-", "sshd"}
	if !reflect.DeepEqual(formats, want) {
		t.Errorf("formats %v, want %v", formats, want)
	}
}

func TestDispatchAnswerGetsClient(t *testing.T) {
	dec := New(src)
	var last event.Event
	for _, line := range mixed {
		var ev event.Event
		if dec.Decode([]byte(line), &ev) == nil && ev.Label == "reply" {
			last = ev
		}
	}
	if last.SrcIP.String() != "10.0.0.9" || last.RCode != "NXDOMAIN" || last.Query != "qwxkjzpl.example.net" {
		t.Errorf("answer across other programs' lines: %+v", last)
	}
}

func TestRejects(t *testing.T) {
	for line, reason := range map[string]string{
		"":                              "not syslog",
		"Mar 32 10:00:00 gw sshd[1]: x": "bad timestamp",
		"Mar  4 10:00:00":               "truncated line",
		"\x00\x01\xfe\xff":              "not syslog",
		`{"MESSAGE":"x","_PID":"1"}`:    "not syslog",
		"Mar  4 10:00:00 gw kernel: IN=eth0 OUT= SRC=1.2.3.999 DST=1.2.3.4": "bad address",
	} {
		var ev event.Event
		err := New(src).Decode([]byte(line), &ev)
		var r *parse.Reject
		if !errors.As(err, &r) || r.Reason != reason {
			t.Errorf("%q: err = %v, want reject %q", line, err, reason)
		}
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
	var mixedLines [][]byte
	for _, l := range mixed {
		mixedLines = append(mixedLines, []byte(l))
	}
	formats := []parse.Format{sshd.Format, netfilter.Format, dnslog.Dnsmasq, dnslog.Bind}
	best := func(lines [][]byte) (string, int) {
		name, score := "", 0
		for _, f := range append(formats, Format) {
			if s := f.Sniff("x", lines); s > score {
				name, score = f.Name, s
			}
		}
		return name, score
	}
	for name, tc := range map[string]struct {
		lines [][]byte
		want  string
	}{
		"mixed programs":         {mixedLines, "syslog"},
		"sshd only":              {read("testdata/crowdsec/ssh-bf.log"), "sshd"},
		"kernel only":            {read("testdata/crowdsec/iptables-logs.log"), "netfilter"},
		"dnsmasq and its dhcp":   {read("testdata/dnsmasq/dnsmasq.log"), "dnsmasq"},
		"bind own file":          {read("testdata/crowdsec/bind9-logs.log"), "bind"},
		"proxmox firewall":       {read("testdata/crowdsec/proxmox-iptables-logs.log"), "netfilter"},
		"readme":                 {read("testdata/README.md"), ""},
		"licence":                {read("testdata/crowdsec/LICENSE.txt"), ""},
		"json":                   {[][]byte{[]byte(`{"ts":1521911754.1,"uid":"C1"}`)}, ""},
		"zeek tsv":               {[][]byte{[]byte("#separator \\x09"), []byte("1521911754.1\tC1\t10.0.0.1")}, ""},
		"squid":                  {read("testdata/fail2ban/squid.log"), ""},
		"one other program only": {[][]byte{[]byte("Mar  4 10:00:03 gw CRON[3012]: (root) CMD (true)")}, "syslog"},
	} {
		t.Run(name, func(t *testing.T) {
			if got, score := best(tc.lines); got != tc.want {
				t.Errorf("best format %q (%d), want %q", got, score, tc.want)
			}
		})
	}
	if s := Sniff("x", mixedLines); s < 91 || s > 99 {
		t.Errorf("Sniff(mixed) = %d, want 91..99", s)
	}
}

// TestLoghub reads Loghub's Linux syslog sample from the shared data set
// when it is there (research-only licence: never copied into the repo).
func TestLoghub(t *testing.T) {
	path := "/work/shared/data/linux-auth-loghub/Linux_2k.log"
	f, err := os.Open(path)
	if err != nil {
		t.Skip("Loghub sample not present")
	}
	defer func() { _ = f.Close() }()
	dec := New(src)
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev event.Event
		switch err := dec.Decode(sc.Bytes(), &ev); {
		case err == nil:
			counts[ev.Format+"/"+ev.Label]++
		case errors.Is(err, parse.ErrSkip):
			counts["skip"]++
		default:
			counts["reject"]++
		}
	}
	// Old Linux PAM writes sshd(pam_unix)[pid]: authentication failure;
	// the sample has a few hundred of them and no other line mamori uses.
	if counts["sshd/pam-failure"] < 300 || counts["reject"] > 2 {
		t.Errorf("counts %v", counts)
	}
}

func FuzzDecode(f *testing.F) {
	for _, l := range mixed {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var ev event.Event
		err := New(src).Decode(line, &ev)
		if err == nil && (ev.Time.IsZero() || ev.Time.Location() != time.UTC || ev.Format == "") {
			t.Fatalf("accepted event with bad time or format: %+v", ev)
		}
		var r *parse.Reject
		if err != nil && !errors.Is(err, parse.ErrSkip) && !errors.As(err, &r) {
			t.Fatalf("error %v is neither ErrSkip nor *Reject", err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	lines := make([][]byte, len(mixed))
	for i, l := range mixed {
		lines[i] = []byte(l)
	}
	dec := New(src)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var ev event.Event
		_ = dec.Decode(lines[i%len(lines)], &ev)
	}
}
