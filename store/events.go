package store

import (
	"bytes"
	"context"
	"fmt"
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

// PutEvents writes events and their timeline index entries in one batch.
// An event's key derives from its time, Ref and Raw, so writing the same
// line again overwrites the same key instead of adding a copy.
func (s *Store) PutEvents(evs []event.Event) error {
	if err := s.checkWritable(); err != nil {
		return err
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	var (
		val []byte
		eps []Endpoint
		err error
	)
	expires := s.expiresAt()
	for i := range evs {
		ev := &evs[i]
		k := KeyOf(ev)
		if val, err = ev.AppendBinary(val[:0]); err != nil {
			return fmt.Errorf("store: encode event: %w", err)
		}
		// WriteBatch keeps the slices until Flush: give it its own copy.
		e := badger.NewEntry(eventKey(k), bytes.Clone(val))
		e.ExpiresAt = expires
		if err := wb.SetEntry(e); err != nil {
			return s.writeErr("write events", err)
		}
		eps = s.endpointsOf(ev, eps)
		for _, ep := range eps {
			ie := badger.NewEntry(endpointKey(ep, k), nil)
			ie.ExpiresAt = expires
			if err := wb.SetEntry(ie); err != nil {
				return s.writeErr("write timeline index", err)
			}
		}
	}
	return s.writeErr("write events", wb.Flush())
}

func (s *Store) expiresAt() uint64 {
	if s.opts.Retention < 0 {
		return 0
	}
	return uint64(time.Now().Add(s.opts.Retention).Unix())
}

// Events calls fn for every event with from <= time < to, in time order. A
// zero to means no upper bound. fn's event is its own copy.
func (s *Store) Events(ctx context.Context, from, to time.Time, fn func(Stored) error) error {
	return s.db.View(func(txn *badger.Txn) error { return eventsIn(ctx, txn, from, to, fn) })
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
	err := s.db.View(func(txn *badger.Txn) error {
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

// Timeline returns a page of the events indexed under ep, oldest first (or
// newest first with Reverse). It reads index keys without values and fetches
// only the events it returns, so a page costs the same on a store of
// millions of events as on a small one.
func (s *Store) Timeline(ctx context.Context, ep Endpoint, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 200
	}
	prefix := endpointPrefix(ep)
	var page Page
	err := s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = prefix
		opt.Reverse = q.Reverse
		it := txn.NewIterator(opt)
		defer it.Close()

		lower := append(bytes.Clone(prefix), eventTimeBound(q.From)[1:]...)
		var upper []byte
		if !q.To.IsZero() {
			upper = append(bytes.Clone(prefix), eventTimeBound(q.To)[1:]...)
		}
		var seek []byte
		switch {
		case q.After != nil:
			seek = endpointKey(ep, *q.After)
		case q.Reverse && upper != nil:
			seek = upper
		case q.Reverse:
			seek = append(bytes.Clone(prefix), 0xff)
		default:
			seek = lower
		}
		n := 0
		for it.Seek(seek); it.Valid(); it.Next() {
			key := it.Item().Key()
			if q.After != nil && bytes.Equal(key, seek) {
				continue
			}
			if upper != nil && bytes.Compare(key, upper) >= 0 {
				if q.Reverse {
					continue
				}
				break
			}
			if bytes.Compare(key, lower) < 0 {
				if q.Reverse {
					break
				}
				continue
			}
			if n++; n%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			_, k, err := parseEndpointKey(key)
			if err != nil {
				return err
			}
			if len(page.Items) == q.Limit {
				page.More = true
				return nil
			}
			item, err := txn.Get(eventKey(k))
			if err == badger.ErrKeyNotFound {
				continue // expired between index and event
			}
			if err != nil {
				return err
			}
			st, err := decodeItem(item)
			if err != nil {
				return err
			}
			if q.Keep != nil && !q.Keep(&st.Event) {
				continue
			}
			page.Items = append(page.Items, st)
		}
		return nil
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
	prefix := endpointPrefix(ep)
	err := s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = prefix
		it := txn.NewIterator(opt)
		defer it.Close()
		upper := append(bytes.Clone(prefix), eventTimeBound(to)[1:]...)
		n := 0
		for it.Seek(append(bytes.Clone(prefix), eventTimeBound(from)[1:]...)); it.Valid(); it.Next() {
			key := it.Item().Key()
			if bytes.Compare(key, upper) >= 0 {
				break
			}
			if n++; n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			t := readTime(key[len(prefix) : len(prefix)+8])
			if i := int(t.Sub(from) / step); i >= 0 && i < len(buckets) {
				buckets[i]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: histogram of %s: %w", ep, err)
	}
	return buckets, nil
}

// CountEvents counts stored events with from <= time < to by their keys.
func (s *Store) CountEvents(ctx context.Context, from, to time.Time) (int, error) {
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
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
	txn *badger.Txn
}

// Snapshot opens a view of the store as it is now. Close it when done: an
// open snapshot keeps old data from being compacted away.
func (s *Store) Snapshot() *Snapshot { return &Snapshot{txn: s.db.NewTransaction(false)} }

// Close releases the snapshot.
func (sn *Snapshot) Close() { sn.txn.Discard() }

// Events calls fn for every event of the snapshot with from <= time < to
// (zero to: no bound), in time order.
func (sn *Snapshot) Events(ctx context.Context, from, to time.Time, fn func(Stored) error) error {
	return eventsIn(ctx, sn.txn, from, to, fn)
}
