package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/mamori-soc/mamori/event"
)

// EventWriter stores events.
type EventWriter interface {
	PutEvents(evs []event.Event) error
}

// EventReader reads stored events in time order.
type EventReader interface {
	Events(ctx context.Context, from, to time.Time, fn func(Stored) error) error
	Timeline(ctx context.Context, ep Endpoint, q Query) (Page, error)
}

// Stored is an event with its key.
type Stored struct {
	Key   EventKey
	Event event.Event
}

// KeyOf returns the key an event is (or will be) stored under.
func KeyOf(ev *event.Event) EventKey {
	return EventKey{Time: ev.Time, ID: EventID(ev.Ref.File, ev.Ref.Offset, ev.Raw)}
}

// endpointsOf lists the timelines an event belongs to.
func (s *Store) endpointsOf(ev *event.Event, buf []Endpoint) []Endpoint {
	buf = buf[:0]
	if ev.Endpoint.IsValid() {
		buf = append(buf, Endpoint{Addr: ev.Endpoint.Unmap()})
	} else if ev.Host != "" {
		buf = append(buf, Endpoint{Host: ev.Host})
	}
	if s.opts.IsInternal != nil {
		if p := ev.Peer(); p.IsValid() && p.Unmap() != ev.Endpoint.Unmap() && s.opts.IsInternal(p) {
			buf = append(buf, Endpoint{Addr: p.Unmap()})
		}
	}
	return buf
}

// PutEvents writes events and indexes them under their timelines, and
// returns once they are stored. An event's key derives from its time, Ref
// and Raw, so writing the same line again stores the same event instead of
// adding a copy (see the note on blocks in block.go).
func (s *Store) PutEvents(evs []event.Event) error {
	done := make(chan error, 1)
	if err := s.PutEventsAsync(evs, func(err error) { done <- err }); err != nil {
		return err
	}
	return <-done
}

// PutEventsAsync queues events for writing and calls done (from another
// goroutine) once they are stored or failed; it returns an error without
// calling done when the events cannot even be queued: an event whose time
// cannot be stored (event.CheckTime; nothing of the batch is written), or
// a disk below the reserve (ErrDiskFull, see Options.DiskReserve). The
// caller may encode the next batch while this one is written.
//
// The events are written as blocks, one per minute they fall in (see
// block.go), with a journal entry naming the blocks; their timeline
// postings are held in memory until the index is next written (index.go).
func (s *Store) PutEventsAsync(evs []event.Event, done func(error)) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	for i := range evs {
		if err := event.CheckTime(evs[i].Time); err != nil {
			return s.writeErr("write events", fmt.Errorf("event: encode: %w", err))
		}
	}
	s.gate.RLock() // Close waits until the batch is handed to Badger
	defer s.gate.RUnlock()
	if s.closed {
		return ErrClosed
	}
	size := 0
	days := make([]int32, 0, 2)
	items := make([]blockItem, len(evs))
	for i := range evs {
		ev := &evs[i]
		size += 160 + len(ev.Raw) + len(ev.URL) + len(ev.UserAgent)
		if d := day(ev.Time); len(days) == 0 || days[len(days)-1] != d {
			days = append(days, d)
		}
		items[i] = blockItem{tk: timeKey(ev.Time), id: EventID(ev.Ref.File, ev.Ref.Offset, ev.Raw), ev: ev}
	}
	// Blocks are compressed: the events' size bounds what is written.
	if err := s.checkSpace(int64(size), s.reserve); err != nil {
		return err
	}
	slices.SortFunc(items, compareItems)
	items = slices.CompactFunc(items, func(a, b blockItem) bool { return compareItems(a, b) == 0 })
	now := s.now().Unix()
	stale := s.staleDays(days, now)
	jnl := s.index.nextJournal()
	bp := &batchPostings{jnl: jnl}
	var (
		w       blockWriter
		txns    []*badger.Txn
		txn     = s.db.NewTransaction(true)
		err     error
		journal = make([]byte, 0, blockKeyLen*4)
	)
	set := func(key, val []byte) error {
		err := txn.SetEntry(badger.NewEntry(key, val))
		if errors.Is(err, badger.ErrTxnTooBig) { // start another transaction
			txns = append(txns, txn)
			txn = s.db.NewTransaction(true)
			err = txn.SetEntry(badger.NewEntry(key, val))
		}
		return err
	}
	type pending struct{ key, val []byte }
	var blocks []pending
	for start := 0; start < len(items) && err == nil; {
		bucket := bucketOf(items[start].tk)
		end := start + 1
		for end < len(items) && end-start < maxBlockEvents && bucketOf(items[end].tk) == bucket {
			end++
		}
		var key, val []byte
		if key, val, err = w.build(make([]byte, 0, (end-start)*128), bucket, items[start:end], s.endpointsOf); err != nil {
			break
		}
		blocks = append(blocks, pending{key, val})
		journal = append(journal, key...)
		start = end
	}
	// The journal entry goes first: if the process dies between the
	// transactions, it names blocks that are not there (skipped), never
	// leaves blocks that no timeline and no journal knows.
	if err == nil {
		err = set(journalKey(jnl), journal)
	}
	for _, b := range blocks {
		if err != nil {
			break
		}
		if err = set(b.key, b.val); err == nil {
			if blk, perr := parseBlock(b.key, b.val); perr == nil {
				blk.postings(bp)
			} else {
				err = perr
			}
		}
	}
	for _, d := range stale {
		if err != nil {
			break
		}
		err = set(storedKey(d), storedValue(now))
	}
	txns = append(txns, txn)
	if err != nil {
		for _, t := range txns {
			t.Discard()
		}
		return s.writeErr("write events", err)
	}
	// Commit every transaction; done hears once, with the first error.
	var (
		mu      sync.Mutex
		left    = len(txns)
		firstEr error
	)
	for _, t := range txns {
		t.CommitWith(func(err error) {
			mu.Lock()
			if err != nil && firstEr == nil {
				firstEr = s.writeErr("write events", err)
			}
			left--
			last := left == 0
			e := firstEr
			mu.Unlock()
			if last {
				if e == nil {
					s.index.add(bp)
					s.noteStored(stale, now)
				}
				done(e)
			}
		})
	}
	return nil
}

