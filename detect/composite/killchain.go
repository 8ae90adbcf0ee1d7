package composite

import (
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// killChain is C-KILLCHAIN: an endpoint whose alerts walk forward through
// min_phases (3) or more distinct attack phases within window (7 days),
// ② delivery → ③ foothold → ⑤ C2 say.
//
// Every alert update is an occurrence of its phase at its time (a new
// alert at its first sighting, an update at its latest). The chain is the
// longest sequence of occurrences whose times do not go back and whose
// phases strictly rise: phases seen in reverse order, or one phase
// repeated, make no chain. The finding carries the latest phase reached,
// Count is the number of phases (absolute), and it is raised again
// whenever the chain grows or changes, one alert per endpoint and window.
type killChain struct {
	env       *detect.Env
	window    time.Duration
	minPhases int
	eps       *detect.LRU[string, *chainState]
}

// chainState is one endpoint's recent alert occurrences.
type chainState struct {
	host string
	occs []occurrence
	sig  string // the chain last reported
}

// occurrence is one alert in one phase: the first and latest time it was
// seen in that phase.
type occurrence struct {
	id, rule, peer string
	phase          int
	first, last    time.Time
	ev             event.Event
	hasEv          bool
}

// maxOccurrences bounds what is kept per endpoint; the stalest go first.
const maxOccurrences = 128

func newKillChain(p detect.Params, env *detect.Env) detect.Detector {
	return &killChain{
		env:       env,
		window:    p.Duration("window", 7*24*time.Hour),
		minPhases: max(2, p.Int("min_phases", 3)),
		eps:       detect.NewLRU[string, *chainState](maxEndpoints),
	}
}

func (*killChain) Rule() string                          { return RuleKillChain }
func (*killChain) Kinds() []event.Kind                   { return nil }
func (*killChain) Observe(*event.Event, *detect.Emitter) {}
func (*killChain) Params() []detect.Param {
	return []detect.Param{
		{Name: "window", Default: "7d", Doc: "how far apart the first and last step of a chain may be: a targeted attack takes days from delivery to exfiltration"},
		{Name: "min_phases", Default: 3, Doc: "distinct phases, in forward order, that make a chain: two is what one download already shows (delivery and foothold)"},
	}
}

func (k *killChain) ObserveAlert(a *alert.Alert, em *detect.Emitter) {
	if !counts(a) || a.Phase < 1 {
		return
	}
	st := k.eps.GetOr(a.Endpoint, func() *chainState { return &chainState{} })
	if a.Host != "" {
		st.host = a.Host
	}
	now := a.LastSeen
	st.note(a, now)
	st.prune(now.Add(-k.window))
	chain := st.chain()
	if len(chain) < k.minPhases {
		return
	}
	sig := signature(chain)
	if sig == st.sig {
		return
	}
	st.sig = sig
	k.emit(a.Endpoint, st.host, chain, em)
}

// note records an alert update as an occurrence of its phase.
func (st *chainState) note(a *alert.Alert, now time.Time) {
	seen := false
	for i := range st.occs {
		o := &st.occs[i]
		if o.id != a.ID {
			continue
		}
		seen = true
		if o.phase == a.Phase {
			if now.After(o.last) {
				o.last = now
			}
			o.peer = a.Peer
			return
		}
	}
	// A new alert began at its first sighting; an alert that changed phase
	// reached the new one now.
	first := a.FirstSeen
	if seen || first.IsZero() || first.After(now) {
		first = now
	}
	o := occurrence{id: a.ID, rule: a.Rule, peer: a.Peer, phase: a.Phase, first: first, last: now}
	o.ev, o.hasEv = evidenceOf(a)
	if len(st.occs) >= maxOccurrences {
		stalest := 0
		for i := range st.occs {
			if st.occs[i].last.Before(st.occs[stalest].last) {
				stalest = i
			}
		}
		st.occs = slices.Delete(st.occs, stalest, stalest+1)
	}
	st.occs = append(st.occs, o)
}

// prune drops occurrences last seen before cut.
func (st *chainState) prune(cut time.Time) {
	st.occs = slices.DeleteFunc(st.occs, func(o occurrence) bool { return o.last.Before(cut) })
}

// link is one step of a chain.
type link struct {
	occ *occurrence
	at  time.Time
}

// chain returns the longest forward walk through the phases: occurrences
// ordered by time, phases strictly rising. Each occurrence counts at its
// first and at its latest time.
func (st *chainState) chain() []link {
	type point struct {
		at  time.Time
		occ *occurrence
	}
	pts := make([]point, 0, 2*len(st.occs))
	for i := range st.occs {
		o := &st.occs[i]
		pts = append(pts, point{o.first, o})
		if o.last.After(o.first) {
			pts = append(pts, point{o.last, o})
		}
	}
	slices.SortStableFunc(pts, func(a, b point) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.occ.phase - b.occ.phase
	})
	// best[p] is the longest chain ending in phase p so far (phases 1–6;
	// the catalog has no other).
	var best [7][]link
	for _, p := range pts {
		ph := p.occ.phase
		if ph < 1 || ph > 6 {
			continue
		}
		var prev []link
		for q := 1; q < ph; q++ {
			if len(best[q]) > len(prev) {
				prev = best[q]
			}
		}
		if len(prev)+1 > len(best[ph]) {
			c := make([]link, len(prev), len(prev)+1)
			copy(c, prev)
			best[ph] = append(c, link{p.occ, p.at})
		}
	}
	var out []link
	for ph := 6; ph >= 1; ph-- { // the longest; on a tie the one reaching further
		if len(best[ph]) > len(out) {
			out = best[ph]
		}
	}
	return out
}

