package statistical

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// office is n PCs (10.0.10.1 up) browsing popular sites through the proxy
// at human, irregular times over the day from start.
func office(r *rand.Rand, n int, start time.Time, day time.Duration) []*event.Event {
	sites := []string{"www.google.com", "www.yahoo.co.jp", "outlook.office365.com", "www.nikkei.com", "github.com"}
	var evs []*event.Event
	for i := 1; i <= n; i++ {
		ip := fmt.Sprintf("10.0.10.%d", i)
		for _, t := range poisson(r, start.Add(time.Duration(r.IntN(600))*time.Second), 25*time.Minute, int(day/(25*time.Minute))) {
			evs = append(evs, connect(t, ip, sites[r.IntN(len(sites))], lognorm(r, 40e3, 1.2)))
		}
	}
	return evs
}

// periodic is client contacting domain at the given times with sizes
// around median.
func periodic(r *rand.Rand, ts []time.Time, client, domain string, median, sigma float64) []*event.Event {
	var evs []*event.Event
	for _, t := range ts {
		evs = append(evs, connect(t, client, domain, lognorm(r, median, sigma)))
	}
	return evs
}

type fakeCategories map[string]string

func (c fakeCategories) Category(d string) (string, bool) {
	for ; d != ""; d = strings.TrimLeft(strings.TrimLeft(d, "abcdefghijklmnopqrstuvwxyz0123456789-_"), ".") {
		if v, ok := c[d]; ok {
			return v, true
		}
	}
	return "", false
}

func TestBeacon(t *testing.T) {
	start := t0.Add(8 * time.Hour)
	tests := map[string]struct {
		events  func(r *rand.Rand) []*event.Event
		inv     []string
		cats    fakeCategories
		want    bool
		peer    string
		ep      string
		summary []string
		info    bool
	}{
		"jittered beacon through the proxy": {
			events: func(r *rand.Rand) []*event.Event {
				return periodic(r, every(r, start, 300*time.Second, 0.15, 0, 96), "10.0.10.23", "cdn-update.duckdns.org", 5200, 0.1)
			},
			want: true, peer: "cdn-update.duckdns.org", ep: "10.0.10.23",
			summary: []string{"beacon every 300 s ±", "to cdn-update.duckdns.org", "seen from 1 of 31 endpoints"},
		},
		"beacon missing a fifth of its beats": {
			events: func(r *rand.Rand) []*event.Event {
				return periodic(r, every(r, start, 10*time.Minute, 0.1, 0.2, 60), "10.0.10.7", "sync.example-c2.net", 900, 0.2)
			},
			want: true, peer: "sync.example-c2.net", ep: "10.0.10.7", summary: []string{"beacon every 6", "beats missed)"},
		},
		"firewall beacon to a bare address": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start, 120*time.Second, 0.05, 0, 200) {
					evs = append(evs, conn(ts, "netfilter", "10.0.10.9", "203.0.113.77", 8080, "FW-ACCEPT-OUT", 60, internalAddr))
				}
				return evs
			},
			want: true, peer: "203.0.113.77", ep: "10.0.10.9", summary: []string{"beacon every 120 s", "to 203.0.113.77"},
		},
		"human browsing, as many contacts": {
			events: func(r *rand.Rand) []*event.Event {
				return periodic(r, poisson(r, start, 5*time.Minute, 96), "10.0.10.23", "news.example.jp", 60e3, 1.2)
			},
		},
		"too few contacts": {
			events: func(r *rand.Rand) []*event.Event {
				return periodic(r, every(r, start, 300*time.Second, 0.05, 0, 12), "10.0.10.23", "cdn-update.duckdns.org", 5200, 0.1)
			},
		},
		"jittered update check on every PC": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for i := 1; i <= 31; i++ {
					ts := every(r, start.Add(time.Duration(r.IntN(3600))*time.Second), time.Hour, 0.1, 0, 24)
					evs = append(evs, periodic(r, ts, fmt.Sprintf("10.0.10.%d", i), "fe3.delivery.example-updates.com", 2e3, 0.3)...)
				}
				return evs
			},
		},
		"update service in a benign category": {
			events: func(r *rand.Rand) []*event.Event {
				return periodic(r, every(r, start.Add(-12*time.Hour), time.Hour, 0.02, 0, 30), "10.0.10.12", "global.nasvendor-connect.net", 4e3, 0.3)
			},
			cats: fakeCategories{"nasvendor-connect.net": "software-update"},
			want: true, peer: "global.nasvendor-connect.net", ep: "10.0.10.12", info: true,
			summary: []string{"beacon every 60 min", "software-update service"},
		},
		"the proxy's own upstream connections": {
			inv: []string{"10.0.20.3 proxy01 servers proxy"},
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start, 300*time.Second, 0.1, 0, 96) {
					evs = append(evs, conn(ts, "netfilter", "10.0.20.3", "203.0.113.77", 8443, "FW-ACCEPT-OUT", 60, internalAddr))
				}
				return evs
			},
		},
		"inbound monitoring of a public server": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start, 60*time.Second, 0.01, 0, 300) {
					evs = append(evs, conn(ts, "zeek.conn", "198.51.100.20", "10.0.20.80", 443, "SF", 400, internalAddr))
				}
				return evs
			},
		},
		"periodic lookups of an internal name": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start, 15*time.Minute, 0.01, 0, 60) {
					evs = append(evs, lookup(ts, "10.0.10.5", "_ldap._tcp.dc._msdcs.corp.local", "NOERROR"))
				}
				return evs
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			env := newEnv(tt.inv...)
			if tt.cats != nil {
				env.Categories = tt.cats
			}
			evs := sorted(office(r, 31, start.Add(-12*time.Hour), 30*time.Hour), tt.events(r))
			fs := newRun(env, NewBeacon(detect.Params{}, env)).feed(evs...).finish(evs[len(evs)-1].Time)
			var got *detect.Finding
			for i := range fs {
				if tt.want && fs[i].Peer == tt.peer && fs[i].Endpoint == tt.ep {
					got = &fs[i]
				} else {
					t.Errorf("unexpected finding on %s: %s", fs[i].Endpoint, fs[i].Summary)
				}
			}
			if !tt.want {
				return
			}
			if got == nil {
				t.Fatalf("no finding for %s → %s", tt.ep, tt.peer)
			}
			if got.Key != tt.peer || got.Rule != "S-BEACON" || got.SummaryJA == "" || len(got.Evidence) == 0 || got.Count < 20 {
				t.Errorf("finding: %+v", got)
			}
			for _, s := range tt.summary {
				if !strings.Contains(got.Summary, s) {
					t.Errorf("summary %q lacks %q", got.Summary, s)
				}
			}
			if info := got.Severity != nil && *got.Severity == alert.Info && got.Score < 0.4; info != tt.info {
				t.Errorf("info = %v (score %.2f), want %v", info, got.Score, tt.info)
			}
			if !tt.info && got.Score < 0.7 {
				t.Errorf("score %.2f", got.Score)
			}
			t.Log(got.Summary, got.Details)
		})
	}
}