// Events calls fn for every event with from <= time < to, in time order. A
// zero to means no upper bound. fn's event is its own copy.
func (s *Store) Events(ctx context.Context, from, to time.Time, fn func(Stored) error) error {
	return s.view(func(txn *badger.Txn) error { return eventsIn(ctx, txn, from, to, fn) })
}

// timeRange is [from, to) as time keys; to zero means no bound.
func timeRange(from, to time.Time) (lo, hi tkey) {
	lo, hi = timeKey(from), ^tkey(0)
	if !to.IsZero() {
		hi = timeKey(to)
	}
	return lo, hi
}

// eachMinute calls fn with the blocks of every minute that may hold events
// from lo to hi, in time order. With keysOnly, the blocks are not read:
// fn gets their keys (in a block with no keys or events).
//
// With bufs, the blocks' bytes are recycled once fn returns: fn must not
// keep them (decoded events are copies).
func eachMinute(ctx context.Context, txn *badger.Txn, lo, hi tkey, keysOnly bool, bufs *buffers, fn func([]*block) error) error {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = []byte{prefixBlock}
	opt.PrefetchValues = !keysOnly
	opt.PrefetchSize = 8
	it := txn.NewIterator(opt)
	defer it.Close()
	last := bucketOf(hi - 1)
	var group []*block
	n := 0
	for it.Seek(blockBound(bucketOf(lo))); it.Valid(); it.Next() {
		item := it.Item()
		bucket, _, err := parseBlockKey(item.Key())
		if err != nil {
			return err
		}
		if bucket > last || hi == 0 {
			break
		}
		if len(group) > 0 && group[0].bucket != bucket {
			if err := fn(group); err != nil {
				return err
			}
			for _, b := range group {
				b.release(bufs)
			}
			group = group[:0]
		}
		if n++; n%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var b *block
		if keysOnly {
			b = &block{key: item.KeyCopy(nil), bucket: bucket}
		} else {
			val, err := item.ValueCopy(bufs.get())
			if err != nil {
				return err
			}
			if b, err = parseBlock(item.KeyCopy(nil), val); err != nil {
				return err
			}
			b.bufs = bufs
		}
		group = append(group, b)
	}
	if len(group) > 0 {
		return fn(group)
	}
	return nil
}

// mergeMinute calls fn with the events of a minute's blocks from lo to hi
// in key order, once each (a replayed event may sit in two blocks).
func mergeMinute(bs []*block, lo, hi tkey, fn func(b *block, i int) error) error {
	if len(bs) == 1 {
		b := bs[0]
		for i, tk := range b.tks {
			if tk >= lo && tk < hi {
				if err := fn(b, i); err != nil {
					return err
				}
			}
		}
		return nil
	}
	pos := make([]int, len(bs))
	var last *posting
	for {
		min := -1
		for j, b := range bs {
			if pos[j] == len(b.ids) {
				continue
			}
			if min < 0 || comparePostings(posting{tk: b.tks[pos[j]], id: b.ids[pos[j]]}, posting{tk: bs[min].tks[pos[min]], id: bs[min].ids[pos[min]]}) < 0 {
				min = j
			}
		}
		if min < 0 {
			return nil
		}
		b, i := bs[min], pos[min]
		pos[min]++
		p := posting{tk: b.tks[i], id: b.ids[i]}
		if last != nil && p.tk == last.tk && p.id == last.id {
			continue
		}
		last = &p
		if p.tk >= lo && p.tk < hi {
			if err := fn(b, i); err != nil {
				return err
			}
		}
	}
}

