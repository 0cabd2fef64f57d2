package daemonize

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/account"
	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/fdio"
	"github.com/gdetach/gdetach/pidfile"
	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/session"
	"golang.org/x/sys/unix"
)

// stageEnv marks the session stage: set in its environment by Start, never
// in the daemon's, whose environment the request spells out.
const stageEnv = "GDETACH_DAEMONIZE_STAGE"

// The session stage's descriptors, as Start passes them.
const (
	fdReport = 3 // the report goes here; EOF without one is a failure
	fdStdin  = 4
	fdStdout = 5
	fdStderr = 6
	fdExtra  = 7 // the lock file, the pidfile if it is another file, the notify socket
)

// A stageRequest is what the session stage is to do, sent on its stdin.
type stageRequest struct {
	Path          string // the command, absolute
	Argv          []string
	Env           []string
	Dir           string // absolute
	Umask         int
	Cred          *account.Credential
	LockFD        int // descriptor of the locked file, or -1
	PidFD         int // descriptor of the pidfile (may be LockFD), or -1
	NotifyFD      int // descriptor of the notify socket, or -1
	NotifyPath    string
	NotifyTimeout time.Duration
}

// A stageReport is the session stage's answer: the daemon's PID, or why
// there is no daemon.
type stageReport struct {
	PID    int    `json:",omitempty"`
	Wrote  int    `json:",omitempty"` // the PID written to the pidfile, even on failure
	Err    string `json:",omitempty"`
	Status int    `json:",omitempty"` // exit status for Err
}

// Resume runs the session stage when this process is one (Start re-executes
// the program as the stage); handled is false otherwise, and the program
// goes on as usual. The stage reports to Start on its descriptor 3, so err
// is only for what could not be reported.
func Resume() (handled bool, err error) {
	if os.Getenv(stageEnv) == "" {
		return false, nil
	}
	report := os.NewFile(fdReport, "report")
	// Nothing this process inherited may reach the daemon unless passed on
	// explicitly (the lock, as the daemon's descriptor 3).
	if err := fdio.CloseOnExecFrom(fdReport); err != nil {
		return true, sendReport(report, stageReport{Err: err.Error(), Status: 125})
	}
	var req stageRequest
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return true, sendReport(report, stageReport{Err: fmt.Sprintf("read the request: %v", err), Status: 125})
	}
	return true, sendReport(report, runStage(&req))
}

func sendReport(report *os.File, r stageReport) error {
	defer report.Close()
	return json.NewEncoder(report).Encode(r)
}

// A stage is the session stage at work: the daemon it started, and what it
// kills if the start fails.
type stage struct {
	req     *stageRequest
	lock    *pidfile.File // nil without a lock
	cmd     *exec.Cmd     // the daemon, once started
	exited  chan struct{} // closed once the daemon has been waited for
	waitErr error
}

// runStage starts the daemon as this session leader's child, writes its
// pidfile and, if asked, waits for it to be ready. On failure, nothing of
// the daemon is left running. A SIGTERM, SIGINT or SIGHUP meanwhile is a
// failure too.
func runStage(req *stageRequest) stageReport {
	s := &stage{req: req, exited: make(chan struct{})}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if req.LockFD >= 0 {
		var err error
		if s.lock, err = pidfile.Adopt(os.NewFile(uintptr(req.LockFD), "lock")); err != nil {
			return stageReport{Err: fmt.Sprintf("lock file: %v", err), Status: 125}
		}
	}
	rep := s.run(sigs)
	if rep.Err != "" {
		s.killTree()
	}
	return rep
}

