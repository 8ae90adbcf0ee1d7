package statistical

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

// monday is the first learned day of the volume tests (UTC office).
var monday = t0

// toProxy is a Zeek conn record of pc's connection to the proxy sending
// out bytes from source port sport.
func toProxy(at time.Time, pc string, out int64, sport uint16) *event.Event {
	ev := conn(at, "zeek.conn", pc, "10.0.20.3", 3128, "SF", out, internalAddr)
	ev.SrcPort = sport
	return ev
}

// proxied is the sensor's http.log line of the same request: the site it
// asked the proxy for.
func proxied(at time.Time, pc, domain string, sport uint16) *event.Event {
	line++
	p := netip.MustParseAddr(pc)
	return &event.Event{Time: at, Format: "zeek.http", Kind: event.KindHTTP, Endpoint: p, SrcIP: p, SrcPort: sport,
		DstIP: netip.MustParseAddr("10.0.20.3"), DstPort: 3128, Method: "CONNECT", Domain: domain, Status: 200,
		Ref: event.Ref{File: "/zeek/http.log", Offset: line}, Raw: "CONNECT " + domain}
}

// workdays is pc's office hours: about perHour connections an hour from
// `from` to `to` o'clock on the given days (counted from monday), each
// sending around sent bytes.
func workdays(r *rand.Rand, pc string, days []int, from, to int, perHour float64, sent float64) []*event.Event {
	var evs []*event.Event
	for _, d := range days {
		day := monday.Add(time.Duration(d) * 24 * time.Hour)
		t := day.Add(time.Duration(from)*time.Hour + time.Duration(r.IntN(600))*time.Second)
		for t.Before(day.Add(time.Duration(to) * time.Hour)) {
			evs = append(evs, toProxy(t, pc, lognorm(r, sent, 1), uint16(20000+r.IntN(40000))))
			t = t.Add(time.Duration(r.ExpFloat64() * float64(time.Hour) / perHour))
		}
	}
	return evs
}

// burst is n connections of pc within the hour at `at`.
func burst(r *rand.Rand, at time.Time, pc string, n int, sent float64) []*event.Event {
	var evs []*event.Event
	for i := range n {
		evs = append(evs, toProxy(at.Add(time.Duration(i)*time.Hour/time.Duration(n+1)), pc, lognorm(r, sent, 0.5), uint16(20000+i)))
	}
	return evs
}

type volumeCase struct {
	events  func(r *rand.Rand) []*event.Event
	params  []any
	want    bool
	ep      string
	summary []string
}

// office PCs 10.0.10.1-8 working 9 to 18 on Monday to Thursday; learning
// ends Thursday 00:00.
func officeWeek(r *rand.Rand, start int) []*event.Event {
	var evs []*event.Event
	for i := 1; i <= 8; i++ {
		evs = append(evs, workdays(r, fmt.Sprintf("10.0.10.%d", i), []int{0, 1, 2, 3}, start, 18, 60, 3e3)...)
	}
	return evs
}

func runVolume(t *testing.T, rule string, mk func(detect.Params, *detect.Env) detect.Detector, tt volumeCase) []detect.Finding {
	r := rand.New(rand.NewPCG(9, 10))
	inv := []string{"10.0.20.3 proxy01 servers proxy", "10.0.20.12 nas01 servers nas"}
	for i := 1; i <= 9; i++ {
		inv = append(inv, fmt.Sprintf("10.0.10.%d pc-%02d office pc", i, i))
	}
	env := newEnv(inv...)
	evs := sorted(tt.events(r))
	rn := newRun(env, mk(paramsFor(t, rule, tt.params...), env))
	rn.learnEnd = monday.Add(72 * time.Hour)
	fs := rn.feed(evs...).finish(evs[len(evs)-1].Time)
	if tt.ep == "*" {
		return fs
	}
	var got *detect.Finding
	for i := range fs {
		f := &fs[i]
		if tt.want && f.Endpoint == tt.ep {
			got = f
			continue
		}
		t.Errorf("unexpected finding: %s %s", f.Endpoint, f.Summary)
	}
	if !tt.want {
		return fs
	}
	if got == nil {
		t.Fatalf("no finding on %s", tt.ep)
	}
	if got.SummaryJA == "" || len(got.Evidence) == 0 || got.Score < 0.5 {
		t.Errorf("finding: %+v", got)
	}
	for _, s := range tt.summary {
		if !strings.Contains(got.Summary, s) {
			t.Errorf("summary %q lacks %q", got.Summary, s)
		}
	}
	return fs
}

