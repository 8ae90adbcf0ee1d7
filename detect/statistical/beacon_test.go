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
		key     string // "" for the peer
		ep      string
		summary []string
		info    bool
		sev     *alert.Severity // set by the finding; nil: the rule's
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
			want: true, peer: "203.0.113.77", key: "203.0.113.77", ep: "10.0.10.9", summary: []string{"beacon every 120 s", "to 203.0.113.77 on 8080/tcp"},
		},
		"NTP every 34 min to a distribution's time server": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start.Add(-12*time.Hour), 2048*time.Second, 0, 0, 42) {
					ev := conn(ts, "zeek.conn", "10.0.10.14", "185.125.190.58", 123, "SF", 48, internalAddr)
					ev.Transport, ev.Service, ev.BytesIn = "udp", "ntp", 48
					evs = append(evs, ev)
				}
				return evs
			},
			want: true, peer: "185.125.190.58", key: "185.125.190.58", ep: "10.0.10.14", info: true,
			summary: []string{"beacon every 34 min ±0 %", "to 185.125.190.58 on 123/udp (ntp)", "Time synchronisation (NTP) (port 123/udp), a timer by design"},
		},
		"a public resolver asked on a timer": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start, 300*time.Second, 0.02, 0, 100) {
					ev := conn(ts, "zeek.conn", "10.0.10.15", "8.8.8.8", 53, "SF", 40, internalAddr)
					ev.Transport, ev.Service, ev.BytesIn = "udp", "dns", 120
					evs = append(evs, ev)
				}
				return evs
			},
			want: true, peer: "8.8.8.8", key: "8.8.8.8", ep: "10.0.10.15", info: true,
			summary: []string{"on 53/udp (dns)", "Public DNS resolvers (address 8.8.8.8 on 53/udp)"},
		},
		"hourly lookups of a CRL host": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start.Add(-12*time.Hour), time.Hour, 0.01, 0, 30) {
					evs = append(evs, lookup(ts, "10.0.10.16", "crl.comodoca.com", "NOERROR", "151.101.2.133"))
				}
				return evs
			},
			want: true, peer: "crl.comodoca.com", ep: "10.0.10.16", info: true,
			summary: []string{"DNS lookup of crl.comodoca.com every 60 min", "Certificate revocation checks"},
		},
		"a timer nobody answers": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start.Add(-12*time.Hour), 19*time.Minute, 0.005, 0, 70) {
					ev := conn(ts, "zeek.conn", "10.0.10.17", "203.0.113.90", 8760, "S0", 768, internalAddr)
					ev.Transport = "udp"
					evs = append(evs, ev)
				}
				return evs
			},
			want: true, peer: "203.0.113.90", key: "203.0.113.90", ep: "10.0.10.17", sev: sevp(alert.Low),
			summary: []string{"beacon every 19 min", "on 8760/udp", "none of its 70 connections was answered"},
		},
		// One program's timers to its server on two ports are one
		// behaviour and one address to look at: one alert naming both.
		"two timers to one address": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for i, port := range []uint16{8760, 9765} {
					for _, ts := range every(r, start.Add(-12*time.Hour+time.Duration(i)*time.Minute), 19*time.Minute, 0.005, 0, 70) {
						ev := conn(ts, "zeek.conn", "10.0.10.18", "203.0.113.91", port, "SF", 768, internalAddr)
						ev.Transport, ev.BytesIn = "udp", 300
						evs = append(evs, ev)
					}
				}
				return evs
			},
			want: true, peer: "203.0.113.91", ep: "10.0.10.18",
			summary: []string{"beacon every 19 min", "; also to 203.0.113.91 on ", "every 19 min (70 contacts)"},
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
		"an internal web server polled from outside": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start.Add(-12*time.Hour), 270*time.Second, 0.03, 0.05, 300) {
					ev := conn(ts, "zeek.conn", "198.51.100.20", "10.0.20.80", 443, "SF", 400, internalAddr)
					ev.Service, ev.BytesIn = "ssl", 5200
					evs = append(evs, ev)
				}
				return evs
			},
			want: true, peer: "198.51.100.20", key: "polled by 198.51.100.20 on 443/tcp", ep: "10.0.20.80", sev: sevp(alert.Low),
			summary: []string{"polled from outside every 270 s", "by 198.51.100.20 on 443/tcp (ssl)", "web shell"},
		},
		"refused probes of a server on a timer are no poll": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start, 60*time.Second, 0.01, 0, 300) {
					evs = append(evs, conn(ts, "zeek.conn", "198.51.100.21", "10.0.20.80", 23, "REJ", 0, internalAddr))
				}
				return evs
			},
		},
		"the office's NTP server polled by an outside client": {
			events: func(r *rand.Rand) []*event.Event {
				var evs []*event.Event
				for _, ts := range every(r, start.Add(-12*time.Hour), 1024*time.Second, 0, 0, 80) {
					ev := conn(ts, "zeek.conn", "198.51.100.22", "10.0.20.81", 123, "SF", 48, internalAddr)
					ev.Transport, ev.BytesIn = "udp", 48
					evs = append(evs, ev)
				}
				return evs
			},
			want: true, peer: "198.51.100.22", key: "polled by 198.51.100.22 on 123/udp", ep: "10.0.20.81", info: true,
			summary: []string{"polled from outside every 17 min", "a timer by design"},
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
			key := tt.key
			if key == "" {
				key = tt.peer
			}
			if got.Key != key || got.Rule != "S-BEACON" || got.SummaryJA == "" || len(got.Evidence) == 0 || got.Count < 20 {
				t.Errorf("finding: %+v", got)
			}
			sev := tt.sev
			if tt.info {
				sev = sevp(alert.Info)
			}
			switch {
			case sev != nil && (got.Severity == nil || *got.Severity != *sev):
				t.Errorf("severity %v, want %s", got.Severity, *sev)
			case sev == nil && got.Severity != nil:
				t.Errorf("severity %s, want the rule's", *got.Severity)
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
			if got.Details["services"] == "2" && got.Count < 140 {
				t.Errorf("count %d: the contacts of both services are %d", got.Count, 140)
			}
			t.Log(got.Summary, got.Details)
		})
	}
}

