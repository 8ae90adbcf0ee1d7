//go:build unix

package containment

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the command in a process group of its own and makes
// cancellation kill the whole group, so a command that started children
// of its own leaves none behind at its time limit.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
