package daemonize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/fdio"
)

// A State is what a pidfile says about its daemon, numbered as the LSB
// init-script "status" action's exit codes.
type State int

const (
	Running    State = 0 // the process in the pidfile runs and holds the lock
	Dead       State = 1 // the pidfile remains, but its process has gone (or lost the lock)
	NotRunning State = 3 // there is no pidfile
	Unknown    State = 4 // the pidfile cannot be read
)

func (s State) String() string {
	switch s {
	case Running:
		return "running"
	case Dead:
		return "dead"
	case NotRunning:
		return "not running"
	}
	return "unknown"
}

// A Report is the state of a daemon, with the PID its pidfile names.
type Report struct {
	State State
	PID   int // 0 when the pidfile names none
}

// Line is the one line gdaemonize --status prints for r.
func (r Report) Line(pidfile string) string {
	switch r.State {
	case Running:
		return fmt.Sprintf("running (pid %d)", r.PID)
	case Dead:
		return fmt.Sprintf("dead, but pidfile %s remains (pid %d)", pidfile, r.PID)
	case NotRunning:
		return "not running"
	}
	return "status unknown"
}

// Status reports on the daemon named in pidfile, whose lock is on lockfile
// (empty: the pidfile). Only a process that runs and holds the lock counts as
// running: a PID recycled by another process does not.
func Status(pidfile, lockfile string) (Report, error) {
	if lockfile == "" {
		lockfile = pidfile
	}
	pid, err := fdio.ReadPID(pidfile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Report{State: NotRunning}, nil
	case err != nil && os.IsPermission(err):
		return Report{State: Unknown}, &ControlError{Err: fmt.Errorf("read pidfile: %w", err), Status: int(Unknown)}
	case err != nil:
		return Report{State: Dead}, nil // empty or garbage: names no live daemon
	}
	held, err := holdsLock(pid, lockfile)
	if err != nil {
		return Report{State: Unknown, PID: pid}, &ControlError{Err: err, Status: int(Unknown)}
	}
	if !held {
		return Report{State: Dead, PID: pid}, nil
	}
	return Report{State: Running, PID: pid}, nil
}

// StopStatus values are Stop's exit statuses besides 0.
const (
	StatusStopFailed = 1 // the daemon is still running
	StatusNoAccess   = 4 // not allowed to signal it (LSB: insufficient privilege)
)

// A ControlError says why Status or Stop failed, with the exit status for it.
type ControlError struct {
	Err    error
	Status int
}

func (e *ControlError) Error() string   { return e.Err.Error() }
func (e *ControlError) Unwrap() error   { return e.Err }
func (e *ControlError) ExitStatus() int { return e.Status }

// Stop sends sig to the daemon named in pidfile, through a pidfd after
// checking that the process holds the lock (so a recycled PID is never hit),
// waits up to timeout for it to exit, then kills it with SIGKILL, and removes
// the pidfile. It returns a Report of what it found: Running (it stopped the
// daemon), or Dead or NotRunning (nothing to stop; a stale pidfile is
// removed).
func Stop(pidfile, lockfile string, sig syscall.Signal, timeout time.Duration) (Report, error) {
	r, err := Status(pidfile, lockfile)
	if err != nil {
		return r, &ControlError{Err: err, Status: StatusStopFailed}
	}
	if r.State == Running {
		if err := stopProcess(r.PID, lockfile, pidfile, sig, timeout); err != nil {
			return r, err
		}
	}
	if r.State != NotRunning {
		removePidfile(pidfile, r.PID)
	}
	return r, nil
}

// removePidfile removes pidfile if it still names pid: a new daemon may have
// been started in the meantime.
func removePidfile(pidfile string, pid int) {
	if now, err := fdio.ReadPID(pidfile); err == nil && now != pid {
		return
	}
	os.Remove(pidfile) // best effort: a stale pidfile is recognised by its lock
}
