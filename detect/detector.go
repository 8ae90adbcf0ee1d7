// Package detect is mamori's detection engine: the matching, statistical
// and composite rules of the defence model, run over the event stream in
// event time, with baselines of normal business learned per endpoint, per
// segment and across the organisation.
//
// Every rule is a Detector registered under its catalog id. The Engine
// feeds each event to the detectors that want its kind, in time order;
// detectors report Findings; the engine turns them into alerts (title,
// perspective, phase and ATT&CK ids from the catalog), aggregates repeats,
// scores severity and hands alerts to the composite rules.
package detect

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/event"
)

// Detector is one rule.
type Detector interface {
	// Rule returns the rule's catalog id.
	Rule() string
	// Kinds lists the event kinds the rule reads; nil means none (a
	// composite rule that only reads alerts).
	Kinds() []event.Kind
	// Observe looks at one event. Events come in event-time order.
	Observe(ev *event.Event, em *Emitter)
}

// Ticker is a detector that evaluates windows as event time passes.
type Ticker interface {
	// Tick is called when event time crosses a minute boundary.
	Tick(now time.Time, em *Emitter)
}

// Finisher is a detector with windows to evaluate at the end of a batch
// scan, when no more events will come.
type Finisher interface {
	Finish(now time.Time, em *Emitter)
}

// AlertObserver is a detector that reads alerts (the composite rules).
type AlertObserver interface {
	ObserveAlert(a *alert.Alert, em *Emitter)
}

// Learner is a detector with a baseline: during the learning window it
// learns instead of observing, and its baseline is saved with the others.
// The normal-business learners get only what no known-attack alert
// tainted (see guard): the matching ones learnDelay late, when the
// windowed rules have judged the events.
type Learner interface {
	Learn(ev *event.Event)
	// Baseline returns the learned state to persist, and Restore sets it.
	Baseline() any
	Restore(data []byte) error
}

// Requirer is a detector that can only run with something configured (a
// GeoIP database, IOC lists): Missing says what is missing, or "".
type Requirer interface {
	Missing() string
}

// Param is a tunable setting of a rule, settable in the config file under
// rules.<id>.params.<name>.
type Param struct {
	Name    string
	Default any
	Doc     string
}

// Parameterized is a detector with tunable settings.
type Parameterized interface {
	Params() []Param
}

// Finding is what a detector reports: the engine makes or updates an alert
// from it.
type Finding struct {
	Rule string
	// Time is the event time the finding is about (its last event).
	Time time.Time
	// FirstSeen, when set, is when the behaviour began (a beacon's first
	// connection); else Time.
	FirstSeen time.Time
	// Endpoint is the internal endpoint concerned (see alert.Alert), as an
	// address or a host name; Host is its name when known.
	Endpoint string
	Host     string
	// Peer is the other party (address, domain or user); Key
	// distinguishes findings of one rule on one endpoint and defaults to
	// Peer.
	Peer string
	Key  string
	// Score is how strong the finding is, 0 to 1.
	Score float64
	// Count is how many occurrences this finding stands for; zero means 1.
	// With Absolute, Count is the total so far (a beacon's connections)
	// rather than what this finding adds.
	Count    int
	Absolute bool
	// Summary says why, in words (English); SummaryJA in Japanese, when
	// the detector has one.
	Summary   string
	SummaryJA string
	// Details are the named figures behind the score.
	Details map[string]string
	// Evidence are the events that show it.
	Evidence []*event.Event
	// Phase overrides the rule's catalog phase when the detector knows
	// better (an IDS alert's category); zero keeps it.
	Phase int
	// Severity, when set, overrides the computed base severity.
	Severity *alert.Severity
	// Rare says the peer is seen by few endpoints of the organisation.
	Rare bool
}

// Emitter collects a detector's findings.
type Emitter struct {
	rule     string
	findings []Finding
}

// Emit reports a finding.
func (em *Emitter) Emit(f Finding) {
	if f.Rule == "" {
		f.Rule = em.rule
	}
	em.findings = append(em.findings, f)
}

// NewEmitter returns an emitter for rule, for detectors' tests.
func NewEmitter(rule string) *Emitter { return &Emitter{rule: rule} }

// Findings returns and clears what was emitted, for detectors' tests.
func (em *Emitter) Findings() []Finding {
	fs := em.findings
	em.findings = nil
	return fs
}

// endpointOf names an event's endpoint as findings do.
func endpointOf(ev *event.Event) string { return ev.EndpointID() }

// Addr formats an address, or "" for none.
func Addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// Itoa formats an int for Details.
func itoa(n int) string { return strconv.Itoa(n) }

// Plural writes "n thing" or "n things".
func Plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
