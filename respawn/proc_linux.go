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

// killLeftovers kills what is left of the command's runs: every process
// below this one (the subreaper's whole tree, whatever group or session it
// moved to), and reaps it. The group needs no kill of its own: its members
// are all below. (Killing it by number could hit a stranger once it is
// empty and its number reused.) The on-exit hook that runs, if any, is
// spared, and told of its end if it is reaped here.
func killLeftovers(group int, hooks *hooks) { killDescendants(hooks) }

// killDescendants kills every child of this process but the running hook
// and reaps it, until none is left: their own children come back here as
// they die. With no child left to reap it costs one wait4.
func killDescendants(hooks *hooks) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		switch {
		case pid > 0:
			hooks.reaped(pid, ws)
			continue
		case err == syscall.EINTR:
			continue
		case err != nil: // ECHILD: none left
			return
		}
		kids, _ := process.Children(os.Getpid())
		killed := 0
		for _, pid := range kids {
			if !hooks.runs(pid) {
				_ = unix.Kill(pid, unix.SIGKILL) // ours, and alive or a zombie: it cannot fail usefully
				killed++
			}
		}
		if killed == 0 {
			return // only the hook is left, and it runs on
		}
		if pid, _ := syscall.Wait4(-1, &ws, 0, nil); pid > 0 { // one of them dies (or the hook ends), or ECHILD
			hooks.reaped(pid, ws)
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

// growPipe grows the pipe of r to pipeSize if it can: the pages are taken
// only as the pipe fills.
func growPipe(r *os.File) {
	if rc, err := r.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize) // EPERM past the user's pipe quota: the default size serves
		})
	}
}
