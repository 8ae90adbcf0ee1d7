package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Retention
//
// An event is kept while it is younger than the retention by the wall
// clock, or while events of its day (UTC) were stored less than the
// retention ago. The first half keeps the store a rolling window of recent
// logs that no timestamp can move: a line dated 2200, forged or broken,
// changes nothing, since the clock and not the newest event is the anchor.
// The second half keeps evidence: logs collected months ago and imported
// for an investigation stay for a whole retention after their import,
// instead of being pruned at once for being old.
//
// When events of a day were last stored is kept per day ('r' records, to
// the hour: a write updates them at most once an hour). A store made before
// these records existed counts its events as stored when it is first opened
// read-write, which keeps them one more retention at most.

// maxPruneShare is the share of the stored events a prune deletes without
// being forced: more means something is off (the clock jumped, mamori was
// stopped for longer than the retention, the retention was shortened) and a
// person should decide.
const maxPruneShare = 0.5

// ErrPruneRefused is wrapped by the error of a prune that would delete
// more than half of the stored events.
var ErrPruneRefused = errors.New("prune refused")

// PruneRefusedError says what a refused prune would have deleted.
type PruneRefusedError struct {
	Delete, Total int       // events it would delete, of at least Total stored
	Before        time.Time // it would delete events before this time
	Retention     time.Duration
}

func (e *PruneRefusedError) Error() string {
	return fmt.Sprintf("%v: it would delete %d of the %d stored events (%d%%), more than half of the store: the events dated before %s (now less the retention of %s) that were not stored within the retention. "+
		"The clock may have jumped, mamori may have been stopped for longer than the retention, or the retention was shortened; if deleting them is right, prune with force (mamori prune --force)",
		ErrPruneRefused, e.Delete, e.Total, 100*e.Delete/max(e.Total, 1), e.Before.UTC().Format(time.RFC3339), days(e.Retention))
}

// days writes a duration of whole days as "180d", as the configuration does.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

func (e *PruneRefusedError) Unwrap() error { return ErrPruneRefused }

// storedEvery is how stale a day's stored time may grow before a write
// of events of that day updates it.
const storedEvery = int64(time.Hour / time.Second)

