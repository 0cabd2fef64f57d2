package daemonize

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/gdetach/gdetach/fdio"
	"golang.org/x/sys/unix"
)

// StatusAlreadyRunning is Start's exit status when the lock is held: another
// instance runs (start-stop-daemon uses 1 for "nothing was done" too).
const StatusAlreadyRunning = 1

// An AlreadyRunningError reports that another instance holds the lock.
type AlreadyRunningError struct {
	PID int // read from the pidfile; 0 when it names none
}

func (e *AlreadyRunningError) Error() string {
	if e.PID == 0 {
		return "already running (pid unknown)"
	}
	return fmt.Sprintf("already running (pid %d)", e.PID)
}

// ExitStatus is StatusAlreadyRunning.
func (e *AlreadyRunningError) ExitStatus() int { return StatusAlreadyRunning }

// pidfileMode is the mode of a pidfile or lock file gdaemonize creates.
const pidfileMode = 0o644

// A lock is the single-instance lock and the pidfile, held by Start until
// the daemon inherits the lock.
type lock struct {
	pidPath, lockPath string
	pid, locked       *os.File // either may be nil; they may be the same file
	created           []string // paths Start created, removed if it fails
}

// acquire opens (creating) the lock file and takes its lock, and opens the
// pidfile. Neither is followed through a symbolic link.
func acquire(pidPath, lockPath string) (l *lock, err error) {
	l = &lock{pidPath: pidPath, lockPath: lockPath}
	defer func() {
		if err != nil {
			l.release(false)
		}
	}()
	if lockPath != "" {
		if l.locked, err = l.open(lockPath); err != nil {
			return l, fmt.Errorf("open lock file: %w", noFollowReason(err))
		}
		if err := flock(l.locked, unix.LOCK_EX|unix.LOCK_NB); err != nil {
			if errors.Is(err, unix.EWOULDBLOCK) {
				pid, _ := fdio.ReadPID(pidPath)
				return l, &AlreadyRunningError{PID: pid}
			}
			return l, fmt.Errorf("lock %s: %w", lockPath, err)
		}
	}
	switch {
	case pidPath == "":
	case pidPath == lockPath:
		l.pid = l.locked
	default:
		if l.pid, err = l.open(pidPath); err != nil {
			return l, fmt.Errorf("open pidfile: %w", noFollowReason(err))
		}
	}
	return l, nil
}

func (l *lock) open(path string) (*os.File, error) {
	f, created, err := fdio.OpenCreate(path, os.O_RDWR, pidfileMode)
	if created {
		l.created = append(l.created, path)
	}
	return f, err
}

// stalePID is the PID a replaced pidfile held, or 0.
func (l *lock) stalePID() int {
	if l.pid == nil {
		return 0
	}
	pid, _ := fdio.ReadPID(l.pidPath)
	return pid
}

// release closes the files. If the daemon failed to start, it first removes
// the pidfile (which no running process may be named in) and the files
// acquire created.
func (l *lock) release(failed bool) {
	if failed {
		if l.pid != nil {
			os.Remove(l.pidPath) // best effort: a stale pidfile is recognised by its lock
		}
		for _, p := range l.created {
			os.Remove(p) // best effort, as above
		}
	}
	if l.pid != nil && l.pid != l.locked {
		l.pid.Close()
	}
	if l.locked != nil {
		l.locked.Close()
	}
}

// writePID replaces the content of the pidfile f with pid and a newline, in
// one write after an empty file: a reader sees no PID or all of it, never a
// part.
func writePID(f *os.File, pid int) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	return err
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return os.NewSyscallError("flock", err)
		}
	}
}

// noFollowReason rewords O_NOFOLLOW's ELOOP, which would read as a loop.
func noFollowReason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && fdio.IsSymlinkRefused(err) {
		return fmt.Errorf("%s is a symbolic link, which gdaemonize does not follow", pe.Path)
	}
	return err
}
