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
	lf := pf
	if files.lockPath() != files.Pidfile {
		if lf, err = pidfile.Open(files.lockPath()); errors.Is(err, fs.ErrNotExist) {
			return Report{State: NotRunning, Why: "no lock file " + files.lockPath()}
		} else if err != nil {
			return Report{State: Unknown, Why: err.Error()}
		}
		defer lf.Close()
	}
	// The lock first: a start under way holds it before its pidfile holds a PID.
	locked, readLocked, err := lf.IsLocked()
	pid, pidErr := pf.ReadPID()
	r := Report{PID: pid}
	r.modTime, _ = pf.ModTime()
	switch {
	case err != nil:
		return Report{State: Unknown, PID: pid, Why: err.Error()}
	case readLocked:
		return Report{State: Unknown, PID: pid, Why: fmt.Sprintf("%s is read-locked by another process, which no gdaemonize does", lf.Path())}
	case locked && !pidfile.NamesHolders:
		// The lock is held, by whom cannot be told: the pidfile's word is all there is.
		r.State = Running
		if pid != 0 {
			r.Holders = []int{pid}
		}
		return r
	case locked:
		r.State = Running
		r.Holders, r.Hidden = lf.Holders()
		switch {
		case pidErr != nil:
			r.Why = "its pidfile names no process yet (a start under way?)"
		case !r.Hidden && !slices.Contains(r.Holders, pid):
			r.Why = fmt.Sprintf("the pidfile's pid %d has exited or let go of the lock; the command forked away from it (it daemonizes itself: run it in the foreground, or supervise it with grespawn --pidfile)", pid)
		}
		return r
	case errors.Is(pidErr, pidfile.ErrEmpty):
		// What a start leaves that died before it wrote the PID: nothing runs.
		return Report{State: NotRunning, Why: "its pidfile is empty"}
	case pidErr != nil:
		return Report{State: Unknown, Why: pidErr.Error()}
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
	case err != nil && !process.Exists(r.PID), errors.Is(err, fs.ErrNotExist) && procMounted():
		r.State = Dead // gone between the two looks (reading an exiting process's stat can fail otherwise: ESRCH)
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

// procMounted reports whether /proc shows processes here.
func procMounted() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
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
		if len(r.Holders) == 0 {
			continue // the lock was let go as it was looked at: look again
		}
		if slices.ContainsFunc(r.Holders, isGdaemonize) {
			// A start or another stop is under way: see what it leaves.
			waitTransient(r.Holders)
			continue
		}
		stopped, err := stopProcesses(r.PID, r.Holders, files.lockPath(), sig, timeout)
		if err != nil {
			return r, err
		}
		r.State = Running
		return r, removeAfterStop(files, append(stopped, r.PID))
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
// still runs at the deadline. It returns the processes it signalled.
func stopProcesses(main int, holders []int, lockPath string, sig syscall.Signal, timeout time.Duration) (stopped []int, err error) {
	deadline := time.Now().Add(timeout)
	first := mainProcesses(main, holders)
	hs, err := openAll(first)
	defer func() {
		for _, h := range hs {
			stopped = append(stopped, h.PID)
		}
		closeAll(hs)
	}()
	if err != nil {
		return nil, err
	}
	if err := signalEach(hs, sig); err != nil {
		return nil, err
	}
	if _, err := process.WaitAll(hs, time.Until(deadline)); err != nil {
		return nil, err
	}
	rest := slices.Compact(sortedCopy(append(sameLock(stillHolding(lockPath), holders), holders...)))
	rest = slices.DeleteFunc(rest, func(pid int) bool { return slices.Contains(first, pid) || isGdaemonize(pid) })
	more, err := openAll(rest)
	hs = append(hs, more...)
	if err != nil {
		return nil, err
	}
	if err := signalEach(more, sig); err != nil {
		return nil, err
	}
	left, err := process.WaitAll(hs, time.Until(deadline))
	if err != nil || len(left) == 0 {
		return nil, err
	}
	if err := signalEach(left, syscall.SIGKILL); err != nil {
		return nil, err
	}
	if left, err = process.WaitAll(left, stopGrace); err != nil || len(left) == 0 {
		return nil, err
	}
	var pids []int
	for _, h := range left {
		pids = append(pids, h.PID)
	}
	return nil, &ControlError{Err: fmt.Errorf("%s still run %v after SIGKILL", process.Describe(pids, false), stopGrace), Status: StatusStopFailed}
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

// sameLock is now, the processes that hold the lock now, if that is still
// the daemon's lock: the write lock is held by one open file description
// at a time, so while one of the daemon's holders still holds it, all of
// now do (children it started meanwhile too). If none of them does, the
// daemon has let the lock go and a new start may hold it: none of now is
// the daemon's.
func sameLock(now, holders []int) []int {
	for _, pid := range now {
		if slices.Contains(holders, pid) {
			return now
		}
	}
	return nil
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

// removeAfterStop removes the pidfile of a daemon just stopped, if it names
// one of the processes stopped (a start under way may have written it
// after the stop read it).
func removeAfterStop(files Files, stopped []int) error {
	if err := removeUnderLock(files, stopped...); err != nil {
		return &ControlError{Err: fmt.Errorf("stopped %s, but the pidfile could not be removed: %w", process.Describe(stopped, false), err), Status: StatusStopFailed}
	}
	return nil
}

// removeUnderLock takes the lock and removes the pidfile if it still holds
// pid. It creates nothing: a pidfile or lock file already gone is nothing to
// remove, and a pidfile that names another process now (or none: a start
// under way) is the new instance's. A lock held again (a new start) leaves
// the pidfile to it.
func removeUnderLock(files Files, pids ...int) error {
	lock, err := lockWaitingExisting(files.lockPath())
	var ar *AlreadyRunningError
	switch {
	case errors.As(err, &ar), errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	defer lock.Close()
	pf := lock
	if files.Pidfile != files.lockPath() {
		if pf, err = pidfile.Open(files.Pidfile); errors.Is(err, fs.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		defer pf.Close()
	}
	now, err := pf.ReadPID()
	if err != nil || !slices.Contains(pids, now) {
		return nil // not the stopped daemon's any more
	}
	return pf.Remove(now, lock)
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
