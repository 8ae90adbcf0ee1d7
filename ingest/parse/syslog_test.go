package parse

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

var jst = time.FixedZone("JST", 9*3600)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParseSyslog(t *testing.T) {
	// Lines from crowdsec's and fail2ban's test fixtures, journalctl output
	// shapes and RFC 5424's own examples. The file is from 2026-03-10 in
	// Japan unless a case says otherwise.
	src := Source{ModTime: utc("2026-03-10T00:00:00Z"), Location: jst}
	tests := map[string]struct {
		line string
		src  *Source
		want Syslog
	}{
		"rfc3164 space-padded day": {
			line: "Jun  8 14:34:33 sd-126005 kernel: [50028442.088484] IN=enp1s0 OUT= MAC=00:08",
			want: Syslog{Time: utc("2025-06-08T05:34:33Z"), Host: "sd-126005", Program: "kernel", Message: "IN=enp1s0 OUT= MAC=00:08"},
		},
		"rfc3164 pid": {
			line: "Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502",
			want: Syslog{Time: utc("2026-02-12T05:10:21Z"), Host: "sd-126005", Program: "sshd", PID: "16378", Message: "Invalid user pascal from 35.188.49.176 port 53502"},
		},
		"rfc3164 unpadded day": {
			line: "Nov 2 15:40:14 workshop sshd[28179]: pam_unix(sshd:auth): authentication failure; rhost=5.33.63.160",
			want: Syslog{Time: utc("2025-11-02T06:40:14Z"), Host: "workshop", Program: "sshd", PID: "28179", Message: "pam_unix(sshd:auth): authentication failure; rhost=5.33.63.160"},
		},
		"journal short zero-padded day": {
			line: "Mar 04 10:00:00 gw dnsmasq[512]: query[A] example.com from 10.0.0.5",
			want: Syslog{Time: utc("2026-03-04T01:00:00Z"), Host: "gw", Program: "dnsmasq", PID: "512", Message: "query[A] example.com from 10.0.0.5"},
		},
		"journal short-precise": {
			line: "Mar 04 10:00:00.123456 gw sshd-session[1571]: Failed password for root from 192.0.2.1 port 56502 ssh2",
			want: Syslog{Time: utc("2026-03-04T01:00:00.123456Z"), Host: "gw", Program: "sshd-session", PID: "1571", Message: "Failed password for root from 192.0.2.1 port 56502 ssh2"},
		},
		"journal short-iso": {
			line: "2026-03-04T10:00:00+0900 gw named[812]: client @0x7f 10.0.0.5#5353 (x): query: x IN A + (10.0.0.1)",
			want: Syslog{Time: utc("2026-03-04T01:00:00Z"), Host: "gw", Program: "named", PID: "812", Message: "client @0x7f 10.0.0.5#5353 (x): query: x IN A + (10.0.0.1)"},
		},
		"rfc3339 rsyslog": {
			line: "2023-11-14T00:20:42.738197+01:00 myserver sshd[1112652]: User root from 192.168.1.1 not allowed because not listed in AllowUsers",
			want: Syslog{Time: utc("2023-11-13T23:20:42.738197Z"), Host: "myserver", Program: "sshd", PID: "1112652", Message: "User root from 192.168.1.1 not allowed because not listed in AllowUsers"},
		},
		"rfc3339 utc postfix program": {
			line: "2024-08-26T01:33:38.572449+00:00 machine postfix/smtpd[60203]: NOQUEUE: reject: RCPT",
			want: Syslog{Time: utc("2024-08-26T01:33:38.572449Z"), Host: "machine", Program: "postfix/smtpd", PID: "60203", Message: "NOQUEUE: reject: RCPT"},
		},
		"rfc3339 without zone is local": {
			line: "2026-03-04T10:00:00 gw kernel: IN=eth0 OUT=",
			want: Syslog{Time: utc("2026-03-04T01:00:00Z"), Host: "gw", Program: "kernel", Message: "IN=eth0 OUT="},
		},
		"rfc5424 nil structured data": {
			line: "<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2",
			want: Syslog{Time: utc("2019-07-08T21:40:16.954167Z"), Host: "hostname.example.com", Program: "sshd", PID: "57915", Message: "Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2"},
		},
		"rfc5424 structured data with brackets": {
			line: `<38>1 2019-07-08T17:40:17.954167-04:00 hostname.example.com sshd 55555 - [timeQuality tzKnown="1" isSynced="0"][xxx@123 test="[brackets\]"] Failed unknown for invalid user redmond from 192.0.2.2 port 55555 ssh2`,
			want: Syslog{Time: utc("2019-07-08T21:40:17.954167Z"), Host: "hostname.example.com", Program: "sshd", PID: "55555", Message: "Failed unknown for invalid user redmond from 192.0.2.2 port 55555 ssh2"},
		},
		"rfc5424 nil fields and no message": {
			line: "<134>1 2022-09-06T18:37:34Z - - - - -",
			want: Syslog{Time: utc("2022-09-06T18:37:34Z")},
		},
		"rfc5424 bom": {
			line: "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] \uFEFFAn application event",
			want: Syslog{Time: utc("2003-10-11T22:14:15.003Z"), Host: "mymachine.example.com", Program: "evntslog", Message: "An application event"},
		},
		"pri before rfc3164": {
			line: "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
			want: Syslog{Time: utc("2025-10-11T13:14:15Z"), Host: "mymachine", Program: "su", Message: "'su root' failed for lonvick on /dev/pts/8"},
		},
		"no host (dnsmasq log file)": {
			line: "Nov 23 21:50:19 sshd[8148]: Disconnecting: Too many authentication failures for root [preauth]",
			want: Syslog{Time: utc("2025-11-23T12:50:19Z"), Program: "sshd", PID: "8148", Message: "Disconnecting: Too many authentication failures for root [preauth]"},
		},
		"tag without colon": {
			line: "Jun 25 23:53:34 srv sshd[123] User root from 1.2.3.4 not allowed",
			want: Syslog{Time: utc("2025-06-25T14:53:34Z"), Host: "srv", Program: "sshd", PID: "123", Message: "User root from 1.2.3.4 not allowed"},
		},
		"no tag": {
			line: "Mar  4 10:00:00 gw -- MARK --",
			want: Syslog{Time: utc("2026-03-04T01:00:00Z"), Host: "gw", Message: "-- MARK --"},
		},
		"ipv6 host": {
			line: "Mar  4 10:00:00 2001:db8::1 sshd[1]: Connection closed by 192.0.2.5",
			want: Syslog{Time: utc("2026-03-04T01:00:00Z"), Host: "2001:db8::1", Program: "sshd", PID: "1", Message: "Connection closed by 192.0.2.5"},
		},
		"solaris message id": {
			line: "Mar 29 05:20:09 dusky sshd[19558]: [ID 800047 auth.info] Failed keyboard-interactive for james from 205.186.180.30 port 54520 ssh2",
			want: Syslog{Time: utc("2025-03-28T20:20:09Z"), Host: "dusky", Program: "sshd", PID: "19558", Message: "Failed keyboard-interactive for james from 205.186.180.30 port 54520 ssh2"},
		},
		"kernel uptime without space inside": {
			line: "Sep 27 20:56:38 ubuntu-focal kernel: [  203.842973] IPTABLES-DROP: IN=lo OUT= ",
			want: Syslog{Time: utc("2025-09-27T11:56:38Z"), Host: "ubuntu-focal", Program: "kernel", Message: "IPTABLES-DROP: IN=lo OUT= "},
		},
		"non-kernel bracket kept": {
			line: "Mar  4 10:00:00 gw app: [12.5] not an uptime",
			want: Syslog{Time: utc("2026-03-04T01:00:00Z"), Host: "gw", Program: "app", Message: "[12.5] not an uptime"},
		},
		"explicit year": {
			line: "Dec 31 23:59:59 gw sshd[1]: x",
			src:  &Source{Year: 2020, Location: time.UTC},
			want: Syslog{Time: utc("2020-12-31T23:59:59Z"), Host: "gw", Program: "sshd", PID: "1", Message: "x"},
		},
		"leap day walks back to a leap year": {
			line: "Feb 29 12:00:00 gw sshd[1]: x",
			src:  &Source{ModTime: utc("2027-03-01T00:00:00Z"), Location: time.UTC},
			want: Syslog{Time: utc("2024-02-29T12:00:00Z"), Host: "gw", Program: "sshd", PID: "1", Message: "x"},
		},
		"invalid utf-8 replaced": {
			line: "Mar  4 10:00:00 gw sshd[1]: Invalid user \xff\xfeadm from 192.0.2.1",
			want: Syslog{Time: utc("2026-03-04T01:00:00Z"), Host: "gw", Program: "sshd", PID: "1", Message: "Invalid user \uFFFDadm from 192.0.2.1"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := src
			if tt.src != nil {
				s = *tt.src
			}
			got, err := ParseSyslog([]byte(tt.line), s)
			if err != nil {
				t.Fatalf("ParseSyslog: %v", err)
			}
			if !got.Time.Equal(tt.want.Time) || got.Time.Location() != time.UTC {
				t.Errorf("Time = %v, want %v (UTC)", got.Time, tt.want.Time)
			}
			got.Time, tt.want.Time = time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseSyslogRejects(t *testing.T) {
	src := Source{ModTime: utc("2026-03-10T00:00:00Z"), Location: time.UTC}
	tests := map[string]struct {
		line   string
		reason string
	}{
		"empty":                 {"", "not syslog"},
		"readme":                {"# mamori test data", "not syslog"},
		"json":                  {`{"ts":1521911754.1,"uid":"C1"}`, "not syslog"},
		"zeek tsv":              {"1521911754.123456\tCx1\t10.0.0.1\t53", "bad timestamp"},
		"binary garbage":        {"\x00\x01\x02\xff\xfe garbage", "not syslog"},
		"bad month":             {"Maz  4 10:00:00 gw x: y", "not syslog"},
		"day 32":                {"Mar 32 10:00:00 gw sshd[1]: x", "bad timestamp"},
		"hour 24":               {"Mar  4 24:00:00 gw sshd[1]: x", "bad timestamp"},
		"letters in clock":      {"Mar  4 1a:00:00 gw sshd[1]: x", "bad timestamp"},
		"feb 30":                {"2026-02-30T10:00:00Z gw sshd[1]: x", "bad timestamp"},
		"bad offset":            {"2026-03-04T10:00:00+99:00 gw sshd[1]: x", "bad timestamp"},
		"timestamp only":        {"Mar  4 10:00:00", "truncated line"},
		"timestamp and spaces":  {"Mar  4 10:00:00   ", "truncated line"},
		"glued to host":         {"Mar  4 10:00:00gw sshd[1]: x", "bad timestamp"},
		"bad priority":          {"<abc>Mar  4 10:00:00 gw x: y", "not syslog"},
		"unterminated priority": {"<13", "not syslog"},
		"5424 nil timestamp":    {"<34>1 - gw app - - - msg", "bad timestamp"},
		"5424 truncated":        {"<34>1 2026-03-04T10:00:00Z gw", "truncated line"},
		"5424 bad sd":           {"<34>1 2026-03-04T10:00:00Z gw app 1 - [unterminated sd", "bad structured data"},
		"5424 sd not bracket":   {"<34>1 2026-03-04T10:00:00Z gw app 1 - x msg", "bad structured data"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSyslog([]byte(tt.line), src)
			var r *Reject
			if !errors.As(err, &r) {
				t.Fatalf("err = %v, want a *Reject", err)
			}
			if r.Reason != tt.reason {
				t.Errorf("reason = %q (%v), want %q", r.Reason, err, tt.reason)
			}
		})
	}
}

// TestParseSyslogYearRollover checks the year inference on a file that
// spans New Year and was last written on January 2nd.
func TestParseSyslogYearRollover(t *testing.T) {
	tests := map[string]struct {
		mod  string
		line string
		want string
	}{
		"dec 31 before new year":      {"2026-01-02T08:00:00Z", "Dec 31 23:59:59 gw x: y", "2025-12-31T23:59:59Z"},
		"jan 1 after new year":        {"2026-01-02T08:00:00Z", "Jan  1 00:00:01 gw x: y", "2026-01-01T00:00:01Z"},
		"within skew tolerance":       {"2026-03-04T10:00:00Z", "Mar  4 20:00:00 gw x: y", "2026-03-04T20:00:00Z"},
		"past tolerance is last year": {"2026-03-04T10:00:00Z", "Mar  6 10:00:00 gw x: y", "2025-03-06T10:00:00Z"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h, err := ParseSyslog([]byte(tt.line), Source{ModTime: utc(tt.mod), Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			if want := utc(tt.want); !h.Time.Equal(want) {
				t.Errorf("Time = %v, want %v", h.Time, want)
			}
		})
	}
}

func TestParseSyslogZeroModTimeUsesNow(t *testing.T) {
	now := time.Now().UTC()
	line := now.Add(-time.Hour).Format(time.Stamp) + " gw x: y"
	h, err := ParseSyslog([]byte(line), Source{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if d := now.Sub(h.Time); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("Time = %v, want about an hour before %v", h.Time, now)
	}
}

func TestParseSyslogLiveUsesNow(t *testing.T) {
	// A followed file opened long ago: its ModTime would put a line
	// written now a year back.
	now := time.Now().UTC()
	line := now.Add(-time.Minute).Format(time.Stamp) + " gw x: y"
	src := Source{ModTime: now.AddDate(0, -11, 0), Location: time.UTC, Live: true}
	h, err := ParseSyslog([]byte(line), src)
	if err != nil {
		t.Fatal(err)
	}
	if d := now.Sub(h.Time); d < 0 || d > 2*time.Minute {
		t.Errorf("Time = %v, want about a minute before %v", h.Time, now)
	}
}

func TestParseDMY(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string
		n    int
	}{
		"apache with zone": {"24/Mar/2018:17:15:20 +0900 \"GET", "2018-03-24T08:15:20Z", 26},
		"proxmox":          {"20/Jun/2022:13:09:14 +0200 policy DROP:", "2022-06-20T11:09:14Z", 26},
		"bind local time":  {"24-Mar-2018 17:15:20.123 queries:", "2018-03-24T17:15:20.123Z", 24},
		"single digit day": {"3-Nov-2022 13:34:52.235 client", "2022-11-03T13:34:52.235Z", 23},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, n, err := ParseDMY(tt.in, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(utc(tt.want)) || n != tt.n {
				t.Errorf("got %v, %d; want %v, %d", got, n, tt.want, tt.n)
			}
		})
	}
	for _, bad := range []string{"", "24/Mar/2018", "24/Foo/2018:17:15:20 +0900", "31/Apr/2018:17:15:20", "24/Mar-2018:17:15:20", "24/Mar/2018:17:15:20 +9900"} {
		if _, _, err := ParseDMY(bad, time.UTC); RejectReason(err) != "bad timestamp" {
			t.Errorf("ParseDMY(%q) err = %v, want bad timestamp", bad, err)
		}
	}
}

func TestParseISO(t *testing.T) {
	got, n, err := ParseISO("2024-03-04T10:00:00.123+09:00 client", time.UTC)
	if err != nil || !got.Equal(utc("2024-03-04T01:00:00.123Z")) || n != 29 {
		t.Errorf("got %v, %d, %v", got, n, err)
	}
	got, n, err = ParseISO("2024-03-04 10:00:00.5 client", jst)
	if err != nil || !got.Equal(utc("2024-03-04T01:00:00.5Z")) || n != 21 {
		t.Errorf("zoneless: got %v, %d, %v", got, n, err)
	}
	for _, bad := range []string{"", "2024", "2024-13-04T10:00:00Z", "abcd-03-04T10:00:00Z"} {
		if _, _, err := ParseISO(bad, time.UTC); RejectReason(err) != "bad timestamp" {
			t.Errorf("ParseISO(%q) err = %v", bad, err)
		}
	}
}

func FuzzParseSyslog(f *testing.F) {
	for _, s := range []string{
		"Jun  8 14:34:33 sd-126005 kernel: [50028442.088484] IN=enp1s0 OUT=",
		"Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502",
		"2023-11-14T00:20:42.738197+01:00 myserver sshd[1112652]: User root",
		`<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - [a b="[x\]"][c] Failed`,
		"<34>Oct 11 22:14:15 mymachine su: 'su root' failed",
		"Mar 29 05:20:09 dusky sshd[19558]: [ID 800047 auth.info] Failed",
		"Feb 29 12:00:00 gw x: y",
	} {
		f.Add([]byte(s))
	}
	src := Source{ModTime: utc("2026-03-10T00:00:00Z"), Location: jst}
	f.Fuzz(func(t *testing.T, line []byte) {
		h, err := ParseSyslog(line, src)
		if err != nil {
			var r *Reject
			if !errors.As(err, &r) {
				t.Fatalf("error %v is not a *Reject", err)
			}
			return
		}
		if h.Time.IsZero() || h.Time.Location() != time.UTC {
			t.Fatalf("bad time %v", h.Time)
		}
		for _, s := range []string{h.Host, h.Program, h.PID, h.Message} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
	})
}

func BenchmarkParseSyslog(b *testing.B) {
	lines := map[string]string{
		"rfc3164": "Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502",
		"rfc3339": "2023-11-14T00:20:42.738197+01:00 myserver sshd[1112652]: User root from 192.168.1.1 not allowed",
		"rfc5424": `<38>1 2019-07-08T17:40:17.954167-04:00 hostname.example.com sshd 55555 - [timeQuality tzKnown="1"] Failed unknown`,
	}
	src := Source{ModTime: utc("2026-03-10T00:00:00Z"), Location: jst}
	for name, l := range lines {
		line := []byte(l)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if _, err := ParseSyslog(line, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
