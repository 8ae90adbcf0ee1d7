package statistical

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// sshLogin is an sshd line of server about a login of user from client,
// enriched as ingest does with the inventory of newEnv.
func sshLogin(env *detect.Env, at time.Time, server, client, user, label string) *event.Event {
	line++
	c := netip.MustParseAddr(client)
	ev := &event.Event{Time: at, Format: "sshd", Kind: event.KindAuth, Service: "ssh", Observer: server, SrcIP: c, SrcPort: 50000,
		User: user, Label: label, Outcome: event.OutcomeFailure, Ref: event.Ref{File: "/var/log/auth.log", Offset: line},
		Raw: fmt.Sprintf("%s sshd: %s %s from %s", server, label, user, client)}
	if label == "accepted" {
		ev.Outcome = event.OutcomeSuccess
	}
	if a, ok := env.Assets.AddrOf(server); ok {
		ev.DstIP = a
	}
	switch {
	case env.Internal(ev.SrcIP):
		ev.Endpoint = ev.SrcIP
	case env.Internal(ev.DstIP):
		ev.Endpoint = ev.DstIP
	default:
		ev.Host = server
	}
	if h := env.HostOf(ev.Endpoint); h != "" {
		ev.Host = h
	}
	return ev
}

func TestErrors(t *testing.T) {
	start := t0.Add(10 * time.Hour)
	inv := []string{"10.0.20.10 fs01 servers file-server", "10.0.20.3 proxy01 servers proxy", "10.0.20.5 www01 dmz web-server"}
	tests := map[string]struct {
		events  func(env *detect.Env, r *rand.Rand) (learn, test []*event.Event)
		want    bool
		ep      string
		peer    string
		key     string
		summary []string
		score   float64
	}{
		"ssh brute force from a PC, then a success": {
			events: func(env *detect.Env, r *rand.Rand) (_, evs []*event.Event) {
				users := []string{"root", "admin", "administrator", "test", "guest", "backup", "oracle", "postgres", "ubuntu"}
				at := start
				for i := range 62 {
					at = at.Add(time.Duration(2+r.IntN(5)) * time.Second)
					evs = append(evs, sshLogin(env, at, "fs01", "10.0.10.23", users[i%len(users)], "failed"))
				}
				return nil, append(evs, sshLogin(env, at.Add(3*time.Second), "fs01", "10.0.10.23", "admin", "accepted"))
			},
			want: true, ep: "10.0.10.23", peer: "10.0.20.10", key: "ssh 10.0.20.10", score: 1,
			summary: []string{"62 failed SSH logins for 9 users (admin, administrator, backup, guest, oracle, …) in 4 min from 10.0.10.23 to fs01 (brute force)", "then a success for admin"},
		},
		"NTLM failures against the domain controller (Zeek)": {
			events: func(env *detect.Env, r *rand.Rand) (_, evs []*event.Event) {
				for i := range 14 {
					ev := conn(start.Add(time.Duration(i*20)*time.Second), "zeek.ntlm", "10.0.10.23", "10.0.20.5", 445, "", 0, internalAddr)
					ev.Kind, ev.Service, ev.User, ev.Outcome = event.KindAuth, "ntlm", fmt.Sprintf(`CORP\user%d`, i%3), event.OutcomeFailure
					evs = append(evs, ev)
				}
				return nil, evs
			},
			want: true, ep: "10.0.10.23", peer: "10.0.20.5", key: "ntlm 10.0.20.5",
			summary: []string{"14 failed NTLM logins for 3 users", "from 10.0.10.23 to www01 (brute force)"},
		},
		"the administrator's typos": {
			events: func(env *detect.Env, r *rand.Rand) (_, evs []*event.Event) {
				for day := range 3 {
					at := start.Add(time.Duration(day) * 24 * time.Hour)
					evs = append(evs, sshLogin(env, at, "fs01", "10.0.30.10", "yamada", "pam-failure"),
						sshLogin(env, at, "fs01", "10.0.30.10", "yamada", "failed"),
						sshLogin(env, at.Add(4*time.Second), "fs01", "10.0.30.10", "yamada", "failed"),
						sshLogin(env, at.Add(9*time.Second), "fs01", "10.0.30.10", "yamada", "accepted"))
				}
				return nil, evs
			},
		},
		"internet brute force of a public server": {
			events: func(env *detect.Env, r *rand.Rand) (_, evs []*event.Event) {
				for i := range 40 {
					at := start.Add(time.Duration(i*7) * time.Second)
					evs = append(evs, sshLogin(env, at, "www01", "198.51.100.66", "root", "pam-failure"),
						sshLogin(env, at, "www01", "198.51.100.66", "root", "failed"))
				}
				return nil, evs
			},
			want: true, ep: "10.0.20.5", peer: "198.51.100.66", key: "ssh 198.51.100.66",
			summary: []string{"40 failed SSH logins for 1 user (root) in 5 min from 198.51.100.66 to www01 (brute force)"},
		},
		"NXDOMAIN burst of random names": {
			events: func(env *detect.Env, r *rand.Rand) (_, evs []*event.Event) {
				for i := range 40 {
					evs = append(evs, lookup(start.Add(time.Duration(i*4)*time.Second), "10.0.10.8", randomName(r)+".com", "NXDOMAIN"))
				}
				return nil, evs
			},
			want: true, ep: "10.0.10.8", key: "dns", summary: []string{"40 lookups answered NXDOMAIN (no such name) in 3 min for 32+ names"},
		},
		"an endpoint that always has some NXDOMAIN": {
			events: func(env *detect.Env, r *rand.Rand) (learn, evs []*event.Event) {
				for h := range 48 {
					for i := range 15 {
						learn = append(learn, lookup(start.Add(time.Duration(h)*time.Hour-72*time.Hour+time.Duration(i*20)*time.Second), "10.0.10.8", "printer-old.example.com", "NXDOMAIN"))
					}
				}
				for i := range 25 {
					evs = append(evs, lookup(start.Add(time.Duration(i*20)*time.Second), "10.0.10.8", "printer-old.example.com", "NXDOMAIN"))
				}
				return learn, evs
			},
		},
		"the proxy resolving clients' typos": {
			events: func(env *detect.Env, r *rand.Rand) (_, evs []*event.Event) {
				for i := range 30 {
					evs = append(evs, lookup(start.Add(time.Duration(i*10)*time.Second), "10.0.20.3", randomName(r)+".co.jp", "NXDOMAIN"))
				}
				return nil, evs
			},
		},
		"HTTP 404s hammered": {
			events: func(env *detect.Env, r *rand.Rand) (_, evs []*event.Event) {
				for i := range 50 {
					ev := connect(start.Add(time.Duration(i*6)*time.Second), "10.0.10.31", "cdn-update.duckdns.org", 300)
					ev.Method, ev.Status, ev.Label = "GET", 404, "TCP_MISS"
					evs = append(evs, ev)
				}
				return nil, evs
			},
			want: true, ep: "10.0.10.31", key: "http", summary: []string{"50 HTTP error answers (4xx/5xx or denied) of 50 in 5 min, from 1 site (cdn-update.duckdns.org)"},
		},
		"a blocked site tried again": {
			events: func(env *detect.Env, r *rand.Rand) (_, evs []*event.Event) {
				for i := range 5 {
					ev := connect(start.Add(time.Duration(i*20)*time.Second), "10.0.10.24", "www.netflix.com", 3900)
					ev.Status, ev.Label, ev.Action = 403, "TCP_DENIED", event.ActionDeny
					evs = append(evs, ev)
				}
				return nil, evs
			},
		},
		"firewall denies of a PC's connections": {
			events: func(env *detect.Env, r *rand.Rand) (_, evs []*event.Event) {
				for i := range 45 {
					ev := conn(start.Add(time.Duration(i*3)*time.Second), "netfilter", "10.0.10.40", "203.0.113.9", uint16(1000+i), "FW-DROP", 60, internalAddr)
					ev.Action = event.ActionDeny
					evs = append(evs, ev)
				}
				return nil, evs
			},
			want: true, ep: "10.0.10.40", key: "deny", summary: []string{"45 connections denied by the firewall in 2 min, to 32+ destinations"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			env := newEnv(inv...)
			learn, evs := tt.events(env, r)
			rn := newRun(env, NewErrors(detect.Params{}, env))
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
			if got.Peer != tt.peer || got.SummaryJA == "" || len(got.Evidence) < 2 || got.Score < tt.score {
				t.Errorf("finding: peer %q score %.2f evidence %d ja %q", got.Peer, got.Score, len(got.Evidence), got.SummaryJA)
			}
			for _, s := range tt.summary {
				if !strings.Contains(got.Summary, s) {
					t.Errorf("summary %q lacks %q", got.Summary, s)
				}
			}
		})
	}
}

func randomName(r *rand.Rand) string {
	b := make([]byte, 8+r.IntN(8))
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}
