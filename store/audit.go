package store

import (
	"encoding/json"
	"fmt"
	"sync"

	badger "github.com/dgraph-io/badger/v4"
)

// auditLog hands out gapless sequence numbers for the append-only audit log.
type auditLog struct {
	mu   sync.Mutex
	next uint64
}

func openAuditLog(db *badger.DB) (*auditLog, error) {
	a := &auditLog{next: 1}
	err := db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Reverse = true
		opt.Prefix = []byte{prefixAudit}
		it := txn.NewIterator(opt)
		defer it.Close()
		it.Seek(auditKey(^uint64(0)))
		if it.Valid() {
			seq, err := parseAuditKey(it.Item().Key())
			if err != nil {
				return err
			}
			a.next = seq + 1
		}
		return nil
	})
	return a, err
}

func (a *auditLog) close() error { return nil }

// AppendAudit appends one record to the audit log and makes it durable
// before returning, so a record written before an action survives a crash
// of the action. It returns the record's sequence number. Records are never
// changed or deleted: completing an action appends a new record.
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
	seq := s.audit.next
	err = s.update(func(txn *badger.Txn) error { return txn.Set(auditKey(seq), b) })
	if err == nil {
		err = s.sync()
	}
	if err != nil {
		return 0, s.writeErr("append audit record", err)
	}
	s.audit.next++
	return seq, nil
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
