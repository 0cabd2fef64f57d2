package pidfile

import (
	"errors"
	"fmt"
	"os"
)

// A LockedError says that another process holds the lock, and who.
type LockedError struct {
	Path string
	// ReadLocked is true when the conflicting lock is a read lock: no
	// gdetach command takes one, so it is someone else's, blocking.
	ReadLocked bool
	// Holders are the processes that hold it, as far as /proc shows them;
	// Hidden is true when some could not be seen (another user's, or no
	// /proc): then Holders may be incomplete or empty.
	Holders []int
	Hidden  bool
}

func (e *LockedError) Error() string {
	if e.ReadLocked {
		return fmt.Sprintf("%s is read-locked by another process (no gdetach command takes a read lock): it cannot be locked", e.Path)
	}
	return fmt.Sprintf("%s is locked by %s", e.Path, describeHolders(e.Holders, e.Hidden))
}

// describeHolders says who holds a lock, for messages.
func describeHolders(pids []int, hidden bool) string {
	switch {
	case len(pids) == 0 && hidden:
		return "a process this user cannot see"
	case len(pids) == 0:
		return "a process that could not be found"
	}
	s := "pid"
	if len(pids) > 1 {
		s = "pids"
	}
	for i, pid := range pids {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(" %d", pid)
	}
	if hidden {
		s += " and processes this user cannot see"
	}
	return s
}

// Lock opens path as Create does and takes its lock without waiting: the
// open, lock, check-the-path dance of the policy. A lock held by another
// process is a *LockedError. On failure nothing this call created is left.
func Lock(path string, perm os.FileMode) (*File, error) {
	for {
		p, err := Create(path, perm)
		if err != nil {
			return nil, err
		}
		if err := p.tryLock(); err != nil {
			p.Close() // a file created here and locked by another meanwhile is that one's now
			var le *LockedError
			if errors.As(err, &le) {
				le.Holders, le.Hidden = p.holders()
			}
			return nil, err
		}
		p.locked = true
		same, err := p.NamesThis()
		if err != nil {
			p.Close()
			return nil, err
		}
		if same {
			return p, nil
		}
		p.Close() // removed or replaced while we locked it: start again
	}
}

// Holders lists the processes that hold the file's lock, as Lock's error
// does; hidden says that some could not be seen.
func (p *File) Holders() (pids []int, hidden bool) { return p.holders() }
