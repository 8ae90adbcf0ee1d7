package app

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenLogIsPrivate: mamori's log names hosts, users and files; one
// left readable by others (by an earlier version, or a hand) is made the
// owner's only when opened.
func TestOpenLogIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "mamori.log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	log, closeLog, err := OpenLog(path, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("opened")
	closeLog()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mamori.log is %04o, want 0600", fi.Mode().Perm())
	}
}
