package containment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
)

// Confirmation is what the person gave to run a plan.
type Confirmation struct {
	// Text is what they typed; it must equal the plan's Confirm.
	Text string
	Who  string // "" means the audit log's user
	Note string
}

// Result is how a run ended.
type Result struct {
	RunID    string
	Outcome  audit.Outcome
	Exit     *int // nil when the command did not run to an exit
	Stdout   string
	Stderr   string
	Duration time.Duration
	// Truncated says stdout or stderr was longer than kept.
	Truncated bool
	// Error says why the command could not run or was stopped.
	Error string
	// Warnings are problems that did not stop the run: the audit mirror
	// file could not be written.
	Warnings []string
}

// Run runs a plan after checking the confirmation: its command (argv, no
// shell, under the plan's time limit) or, for a manual plan, the record
// that it was done by hand. A "started" record is stored durably before
// the command runs, a "finished" record with the outcome, exit status and
// output after. The returned error says that nothing ran (read-only mode,
// a confirmation mismatch, a plan that no longer validates, an audit log
// that cannot be written) or that the finish could not be recorded; a
// command that failed is a Result with Outcome Failed, not an error.
func (m *Manager) Run(ctx context.Context, p Plan, c Confirmation) (Result, error) {
	if m.opts.ReadOnly {
		return Result{}, fmt.Errorf("containment: %w", ErrReadOnly)
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return Result{}, fmt.Errorf("containment: %w", ErrClosed)
	}
	m.runs.Add(1)
	m.mu.Unlock()
	defer m.runs.Done()

	fresh, err := m.replan(ctx, p)
	if err != nil {
		return Result{}, err
	}
	if got := strings.TrimSpace(c.Text); got != fresh.Confirm {
		return Result{}, fmt.Errorf("containment: %s: %w: type %s %q to run it", fresh.Measure, ErrConfirmation, fresh.ConfirmParam, fresh.Confirm)
	}
	var cmd command
	if !fresh.Manual {
		act := m.opts.Actuators[fresh.Measure]
		tmpl := act.Argv
		if fresh.UndoOf != "" {
			tmpl = act.Undo
		}
		if cmd, err = m.command(fresh.Measure, act, tmpl, fresh.Params); err != nil {
			return Result{}, fmt.Errorf("%w: nothing ran", err)
		}
	}
	ms, _ := m.opts.Catalog.Measure(fresh.Measure)
	run := &audit.Run{
		ID: newRunID(), Measure: fresh.Measure, Params: fresh.Params, Argv: fresh.Argv, Env: fresh.Env, Manual: fresh.Manual,
		UndoOf: fresh.UndoOf, Ratings: ratings(ms), TimeoutMS: fresh.Timeout.Milliseconds(),
	}
	rec := audit.Record{Kind: audit.KindContainment, Incident: fresh.Incident, Subject: fresh.Measure, Who: c.Who, Note: c.Note, Run: run}
	res := Result{RunID: run.ID}
	ctxAudit := context.WithoutCancel(ctx)

	if fresh.Manual {
		run.Outcome = audit.ByHand
		rec.Action = audit.ActionManual
		_, err := m.opts.Audit.Append(ctxAudit, rec)
		if !audit.Stored(err) {
			return Result{}, fmt.Errorf("containment: %s not recorded: %w", fresh.Measure, err)
		}
		res.Outcome = audit.ByHand
		res.Warnings = warnings(err)
		return res, nil
	}

	rec.Action = audit.ActionStarted
	started, err := m.opts.Audit.Append(ctxAudit, rec)
	if !audit.Stored(err) {
		if started.Seq != 0 {
			// The decision is in the store but not durable: close it, so
			// that it is not taken for a run mamori was killed in.
			fin := audit.Run{ID: run.ID, Measure: run.Measure, UndoOf: run.UndoOf, Outcome: audit.NotStarted,
				Error: "not run: the decision could not be made durable in the audit log"}
			_, _ = m.opts.Audit.Append(ctxAudit, audit.Record{Kind: audit.KindContainment, Action: audit.ActionFinished,
				Incident: fresh.Incident, Subject: fresh.Measure, Who: c.Who, Run: &fin})
		}
		return Result{}, fmt.Errorf("containment: %s not run: the decision could not be recorded: %w", fresh.Measure, err)
	}
	res.Warnings = warnings(err)

	// The command is stopped when ctx ends or the manager closes.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	defer context.AfterFunc(m.closing, stop)()
	m.mu.Lock()
	m.running[run.ID] = true
	m.mu.Unlock()
	out := m.exec(runCtx, cmd, fresh.Timeout)
	m.mu.Lock()
	delete(m.running, run.ID)
	m.mu.Unlock()

	res.Outcome, res.Exit, res.Stdout, res.Stderr = out.outcome, out.exit, out.stdout, out.stderr
	res.Duration, res.Truncated, res.Error = out.duration, out.truncated, out.err
	fin := *run
	fin.Params, fin.Argv, fin.Env, fin.Ratings = nil, nil, nil, nil // in the started record
	fin.Outcome, fin.Exit, fin.Stdout, fin.Stderr = out.outcome, out.exit, out.stdout, out.stderr
	fin.Truncated, fin.DurationMS, fin.Error = out.truncated, out.duration.Milliseconds(), out.err
	frec := audit.Record{Kind: audit.KindContainment, Action: audit.ActionFinished, Incident: fresh.Incident, Subject: fresh.Measure, Who: c.Who, Run: &fin}
	_, err = m.opts.Audit.Append(ctxAudit, frec)
	if !audit.Stored(err) {
		return res, fmt.Errorf("containment: %s ran (%s) but its end could not be recorded: %w", fresh.Measure, out.outcome, err)
	}
	res.Warnings = append(res.Warnings, warnings(err)...)
	return res, nil
}

