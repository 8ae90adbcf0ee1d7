//go:build unix

package store

import (
	"os"
	"syscall"
)

// allocated is the disk space a file takes: Badger preallocates its files,
// so their size overstates it.
func allocated(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512 //nolint:unconvert // Blocks is int32 on some platforms
	}
	return fi.Size()
}
