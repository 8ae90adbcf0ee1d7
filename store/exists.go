package store

import (
	"os"
	"path/filepath"
)

// Exists reports whether dir holds a mamori store, without creating or
// opening anything: commands that only read use it to tell "no store yet"
// from a store they cannot open.
func Exists(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "MANIFEST"))
	return err == nil && fi.Mode().IsRegular()
}
