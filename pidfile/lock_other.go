//go:build !linux

package pidfile

import (
	"errors"
	"fmt"
	"os"

	"github.com/gdetach/gdetach/fdio"
	"golang.org/x/sys/unix"
)

// LockKind names the lock the policy takes, for messages and man pages:
// without OFD locks, flock(2), which any reader of the file can also take.
const LockKind = "flock(2)"

// NamesHolders is true where Holders can name the processes that hold a
// lock; without /proc it cannot.
const NamesHolders = false

// tryLock takes the exclusive flock without waiting.
func (p *File) tryLock() error {
	err := fdio.IgnoringEINTR(func() error { return unix.Flock(int(p.f.Fd()), unix.LOCK_EX|unix.LOCK_NB) })
	if errors.Is(err, unix.EWOULDBLOCK) {
		return &LockedError{Path: p.path}
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", p.path, os.NewSyscallError("flock", err))
	}
	return nil
}

// IsLocked reports whether some process holds a lock on the file, by taking
// a shared flock for an instant; flock has no read locks of others to tell.
func (p *File) IsLocked() (locked, readLocked bool, err error) {
	err = fdio.IgnoringEINTR(func() error { return unix.Flock(int(p.f.Fd()), unix.LOCK_SH|unix.LOCK_NB) })
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, false, nil
	}
	if err != nil {
		return false, false, os.NewSyscallError("flock", err)
	}
	return false, false, fdio.IgnoringEINTR(func() error { return unix.Flock(int(p.f.Fd()), unix.LOCK_UN) })
}

// holders cannot be found without /proc.
func (p *File) holders() (pids []int, hidden bool) { return nil, true }
