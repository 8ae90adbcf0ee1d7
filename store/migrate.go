package store

// Store formats
//
// Stores written before blocks (format 1) kept one entry per event under
// 'e' and one empty timeline key per event and endpoint under 'x' (the
// legacy layout in keys.go). Opening such a store for writing converts it:
// its events are read in time order and written as blocks with their
// timeline postings, the store is marked as format 2 and the old entries
// are dropped. The conversion is resumable: if it is interrupted
// before the mark, the old entries are all still there, and the next open
// drops what the interrupted one wrote and starts again; once every event
// is in a block the store is marked, then the old entries are dropped, so
// a conversion interrupted while dropping them (Badger drops level by
// level) converts those left again (copies that readers merge away) and
// drops them, never taking the blocks for leftovers. A format-1 store opened
// read-only is refused with an error saying how to convert it (never read
// as if it were empty).

import (
	"errors"
	"fmt"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/mamori-soc/mamori/event"
)

const (
	formatKey     = "format"
	formatCurrent = "2"
)

// OldFormatError is returned by a read-only open of a store written by an
// older mamori, which must be converted (opened for writing once) first.
type OldFormatError struct{ Dir string }

func (e *OldFormatError) Error() string {
	return fmt.Sprintf("the store %s was written by an older mamori (one entry per event) and must be converted before it can be read: run \"mamori migrate --db %s\" (or open it without --readonly once); the conversion can be interrupted and run again", e.Dir, e.Dir)
}

// ErrOldFormat is wrapped by OldFormatError.
var ErrOldFormat = errors.New("store in an older format")

func (e *OldFormatError) Unwrap() error { return ErrOldFormat }

// Migrated reports whether opening the store converted it from the older
// format, and how many events it converted.
func (s *Store) Migrated() (bool, int) { return s.migrated > 0, s.migrated }

func hasPrefix(txn *badger.Txn, prefix byte) bool {
	opt := badger.DefaultIteratorOptions
	opt.PrefetchValues = false
	opt.Prefix = []byte{prefix}
	it := txn.NewIterator(opt)
	defer it.Close()
	it.Rewind()
	return it.Valid()
}

// checkFormat converts a format-1 store opened for writing, refuses one
// opened read-only, and marks a new store as current.
func (s *Store) checkFormat() error {
	var legacy, marked bool
	err := s.db.View(func(txn *badger.Txn) error {
		legacy = hasPrefix(txn, prefixEvent) || hasPrefix(txn, prefixEndpoint)
		_, err := txn.Get(nameKey(prefixMeta, formatKey))
		marked = err == nil
		if errors.Is(err, badger.ErrKeyNotFound) {
			err = nil
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case legacy && s.opts.ReadOnly:
		return &OldFormatError{Dir: s.dir}
	case legacy:
		return s.migrate(!marked)
	case !marked && !s.opts.ReadOnly:
		return s.db.Update(func(txn *badger.Txn) error {
			return txn.Set(nameKey(prefixMeta, formatKey), []byte(formatCurrent))
		})
	}
	return nil
}

// dropLegacy drops the format-1 entries (a variable for the test of a
// conversion killed while dropping them).
var dropLegacy = dropLegacyEntries

func dropLegacyEntries(db *badger.DB) error {
	return db.DropPrefix([]byte{prefixEvent}, []byte{prefixEndpoint})
}

// migrate converts the format-1 events and timeline keys. dropLeftovers
// drops blocks and postings first: those of an interrupted conversion
// (the store was not yet marked as format 2, so nothing else wrote them).
func (s *Store) migrate(dropLeftovers bool) error {
	log := badgerLogger{s.opts.Logger}
	log.Warningf("converting the store from one entry per event to event blocks (once; it can be interrupted and resumed)")
	start := time.Now()
	if dropLeftovers {
		if err := s.db.DropPrefix([]byte{prefixBlock}, []byte{prefixPosting}, []byte{prefixJournal}); err != nil {
			return fmt.Errorf("convert the store: %w", err)
		}
	}
	var (
		w     blockWriter
		items []blockItem
		evs   []event.Event
		wb    = s.db.NewWriteBatch()
		n     int
	)
	defer func() { wb.Cancel() }()
	write := func() error {
		for start := 0; start < len(items); {
			bucket := bucketOf(items[start].tk)
			end := start + 1
			for end < len(items) && end-start < maxBlockEvents && bucketOf(items[end].tk) == bucket {
				end++
			}
			key, val, err := w.build(nil, bucket, items[start:end], s.endpointsOf)
			if err != nil {
				return err
			}
			if err := wb.Set(key, val); err != nil {
				return err
			}
			blk, err := parseBlock(key, val)
			if err != nil {
				return err
			}
			bp := &batchPostings{}
			blk.postings(bp)
			s.index.add(bp)
			start = end
		}
		n += len(items)
		items, evs = items[:0], evs[:0]
		if s.index.count >= flushPostings {
			if err := wb.Flush(); err != nil {
				return err
			}
			wb = s.db.NewWriteBatch()
			return s.flushIndex()
		}
		return nil
	}
	err := s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte{prefixEvent}
		opt.PrefetchSize = 256
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k, err := parseEventKey(it.Item().Key())
			if err != nil {
				return err
			}
			tk := timeKey(k.Time)
			if len(items) > 0 && (bucketOf(items[0].tk) != bucketOf(tk) || len(items) == cap(evs)) {
				if err := write(); err != nil {
					return err
				}
			}
			if evs == nil {
				evs = make([]event.Event, 0, maxBlockEvents)
			}
			evs = evs[:len(evs)+1]
			ev := &evs[len(evs)-1]
			if err := it.Item().Value(func(v []byte) error { return ev.UnmarshalBinary(v) }); err != nil {
				return fmt.Errorf("event %x: %w", it.Item().Key(), err)
			}
			items = append(items, blockItem{tk: tk, id: k.ID, ev: ev})
		}
		return write()
	})
	if err == nil {
		err = wb.Flush()
	}
	if err == nil {
		err = s.flushIndex()
	}
	if err == nil {
		// Every event is in a block and indexed: the store is marked as
		// converted before the old entries go. Badger drops a prefix
		// level by level, so a conversion killed while dropping leaves
		// some of them: the next open, seeing the mark, converts those
		// again (copies that readers merge away) and drops them, where
		// without the mark it would drop the blocks as leftovers of an
		// unfinished conversion and lose the events already dropped.
		err = s.db.Update(func(txn *badger.Txn) error {
			return txn.Set(nameKey(prefixMeta, formatKey), []byte(formatCurrent))
		})
	}
	if err == nil {
		err = dropLegacy(s.db)
	}
	if err != nil {
		return fmt.Errorf("convert the store to event blocks (run again to resume): %w", err)
	}
	s.migrated = n
	log.Warningf("converted %d events to event blocks in %s", n, time.Since(start).Round(time.Millisecond))
	return nil
}
