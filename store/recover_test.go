package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
	"go.uber.org/goleak"
)

// killedEvents is how many events the killed writer stores.
const killedEvents = 5000

// TestReadOnlyOpenAfterKill9: a writer killed with SIGKILL leaves its
// memtable's log unreplayed, and Badger refused every read-only open
// ("Log truncate required") until some read-write open came by. Now a
// read-only open recovers the store first, says so, and sees every event.
func TestReadOnlyOpenAfterKill9(t *testing.T) {
	if dir := os.Getenv("MAMORI_STORE_KILL_CHILD"); dir != "" {
		writeAndWait(dir)
		return
	}
	// Badger's failed read-only open of such a store left its caches'
	// goroutines running: the store now recovers it without trying.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := filepath.Join(t.TempDir(), "db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestReadOnlyOpenAfterKill9$")
	cmd.Env = append(os.Environ(), "MAMORI_STORE_KILL_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if strings.TrimSpace(line) != "written" {
		t.Fatalf("child said %q", line)
	}

	var logs bytes.Buffer
	for i := range 2 { // the second open finds a clean store
		s, err := Open(dir, Options{ReadOnly: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatalf("read-only open %d after kill -9: %v", i+1, err)
		}
		if n := countAll(t, s); n != killedEvents {
			t.Errorf("read-only open %d sees %d events, want %d", i+1, n, killedEvents)
		}
		// The writer died with the timeline postings in memory: the
		// journal gives them back.
		if n := timelineLen(t, s, "10.0.10.23"); n != killedEvents {
			t.Errorf("read-only open %d: the timeline shows %d events, want %d", i+1, n, killedEvents)
		}
		if s.Recovered() != (i == 0) {
			t.Errorf("open %d: Recovered() = %v", i+1, s.Recovered())
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(logs.String(), "not closed cleanly") {
		t.Errorf("the recovery is not logged:\n%s", logs.String())
	}
	// A writer opening it indexes the journal's blocks and writes the
	// postings on close: the journal is then empty and the timeline whole.
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := timelineLen(t, s, "10.0.10.23"); n != killedEvents {
		t.Errorf("after a clean close: the timeline shows %d events, want %d", n, killedEvents)
	}
	if n := keysUnder(t, s, prefixJournal); n != 0 {
		t.Errorf("after a clean close: %d journal entries left", n)
	}
}

// timelineLen is how many events ep's timeline shows.
func timelineLen(t *testing.T, s *Store, ep string) int {
	t.Helper()
	p, err := s.Timeline(context.Background(), ParseEndpoint(ep), Query{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Items)
}

// keysUnder counts the keys with a prefix.
func keysUnder(t *testing.T, s *Store, prefix byte) int {
	t.Helper()
	n := 0
	err := s.view(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte{prefix}
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// writeAndWait stores killedEvents events in dir, says "written", and
// waits to be killed.
func writeAndWait(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i := 0; i < killedEvents; i += 500 {
		if err := s.PutEvents(mkEvents(fmt.Sprintf("/logs/%d.log", i), "10.0.10.23", 500)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Println("written")
	select {}
}