// Close stops the commands running now (their whole process groups are
// killed), waits for their runs to record how they ended, and refuses
// runs from then on. The owner of a Manager calls it before it closes the
// store.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.stop()
	m.runs.Wait()
}

func warnings(err error) []string {
	if err == nil {
		return nil
	}
	return []string{err.Error()}
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func ratings(ms *catalog.Measure) *audit.Ratings {
	return &audit.Ratings{
		C: ms.Protects.C, I: ms.Protects.I, A: ms.Protects.A, Cost: ms.Cost.Availability,
		Evidence: string(ms.Evidence.Class), Reversible: string(ms.Reversible),
	}
}

// output is what exec observed.
type output struct {
	outcome        audit.Outcome
	exit           *int
	stdout, stderr string
	truncated      bool
	duration       time.Duration
	err            string
}

// exec runs a command directly (never through a shell) with no input, in
// the minimal environment, under a time limit, capturing bounded output
// with the secrets masked. The command runs in a process group of its
// own, which is killed at the limit or when ctx ends; on Linux the kernel
// also kills the command if mamori dies (see ownGroup).
func (m *Manager) exec(ctx context.Context, c command, timeout time.Duration) output {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, c.argv[0], c.argv[1:]...)
	cmd.Env = c.env
	stdout := &capped{max: m.opts.MaxOutput}
	stderr := &capped{max: m.opts.MaxOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 2 * time.Second
	ownGroup(cmd)
	// The parent-death signal is sent when the thread that started the
	// command ends, not the process: keep this goroutine on its thread
	// until the command is reaped, so no other goroutine's exit can end
	// that thread while the command runs.
	runtime.LockOSThread()
	start := time.Now()
	err := cmd.Run()
	runtime.UnlockOSThread()
	o := output{duration: time.Since(start), truncated: stdout.cut || stderr.cut}
	o.stdout = maskSecrets(stdout.String(), c.secrets, stdout.cut)
	o.stderr = maskSecrets(stderr.String(), c.secrets, stderr.cut)
	var ee *exec.ExitError
	switch {
	case err == nil:
		o.outcome, o.exit = audit.Succeeded, intp(0)
	case errors.Is(rctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		o.outcome, o.err = audit.TimedOut, fmt.Sprintf("killed after the time limit of %s", timeout)
	case ctx.Err() != nil:
		o.outcome, o.err = audit.Canceled, "killed: mamori was stopping ("+ctx.Err().Error()+")"
	case errors.As(err, &ee) && ee.Exited():
		o.outcome, o.exit = audit.Failed, intp(ee.ExitCode())
		o.err = err.Error()
	case errors.As(err, &ee):
		o.outcome, o.err = audit.Failed, err.Error() // killed by a signal
	case cmd.Process == nil:
		o.outcome, o.err = audit.NotStarted, err.Error()
	default:
		o.outcome, o.err = audit.Failed, err.Error()
	}
	o.err = maskSecrets(o.err, c.secrets, false)
	return o
}

func intp(n int) *int { return &n }

// capped keeps the first max bytes written to it.
type capped struct {
	max int
	b   []byte
	cut bool
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.max - len(c.b)
	if len(p) > room {
		c.cut = true
		c.b = append(c.b, p[:max(room, 0)]...)
	} else {
		c.b = append(c.b, p...)
	}
	return len(p), nil
}

func (c *capped) String() string { return string(c.b) }

// Action is one containment measure carried out for an incident, as the
// audit log tells it.
type Action struct {
	RunID    string
	Measure  string
	Title    catalog.Text
	Incident string
	Params   map[string]string
	Argv     []string
	Manual   bool
	Who      string
	Note     string
	Started  time.Time
	Finished time.Time // zero while running or when the run was interrupted
	// State is the outcome (audit.Interrupted for a run mamori was
	// stopped in), or Running / Unfinished without one.
	State   State
	Exit    *int
	Stdout  string
	Stderr  string
	Error   string
	Ratings *audit.Ratings
	// UndoOf is the run this action undid; UndoneBy the action that
	// undid this one (successfully).
	UndoOf   string
	UndoneBy string
}

// State is an action's state.
type State string

// The states beyond the audit outcomes.
const (
	Running    State = "running"    // the command runs now in this process
	Unfinished State = "unfinished" // started, never finished: mamori was killed while it ran
)

// Done reports whether the action took effect: it succeeded or was done
// by hand.
func (a *Action) Done() bool {
	return a.State == State(audit.Succeeded) || a.State == State(audit.ByHand)
}

// BuildHistory turns containment audit records into actions, in the
// order they started. An action without a finished record is Unfinished,
// or Interrupted once a read-write opening has marked it so.
func BuildHistory(cat *catalog.Catalog, recs []audit.Record) []Action {
	var out []Action
	idx := map[string]int{}
	for _, r := range recs {
		if r.Kind != audit.KindContainment || r.Run == nil {
			continue
		}
		switch r.Action {
		case audit.ActionStarted, audit.ActionManual:
			a := Action{
				RunID: r.Run.ID, Measure: r.Run.Measure, Incident: r.Incident, Params: r.Run.Params, Argv: r.Run.Argv,
				Manual: r.Run.Manual, Who: r.Who, Note: r.Note, Started: r.Time, Ratings: r.Run.Ratings, UndoOf: r.Run.UndoOf,
				State: Unfinished,
			}
			if ms, ok := cat.Measure(a.Measure); ok {
				a.Title = ms.Title
			}
			if r.Action == audit.ActionManual {
				a.State, a.Finished = State(r.Run.Outcome), r.Time
			}
			idx[a.RunID] = len(out)
			out = append(out, a)
		case audit.ActionFinished:
			i, ok := idx[r.Run.ID]
			if !ok {
				continue
			}
			a := &out[i]
			a.Finished, a.State, a.Exit = r.Time, State(r.Run.Outcome), r.Run.Exit
			a.Stdout, a.Stderr, a.Error = r.Run.Stdout, r.Run.Stderr, r.Run.Error
		case audit.ActionInterrupted:
			if i, ok := idx[r.Run.ID]; ok && out[i].State == Unfinished {
				out[i].State, out[i].Error = State(audit.Interrupted), r.Run.Error
			}
		}
	}
	for i := range out {
		if u := out[i].UndoOf; u != "" && out[i].Done() {
			if j, ok := idx[u]; ok {
				out[j].UndoneBy = out[i].RunID
			}
		}
	}
	return out
}

// History returns the containment actions of an incident ("" for all),
// marking those whose command runs now in this process as Running.
func (m *Manager) History(ctx context.Context, incident string) ([]Action, error) {
	recs, err := m.opts.Audit.Records(ctx, audit.Filter{Incident: incident, Kind: audit.KindContainment})
	if err != nil {
		return nil, err
	}
	acts := BuildHistory(m.opts.Catalog, recs)
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range acts {
		if acts[i].State == Unfinished && m.running[acts[i].RunID] {
			acts[i].State = Running
		}
	}
	return acts, nil
}

// UndoPlan builds the plan that undoes an earlier run: the configured undo
// command with the run's parameters, or, without one, the catalog's undo
// instructions to do by hand and record. Only a run that took effect, of
// a measure not rated irreversible, not already undone, can be undone.
func (m *Manager) UndoPlan(ctx context.Context, runID string) (Plan, error) {
	acts, err := m.History(ctx, "")
	if err != nil {
		return Plan{}, err
	}
	i := slices.IndexFunc(acts, func(a Action) bool { return a.RunID == runID })
	if i < 0 {
		return Plan{}, fmt.Errorf("containment: no run %q", runID)
	}
	a := acts[i]
	switch {
	case a.UndoOf != "":
		return Plan{}, fmt.Errorf("containment: run %s is itself an undo", runID)
	case !a.Done():
		return Plan{}, fmt.Errorf("containment: run %s did not take effect (%s): nothing to undo", runID, a.State)
	case a.UndoneBy != "":
		return Plan{}, fmt.Errorf("containment: run %s was already undone by %s", runID, a.UndoneBy)
	}
	ms, ok := m.opts.Catalog.Measure(a.Measure)
	if !ok {
		return Plan{}, fmt.Errorf("containment: run %s: measure %s is no longer in the catalog", runID, a.Measure)
	}
	if ms.Reversible == catalog.Irreversible {
		return Plan{}, fmt.Errorf("containment: %s cannot be undone: %s", ms.ID, ms.Undo.EN)
	}
	p, err := m.Plan(ctx, a.Incident, a.Measure, maps.Clone(a.Params))
	if err != nil {
		return Plan{}, fmt.Errorf("containment: undo of run %s: %w", runID, err)
	}
	p.UndoOf = runID
	p.Argv, p.UndoArgv = p.UndoArgv, nil
	p.Manual = len(p.Argv) == 0
	p.Steps = []catalog.Text{ms.Undo}
	p.ExportFirst = false
	if ms.Actuator != nil {
		p.Example = filled(ms.ExpandUndo, ms.Actuator.Undo, p.Params)
	}
	return p, nil
}
