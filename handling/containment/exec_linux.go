package containment

import "syscall"

// parentDeath makes the kernel kill the command when the thread that
// started it ends: exec keeps that thread locked until the command is
// reaped, so it ends only with mamori.
func parentDeath(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
