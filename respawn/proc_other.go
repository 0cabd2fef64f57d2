//go:build !linux

package respawn

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

func procAttr(pdeathsig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// checkPdeathsig refuses a parent-death signal, which only Linux has.
func checkPdeathsig(sig syscall.Signal) error {
	if sig != 0 {
		return fmt.Errorf("a parent-death signal (PR_SET_PDEATHSIG) is Linux-only: %w", errors.ErrUnsupported)
	}
	return nil
}

// becomeSubreaper is Linux's PR_SET_CHILD_SUBREAPER only.
func becomeSubreaper() error {
	return fmt.Errorf("not a child subreaper (PR_SET_CHILD_SUBREAPER is Linux-only): %w", errors.ErrUnsupported)
}

// killLeftovers kills what is left of the last run's process group, if
// any, and reaps this process's children: without a subreaper, the rest of
// the command's tree went to init. The on-exit hook, in a group of its own,
// is told of its end if it is reaped here.
func killLeftovers(group int, hooks *hooks) {
	if group > 0 {
		_ = syscall.Kill(-group, syscall.SIGKILL) // ESRCH: nothing left
	}
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err != nil || pid <= 0 {
			return
		}
		hooks.reaped(pid, ws)
	}
}

// subreaper: orphans of the command's tree go to init.
const subreaper = false

// pipeHolds cannot tell here (x/sys has no FIONREAD for these systems).
func pipeHolds(fd int) (int, bool) { return 0, false }

// growPipe leaves the pipe as it is: only Linux can grow one.
func growPipe(*os.File) {}
