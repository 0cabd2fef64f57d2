//go:build darwin || freebsd

package daemonize

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// holdsLock reports whether the lock on path is held and pid runs. Without
// /proc it cannot tell who holds the lock: it tries to take it, and asks the
// kernel whether pid exists.
func holdsLock(pid int, path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err == nil {
		return false, nil // nobody holds it; closing f lets it go again
	} else if !errors.Is(err, unix.EWOULDBLOCK) {
		return false, err
	}
	err = unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM), nil
}

// stopProcess is not available without pidfds: signalling by PID could hit a
// recycled PID, which --stop promises never to do.
func stopProcess(pid int, lockfile, pidfile string, sig syscall.Signal, timeout time.Duration) error {
	return &ControlError{Err: fmt.Errorf("--stop needs pidfds, which only Linux has: %w", errors.ErrUnsupported), Status: StatusStopFailed}
}
