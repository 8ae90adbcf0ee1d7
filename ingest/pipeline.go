package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

// Store is what the pipeline needs of the store.
type Store interface {
	PutEvents(evs []event.Event) error
	PutEventsAsync(evs []event.Event, done func(error)) error
	PutOffsets(offs []store.Offset) error
	DeleteOffsets(names []string) error
	PutEndpointSummaries(sums []store.EndpointSummary) error
	EndpointSummaries() ([]store.EndpointSummary, error)
	Snapshot() *store.Snapshot
}

// Batch is decoded events from one source and the offset they reach.
type Batch struct {
	Events []event.Event
	// Offset, when set, is saved once the events are stored: a restart
	// resumes after them.
	Offset *store.Offset
	// Forget names saved offsets to delete once Offset is saved: records
	// of files gone for good, or the old record Offset replaces.
	Forget []string

	stats *sourceStats
	tally tally
	// state and reason, when state is set, become the source's state once
	// the batch is stored and counted: a file is reported done (or skipped,
	// or failed) only when its last lines are in the store and in its
	// stats, so a summary taken then is complete.
	state, reason string
}

// Pipeline is the single writer between the sources and the store: sources
// send batches, the writer stores them, saves their offsets, updates the
// sources' stats and hands the stored events to subscribers (the detection
// engine) in the order they were written.
type Pipeline struct {
	st    Store
	stats *Stats
	log   *slog.Logger

	in      chan Batch
	subReq  chan subRequest
	closeMu sync.Mutex
	closed  bool
	done    chan struct{}

	// StopWhenFull makes Run return the error of a write refused for lack
	// of space (store.ErrDiskFull) instead of retrying it until space is
	// freed: a batch import stops and says so, where live following
	// waits. Set before Run.
	StopWhenFull bool

	mu       sync.Mutex
	lastErr  error
	lastErrT time.Time
	written  int64
	runErr   error // why Run ended, for Send

	endpoints map[string]*store.EndpointSummary
	dirty     map[string]bool
}

type subRequest struct {
	buf   int
	reply chan Subscription
}

// Subscription is the stored events, split consistently at the moment it
// began: Snapshot holds everything written before, Events delivers every
// batch written after. The channel closes when the pipeline ends.
type Subscription struct {
	Snapshot *store.Snapshot
	Events   <-chan []event.Event
}

// NewPipeline returns a pipeline writing to st and counting into stats.
func NewPipeline(st Store, stats *Stats, log *slog.Logger) *Pipeline {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{
		st: st, stats: stats, log: log,
		in:        make(chan Batch, 8),
		subReq:    make(chan subRequest),
		done:      make(chan struct{}),
		endpoints: map[string]*store.EndpointSummary{},
		dirty:     map[string]bool{},
	}
}

// Stats returns the per-source statistics.
func (p *Pipeline) Stats() *Stats { return p.stats }

// Send hands a batch to the writer; it blocks while the writer is busy
// (back-pressure) and returns ctx's error if ctx ends first.
func (p *Pipeline) Send(ctx context.Context, b Batch) error {
	select {
	case p.in <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return p.stopped()
	}
}

// stopped is the error of a send to a pipeline that has ended.
func (p *Pipeline) stopped() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runErr != nil {
		return fmt.Errorf("ingest pipeline stopped: %w", p.runErr)
	}
	return errors.New("ingest pipeline stopped")
}

// CloseInput says no more batches will be sent; Run returns once the ones
// sent are written.
func (p *Pipeline) CloseInput() {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.in)
	}
}

// Subscribe starts a subscription (see Subscription). buf is the channel's
// capacity in batches; a full channel makes the writer wait.
func (p *Pipeline) Subscribe(ctx context.Context, buf int) (Subscription, error) {
	req := subRequest{buf: buf, reply: make(chan Subscription, 1)}
	select {
	case p.subReq <- req:
	case <-ctx.Done():
		return Subscription{}, ctx.Err()
	case <-p.done:
		return Subscription{}, p.stopped()
	}
	return <-req.reply, nil
}

// Err returns the last store error and when it happened, for the status
// bar; nil when the last write succeeded.
func (p *Pipeline) Err() (time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErrT, p.lastErr
}

