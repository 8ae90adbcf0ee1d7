package export

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileWritesPrivatelyInOneStep(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.md")
	ex, err := File(path, false, func(w io.Writer) error {
		_, err := io.WriteString(w, "hello\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("hello\n"))
	if ex.Path != path || ex.Bytes != 6 || ex.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("exported %+v", ex)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the directory holds %d entries, want the file alone", len(ents))
	}
}

func TestFileNeverReplacesUnlessForced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.md")
	if err := os.WriteFile(path, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(w io.Writer) error { _, err := io.WriteString(w, "ours"); return err }
	if _, err := File(path, false, write); !errors.Is(err, ErrExists) {
		t.Errorf("over an existing file: %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "theirs" {
		t.Errorf("the existing file became %q", b)
	}
	if _, err := File(path, true, write); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "ours" {
		t.Errorf("forced: the file is %q", b)
	}
}

// A file created at the path while the export was written (another
// export, another user) is kept: the check is made again when the file is
// put in place, atomically.
func TestFileKeepsAFileCreatedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "evidence.tar.gz")
	_, err := File(path, false, func(w io.Writer) error {
		if err := os.WriteFile(path, []byte("meanwhile"), 0o600); err != nil {
			return err
		}
		_, err := io.WriteString(w, "late")
		return err
	})
	if !errors.Is(err, ErrExists) {
		t.Errorf("err = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "meanwhile" {
		t.Errorf("the file made meanwhile became %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

// A write that fails (a full disk, a cancelled build) leaves nothing.
func TestFileFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.md")
	boom := errors.New("no space left on device")
	_, err := File(path, false, func(w io.Writer) error {
		_, _ = io.WriteString(w, strings.Repeat("x", 1000))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the write's", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}
