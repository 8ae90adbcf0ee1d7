package store

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestAuditAppendAfterFailedSyncNeverOverwrites injects a sync failure
// after a record is set: the record stays readable, its sequence number is
// spent, and the next append gets a new number instead of overwriting it.
func TestAuditAppendAfterFailedSyncNeverOverwrites(t *testing.T) {
	s := openTemp(t, Options{})
	if seq, err := s.AppendAudit(map[string]string{"action": "opened"}); err != nil || seq != 1 {
		t.Fatalf("first append: seq %d, %v", seq, err)
	}
	injected := errors.New("injected sync failure")
	s.audit.sync = func() error { return injected }
	seq, err := s.AppendAudit(map[string]string{"action": "started", "argv": "nft add element ..."})
	if !errors.Is(err, injected) || !errors.Is(err, ErrNotDurable) {
		t.Fatalf("append with a failing sync: err = %v, want the sync's error as ErrNotDurable", err)
	}
	if seq != 2 {
		t.Fatalf("append with a failing sync: seq %d, want 2 (the record is set)", seq)
	}
	s.audit.sync = nil
	if seq, err := s.AppendAudit(map[string]string{"action": "finished"}); err != nil || seq != 3 {
		t.Fatalf("append after the failed sync: seq %d, %v; want 3", seq, err)
	}
	got := map[uint64]string{}
	if err := s.AuditLog(1, func(seq uint64, doc []byte) error {
		var r map[string]string
		if err := json.Unmarshal(doc, &r); err != nil {
			return err
		}
		got[seq] = r["action"]
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1] != "opened" || got[2] != "started" || got[3] != "finished" {
		t.Fatalf("audit log = %v, want 1 opened, 2 started, 3 finished", got)
	}
}

// TestAuditAppendSkipsATakenSequence: a counter behind the log (an append
// whose outcome was unknown) continues after the last record instead of
// overwriting it.
func TestAuditAppendSkipsATakenSequence(t *testing.T) {
	s := openTemp(t, Options{})
	for _, a := range []string{"one", "two"} {
		if _, err := s.AppendAudit(a); err != nil {
			t.Fatal(err)
		}
	}
	s.audit.mu.Lock()
	s.audit.next = 1
	s.audit.mu.Unlock()
	if seq, err := s.AppendAudit("three"); err != nil || seq != 3 {
		t.Fatalf("append with a stale counter: seq %d, %v; want 3", seq, err)
	}
	var docs []string
	_ = s.AuditLog(1, func(_ uint64, doc []byte) error { docs = append(docs, string(doc)); return nil })
	if len(docs) != 3 || docs[0] != `"one"` || docs[1] != `"two"` || docs[2] != `"three"` {
		t.Fatalf("audit log = %q", docs)
	}
}
