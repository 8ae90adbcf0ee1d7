//go:build !linux

package tmpfs

import "testing"

// Mount skips the test: a tmpfs is mounted on Linux only.
func Mount(t testing.TB, _ int) string {
	t.Helper()
	t.Skip("the full-disk test mounts a Linux tmpfs")
	return ""
}

// Free is not measured here.
func Free(string) (int64, error) { return 0, ErrUnsupported }
