package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/store"
)

// importAll imports paths into a fresh store through a pipeline run to its
// end, and returns the summary and the store.
func importAll(t *testing.T, opt ImportOptions, paths ...string) (Summary, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	stats := NewStats()
	p := NewPipeline(st, stats, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	err = Import(ctx, p, st, paths, opt)
	p.CloseInput()
	if rerr := <-done; rerr != nil || err != nil {
		t.Fatalf("import: %v; pipeline: %v", err, rerr)
	}
	return Summarize(stats.Snapshot()), st
}

// TestEveryFormatRejectsTimesOutOfRange: a line of any format dated after
// 2262 (or before 1970) is rejected with the reason and the year, by the
// one check every format's events pass, instead of being stored with its
// time wrapped into another century (a Squid epoch of year 3000 was stored
// as 1830, RFC 5424 syslog of 2300 as 1715).
func TestEveryFormatRejectsTimesOutOfRange(t *testing.T) {
	type tc struct {
		format   string
		year     int // Options.Year, for timestamps without one
		good     []string
		bad      string
		wantYear string
	}
	cases := map[string]tc{
		"squid epoch": {format: "squid",
			good:     []string{"1386543323.000      4 91.188.124.227 TCP_DENIED/403 4099 GET http://www.proxy-listen.de/azenv.php - HIER_NONE/- text/html"},
			bad:      "32503680000.000      4 91.188.124.227 TCP_DENIED/403 4099 GET http://www.proxy-listen.de/azenv.php - HIER_NONE/- text/html",
			wantYear: "year 3000"},
		"syslog RFC 5424 in 2300": {format: "sshd",
			good:     []string{"<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed password for invalid user redmond from 192.0.2.1 port 59197 ssh2"},
			bad:      "<38>1 2300-10-11T22:14:15.003Z hostname.example.com sshd 57915 - - Failed password for invalid user redmond from 192.0.2.1 port 59197 ssh2",
			wantYear: "year 2300"},
		"syslog RFC 5424 in 9999": {format: "syslog",
			good:     []string{"<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed password for invalid user redmond from 192.0.2.1 port 59197 ssh2"},
			bad:      "<38>1 9999-12-31T23:59:59Z hostname.example.com sshd 57915 - - Failed password for invalid user redmond from 192.0.2.1 port 59197 ssh2",
			wantYear: "year 9999"},
		"syslog RFC 3164 with year 3000": {format: "sshd", year: 3000,
			bad:      "Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502",
			wantYear: "year 3000"},
		"zeek ts": {format: "zeek",
			good:     []string{`{"ts":1700828217.314165,"uid":"CfykLO1IT1nVRJhLA3","id.orig_h":"192.168.1.9","id.orig_p":50820,"id.resp_h":"45.33.32.156","id.resp_p":443,"proto":"tcp","conn_state":"REJ"}`},
			bad:      `{"ts":32503680000.5,"uid":"CfykLO1IT1nVRJhLA4","id.orig_h":"192.168.1.9","id.orig_p":50821,"id.resp_h":"45.33.32.156","id.resp_p":443,"proto":"tcp","conn_state":"REJ"}`,
			wantYear: "year 3000"},
		"zeek ts before 1970": {format: "zeek",
			good:     []string{`{"ts":1700828217.314165,"uid":"CfykLO1IT1nVRJhLA3","id.orig_h":"192.168.1.9","id.orig_p":50820,"id.resp_h":"45.33.32.156","id.resp_p":443,"proto":"tcp","conn_state":"REJ"}`},
			bad:      `{"ts":"1960-01-01T00:00:00Z","uid":"CfykLO1IT1nVRJhLA4","id.orig_h":"192.168.1.9","id.orig_p":50821,"id.resp_h":"45.33.32.156","id.resp_p":443,"proto":"tcp","conn_state":"REJ"}`,
			wantYear: "year 1960"},
		"suricata timestamp": {format: "suricata",
			good:     []string{`{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":445348883402532,"event_type":"flow","src_ip":"192.168.1.132","src_port":1900,"dest_ip":"192.168.1.129","dest_port":44232,"proto":"UDP","app_proto":"failed","flow":{"pkts_toserver":12,"pkts_toclient":0,"bytes_toserver":4056,"bytes_toclient":0,"start":"2021-06-06T16:38:55.855844+0200","end":"2021-06-06T16:38:56.963027+0200","age":1,"state":"new","reason":"timeout","alerted":false},"host":"stratosphere.org"}`},
			bad:      `{"timestamp":"3000-06-06T15:57:37.272281+0200","flow_id":445348883402533,"event_type":"flow","src_ip":"192.168.1.132","src_port":1900,"dest_ip":"192.168.1.129","dest_port":44232,"proto":"UDP","app_proto":"failed","flow":{"pkts_toserver":12,"pkts_toclient":0,"bytes_toserver":4056,"bytes_toclient":0,"start":"3000-06-06T16:38:55.855844+0200","end":"3000-06-06T16:38:56.963027+0200","age":1,"state":"new","reason":"timeout","alerted":false},"host":"stratosphere.org"}`,
			wantYear: "year 3000"},
		"bind": {format: "bind",
			good:     []string{"24-Mar-2018 17:15:20.123 queries: info: client @0x7f8b2c0a1b30 10.0.0.5#51234 (example.com): query: example.com IN A +E(0)K (10.0.0.1)"},
			bad:      "24-Mar-3000 17:15:20.123 queries: info: client @0x7f8b2c0a1b30 10.0.0.5#51234 (example.com): query: example.com IN A +E(0)K (10.0.0.1)",
			wantYear: "year 3000"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "collected.log")
			lines := append(append([]string(nil), c.good...), c.bad)
			if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			opt := ImportOptions{Options: Options{Formats: Formats(), Format: c.format, Year: c.year, Location: time.UTC}}
			sum, st := importAll(t, opt, path)
			if sum.Events != int64(len(c.good)) || sum.RejectedByReason["timestamp out of range"] != 1 {
				t.Fatalf("%d events, rejected %v; want %d events and the bad line rejected as out of range (sources %+v)",
					sum.Events, sum.RejectedByReason, len(c.good), sum.Sources)
			}
			var sample string
			for _, s := range sum.Sources[0].Samples {
				if s.Reason == "timestamp out of range" {
					sample = s.Detail
				}
			}
			if !strings.Contains(sample, c.wantYear) {
				t.Errorf("the reject does not say %q: %q", c.wantYear, sample)
			}
			n := 0
			err := st.Events(context.Background(), time.Time{}, time.Time{}, func(s store.Stored) error {
				n++
				if y := s.Event.Time.Year(); y < 2000 || y > 2100 {
					return fmt.Errorf("an event stored in %d: %q", y, s.Event.Raw)
				}
				return nil
			})
			if err != nil || n != len(c.good) {
				t.Fatalf("%d events stored, %v; want the %d good ones only", n, err, len(c.good))
			}
		})
	}
}

