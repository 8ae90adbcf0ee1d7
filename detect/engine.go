package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

// Factory builds the detector of one rule.
type Factory struct {
	Rule string // catalog id
	New  func(p Params, env *Env) Detector
}

// Store is what the engine keeps in the store.
type Store interface {
	PutAlerts(as []alert.Alert) error
	Alerts() ([]alert.Alert, error)
	Put(f store.Family, name string, v any) error
	Get(f store.Family, name string, v any) (bool, error)
}

// Events is a time-ordered source of stored events (the store, or a
// snapshot of it).
type Events interface {
	Events(ctx context.Context, from, to time.Time, fn func(store.Stored) error) error
}

// Options configure an engine.
type Options struct {
	// Factories are the rule implementations (see the matching, normal,
	// statistical and composite packages).
	Factories []Factory
	Env       *Env
	Rules     map[string]RuleConfig // from the config file
	// Learning is the length of the baseline learning window from the
	// first event seen; zero means 72h.
	Learning time.Duration
	Store    Store // nil for an engine that keeps everything in memory
	Log      *slog.Logger
}

// Engine runs the rules over events in event-time order.
type Engine struct {
	env  *Env
	cat  *catalog.Catalog
	st   Store
	log  *slog.Logger
	opts Options

	dets     []*ruleRun
	byKind   map[event.Kind][]*ruleRun
	composit []*ruleRun
	byRule   map[string]*ruleRun

	book   *book
	recent map[string]map[string]recentAlert // endpoint → rule → its latest alert that can corroborate
	// guard keeps attacks out of the normal-business baselines; guardOn
	// says the baselines are being learned (alerts then taint).
	guard   *guard
	guardOn bool

	flushMu sync.Mutex

	mu         sync.Mutex // guards the fields below, read by States from other goroutines
	meta       engineMeta
	processed  int64
	subs       []*alertSub
	lastTick   time.Time
	lastPersis time.Time
}

// engineMeta is the engine's persisted progress.
type engineMeta struct {
	LearnStart time.Time `json:"learn_start"`
	LearnEnd   time.Time `json:"learn_end"`
	Learned    bool      `json:"learned"`
	Watermark  time.Time `json:"watermark"`
}

// ruleRun is a detector with its catalog entry and state.
type ruleRun struct {
	det      Detector
	rule     *catalog.Rule
	window   time.Duration
	disabled string // why, or ""
	learner  Learner
	// deferLearn (normal-business matching rules) learns events
	// learnDelay late and only those no known-attack alert tainted;
	// guardLearn (normal-business statistical rules) learns at once what
	// is not tainted yet.
	deferLearn bool
	guardLearn bool
	ticker     Ticker
	alerts     AlertObserver
	em         Emitter
	params     []Param
}

// Rule states shown by `mamori rules` and the console. A learning rule
// judges nothing until its baseline is learned; a known-attack rule that
// learns a baseline (S-ERRORS, S-FANOUT) is active meanwhile, judging by
// its minimums, with Learns set.
const (
	StateActive   = "active"
	StateLearning = "learning"
	StateDisabled = "disabled"
)

// RuleState describes one rule for `mamori rules`.
type RuleState struct {
	Rule     *catalog.Rule
	State    string  // active, learning or disabled
	Why      string  // why disabled
	Learns   bool    // the rule is learning a baseline (while active or not)
	Progress float64 // learning progress, 0 to 1
	Params   []Param
}