// eventsIn reads and decodes the events on one goroutine and calls fn on
// the caller's, a run of events at a time, so that a consumer as busy as
// the detection engine has decoding done beside it on another core.
func eventsIn(ctx context.Context, txn *badger.Txn, from, to time.Time, fn func(Stored) error) error {
	const run = 512
	lo, hi := timeRange(from, to)
	var (
		runs = make(chan []Stored, 4)
		free = make(chan []Stored, 6) // runs fn is done with: it gets copies
		stop = make(chan struct{})
		rerr error
		wg   sync.WaitGroup
	)
	wg.Go(func() {
		defer close(runs)
		cur := make([]Stored, 0, run)
		send := func() error {
			select {
			case runs <- cur:
				select {
				case cur = <-free:
					cur = cur[:0]
				default:
					cur = make([]Stored, 0, run)
				}
				return nil
			case <-stop:
				return errStopped
			}
		}
		rerr = eachMinute(ctx, txn, lo, hi, false, &buffers{}, func(bs []*block) error {
			return mergeMinute(bs, lo, hi, func(b *block, i int) error {
				cur = append(cur, Stored{Key: EventKey{Time: keyTime(b.tks[i]), ID: b.ids[i]}})
				if err := b.event(i, &cur[len(cur)-1].Event); err != nil {
					return err
				}
				if len(cur) == run {
					return send()
				}
				return nil
			})
		})
		if rerr == nil && len(cur) > 0 {
			rerr = send()
		}
	})
	var err error
	for sts := range runs {
		for _, st := range sts {
			if err = fn(st); err != nil {
				break
			}
		}
		if err != nil {
			break
		}
		clear(sts) // drop the strings: the GC need not keep them for the run
		select {
		case free <- sts:
		default:
		}
	}
	close(stop)
	for range runs { // let the reader see stop
	}
	wg.Wait()
	if err != nil {
		return err
	}
	if errors.Is(rerr, errStopped) {
		return nil
	}
	return rerr
}

// errStopped ends a read whose consumer stopped.
var errStopped = errors.New("stopped")

// Event reads one event by key.
func (s *Store) Event(k EventKey) (event.Event, error) {
	var ev event.Event
	err := s.view(func(txn *badger.Txn) error {
		c := newBlockCache(txn)
		defer c.close()
		tk := timeKey(k.Time)
		bs, err := c.minute(bucketOf(tk))
		if err != nil {
			return err
		}
		for _, b := range bs {
			if i := b.find(tk, k.ID); i >= 0 {
				return b.event(i, &ev)
			}
		}
		return badger.ErrKeyNotFound
	})
	if err != nil {
		return event.Event{}, fmt.Errorf("store: read event %v/%x: %w", k.Time, k.ID, err)
	}
	return ev, nil
}

// Query selects a page of an endpoint's timeline.
type Query struct {
	// From and To bound the times (To exclusive); zero means unbounded.
	From, To time.Time
	// After continues a previous page: only events strictly after this key
	// (or strictly before it when Reverse).
	After *EventKey
	// Reverse pages from the newest event backwards.
	Reverse bool
	// Limit is the page size; zero means 200.
	Limit int
	// Keep, when set, filters events (by kind, format, ...); filtered
	// events do not count towards Limit.
	Keep func(*event.Event) bool
}

// Page is one page of a timeline.
type Page struct {
	Items []Stored
	// More says whether more events lie beyond the last item.
	More bool
}

