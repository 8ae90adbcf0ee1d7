package catalog

import (
	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/event"
)

// Rule is a detection rule: what the detection engine raises alerts under.
// Its ID is stable and is what alert.Alert.Rule holds.
type Rule struct {
	ID          string            `yaml:"id"` // "M-IOC-DOMAIN"
	Perspective alert.Perspective `yaml:"perspective"`
	Basis       alert.Basis       `yaml:"basis"`
	// Phase is the attack phase (1–6) the rule usually reveals, the one its
	// alerts carry unless the detector knows better; AlsoPhases are others
	// it can reveal.
	Phase      int            `yaml:"phase"`
	AlsoPhases []int          `yaml:"also_phases"`
	Attack     []string       `yaml:"attack"` // ATT&CK technique ids, see Catalog.Technique
	Severity   alert.Severity `yaml:"severity"`
	Title      Text           `yaml:"title"`
	// Description says what the rule looks for and why it matters, in one
	// paragraph.
	Description Text `yaml:"description"`
	// Sources are the log data the rule needs.
	Sources []Source `yaml:"sources"`
	// Lists are ids of the shipped lists the rule matches against (see
	// Catalog.List); most rules use none.
	Lists []string `yaml:"lists"`
	// Check is what an analyst should look at first when the rule fires.
	Check Text `yaml:"check"`
	// Learning says, for a rule that learns a baseline (or relies on one),
	// what it learns and how an attacker active while it learns is kept
	// from teaching it; empty for rules that learn nothing.
	Learning Text `yaml:"learning"`
	// Measures are ids of the containment measures the rule suggests, most
	// fitting first.
	Measures []string `yaml:"measures"`
}

// Phases returns the rule's primary phase followed by the others.
func (r *Rule) Phases() []int {
	return append([]int{r.Phase}, r.AlsoPhases...)
}

// SourceAlerts is the Source.Kind of composite rules, which read the
// alerts of other rules rather than events.
const SourceAlerts = "alert"

// Source is a kind of data a rule reads, with example log formats that
// provide it.
type Source struct {
	// Kind is an event kind name ("dns", "http", see event.Kind) or
	// SourceAlerts.
	Kind string `yaml:"kind"`
	// Formats are example format names providing events of the kind
	// ("squid", "zeek-conn"); empty for SourceAlerts.
	Formats []string `yaml:"formats"`
}

// EventKind returns the event kind the source names, and false for
// SourceAlerts.
func (s Source) EventKind() (event.Kind, bool) {
	return event.ParseKind(s.Kind)
}
