// Package parse defines what a log format is to mamori: a name, a way to
// recognise it from a file's first lines, and a decoder that turns one line
// into one normalised event. Each format family lives in its own package
// under ingest/ and is registered in ingest.Formats.
package parse

import (
	"errors"
	"fmt"
	"time"

	"github.com/mamori-soc/mamori/event"
)

// Source describes the file a decoder reads: what the lines alone don't say.
type Source struct {
	Path    string    // the file as opened (absolute)
	ModTime time.Time // its modification time, the upper bound for inferred years
	// Year, when non-zero, is the year of timestamps that carry none
	// (syslog); otherwise it is inferred so that no time lies in the future
	// relative to ModTime.
	Year int
	// Location is the zone of timestamps that carry none; nil means local.
	Location *time.Location
	// Live is set when the file is being followed: lines are being written
	// now, so the upper bound for inferred years is the current time, not
	// the modification time seen when the file was opened.
	Live bool
}

// Reference returns the latest time a line of the file can carry: the time
// of reading for a followed file, else its modification time. Years are
// inferred so that no timestamp lies after it (plus a day for clock skew).
func (s Source) Reference() time.Time {
	if s.Live || s.ModTime.IsZero() {
		return time.Now()
	}
	return s.ModTime
}

// Loc returns the zone for zone-less timestamps.
func (s Source) Loc() *time.Location {
	if s.Location == nil {
		return time.Local
	}
	return s.Location
}

// Decoder parses the lines of one file in order. A decoder may keep state
// between lines (a Zeek TSV header names the columns of the lines after it);
// it is used by one goroutine only.
type Decoder interface {
	// Decode parses line (without its line ending) into ev, which the caller
	// has zeroed. It returns nil when ev holds an event, ErrSkip for a line
	// that is well-formed but not an event (a comment, a header, a syslog
	// message of a program the format does not cover), or a *Reject for a
	// malformed line. line is only valid during the call: copy what is kept.
	Decode(line []byte, ev *event.Event) error
}

// Format is one supported log format.
type Format struct {
	Name    string // stable id used by --format and the config: "squid"
	Title   string // what it is, for `mamori formats`: "Squid native access.log"
	Example string // one real line of the format
	// ZoneLess says the format's times carry no zone (syslog-style): they
	// are read in the configured zone, and a wrong one shifts them by
	// whole hours (see ingest/skew).
	ZoneLess bool
	// Sniff rates how sure it is that a file with this path and these first
	// non-empty lines (at most SniffLines of them) is in this format: 0 for
	// no, 100 for certain (a Zeek header). Ingest picks the highest.
	Sniff func(path string, lines [][]byte) int
	// New returns a decoder for one file.
	New func(src Source) Decoder
}

// SniffLines is how many non-empty lines a Sniff function is shown.
const SniffLines = 32

// ErrSkip marks a line that is not an event and not an error.
var ErrSkip = errors.New("not an event")

// ErrSkipFile tells ingest that the whole file is of the format but holds
// nothing mamori uses (a Zeek x509.log). Wrapped with a reason (SkipFile),
// it makes ingest stop reading the file and list it as skipped with that
// reason, instead of counting every line.
var ErrSkipFile = errors.New("file skipped")

// SkipFile returns an error wrapping ErrSkipFile with a reason.
func SkipFile(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSkipFile, fmt.Sprintf(format, args...))
}

// Note is a well-formed line that is not an event but says something
// about how far the logs can be trusted: a sensor reporting that it
// missed packets (Zeek's capture_loss.log and CaptureLoss notices). Ingest
// counts it among the source's notes (SourceStats.Notes, shown in the
// console's sources pane and the scan summary) by Reason, a short fixed
// phrase, and keeps the line as a sample.
type Note struct {
	Reason string
}

func (n *Note) Error() string { return n.Reason }

// Notef returns a *Note with the given reason.
func Notef(format string, args ...any) error {
	return &Note{Reason: fmt.Sprintf(format, args...)}
}

// Reject is a malformed line. Reason is a short, fixed phrase that rejected
// lines are counted by ("bad timestamp", "too few fields"); Detail says what
// exactly was wrong with this line.
type Reject struct {
	Reason string
	Detail string
}

func (r *Reject) Error() string {
	if r.Detail == "" {
		return r.Reason
	}
	return r.Reason + ": " + r.Detail
}

// Rejectf returns a *Reject with the given reason and a formatted detail.
func Rejectf(reason, format string, args ...any) error {
	return &Reject{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// CheckTime is the one bound on the time of every parsed line, applied by
// ingest to every format's events (so no parser needs its own): a time
// that cannot be stored (before 1970, after 2262: see event.MinTime) is a
// *Reject, "timestamp out of range", never an event stored at a time
// wrapped into another century; a missing time is one too.
func CheckTime(t time.Time) error {
	if t.IsZero() {
		return &Reject{Reason: "missing timestamp", Detail: "the decoder found no time"}
	}
	if event.CheckTime(t) != nil {
		return Rejectf("timestamp out of range", "year %d (times from %d to %d are stored)", t.Year(), event.MinTime.Year(), event.MaxTime.Year())
	}
	return nil
}

// RejectReason returns the reason of a *Reject inside err, or a generic one.
func RejectReason(err error) string {
	var r *Reject
	if errors.As(err, &r) {
		return r.Reason
	}
	return "unparseable line"
}

// SniffByDecoding is a Sniff helper for line formats without a header: it
// decodes the lines and rates the share that parse as events, ignoring the
// skipped ones. A file where none parse rates 0.
func SniffByDecoding(f func(src Source) Decoder, lines [][]byte) int {
	dec := f(Source{ModTime: time.Now()})
	ok, bad := 0, 0
	for _, l := range lines {
		var ev event.Event
		switch err := dec.Decode(l, &ev); {
		case err == nil:
			ok++
		case errors.Is(err, ErrSkip):
		default:
			bad++
		}
	}
	if ok == 0 {
		return 0
	}
	return 1 + 89*ok/(ok+bad) // 1..90: leave 100 for formats with a header
}
