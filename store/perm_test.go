package store

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// syncBuffer is a log destination safe for Badger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestStoreFilesArePrivate: in a directory made world-readable beforehand
// (a packaged /var/lib/mamori) and with the usual umask 022, every file of
// the store, those Badger creates later too (tables of a memtable flush
// and of a compaction, value-log and memtable files), is 0600 and the
// directory 0700, with a warning saying what was changed. Before, *.vlog,
// *.sst and *.mem were 0644.
func TestStoreFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "db")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, zoneFile), []byte("Asia/Tokyo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	opts := Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	for round := range 5 { // each close flushes a memtable into a new level-0 table
		s, err := Open(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutEvents(mkEvents(filepath.Join("/logs", string(rune('a'+round))), "10.0.10.23", 200)); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	before := tables(t, dir)
	if err := s.db.Flatten(1); err != nil { // five level-0 tables: a compaction writes new ones
		t.Fatal(err)
	}
	if after := tables(t, dir); len(after) == 0 || slices.Contains(before, after[len(after)-1]) {
		t.Fatalf("no compaction happened (tables %v, then %v): the test does not cover its files", before, after)
	}
	kinds := map[string]bool{}
	checkPrivate(t, dir, kinds) // open: with its memtable's log
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkPrivate(t, dir, kinds)
	for _, ext := range []string{".sst", ".vlog", ".mem"} {
		if !kinds[ext] {
			t.Errorf("no %s file was made: the test does not cover it (files: %v)", ext, kinds)
		}
	}
	if !strings.Contains(logs.String(), "readable by others") || !strings.Contains(logs.String(), "the directory (was 0755), "+zoneFile+" (was 0644)") {
		t.Errorf("no warning says what was made private; log:\n%s", logs.String())
	}

	// Read-only changes nothing, but says so.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(dir, Options{ReadOnly: true, Logger: opts.Logger})
	if err != nil {
		t.Fatal(err)
	}
	_ = ro.Close()
	if !strings.Contains(logs.String(), "is readable by others (mode 0755)") {
		t.Errorf("read-only open of an exposed store does not warn; log:\n%s", logs.String())
	}
}

// checkPrivate checks that dir is 0700 and its files are the owner's
// only, and notes their extensions in kinds.
func checkPrivate(t *testing.T, dir string, kinds map[string]bool) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("store directory is %04o, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		kinds[filepath.Ext(e.Name())] = true
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %04o: others can read it", e.Name(), fi.Mode().Perm())
		}
	}
}

// tables lists the names of dir's table files.
func tables(t *testing.T, dir string) []string {
	t.Helper()
	ts, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