// loadStored reads when each day's events were last stored, stamping every
// day with events as stored now if the store has no such records yet.
func (s *Store) loadStored() error {
	s.stored = map[int32]int64{}
	err := s.view(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte{prefixStored}
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			d, err := parseStoredKey(it.Item().Key())
			if err != nil {
				return err
			}
			err = it.Item().Value(func(v []byte) error {
				if len(v) != 8 {
					return fmt.Errorf("%w: stored-day value of %d bytes", errBadKey, len(v))
				}
				s.stored[d] = int64(binary.BigEndian.Uint64(v))
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(s.stored) > 0 {
		return err
	}
	var days []int32
	err = s.view(func(txn *badger.Txn) error {
		days = eventDays(txn)
		return nil
	})
	if err != nil || len(days) == 0 {
		return err
	}
	now := s.now().Unix()
	wb := s.db.NewWriteBatch()
	for _, d := range days {
		if err := wb.Set(storedKey(d), storedValue(now)); err != nil {
			wb.Cancel()
			return err
		}
		s.stored[d] = now
	}
	return wb.Flush()
}

// eventDays lists the days that hold events, one seek per day.
func eventDays(txn *badger.Txn) []int32 {
	opt := badger.DefaultIteratorOptions
	opt.PrefetchValues = false
	opt.Prefix = []byte{prefixBlock}
	it := txn.NewIterator(opt)
	defer it.Close()
	var days []int32
	for it.Rewind(); it.Valid(); {
		bucket, _, err := parseBlockKey(it.Item().Key())
		if err != nil {
			it.Next()
			continue
		}
		d := day(keyTime(bucket))
		days = append(days, d)
		it.Seek(blockBound(timeKey(dayStart(d + 1))))
	}
	return days
}

func storedValue(unix int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(unix)) }

// staleDays returns the days (distinct, from days) whose stored time a
// write at now must update.
func (s *Store) staleDays(days []int32, now int64) []int32 {
	s.storedMu.Lock()
	defer s.storedMu.Unlock()
	var out []int32
	for _, d := range days {
		if now-s.stored[d] < storedEvery || slices.Contains(out, d) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// noteStored records that events of days were stored at now.
func (s *Store) noteStored(days []int32, now int64) {
	s.storedMu.Lock()
	defer s.storedMu.Unlock()
	for _, d := range days {
		if s.stored[d] < now {
			s.stored[d] = now
		}
	}
}

// heldDays returns the days whose events were stored less than the
// retention before now.
func (s *Store) heldDays(now time.Time) map[int32]bool {
	s.storedMu.Lock()
	defer s.storedMu.Unlock()
	held := map[int32]bool{}
	for d, at := range s.stored {
		if time.Unix(at, 0).Add(s.opts.Retention).After(now) {
			held[d] = true
		}
	}
	return held
}

// Prune deletes the events (and their timeline index entries) that the
// retention no longer keeps, and returns how many. An event is kept while
// it is younger than the retention by the wall clock, or while events of
// its day were stored less than the retention ago (an import of old logs
// is kept for a whole retention after it); an event dated in the future is
// kept and moves nothing. See the Retention note above.
//
// A prune that would delete more than half of the stored events deletes
// nothing unless force is set, and returns a *PruneRefusedError saying
// what it would delete and why that may be wrong.
func (s *Store) Prune(ctx context.Context, force bool) (int, error) {
	if s.opts.ReadOnly || s.opts.Retention < 0 {
		return 0, nil
	}
	now := s.now()
	cutoff := now.Add(-s.opts.Retention)
	held := s.heldDays(now)
	events := pruneFamily{prefix: prefixBlock, end: blockBound(bucketOf(timeKey(cutoff))),
		day:    func(k []byte) int32 { return day(keyTime(binary.BigEndian.Uint64(k[1:9]))) },
		next:   func(d int32) []byte { return blockBound(timeKey(dayStart(d + 1))) },
		weight: func(k []byte) int { _, n, _ := parseBlockKey(k); return n }}
	var n int
	err := s.view(func(txn *badger.Txn) error {
		var err error
		n, err = events.walk(ctx, txn, held, -1, nil)
		return err
	})
	if err != nil || n == 0 {
		return 0, err
	}
	if !force {
		total, err := s.countEventsUpTo(ctx, 2*n+1)
		if err != nil {
			return 0, err
		}
		if float64(n) > maxPruneShare*float64(total) {
			return 0, &PruneRefusedError{Delete: n, Total: total, Before: cutoff, Retention: s.opts.Retention}
		}
	}
	// A block holds the events of one minute: the blocks of the minutes
	// before the cutoff's go (an event of the cutoff's own minute waits
	// for the next prune).
	deleted, err := s.deleteWalk(ctx, events, held)
	if err != nil {
		return deleted, err
	}
	// Postings are by hour: the hours before the cutoff's go (postings
	// of the cutoff's own hour that outlive their event are skipped by
	// timelines, and go with the next prune). Kept to the end of the
	// cutoff's day, as the per-day index of format 1 was, a histogram
	// over a held older day counted the day's pruned events.
	index := pruneFamily{prefix: prefixPosting, end: appendHour([]byte{prefixPosting}, hourOf(timeKey(cutoff))),
		day:  func(k []byte) int32 { return int32(floorDiv(int64(readHour(k[1:5])), 24)) },
		next: func(d int32) []byte { return appendHour([]byte{prefixPosting}, (d+1)*24) }}
	if _, err := s.deleteWalk(ctx, index, held); err != nil {
		return deleted, err
	}
	return deleted, s.forgetStored(day(cutoff), held)
}

// pruneFamily is a time-ordered record family as Prune walks it: the keys
// under prefix before end, by day.
type pruneFamily struct {
	prefix byte
	end    []byte
	day    func(key []byte) int32 // the day of a key
	next   func(d int32) []byte   // the first key of the day after d
	weight func(key []byte) int   // how many events a key holds; nil: one
}

// walk calls fn (when set) with up to limit (-1: all) keys of f whose day
// is not held, seeking past held days, and returns how many events they
// hold.
func (f pruneFamily) walk(ctx context.Context, txn *badger.Txn, held map[int32]bool, limit int, fn func(key []byte)) (int, error) {
	opt := badger.DefaultIteratorOptions
	opt.PrefetchValues = false
	opt.Prefix = []byte{f.prefix}
	it := txn.NewIterator(opt)
	defer it.Close()
	n, keys := 0, 0
	for it.Rewind(); it.Valid() && keys != limit; {
		k := it.Item().Key()
		if bytes.Compare(k, f.end) >= 0 {
			break
		}
		if d := f.day(k); held[d] {
			it.Seek(f.next(d))
			continue
		}
		if fn != nil {
			fn(it.Item().KeyCopy(nil))
		}
		w := 1
		if f.weight != nil {
			w = f.weight(k)
		}
		n += w
		if keys++; keys%4096 == 0 && ctx.Err() != nil {
			return n, ctx.Err()
		}
		it.Next()
	}
	return n, nil
}

// deleteWalk deletes the keys f.walk finds, in batches.
func (s *Store) deleteWalk(ctx context.Context, f pruneFamily, held map[int32]bool) (int, error) {
	const batch = 10_000
	total := 0
	for {
		var (
			keys [][]byte
			n    int
		)
		err := s.view(func(txn *badger.Txn) error {
			var err error
			n, err = f.walk(ctx, txn, held, batch, func(k []byte) { keys = append(keys, k) })
			return err
		})
		if err != nil || len(keys) == 0 {
			return total, err
		}
		if err := s.deleteKeys("prune", keys); err != nil {
			return total, err
		}
		total += n
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// deleteKeys deletes keys in one write batch.
func (s *Store) deleteKeys(op string, keys [][]byte) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.checkSpace(0, s.floor()); err != nil {
		return err
	}
	wb := s.db.NewWriteBatch()
	for _, k := range keys {
		if err := wb.Delete(k); err != nil {
			wb.Cancel()
			return s.writeErr(op, err)
		}
	}
	return s.writeErr(op, wb.Flush())
}

// forgetStored drops the stored times of days before cutoffDay that no
// longer hold their events: those events are gone.
func (s *Store) forgetStored(cutoffDay int32, held map[int32]bool) error {
	s.storedMu.Lock()
	var keys [][]byte
	for d := range s.stored {
		if d < cutoffDay && !held[d] {
			keys = append(keys, storedKey(d))
			delete(s.stored, d)
		}
	}
	s.storedMu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	return s.deleteKeys("prune", keys)
}

// countEventsUpTo counts the stored events, by their blocks' keys,
// stopping at limit.
func (s *Store) countEventsUpTo(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.view(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte{prefixBlock}
		it := txn.NewIterator(opt)
		defer it.Close()
		keys := 0
		for it.Rewind(); it.Valid() && n < limit; it.Next() {
			_, c, err := parseBlockKey(it.Item().Key())
			if err != nil {
				return err
			}
			n += c
			if keys++; keys%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		return nil
	})
	return n, err
}
