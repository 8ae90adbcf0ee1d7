// Package audit records what people and mamori did about incidents:
// checklist changes, findings, containment decisions and the commands run
// for them with their output and exit status, undos, allow-list changes and
// exports. Each record goes to the store's append-only audit log (durable
// before Append returns) and is mirrored as one JSON line to a file that
// survives the store and can be read with ordinary tools.
//
// The two copies fail independently: a mirror file that cannot be written
// (disk full, permissions) never loses the store record, and a store that
// cannot be written still gets the line in the mirror; Append reports which
// copy is missing (see MirrorError and Stored).
//
// A containment run writes a "started" record before its command runs and
// a "finished" record after: a process killed in between leaves a started
// record without its finish, which Unfinished lists, and which the next
// read-write opening closes with an "interrupted" record (MarkInterrupted).
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/detect"
)

// Kind groups records by what changed.
type Kind string

// The record kinds.
const (
	KindIncident    Kind = "incident"    // opened, closed, reopened, retitled, alerts attached, endpoints added, phase set
	KindChecklist   Kind = "checklist"   // a checklist item marked done, skipped or open again
	KindFinding     Kind = "finding"     // a full-investigation finding written
	KindContainment Kind = "containment" // a measure started, finished or done by hand, and undos
	KindAllowList   Kind = "allow-list"  // an allow-list entry added or removed in the console
	KindExport      Kind = "export"      // a report or an evidence bundle written
)

// The actions of KindContainment records.
const (
	ActionStarted  = "started"  // the command is about to run; written durably first
	ActionFinished = "finished" // the command ended: Run holds its outcome
	ActionManual   = "manual"   // someone did the measure (or its undo) by hand
	// ActionInterrupted closes a started run that has no finished
	// record: mamori stopped (killed, crashed, the machine went down)
	// while the command ran. It is written once, when the store is next
	// opened read-write (MarkInterrupted). Whether the command took
	// effect is unknown.
	ActionInterrupted = "interrupted"
)

// The actions of KindAllowList records.
const (
	ActionAllowAdded   = "added"
	ActionAllowRemoved = "removed"
)

// AllowListChange is the record of an allow-list entry added or removed
// (action ActionAllowAdded or ActionAllowRemoved) in the console, for
// Append.
func AllowListChange(action string, e detect.Allow, who, note string) Record {
	return Record{Kind: KindAllowList, Action: action, Subject: e.Rule, Who: who, Note: note, Allow: &e}
}

// The actions of KindExport records; Subject is the file written.
const (
	ActionEvidenceExported = "evidence exported"
	ActionReportWritten    = "report written"
)

// Record is one audit record. The JSON field names are stable: scripts and
// the mirror file's readers rely on them.
type Record struct {
	// Seq is the record's sequence number in the store's log (gapless,
	// from 1). It is zero in a mirror line whose store write failed.
	Seq  uint64    `json:"seq,omitempty"`
	Time time.Time `json:"time"` // wall-clock time of the change
	Who  string    `json:"who"`  // the person (OS user by default)
	Kind Kind      `json:"kind"`
	// Action is the verb: "opened", "checked", "started", "added", ...
	Action   string `json:"action"`
	Incident string `json:"incident,omitempty"`
	// Subject is what the action was about: a checklist item id, a
	// finding id, a measure id, an alert id, an output file.
	Subject string `json:"subject,omitempty"`
	Note    string `json:"note,omitempty"`
	// Fields hold further values of the change ("alerts": "id1,id2").
	Fields map[string]string `json:"fields,omitempty"`
	// Run describes a containment run (KindContainment).
	Run *Run `json:"run,omitempty"`
	// Allow is the allow-list entry of a KindAllowList record.
	Allow *detect.Allow `json:"allow,omitempty"`
}

