package ingest

import (
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
	"github.com/mamori-soc/mamori/ingest/skew"
	"github.com/mamori-soc/mamori/sanitize"
)

// Source states shown in the console and the summary.
const (
	StateStarting  = "starting"
	StateReading   = "reading"   // catching up with what is already in the file
	StateFollowing = "following" // at the end, waiting for new lines
	StateWaiting   = "waiting"   // the file does not exist (yet)
	StateDone      = "done"      // a batch import finished the file
	StateSkipped   = "skipped"   // not a log of a known format
	StateFailed    = "failed"
	StateStored    = "stored" // review: read into the store by an earlier run, not followed now
)

// ReasonAlreadyImported is the reason of a file a batch import found read
// to its end by an earlier import and unchanged since.
const ReasonAlreadyImported = "already imported"

// samplesPerReason is how many example lines are kept per reject reason.
const samplesPerReason = 3

// Sample is an example of a rejected (or otherwise noted) line.
type Sample struct {
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
	Offset int64  `json:"offset"`
	LineNo int64  `json:"line_number,omitempty"` // from 1; 0 when not known
	Line   string `json:"line"`                  // sanitised and shortened for display
}

// Place says where the line is for people: its line number, else its
// byte offset (see event.Place).
func (s Sample) Place() string { return event.Place(s.LineNo, s.Offset) }

// where is a line's place in its file: byte offset and line number (0
// when not known).
type where struct{ offset, line int64 }

// SourceStats is a snapshot of one source's progress.
type SourceStats struct {
	Path     string           `json:"path"`
	Format   string           `json:"format,omitempty"`
	State    string           `json:"state"`
	Reason   string           `json:"reason,omitempty"` // why skipped or failed
	Lines    int64            `json:"lines"`
	Events   int64            `json:"events"`
	Ignored  int64            `json:"ignored"` // well-formed lines that are not events
	Rejected int64            `json:"rejected"`
	ByReason map[string]int64 `json:"rejected_by_reason,omitempty"`
	// Notes count lines that were stored but deserve a look (time going
	// backwards, invalid UTF-8 replaced).
	Notes     map[string]int64 `json:"notes,omitempty"`
	Samples   []Sample         `json:"samples,omitempty"`
	Offset    int64            `json:"offset"`
	Size      int64            `json:"size"`
	FirstTime time.Time        `json:"first_event_time,omitzero"` // event time of the oldest event
	LastTime  time.Time        `json:"last_event_time,omitzero"`  // event time of the newest event
	// ModTime is the file's modification time when its last line was
	// read: a zone-less line dated hours after it was read in a wrong zone.
	ModTime  time.Time `json:"mod_time,omitzero"`
	LastRead time.Time `json:"last_read,omitzero"` // wall time of the last line read
	Rate     float64   `json:"events_per_second"`
}

// Lag is how far the source is behind its file, in bytes.
func (s SourceStats) Lag() int64 {
	if s.Size > s.Offset {
		return s.Size - s.Offset
	}
	return 0
}

// sourceStats is the live, locked counterpart of SourceStats.
type sourceStats struct {
	mu sync.Mutex
	s  SourceStats
	// rate: events counted in the current one-second window.
	winStart time.Time
	winCount int64
	// zoneLess and loc: the format's times carry no zone and are read in
	// loc (nil: local), for the zone check.
	zoneLess bool
	loc      *time.Location
}

func newSourceStats(path string) *sourceStats {
	return &sourceStats{s: SourceStats{Path: path, State: StateStarting}}
}

func (ss *sourceStats) snapshot() SourceStats {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := ss.s
	out.ByReason = copyCounts(ss.s.ByReason)
	out.Notes = copyCounts(ss.s.Notes)
	out.Samples = append([]Sample(nil), ss.s.Samples...)
	if !ss.winStart.IsZero() && time.Since(ss.winStart) > 3*time.Second {
		out.Rate = 0 // nothing for a while
	}
	return out
}