func TestConnVolume(t *testing.T) {
	thursday := monday.Add(72 * time.Hour)
	tests := map[string]volumeCase{
		"a night of scanning": {
			events: func(r *rand.Rand) []*event.Event {
				return append(officeWeek(r, 9), burst(r, thursday.Add(2*time.Hour), "10.0.10.5", 412, 500)...)
			},
			want: true, ep: "10.0.10.5",
			summary: []string{"412 connections in the hour 02:00–03:00, usual at that hour ≤ ", "mostly to proxy 10.0.20.3"},
		},
		"a busier working hour than any learned": {
			events: func(r *rand.Rand) []*event.Event {
				return append(officeWeek(r, 9), burst(r, thursday.Add(11*time.Hour), "10.0.10.5", 100, 3e3)...)
			},
		},
		"everyone starts work an hour early": {events: earlyOffice},
		"a user's first day": {
			events: func(r *rand.Rand) []*event.Event {
				return append(officeWeek(r, 9), workdays(r, "10.0.10.9", []int{3}, 9, 18, 70, 3e3)...)
			},
		},
		"a new PC busy at night": {
			events: func(r *rand.Rand) []*event.Event {
				return append(officeWeek(r, 9), burst(r, thursday.Add(3*time.Hour), "10.0.10.9", 2000, 500)...)
			},
			want: true, ep: "10.0.10.9", summary: []string{"2000 connections in the hour 03:00–04:00", "a new machine, judged by its segment"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) { runVolume(t, "S-CONN-VOLUME", NewConnVolume, tt) })
	}
}

// earlyOffice is an office that started at 10:00 while the baseline was
// learned, and starts at 9:00 on Thursday with a burst of work.
func earlyOffice(r *rand.Rand) []*event.Event {
	var evs []*event.Event
	for i := 1; i <= 8; i++ {
		pc := fmt.Sprintf("10.0.10.%d", i)
		evs = append(evs, workdays(r, pc, []int{0, 1, 2}, 10, 18, 40, 3e3)...)
		evs = append(evs, burst(r, monday.Add(81*time.Hour), pc, 150+r.IntN(60), 3e3)...)
	}
	return evs
}

// Without the office-wide test, the early start would be an anomaly on
// every PC: the test is what keeps them quiet.
func TestConnVolumeOfficeWide(t *testing.T) {
	fs := runVolume(t, "S-CONN-VOLUME", NewConnVolume, volumeCase{events: earlyOffice, params: []any{"office_share", 2.0}, ep: "*"})
	eps := map[string]bool{}
	for _, f := range fs {
		eps[f.Endpoint] = true
	}
	if len(eps) < 6 {
		t.Errorf("without the office-wide test, findings on %d PCs", len(eps))
	}
}