// Run is a containment measure carried out: the decision in the started
// record, the outcome in the finished one. Both carry the same ID.
type Run struct {
	ID      string            `json:"id"`
	Measure string            `json:"measure"`
	Params  map[string]string `json:"params,omitempty"`
	// Argv is the command as run, each secret shown as "***"; empty when
	// done by hand.
	Argv []string `json:"argv,omitempty"`
	// Env are the variables the actuator's configuration added to the
	// command's minimal environment, secrets shown as "***".
	Env    map[string]string `json:"env,omitempty"`
	Manual bool              `json:"manual,omitempty"`
	// UndoOf is the ID of the run this one undoes.
	UndoOf string `json:"undo_of,omitempty"`
	// Ratings are the measure's catalog ratings when it was decided on.
	Ratings *Ratings `json:"ratings,omitempty"`
	// TimeoutMS is the time limit of the command in milliseconds.
	TimeoutMS int64 `json:"timeout_ms,omitempty"`

	// The outcome, in finished and manual records.
	Outcome    Outcome `json:"outcome,omitempty"`
	Exit       *int    `json:"exit,omitempty"` // exit status; nil when the command did not run or was killed
	Stdout     string  `json:"stdout,omitempty"`
	Stderr     string  `json:"stderr,omitempty"`
	Truncated  bool    `json:"truncated,omitempty"` // stdout or stderr was longer than kept
	DurationMS int64   `json:"duration_ms,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// Ratings are a measure's C/I/A protection, business cost, evidence effect
// and reversibility as the catalog rated them.
type Ratings struct {
	C          int    `json:"c"`
	I          int    `json:"i"`
	A          int    `json:"a"`
	Cost       int    `json:"cost"`
	Evidence   string `json:"evidence"`
	Reversible string `json:"reversible"`
}

// Outcome is how a containment run ended.
type Outcome string

// The outcomes.
const (
	Succeeded  Outcome = "succeeded"    // exit status 0
	Failed     Outcome = "failed"       // non-zero exit status
	TimedOut   Outcome = "timed-out"    // killed at the time limit
	Canceled   Outcome = "canceled"     // killed because mamori was quitting
	NotStarted Outcome = "not-started"  // the program could not be started
	ByHand     Outcome = "done-by-hand" // a person did it and recorded it
	// Interrupted: mamori stopped while the command ran and could not
	// record its end (see ActionInterrupted).
	Interrupted Outcome = "interrupted"
)

// Store is the part of the store the audit log uses; *store.Store
// satisfies it.
type Store interface {
	AppendAudit(rec any) (uint64, error)
	ReadOnly() bool
	AuditLog(from uint64, fn func(seq uint64, doc []byte) error) error
}

// Log appends records to the store and the mirror file. It is safe for
// concurrent use.
type Log struct {
	st     Store
	mirror string // "" for no mirror
	now    func() time.Time
	who    string

	mu sync.Mutex // serialises appends so mirror lines are in store order
	f  *os.File   // the open mirror file; nil until opened or after a failure
}

// Options tune a Log.
type Options struct {
	// Mirror is the JSON-lines file every record is appended to
	// (config.AuditFile); "" for none.
	Mirror string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// User is who records are by when a call names nobody; "" means the
	// OS user (CurrentUser).
	User string
}

// Open returns a Log over st. The mirror file is opened on the first
// append, and again after a failure, so a disk that was full and has room
// again gets its lines.
func Open(st Store, opts Options) *Log {
	l := &Log{st: st, mirror: opts.Mirror, now: opts.Now, who: opts.User}
	if l.now == nil {
		l.now = time.Now
	}
	if l.who == "" {
		l.who = CurrentUser()
	}
	return l
}

// User returns who records are by when a call names nobody.
func (l *Log) User() string { return l.who }

// Now returns the log's clock reading.
func (l *Log) Now() time.Time { return l.now() }

// Mirror returns the mirror file's path, or "".
func (l *Log) Mirror() string { return l.mirror }

// CurrentUser returns the name of the OS user running mamori, or "uid N"
// when the account has no name.
func CurrentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "uid " + strconv.Itoa(os.Getuid())
}

// MirrorError reports that a record is in the store but not in the mirror
// file. The change it records happened and is audited; the mirror is
// incomplete.
type MirrorError struct {
	Path string
	Err  error
}

func (e *MirrorError) Error() string {
	return fmt.Sprintf("audit: recorded in the store but not in the mirror file %s: %v", e.Path, e.Err)
}

func (e *MirrorError) Unwrap() error { return e.Err }

// StoreError reports that a record could not be written durably to the
// store. Mirrored says whether the mirror file has it. Seq is not zero
// when the record was set in the store under that number but could not be
// synced to disk (see store.ErrNotDurable): it is readable and its number
// is spent, but a power loss could lose it.
type StoreError struct {
	Err      error
	Mirrored bool
	Path     string
	Seq      uint64
}

func (e *StoreError) Error() string {
	if e.Seq != 0 {
		return fmt.Sprintf("audit: record %d written to the store but not made durable: %v", e.Seq, e.Err)
	}
	if e.Mirrored {
		return fmt.Sprintf("audit: record not stored (%v); it is only in the mirror file %s", e.Err, e.Path)
	}
	return fmt.Sprintf("audit: record not stored: %v", e.Err)
}

func (e *StoreError) Unwrap() error { return e.Err }

// ErrReadOnly is returned by Append on a store opened read-only: nothing
// changes, so there is nothing to record, in the store or the mirror.
var ErrReadOnly = errors.New("audit: the store is open read-only; nothing can be changed or recorded")

// Stored reports whether an error from Append still left the record in
// the store: nil, or a MirrorError.
func Stored(err error) bool {
	var me *MirrorError
	return err == nil || errors.As(err, &me)
}

// Append fills rec's Time and Who when empty, writes it to the store
// (durably) and then to the mirror file, and returns it with its Seq. See
// MirrorError and StoreError for the partial failures; use Stored to tell
// whether the store has it.
func (l *Log) Append(ctx context.Context, rec Record) (Record, error) {
	if err := ctx.Err(); err != nil {
		return rec, fmt.Errorf("audit: %w", err)
	}
	if rec.Time.IsZero() {
		rec.Time = l.now()
	}
	rec.Time = rec.Time.UTC()
	if rec.Who == "" {
		rec.Who = l.who
	}
	if rec.Kind == "" || rec.Action == "" {
		return rec, errors.New("audit: a record needs a kind and an action")
	}
	if l.st.ReadOnly() {
		return rec, ErrReadOnly
	}
	rec.Seq = 0
	l.mu.Lock()
	defer l.mu.Unlock()
	seq, serr := l.st.AppendAudit(&rec)
	rec.Seq = seq // zero when the store does not have it
	merr := l.writeMirror(&rec)
	switch {
	case serr != nil:
		return rec, &StoreError{Err: serr, Mirrored: merr == nil && l.mirror != "", Path: l.mirror, Seq: seq}
	case merr != nil:
		return rec, &MirrorError{Path: l.mirror, Err: merr}
	}
	return rec, nil
}

// writeMirror appends rec as one line and syncs it. Called with l.mu held.
func (l *Log) writeMirror(rec *Record) error {
	if l.mirror == "" {
		return nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if l.f == nil {
		if err := os.MkdirAll(filepath.Dir(l.mirror), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(l.mirror, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		l.f = f
		if !endsWithNewline(f) {
			// A line cut short by an earlier failure: end it, so this
			// record is not glued to it.
			b = append([]byte{'\n'}, b...)
		}
	}
	if _, err := l.f.Write(b); err != nil {
		l.dropFile()
		return err
	}
	if err := l.f.Sync(); err != nil {
		l.dropFile()
		return err
	}
	return nil
}

// endsWithNewline reports whether f is empty or ends with a newline.
func endsWithNewline(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 || !fi.Mode().IsRegular() {
		return true
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], fi.Size()-1); err != nil {
		return true
	}
	return last[0] == '\n'
}

// dropFile closes the mirror after a failure so the next append reopens
// it. A short write may have left a partial line: readers skip lines that
// do not parse.
func (l *Log) dropFile() {
	_ = l.f.Close()
	l.f = nil
}

// Close closes the mirror file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("audit: close %s: %w", l.mirror, err)
	}
	return nil
}

// Filter selects records; zero fields match everything.
type Filter struct {
	Incident string
	Kind     Kind
	From     uint64 // first sequence number
}

func (f Filter) match(r *Record) bool {
	return (f.Incident == "" || r.Incident == f.Incident) && (f.Kind == "" || r.Kind == f.Kind)
}

// Records returns the stored records f selects, in order.
func (l *Log) Records(ctx context.Context, f Filter) ([]Record, error) {
	return Read(ctx, l.st, f)
}

// Read returns the records of st that f selects, in order. A record that
// does not decode is an error: the log is evidence and is never silently
// skipped.
func Read(ctx context.Context, st Store, f Filter) ([]Record, error) {
	var out []Record
	n := 0
	err := st.AuditLog(f.From, func(seq uint64, doc []byte) error {
		if n++; n%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var r Record
		if err := json.Unmarshal(doc, &r); err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		r.Seq = seq
		if f.match(&r) {
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit: read: %w", err)
	}
	return out, ctx.Err()
}

// ReadMirror reads a mirror file. Lines that do not parse (a line cut
// short by a full disk) are skipped and counted in bad.
func ReadMirror(path string) (recs []Record, bad int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: read mirror: %w", err)
	}
	recs, bad = parseMirror(b)
	return recs, bad, nil
}

// parseMirror reads the lines of a mirror file.
func parseMirror(b []byte) (recs []Record, bad int) {
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			bad++
			continue
		}
		recs = append(recs, r)
	}
	return recs, bad
}

// Unfinished returns the started records of containment runs that have no
// finished or interrupted record: runs in progress, or runs whose process
// was killed and that no read-write opening has marked yet.
func Unfinished(records []Record) []Record {
	done := map[string]bool{}
	for i := range records {
		if r := &records[i]; r.Kind == KindContainment && (r.Action == ActionFinished || r.Action == ActionInterrupted) && r.Run != nil {
			done[r.Run.ID] = true
		}
	}
	var out []Record
	for _, r := range records {
		if r.Kind == KindContainment && r.Action == ActionStarted && r.Run != nil && !done[r.Run.ID] {
			out = append(out, r)
		}
	}
	return out
}

// Unfinished returns the stored containment runs that started and never
// finished, of one incident or (id "") of all.
func (l *Log) Unfinished(ctx context.Context, incident string) ([]Record, error) {
	rs, err := l.Records(ctx, Filter{Incident: incident, Kind: KindContainment})
	if err != nil {
		return nil, err
	}
	return Unfinished(rs), nil
}

// MarkInterrupted appends an interrupted record for every containment run
// that started and never finished, and returns them. Call it when the
// store is opened read-write, before anything runs: no command can be
// running then (a store has one writer), so such a run is one mamori was
// stopped in. Each run is marked once: its interrupted record closes it.
func (l *Log) MarkInterrupted(ctx context.Context) ([]Record, error) {
	if l.st.ReadOnly() {
		return nil, nil
	}
	un, err := l.Unfinished(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []Record
	var errs []error
	for _, s := range un {
		rec := Record{
			Kind: KindContainment, Action: ActionInterrupted, Incident: s.Incident, Subject: s.Subject,
			Note: fmt.Sprintf("run started %s by %s", s.Time.Format(time.RFC3339), s.Who),
			Run: &Run{ID: s.Run.ID, Measure: s.Run.Measure, UndoOf: s.Run.UndoOf, Outcome: Interrupted,
				Error: "mamori stopped while the command ran (killed, crashed or the machine went down); whether it took effect is unknown: check by hand"},
		}
		r, err := l.Append(ctx, rec)
		if !Stored(err) {
			errs = append(errs, fmt.Errorf("run %s: %w", s.Run.ID, err))
			continue
		}
		out = append(out, r)
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("audit: mark interrupted runs: %w", err)
	}
	return out, nil
}
