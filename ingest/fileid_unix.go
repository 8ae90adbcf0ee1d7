//go:build unix

package ingest

import (
	"os"
	"syscall"
)

// fileID returns a file's device and inode: its identity across renames.
func fileID(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino //nolint:unconvert // Dev is int32 on some platforms
	}
	return 0, 0
}