// lookup is a dnsmasq answer to client for name.
func lookup(at time.Time, client, name, rcode string, answers ...string) *event.Event {
	line++
	ev := conn(at, "dnsmasq", client, "10.0.20.1", 53, "reply", 0, internalAddr)
	ev.Kind, ev.DstIP, ev.DstPort, ev.Query, ev.RCode, ev.Answers, ev.QType = event.KindDNS, netipZero, 0, name, rcode, answers, "A"
	ev.Raw = "reply " + name + " is " + strings.Join(answers, ",") + rcode
	return ev
}

// Over many draws, jittered beacons that miss beats score well above the
// threshold and traffic without rhythm well below it.
func TestBeaconScoreSeparation(t *testing.T) {
	env := newEnv()
	b := NewBeacon(detect.Params{}, env).(*Beacon)
	score := func(ts []time.Time, r *rand.Rand) float64 {
		p := &pair{base: ts[0].Unix(), first: ts[0].Unix()}
		for _, at := range ts {
			p.add(at.Unix(), lognorm(r, 3000, 0.3), b.burstGap, b.maxContacts)
		}
		s, ok := b.measure(p, ts[len(ts)-1])
		if !ok {
			return 0
		}
		return s.score
	}
	start := t0
	worstBeacon, bestNoise := 1.0, 0.0
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 99))
		period := time.Duration(60+r.IntN(1740)) * time.Second
		n := min(250, int(20*time.Hour/period))
		worstBeacon = min(worstBeacon, score(every(r, start, period, 0.2, 0.1, n), r))
		bestNoise = max(bestNoise, score(poisson(r, start, period, n), r))
	}
	if worstBeacon < 0.75 || bestNoise > 0.5 {
		t.Errorf("worst jittered beacon %.2f, best rhythmless traffic %.2f", worstBeacon, bestNoise)
	}
	t.Logf("worst jittered beacon %.2f, best rhythmless traffic %.2f", worstBeacon, bestNoise)
}

// TestBeaconIgnoresSparseRandomVisits: a person opening a site now and then
// over a working day (a few dozen visits at random) has no rhythm, even
// when some gaps happen to lie near multiples of the median gap. Folding
// such gaps as "missed beats" once made random visits read as a beacon.
func TestBeaconIgnoresSparseRandomVisits(t *testing.T) {
	env := newEnv()
	b := NewBeacon(detect.Params{}, env).(*Beacon)
	best := 0.0
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 7))
		// A person browses every 20 s + Exp(4 min) and one visit in k is
		// this site: gaps are sums of a few random gaps, less spread than
		// a Poisson process's, which is what fooled the folding.
		k := 2 + r.IntN(4)
		var ts []time.Time
		at := t0
		for len(ts) < 20+r.IntN(30) {
			at = at.Add(20*time.Second + time.Duration(r.ExpFloat64()*240)*time.Second)
			if r.IntN(k) == 0 {
				ts = append(ts, at)
			}
		}
		p := &pair{base: ts[0].Unix(), first: ts[0].Unix()}
		for _, at := range ts {
			p.add(at.Unix(), lognorm(r, 4000, 0.8), b.burstGap, b.maxContacts)
		}
		if s, ok := b.measure(p, ts[len(ts)-1]); ok && s.score > best {
			best = s.score
		}
	}
	if best >= b.minScore {
		t.Fatalf("random visits scored %.2f, at or above the beacon threshold %.2f", best, b.minScore)
	}
	t.Logf("best score of random visits: %.2f (threshold %.2f)", best, b.minScore)
}