func TestBytesOut(t *testing.T) {
	thursday := monday.Add(72 * time.Hour)
	upload := func(at time.Time, pc, domain string, size int64) []*event.Event {
		return []*event.Event{toProxy(at, pc, size, 57723), proxied(at.Add(2*time.Millisecond), pc, domain, 57723)}
	}
	tests := map[string]volumeCase{
		"exfiltration to cloud storage through the proxy": {
			events: func(r *rand.Rand) []*event.Event {
				return append(officeWeek(r, 9), upload(thursday.Add(14*time.Hour+10*time.Minute), "10.0.10.3", "storage.googleapis.com", 312_607_837)...)
			},
			want: true, ep: "10.0.10.3",
			summary: []string{"sent 313 MB in the hour 14:00–15:00 (usual ≤ ", "mostly to proxy 10.0.20.3 / storage.googleapis.com",
				"storage.googleapis.com is a cloud or file-sharing service (trusted-sites list: storage.googleapis.com)"},
		},
		"the daily scan upload at another hour": {
			events: func(r *rand.Rand) []*event.Event {
				evs := officeWeek(r, 9)
				for d, h := range []int{14, 10, 16} {
					evs = append(evs, upload(monday.Add(time.Duration(d*24+h)*time.Hour), "10.0.10.2", "contoso-my.sharepoint.com", 120e6+r.Int64N(30e6))...)
				}
				return append(evs, upload(thursday.Add(11*time.Hour), "10.0.10.2", "contoso-my.sharepoint.com", 180e6)...)
			},
		},
		"the NAS's nightly backup": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for d := range 4 {
					evs = append(evs, upload(monday.Add(time.Duration(d*24+2)*time.Hour), "10.0.20.12", "s3.us-west-004.backblazeb2.com", 2e9+r.Int64N(2e8))...)
					evs = append(evs, burst(r, monday.Add(time.Duration(d*24+12)*time.Hour), "10.0.20.12", 3, 4e3)...)
				}
				return append(officeWeek(r, 9), evs...)
			},
		},
		"a user's first day": {
			events: func(r *rand.Rand) []*event.Event {
				return append(officeWeek(r, 9), workdays(r, "10.0.10.9", []int{3}, 9, 18, 70, 5e3)...)
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) { runVolume(t, "S-BYTES-OUT", NewBytesOut, tt) })
	}
}

// A proxy-only office: Squid's access.log is the only log, written with
// the request size (%>st, see ingest/squid) after the native fields. The
// week's browsing teaches the baseline; on Thursday pc-03 sends 313 MB
// through one CONNECT tunnel, which only the request size shows (the
// reply size, Squid's "bytes", is 6 kB).
func TestBytesOutSquidOnly(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var lines []string
	squid := func(at time.Time, pc, site string, in, out int64) {
		lines = append(lines, fmt.Sprintf("%d.%03d %6d %s TCP_TUNNEL/200 %d CONNECT %s:443 - HIER_DIRECT/203.0.113.%d - %d",
			at.Unix(), at.Nanosecond()/1e6, 1000+r.IntN(90000), pc, in, site, 1+r.IntN(200), out))
	}
	sites := []string{"www.example.com", "news.example.net", "mail.example.org", "cdn.example.com"}
	for d := range 4 {
		for i := 1; i <= 8; i++ {
			day := monday.Add(time.Duration(d) * 24 * time.Hour)
			for at := day.Add(9*time.Hour + time.Duration(r.IntN(600))*time.Second); at.Before(day.Add(18 * time.Hour)); at = at.Add(time.Duration(r.ExpFloat64() * float64(time.Minute))) {
				squid(at, fmt.Sprintf("10.0.10.%d", i), sites[r.IntN(len(sites))], lognorm(r, 40e3, 1), lognorm(r, 3e3, 1))
			}
		}
	}
	squid(monday.Add(3*24*time.Hour+14*time.Hour+10*time.Minute), "10.0.10.3", "storage.googleapis.com", 6120, 312_607_837)
	path := filepath.Join(t.TempDir(), "access.log")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	evs := ingesttest.ReadLog(t, path, ingesttest.Options{Format: "squid", Location: time.UTC, Enricher: ingesttest.Enricher(nil)})
	ingesttest.ByTime(evs)
	runVolume(t, "S-BYTES-OUT", NewBytesOut, volumeCase{
		events: func(*rand.Rand) []*event.Event { return ptrs(evs) },
		want:   true, ep: "10.0.10.3",
		summary: []string{"sent 313 MB in the hour 14:00–15:00", "storage.googleapis.com"},
	})
}