func signature(chain []link) string {
	var b strings.Builder
	for _, l := range chain {
		b.WriteString(itoa(l.occ.phase))
		b.WriteByte(':')
		b.WriteString(l.occ.id)
		b.WriteByte(' ')
	}
	return b.String()
}

func (k *killChain) emit(endpoint, host string, chain []link, em *detect.Emitter) {
	first, last := chain[0], chain[len(chain)-1]
	var steps, stepsJA, marks, rules []string
	details := map[string]string{}
	var evidence []*event.Event
	for _, l := range chain {
		o := l.occ
		en, ja := phaseName(k.env, o.phase)
		steps = append(steps, phaseMark(o.phase)+" "+en+" "+o.rule+" "+clock(k.env, l.at))
		stepsJA = append(stepsJA, phaseMark(o.phase)+" "+ja+" "+o.rule+" "+clock(k.env, l.at))
		marks = append(marks, phaseMark(o.phase))
		rules = append(rules, o.rule)
		details["phase_"+itoa(o.phase)] = o.rule + " at " + l.at.UTC().Format(time.RFC3339)
		if o.hasEv {
			ev := o.ev
			evidence = append(evidence, &ev)
		}
	}
	span := last.at.Sub(first.at).Round(time.Minute)
	details["phases"] = strings.Join(marks, " → ")
	details["rules"] = listOf(rules)
	details["span"] = span.String()
	score := 0.9
	if len(chain) >= 4 {
		score = 1
	}
	em.Emit(detect.Finding{
		Time: last.at, FirstSeen: first.at, Endpoint: endpoint, Host: host, Peer: last.occ.peer, Key: "killchain",
		Score: score, Count: len(chain), Absolute: true, Phase: last.occ.phase,
		Summary: "Attack walking forward on " + who(host, endpoint) + ": " + strings.Join(steps, " → ") +
			" — " + itoa(len(chain)) + " phases in " + spanText(span) + ".",
		SummaryJA: who(host, endpoint) + " で攻撃が進行している：" + strings.Join(stepsJA, " → ") +
			"（" + itoa(len(chain)) + "フェーズ、" + spanText(span) + "）。",
		Details:  details,
		Evidence: evidence,
	})
}

// spanText writes a duration the way a person reads it: "40 min", "9 h",
// "3 d".
func spanText(d time.Duration) string {
	switch {
	case d < time.Hour:
		return itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		return itoa(int(d/time.Hour)) + " h"
	}
	return itoa(int(d/(24*time.Hour))) + " d"
}
