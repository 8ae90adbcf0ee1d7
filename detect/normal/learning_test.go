package normal

import (
	"fmt"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/detect/matching"
	"github.com/mamori-soc/mamori/event"
)

// idsAlert is a Suricata alert (severity 1: M-IDS raises it high) about
// from's traffic with peer.
func idsAlert(t time.Time, from, peer string) *event.Event {
	return enrich(&event.Event{Time: t, Kind: event.KindIDS, Format: "suricata", SrcIP: addr(from), DstIP: addr(peer), DstPort: 443,
		Signature: "ET MALWARE Generic C2 check-in", SignatureID: 2000001, Severity: 1})
}

// searches are 30 ordinary queries to a search site, for N-QUERY.
func searches() []*event.Event {
	var evs []*event.Event
	words := []string{"weather", "train+timetable", "tokyo", "osaka+hotel", "invoice+template", "holiday"}
	for i := range 30 {
		evs = append(evs, sensorHTTP(at(time.Duration(i)*time.Minute), officePCs[i%len(officePCs)], "81.2.69.180", 80, "GET", "search.example.jp",
			fmt.Sprintf("/search?q=%s&page=%d", words[i%len(words)], i%3), chrome124))
	}
	return evs
}

// shares are the office's file-share connections, for N-INTERNAL-SVC.
func shares() []*event.Event {
	return each(officePCs, func(i int, ep string) *event.Event {
		return conn(at(time.Duration(i)*time.Minute), ep, fileServer, 445, "tcp", event.ActionNone)
	})
}

// lookups are the office's DNS answers, for N-NO-DNS.
func lookups() []*event.Event {
	return each(officePCs, func(i int, ep string) *event.Event {
		return answer(at(time.Duration(i)*time.Minute), ep, "time.windows.com", "89.160.20.112")
	})
}

const exfilBlob = "ZXhmaWx0cmF0ZWQ6IGhvc3Q9cGMtMDExIHVzZXI9eW9zaGlkYSBkb21haW49T0ZGSUNFIGlwPTEwLjAuMTAuMzEgb3M9V2luMTAgYXY9RGVmZW5kZXIgcHJveHk9MTAuMC4yMC4zOjMxMjg="

// Every normal-business rule, with the attack starting inside the
// learning window: an attack a known-attack rule reported (here M-IDS, on
// the sensor's alert about the attack's peer) is not learned, so the same
// behaviour after learning is still reported. Without the sensor's alert
// the attack would have been learned as normal business (checked too).
func TestAttackWhileLearningIsNotLearned(t *testing.T) {
	cases := map[string]struct {
		rule   string
		attack func(b time.Time) []*event.Event
		peer   string // the peer the sensor's alert names
		extra  []*event.Event
	}{
		"country": {rule: RuleCountry, peer: "111.235.161.47", attack: func(b time.Time) []*event.Event {
			return []*event.Event{proxied(b, pc1, "CONNECT", "kx7-update.duckdns.org:8443", "111.235.161.47", chrome124, "", 200)}
		}},
		"internal service": {rule: RuleInternalSvc, peer: appServer, extra: shares(), attack: func(b time.Time) []*event.Event {
			return []*event.Event{conn(b, pc1, appServer, 5985, "tcp", event.ActionNone)}
		}},
		"application": {rule: RuleApp, peer: "81.2.69.151", attack: func(b time.Time) []*event.Event {
			return []*event.Event{proxied(b, pc1, "GET", "http://files.example.net/a.ps1", "81.2.69.151", psAgent, "text/plain", 200)}
		}},
		"category": {rule: RuleCategory, peer: "81.2.69.151", attack: func(b time.Time) []*event.Event {
			return []*event.Event{proxied(b, pc1, "CONNECT", "files.example.net:443", "81.2.69.151", chrome124, "", 200)}
		}},
		"port": {rule: RulePort, peer: "203.0.113.66", attack: func(b time.Time) []*event.Event {
			return []*event.Event{conn(b, pc1, "203.0.113.66", 4444, "tcp", event.ActionAllow)}
		}},
		"executable source": {rule: RuleExeSource, peer: "81.2.69.151", attack: func(b time.Time) []*event.Event {
			return []*event.Event{proxied(b, pc1, "GET", "http://files.example.net/s/invoice.pdf.exe", "81.2.69.151", chrome124, "application/octet-stream", 200)}
		}},
		"upload type": {rule: RuleUploadType, peer: "81.2.69.170", attack: func(b time.Time) []*event.Event {
			return []*event.Event{proxied(b, pc1, "PUT", "http://storage.example.org/put/backup_2026.7z", "81.2.69.170", chrome124, "application/json", 200)}
		}},
		"bare address": {rule: RuleIPDirect, peer: "198.51.100.77", attack: func(b time.Time) []*event.Event {
			// A page: a file fetched by bare address is reported even
			// while learning (and never learned), so it cannot show the guard.
			return []*event.Event{proxied(b, pc1, "GET", "http://198.51.100.77/status", "198.51.100.77", "Mozilla/4.0", "text/html", 200)}
		}},
		"query shape": {rule: RuleQuery, peer: "81.2.69.180", extra: searches(), attack: func(b time.Time) []*event.Event {
			q := func(d time.Duration) *event.Event { // the implant sends twice: one odd query alone is never learned
				return sensorHTTP(b.Add(d), pc1, "81.2.69.180", 80, "GET", "search.example.jp", "/search?q="+exfilBlob, chrome124)
			}
			return []*event.Event{q(0), q(time.Minute)}
		}},
		"CONNECT port": {rule: RuleConnectPort, peer: "198.51.100.44", attack: func(b time.Time) []*event.Event {
			return []*event.Event{proxied(b, pc1, "CONNECT", "c2.example.net:4444", "198.51.100.44", "x", "", 200)}
		}},
		"executable across the LAN": {rule: RuleLANExe, peer: pc3, attack: func(b time.Time) []*event.Event {
			return []*event.Event{smbWrite(b, pc1, pc3, `\\`+pc3+`\ADMIN$`, "kXaGmzqz.exe"), rpc(b.Add(400*time.Millisecond), pc1, pc3, "svcctl", "CreateServiceW")}
		}},
		"proxy bypass": {rule: RuleProxyBypass, peer: "67.43.156.14", attack: func(b time.Time) []*event.Event {
			return []*event.Event{conn(b, pc1, "67.43.156.14", 443, "tcp", event.ActionAllow)}
		}},
		"no DNS": {rule: RuleNoDNS, peer: "67.43.156.14", extra: lookups(), attack: func(b time.Time) []*event.Event {
			return []*event.Event{conn(b, pc1, "67.43.156.14", 443, "tcp", event.ActionAllow)}
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			during := at(5 * time.Hour)
			after := day2(3 * time.Hour)
			reported := func(sensorSaw bool) bool {
				learn := concat(browsing(), c.extra, c.attack(during))
				if sensorSaw {
					learn = append(learn, idsAlert(during.Add(2*time.Minute), pc1, c.peer))
				}
				sortEvents(learn)
				e := engineWithSensor(t)
				for _, ev := range concat(learn, c.attack(after)) {
					e.Process(ev)
				}
				if err := e.Finish(); err != nil {
					t.Fatal(err)
				}
				for _, a := range e.Alerts() {
					if a.Rule == c.rule && a.Endpoint == pc1 && !a.LastSeen.Before(after) {
						return true
					}
				}
				return false
			}
			if !reported(true) {
				t.Errorf("%s: the attack the sensor reported while learning was learned: not reported after learning", c.rule)
			}
			if reported(false) {
				t.Errorf("%s: reported after learning even without the sensor's alert: the case does not show the guard", c.rule)
			}
		})
	}
}