func (s *stage) run(sigs <-chan os.Signal) stageReport {
	req := s.req
	fail := func(status int, format string, args ...any) stageReport {
		return stageReport{Err: fmt.Sprintf(format, args...), Status: status}
	}
	if err := os.Chdir(req.Dir); err != nil {
		return fail(125, "change directory: %v", err)
	}
	unix.Umask(req.Umask)
	cmd := &exec.Cmd{
		Path:   req.Path,
		Args:   req.Argv,
		Env:    req.Env,
		Stdin:  os.NewFile(fdStdin, "stdin"),
		Stdout: os.NewFile(fdStdout, "stdout"),
		Stderr: os.NewFile(fdStderr, "stderr"),
	}
	if s.lock != nil {
		cmd.ExtraFiles = []*os.File{s.lock.OSFile()} // the daemon's fd 3
	}
	if c := req.Cred; c != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.Syscall()}
	}
	if req.NotifyFD >= 0 {
		cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+req.NotifyPath)
	}
	started, err := startClean(cmd)
	var ee *execvp.Error
	switch {
	case errors.As(err, &ee):
		ee.Name = req.Argv[0] // as the user named it, not the path looked up
		return fail(ee.ExitStatus(), "%v", ee)
	case err != nil:
		return fail(125, "start %s: %v", req.Argv[0], err)
	}
	s.cmd = started
	go func() {
		s.waitErr = started.Wait()
		close(s.exited)
	}()
	pid := started.Process.Pid
	rep := stageReport{PID: pid}
	var pidf *os.File
	if req.PidFD >= 0 {
		pidf = os.NewFile(uintptr(req.PidFD), "pidfile")
		if err := pidfile.Write(pidf, pid); err != nil {
			return fail(125, "write the pidfile: %v", err)
		}
		rep.Wrote = pid
	}
	if req.NotifyFD < 0 {
		return rep
	}
	ready := make(chan error, 1)
	var r readiness
	go func() {
		var err error
		r, err = awaitReady(os.NewFile(uintptr(req.NotifyFD), "notify"), pid, s.inTree, req.NotifyTimeout, s.exited, &s.waitErr)
		ready <- err
	}()
	select {
	case sig := <-sigs:
		rep.Err, rep.Status = fmt.Sprintf("%s (pid %d) was not ready when gdaemonize got %v", req.Argv[0], pid, sig), 125
		return rep
	case err := <-ready:
		if err != nil {
			rep.Err, rep.Status = fmt.Sprintf("%s (pid %d) %v%s", req.Argv[0], pid, err, s.forkedAway(pid)), 125
			return rep
		}
	}
	if r.mainPID != pid {
		rep.PID = r.mainPID
		if pidf != nil {
			if err := pidfile.Write(pidf, r.mainPID); err != nil {
				return stageReport{Wrote: pid, Err: fmt.Sprintf("write the pidfile: %v", err), Status: 125}
			}
			rep.Wrote = r.mainPID
		}
	}
	return rep
}

// inTree reports whether pid belongs to the daemon's tree: this session,
// or a holder of the lock (a process that left the session but kept the
// descriptor).
func (s *stage) inTree(pid int) bool {
	if s.cmd != nil && pid == s.cmd.Process.Pid {
		return true // the daemon itself, even once it has exited
	}
	if st, err := process.ReadStat(pid); err == nil && st.SID == os.Getpid() {
		return true
	}
	if s.lock != nil {
		holders, _ := s.lock.Holders()
		return slices.Contains(holders, pid)
	}
	return false
}

// forkedAway explains a daemon that exited before it was ready while
// processes it started hold the lock: it daemonized itself.
func (s *stage) forkedAway(pid int) string {
	if s.lock == nil {
		return ""
	}
	select {
	case <-s.exited:
	default:
		return ""
	}
	holders, _ := s.lock.Holders()
	holders = slices.DeleteFunc(holders, func(h int) bool { return h == os.Getpid() || h == os.Getppid() })
	if len(holders) == 0 {
		return ""
	}
	verb := "holds"
	if len(holders) > 1 {
		verb = "hold"
	}
	return fmt.Sprintf("; what it started (%s) still %s the lock: the command daemonized itself. Run it in the foreground (nginx: -g 'daemon off;'), or supervise it with grespawn --pidfile", process.Describe(holders, false), verb)
}

// killTree kills what a failed start leaves: every process of this session
// and every holder of the lock, but this stage and the gdaemonize that
// started it; and reaps the daemon.
func (s *stage) killTree() {
	killLeftovers(os.Getpid(), s.lock, os.Getpid(), os.Getppid())
	if s.cmd != nil {
		<-s.exited
	}
}

// startClean starts cmd with every signal at its default action and an empty
// signal mask, whatever this process was given.
func startClean(cmd *exec.Cmd) (*exec.Cmd, error) {
	// The caller's ignored signals would survive into the daemon.
	if err := session.ResetIgnoredSignals(); err != nil {
		return nil, err
	}
	// A child starts with the mask of the thread that forks it (see the
	// package doc): fork from a thread whose mask is empty.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := clearSignalMask(); err != nil {
		return nil, err
	}
	return execvp.Start(cmd, cmd.Path)
}