// Written returns how many events have been stored.
func (p *Pipeline) Written() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written
}

// retryEvery is how often a failed write (disk full) is retried.
const retryEvery = 2 * time.Second

// inFlight is how many batches may be being written at once: the writer
// encodes the next batch while the store commits the previous ones.
const inFlight = 4

// Run writes batches until the input is closed and drained, or ctx ends.
// Batches are handed to the store as they come and completed in order: a
// batch's offset is saved, its stats merged and its events handed to
// subscribers only once it and every batch before it are stored. A batch
// whose write fails (a full disk) is retried until it succeeds or ctx
// ends (or, with StopWhenFull, Run returns the disk-full error); its
// offset is saved only after, so nothing is lost: at worst it is read
// again after a restart or the next import. When ctx ends, the batches
// already handed to the store are completed (their offsets saved) before
// Run returns; the others are dropped, to be read again after a restart.
func (p *Pipeline) Run(ctx context.Context) (err error) {
	defer close(p.done)
	defer func() {
		p.mu.Lock()
		p.runErr = err
		p.mu.Unlock()
	}()
	var subs []chan []event.Event
	defer func() {
		for _, s := range subs {
			close(s)
		}
		p.flushEndpoints()
	}()
	type pending struct {
		b    Batch
		done chan error
	}
	queue := make(chan pending, inFlight)
	// settle completes, once ctx ended, the batches already handed to the
	// store: the store commits their events whatever happens here, so
	// their offsets are saved too, or a restart would find events stored
	// without the place they reach (and, were the file renamed or
	// compressed meanwhile, read them again as another file's). It stops
	// at the first batch not stored: a later offset would skip its lines.
	settle := func() {
		for {
			select {
			case pd := <-queue:
				if err := <-pd.done; err != nil {
					return
				}
				if pd.b.Offset != nil && p.st.PutOffsets([]store.Offset{*pd.b.Offset}) != nil {
					return
				}
				if len(pd.b.Forget) > 0 {
					_ = p.st.DeleteOffsets(pd.b.Forget)
				}
				p.mu.Lock()
				p.written += int64(len(pd.b.Events))
				p.mu.Unlock()
				if pd.b.stats != nil {
					pd.b.stats.merge(&pd.b.tally, time.Now())
					if pd.b.state != "" {
						pd.b.stats.setState(pd.b.state, pd.b.reason)
					}
				}
			default:
				return
			}
		}
	}
	complete := func(pd pending) error {
		if err := p.retry(ctx, <-pd.done, func() error { return p.st.PutEvents(pd.b.Events) }); err != nil {
			return err
		}
		if pd.b.Offset != nil {
			put := func() error { return p.st.PutOffsets([]store.Offset{*pd.b.Offset}) }
			if err := p.retry(ctx, put(), put); err != nil {
				return err
			}
		}
		if len(pd.b.Forget) > 0 {
			del := func() error { return p.st.DeleteOffsets(pd.b.Forget) }
			if err := p.retry(ctx, del(), del); err != nil {
				return err
			}
		}
		p.mu.Lock()
		p.written += int64(len(pd.b.Events))
		p.mu.Unlock()
		if pd.b.stats != nil {
			pd.b.stats.merge(&pd.b.tally, time.Now())
			if pd.b.state != "" {
				pd.b.stats.setState(pd.b.state, pd.b.reason)
			}
		}
		p.noteEndpoints(pd.b.Events)
		for _, s := range subs {
			select {
			case s <- pd.b.Events:
			case <-ctx.Done():
				settle() // this batch's offset is saved: the next ones' too
				return ctx.Err()
			}
		}
		return nil
	}
	drain := func() error {
		for {
			select {
			case pd := <-queue:
				if err := complete(pd); err != nil {
					return err
				}
			default:
				return nil
			}
		}
	}
	accept := func(b Batch) error {
		pd := pending{b: b, done: make(chan error, 1)}
		if err := p.st.PutEventsAsync(b.Events, func(err error) { pd.done <- err }); err != nil {
			pd.done <- err
		}
		if len(queue) == cap(queue) { // complete the oldest before queueing more
			if err := complete(<-queue); err != nil {
				return err
			}
		}
		queue <- pd
		return nil
	}
	flush := time.NewTicker(5 * time.Second)
	defer flush.Stop()
	for {
		select {
		case b, ok := <-p.in:
			if !ok {
				return drain()
			}
			if err := accept(b); err != nil {
				return err
			}
		case req := <-p.subReq:
			// Everything sent before the request (queued, or waiting in
			// the input) is written before the snapshot is taken, so a
			// subscriber that waited for its sources to be read sees all
			// of it in the snapshot; each later event comes on the channel.
			for n := len(p.in); n > 0; n-- {
				b, ok := <-p.in
				if !ok {
					break
				}
				if err := accept(b); err != nil {
					return err
				}
			}
			if err := drain(); err != nil {
				return err
			}
			ch := make(chan []event.Event, req.buf)
			subs = append(subs, ch)
			req.reply <- Subscription{Snapshot: p.st.Snapshot(), Events: ch}
		case <-flush.C:
			if err := drain(); err != nil {
				return err
			}
			p.flushEndpoints()
		case <-ctx.Done():
			settle()
			return ctx.Err()
		}
		// Keep completions prompt when input is quiet (live tailing).
		if len(p.in) == 0 {
			if err := drain(); err != nil {
				return err
			}
		}
	}
}

