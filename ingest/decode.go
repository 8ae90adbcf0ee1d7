package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/ingest/skew"
)

// batchSize is how many events a source collects before sending them.
const batchSize = 1024

// backwardsNote is how far an event's time may go back from the previous
// one before it is noted: Squid and Zeek log at the end of a request or a
// connection, so small steps back are normal.
const backwardsNote = 10 * time.Minute

// A gap in a busy log: when a file whose events came at least gapRate a
// minute (over at least gapSpan) goes silent for more than gapNote and
// then resumes, the line after the silence is noted: the sensor, the
// proxy or the shipping of its logs stopped, and whatever happened then
// is not in the logs. A log that is quiet by nature (logins, notices, a
// small office's proxy at night) is not busy enough to be noted.
const (
	gapNote = time.Hour
	gapRate = 1.0
	gapSpan = 30 * time.Minute
)

// GapNote is the source note counting silences in a busy log (gapNote).
const GapNote = "gap of more than 1h in a busy log: events of that time are missing"

// DefaultMaxFutureSkew is how far in the future an event may be dated
// before it is noted: clocks of other machines drift, and a zone
// misconfigured by a few hours is common; a day more is not.
const DefaultMaxFutureSkew = 24 * time.Hour

// fileDecoder turns the lines of one file into events: it guards the parser
// against lines it should never see (too long, binary), bounds their times
// for every format alike (parse.CheckTime, and a note for a time beyond
// the future skew), keeps the raw line and its place for evidence, and
// counts everything in a tally.
type fileDecoder struct {
	ref      string // Ref.File of the events
	dec      parse.Decoder
	enr      *Enricher
	skew     time.Duration
	future   string // the note for lines dated beyond skew
	now      func() time.Time
	events   []event.Event
	t        tally
	prevTime time.Time
	sample   *skew.Sample // the zone check's sample of the format, if any
	// The run of events since the last gap, for GapNote: its first time
	// and how many.
	runStart time.Time
	runCount int64
}

func newFileDecoder(ref string, dec parse.Decoder, opt *Options) *fileDecoder {
	skew := opt.MaxFutureSkew
	if skew <= 0 {
		skew = DefaultMaxFutureSkew
	}
	return &fileDecoder{ref: ref, dec: dec, enr: opt.Enricher, skew: skew, future: FutureNote(skew), now: time.Now,
		events: make([]event.Event, 0, batchSize)}
}

// FutureNote is the source note counting lines dated more than skew in
// the future: stored, but flagged, and they move nothing (not the
// source's last event time, not retention).
func FutureNote(skew time.Duration) string {
	s := skew.String() // 24h0m0s: written 24h
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return "dated more than " + s + " in the future"
}

// errStopFile carries a decoder's ErrSkipFile up to the reader.
type errStopFile struct{ reason string }

func (e *errStopFile) Error() string { return e.reason }

// add decodes one line. It returns *errStopFile when the decoder says the
// whole file is of no use.
func (fd *fileDecoder) add(l line) error {
	fd.t.lines++
	fd.t.offset, fd.t.line = l.end, l.no
	text := l.text
	switch {
	case l.tooLong:
		fd.t.reject("line too long", fmt.Sprintf("%d bytes, more than %d", l.length, len(l.text)), l.where(), text)
		return nil
	case len(bytes.TrimSpace(text)) == 0:
		fd.t.ignored++
		return nil
	case bytes.IndexByte(text, 0) >= 0:
		fd.t.reject("binary data", "NUL bytes in the line", l.where(), text)
		return nil
	}
	raw := string(text) // kept byte for byte as evidence
	if !utf8.Valid(text) {
		text = bytes.ToValidUTF8(text, []byte("\uFFFD"))
		fd.t.note("invalid UTF-8 (replaced)", l.where(), text)
	}
	fd.events = append(fd.events, event.Event{})
	ev := &fd.events[len(fd.events)-1]
	err := fd.dec.Decode(text, ev)
	if err != nil {
		fd.events = fd.events[:len(fd.events)-1]
		var note *parse.Note
		switch {
		case errors.Is(err, parse.ErrSkip):
			fd.t.ignored++
		case errors.As(err, &note):
			fd.t.ignored++
			fd.t.note(note.Reason, l.where(), text)
		case errors.Is(err, parse.ErrSkipFile):
			return &errStopFile{reason: err.Error()}
		default:
			fd.t.reject(parse.RejectReason(err), err.Error(), l.where(), text)
		}
		return nil
	}
	if err := parse.CheckTime(ev.Time); err != nil {
		fd.events = fd.events[:len(fd.events)-1]
		fd.t.reject(parse.RejectReason(err), err.Error(), l.where(), text)
		return nil
	}
	ev.Ref = event.Ref{File: fd.ref, Offset: l.offset, Line: l.no}
	ev.Raw = raw
	ev.Time = ev.Time.UTC()
	if fd.enr != nil {
		fd.enr.Enrich(ev)
	}
	fd.t.events++
	if fd.sample != nil {
		fd.sample.Add(ev)
	}
	if ev.Time.After(fd.now().Add(fd.skew)) {
		fd.t.note(fd.future, l.where(), text)
		return nil
	}
	if !fd.prevTime.IsZero() && ev.Time.Before(fd.prevTime.Add(-backwardsNote)) {
		fd.t.note("time goes back more than 10m", l.where(), text)
	}
	fd.noteGap(ev.Time, l.where(), text)
	if ev.Time.After(fd.prevTime) {
		fd.prevTime = ev.Time
	}
	if ev.Time.After(fd.t.lastTime) {
		fd.t.lastTime = ev.Time
	}
	if fd.t.firstTime.IsZero() || ev.Time.Before(fd.t.firstTime) {
		fd.t.firstTime = ev.Time
	}
	return nil
}

// noteGap notes an event that follows a silence of more than gapNote in
// a busy run of the file, and starts a new run after any silence.
func (fd *fileDecoder) noteGap(t time.Time, at where, text []byte) {
	if fd.prevTime.IsZero() || fd.runStart.IsZero() {
		fd.runStart, fd.runCount = t, 1
		return
	}
	if t.Sub(fd.prevTime) <= gapNote {
		fd.runCount++
		return
	}
	span := fd.prevTime.Sub(fd.runStart)
	if span >= gapSpan && float64(fd.runCount) >= gapRate*span.Minutes() {
		fd.t.note(GapNote, at, text)
	}
	fd.runStart, fd.runCount = t, 1
}

// take returns the events and tally collected so far and starts afresh.
func (fd *fileDecoder) take() ([]event.Event, tally) {
	evs, t := fd.events, fd.t
	fd.events = make([]event.Event, 0, batchSize)
	fd.t = tally{offset: t.offset, line: t.line, size: t.size, lastTime: t.lastTime, mod: t.mod}
	return evs, t
}

// full reports whether a batch is ready to send.
func (fd *fileDecoder) full() bool { return len(fd.events) >= batchSize || fd.t.lines >= 8*batchSize }
