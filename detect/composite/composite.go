// Package composite implements the composite rules of the defence model:
// they read the alerts of the other rules (detect.AlertObserver) and raise
// what no single event shows.
//
//   - C-KILLCHAIN: one endpoint's alerts walk forward through three or
//     more attack phases within a week: an attack in progress, the first
//     thing to show.
//   - C-SAME-EP: on one endpoint, a mismatch with normal business and a
//     statistical deviation recur over several hours of a day: the
//     continuity an implant shows.
//   - C-CROSS-EP: alerts line up across endpoints — A has a delivery or
//     foothold alert, then reaches B over a remote-administration or
//     file-sharing protocol, then B raises alerts of its own (a lateral
//     chain); or several endpoints alert on the same rare destination (one
//     campaign, several victims).
//
// Composite alerts never feed composite rules (the engine does not show
// them to AlertObservers), and alerts at information level (a relay's
// lookups on behalf of its clients, internet noise an IDS rule weighed
// down) take no part. State is per endpoint and destination in bounded
// LRUs, pruned to each rule's window.
package composite

import (
	"net/netip"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// Factories returns the rules of this package.
func Factories() []detect.Factory {
	return []detect.Factory{
		{Rule: RuleKillChain, New: newKillChain},
		{Rule: RuleSameEP, New: newSameEP},
		{Rule: RuleCrossEP, New: newCrossEP},
	}
}

// The catalog ids of the rules.
const (
	RuleKillChain = "C-KILLCHAIN"
	RuleSameEP    = "C-SAME-EP"
	RuleCrossEP   = "C-CROSS-EP"
)

// maxEndpoints bounds the endpoints each rule keeps state for: an office
// has far fewer; the least recently alerting are forgotten first.
const maxEndpoints = 4096

// counts reports whether an alert takes part in composite rules: not a
// composite one, and above information level.
func counts(a *alert.Alert) bool {
	return a.Perspective != alert.Composite && a.Severity >= alert.Low && a.Endpoint != ""
}

// phaseMark is the circled digit of an attack phase: ② for 2.
func phaseMark(n int) string {
	if n < 1 || n > 20 {
		return "(" + itoa(n) + ")"
	}
	return string(rune('①' + n - 1))
}

// phaseName is a phase's short name from the catalog, in English and
// Japanese.
func phaseName(env *detect.Env, n int) (en, ja string) {
	if env.Catalog != nil {
		if p, ok := env.Catalog.Phase(n); ok {
			return p.Short.EN, p.Short.JA
		}
	}
	return "phase " + itoa(n), "フェーズ" + itoa(n)
}

// clock formats an event time for a summary, in the office's zone (which
// the command line and the console also show times in when one is
// configured; see cmd/mamori).
func clock(env *detect.Env, t time.Time) string { return env.Local(t).Format("01-02 15:04") }

// clockSpan formats a period for a summary: "12-06 11:21–11:25" within a
// day, "12-06 11:21" for an instant, both dates otherwise.
func clockSpan(env *detect.Env, from, to time.Time) string {
	f, t := env.Local(from), env.Local(to)
	switch {
	case f.Format("01-02 15:04") == t.Format("01-02 15:04"):
		return clock(env, from)
	case f.YearDay() == t.YearDay() && f.Year() == t.Year():
		return clock(env, from) + "–" + t.Format("15:04")
	}
	return clock(env, from) + "–" + clock(env, to)
}

// who names an endpoint: "pc-023 (10.0.10.23)", or the id alone.
func who(host, endpoint string) string {
	if host == "" || host == endpoint {
		return endpoint
	}
	return host + " (" + endpoint + ")"
}

// evidenceOf turns an alert's first evidence line into an event the
// engine can keep as the composite's evidence.
func evidenceOf(a *alert.Alert) (event.Event, bool) {
	if len(a.Evidence) == 0 {
		return event.Event{}, false
	}
	e := a.Evidence[0]
	return event.Event{Time: e.Time, Ref: event.Ref{File: e.File, Offset: e.Offset}, Raw: e.Raw}, true
}

// addrOf parses an alert's endpoint as an address.
func addrOf(endpoint string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(endpoint)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// listOf joins names with commas, in order and without repeats.
func listOf(names []string) string {
	var out []string
	for _, n := range names {
		dup := false
		for _, o := range out {
			dup = dup || o == n
		}
		if !dup {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
