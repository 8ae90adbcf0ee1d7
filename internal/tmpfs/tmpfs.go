// Package tmpfs gives tests a small filesystem of their own to fill: what
// mamori does on a full disk is tested on a real full disk, not a fake.
package tmpfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Fill writes a file named filler in dir until at most leave bytes (zero:
// none) are free on dir's filesystem, and returns its path. Removing it frees the
// space again.
func Fill(t testing.TB, dir string, leave int64) string {
	t.Helper()
	free, err := Free(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for need := free - leave; need > 0; need -= int64(len(chunk)) {
		if need < int64(len(chunk)) {
			chunk = chunk[:need]
		}
		if _, err := f.Write(chunk); errors.Is(err, syscall.ENOSPC) {
			break // full to the last byte
		} else if err != nil {
			_ = f.Close()
			t.Fatalf("filling %s: %v", dir, err)
		}
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		t.Fatal(err)
	}
	return path
}

// ErrUnsupported is returned by Free where it cannot measure.
var ErrUnsupported = errors.New("tmpfs: not supported on this system")
