//go:build unix && !linux

package containment

import "syscall"

// parentDeath does nothing where there is no parent-death signal: the
// process group is still killed at the time limit and when mamori closes.
func parentDeath(*syscall.SysProcAttr) {}
