package statistical

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// defaultRelayRoles are the inventory roles of machines that carry other
// machines' traffic: what they send is their clients' doing, which the
// proxy log, the resolver's query log or the sensor already attribute to
// the clients.
var defaultRelayRoles = detect.DefaultRelayRoles

// relays tells which internal machines relay others' traffic (see
// detect.Relays), with a rule's own relay roles. A relay's own upstream
// connections, lookups and volume are its clients', so the per-endpoint
// statistical rules leave them out (the clients are judged instead).
type relays struct{ *detect.Relays }

func newRelays(roles []string, env *detect.Env) *relays {
	return &relays{detect.NewRelays(roles, env)}
}

// note learns proxies from a request sent to an internal machine in
// proxy form (CONNECT host:port).
func (r *relays) note(ev *event.Event) { r.Learn(ev) }

// is reports whether a relays others' traffic.
func (r *relays) is(a netip.Addr) bool { return r.Is(a) }

// role names what a relay is, for explanations.
func (r *relays) role(a netip.Addr) string { return r.Role(a) }

// widelyUsed reports whether dest is normal business by prevalence: the
// engine's Common (half of enough endpoints reach it), or at least
// minUsers endpoints that are at least share of all endpoints (several
// machines running the same software: the weather tile every PC fetches
// every 30 minutes). The engine leaves relays out of prevalence. With fewer
// endpoints than the prevalence minimum nothing is widely used, so that a
// real beacon in a one-PC capture is still found.
func widelyUsed(p *detect.Prevalence, dest string, minUsers int, share float64) bool {
	if p == nil || dest == "" {
		return false
	}
	if p.Common(dest) {
		return true
	}
	n, total := p.Users(dest)
	return total >= p.MinEndpoints && n >= minUsers && float64(n) >= share*float64(total)
}

// prevalenceOf says "seen from n of m endpoints" in both languages.
func prevalenceOf(p *detect.Prevalence, dest string) (en, ja string) {
	if p == nil {
		return "", ""
	}
	n, total := p.Users(dest)
	return fmt.Sprintf("seen from %d of %d endpoints", n, total), fmt.Sprintf("%d台中%d台が通信", total, n)
}

// externalName reports whether a DNS name can be an internet destination:
// its top-level domain is an ICANN one and it is not a reverse-lookup or
// local name (printer.lan, wpad, _ldap._tcp.dc._msdcs.corp.local).
func externalName(name string) bool {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return false
	}
	tld := name[i+1:]
	if tld == "arpa" || tld == "local" || tld == "internal" {
		return false
	}
	_, icann := publicsuffix.PublicSuffix(tld)
	return icann
}

// normName lowercases a DNS name and drops a trailing dot, without
// allocating for names already in that form.
func normName(s string) string {
	s = strings.TrimSuffix(s, ".")
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// evidence is what an alert needs of an event (its time and line), kept
// instead of the whole event so that state stays small.
type evidence struct {
	time time.Time
	ref  event.Ref
	raw  string
}

func evidenceOf(ev *event.Event) evidence {
	return evidence{time: ev.Time, ref: ev.Ref, raw: ev.Raw}
}

func (e evidence) valid() bool { return !e.time.IsZero() }

// events turns kept evidence into events for a finding.
func events(es ...evidence) []*event.Event {
	out := make([]*event.Event, 0, len(es))
	for _, e := range es {
		if e.valid() {
			out = append(out, &event.Event{Time: e.time, Ref: e.ref, Raw: e.raw})
		}
	}
	return out
}

// dur formats how long something lasted: "90 s", "4 min", "8 h",
// "2.5 d".
func dur(d time.Duration) string {
	if s := d.Seconds(); s >= 120 && s < 2*3600 {
		return strconv.Itoa(int(math.Round(s/60))) + " min"
	}
	return span(d)
}

// durJA is dur in Japanese: "90秒", "4分", "8時間", "2.5日".
func durJA(d time.Duration) string {
	if s := d.Seconds(); s >= 120 && s < 2*3600 {
		return strconv.Itoa(int(math.Round(s/60))) + "分"
	}
	return spanJA(d)
}

// span formats an interval for summaries: "300 s", "45 min", "8 h",
// "2.5 d".
func span(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s < 1000:
		return strconv.Itoa(int(math.Round(s))) + " s"
	case s < 2*3600:
		return strconv.Itoa(int(math.Round(s/60))) + " min"
	case s < 48*3600:
		return trimFloat(s/3600) + " h"
	}
	return trimFloat(s/86400) + " d"
}

// spanJA formats a duration in Japanese: "300秒", "45分", "8時間", "2.5日".
func spanJA(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s < 1000:
		return strconv.Itoa(int(math.Round(s))) + "秒"
	case s < 2*3600:
		return strconv.Itoa(int(math.Round(s/60))) + "分"
	case s < 48*3600:
		return trimFloat(s/3600) + "時間"
	}
	return trimFloat(s/86400) + "日"
}

// trimFloat writes v with one decimal, dropping ".0".
func trimFloat(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
}

// hourRange writes the local hour starting at t: "02:00–03:00".
func hourRange(t time.Time) string {
	return t.Format("15:04") + "–" + t.Add(time.Hour).Format("15:04")
}
