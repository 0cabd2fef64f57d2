package daemonize

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/gdetach/gdetach/account"
	"github.com/gdetach/gdetach/envfile"
	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/fdio"
	"github.com/gdetach/gdetach/pidfile"
	"github.com/gdetach/gdetach/process"
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
// said READY=1. On any failure it returns an error, and leaves nothing
// behind: no process of the command, no pidfile or lock file it created, no
// temporary directory. The error's ExitStatus is 127 when the command does
// not exist, 126 when it cannot be run, StatusAlreadyRunning when processes
// hold the lock, and 125 otherwise.
func Start(cfg Config) (err error) {
	if err := cfg.validate(); err != nil {
		return err
	}
	req := &stageRequest{Argv: cfg.Argv, Umask: cfg.Umask, LockFD: -1, PidFD: -1, NotifyFD: -1}
	if cfg.User != "" {
		if req.Cred, err = lookupUser(cfg.User); err != nil {
			return err
		}
	}
	var fromFile []string
	if cfg.EnvFile != "" {
		if fromFile, err = envfile.Read(cfg.EnvFile); err != nil {
			return fmt.Errorf("environment file: %w", err)
		}
	}
	req.Env = environment(os.Environ(), append(fromFile, cfg.Env...), req.Cred)
	path, err := execvp.LookPath(cfg.Argv[0], req.Env)
	if err != nil {
		return err
	}
	if req.Path, err = filepath.Abs(path); err != nil {
		return err
	}
	if req.Dir, err = workDir(cfg.Dir, req.Cred, cfg.User); err != nil {
		return err
	}
	if cfg.NotifyAwait {
		req.NotifyTimeout = cmpOr(cfg.NotifyTimeout, DefaultNotifyTimeout)
	}

	g, err := acquire(cfg.Pidfile, cfg.lockPath())
	if err != nil {
		return err
	}
	wrote := 0
	defer func() {
		if err != nil {
			g.abandon(wrote)
		} else {
			g.close()
		}
	}()
	if g.pid != nil && !g.pid.Created() {
		if stale, err := g.pid.ReadPID(); err == nil {
			cfg.logf("replacing stale pidfile %s (pid %d, not running)", cfg.Pidfile, stale)
		}
	}
	if req.Cred != nil && g.pid != nil {
		// As daemonize(1) does: the daemon may rewrite or remove its pidfile.
		if err := g.pid.Chown(int(req.Cred.UID), int(req.Cred.GID)); err != nil {
			return fmt.Errorf("hand the pidfile to %s: %w", cfg.User, err)
		}
	}
	std, err := openStdio(&cfg, req.Cred, g)
	if err != nil {
		return err
	}
	defer closeAll(std[:])

	extra := []*os.File{std[0], std[1], std[2]}
	if g.lock != nil {
		req.LockFD = fdExtra + len(extra) - 3
		extra = append(extra, g.lock.OSFile())
	}
	switch {
	case g.pid == nil:
	case g.pid == g.lock:
		req.PidFD = req.LockFD
	default:
		req.PidFD = fdExtra + len(extra) - 3
		extra = append(extra, g.pid.OSFile())
	}
	if cfg.NotifyAwait {
		notify, err := listenNotify(req.Cred)
		if err != nil {
			return err
		}
		defer notify.close() // the socket's directory too, whatever the stage did
		req.NotifyFD = fdExtra + len(extra) - 3
		req.NotifyPath = notify.path()
		extra = append(extra, notify.file)
	}
	rep, err := runSessionStage(req, extra, g)
	wrote = rep.Wrote
	if err != nil && wrote == 0 && g.pid != nil {
		// The stage went without a word (killed): what it wrote, under the
		// lock this process still holds, is a PID of the daemon just killed.
		wrote, _ = g.pid.ReadPID()
	}
	if err != nil {
		return err
	}
	cfg.logf("started %s (pid %d)", cfg.Argv[0], rep.PID)
	return nil
}

func cmpOr[T comparable](v, dflt T) T {
	var zero T
	if v == zero {
		return dflt
	}
	return v
}

// runSessionStage re-executes this program as the session stage, in a new
// session, hands it req and the files it passes on (from descriptor 4), and
// returns its report. If the stage fails without saying so (it was killed),
// everything the daemon may have left is killed: the stage's session, and
// whatever holds the lock but this process.
func runSessionStage(req *stageRequest, files []*os.File, g *guard) (stageReport, error) {
	self := "/proc/self/exe" // the running program, even if its file has been replaced
	if runtime.GOOS != "linux" {
		var err error
		if self, err = os.Executable(); err != nil {
			return stageReport{}, fmt.Errorf("find the gdaemonize executable: %w", err)
		}
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return stageReport{}, err
	}
	defer reqR.Close()
	defer reqW.Close()
	repR, repW, err := os.Pipe()
	if err != nil {
		return stageReport{}, err
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
		return stageReport{}, fmt.Errorf("start the session stage: %w", err)
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
		return rep, &Error{Msg: rep.Err, Status: rep.Status}
	case recvErr == nil && rep.PID > 0:
		return rep, nil
	}
	killLeftovers(stage.Process.Pid, g.lock, os.Getpid())
	return rep, fmt.Errorf("the session stage failed (%v): %w", waitErr, errors.Join(sendErr, recvErr))
}

