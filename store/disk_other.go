//go:build !linux

package store

// diskSpace is measured on Linux only; elsewhere the reserve is not kept.
func diskSpace(string) (free, total int64, err error) { return 0, 0, errNoStatfs }
