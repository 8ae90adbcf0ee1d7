//go:build !linux

package store

import "errors"

// errNoStatfs is returned by diskSpace where free space cannot be measured.
var errNoStatfs = errors.New("free space cannot be measured here")

// diskSpace is measured on Linux only; elsewhere the reserve is not kept.
func diskSpace(string) (free, total int64, err error) { return 0, 0, errNoStatfs }
