package respawn

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gdetach/gdetach/pidfile"
	"github.com/gdetach/gdetach/process"
	"golang.org/x/sys/unix"
)

// processGroup is the process group of pid, or pid itself if it cannot be
// told.
func processGroup(pid int) int {
	if pgid, err := unix.Getpgid(pid); err == nil {
		return pgid
	}
	return pid
}

// watchExit sends pid on exited once the process has exited (through a
// pidfd on Linux, which no recycled PID can fool).
func watchExit(pid int, exited chan<- int) {
	h, err := process.Open(pid)
	if err != nil {
		exited <- pid // gone already: treat it as gone
		return
	}
	go func() {
		defer h.Close()
		_, _ = h.Wait(-1) // an error is an end too
		exited <- pid
	}()
}

// isOurChild reports whether pid is grespawn's child, so that the wait loop
// will reap it.
func isOurChild(pid int) bool {
	st, err := process.ReadStat(pid)
	return err == nil && st.PPID == os.Getpid()
}

// daemonOf checks that pid, read from a --pidfile, is the daemon that this
// run's launcher (started at since, as time since boot) left: a live
// process, started no earlier than the launcher, and (where orphans come
// back to grespawn) below grespawn in the process tree. A stale pidfile may
// name an unrelated process that got the PID since; that one fails. Without
// /proc only liveness can be checked.
func daemonOf(pid int, since time.Duration) error {
	st, err := process.ReadStat(pid)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		if !process.Runs(pid) {
			return fmt.Errorf("pid %d does not run", pid)
		}
		return nil
	case err != nil || st.State == 'Z' || st.State == 'X':
		return fmt.Errorf("pid %d does not run", pid)
	case st.Start+clockTick < since:
		return fmt.Errorf("pid %d started before this run: a stale pidfile", pid)
	case subreaper && !below(pid, os.Getpid()):
		return fmt.Errorf("pid %d is not in this run's process tree: a stale pidfile", pid)
	}
	return nil
}

// clockTick is the precision of a process's start time in /proc.
const clockTick = 10 * time.Millisecond

// below reports whether pid descends from ancestor.
func below(pid, ancestor int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		st, err := process.ReadStat(pid)
		if err != nil {
			return false
		}
		if st.PPID == ancestor {
			return true
		}
		pid = st.PPID
	}
	return false
}

// readDaemonPID reads the PID a --pidfile names (under the pidfile policy:
// no FIFO to hang on, no huge file to read), and checks it is the daemon
// of the run whose launcher started at launched (since, as time since
// boot): a pidfile last written before the launch is stale, whatever it
// names.
func readDaemonPID(path string, launched time.Time, since time.Duration) (int, error) {
	f, err := pidfile.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	written, err := f.ModTime()
	if err != nil {
		return 0, err
	}
	if written.Add(fileClockLag).Before(launched) {
		return 0, fmt.Errorf("%s was written before this run started: a stale pidfile", path)
	}
	pid, err := f.ReadPID()
	if err != nil {
		return 0, err
	}
	return pid, daemonOf(pid, since)
}

// fileClockLag is how far a file's modification time may lag behind the
// moment of the write: the kernel stamps files from a coarse clock, a tick
// behind.
const fileClockLag = 20 * time.Millisecond
