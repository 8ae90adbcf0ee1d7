package ingest

import (
	"sort"
	"sync"
	"time"

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
	Line   string `json:"line"` // sanitised and shortened for display
}

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
	Notes    map[string]int64 `json:"notes,omitempty"`
	Samples  []Sample         `json:"samples,omitempty"`
	Offset   int64            `json:"offset"`
	Size     int64            `json:"size"`
	LastTime time.Time        `json:"last_event_time,omitzero"` // event time of the newest event
	LastRead time.Time        `json:"last_read,omitzero"`       // wall time of the last line read
	Rate     float64          `json:"events_per_second"`
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

func (ss *sourceStats) setFormat(name string) {
	ss.mu.Lock()
	ss.s.Format = name
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
	lastTime               time.Time
}

func (t *tally) reject(reason, detail string, offset int64, text []byte) {
	if t.rejected == nil {
		t.rejected = map[string]int64{}
	}
	t.rejected[reason]++
	t.sample(reason, detail, offset, text)
}

func (t *tally) note(reason string, offset int64, text []byte) {
	if t.notes == nil {
		t.notes = map[string]int64{}
	}
	t.notes[reason]++
	t.sample(reason, "", offset, text)
}

func (t *tally) sample(reason, detail string, offset int64, text []byte) {
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
	t.samples = append(t.samples, Sample{Reason: reason, Detail: sanitize.Line(detail), Offset: offset, Line: s})
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
}

// NewStats returns an empty tracker.
func NewStats() *Stats { return &Stats{sources: map[string]*sourceStats{}} }

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
	Elapsed   time.Duration `json:"-"`
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
