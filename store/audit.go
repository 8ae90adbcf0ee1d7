package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	badger "github.com/dgraph-io/badger/v4"
)

// auditLog hands out gapless sequence numbers for the append-only audit log.
type auditLog struct {
	mu   sync.Mutex
	next uint64
	// sync, when set, replaces the store's sync after an append (a seam
	// for tests that inject a failure).
	sync func() error
}

func openAuditLog(db *badger.DB) (*auditLog, error) {
	a := &auditLog{next: 1}
	err := db.View(func(txn *badger.Txn) error {
		last, err := lastAuditSeq(txn)
		a.next = last + 1
		return err
	})
	return a, err
}

func (a *auditLog) close() error { return nil }

// ErrNotDurable is returned (wrapped) by AppendAudit when a record was
// set in the store but could not be synced to disk: it is readable and
// keeps its sequence number, but a power loss could still lose it.
var ErrNotDurable = errors.New("audit record written but not synced to disk")

// AppendAudit appends one record to the audit log and makes it durable
// before returning, so a record written before an action survives a crash
// of the action. It returns the record's sequence number. Records are never
// changed or deleted: completing an action appends a new record.
//
// A record that was set but whose sync failed is returned with its
// sequence number and an error wrapping ErrNotDurable; its number is spent
// (the next append gets the next one). The append never overwrites a
// record: a counter found behind the log (after a write whose outcome was
// unknown) continues after the last record.
func (s *Store) AppendAudit(rec any) (uint64, error) {
	if err := s.checkWritable(); err != nil {
		return 0, err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return 0, fmt.Errorf("store: encode audit record: %w", err)
	}
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	var seq uint64
	err = s.update(func(txn *badger.Txn) error {
		seq = s.audit.next
		_, err := txn.Get(auditKey(seq))
		switch {
		case err == nil:
			last, err := lastAuditSeq(txn)
			if err != nil {
				return err
			}
			seq = max(seq, last) + 1
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		return txn.Set(auditKey(seq), b)
	})
	if err != nil {
		// Not set (or not known to be): the number stays free, and the
		// check above keeps a record that did land from being overwritten.
		return 0, s.writeErr("append audit record", err)
	}
	s.audit.next = seq + 1
	sync := s.sync
	if s.audit.sync != nil {
		sync = s.audit.sync
	}
	if err := sync(); err != nil {
		return seq, s.writeErr(fmt.Sprintf("sync audit record %d", seq), fmt.Errorf("%w: %w", ErrNotDurable, err))
	}
	return seq, nil
}

// lastAuditSeq returns the sequence number of the last audit record, or 0.
func lastAuditSeq(txn *badger.Txn) (uint64, error) {
	opt := badger.DefaultIteratorOptions
	opt.PrefetchValues = false
	opt.Reverse = true
	opt.Prefix = []byte{prefixAudit}
	it := txn.NewIterator(opt)
	defer it.Close()
	it.Seek(auditKey(^uint64(0)))
	if !it.Valid() {
		return 0, nil
	}
	return parseAuditKey(it.Item().Key())
}

// AuditLog calls fn with every audit record from sequence number from on,
// in order.
func (s *Store) AuditLog(from uint64, fn func(seq uint64, doc []byte) error) error {
	err := s.view(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte{prefixAudit}
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Seek(auditKey(from)); it.Valid(); it.Next() {
			item := it.Item()
			seq, err := parseAuditKey(item.Key())
			if err != nil {
				return err
			}
			if err := item.Value(func(b []byte) error { return fn(seq, b) }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: read audit log: %w", err)
	}
	return nil
}