// New builds an engine with every rule of the catalog.
func New(opts Options) (*Engine, error) {
	if opts.Env == nil || opts.Env.Catalog == nil {
		return nil, errors.New("detect: an Env with a catalog is required")
	}
	if opts.Learning <= 0 {
		opts.Learning = 72 * time.Hour
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		env: opts.Env, cat: opts.Env.Catalog, st: opts.Store, log: opts.Log, opts: opts,
		byKind: map[event.Kind][]*ruleRun{}, byRule: map[string]*ruleRun{},
		book: newBook(), recent: map[string]map[string]recentAlert{}, guard: newGuard(),
	}
	if e.env.Prevalence == nil {
		e.env.Prevalence = NewPrevalence(200_000)
	}
	if e.env.Relays == nil {
		e.env.Relays = NewRelays(DefaultRelayRoles, e.env)
	}
	e.env.Now = e.watermark
	var errs []error
	factories := map[string]func(Params, *Env) Detector{}
	for _, f := range opts.Factories {
		if _, dup := factories[f.Rule]; dup {
			errs = append(errs, fmt.Errorf("detect: rule %s implemented twice", f.Rule))
		}
		if _, ok := e.cat.Rule(f.Rule); !ok {
			errs = append(errs, fmt.Errorf("detect: rule %s is not in the catalog", f.Rule))
		}
		factories[f.Rule] = f.New
	}
	for id := range opts.Rules {
		if _, ok := e.cat.Rule(id); !ok {
			errs = append(errs, fmt.Errorf("rules.%s: no such rule (see `mamori rules`)", id))
		}
	}
	for i := range e.cat.Rules() {
		r := &e.cat.Rules()[i]
		rr := &ruleRun{rule: r, window: 24 * time.Hour}
		e.byRule[r.ID] = rr
		e.dets = append(e.dets, rr)
		mk, ok := factories[r.ID]
		if !ok {
			rr.disabled = "not implemented in this version"
			continue
		}
		cfg := opts.Rules[r.ID]
		p := Params{rule: r.ID, values: cfg.Params, errs: &errs}
		rr.det = mk(p, e.env)
		rr.em.rule = r.ID
		rr.window = p.Duration("alert_window", 24*time.Hour)
		if pz, ok := rr.det.(Parameterized); ok {
			rr.params = pz.Params()
			known := map[string]bool{"alert_window": true}
			for _, prm := range rr.params {
				known[prm.Name] = true
			}
			for name := range cfg.Params {
				if !known[name] {
					errs = append(errs, fmt.Errorf("rules.%s.params.%s: unknown parameter", r.ID, name))
				}
			}
		}
		if cfg.Enabled != nil && !*cfg.Enabled {
			rr.disabled = "turned off in the config file"
			continue
		}
		if rq, ok := rr.det.(Requirer); ok {
			if m := rq.Missing(); m != "" {
				rr.disabled = m
				continue
			}
		}
		rr.learner, _ = rr.det.(Learner)
		if rr.learner != nil && r.Basis == alert.NormalBusiness {
			rr.deferLearn = r.Perspective == alert.Matching
			rr.guardLearn = !rr.deferLearn
		}
		rr.ticker, _ = rr.det.(Ticker)
		rr.alerts, _ = rr.det.(AlertObserver)
		for _, k := range rr.det.Kinds() {
			e.byKind[k] = append(e.byKind[k], rr)
		}
		if rr.alerts != nil {
			e.composit = append(e.composit, rr)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := e.restore(); err != nil {
		return nil, err
	}
	return e, nil
}

// restore loads the persisted progress, baselines and alerts.
func (e *Engine) restore() error {
	if e.st == nil {
		return nil
	}
	if _, err := e.st.Get(store.Meta, "engine", &e.meta); err != nil {
		return fmt.Errorf("detect: read engine state: %w", err)
	}
	if e.meta.Learned {
		for _, rr := range e.dets {
			if rr.learner == nil {
				continue
			}
			var raw json.RawMessage
			ok, err := e.st.Get(store.Baselines, rr.rule.ID, &raw)
			if err != nil {
				return fmt.Errorf("detect: read baseline of %s: %w", rr.rule.ID, err)
			}
			if ok {
				if err := rr.learner.Restore(raw); err != nil {
					e.log.Warn("baseline unreadable; relearning", "rule", rr.rule.ID, "err", err)
					e.meta.Learned = false
				}
			}
		}
	}
	as, err := e.st.Alerts()
	if err != nil {
		return err
	}
	e.book.load(as)
	e.book.replayUntil = e.meta.Watermark
	for i := range as {
		a := &as[i]
		r := e.byRule[a.Rule]
		if r == nil {
			continue
		}
		own := a.Severity
		if v, err := alert.ParseSeverity(a.Details["severity_alone"]); err == nil {
			own = v
		}
		if corroborates(r.rule, own, a.Phase) {
			e.noteRecent(r.rule, a)
		}
	}
	return nil
}

// ResumeFrom is the event time live detection should replay from after a
// restart: far enough back to rebuild the windows, or the whole learning
// window if learning had not finished. Zero means from the beginning.
func (e *Engine) ResumeFrom() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.meta.Learned || e.meta.Watermark.IsZero() {
		return e.meta.LearnStart // zero on a first run
	}
	return e.meta.Watermark.Add(-24 * time.Hour)
}

func (e *Engine) watermark() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.meta.Watermark
}

