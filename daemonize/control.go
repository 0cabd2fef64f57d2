package daemonize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/pidfile"
	"github.com/gdetach/gdetach/process"
)

// Files names a daemon's pidfile and lock file, as Start was given them.
type Files struct {
	// Pidfile holds the daemon's PID once Start returns.
	Pidfile string
	// Lockfile, if set, is the file locked for the daemon's life; empty
	// means the pidfile. With neither, there is no single-instance check
	// and nothing to control the daemon by.
	Lockfile string
}

// lockPath is the file that is locked: Lockfile, else Pidfile, else none.
func (f Files) lockPath() string {
	if f.Lockfile != "" {
		return f.Lockfile
	}
	return f.Pidfile
}

// A State is what a daemon's files say about it, numbered as the LSB
// init-script "status" action's exit codes.
type State int

const (
	Running    State = 0 // processes hold the lock
	Dead       State = 1 // the pidfile remains, but nothing holds the lock and its process has gone
	NotRunning State = 3 // there is no pidfile (or no lock file)
	Unknown    State = 4 // it cannot be told: say why
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

// A Report is what Status found.
type Report struct {
	State State
	PID   int // the pidfile's PID; 0 when it names none

	// Holders are the processes that hold the lock: the daemon and what it
	// started, as far as /proc shows them (Hidden: some could not be seen).
	Holders []int
	Hidden  bool

	// Why explains Unknown, and what else is true of a running daemon (its
	// first process has gone and another holds the lock).
	Why string

	// unlocked is true for Unknown when the pidfile's process runs, started
	// before the pidfile was last written, but does not hold the lock.
	unlocked bool
	modTime  time.Time // the pidfile's
}

// Who names the daemon's processes: "pid 12", "pids 12, 13".
func (r Report) Who() string { return process.Describe(r.Holders, r.Hidden) }

// Line is the one line gdaemonize --status prints for r.
func (r Report) Line(files Files) string {
	switch r.State {
	case Running:
		line := "running (" + r.Who() + ")"
		if r.Why != "" {
			line += ": " + r.Why
		}
		return line
	case Dead:
		return fmt.Sprintf("dead, but pidfile %s remains (pid %d)", files.Pidfile, r.PID)
	case NotRunning:
		return "not running"
	}
	return "status unknown: " + r.Why
}

// Status reports on the daemon of files. The lock is the truth: a daemon
// runs while processes hold it, whatever PID the pidfile names, and a PID
// alone, which may have been reused, never makes a daemon run. Nothing is
// changed.
func Status(files Files) Report {
	pf, err := pidfile.Open(files.Pidfile)
	if errors.Is(err, fs.ErrNotExist) {
		return statusWithoutPidfile(files)
	}
	if err != nil {
		return Report{State: Unknown, Why: err.Error()}
	}
	defer pf.Close()
	pid, err := pf.ReadPID()
	if err != nil {
		return Report{State: Unknown, Why: err.Error()}
	}
	r := Report{PID: pid}
	r.modTime, _ = pf.ModTime()
	lf := pf
	if files.lockPath() != files.Pidfile {
		if lf, err = pidfile.Open(files.lockPath()); errors.Is(err, fs.ErrNotExist) {
			return Report{State: NotRunning, PID: pid, Why: "no lock file " + files.lockPath()}
		} else if err != nil {
			return Report{State: Unknown, PID: pid, Why: err.Error()}
		}
		defer lf.Close()
	}
	locked, readLocked, err := lf.IsLocked()
	switch {
	case err != nil:
		return Report{State: Unknown, PID: pid, Why: err.Error()}
	case readLocked:
		return Report{State: Unknown, PID: pid, Why: fmt.Sprintf("%s is read-locked by another process, which no gdaemonize does", lf.Path())}
	case locked && !pidfile.NamesHolders:
		// The lock is held, by whom cannot be told: the pidfile's word is all there is.
		r.State, r.Holders = Running, []int{pid}
		return r
	case locked:
		r.State = Running
		r.Holders, r.Hidden = lf.Holders()
		if !r.Hidden && !slices.Contains(r.Holders, pid) {
			r.Why = fmt.Sprintf("the pidfile's pid %d has exited or let go of the lock; the command forked away from it (it daemonizes itself: run it in the foreground, or supervise it with grespawn --pidfile)", pid)
		}
		return r
	}
	return unlockedPID(r, lf.Path())
}

// statusWithoutPidfile: no pidfile is not running, unless a lock file of
// its own is still held.
func statusWithoutPidfile(files Files) Report {
	if files.lockPath() == files.Pidfile {
		return Report{State: NotRunning}
	}
	lf, err := pidfile.Open(files.lockPath())
	if err != nil {
		return Report{State: NotRunning}
	}
	defer lf.Close()
	if locked, _, _ := lf.IsLocked(); !locked {
		return Report{State: NotRunning}
	}
	holders, hidden := lf.Holders()
	return Report{State: Running, Holders: holders, Hidden: hidden, Why: "its pidfile " + files.Pidfile + " is missing"}
}

// unlockedPID judges a pidfile whose lock nobody holds by its PID: gone, or
// reused by a process started after the pidfile was written, it is dead; a
// process that may be the daemon but does not hold the lock cannot be told.
func unlockedPID(r Report, lockPath string) Report {
	if !process.Exists(r.PID) {
		r.State = Dead
		return r
	}
	st, err := process.ReadStat(r.PID)
	early, _ := process.StartedBy(r.PID, r.modTime)
	switch {
	case err != nil:
		r.State, r.Why = Unknown, fmt.Sprintf("pid %d exists, and without /proc it cannot be told whether it is the daemon", r.PID)
	case st.State == 'Z' || st.State == 'X':
		r.State, r.Why = Dead, fmt.Sprintf("pid %d has exited (a zombie its parent has not reaped)", r.PID)
	case !early:
		r.State, r.Why = Dead, fmt.Sprintf("pid %d is another process now, started after the pidfile was written", r.PID)
	default:
		r.State, r.unlocked = Unknown, true
		r.Why = fmt.Sprintf("pid %d runs but does not hold the lock on %s (it closed the descriptor, or its lock file is another: -l)", r.PID, lockPath)
	}
	return r
}

// Exit statuses of Stop and Signal besides 0 and the Report's.
const (
	StatusStopFailed = 1 // the daemon is still running
	StatusNoAccess   = 4 // not allowed to signal it (LSB: insufficient privilege)
	StatusNotRunning = 7 // LSB: program is not running (for a reload)
)

// A ControlError says why Status, Stop or Signal failed, with the exit
// status for it.
type ControlError struct {
	Err    error
	Status int
}

func (e *ControlError) Error() string   { return e.Err.Error() }
func (e *ControlError) Unwrap() error   { return e.Err }
func (e *ControlError) ExitStatus() int { return e.Status }

// stopGrace is how long Stop waits, after SIGKILL, for the kernel to end
// the processes: a process in uninterruptible sleep dies only when it wakes.
const stopGrace = 5 * time.Second

// Stop stops the daemon of files: sig to its main process (the pidfile's
// PID if it holds the lock, else the holders no other holder started), then
// sig to every other process that still holds the lock, SIGKILL to what is
// left once timeout has passed, all through pidfds; then it removes the
// pidfile, under the lock. It returns the Report it acted on: Running (it
// stopped it), Dead (it removed a stale pidfile) or NotRunning. A file that
// is not a pidfile is never removed.
func Stop(files Files, sig syscall.Signal, timeout time.Duration) (Report, error) {
	for {
		r := Status(files)
		switch r.State {
		case NotRunning:
			return r, nil
		case Dead:
			return r, removeStale(files, r.PID)
		case Unknown:
			if !r.unlocked {
				return r, &ControlError{Err: errors.New(r.Why), Status: int(Unknown)}
			}
			if err := mayStopUnlocked(files, r.PID); err != nil {
				return r, &ControlError{Err: fmt.Errorf("%s; %w", r.Why, err), Status: StatusStopFailed}
			}
			r.Holders = []int{r.PID}
		}
		if r.Hidden {
			return r, &ControlError{Err: fmt.Errorf("the daemon's processes include some of another user: %w", os.ErrPermission), Status: StatusNoAccess}
		}
		if slices.ContainsFunc(r.Holders, isGdaemonize) {
			// A start or another stop is under way: see what it leaves.
			waitTransient(slices.DeleteFunc(slices.Clone(r.Holders), func(pid int) bool { return !isGdaemonize(pid) }))
			continue
		}
		if err := stopProcesses(r.PID, r.Holders, files.lockPath(), sig, timeout); err != nil {
			return r, err
		}
		r.State = Running
		return r, removeAfterStop(files, r.PID)
	}
}

// mayStopUnlocked decides whether Stop may signal a pidfile's process that
// does not hold the lock: only if whoever could write the pidfile could
// signal that process anyway (the pidfile is root's, or the process runs as
// the pidfile's owner). A daemon user who writes root's sshd into its
// pidfile does not get root's --stop to kill it.
func mayStopUnlocked(files Files, pid int) error {
	pf, err := pidfile.Open(files.Pidfile)
	if err != nil {
		return err
	}
	defer pf.Close()
	owner, err := pf.Owner()
	if err != nil {
		return err
	}
	runsAs, err := process.Owner(pid)
	if err != nil {
		return err
	}
	if owner != 0 && owner != runsAs {
		return fmt.Errorf("not stopped: the pidfile is user %d's, and pid %d runs as user %d", owner, pid, runsAs)
	}
	return nil
}

// stopProcesses sends sig to the main process, then to the other holders
// (looked up again: the daemon may have started more), and SIGKILL to what
// still runs at the deadline.
func stopProcesses(main int, holders []int, lockPath string, sig syscall.Signal, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	first := mainProcesses(main, holders)
	hs, err := openAll(first)
	defer func() { closeAll(hs) }()
	if err != nil {
		return err
	}
	if err := signalEach(hs, sig); err != nil {
		return err
	}
	if _, err := process.WaitAll(hs, time.Until(deadline)); err != nil {
		return err
	}
	rest := slices.Compact(sortedCopy(append(stillHolding(lockPath), holders...)))
	rest = slices.DeleteFunc(rest, func(pid int) bool { return slices.Contains(first, pid) })
	more, err := openAll(rest)
	hs = append(hs, more...)
	if err != nil {
		return err
	}
	if err := signalEach(more, sig); err != nil {
		return err
	}
	left, err := process.WaitAll(hs, time.Until(deadline))
	if err != nil || len(left) == 0 {
		return err
	}
	if err := signalEach(left, syscall.SIGKILL); err != nil {
		return err
	}
	if left, err = process.WaitAll(left, stopGrace); err != nil || len(left) == 0 {
		return err
	}
	var pids []int
	for _, h := range left {
		pids = append(pids, h.PID)
	}
	return &ControlError{Err: fmt.Errorf("%s still run %v after SIGKILL", process.Describe(pids, false), stopGrace), Status: StatusStopFailed}
}

// mainProcesses is what a stop or a reload signals first: the pidfile's
// PID if it holds the lock, else the holders whose parent holds none.
func mainProcesses(pid int, holders []int) []int {
	if slices.Contains(holders, pid) || len(holders) == 0 {
		return []int{pid}
	}
	var top []int
	for _, h := range holders {
		st, err := process.ReadStat(h)
		if err != nil || !slices.Contains(holders, st.PPID) {
			top = append(top, h)
		}
	}
	return top
}

// stillHolding lists the processes that hold the lock on path now.
func stillHolding(path string) []int {
	lf, err := pidfile.Open(path)
	if err != nil {
		return nil
	}
	defer lf.Close()
	pids, _ := lf.Holders()
	return pids
}

// openAll opens a pidfd on each process that still runs.
func openAll(pids []int) ([]*process.Handle, error) {
	var hs []*process.Handle
	for _, pid := range pids {
		h, err := process.Open(pid)
		if errors.Is(err, process.ErrGone) {
			continue
		}
		if err != nil {
			return hs, &ControlError{Err: err, Status: StatusStopFailed}
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// signalEach sends sig to each process; one that has gone meanwhile is
// skipped, and a refusal is a ControlError with StatusNoAccess.
func signalEach(hs []*process.Handle, sig syscall.Signal) error {
	for _, h := range hs {
		err := h.Signal(sig)
		switch {
		case err == nil, errors.Is(err, process.ErrGone):
		case errors.Is(err, os.ErrPermission):
			return &ControlError{Err: fmt.Errorf("signal pid %d: %w", h.PID, err), Status: StatusNoAccess}
		default:
			return &ControlError{Err: fmt.Errorf("signal pid %d: %w", h.PID, err), Status: StatusStopFailed}
		}
	}
	return nil
}

func closeAll[T interface{ Close() error }](xs []T) {
	for _, x := range xs {
		x.Close()
	}
}

func sortedCopy(pids []int) []int {
	s := slices.Clone(pids)
	slices.Sort(s)
	return s
}

// removeStale removes a dead daemon's pidfile, under the lock.
func removeStale(files Files, pid int) error {
	if err := removeUnderLock(files, pid); err != nil {
		return &ControlError{Err: fmt.Errorf("the daemon is not running, but its pidfile could not be removed: %w", err), Status: StatusStopFailed}
	}
	return nil
}

// removeAfterStop removes the pidfile of a daemon just stopped.
func removeAfterStop(files Files, pid int) error {
	if err := removeUnderLock(files, pid); err != nil {
		return &ControlError{Err: fmt.Errorf("stopped pid %d, but its pidfile could not be removed: %w", pid, err), Status: StatusStopFailed}
	}
	return nil
}

// removeUnderLock takes the lock and removes the pidfile if it still holds
// pid. A lock held again (a new start) leaves the pidfile to it.
func removeUnderLock(files Files, pid int) error {
	g, err := acquire(files.Pidfile, files.lockPath())
	var ar *AlreadyRunningError
	if errors.As(err, &ar) {
		return nil // a new instance has it now
	}
	if err != nil {
		return err
	}
	defer g.close()
	if g.lock.Created() && g.lock != g.pid {
		defer g.lock.Remove(0, g.lock) // made just now by the lock dance: leave nothing
	}
	return g.pid.Remove(pid, g.lock)
}

// Signal sends sig to the running daemon of files (its main process, as
// Stop signals first), for a reload: gdaemonize --signal without --stop.
func Signal(files Files, sig syscall.Signal) (Report, error) {
	r := Status(files)
	switch r.State {
	case NotRunning, Dead:
		return r, &ControlError{Err: errors.New("not running"), Status: StatusNotRunning}
	case Unknown:
		return r, &ControlError{Err: errors.New(r.Why), Status: int(Unknown)}
	}
	if r.Hidden && len(r.Holders) == 0 {
		return r, &ControlError{Err: fmt.Errorf("the daemon's processes are another user's: %w", os.ErrPermission), Status: StatusNoAccess}
	}
	hs, err := openAll(mainProcesses(r.PID, r.Holders))
	defer closeAll(hs)
	if err == nil {
		err = signalEach(hs, sig)
	}
	return r, err
}
