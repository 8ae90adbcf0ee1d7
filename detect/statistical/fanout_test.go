package statistical

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/ingesttest"
)

func TestFanout(t *testing.T) {
	start := t0.Add(80 * time.Hour)
	inv := []string{"10.0.20.10 fs01 servers file-server", "10.0.30.10 adm-pc01 admin admin-pc",
		"10.0.40.11 lab01 lab test", "10.0.40.12 lab02 lab test", "10.0.40.13 lab03 lab test", "10.0.40.20 lab-new lab test"}
	z := func(at time.Time, src, dst string, port uint16, state string) *event.Event {
		return conn(at, "zeek.conn", src, dst, port, state, 0, internalAddr)
	}
	// busy is src contacting n hosts of prefix every 10 minutes for hours.
	busy := func(from time.Time, hours int, src, prefix string, n int) []*event.Event {
		var evs []*event.Event
		for w := range hours * 6 {
			for i := range n {
				evs = append(evs, z(from.Add(time.Duration(w)*10*time.Minute+time.Duration(i)*time.Second), src, fmt.Sprintf("%s.%d", prefix, 10+i), 445, "SF"))
			}
		}
		return evs
	}
	tests := map[string]struct {
		events  func(r *rand.Rand) (learn, test []*event.Event)
		want    bool
		ep      string
		peer    string
		key     string
		summary []string
		phase   int
	}{
		"SMB sweep of the server segment": {
			events: func(r *rand.Rand) (_, evs []*event.Event) {
				for i := 1; i <= 40; i++ {
					state := []string{"S0", "REJ", "S0", "RSTO"}[i%4]
					evs = append(evs, z(start.Add(time.Duration(i*3)*time.Second), "10.0.10.31", fmt.Sprintf("10.0.20.%d", i), 445, state))
				}
				return nil, evs
			},
			want: true, ep: "10.0.10.31", peer: "10.0.20.0/24", key: "hosts",
			summary: []string{"contacted 40 internal hosts in 117 s (30 never answered), mostly in 10.0.20.0/24 on 445/tcp: 10.0.20.1, 10.0.20.2"},
		},
		"vertical scan of the file server": {
			events: func(r *rand.Rand) (_, evs []*event.Event) {
				for i, p := range r.Perm(30) {
					evs = append(evs, z(start.Add(time.Duration(i)*100*time.Millisecond), "10.0.10.9", "10.0.20.10", uint16(20+p), "REJ"))
				}
				return nil, evs
			},
			want: true, ep: "10.0.10.9", peer: "10.0.20.10", key: "ports 10.0.20.10",
			summary: []string{"10.0.10.9 probed 30 ports of 10.0.20.10 in 3 s (30 failed): 20, 21, 22"},
		},
		"outside scan of a public server": {
			events: func(r *rand.Rand) (_, evs []*event.Event) {
				for i := range 25 {
					ev := conn(start.Add(time.Duration(i)*time.Second), "netfilter", "198.51.100.7", "10.0.20.5", uint16(1000+i*7), "FW-DROP", 60, internalAddr)
					ev.Action = event.ActionDeny
					evs = append(evs, ev)
				}
				return nil, evs
			},
			want: true, ep: "10.0.20.5", peer: "198.51.100.7", key: "ports from 198.51.100.7", phase: 1,
			summary: []string{"198.51.100.7 probed 25 ports of 10.0.20.5 in 24 s (25 failed)"},
		},
		"the administrator's PC talks to many servers every day": {
			events: func(r *rand.Rand) (learn, evs []*event.Event) {
				return busy(start.Add(-72*time.Hour), 24, "10.0.30.10", "10.0.20", 20), busy(start, 2, "10.0.30.10", "10.0.20", 25)
			},
		},
		"a new machine in a segment of busy machines": {
			events: func(r *rand.Rand) (learn, evs []*event.Event) {
				for _, m := range []string{"10.0.40.11", "10.0.40.12", "10.0.40.13"} {
					learn = append(learn, busy(start.Add(-72*time.Hour), 12, m, "10.0.50", 18)...)
				}
				return sorted(learn), busy(start, 1, "10.0.40.20", "10.0.50", 22)
			},
		},
		"browsing many internet hosts": {
			events: func(r *rand.Rand) (_, evs []*event.Event) {
				for i := range 200 {
					evs = append(evs, z(start.Add(time.Duration(i)*2*time.Second), "10.0.10.23", fmt.Sprintf("203.0.113.%d", i), 443, "SF"))
				}
				return nil, evs
			},
		},
		"a PC's normal morning": {
			events: func(r *rand.Rand) (_, evs []*event.Event) {
				for i := range 60 {
					dst := []string{"10.0.20.3", "10.0.20.10", "10.0.10.250", "10.0.20.1"}[i%4]
					evs = append(evs, z(start.Add(time.Duration(i)*20*time.Second), "10.0.10.23", dst, []uint16{3128, 445, 9100, 53}[i%4], "SF"))
				}
				return nil, evs
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 6))
			env := newEnv(inv...)
			learn, evs := tt.events(r)
			rn := newRun(env, NewFanout(detect.Params{}, env))
			if len(learn) > 0 {
				rn.learnEnd = learn[len(learn)-1].Time.Add(time.Minute)
			}
			fs := rn.feed(learn...).feed(evs...).finish(evs[len(evs)-1].Time)
			var got *detect.Finding
			for i := range fs {
				f := &fs[i]
				if tt.want && f.Endpoint == tt.ep && f.Key == tt.key {
					got = f
					continue
				}
				t.Errorf("unexpected finding: %s %s %s", f.Endpoint, f.Key, f.Summary)
			}
			if !tt.want {
				return
			}
			if got == nil {
				t.Fatalf("no finding on %s %s", tt.ep, tt.key)
			}
			if got.Peer != tt.peer || got.SummaryJA == "" || len(got.Evidence) < 2 || got.Phase != tt.phase || got.Score < 0.6 {
				t.Errorf("finding: %+v", got)
			}
			for _, s := range tt.summary {
				if !strings.Contains(got.Summary, s) {
					t.Errorf("summary %q lacks %q", got.Summary, s)
				}
			}
		})
	}
}

