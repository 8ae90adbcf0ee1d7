//go:build !unix

package store

// restrictUmask has nothing to restrict where there is no umask.
func restrictUmask() {}
