package statistical

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

func TestSinkhole(t *testing.T) {
	start := t0.Add(9 * time.Hour)
	// looks is client looking name up at the given times, answered ans.
	looks := func(ts []time.Time, client, name string, ans ...string) []*event.Event {
		var evs []*event.Event
		for _, at := range ts {
			rcode := "NOERROR"
			if len(ans) == 0 {
				rcode = "NXDOMAIN"
			}
			evs = append(evs, lookup(at, client, name, rcode, ans...))
		}
		return evs
	}
	tests := map[string]struct {
		events  func(r *rand.Rand) []*event.Event
		params  []any
		want    []string // endpoints expected
		name    string
		summary []string
	}{
		"parked C2 looked up every 10 minutes": {
			events: func(r *rand.Rand) []*event.Event {
				return looks(every(r, start, 10*time.Minute, 0.1, 0, 96), "10.0.10.31", "mail-sync.hopto.org", "0.0.0.0")
			},
			want: []string{"10.0.10.31"}, name: "mail-sync.hopto.org",
			summary: []string{"mail-sync.hopto.org looked up 96 times over 15.8 h, answered 0.0.0.0 (sinkholed or parked), every 600 s ±", "seen from 1 of 31 endpoints"},
		},
		"taken-down name answered NXDOMAIN, irregularly": {
			events: func(r *rand.Rand) []*event.Event {
				return looks(poisson(r, start, 40*time.Minute, 12), "10.0.10.12", "api.old-c2-panel.net")
			},
			want: []string{"10.0.10.12"}, name: "api.old-c2-panel.net", summary: []string{"answered NXDOMAIN"},
		},
		"the lateral chain: a second endpoint starts the same lookups": {
			events: func(r *rand.Rand) []*event.Event {
				return sorted(looks(every(r, start, 10*time.Minute, 0.1, 0, 60), "10.0.10.31", "mail-sync.hopto.org", "0.0.0.0"),
					looks(every(r, start.Add(3*time.Hour), 10*time.Minute, 0.1, 0, 30), "10.0.10.26", "mail-sync.hopto.org", "0.0.0.0"))
			},
			want: []string{"10.0.10.31", "10.0.10.26"}, name: "mail-sync.hopto.org",
		},
		"a known sinkhole's address": {
			events: func(r *rand.Rand) []*event.Event {
				return looks(every(r, start, 30*time.Minute, 0.05, 0, 10), "10.0.10.40", "update.bad-botnet.info", "198.51.100.250")
			},
			params: []any{"sinkhole_addresses", []any{"198.51.100.248/29"}},
			want:   []string{"10.0.10.40"}, name: "update.bad-botnet.info", summary: []string{"answered 198.51.100.250 (sinkholed or parked)"},
		},
		"a typo tried a few times": {
			events: func(r *rand.Rand) []*event.Event {
				return looks(every(r, start, 15*time.Second, 0.5, 0, 5), "10.0.10.22", "www.gooogle.co.jp")
			},
		},
		"a blocked advertising domain every browser hits": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for i := 1; i <= 31; i++ {
					evs = append(evs, looks(poisson(r, start, 20*time.Minute, 30), fmt.Sprintf("10.0.10.%d", i), "pixel.ad-tracker-network.com", "0.0.0.0")...)
				}
				return sorted(evs)
			},
		},
		"the proxy resolving for its clients": {
			events: func(r *rand.Rand) []*event.Event {
				return looks(every(r, start, 10*time.Minute, 0.1, 0, 50), "10.0.20.3", "mail-sync.hopto.org", "0.0.0.0")
			},
		},
		"a name the resolver answers for real": {
			events: func(r *rand.Rand) []*event.Event {
				return looks(every(r, start, 10*time.Minute, 0.1, 0, 50), "10.0.10.31", "teams.microsoft.com", "52.112.0.10")
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 8))
			env := newEnv("10.0.20.3 proxy01 servers proxy")
			p := paramsFor(t, "S-SINKHOLE", tt.params...)
			evs := sorted(office(r, 31, start.Add(-2*time.Hour), 20*time.Hour), tt.events(r))
			fs := newRun(env, NewSinkhole(p, env)).feed(evs...).finish(evs[len(evs)-1].Time)
			got := map[string]detect.Finding{}
			for _, f := range fs {
				if f.Peer != tt.name || f.Key != tt.name {
					t.Errorf("unexpected finding: %s %s", f.Endpoint, f.Summary)
				}
				got[f.Endpoint] = f
			}
			if len(got) != len(tt.want) {
				t.Errorf("findings on %d endpoints, want %v", len(got), tt.want)
			}
			for _, ep := range tt.want {
				f, ok := got[ep]
				if !ok {
					t.Errorf("no finding on %s", ep)
					continue
				}
				if f.SummaryJA == "" || len(f.Evidence) < 2 || f.Score < 0.55 || f.Count < 6 {
					t.Errorf("finding: %+v", f)
				}
				for _, s := range tt.summary {
					if !strings.Contains(f.Summary, s) {
						t.Errorf("summary %q lacks %q", f.Summary, s)
					}
				}
			}
		})
	}
}
