//go:build unix

package containment

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the command in a process group of its own and makes
// cancellation kill the whole group, so a command that started children
// of its own leaves none behind at its time limit, when its run is
// canceled or when mamori closes the Manager. Where the system has one
// (Linux), the command also gets a parent-death signal: if mamori dies,
// even by SIGKILL, the kernel kills the command. (The command's own
// children are in its group but have no such signal: a command that
// starts long-lived children should exec them or give them one.)
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	parentDeath(cmd.SysProcAttr)
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
