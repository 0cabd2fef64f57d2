package daemonize

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/gdetach/gdetach/pidfile"
	"github.com/gdetach/gdetach/process"
)

// StatusAlreadyRunning is Start's exit status when the lock is held: another
// instance runs (start-stop-daemon uses 1 for "nothing was done" too).
const StatusAlreadyRunning = 1

// An AlreadyRunningError reports that another instance holds the lock: the
// processes that hold it run, whatever the pidfile says.
type AlreadyRunningError struct {
	Holders []int // the processes that hold the lock, as far as they can be seen
	Hidden  bool  // some holders could not be seen (another user's)
}

func (e *AlreadyRunningError) Error() string {
	return "already running (" + process.Describe(e.Holders, e.Hidden) + ")"
}

// ExitStatus is StatusAlreadyRunning.
func (e *AlreadyRunningError) ExitStatus() int { return StatusAlreadyRunning }

// Modes of the files Start creates: a pidfile is for all to read; a lock
// file of its own only for its owner, so that no other user can even open
// it, let alone read-lock it.
const (
	pidfileMode  = 0o644
	lockfileMode = 0o600
)

// A guard is the single-instance lock and the pidfile, held by Start until
// the daemon has inherited the lock, or by Stop to remove a pidfile.
type guard struct {
	lock *pidfile.File // nil without a lock file
	pid  *pidfile.File // nil without a pidfile; may be lock
}

// acquire takes the lock on lockPath (if any) and opens pidPath (if any),
// creating them. A lock held by another gdaemonize that is starting or
// stopping the daemon is waited for: what it leaves decides. A lock held by
// anything else is an *AlreadyRunningError.
func acquire(pidPath, lockPath string) (g *guard, err error) {
	g = &guard{}
	defer func() {
		if err != nil {
			g.abandon(0)
		}
	}()
	if lockPath != "" {
		mode := os.FileMode(lockfileMode)
		if lockPath == pidPath {
			mode = pidfileMode
		}
		if g.lock, err = lockWaiting(lockPath, mode); err != nil {
			var ar *AlreadyRunningError
			if errors.As(err, &ar) {
				return g, err
			}
			return g, fmt.Errorf("%s: %w", map[bool]string{true: "pidfile", false: "lock file"}[lockPath == pidPath], err)
		}
	}
	switch {
	case pidPath == "":
	case pidPath == lockPath:
		g.pid = g.lock
	default:
		if g.pid, err = pidfile.Create(pidPath, pidfileMode); err != nil {
			return g, fmt.Errorf("pidfile: %w", err)
		}
	}
	if g.lock != nil && g.pid != nil && g.pid != g.lock && g.lock.Same(g.pid.OSFile()) {
		return g, fmt.Errorf("the lock file and the pidfile are the same file, %s and %s: name it once", lockPath, pidPath)
	}
	return g, nil
}

// lockWaiting locks path, waiting while the lock is held only by other
// gdaemonize processes (a start or stop under way): they hold it for a
// bounded while, and then either a daemon holds it or nobody does.
func lockWaiting(path string, mode os.FileMode) (*pidfile.File, error) {
	return waitForLock(func() (*pidfile.File, error) { return pidfile.Lock(path, mode) })
}

// lockWaitingExisting is lockWaiting for a file that exists: it creates
// nothing.
func lockWaitingExisting(path string) (*pidfile.File, error) {
	return waitForLock(func() (*pidfile.File, error) { return pidfile.LockExisting(path) })
}

func waitForLock(lock func() (*pidfile.File, error)) (*pidfile.File, error) {
	for {
		f, err := lock()
		var le *pidfile.LockedError
		if !errors.As(err, &le) {
			return f, err
		}
		if le.ReadLocked {
			return nil, fmt.Errorf("%w: give gdaemonize a lock file that only the service's user can read (-l)", err)
		}
		if len(le.Holders) == 0 && !le.Hidden {
			continue // let go between the attempt and the look: try again
		}
		if le.Hidden || !slices.ContainsFunc(le.Holders, isGdaemonize) || slices.ContainsFunc(le.Holders, notGdaemonize) {
			// Something other than a gdaemonize holds it: the daemon runs.
			return nil, &AlreadyRunningError{Holders: slices.DeleteFunc(le.Holders, isGdaemonize), Hidden: le.Hidden}
		}
		waitTransient(le.Holders)
	}
}

// transientPoll is how often waitTransient looks whether a gdaemonize
// holder has become the daemon: a pidfd tells an exit at once, but an exec
// (a session stage's child becoming the daemon) it does not tell at all.
const transientPoll = 20 * time.Millisecond

// waitTransient waits until none of holders is a gdaemonize any more: each
// has exited, or exec'd (the session stage's child, between its fork and
// its exec, is one, and then is the daemon).
func waitTransient(holders []int) {
	for _, pid := range holders {
		h, err := process.Open(pid)
		if err != nil {
			continue // gone
		}
		for isGdaemonize(pid) {
			if gone, err := h.Wait(transientPoll); gone || err != nil {
				break
			}
		}
		h.Close()
	}
}

// close closes the files, leaving them as they are.
func (g *guard) close() {
	if g.pid != nil && g.pid != g.lock {
		g.pid.Close()
	}
	if g.lock != nil {
		g.lock.Close()
	}
}

// abandon undoes a failed start and closes the files: it removes the
// pidfile if this start created it or wrote wrote (a PID; 0: nothing) into
// it, and a lock file this start created, as the policy allows (under the
// lock, the inode locked, holding what was written).
func (g *guard) abandon(wrote int) {
	if g.pid != nil && g.lock != nil && (g.pid.Created() || wrote > 0) {
		_ = g.pid.Remove(wrote, g.lock) // a leftover is recognised as stale by its lock
	}
	if g.lock != nil && g.lock != g.pid && g.lock.Created() {
		_ = g.lock.Remove(0, g.lock) // as above
	}
	g.close()
}

// isGdaemonize reports whether pid is another gdaemonize (this program):
// a start or a stop under way, not a daemon.
func isGdaemonize(pid int) bool { return pid != os.Getpid() && process.SameProgram(pid) }

func notGdaemonize(pid int) bool { return !isGdaemonize(pid) }