// Process runs one event through the rules. Events must come in
// event-time order (small disorder is tolerated; windows use the
// watermark).
func (e *Engine) Process(ev *event.Event) {
	t := ev.Time
	e.mu.Lock()
	if e.meta.LearnStart.IsZero() && !t.IsZero() {
		e.meta.LearnStart = t
		e.meta.LearnEnd = t.Add(e.opts.Learning)
	}
	if t.After(e.meta.Watermark) {
		e.meta.Watermark = t
	}
	now := e.meta.Watermark
	learning := !e.meta.Learned && t.Before(e.meta.LearnEnd)
	finishLearning := !e.meta.Learned && !now.Before(e.meta.LearnEnd)
	e.processed++
	e.mu.Unlock()

	e.guardOn = learning
	if finishLearning {
		e.finishLearning()
	}
	e.tick(now)
	e.notePrevalence(ev)
	held := false
	for _, rr := range e.byKind[ev.Kind] {
		if rr.learner != nil && learning {
			switch {
			case rr.deferLearn:
				held = true
			case rr.guardLearn && e.guard.tainted(ev, e.env):
			default:
				rr.learner.Learn(ev)
			}
			continue
		}
		rr.det.Observe(ev, &rr.em)
		e.drain(rr)
	}
	if held {
		if old := e.guard.hold(ev); old != nil {
			e.learnHeld(old)
		}
	}
	if learning {
		for _, h := range e.guard.release(now.Add(-learnDelay)) {
			e.learnHeld(h)
		}
	}
}

// learnHeld gives a held event to the delayed learners, unless an alert
// raised since tainted it.
func (e *Engine) learnHeld(ev *event.Event) {
	if e.guard.tainted(ev, e.env) {
		return
	}
	for _, rr := range e.byKind[ev.Kind] {
		if rr.deferLearn {
			rr.learner.Learn(ev)
		}
	}
}

// notePrevalence counts ev's endpoint among the users of its destination,
// unless the endpoint relays others' traffic. Only what the endpoint
// itself reached counts: an outside source that connects to many
// endpoints (a scanner, a brute forcer) must not make its address common,
// which would excuse a later beacon to it as normal business.
func (e *Engine) notePrevalence(ev *event.Event) {
	if a, ok := e.env.Relays.Learn(ev); ok {
		e.env.Prevalence.Forget(a.String())
	}
	if !ev.Endpoint.IsValid() || ev.Endpoint != ev.SrcIP {
		return
	}
	ep := endpointOf(ev)
	if e.env.Relays.IsEndpoint(ep) {
		return
	}
	if dest := destinationOf(ev, e.env); dest != "" {
		e.env.Prevalence.Note(ep, dest)
	}
}

// destinationOf names an event's external destination for prevalence: the
// site of its domain, else its external peer address.
func destinationOf(ev *event.Event, env *Env) string {
	if ev.Domain != "" {
		return Site(ev.Domain)
	}
	if ev.Kind == event.KindDNS && ev.Query != "" {
		return Site(ev.Query)
	}
	if p := ev.Peer(); p.IsValid() && !env.Internal(p) {
		return p.String()
	}
	return ""
}