// retry repeats a failed write (err is its first result) every retryEvery
// until it succeeds or ctx ends, keeping the error visible for the status
// bar meanwhile. With StopWhenFull, a disk-full error is returned at once.
func (p *Pipeline) retry(ctx context.Context, err error, again func() error) error {
	if err == nil {
		return nil
	}
	full := false
	for err != nil {
		full = errors.Is(err, store.ErrDiskFull)
		p.mu.Lock()
		if p.lastErr == nil || p.lastErr.Error() != err.Error() {
			switch {
			case full && p.StopWhenFull:
				p.log.Error("ingest stopped: the disk is full", "err", err)
			case full:
				p.log.Error("ingest paused: the disk is full; it resumes by itself once space is freed", "err", err)
			default:
				p.log.Error("store write failed; retrying", "err", err)
			}
		}
		p.lastErr, p.lastErrT = err, time.Now()
		p.mu.Unlock()
		if full && p.StopWhenFull {
			return err
		}
		select {
		case <-time.After(retryEvery):
		case <-ctx.Done():
			return ctx.Err()
		}
		err = again()
	}
	p.mu.Lock()
	p.lastErr = nil
	p.mu.Unlock()
	if full {
		p.log.Info("ingest resumed: there is space again")
	}
	return nil
}

func (p *Pipeline) noteEndpoints(evs []event.Event) {
	for i := range evs {
		ev := &evs[i]
		id := ev.EndpointID()
		if id == "" {
			continue
		}
		s := p.endpoints[id]
		if s == nil {
			s = &store.EndpointSummary{ID: id, FirstSeen: ev.Time, LastSeen: ev.Time}
			p.endpoints[id] = s
		}
		if ev.Host != "" {
			s.Host = ev.Host
		}
		if ev.Time.Before(s.FirstSeen) {
			s.FirstSeen = ev.Time
		}
		if ev.Time.After(s.LastSeen) {
			s.LastSeen = ev.Time
		}
		s.Events++
		p.dirty[id] = true
	}
}

// LoadEndpoints reads the endpoint summaries saved by earlier runs, so that
// counts continue; call before Run.
func (p *Pipeline) LoadEndpoints() error {
	sums, err := p.st.EndpointSummaries()
	if err != nil {
		return err
	}
	for i := range sums {
		p.endpoints[sums[i].ID] = &sums[i]
	}
	return nil
}

func (p *Pipeline) flushEndpoints() {
	if len(p.dirty) == 0 {
		return
	}
	sums := make([]store.EndpointSummary, 0, len(p.dirty))
	for id := range p.dirty {
		sums = append(sums, *p.endpoints[id])
	}
	if err := p.st.PutEndpointSummaries(sums); err != nil {
		p.log.Warn("saving endpoint summaries", "err", err)
		return
	}
	clear(p.dirty)
}
