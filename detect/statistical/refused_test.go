package statistical

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// storm is n connections of client to dst:port spread over d, each in the
// given Zeek state (refused REJ, unanswered S0, answered SF).
func storm(r *rand.Rand, start time.Time, d time.Duration, n int, format, client, dst string, port uint16, state string) []*event.Event {
	var evs []*event.Event
	for i := range n {
		at := start.Add(time.Duration(float64(d) * float64(i) / float64(n)))
		at = at.Add(time.Duration(r.IntN(300)) * time.Millisecond)
		ev := conn(at, format, client, dst, port, state, 0, internalAddr)
		if state == "SF" {
			ev.BytesOut, ev.BytesIn = 400, 2000
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestRefused(t *testing.T) {
	start := t0.Add(9 * time.Hour)
	tests := map[string]struct {
		events  func(r *rand.Rand) []*event.Event
		inv     []string
		want    bool
		ep      string
		peer    string
		summary []string
		sev     *alert.Severity
		phase   int
	}{
		"719 refused connections to one C2 address:port in 8 minutes": {
			events: func(r *rand.Rand) []*event.Event {
				return storm(r, start, 8*time.Minute, 719, "zeek.conn", "10.0.10.31", "203.0.113.66", 8443, "REJ")
			},
			want: true, ep: "10.0.10.31", peer: "203.0.113.66:8443",
			summary: []string{"719 connections to 203.0.113.66:8443 (8443/tcp) in 8 min, refused; none got through"},
		},
		"egress firewall dropping an implant's retries": {
			events: func(r *rand.Rand) []*event.Event {
				evs := storm(r, start, 5*time.Minute, 240, "netfilter", "10.0.10.32", "198.51.100.7", 443, "")
				for _, ev := range evs {
					ev.Action, ev.Label = event.ActionDeny, "[UFW BLOCK]"
				}
				return evs
			},
			want: true, ep: "10.0.10.32", peer: "198.51.100.7:443", summary: []string{"240 connections", "(443/tcp)", "refused"},
		},
		"unanswered connections": {
			events: func(r *rand.Rand) []*event.Event {
				return storm(r, start, 9*time.Minute, 150, "zeek.conn", "10.0.10.33", "203.0.113.67", 4444, "S0")
			},
			want: true, ep: "10.0.10.33", peer: "203.0.113.67:4444", summary: []string{"150 connections", "unanswered"},
		},
		"one office machine hammering another": {
			events: func(r *rand.Rand) []*event.Event {
				return storm(r, start, 6*time.Minute, 300, "zeek.conn", "10.0.10.34", "10.0.20.5", 445, "REJ")
			},
			want: true, ep: "10.0.10.34", peer: "10.0.20.5:445", summary: []string{"the target is an office machine"}, phase: 4,
		},
		"a broken resolver setting": {
			events: func(r *rand.Rand) []*event.Event {
				evs := storm(r, start, 8*time.Minute, 400, "zeek.conn", "10.0.10.35", "8.8.8.8", 53, "S0")
				for _, ev := range evs {
					ev.Transport = "udp"
				}
				return evs
			},
			want: true, ep: "10.0.10.35", peer: "8.8.8.8:53", summary: []string{"Public DNS resolvers", "a broken setting"}, sev: sevp(alert.Info),
		},
		"a browser giving up on a dead site": {
			events: func(r *rand.Rand) []*event.Event {
				return storm(r, start, time.Minute, 8, "zeek.conn", "10.0.10.36", "203.0.113.68", 443, "REJ")
			},
		},
		"a busy service with some failures": {
			events: func(r *rand.Rand) []*event.Event {
				evs := storm(r, start, 8*time.Minute, 1500, "zeek.conn", "10.0.10.37", "203.0.113.69", 443, "SF")
				return append(evs, storm(r, start, 8*time.Minute, 150, "zeek.conn", "10.0.10.37", "203.0.113.69", 443, "REJ")...)
			},
		},
		"failures spread over a day": {
			events: func(r *rand.Rand) []*event.Event {
				return storm(r, start, 24*time.Hour, 300, "zeek.conn", "10.0.10.38", "203.0.113.70", 443, "REJ")
			},
		},
		"the proxy retrying on its clients' behalf": {
			inv: []string{"10.0.20.3 proxy01 servers proxy"},
			events: func(r *rand.Rand) []*event.Event {
				return storm(r, start, 8*time.Minute, 500, "zeek.conn", "10.0.20.3", "203.0.113.71", 443, "REJ")
			},
		},
		"an outside source hammering the office": {
			events: func(r *rand.Rand) []*event.Event {
				return storm(r, start, 8*time.Minute, 500, "zeek.conn", "203.0.113.72", "10.0.20.80", 23, "REJ")
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			env := newEnv(tt.inv...)
			evs := sorted(office(r, 10, start.Add(-time.Hour), 3*time.Hour), tt.events(r))
			fs := newRun(env, NewRefused(detect.Params{}, env)).feed(evs...).finish(evs[len(evs)-1].Time)
			var got *detect.Finding
			for i := range fs {
				if tt.want && fs[i].Endpoint == tt.ep && fs[i].Peer == tt.peer {
					got = &fs[i]
					continue
				}
				t.Errorf("unexpected finding on %s: %s", fs[i].Endpoint, fs[i].Summary)
			}
			if !tt.want {
				return
			}
			if got == nil {
				t.Fatalf("no finding for %s → %s", tt.ep, tt.peer)
			}
			for _, s := range tt.summary {
				if !strings.Contains(got.Summary, s) {
					t.Errorf("summary %q lacks %q", got.Summary, s)
				}
			}
			if got.SummaryJA == "" || len(got.Evidence) != 2 || !got.Absolute || got.Phase != tt.phase {
				t.Errorf("finding: %+v", got)
			}
			switch {
			case tt.sev != nil && (got.Severity == nil || *got.Severity != *tt.sev):
				t.Errorf("severity %v, want %s", got.Severity, *tt.sev)
			case tt.sev == nil && (got.Severity != nil || got.Score < 0.5):
				t.Errorf("severity %v, score %.2f: want the rule's, at least 0.5", got.Severity, got.Score)
			}
			t.Log(got.Summary)
		})
	}
}

// The storm as the console shows it: one alert, its count following the
// storm, at the rule's medium.
func TestRefusedAlert(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	env := newEnv()
	evs := sorted(storm(r, t0.Add(9*time.Hour), 8*time.Minute, 719, "zeek.conn", "10.0.10.31", "203.0.113.66", 8443, "REJ"))
	e := newEngine(t, env, nil, 0)
	for _, ev := range evs {
		e.Process(ev)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	var got []alert.Alert
	for _, a := range e.Alerts() {
		if a.Rule == "S-REFUSED" {
			got = append(got, a)
		}
	}
	if len(got) != 1 || got[0].Count != 719 || got[0].Severity != alert.Medium || got[0].Phase != 5 {
		t.Fatalf("alerts: %+v", got)
	}
	t.Logf("%s %s: %s [%s]", got[0].Severity, got[0].Peer, got[0].Summary, got[0].Details["severity_reason"])
}
