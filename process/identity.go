package process

import (
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// clockTick is the unit of /proc's times: USER_HZ, 100 on every Linux
// architecture.
const clockTick = 10 * time.Millisecond

// An Identity names one process, and none of those that had its PID before
// it or get it after: the PID with the process's start time. A PID alone
// may have been reused by the time it is looked at.
type Identity struct {
	PID int
	// Start is when the process started, in clock ticks since boot: field
	// 22 of /proc/PID/stat, as the kernel writes it. 0 means that it is not
	// known (darwin and freebsd have no /proc), and the PID alone then names
	// the process, which a reused PID fools.
	Start uint64
}

// Identify returns the identity of process pid (with Start 0 where start
// times cannot be read). A process that does not exist is an error that
// errors.Is(err, fs.ErrNotExist).
func Identify(pid int) (Identity, error) {
	st, err := ReadStat(pid)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		if !Exists(pid) {
			return Identity{}, fmt.Errorf("pid %d: %w", pid, fs.ErrNotExist)
		}
		return Identity{PID: pid}, nil
	case err != nil:
		return Identity{}, err
	}
	return Identity{PID: pid, Start: uint64(st.Start / clockTick)}, nil
}

// Alive reports whether the process id names still runs: a process has its
// PID, started at the same tick, and has not exited (a zombie has). A PID
// that another process has taken since is not alive. Where the process
// cannot be looked at (kill(2) finds a process with the PID but /proc does
// not show it: hidepid, or /proc is not mounted), the error says that it
// cannot be told. Without /proc (or without a start time in id) only the
// PID is checked, and a zombie counts as alive.
func (id Identity) Alive() (bool, error) {
	if id.PID <= 0 {
		return false, fmt.Errorf("pid %d names no process", id.PID)
	}
	st, err := ReadStat(id.PID)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return Exists(id.PID), nil
	case errors.Is(err, fs.ErrNotExist):
		if Exists(id.PID) {
			return false, fmt.Errorf("pid %d exists but /proc does not show it (hidepid, or /proc not mounted): whether it is the same process cannot be told", id.PID)
		}
		return false, nil
	case err != nil:
		return false, err
	case st.State == 'Z' || st.State == 'X':
		return false, nil
	case id.Start != 0 && uint64(st.Start/clockTick) != id.Start:
		return false, nil // its PID reused
	}
	return true, nil
}
