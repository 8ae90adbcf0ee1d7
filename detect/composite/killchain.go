package composite

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
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
	sig  uint64 // the chain last reported
}

// occurrence is one alert in one phase: the first and latest time it was
// seen in that phase.
type occurrence struct {
	id, rule, peer string
	phase          int
	first, last    time.Time
	evs            []event.Event // the alert's first evidence lines (up to maxStepEvidence)
}

// maxStepEvidence is how many of an alert's evidence lines a step keeps,
// to find one that no earlier step already shows (one download line can
// raise a delivery and a foothold alert).
const maxStepEvidence = 3

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
	if st.phases() < k.minPhases {
		return // the common case: no chain is possible, skip the search
	}
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
			o.evs = evidenceLines(a, o.evs[:0])
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
	o.evs = evidenceLines(a, nil)
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
	st.occs = slices.DeleteFunc(st.occs, func(o occurrence) bool { return o.last.Before(cut) }) // occurrences are small: no event copies
}

// phases counts the distinct phases among the occurrences.
func (st *chainState) phases() int {
	var seen uint32
	n := 0
	for i := range st.occs {
		if bit := uint32(1) << (st.occs[i].phase & 31); seen&bit == 0 {
			seen |= bit
			n++
		}
	}
	return n
}

// link is one step of a chain.
type link struct {
	occ *occurrence
	at  time.Time
}

// chain returns the longest forward walk through the phases: occurrences
// whose phases strictly rise and whose times do not go back, each counting
// at its first and at its latest time. Of the longest walks it returns the
// one whose every step is as early as it can be, and on a tie in length the
// one reaching the furthest phase. The search keeps, for each phase p and
// length n, the earliest time an n-step walk can end in p (only that matters
// for going on), so it needs no sorting and no memory beyond the result.
func (st *chainState) chain() []link {
	const top = 6 // the catalog's phases are 1 to 6
	var (
		end  [top + 1][top + 1]time.Time
		step [top + 1][top + 1]link
		prev [top + 1][top + 1]int
		ok   [top + 1][top + 1]bool
	)
	for p := 1; p <= top; p++ {
		for n := 1; n <= p; n++ {
			var after time.Time
			from := 0
			if n > 1 {
				for q := n - 1; q < p; q++ {
					if ok[q][n-1] && (from == 0 || end[q][n-1].Before(after)) {
						after, from = end[q][n-1], q
					}
				}
				if from == 0 {
					break
				}
			}
			for i := range st.occs {
				o := &st.occs[i]
				if o.phase != p {
					continue
				}
				for _, t := range [2]time.Time{o.first, o.last} {
					if (n == 1 || !t.Before(after)) && (!ok[p][n] || t.Before(end[p][n])) {
						end[p][n], step[p][n], prev[p][n], ok[p][n] = t, link{o, t}, from, true
					}
				}
			}
			if !ok[p][n] {
				break // a longer walk would have to end later still
			}
		}
	}
	bestP, bestN := 0, 0
	for p := top; p >= 1; p-- {
		for n := top; n > bestN; n-- {
			if ok[p][n] {
				bestP, bestN = p, n
				break
			}
		}
	}
	out := make([]link, bestN)
	for p, n := bestP, bestN; n > 0; n-- {
		out[n-1] = step[p][n]
		p = prev[p][n]
	}
	return out
}

// signature identifies a chain by its steps (FNV-1a over the phases and
// alert ids), so that it is reported again only when it changes.
func signature(chain []link) uint64 {
	h := uint64(14695981039346656037)
	mix := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	for _, l := range chain {
		h ^= uint64(l.occ.phase)
		h *= 1099511628211
		mix(l.occ.id)
	}
	return h
}

// evidenceLines appends an alert's first evidence lines to buf, as events
// the engine can keep as the chain's evidence.
func evidenceLines(a *alert.Alert, buf []event.Event) []event.Event {
	for _, e := range a.Evidence[:min(len(a.Evidence), maxStepEvidence)] {
		buf = append(buf, event.Event{Time: e.Time, Ref: event.Ref{File: e.File, Offset: e.Offset}, Raw: e.Raw})
	}
	return buf
}

// lineKey names an evidence line: its place, or its text when it has
// none.
func lineKey(ev *event.Event) string {
	if ev.Ref.File == "" {
		return "\x00" + ev.Raw
	}
	return ev.Ref.File + "\x00" + strconv.FormatInt(ev.Ref.Offset, 10)
}

// stepText says what a step of the chain was, in words: the phase, what
// the rule found (its title in the catalog, not its id), about what, and
// when: "② Delivery: executable disguised by a double extension,
// invoice.pdf.exe, 11-16 09:00".
func (k *killChain) stepText(o *occurrence, at time.Time) (en, ja string) {
	phase, phaseJA := phaseName(k.env, o.phase)
	what, whatJA := o.rule, o.rule
	if k.env.Catalog != nil {
		if r, ok := k.env.Catalog.Rule(o.rule); ok {
			what, whatJA = lowerFirst(r.Title.EN), r.Title.JA
		}
	}
	about, aboutJA := "", ""
	if o.peer != "" {
		about, aboutJA = ", "+sanitize.Line(o.peer), "、"+sanitize.Line(o.peer)
	}
	when := clock(k.env, at)
	return phaseMark(o.phase) + " " + phase + ": " + what + about + ", " + when,
		phaseMark(o.phase) + " " + phaseJA + "：" + whatJA + aboutJA + "、" + when
}

// lowerFirst lower-cases the first letter of a title used inside a
// sentence, unless the first word is an acronym ("IOC", "SMB").
func lowerFirst(s string) string {
	w, _, _ := strings.Cut(s, " ")
	if len(w) < 2 || w[1] >= 'A' && w[1] <= 'Z' || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

func (k *killChain) emit(endpoint, host string, chain []link, em *detect.Emitter) {
	first, last := chain[0], chain[len(chain)-1]
	var steps, stepsJA, marks, rules []string
	details := map[string]string{}
	var evidence []*event.Event
	shown := map[string]bool{}
	for _, l := range chain {
		o := l.occ
		en, ja := k.stepText(o, l.at)
		steps = append(steps, en)
		stepsJA = append(stepsJA, ja)
		marks = append(marks, phaseMark(o.phase))
		rules = append(rules, o.rule)
		details["phase_"+itoa(o.phase)] = o.rule + " at " + l.at.UTC().Format(time.RFC3339)
		// One evidence line per step, each a different line: a line an
		// earlier step already shows proves nothing more.
		for i := range o.evs {
			if line := lineKey(&o.evs[i]); !shown[line] {
				shown[line] = true
				ev := o.evs[i] // the engine keeps what it is given only while it records
				evidence = append(evidence, &ev)
				break
			}
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
