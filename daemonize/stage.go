package daemonize

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/fdio"
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
	fdExtra  = 7 // the lock file, then the pidfile if it is another file
)

// A stageRequest is what the session stage is to do, sent on its stdin.
type stageRequest struct {
	Path          string // the command, absolute
	Argv          []string
	Env           []string
	Dir           string // absolute
	Umask         int
	Cred          *credential
	LockFD        int // descriptor of the locked file, or -1
	PidFD         int // descriptor of the pidfile (may be LockFD), or -1
	NotifyTimeout time.Duration
}

// A stageReport is the session stage's answer: the daemon's PID, or why
// there is no daemon.
type stageReport struct {
	PID    int    `json:",omitempty"`
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

// runStage starts the daemon as this session leader's child.
func runStage(req *stageRequest) stageReport {
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
	if req.LockFD >= 0 {
		cmd.ExtraFiles = []*os.File{os.NewFile(uintptr(req.LockFD), "lock")} // the daemon's fd 3
	}
	if c := req.Cred; c != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: c.UID, Gid: c.GID, Groups: c.Groups}}
	}
	var notify *notifySocket
	if req.NotifyTimeout > 0 {
		var err error
		if notify, err = listenNotify(req.Cred); err != nil {
			return fail(125, "%v", err)
		}
		defer notify.close()
		cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+notify.path())
	}

	started, err := startClean(cmd)
	var ee *session.ExecError
	switch {
	case errors.As(err, &ee):
		return fail(ee.ExitStatus(), "failed to run command '%s': %v", req.Argv[0], ee.Err)
	case err != nil:
		return fail(125, "start %s: %v", req.Argv[0], err)
	}
	pid := started.Process.Pid
	kill := func() {
		_ = started.Process.Kill() // it is our child, not yet reaped: this cannot miss
		_ = started.Wait()
	}
	if req.PidFD >= 0 {
		if err := writePID(os.NewFile(uintptr(req.PidFD), "pidfile"), pid); err != nil {
			kill()
			return fail(125, "write pidfile: %v", err)
		}
	}
	if notify != nil {
		exited := make(chan struct{})
		var waitErr error
		go func() {
			waitErr = started.Wait()
			close(exited)
		}()
		if err := notify.await(req.NotifyTimeout, exited, &waitErr); err != nil {
			_ = started.Process.Kill() // as above; a no-op if it has exited
			<-exited
			return fail(125, "%s (pid %d) %v", req.Argv[0], pid, err)
		}
	}
	return stageReport{PID: pid}
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
	return session.Start(cmd)
}