// engineWithSensor is a real engine with the normal-business rules and M-IDS,
// learning for a day.
func engineWithSensor(t *testing.T) *detect.Engine {
	t.Helper()
	fs := Factories()
	for _, f := range matching.Factories() {
		if f.Rule == "M-IDS" {
			fs = append(fs, f)
		}
	}
	env := engineEnv(t)
	e, err := detect.New(detect.Options{Factories: fs, Env: env, Learning: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// N-COUNTRY learns a country from inbound traffic only when two outside
// sources brought it: one outside source reaching the file server while
// learning does not make its country usual for it.
func TestCountryInboundNeedsTwoSources(t *testing.T) {
	geo := fakeGeo{"81.2.69.150": "GB", "89.160.20.130": "SE", "111.235.161.47": "CN", "111.235.161.48": "CN", "111.235.161.49": "CN"}
	in := func(tm time.Time, src string) *event.Event {
		return conn(tm, src, fileServer, 22, "tcp", event.ActionNone)
	}
	one := browsing()
	for h := range 8 {
		one = append(one, in(at(time.Duration(h)*time.Hour+10*time.Minute), "111.235.161.47"))
	}
	two := append(concat(one), in(at(9*time.Hour), "111.235.161.48"))
	env := func() *detect.Env {
		e := testEnv(t)
		e.Geo = geo
		return e
	}
	check(t, newCountry, env, map[string]ruleCase{
		"one outside source while learning": {
			learn:   one,
			observe: []*event.Event{in(day2(0), "111.235.161.49")},
			want:    &wantFinding{endpoint: fileServer, peer: "111.235.161.49", key: "CN", summary: []string{"traffic from 111.235.161.49"}},
		},
		"two outside sources while learning": {
			learn:   two,
			observe: []*event.Event{in(day2(0), "111.235.161.49")},
		},
	})
}

// N-QUERY judges by the second largest shape a site showed: one query
// with a blob while learning (an exfiltration then) does not make blobs
// normal for the site.
func TestQueryOneOddQueryWhileLearning(t *testing.T) {
	learn := append(searches(), sensorHTTP(at(2*time.Hour), pc1, "81.2.69.180", 80, "GET", "search.example.jp", "/search?q="+exfilBlob, chrome124))
	check(t, newQuery, func() *detect.Env { return testEnv(t) }, map[string]ruleCase{
		"the blob again": {
			learn:   learn,
			observe: []*event.Event{sensorHTTP(day2(0), pc1, "81.2.69.180", 80, "GET", "search.example.jp", "/search?q="+exfilBlob, chrome124)},
			want:    &wantFinding{endpoint: pc1, peer: "search.example.jp", key: "example.jp", summary: []string{"base64 blob"}},
		},
	})
}
