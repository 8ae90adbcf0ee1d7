package store

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The store's files hold raw log lines (who visited what, who logged in
// from where): nobody but the store's owner may read them. Badger creates
// its files with mode 0666 less the umask (0644 with the usual 022), and
// keeps creating them as it runs (tables after each compaction, value-log
// and memtable files), so Open narrows the process's umask to keep group
// and others out; it also makes the directory 0700 and takes group and
// others' access away from files already there (a store made by an earlier
// version, or copied in with their modes).

// privateMode is the mode bits nobody but the owner may have.
const privateMode fs.FileMode = 0o077

// secureDir makes dir (the store's directory, read-write) and every file in
// it private to the owner, and returns what it changed, for a warning.
func secureDir(dir string) (changed []string, err error) {
	restrictUmask()
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if m := fi.Mode().Perm(); m&privateMode != 0 {
		if err := os.Chmod(dir, m&^privateMode); err != nil {
			return nil, fmt.Errorf("make %s private: %w", dir, err)
		}
		changed = append(changed, fmt.Sprintf("the directory (was %04o)", m))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return changed, err
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&privateMode == 0 {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Chmod(p, fi.Mode().Perm()&^privateMode); err != nil {
			return changed, fmt.Errorf("make %s private: %w", p, err)
		}
		changed = append(changed, fmt.Sprintf("%s (was %04o)", e.Name(), fi.Mode().Perm()))
	}
	return changed, nil
}

// exposedDir reports, for a store opened read-only (which changes
// nothing), whether others can read or enter dir.
func exposedDir(dir string) (fs.FileMode, bool) {
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, false
	}
	return fi.Mode().Perm(), fi.Mode().Perm()&0o055 != 0
}