// TestFutureDatedLinesAreFlagged: a line dated beyond the skew is stored,
// counted in a note of its source, and moves nothing: not the source's
// last event time, and no "time goes back" notes for the lines after it.
func TestFutureDatedLinesAreFlagged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	future := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
	body := testLine(0) + "\n" + future + " 10.0.10.9 from the future\n" +
		"2200-01-01T00:00:00Z 10.0.10.9 forged\n" + testLine(1) + "\n" + testLine(2) + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	opt := ImportOptions{Options: testOptions()}
	opt.MaxFutureSkew = 48 * time.Hour
	sum, _ := importAll(t, opt, path)
	note := FutureNote(48 * time.Hour)
	if note != "dated more than 48h in the future" {
		t.Errorf("note %q", note)
	}
	src := sum.Sources[0]
	if sum.Events != 5 || src.Notes[note] != 2 || len(src.Notes) != 1 {
		t.Fatalf("%d events, notes %v; want 5 stored and 2 noted %q, nothing else", sum.Events, src.Notes, note)
	}
	if !src.LastTime.Equal(testT0.Add(2 * time.Second)) {
		t.Errorf("last event time %v: moved by a future line", src.LastTime)
	}
	if FutureNote(DefaultMaxFutureSkew) != "dated more than 24h in the future" || FutureNote(90*time.Minute) != "dated more than 1h30m in the future" {
		t.Errorf("notes: %q, %q", FutureNote(DefaultMaxFutureSkew), FutureNote(90*time.Minute))
	}
}
