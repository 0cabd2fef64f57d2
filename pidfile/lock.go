package pidfile

import (
	"errors"
	"fmt"
	"os"

	"github.com/gdetach/gdetach/process"
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
	return fmt.Sprintf("%s is locked by %s", e.Path, process.Describe(e.Holders, e.Hidden))
}

// Lock opens path as Create does and takes its lock without waiting: the
// open, lock, check-the-path dance of the policy. A lock held by another
// process is a *LockedError. On failure nothing this call created is left.
func Lock(path string, perm os.FileMode) (*File, error) {
	return lock(func() (*File, error) { return Create(path, perm) })
}

// LockExisting is Lock for a file that must exist already: it creates
// nothing, and a missing file is an error that errors.Is(err,
// fs.ErrNotExist) (removed meanwhile, say).
func LockExisting(path string) (*File, error) {
	return lock(func() (*File, error) { return openWritable(path) })
}

func lock(open func() (*File, error)) (*File, error) {
	for {
		p, err := open()
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