func (e *Engine) tick(now time.Time) {
	m := now.Truncate(time.Minute)
	if !m.After(e.lastTick) {
		return
	}
	e.lastTick = m
	for _, rr := range e.dets {
		if rr.ticker != nil && rr.disabled == "" {
			rr.ticker.Tick(now, &rr.em)
			e.drain(rr)
		}
	}
}

func (e *Engine) finishLearning() {
	for _, h := range e.guard.release(time.Time{}) {
		e.learnHeld(h)
	}
	e.guardOn = false
	e.mu.Lock()
	if e.meta.Learned {
		e.mu.Unlock()
		return
	}
	e.meta.Learned = true
	e.mu.Unlock()
	e.log.Info("baseline learned", "from", e.meta.LearnStart, "to", e.meta.LearnEnd)
	if err := e.saveBaselines(); err != nil {
		e.log.Error("saving baselines", "err", err)
	}
}

func (e *Engine) saveBaselines() error {
	if e.st == nil {
		return nil
	}
	for _, rr := range e.dets {
		if rr.learner == nil {
			continue
		}
		if err := e.st.Put(store.Baselines, rr.rule.ID, rr.learner.Baseline()); err != nil {
			return err
		}
	}
	e.mu.Lock()
	meta := e.meta
	e.mu.Unlock()
	return e.st.Put(store.Meta, "engine", meta)
}

// drain turns a detector's findings into alerts.
func (e *Engine) drain(rr *ruleRun) {
	if len(rr.em.findings) == 0 {
		return
	}
	fs := rr.em.findings
	rr.em.findings = rr.em.findings[:0]
	for i := range fs {
		e.record(&fs[i])
	}
}

// record makes or updates the alert for a finding and shows it to the
// composite rules.
func (e *Engine) record(f *Finding) {
	rr := e.byRule[f.Rule]
	if rr == nil {
		e.log.Error("finding of an unknown rule", "rule", f.Rule)
		return
	}
	a, own := e.alertOf(rr, f)
	stored, changed := e.book.record(a, f, rr.window)
	if !changed {
		return
	}
	if e.guardOn && taints(rr, stored) {
		e.guard.taint(f.Endpoint, f.Peer, f.FirstSeen, f.Time, e.env)
	}
	if corroborates(rr.rule, own, stored.Phase) {
		e.noteRecent(rr.rule, stored)
	}
	if rr.rule.Perspective == alert.Composite {
		return
	}
	for _, c := range e.composit {
		if c.disabled != "" {
			continue
		}
		c.alerts.ObserveAlert(stored, &c.em)
		e.drain(c)
	}
}

// recentAlert is an endpoint's latest alert of one rule that can
// corroborate the alerts of other perspectives.
type recentAlert struct {
	last time.Time
	view view
}

// view is a rule's way of looking: its perspective and basis (matching a
// known attack, a mismatch with normal business, a statistical
// resemblance to an attack, a statistical deviation). Alerts of one view
// see the same behaviour the same way (one scan raises S-FANOUT, S-ERRORS
// and S-REFUSED; one new destination several N-* rules), so they do not
// corroborate each other.
type view struct {
	perspective alert.Perspective
	basis       alert.Basis
}

func viewOf(r *catalog.Rule) view { return view{r.Perspective, r.Basis} }

// corroborates reports whether an alert can raise the severity of the
// endpoint's alerts of other views: only one that is at least medium on
// its own (before any corroboration: internet noise, scanner lists and
// weak findings weighed down to low or info corroborate nothing, nor do
// alerts raised only by other alerts) and that is not reconnaissance of
// the endpoint (probes and exploit attempts from the internet against a
// public server say nothing about what the server itself does). Composite
// alerts are themselves corroboration and are not counted again.
func corroborates(r *catalog.Rule, own alert.Severity, phase int) bool {
	return r.Perspective != alert.Composite && own >= alert.Medium && phase != phaseRecon
}

// phaseRecon is attack phase ①, reconnaissance of the target.
const phaseRecon = 1