// The learned baselines must be what Restore reads back.
func TestFanoutBaselineRoundTrip(t *testing.T) {
	env := newEnv()
	f := NewFanout(detect.Params{}, env).(*Fanout)
	f.baseline["10.0.30.10"] = fanBase{Hosts: 21.5, Ports: 3}
	b, err := jsonMarshal(f.Baseline())
	if err != nil {
		t.Fatal(err)
	}
	g := NewFanout(detect.Params{}, env).(*Fanout)
	if err := g.Restore(b); err != nil || g.baseline["10.0.30.10"] != f.baseline["10.0.30.10"] {
		t.Fatalf("restored %v (%v)", g.baseline, err)
	}
	if err := g.Restore([]byte("{")); err == nil {
		t.Fatal("a broken baseline was accepted")
	}
}

// Stratosphere's nmap capture: 192.168.1.9 scans scanme.nmap.org
// (45.33.32.156), one host and many ports, most refused. A vertical scan
// of an internet host: it fans out over ports, not hosts.
func TestFanoutSlipsVerticalScan(t *testing.T) {
	evs := ptrs(ingesttest.ReadLog(t, filepath.Join(testdata, "zeek-slips/port-scans-vertical/conn.log"), ingesttest.Options{Format: "zeek", Location: time.UTC, Enricher: ingesttest.Enricher(nil)}))
	env := newEnv()
	fs := newRun(env, NewFanout(detect.Params{}, env)).feed(evs...).finish(evs[len(evs)-1].Time)
	if len(fs) == 0 {
		t.Fatal("the vertical scan was not found")
	}
	for _, f := range fs {
		if f.Endpoint != "192.168.1.9" || f.Peer != "45.33.32.156" || f.Key != "ports 45.33.32.156" {
			t.Errorf("unexpected: %+v", f)
		}
	}
	last := fs[len(fs)-1]
	if !strings.Contains(last.Summary, "192.168.1.9 probed 42 ports of 45.33.32.156 in 5 s (42 failed): 21, 23, 53") {
		t.Errorf("summary %q", last.Summary)
	}
	t.Log(last.Summary)
}

// A port scan seen only in the kernel's packet log, through a LOG rule
// without a prefix (CrowdSec's iptables fixture's shape: no DROP or REJECT
// word says what the firewall did): 30 ports of an internal server from
// one outside address in a minute is a vertical scan.
func TestFanoutNetfilterWithoutVerdict(t *testing.T) {
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf("Jun  8 14:34:%02d sd-126005 kernel: [50028442.%06d] IN=enp1s0 OUT= MAC=00:08:a2:0c:1f:12:00:c8:8b:e2:d6:87:08:00 SRC=195.54.160.107 DST=192.168.10.5 LEN=40 TOS=0x00 PREC=0x00 TTL=245 ID=%d PROTO=TCP SPT=8080 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0",
			i*2, i, 37308+i, []int{21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1433, 1723, 3306, 3389, 5432, 5900, 6379, 8000, 8080, 8081, 8443, 8888, 9200, 11211, 27017}[i]))
	}
	path := filepath.Join(t.TempDir(), "kern.log")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	evs := ptrs(ingesttest.ReadLog(t, path, ingesttest.Options{Format: "netfilter", Location: time.UTC, Year: 2026, Enricher: ingesttest.Enricher(nil)}))
	if len(evs) != 30 || evs[0].Action != event.ActionNone || evs[0].Endpoint.String() != "192.168.10.5" {
		t.Fatalf("%d events, first %+v", len(evs), evs[0])
	}
	env := newEnv()
	fs := newRun(env, NewFanout(detect.Params{}, env)).feed(evs...).finish(evs[len(evs)-1].Time)
	if len(fs) == 0 {
		t.Fatal("the scan is not reported")
	}
	f := fs[len(fs)-1]
	if f.Endpoint != "192.168.10.5" || f.Peer != "195.54.160.107" || !strings.Contains(f.Summary, "probed 30 ports of 192.168.10.5") {
		t.Errorf("%s → %s: %s", f.Endpoint, f.Peer, f.Summary)
	}
}
