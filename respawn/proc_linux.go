package respawn

import (
	"os"
	"syscall"

	"github.com/gdetach/gdetach/process"
	"golang.org/x/sys/unix"
)

// procAttr puts the command in a process group of its own, and arranges for
// pdeathsig, if any, to be sent to it when grespawn dies.
func procAttr(pdeathsig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: pdeathsig}
}

// checkPdeathsig accepts any parent-death signal: Linux has them.
func checkPdeathsig(syscall.Signal) error { return nil }

// becomeSubreaper makes every orphan in the command's tree a child of
// grespawn, to be reaped (and killed on a stop) by it.
func becomeSubreaper() error {
	return os.NewSyscallError("prctl(PR_SET_CHILD_SUBREAPER)", unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
}

// killDescendants kills every process re-parented to grespawn and reaps it,
// until none is left: their own children come back here as they die.
func killDescendants() {
	for {
		kids, _ := process.Children(os.Getpid())
		for _, pid := range kids {
			_ = unix.Kill(pid, unix.SIGKILL) // ours, and alive or a zombie: it cannot fail usefully
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(-1, &ws, 0, nil); err == syscall.ECHILD {
			return
		}
	}
}

// subreaper: every orphan of the command's tree comes back to grespawn.
const subreaper = true

// pipeHolds is how many bytes the pipe fd holds, unread (FIONREAD).
func pipeHolds(fd int) (int, bool) {
	n, err := unix.IoctlGetInt(fd, unix.TIOCINQ) // Linux's name for FIONREAD
	return n, err == nil
}