func (e *Engine) noteRecent(r *catalog.Rule, a *alert.Alert) {
	m := e.recent[a.Endpoint]
	if m == nil {
		m = map[string]recentAlert{}
		e.recent[a.Endpoint] = m
	}
	if cur := m[a.Rule]; a.LastSeen.After(cur.last) {
		m[a.Rule] = recentAlert{last: a.LastSeen, view: viewOf(r)}
	}
}

// othersOn counts the rules of views other than r's that raised an alert
// able to corroborate (see corroborates) on endpoint within a day before
// t.
func (e *Engine) othersOn(endpoint string, r *catalog.Rule, t time.Time) int {
	n := 0
	v := viewOf(r)
	for id, ra := range e.recent[endpoint] {
		if id != r.ID && ra.view != v && !ra.last.Before(t.Add(-24*time.Hour)) && !ra.last.After(t.Add(time.Hour)) {
			n++
		}
	}
	return n
}

// alertOf makes a fresh alert from a finding; own is its severity
// without corroboration by other alerts.
func (e *Engine) alertOf(rr *ruleRun, f *Finding) (a *alert.Alert, own alert.Severity) {
	r := rr.rule
	first := f.FirstSeen
	if first.IsZero() || first.After(f.Time) {
		first = f.Time
	}
	key := f.Key
	if key == "" {
		key = f.Peer
	}
	count := f.Count
	if count <= 0 {
		count = 1
	}
	phase := r.Phase
	if f.Phase != 0 {
		phase = f.Phase
	}
	details := f.Details
	sev, own, why := e.severity(rr, f)
	if details == nil {
		details = map[string]string{}
	}
	details["severity_reason"] = why
	details["severity_alone"] = own.String() // without corroboration
	if f.SummaryJA != "" {
		details["summary_ja"] = f.SummaryJA
	}
	a = &alert.Alert{
		Time: f.Time, FirstSeen: first, LastSeen: f.Time,
		Rule: r.ID, Title: r.Title.EN, Perspective: r.Perspective, Basis: r.Basis,
		Phase: phase, Attack: append([]string(nil), r.Attack...),
		Endpoint: f.Endpoint, Host: f.Host, Peer: f.Peer, Key: key,
		Severity: sev, Score: clamp01(f.Score), Count: count,
		Summary: f.Summary, Details: details,
	}
	a.AddEvidence(evidenceOf(f.Evidence)...)
	return a, own
}

func clamp01(v float64) float64 { return min(1, max(0, v)) }

// severity weighs a finding: how likely a person must act now. It starts
// from the rule's base severity (or the detector's, when it knows better),
// moves one step up for a strong score (0.85 or more) or a rare
// destination and one step down for a weak score (under 0.4), then:
//
//   - a finding that matches no known attack (a statistical resemblance
//     or deviation, a mismatch with normal business) is at most medium on
//     its own: high needs a known-attack basis (a matching rule against
//     known attacks, or a detector that knows, e.g. a login let in after a
//     brute force) or corroboration;
//   - corroboration is an alert of another view on the same endpoint
//     within a day that can corroborate (see corroborates): one step up,
//     to at most high; reconnaissance of the endpoint (phase ①) is not
//     raised by it;
//   - only composite rules, and detectors that say so, reach critical.
//
// own is the severity without corroboration.
func (e *Engine) severity(rr *ruleRun, f *Finding) (sev, own alert.Severity, why string) {
	r := rr.rule
	base := r.Severity
	if f.Severity != nil {
		base = *f.Severity
	}
	s := int(base)
	reasons := []string{"base " + base.String()}
	switch {
	case f.Score >= 0.85:
		s++
		reasons = append(reasons, fmt.Sprintf("score %.2f +1", f.Score))
	case f.Score > 0 && f.Score < 0.4:
		s--
		reasons = append(reasons, fmt.Sprintf("score %.2f -1", f.Score))
	}
	if f.Rare {
		s++
		reasons = append(reasons, "rare destination +1")
	}
	ceiling := int(alert.High)
	if r.Perspective == alert.Composite || (f.Severity != nil && *f.Severity == alert.Critical) {
		ceiling = int(alert.Critical)
	}
	knownAttack := r.Perspective == alert.Composite || (r.Perspective == alert.Matching && r.Basis == alert.KnownAttack) ||
		(f.Severity != nil && *f.Severity >= alert.High)
	alone := ceiling
	if !knownAttack {
		alone = int(alert.Medium)
	}
	if !knownAttack && s > alone {
		reasons = append(reasons, "at most medium without a known attack or corroboration")
		s = alone
	}
	ownS := min(max(s, int(alert.Info)), ceiling)
	phase := r.Phase
	if f.Phase != 0 {
		phase = f.Phase
	}
	// Reconnaissance of the endpoint from outside is not made more urgent
	// by what the endpoint does: a scan is a scan.
	if n := e.othersOn(f.Endpoint, r, f.Time); n > 0 && r.Perspective != alert.Composite && phase != phaseRecon && s < ceiling {
		s++
		reasons = append(reasons, fmt.Sprintf("corroborated by alerts of %s of other perspectives +1", Plural(n, "rule")))
	}
	s = min(max(s, int(alert.Info)), ceiling)
	return alert.Severity(s), alert.Severity(ownS), strings.Join(reasons, "; ")
}

