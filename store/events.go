package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// PutEvents writes events and their timeline index entries, and returns
// once they are stored. An event's key derives from its time, Ref and
// Raw, so writing the same line again overwrites the same key instead of
// adding a copy.
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
func (s *Store) PutEventsAsync(evs []event.Event, done func(error)) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	s.gate.RLock() // Close waits until the batch is handed to Badger
	defer s.gate.RUnlock()
	if s.closed {
		return ErrClosed
	}
	// One buffer for every value of the batch: the transaction keeps the
	// slices until it is written.
	size := 0
	days := make([]int32, 0, 2)
	for i := range evs {
		size += 160 + len(evs[i].Raw) + len(evs[i].URL) + len(evs[i].UserAgent)
		if d := day(evs[i].Time); len(days) == 0 || days[len(days)-1] != d {
			days = append(days, d)
		}
	}
	// Values, keys, index entries and the log's own records: about twice
	// the values.
	if err := s.checkSpace(2*int64(size), s.reserve); err != nil {
		return err
	}
	now := s.now().Unix()
	stale := s.staleDays(days, now)
	buf := make([]byte, 0, size)
	var (
		eps   []Endpoint
		txns  []*badger.Txn
		txn   = s.db.NewTransaction(true)
		err   error
		start int
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
	for i := range evs {
		ev := &evs[i]
		k := KeyOf(ev)
		start = len(buf)
		if buf, err = ev.AppendBinary(buf); err != nil {
			break
		}
		if err = set(eventKey(k), buf[start:len(buf):len(buf)]); err != nil {
			break
		}
		eps = s.endpointsOf(ev, eps)
		for _, ep := range eps {
			if err = set(endpointKey(ep, k), nil); err != nil {
				break
			}
		}
		if err != nil {
			break
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

func eventsIn(ctx context.Context, txn *badger.Txn, from, to time.Time, fn func(Stored) error) error {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = []byte{prefixEvent}
	opt.PrefetchSize = 256
	it := txn.NewIterator(opt)
	defer it.Close()
	var upper []byte
	if !to.IsZero() {
		upper = eventTimeBound(to)
	}
	n := 0
	for it.Seek(eventTimeBound(from)); it.Valid(); it.Next() {
		item := it.Item()
		if upper != nil && bytes.Compare(item.Key(), upper) >= 0 {
			break
		}
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		st, err := decodeItem(item)
		if err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
	}
	return nil
}

func decodeItem(item *badger.Item) (Stored, error) {
	k, err := parseEventKey(item.Key())
	if err != nil {
		return Stored{}, err
	}
	st := Stored{Key: k}
	err = item.Value(func(v []byte) error { return st.Event.UnmarshalBinary(v) })
	if err != nil {
		return Stored{}, fmt.Errorf("store: event %x: %w", item.Key(), err)
	}
	return st, nil
}

// Event reads one event by key.
func (s *Store) Event(k EventKey) (event.Event, error) {
	var st Stored
	err := s.view(func(txn *badger.Txn) error {
		item, err := txn.Get(eventKey(k))
		if err != nil {
			return err
		}
		st, err = decodeItem(item)
		return err
	})
	if err != nil {
		return event.Event{}, fmt.Errorf("store: read event %v/%x: %w", k.Time, k.ID, err)
	}
	return st.Event, nil
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

// span returns the times of the first and the last stored event; ok is
// false for an empty store.
func span(txn *badger.Txn) (first, last time.Time, ok bool) {
	opt := badger.DefaultIteratorOptions
	opt.PrefetchValues = false
	opt.Prefix = []byte{prefixEvent}
	it := txn.NewIterator(opt)
	it.Rewind()
	if !it.Valid() {
		it.Close()
		return time.Time{}, time.Time{}, false
	}
	k, err := parseEventKey(it.Item().Key())
	it.Close()
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	first = k.Time
	opt.Reverse = true
	it = txn.NewIterator(opt)
	defer it.Close()
	it.Seek([]byte{prefixEvent, 0xff})
	if !it.Valid() {
		return first, first, true
	}
	if k, err := parseEventKey(it.Item().Key()); err == nil {
		last = k.Time
	}
	return first, last, true
}

// walkIndex calls fn with the index keys of ep from lo to hi (hi
// exclusive; both set), oldest first or newest first, day by day, starting
// after the key at (a cursor) when it is set. fn returns false to stop.
func walkIndex(ctx context.Context, txn *badger.Txn, ep Endpoint, lo, hi time.Time, reverse bool, after *EventKey, fn func(key []byte) (bool, error)) error {
	if !lo.Before(hi) {
		return nil
	}
	var skip []byte
	if after != nil {
		skip = endpointKey(ep, *after)
		if reverse && after.Time.Before(hi) {
			hi = after.Time.Add(1) // the cursor's own instant may hold more events
		}
		if !reverse && after.Time.After(lo) {
			lo = after.Time
		}
	}
	first, last := day(lo), day(hi.Add(-1))
	days := indexDays{txn: txn, reverse: reverse}
	defer days.close()
	d := first
	if reverse {
		d = last
	}
	n := 0
	for i := 0; ; i++ {
		// Days without index entries are skipped in one seek: a line
		// dated 2200 must not make every page walk 63,000 empty days.
		var ok bool
		if d, ok = days.next(d); !ok || d < first || d > last {
			return nil
		}
		prefix := endpointPrefix(d, ep)
		lower := appendTime(bytes.Clone(prefix), lo)
		upper := appendTime(bytes.Clone(prefix), hi)
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = prefix
		opt.Reverse = reverse
		it := txn.NewIterator(opt)
		seek := lower
		if reverse {
			seek = upper
		}
		if skip != nil && bytes.HasPrefix(skip, prefix) {
			seek = skip
		}
		more := true
		for it.Seek(seek); it.Valid() && more; it.Next() {
			key := it.Item().Key()
			if skip != nil && bytes.Equal(key, skip) {
				continue
			}
			if bytes.Compare(key, upper) >= 0 {
				if reverse {
					continue
				}
				break
			}
			if bytes.Compare(key, lower) < 0 {
				if reverse {
					break
				}
				continue
			}
			if n++; n%1024 == 0 && ctx.Err() != nil {
				it.Close()
				return ctx.Err()
			}
			var err error
			if more, err = fn(key); err != nil {
				it.Close()
				return err
			}
		}
		it.Close()
		if !more {
			return nil
		}
		if i%64 == 63 && ctx.Err() != nil {
			return ctx.Err()
		}
		if reverse {
			d--
		} else {
			d++
		}
	}
}

// indexDays finds the days that hold timeline index entries (of any
// endpoint).
type indexDays struct {
	txn     *badger.Txn
	reverse bool
	it      *badger.Iterator
}

// next returns the first day from d on (back from d when reverse) that
// holds index entries; ok is false when there is none.
func (x *indexDays) next(d int32) (int32, bool) {
	if x.it == nil {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte{prefixEndpoint}
		opt.Reverse = x.reverse
		x.it = x.txn.NewIterator(opt)
	}
	if x.reverse {
		x.it.Seek(appendDay([]byte{prefixEndpoint}, d+1)) // the last key before day d+1
	} else {
		x.it.Seek(appendDay([]byte{prefixEndpoint}, d))
	}
	if !x.it.Valid() || len(x.it.Item().Key()) < 5 {
		return 0, false
	}
	return readDay(x.it.Item().Key()[1:5]), true
}

func (x *indexDays) close() {
	if x.it != nil {
		x.it.Close()
	}
}

// Timeline returns a page of the events indexed under ep, oldest first (or
// newest first with Reverse). It reads index keys without values and fetches
// only the events it returns, so a page costs the same on a store of
// millions of events as on a small one.
func (s *Store) Timeline(ctx context.Context, ep Endpoint, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 200
	}
	var page Page
	err := s.view(func(txn *badger.Txn) error {
		first, last, ok := span(txn)
		if !ok {
			return nil
		}
		lo, hi := q.From, q.To
		if lo.IsZero() || lo.Before(first) {
			lo = first
		}
		if hi.IsZero() || hi.After(last) {
			hi = last.Add(1)
		}
		return walkIndex(ctx, txn, ep, lo, hi, q.Reverse, q.After, func(key []byte) (bool, error) {
			_, k, err := parseEndpointKey(key)
			if err != nil {
				return false, err
			}
			if len(page.Items) == q.Limit {
				page.More = true
				return false, nil
			}
			item, err := txn.Get(eventKey(k))
			if errors.Is(err, badger.ErrKeyNotFound) {
				return true, nil // expired between index and event
			}
			if err != nil {
				return false, err
			}
			st, err := decodeItem(item)
			if err != nil {
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
// reads index keys only.
func (s *Store) Histogram(ctx context.Context, ep Endpoint, from, to time.Time, step time.Duration) ([]int, error) {
	if step <= 0 || !to.After(from) {
		return nil, fmt.Errorf("store: histogram needs from < to and a positive step")
	}
	buckets := make([]int, int((to.Sub(from)+step-1)/step))
	err := s.view(func(txn *badger.Txn) error {
		first, last, ok := span(txn)
		if !ok {
			return nil
		}
		lo, hi := from, to
		if lo.Before(first) {
			lo = first
		}
		if hi.After(last.Add(1)) {
			hi = last.Add(1)
		}
		return walkIndex(ctx, txn, ep, lo, hi, false, nil, func(key []byte) (bool, error) {
			_, k, err := parseEndpointKey(key)
			if err != nil {
				return false, err
			}
			if i := int(k.Time.Sub(from) / step); i >= 0 && i < len(buckets) {
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

// CountEvents counts stored events with from <= time < to by their keys.
func (s *Store) CountEvents(ctx context.Context, from, to time.Time) (int, error) {
	n := 0
	err := s.view(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte{prefixEvent}
		it := txn.NewIterator(opt)
		defer it.Close()
		var upper []byte
		if !to.IsZero() {
			upper = eventTimeBound(to)
		}
		for it.Seek(eventTimeBound(from)); it.Valid(); it.Next() {
			if upper != nil && bytes.Compare(it.Item().Key(), upper) >= 0 {
				break
			}
			if n++; n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return nil
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