func sevp(s alert.Severity) *alert.Severity { return &s }

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

// TestBeaconRandomArrivalsNeverAboveLow: traffic without rhythm is never
// a beacon above low, whatever its rate: Poisson arrivals from one every
// 1.5 s (contacts merged by burst_gap once pressed against it and read as
// a 5-second beacon) to one every 30 min, over many draws, scored by the
// rule and then as the engine shows them.
func TestBeaconRandomArrivalsNeverAboveLow(t *testing.T) {
	env := newEnv()
	b := NewBeacon(detect.Params{}, env).(*Beacon)
	means := []time.Duration{1500 * time.Millisecond, 2 * time.Second, 3 * time.Second, 10 * time.Second,
		time.Minute, 5 * time.Minute, 9 * time.Minute, 30 * time.Minute}
	for _, mean := range means {
		best := 0.0
		for seed := range uint64(150) {
			r := rand.New(rand.NewPCG(seed, 21))
			ts := poisson(r, t0, mean, min(2000, int(24*time.Hour/mean)))
			p := &pair{base: ts[0].Unix(), first: ts[0].Unix()}
			for _, at := range ts {
				p.add(at.Unix(), lognorm(r, 4000, 0.8), b.burstGap, b.maxContacts)
			}
			if s, ok := b.measure(p, ts[len(ts)-1]); ok {
				best = max(best, s.score)
			}
		}
		if best >= b.minScore {
			t.Errorf("Poisson arrivals every %s on average scored %.2f, at or above the beacon threshold %.2f", mean, best, b.minScore)
		}
		t.Logf("mean gap %s: best score %.2f", mean, best)
	}

	// As the console shows them: one endpoint per rate, the office
	// browsing around them.
	r := rand.New(rand.NewPCG(5, 8))
	evs := office(r, 20, t0, 24*time.Hour)
	for i, mean := range means {
		client := fmt.Sprintf("10.0.30.%d", i+1)
		for _, at := range poisson(r, t0.Add(time.Hour), mean, min(2000, int(20*time.Hour/mean))) {
			ev := conn(at, "zeek.conn", client, fmt.Sprintf("203.0.113.%d", 10+i), 443, "SF", 900, internalAddr)
			ev.BytesIn, ev.Service = lognorm(r, 4000, 0.8), "ssl"
			evs = append(evs, ev)
		}
	}
	evs = sorted(evs)
	e := newEngine(t, env, nil, 0)
	for _, ev := range evs {
		e.Process(ev)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, a := range e.Alerts() {
		if a.Rule == "S-BEACON" && a.Severity > alert.Low {
			t.Errorf("%s alert on random traffic: %s: %s", a.Severity, a.Endpoint, a.Summary)
		}
	}
}