// Flush writes changed alerts to the store, tells subscribers, and saves
// progress now and then.
func (e *Engine) Flush() error {
	e.flushMu.Lock() // two flushes must not write one alert's versions out of order
	defer e.flushMu.Unlock()
	changed := e.book.takeDirty()
	if len(changed) > 0 && e.st != nil {
		if err := e.st.PutAlerts(changed); err != nil {
			return fmt.Errorf("detect: save alerts: %w", err)
		}
	}
	e.publish(changed)
	e.mu.Lock()
	due := e.st != nil && time.Since(e.lastPersis) > 10*time.Second
	if due {
		e.lastPersis = time.Now()
	}
	meta := e.meta
	e.mu.Unlock()
	if due {
		if err := e.st.Put(store.Meta, "engine", meta); err != nil {
			return fmt.Errorf("detect: save engine state: %w", err)
		}
	}
	return nil
}

// Finish evaluates what is left at the end of a batch (windows still open)
// and flushes everything.
func (e *Engine) Finish() error {
	e.mu.Lock()
	now := e.meta.Watermark
	e.mu.Unlock()
	e.lastTick = time.Time{} // force a final evaluation
	e.tick(now.Add(time.Minute))
	for _, h := range e.guard.release(time.Time{}) {
		e.learnHeld(h)
	}
	for _, rr := range e.dets {
		if f, ok := rr.det.(Finisher); ok && rr.disabled == "" {
			f.Finish(now, &rr.em)
			e.drain(rr)
		}
	}
	e.mu.Lock()
	e.lastPersis = time.Time{}
	e.mu.Unlock()
	if err := e.Flush(); err != nil {
		return err
	}
	if e.meta.Learned {
		return e.saveBaselines()
	}
	return nil
}

// Ack acknowledges (or un-acknowledges) an alert and saves it. It is safe
// to call while the engine runs.
func (e *Engine) Ack(id string, acked bool) error {
	if _, ok := e.book.ack(id, acked); !ok {
		return fmt.Errorf("no alert %s", id)
	}
	return e.Flush()
}

// Alerts returns every alert the engine holds.
func (e *Engine) Alerts() []alert.Alert {
	as := e.book.all()
	SortAlerts(as)
	return as
}

