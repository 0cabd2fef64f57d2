package daemonize

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/gdetach/gdetach/fdio"
	"github.com/gdetach/gdetach/session"
)

// An Error is a failure of Start, with the exit status it calls for.
type Error struct {
	Msg    string
	Status int // 125 for gdaemonize's own failures, 126 or 127 for the command's
}

func (e *Error) Error() string { return e.Msg }

// ExitStatus is the status gdaemonize exits with.
func (e *Error) ExitStatus() int { return e.Status }

// Start makes cfg.Argv a daemon and returns once it runs: its exec has
// succeeded, the pidfile (if any) holds its PID and, with NotifyAwait, it has
// said READY=1. On any failure it returns an error, and leaves no daemon, no
// pidfile and no lock file it created behind. The error's ExitStatus is 127
// when the command does not exist, 126 when it cannot be run,
// StatusAlreadyRunning when the lock is held, and 125 otherwise.
func Start(cfg Config) (err error) {
	if err := cfg.validate(); err != nil {
		return err
	}
	path, err := session.LookPath(cfg.Argv[0])
	if err != nil {
		return fmt.Errorf("failed to run command '%s': %w", cfg.Argv[0], err)
	}
	if path, err = filepath.Abs(path); err != nil {
		return err
	}
	req := &stageRequest{Path: path, Argv: cfg.Argv, Umask: cfg.Umask, LockFD: -1, PidFD: -1}
	if cfg.User != "" {
		if req.Cred, err = lookupUser(cfg.User); err != nil {
			return err
		}
	}
	if req.Dir, err = workDir(cfg.Dir); err != nil {
		return err
	}
	req.Env = environment(os.Environ(), cfg.Env, req.Cred)
	if cfg.NotifyAwait {
		req.NotifyTimeout = cfg.NotifyTimeout
		if req.NotifyTimeout == 0 {
			req.NotifyTimeout = DefaultNotifyTimeout
		}
	}

	lk, err := acquire(cfg.Pidfile, cfg.lockPath())
	if err != nil {
		return err
	}
	defer func() { lk.release(err != nil) }()
	if stale := lk.stalePID(); stale != 0 {
		cfg.logf("replacing stale pidfile %s (pid %d, not running)", cfg.Pidfile, stale)
	}
	if req.Cred != nil && lk.pid != nil {
		// As daemonize(1) does: the daemon may rewrite or remove its pidfile.
		if err := lk.pid.Chown(int(req.Cred.UID), int(req.Cred.GID)); err != nil {
			return fmt.Errorf("hand the pidfile to %s: %w", cfg.User, err)
		}
	}
	std, err := openStdio(&cfg, req.Cred)
	if err != nil {
		return err
	}
	defer closeAll(std[:])

	extra := []*os.File{std[0], std[1], std[2]}
	if lk.locked != nil {
		req.LockFD = fdExtra
		extra = append(extra, lk.locked)
	}
	switch {
	case lk.pid == nil:
	case lk.pid == lk.locked:
		req.PidFD = req.LockFD
	default:
		req.PidFD = fdStdin + len(extra)
		extra = append(extra, lk.pid)
	}
	pid, err := runSessionStage(req, extra)
	if err != nil {
		return err
	}
	cfg.logf("started %s (pid %d)", cfg.Argv[0], pid)
	return nil
}