// killLeftovers kills, after a failed start, every process of session sid
// and every process that holds lock, those in spare aside: the daemon and
// all it started, wherever the start broke off.
func killLeftovers(sid int, lock *pidfile.File, spare ...int) {
	for {
		pids, _ := process.InSession(sid)
		if lock != nil {
			holders, _ := lock.Holders()
			pids = append(pids, holders...)
		}
		pids = slices.DeleteFunc(pids, func(pid int) bool { return slices.Contains(spare, pid) })
		if len(pids) == 0 {
			return
		}
		hs, _ := openAll(pids)
		_ = signalEach(hs, syscall.SIGKILL) // what cannot be killed cannot be helped
		left, _ := process.WaitAll(hs, stopGrace)
		closeAll(hs)
		if len(left) == len(hs) {
			return // nothing more dies: give up rather than loop
		}
	}
}

// workDir is the daemon's working directory as an absolute path ("/" by
// default), checked now so the caller hears about a bad one, and checked as
// the user the daemon runs as, if it is another.
func workDir(dir string, cred *account.Credential, user string) (string, error) {
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
	if err == nil && cred != nil {
		if err = cred.Searchable(abs); err != nil {
			return "", fmt.Errorf("change directory as %s: %w", user, err)
		}
	}
	if err != nil {
		return "", fmt.Errorf("change directory: %w", err)
	}
	return abs, nil
}

// environment is the daemon's environment: the caller's, with the user's
// HOME, USER and LOGNAME under -u, then the settings (the environment file's,
// then -E's), and the defaults daemonize(1) gives PATH and IFS when unset.
func environment(base, settings []string, cred *account.Credential) []string {
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
// Output and error that name the same file, by whatever path, share one open
// file; neither may be the pidfile or the lock file.
func openStdio(cfg *Config, cred *account.Credential, g *guard) (std [3]*os.File, err error) {
	defer func() {
		if err != nil {
			closeAll(std[:])
		}
	}()
	if std[0], err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
		return std, err
	}
	mode := os.FileMode(0o666 &^ cfg.Umask)
	for i, name := range []string{cfg.Stdout, cfg.Stderr} {
		fd := i + 1
		what := [...]string{1: "standard output", 2: "standard error"}[fd]
		if name == "" {
			if std[fd], err = os.OpenFile(os.DevNull, os.O_WRONLY, 0); err != nil {
				return std, err
			}
			continue
		}
		if fd == 2 && cfg.Stdout != "" && sameFile(name, std[1]) {
			if std[2], err = fdio.DupFile(int(std[1].Fd()), std[1].Name()); err != nil { // one file for both, one offset
				return std, err
			}
			continue
		}
		if std[fd], err = openOutput(name, !cfg.Append, mode, cred, g); err != nil {
			return std, fmt.Errorf("open %s: %w", what, err)
		}
	}
	return std, nil
}

// openOutput opens an output file: never through a symbolic link, never
// blocking on a FIFO without a reader (ENXIO says so), never the pidfile or
// the lock file, and truncated (if truncate) only once that is known. It is
// written in append mode either way, so that a logrotate copytruncate
// leaves no hole where the daemon's offset was.
func openOutput(name string, truncate bool, mode os.FileMode, cred *account.Credential, g *guard) (f *os.File, err error) {
	f, created, err := fdio.OpenCreate(name, os.O_WRONLY|os.O_APPEND|syscall.O_NONBLOCK|syscall.O_NOCTTY, mode)
	if err != nil {
		return nil, noFollowReason(err)
	}
	defer func() {
		if err != nil {
			f.Close()
			if created {
				os.Remove(name) // ours, and empty: best effort
			}
		}
	}()
	for _, p := range []*pidfile.File{g.pid, g.lock} {
		if p != nil && p.Same(f) {
			return nil, fmt.Errorf("%s is the %s", name, map[bool]string{true: "pidfile", false: "lock file"}[p == g.pid])
		}
	}
	// The daemon writes to it as to any file: blocking (a FIFO's reader sets the pace).
	if err := fdio.SetBlocking(f); err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && truncate {
		if err := f.Truncate(0); err != nil {
			return nil, err
		}
	}
	if created && cred != nil {
		if err := f.Chown(int(cred.UID), int(cred.GID)); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// sameFile reports whether path names the open file f.
func sameFile(path string, f *os.File) bool {
	a, err1 := os.Stat(path)
	b, err2 := f.Stat()
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// noFollowReason rewords O_NOFOLLOW's ELOOP, which would read as a loop.
func noFollowReason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && fdio.IsSymlinkRefused(err) {
		return fmt.Errorf("%s is a symbolic link, which gdaemonize does not follow", pe.Path)
	}
	return err
}