// Replay processes the events of src from from on, in time order, then
// flushes.
func (e *Engine) Replay(ctx context.Context, src Events, from time.Time) error {
	n := 0
	err := src.Events(ctx, from, time.Time{}, func(s store.Stored) error {
		e.Process(&s.Event)
		if n++; n%50_000 == 0 {
			return e.Flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.Flush()
}

// Follow processes live batches until ch closes or ctx ends. Sources write
// at their own pace, so events are held briefly and released in time
// order: those more than Slack older than the newest one at once, the rest
// when nothing new has come for Settle. Alerts are saved and published
// right after, so a matching rule's alert follows its line within about
// Settle.
func (e *Engine) Follow(ctx context.Context, ch <-chan []event.Event) error {
	// Slack is small: log sources disagree by far more (Zeek writes a
	// connection when it ends), so rules tolerate disorder anyway; the
	// buffer only straightens out batches that arrive together.
	const (
		slack  = 500 * time.Millisecond
		settle = 150 * time.Millisecond
	)
	var buf reorder
	idle := time.NewTimer(settle)
	defer idle.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	flush := func() {
		if err := e.Flush(); err != nil {
			e.log.Error("flushing alerts", "err", err)
		}
	}
	for {
		select {
		case evs, ok := <-ch:
			if !ok {
				buf.drainAll(e.Process)
				return e.Flush()
			}
			buf.add(evs)
			buf.release(slack, e.Process)
			idle.Reset(settle)
		case <-idle.C:
			buf.drainAll(e.Process)
			flush()
		case <-tick.C:
			flush() // windows evaluated by ticks, engine state
		case <-ctx.Done():
			buf.drainAll(e.Process)
			_ = e.Flush()
			return nil
		}
	}
}

// reorder holds live events and releases them in time order once events
// slack newer than them have arrived.
type reorder struct {
	evs    []*event.Event
	newest time.Time
}

func (r *reorder) add(evs []event.Event) {
	for i := range evs {
		r.evs = append(r.evs, &evs[i])
		if evs[i].Time.After(r.newest) {
			r.newest = evs[i].Time
		}
	}
}

func (r *reorder) release(slack time.Duration, fn func(*event.Event)) {
	if len(r.evs) == 0 {
		return
	}
	sort.SliceStable(r.evs, func(i, j int) bool { return r.evs[i].Time.Before(r.evs[j].Time) })
	cut := r.newest.Add(-slack)
	i := 0
	for ; i < len(r.evs) && !r.evs[i].Time.After(cut); i++ {
		fn(r.evs[i])
	}
	r.evs = append(r.evs[:0], r.evs[i:]...)
	if len(r.evs) > 100_000 { // never hold more than this
		r.drainAll(fn)
	}
}

func (r *reorder) drainAll(fn func(*event.Event)) {
	sort.SliceStable(r.evs, func(i, j int) bool { return r.evs[i].Time.Before(r.evs[j].Time) })
	for _, ev := range r.evs {
		fn(ev)
	}
	r.evs = r.evs[:0]
}

// States describes every rule.
func (e *Engine) States() []RuleState {
	e.mu.Lock()
	meta := e.meta
	e.mu.Unlock()
	out := make([]RuleState, 0, len(e.dets))
	for _, rr := range e.dets {
		st := RuleState{Rule: rr.rule, State: StateActive, Params: rr.params}
		switch {
		case rr.disabled != "":
			st.State, st.Why = StateDisabled, rr.disabled
		case rr.learner != nil && !meta.Learned:
			st.Learns, st.Progress = true, learnProgress(meta)
			if rr.rule.Basis != alert.KnownAttack {
				st.State = StateLearning
			}
		}
		out = append(out, st)
	}
	return out
}

// Learning reports the baseline learning progress (0 to 1) and whether it
// is finished.
func (e *Engine) Learning() (progress float64, done bool, start, end time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.meta.Learned {
		return 1, true, e.meta.LearnStart, e.meta.LearnEnd
	}
	return learnProgress(e.meta), false, e.meta.LearnStart, e.meta.LearnEnd
}

func learnProgress(m engineMeta) float64 {
	if m.LearnStart.IsZero() || !m.LearnEnd.After(m.LearnStart) {
		return 0
	}
	return clamp01(float64(m.Watermark.Sub(m.LearnStart)) / float64(m.LearnEnd.Sub(m.LearnStart)))
}

// LearnFrom relearns every baseline from the stored events between from
// and to, and saves them: `mamori baseline learn`. The stored alerts of
// known-attack rules taint what they name, as while learning live; the
// learners' windows are ticked as event time passes, their findings
// dropped (the alerts of that period are already stored).
func (e *Engine) LearnFrom(ctx context.Context, src Events, from, to time.Time) (int, error) {
	g := newGuard()
	if e.st != nil {
		as, err := e.st.Alerts()
		if err != nil {
			return 0, fmt.Errorf("detect: read alerts for relearning: %w", err)
		}
		for i := range as {
			a := &as[i]
			if rr := e.byRule[a.Rule]; rr != nil && taints(rr, a) && !a.LastSeen.Before(from.Add(-taintMargin)) && !a.FirstSeen.After(to) {
				g.taint(a.Endpoint, a.Peer, a.FirstSeen, a.LastSeen, e.env)
			}
		}
	}
	var scratch Emitter
	var last time.Time
	n := 0
	err := src.Events(ctx, from, to, func(s store.Stored) error {
		n++
		ev := &s.Event
		if m := ev.Time.Truncate(time.Minute); m.After(last) {
			last = m
			for _, rr := range e.dets {
				if rr.learner != nil && rr.ticker != nil && rr.disabled == "" {
					rr.ticker.Tick(ev.Time, &scratch)
				}
			}
			scratch.findings = scratch.findings[:0]
		}
		e.notePrevalence(ev)
		for _, rr := range e.byKind[ev.Kind] {
			guarded := rr.deferLearn || rr.guardLearn
			if rr.learner != nil && (!guarded || !g.tainted(ev, e.env)) {
				rr.learner.Learn(ev)
			}
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	for _, rr := range e.dets {
		if f, ok := rr.det.(Finisher); ok && rr.learner != nil && rr.disabled == "" {
			f.Finish(to, &scratch)
		}
	}
	e.mu.Lock()
	e.meta.LearnStart, e.meta.LearnEnd, e.meta.Learned = from, to, true
	e.mu.Unlock()
	return n, e.saveBaselines()
}

// SortAlerts orders alerts in mamori's one priority order (alert.Sort:
// severity, score, phase, time) and numbers them.
func SortAlerts(as []alert.Alert) { alert.Sort(as) }

// alertSub is one subscriber to alert updates: what it has not yet
// received is kept, by id, so a slow subscriber loses nothing.
type alertSub struct {
	ch      chan []alert.Alert
	pending map[string]alert.Alert
}

// Subscribe returns a channel of alert updates (new and changed alerts,
// in batches). It closes when ctx ends or Close is called.
func (e *Engine) Subscribe(ctx context.Context) <-chan []alert.Alert {
	s := &alertSub{ch: make(chan []alert.Alert, 1), pending: map[string]alert.Alert{}}
	e.mu.Lock()
	e.subs = append(e.subs, s)
	e.mu.Unlock()
	context.AfterFunc(ctx, func() { e.unsubscribe(s) })
	return s.ch
}

// unsubscribe ends one subscription (once: Close may have ended it).
func (e *Engine) unsubscribe(s *alertSub) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, x := range e.subs {
		if x == s {
			e.subs = append(e.subs[:i:i], e.subs[i+1:]...)
			close(s.ch)
			return
		}
	}
}

func (e *Engine) publish(changed []alert.Alert) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.subs {
		for _, a := range changed {
			s.pending[a.ID] = a
		}
		if len(s.pending) == 0 {
			continue
		}
		batch := make([]alert.Alert, 0, len(s.pending))
		for _, a := range s.pending {
			batch = append(batch, a)
		}
		select {
		case s.ch <- batch:
			clear(s.pending)
		default: // the subscriber is busy: it gets these with the next batch
		}
	}
}

// Close ends the subscriptions.
func (e *Engine) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.subs {
		close(s.ch)
	}
	e.subs = nil
}

// Processed returns how many events the engine has seen.
func (e *Engine) Processed() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.processed
}
