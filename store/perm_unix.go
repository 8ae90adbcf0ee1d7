//go:build unix

package store

import "syscall"

// restrictUmask adds group and other to the process's umask, for good:
// Badger creates files for as long as the store is open.
func restrictUmask() {
	old := syscall.Umask(0o077)
	syscall.Umask(old | 0o077)
}