func copyCounts(m map[string]int64) map[string]int64 {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (ss *sourceStats) setState(state, reason string) {
	ss.mu.Lock()
	ss.s.State, ss.s.Reason = state, reason
	ss.mu.Unlock()
}

// setFormat records the source's format and the zone its zone-less times
// are read in (nil: local).
func (ss *sourceStats) setFormat(f parse.Format, loc *time.Location) {
	ss.mu.Lock()
	ss.s.Format = f.Name
	ss.zoneLess, ss.loc = f.ZoneLess, loc
	ss.mu.Unlock()
}

// tally is what one batch of lines adds to a source's counters; the reading
// goroutine fills it without locking and merges it once per batch.
type tally struct {
	lines, events, ignored int64
	rejected               map[string]int64
	notes                  map[string]int64
	samples                []Sample
	offset, size           int64
	line                   int64 // lines up to offset; 0: not known
	firstTime, lastTime    time.Time
	mod                    time.Time // the file's modification time, when known
}

func (t *tally) reject(reason, detail string, at where, text []byte) {
	if t.rejected == nil {
		t.rejected = map[string]int64{}
	}
	t.rejected[reason]++
	t.sample(reason, detail, at, text)
}

func (t *tally) note(reason string, at where, text []byte) {
	if t.notes == nil {
		t.notes = map[string]int64{}
	}
	t.notes[reason]++
	t.sample(reason, "", at, text)
}

func (t *tally) sample(reason, detail string, at where, text []byte) {
	n := 0
	for _, s := range t.samples {
		if s.Reason == reason {
			n++
		}
	}
	if n >= samplesPerReason {
		return
	}
	const show = 160
	s := string(text[:min(len(text), show*4)])
	s = sanitize.Line(s)
	if r := []rune(s); len(r) > show {
		s = string(r[:show]) + "…"
	}
	if len(detail) > show {
		detail = detail[:show] + "…"
	}
	t.samples = append(t.samples, Sample{Reason: reason, Detail: sanitize.Line(detail), Offset: at.offset, LineNo: at.line, Line: s})
}

func (ss *sourceStats) merge(t *tally, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := &ss.s
	s.Lines += t.lines
	s.Events += t.events
	s.Ignored += t.ignored
	for r, n := range t.rejected {
		if s.ByReason == nil {
			s.ByReason = map[string]int64{}
		}
		s.ByReason[r] += n
		s.Rejected += n
	}
	for r, n := range t.notes {
		if s.Notes == nil {
			s.Notes = map[string]int64{}
		}
		s.Notes[r] += n
	}
	for _, smp := range t.samples {
		n := 0
		for _, have := range s.Samples {
			if have.Reason == smp.Reason {
				n++
			}
		}
		if n < samplesPerReason {
			s.Samples = append(s.Samples, smp)
		}
	}
	if t.offset > 0 || t.lines > 0 {
		s.Offset = t.offset
	}
	if t.size > s.Size || t.size > 0 {
		s.Size = t.size
	}
	if t.lastTime.After(s.LastTime) {
		s.LastTime = t.lastTime
	}
	if !t.firstTime.IsZero() && (s.FirstTime.IsZero() || t.firstTime.Before(s.FirstTime)) {
		s.FirstTime = t.firstTime
	}
	if t.mod.After(s.ModTime) {
		s.ModTime = t.mod
	}
	if t.lines > 0 {
		s.LastRead = now
	}
	// Events per second over windows of at least a second.
	if ss.winStart.IsZero() {
		ss.winStart = now
	}
	ss.winCount += t.events
	if el := now.Sub(ss.winStart); el >= time.Second {
		s.Rate = float64(ss.winCount) / el.Seconds()
		ss.winStart, ss.winCount = now, 0
	}
}

// Stats tracks every source of a pipeline; it is safe for concurrent use.
type Stats struct {
	mu      sync.Mutex
	sources map[string]*sourceStats
	order   []string
	// samples are the zone check's samples, one per format (the files of
	// one kind of source share a clock); warned and warnedAt cache its
	// last answer.
	samples  map[string]*skew.Sample
	warned   []skew.Warning
	warnedAt time.Time
}

// NewStats returns an empty tracker.
func NewStats() *Stats {
	return &Stats{sources: map[string]*sourceStats{}, samples: map[string]*skew.Sample{}}
}

// sample is the zone check's sample of the format's events.
func (st *Stats) sample(format string) *skew.Sample {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.samples[format]
	if s == nil {
		s = skew.NewSample()
		st.samples[format] = s
	}
	return s
}

// warnEvery is how long the zone check's answer is kept before it is
// worked out again.
const warnEvery = 5 * time.Second

// Warnings are the time-zone disagreements between the sources (see
// ZoneCheck), worked out at most every few seconds: for a live display.
func (st *Stats) Warnings() []skew.Warning {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.warnedAt.IsZero() && time.Since(st.warnedAt) < warnEvery {
		return st.warned
	}
	st.warned, st.warnedAt = st.zoneCheck(), time.Now()
	return st.warned
}

// ZoneCheck returns the time-zone disagreements between the sources (see
// ingest/skew): their events sampled so far compared, and each file's
// newest event with its modification time.
func (st *Stats) ZoneCheck() []skew.Warning {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.zoneCheck()
}

func (st *Stats) zoneCheck() []skew.Warning {
	groups := map[string]*skew.Group{}
	var files []skew.File
	for _, p := range st.order {
		ss := st.sources[p]
		ss.mu.Lock()
		s, zl, loc := ss.s, ss.zoneLess, ss.loc
		ss.mu.Unlock()
		if s.Format == "" || s.Events == 0 {
			continue
		}
		g := groups[s.Format]
		if g == nil {
			g = &skew.Group{Format: s.Format, ZoneLess: zl, Location: loc, Sample: st.samples[s.Format]}
			groups[s.Format] = g
		}
		g.Files = append(g.Files, s.Path)
		files = append(files, skew.File{Path: s.Path, Format: s.Format, ZoneLess: zl, Location: loc, Last: s.LastTime, Mod: s.ModTime})
	}
	var gs []skew.Group
	for _, f := range slices.Sorted(maps.Keys(groups)) {
		if groups[f].Sample != nil {
			gs = append(gs, *groups[f])
		}
	}
	return skew.Check(gs, files)
}

func (st *Stats) source(path string) *sourceStats {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s, ok := st.sources[path]; ok {
		return s
	}
	s := newSourceStats(path)
	st.sources[path] = s
	st.order = append(st.order, path)
	return s
}

// Snapshot returns every source's stats in the order they were first seen.
func (st *Stats) Snapshot() []SourceStats {
	st.mu.Lock()
	srcs := make([]*sourceStats, len(st.order))
	for i, p := range st.order {
		srcs[i] = st.sources[p]
	}
	st.mu.Unlock()
	out := make([]SourceStats, len(srcs))
	for i, s := range srcs {
		out[i] = s.snapshot()
	}
	return out
}

// Summary totals a set of source stats, for the end of a batch import.
type Summary struct {
	Files            int              `json:"files"`
	Events           int64            `json:"events"`
	Lines            int64            `json:"lines"`
	Ignored          int64            `json:"ignored"`
	Rejected         int64            `json:"rejected"`
	ByFormat         map[string]int64 `json:"by_format"`
	RejectedByReason map[string]int64 `json:"rejected_by_reason"`
	Notes            map[string]int64 `json:"notes,omitempty"`
	Skipped          []SkippedFile    `json:"skipped"`
	Failed           []SkippedFile    `json:"failed,omitempty"`
	// Unchanged counts the files an earlier import read to their end
	// and that have not changed since: nothing new to read.
	Unchanged int           `json:"unchanged"`
	Sources   []SourceStats `json:"sources,omitempty"`
	// Zones are the time-zone disagreements found between the sources
	// (see Stats.Warnings), each with the fix it suggests.
	Zones   []skew.Warning `json:"zone_warnings,omitempty"`
	Elapsed time.Duration  `json:"-"`
}

// SkippedFile is a file that was not read, and why.
type SkippedFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Summarize totals snapshots.
func Summarize(srcs []SourceStats) Summary {
	sum := Summary{ByFormat: map[string]int64{}, RejectedByReason: map[string]int64{}, Skipped: []SkippedFile{}}
	for _, s := range srcs {
		switch s.State {
		case StateSkipped:
			sum.Skipped = append(sum.Skipped, SkippedFile{s.Path, s.Reason})
			continue
		case StateFailed:
			sum.Failed = append(sum.Failed, SkippedFile{s.Path, s.Reason})
		case StateDone:
			if s.Reason == ReasonAlreadyImported {
				sum.Unchanged++
			}
		}
		sum.Files++
		sum.Events += s.Events
		sum.Lines += s.Lines
		sum.Ignored += s.Ignored
		sum.Rejected += s.Rejected
		if s.Format != "" {
			sum.ByFormat[s.Format] += s.Events
		}
		for r, n := range s.ByReason {
			sum.RejectedByReason[r] += n
		}
		for r, n := range s.Notes {
			if sum.Notes == nil {
				sum.Notes = map[string]int64{}
			}
			sum.Notes[r] += n
		}
		sum.Sources = append(sum.Sources, s)
	}
	sort.Slice(sum.Skipped, func(i, j int) bool { return sum.Skipped[i].Path < sum.Skipped[j].Path })
	return sum
}