// span returns the first and last instants the stored blocks cover (their
// minutes); ok is false for a store without events.
func span(txn *badger.Txn) (first, last tkey, ok bool) {
	opt := badger.DefaultIteratorOptions
	opt.PrefetchValues = false
	opt.Prefix = []byte{prefixBlock}
	it := txn.NewIterator(opt)
	it.Rewind()
	if !it.Valid() {
		it.Close()
		return 0, 0, false
	}
	f, _, err := parseBlockKey(it.Item().Key())
	it.Close()
	if err != nil {
		return 0, 0, false
	}
	opt.Reverse = true
	it = txn.NewIterator(opt)
	defer it.Close()
	it.Seek([]byte{prefixBlock, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	if !it.Valid() {
		return f, f + uint64(bucketNS) - 1, true
	}
	l, _, err := parseBlockKey(it.Item().Key())
	if err != nil {
		return f, f + uint64(bucketNS) - 1, true
	}
	if l == 0 { // only the zero time
		return 0, 0, true
	}
	return f, l + uint64(bucketNS) - 1, true
}

// timelineRange clamps a query's bounds to what the store holds.
func timelineRange(txn *badger.Txn, from, to time.Time) (lo, hi tkey, ok bool) {
	first, last, ok := span(txn)
	if !ok {
		return 0, 0, false
	}
	lo, hi = timeRange(from, to)
	lo, hi = max(lo, first), min(hi, last+1)
	return lo, hi, lo < hi
}

// Timeline returns a page of the events indexed under ep, oldest first (or
// newest first with Reverse). It reads the postings of the hours it walks
// and only the blocks (and frames) of the events it returns, so a page
// costs about the same on a store of millions of events as on a small one.
func (s *Store) Timeline(ctx context.Context, ep Endpoint, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 200
	}
	var page Page
	// Postings held in memory are copied before the store is read: a
	// flush that writes them in between then shows them twice (merged),
	// never not at all.
	held := s.index.held(appendEndpoint(nil, ep))
	err := s.view(func(txn *badger.Txn) error {
		lo, hi, ok := timelineRange(txn, q.From, q.To)
		if !ok {
			return nil
		}
		c := newBlockCache(txn)
		defer c.close()
		return s.walkTimeline(ctx, txn, held, ep, lo, hi, q.Reverse, q.After, func(p posting) (bool, error) {
			if len(page.Items) == q.Limit {
				page.More = true
				return false, nil
			}
			b, i, ok, err := c.find(p)
			if err != nil || !ok {
				return err == nil, err // not found: pruned between index and event
			}
			st := Stored{Key: EventKey{Time: keyTime(p.tk), ID: p.id}}
			if err := b.event(i, &st.Event); err != nil {
				return false, err
			}
			if q.Keep == nil || q.Keep(&st.Event) {
				page.Items = append(page.Items, st)
			}
			return true, nil
		})
	})
	if err != nil {
		return Page{}, fmt.Errorf("store: timeline of %s: %w", ep, err)
	}
	return page, nil
}

// Histogram counts ep's events in buckets of width step from from to to. It
// reads postings only.
func (s *Store) Histogram(ctx context.Context, ep Endpoint, from, to time.Time, step time.Duration) ([]int, error) {
	if step <= 0 || !to.After(from) {
		return nil, fmt.Errorf("store: histogram needs from < to and a positive step")
	}
	buckets := make([]int, int((to.Sub(from)+step-1)/step))
	held := s.index.held(appendEndpoint(nil, ep))
	err := s.view(func(txn *badger.Txn) error {
		lo, hi, ok := timelineRange(txn, from, to)
		if !ok {
			return nil
		}
		return s.walkTimeline(ctx, txn, held, ep, lo, hi, false, nil, func(p posting) (bool, error) {
			if i := int(keyTime(p.tk).Sub(from) / step); i >= 0 && i < len(buckets) {
				buckets[i]++
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: histogram of %s: %w", ep, err)
	}
	return buckets, nil
}

// CountEvents counts stored events with from <= time < to. A minute with
// one block, wholly in the range, is counted from its key; others from
// their blocks' keys.
func (s *Store) CountEvents(ctx context.Context, from, to time.Time) (int, error) {
	n := 0
	lo, hi := timeRange(from, to)
	err := s.view(func(txn *badger.Txn) error {
		c := newBlockCache(txn)
		defer c.close()
		return eachMinute(ctx, txn, lo, hi, true, nil, func(bs []*block) error {
			bucket := bs[0].bucket
			if len(bs) == 1 && bucket >= lo && bucket+uint64(bucketNS) <= hi && bucket != 0 {
				_, k, _ := parseBlockKey(bs[0].key)
				n += k
				return nil
			}
			full := make([]*block, 0, len(bs))
			for _, b := range bs {
				blk, err := c.get(b.key)
				if err != nil {
					return err
				}
				full = append(full, blk)
			}
			clear(c.blocks)
			return mergeMinute(full, lo, hi, func(*block, int) error { n++; return nil })
		})
	})
	return n, err
}

// Snapshot is a consistent read-only view of the store at one moment:
// writes after it was taken are not seen through it.
type Snapshot struct {
	s   *Store
	txn *badger.Txn
}

// Snapshot opens a view of the store as it is now. Close it when done: an
// open snapshot keeps old data from being compacted away.
func (s *Store) Snapshot() *Snapshot { return &Snapshot{s: s, txn: s.db.NewTransaction(false)} }

// Close releases the snapshot.
func (sn *Snapshot) Close() { sn.txn.Discard() }

// Events calls fn for every event of the snapshot with from <= time < to
// (zero to: no bound), in time order.
func (sn *Snapshot) Events(ctx context.Context, from, to time.Time, fn func(Stored) error) error {
	sn.s.gate.RLock()
	defer sn.s.gate.RUnlock()
	if sn.s.closed {
		return ErrClosed
	}
	return eventsIn(ctx, sn.txn, from, to, fn)
}
