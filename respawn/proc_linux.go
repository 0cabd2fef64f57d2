package respawn

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

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
		for _, pid := range children() {
			_ = unix.Kill(pid, unix.SIGKILL) // ours, and alive or a zombie: it cannot fail usefully
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(-1, &ws, 0, nil); err == syscall.ECHILD {
			return
		}
	}
}

// children lists this process's children, from /proc.
func children() []int {
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := stat(pid); err == nil && st.ppid == self {
			kids = append(kids, pid)
		}
	}
	return kids
}

type procStat struct {
	state byte
	ppid  int
}

func stat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ppid, _ := strconv.Atoi(f[1])
	return procStat{state: f[0][0], ppid: ppid}, nil
}

// processRuns reports whether pid is a live process (not a zombie).
func processRuns(pid int) bool {
	st, err := stat(pid)
	return err == nil && st.state != 'Z' && st.state != 'X'
}

// isOurChild reports whether pid is grespawn's child, so that the wait loop
// will reap it.
func isOurChild(pid int) bool {
	st, err := stat(pid)
	return err == nil && st.ppid == os.Getpid()
}

// watchExit sends pid on exited once the process has exited, through a
// pidfd, which no recycled PID can fool.
func watchExit(pid int, exited chan<- int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		exited <- pid // gone already (ESRCH), or no pidfds: treat it as gone
		return
	}
	go func() {
		defer unix.Close(fd)
		for {
			_, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, -1)
			if err != unix.EINTR {
				break
			}
		}
		exited <- pid
	}()
}

// subreaper: every orphan of the command's tree comes back to grespawn.
const subreaper = true

// pipeHolds is how many bytes the pipe fd holds, unread (FIONREAD).
func pipeHolds(fd int) (int, bool) {
	n, err := unix.IoctlGetInt(fd, unix.TIOCINQ) // Linux's name for FIONREAD
	return n, err == nil
}