// runSessionStage re-executes this program as the session stage, in a new
// session, hands it req and the files it passes on (from descriptor 4), and
// returns the daemon's PID from its report.
func runSessionStage(req *stageRequest, files []*os.File) (int, error) {
	self := "/proc/self/exe" // the running program, even if its file has been replaced
	if runtime.GOOS != "linux" {
		var err error
		if self, err = os.Executable(); err != nil {
			return 0, fmt.Errorf("find the gdaemonize executable: %w", err)
		}
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer reqR.Close()
	defer reqW.Close()
	repR, repW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer repR.Close()
	defer repW.Close()
	stage := &exec.Cmd{
		Path:        self,
		Args:        []string{"gdaemonize"},
		Env:         append(os.Environ(), stageEnv+"=session"),
		Stdin:       reqR,
		Stderr:      os.Stderr, // a crash of the stage is not kept from the caller
		ExtraFiles:  append([]*os.File{repW}, files...),
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := stage.Start(); err != nil {
		return 0, fmt.Errorf("start the session stage: %w", err)
	}
	reqR.Close()
	repW.Close() // from now on, EOF on repR means the stage is gone
	sendErr := json.NewEncoder(reqW).Encode(req)
	reqW.Close()
	var rep stageReport
	recvErr := json.NewDecoder(repR).Decode(&rep)
	waitErr := stage.Wait()
	switch {
	case recvErr == nil && rep.Err != "":
		return 0, &Error{Msg: rep.Err, Status: rep.Status}
	case recvErr == nil && rep.PID > 0:
		return rep.PID, nil
	}
	return 0, fmt.Errorf("the session stage failed (%v): %w", waitErr, errors.Join(sendErr, recvErr))
}

// workDir is the daemon's working directory as an absolute path ("/" by
// default), checked now so the caller hears about a bad one.
func workDir(dir string) (string, error) {
	if dir == "" {
		return "/", nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err == nil && !st.IsDir() {
		err = &os.PathError{Op: "chdir", Path: abs, Err: syscall.ENOTDIR}
	}
	if err != nil {
		return "", fmt.Errorf("change directory: %w", err)
	}
	return abs, nil
}

// environment is the daemon's environment: the caller's, with the -E
// settings, the user's HOME, USER and LOGNAME under -u, and the defaults
// daemonize(1) gives PATH and IFS when they are unset.
func environment(base, settings []string, cred *credential) []string {
	env := map[string]string{}
	var order []string
	set := func(kv string) {
		name, value, _ := strings.Cut(kv, "=")
		if _, seen := env[name]; !seen {
			order = append(order, name)
		}
		env[name] = value
	}
	for _, kv := range base {
		set(kv)
	}
	if cred != nil {
		for _, kv := range cred.Env {
			set(kv)
		}
	}
	for _, kv := range settings {
		set(kv)
	}
	for name, value := range map[string]string{"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "IFS": " \t\n"} {
		if _, ok := env[name]; !ok {
			set(name + "=" + value)
		}
	}
	out := make([]string, 0, len(order))
	for _, name := range order {
		out = append(out, name+"="+env[name])
	}
	return out
}

// openStdio opens the daemon's standard input (/dev/null), output and error.
func openStdio(cfg *Config, cred *credential) (std [3]*os.File, err error) {
	defer func() {
		if err != nil {
			closeAll(std[:])
		}
	}()
	if std[0], err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
		return std, err
	}
	flag := os.O_WRONLY | os.O_TRUNC
	if cfg.Append {
		flag = os.O_WRONLY | os.O_APPEND
	}
	mode := os.FileMode(0o666 &^ cfg.Umask)
	for i, name := range []string{cfg.Stdout, cfg.Stderr} {
		fd := i + 1
		switch {
		case name == "":
			std[fd], err = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		case fd == 2 && name == cfg.Stdout:
			std[2], err = dupFile(std[1]) // one file for both, one offset
		default:
			var created bool
			std[fd], created, err = fdio.OpenCreate(name, flag, mode)
			if err == nil && created && cred != nil {
				err = std[fd].Chown(int(cred.UID), int(cred.GID))
			}
			if err != nil {
				what := [...]string{1: "standard output", 2: "standard error"}[fd]
				return std, fmt.Errorf("open %s: %w", what, noFollowReason(err))
			}
		}
		if err != nil {
			return std, err
		}
	}
	return std, nil
}

func dupFile(f *os.File) (*os.File, error) {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return nil, os.NewSyscallError("dup", err)
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), f.Name()), nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
