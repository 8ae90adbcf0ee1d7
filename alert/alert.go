// Package alert defines what a detector raises: one finding about one
// endpoint, with the rule that made it, the reasons in words and the
// original log lines that are its evidence.
//
// The JSON form (field names and values) is a stable interface for scripts:
// add fields, never rename or remove them.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/event"
)

// Perspective is the analysis perspective of the defence model (§2.2).
type Perspective string

// The three analysis perspectives.
const (
	Matching    Perspective = "matching"
	Statistical Perspective = "statistical"
	Composite   Perspective = "composite"
)

// Basis says what the rule compares against.
type Basis string

// The two bases of comparison.
const (
	KnownAttack    Basis = "known-attack"
	NormalBusiness Basis = "normal-business"
)

// Severity orders alerts for the person at the keyboard.
type Severity uint8

// The severities, lowest first.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", s)
}

// Symbol is a mark per severity, so that severities differ without colour
// (a monochrome terminal, a colour-blind reader, a pipe): · ○ ◆ ▲ ■.
func (s Severity) Symbol() string {
	return [...]string{"·", "○", "◆", "▲", "■"}[min(int(s), 4)]
}

// ParseSeverity reads a severity name.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(n, s) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Evidence references one event behind an alert.
type Evidence struct {
	Time   time.Time `json:"time"`
	File   string    `json:"file"`
	Offset int64     `json:"offset"`         // byte offset of the line
	Line   int64     `json:"line,omitempty"` // line number, from 1; 0 when not known
	Raw    string    `json:"raw"`
}

// Place says where the line is in its file, for people: "line 5123", or
// "byte 2310263" when its number is not known (evidence stored before
// lines were numbered).
func (e Evidence) Place() string { return event.Place(e.Line, e.Offset) }

// MaxEvidence bounds how many events an alert keeps: the first ones (how it
// started) and the latest ones (that it goes on).
const MaxEvidence = 20

// Alert is one finding. Repeats of the same finding (same rule, endpoint and
// key within the rule's window) update Count, LastSeen and Evidence instead
// of making a new alert.
type Alert struct {
	ID          string      `json:"id"`
	Time        time.Time   `json:"time"` // event time at which the alert was raised
	FirstSeen   time.Time   `json:"first_seen"`
	LastSeen    time.Time   `json:"last_seen"`
	Rule        string      `json:"rule"`
	Title       string      `json:"title"`
	Perspective Perspective `json:"perspective"`
	Basis       Basis       `json:"basis"`
	Phase       int         `json:"phase"`
	Attack      []string    `json:"attack"`
	Endpoint    string      `json:"endpoint"`
	Host        string      `json:"host"`
	Peer        string      `json:"peer"`
	Severity    Severity    `json:"severity"`
	Score       float64     `json:"score"`
	Count       int         `json:"count"`
	Summary     string      `json:"summary"`
	Evidence    []Evidence  `json:"evidence"`

	// Key distinguishes findings of one rule on one endpoint (a domain, a
	// peer, a signature id). With Rule, Endpoint and the window start it
	// makes the ID.
	Key string `json:"key,omitempty"`
	// Details are named figures behind the score ("interval_s": "300").
	Details map[string]string `json:"details,omitempty"`
	// Acked is set when someone acknowledged the alert in the console.
	Acked bool `json:"acked,omitempty"`
	// Incident is the id of the incident the alert is attached to.
	Incident string `json:"incident,omitempty"`
	// Priority is the alert's rank in the list it was shown in (1 = shown
	// first), in the priority order of Sort; 0 when it was not ranked.
	Priority int `json:"priority"`
}

// MakeID derives a stable alert id from what identifies the finding, so
// that a replay or a re-scan of the same logs updates the same alert.
func MakeID(rule, endpoint, key string, window time.Time) string {
	h := sha256.New()
	for _, s := range []string{rule, endpoint, key, window.UTC().Format(time.RFC3339)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// AddEvidence appends ev, keeping the first MaxEvidence/2 and the most
// recent rest when there are more than MaxEvidence. A line the alert
// already has (same file, offset and text) is not added again.
func (a *Alert) AddEvidence(ev ...Evidence) {
	for _, e := range ev {
		if a.HasEvidence(e) {
			continue
		}
		if len(a.Evidence) < MaxEvidence {
			a.Evidence = append(a.Evidence, e)
			continue
		}
		keep := MaxEvidence / 2
		copy(a.Evidence[keep:], a.Evidence[keep+1:])
		a.Evidence[len(a.Evidence)-1] = e
	}
}

// HasEvidence reports whether the alert has the line e.
func (a *Alert) HasEvidence(e Evidence) bool {
	for _, have := range a.Evidence {
		if have.File == e.File && have.Offset == e.Offset && have.Raw == e.Raw {
			return true
		}
	}
	return false
}
