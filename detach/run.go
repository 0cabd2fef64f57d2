package detach

import (
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/fdio"
	"github.com/gdetach/gdetach/pidfile"
	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/session"
	"golang.org/x/sys/unix"
)

// Options control Run. The zero value behaves as coreutils nohup, except that
// the command leaves the terminal's session.
type Options struct {
	// Output is the file that standard output and standard error are
	// appended to, whether or not they are terminals; it is created with
	// mode 0600, and standard input is then /dev/null (write-only) whatever
	// it was. Empty means nohup.out (then $HOME/nohup.out), and only for
	// descriptors that are terminals.
	Output string

	// Quiet leaves out the advisory line ("ignoring input and appending
	// output to …").
	Quiet bool

	// Pidfile, if set, is written with the command's PID once it runs and
	// removed when it exits, as package pidfile's policy has it: gnohup
	// holds its lock meanwhile, so a second gnohup with the same pidfile is
	// refused. It makes gnohup stay as the command's relay, since nobody
	// else would be left to remove the file.
	Pidfile string

	// Fork starts the command as a child in a new session, whatever this
	// process is, and returns as soon as the command's exec has succeeded:
	// nothing of gnohup stays behind (no relay), so a caller waiting on
	// gnohup's descriptors (ssh, through a subshell of the remote shell)
	// does not wait for the command. It excludes Pidfile and KeepSession.
	Fork bool

	// KeepSession gives classic nohup: SIGHUP ignored, the command exec'd in
	// place, still in the terminal's session. A program that resets SIGHUP
	// (node) or catches it (gunicorn) then still gets the terminal's hangup.
	KeepSession bool

	// Log receives the advisory lines ("ignoring input"); nil discards them.
	Log *log.Logger
}

// Run runs argv[0], looked up in PATH, detached from the terminal. When it
// execs the command in place it returns only on failure. When it relays, it
// returns when the command exits: nil, or the *exec.ExitError of the
// command. When it forks, it returns nil once the command runs. A command
// that cannot be run is an *execvp.Error (status 126 or 127, "failed to run
// command 'NAME': …"); other errors are gnohup's own failures.
func Run(argv []string, opt Options) error {
	if _, err := execvp.LookPath(argv[0], os.Environ()); err != nil {
		return err
	}
	var err error
	var pf *pidfile.File
	if opt.Pidfile != "" {
		// Locked first, so an unusable pidfile stops gnohup before anything
		// else is opened, printed or started.
		if pf, err = lockPidfile(opt.Pidfile, opt.Output); err != nil {
			return err
		}
	}
	var kinds [3]Descriptor
	for fd := range kinds {
		kinds[fd] = inspect(fd)
	}
	plan := NewPlan(kinds, opt.Output != "")
	std, err := open(plan, opt)
	if err == nil && pf != nil && (std[1] != nil && pf.Same(std[1]) || std[2] != nil && pf.Same(std[2])) {
		closeAll(std)
		err = fmt.Errorf("the output file is the pidfile %s", opt.Pidfile)
	}
	if err != nil {
		if pf != nil {
			_ = pf.Remove(0, pf) // if this gnohup created it: it is still empty
			pf.Close()
		}
		return err
	}
	defer closeAll(std)

	switch chooseMode(opt, session.IsProcessGroupLeader(), session.InTerminalForeground(), signal.Ignored(syscall.SIGINT)) {
	case relayed:
		return relay(argv, std, opt.Output != "", pf)
	case forked:
		return fork(argv, std)
	case execSameSession:
		return execInPlace(argv, std, false)
	}
	return execInPlace(argv, std, true)
}

// lockPidfile takes the pidfile's lock, refusing what the pidfile policy
// refuses, a pidfile another gnohup holds, and the output file: a pidfile is
// never another file's content.
func lockPidfile(path, output string) (*pidfile.File, error) {
	if output != "" && sameFile(path, output) {
		return nil, fmt.Errorf("the output file %s is the pidfile %s", output, path)
	}
	pf, err := pidfile.Lock(path, 0o644)
	var le *pidfile.LockedError
	if errors.As(err, &le) && !le.ReadLocked {
		return nil, fmt.Errorf("pidfile %s is in use by %s (another gnohup?)", path, process.Describe(le.Holders, le.Hidden))
	}
	if err != nil {
		return nil, fmt.Errorf("pidfile: %w", err)
	}
	return pf, nil
}

// mode is how gnohup starts the command.
type mode int

const (
	execNewSession  mode = iota // setsid, then exec in place: the PID is kept
	execSameSession             // --keep-session: exec in place, as nohup does
	relayed                     // a child in a new session; gnohup relays signals
	forked                      // --fork: a child in a new session; gnohup exits once it runs
)

// chooseMode decides how to start the command, from the options and from what
// this process is: a process group leader (it cannot call setsid), in the
// foreground of its terminal (Ctrl-C and Ctrl-Z must still reach the
// command), with SIGINT ignored (an asynchronous command of a shell without
// job control, which no Ctrl-C reaches anyway).
func chooseMode(opt Options, leader, foreground, interruptIgnored bool) mode {
	switch {
	case opt.Fork:
		return forked
	case opt.KeepSession:
		return execSameSession
	case opt.Pidfile != "", leader, foreground && !interruptIgnored:
		return relayed
	}
	return execNewSession
}

// open opens what plan redirects descriptors 0-2 to, and prints the advisory
// lines. A nil entry leaves that descriptor as it is.
func open(plan Plan, opt Options) (std [3]*os.File, err error) {
	defer func() {
		if err != nil {
			closeAll(std)
		}
	}()
	if plan.IgnoreInput {
		// Write-only, so a read fails instead of reading end of file.
		if std[0], err = os.OpenFile(os.DevNull, os.O_WRONLY, 0); err != nil {
			return std, fmt.Errorf("failed to render standard input unusable: %w", err)
		}
	}
	name := ""
	if plan.OpensOutput() {
		var f *os.File
		if f, name, err = openOutput(opt.Output); err != nil {
			return std, err
		}
		if plan.StdoutToFile {
			std[1] = f
		} else {
			std[2] = f // StderrToFile: standard output was closed
		}
	}
	if plan.StderrToStdout {
		std[2] = os.Stdout
		if std[1] != nil {
			std[2] = std[1]
		}
	}
	for _, line := range plan.Messages(execvp.Quote(name)) {
		if opt.Log == nil || opt.Quiet {
			break
		}
		if err := opt.Log.Output(2, line); err != nil {
			return std, fmt.Errorf("write error: %w", err)
		}
	}
	return std, nil
}

// openOutput opens the output file for appending: explicit if set, else
// nohup.out in the current directory and then in $HOME. It returns the file
// and its name as it was opened.
func openOutput(explicit string) (*os.File, string, error) {
	candidates := []string{explicit}
	if explicit == "" {
		candidates = []string{"nohup.out"}
		if home := os.Getenv("HOME"); home != "" {
			// As nohup builds it: $HOME as given, not cleaned ("/home/u//").
			candidates = append(candidates, strings.TrimSuffix(home, "/")+"/nohup.out")
		}
	}
	var errs []error
	for _, name := range candidates {
		f, err := fdio.OpenAppend(name, 0o600)
		if err == nil {
			return f, name, nil
		}
		errs = append(errs, fmt.Errorf("failed to open %s: %w", execvp.Quote(name), reason(err)))
	}
	return nil, "", errors.Join(errs...)
}

// reason is the cause of a failed open, said plainly: the path is already in
// the message, and O_NOFOLLOW's ELOOP would read as a symlink loop.
func reason(err error) error {
	if fdio.IsSymlinkRefused(err) {
		return errors.New("is a symbolic link, which gnohup does not follow")
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// execInPlace points descriptors 0-2 at std, ignores SIGHUP, leaves the
// session if newSession, and replaces this process with the command. It
// returns only on failure, with standard error restored so the message
// reaches the user rather than nohup.out.
func execInPlace(argv []string, std [3]*os.File, newSession bool) error {
	saved, err := unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return fmt.Errorf("save standard error: %w", os.NewSyscallError("fcntl", err))
	}
	defer unix.Close(saved)
	if err := takeOver(std); err != nil {
		_ = fdio.Dup(saved, 2) // best effort: lets the message below be seen
		return err
	}
	closeAll(std)
	// Ignored, not caught: the disposition survives exec.
	signal.Ignore(syscall.SIGHUP)
	if newSession {
		if err := session.Setsid(); err != nil {
			_ = fdio.Dup(saved, 2) // best effort, as above
			return err
		}
	}
	err = execvp.Exec(argv[0], argv, os.Environ())
	_ = fdio.Dup(saved, 2) // best effort, as above
	return err
}

// relay starts the command in a new session with std as its descriptors 0-2
// and relays signals to it until it exits. With letGo, the relay itself
// then moves its own descriptors 0-2 to std as well, so that it holds
// nothing of the caller's (an ssh session's pipes) while it waits; anything
// it says after that goes to the output file. If pf (a locked pidfile) is
// not nil, the command's PID is written to it once the command runs, and it
// is removed when the command exits.
func relay(argv []string, std [3]*os.File, letGo bool, pf *pidfile.File) error {
	cmd := command(argv, std)
	r := session.Relay{Ignore: []os.Signal{syscall.SIGHUP}}
	written := 0
	r.Started = func(pid int) error {
		if pf != nil {
			if err := pf.WritePID(pid); err != nil {
				return fmt.Errorf("write the pidfile: %w", err)
			}
			written = pid
		}
		if letGo {
			// After the start, so that a command that cannot run is still
			// reported to the caller.
			return takeOver(std)
		}
		return nil
	}
	if pf != nil {
		defer func() {
			_ = pf.Remove(written, pf) // refused if someone else wrote it meanwhile: theirs, then
			pf.Close()
		}()
	}
	return r.Run(cmd)
}

// fork starts the command as a child in a new session, with std as its
// descriptors 0-2 and SIGHUP ignored, and returns once its exec has
// succeeded (exec.Cmd.Start learns of a failed exec through its close-on-exec
// pipe): nil, or the *execvp.Error of a command that cannot run. The child
// is left to run on; when gnohup exits it is re-parented to init (or the
// nearest subreaper), which reaps it.
func fork(argv []string, std [3]*os.File) error {
	// Ignored, not caught: the child inherits the disposition, and keeps it
	// across its exec.
	signal.Ignore(syscall.SIGHUP)
	cmd := command(argv, std)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	started, err := execvp.Start(cmd, argv[0])
	if err != nil {
		return err
	}
	// Every standard descriptor is an *os.File, so Start made no copying
	// goroutine and there is nothing to wait for: the child is on its own.
	return started.Process.Release()
}

// command is the Cmd that runs argv with std as its descriptors 0-2, this
// process's own where std has nil.
func command(argv []string, std [3]*os.File) *exec.Cmd {
	cmd := &exec.Cmd{Path: argv[0], Args: argv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if std[0] != nil {
		cmd.Stdin = std[0]
	}
	if std[1] != nil {
		cmd.Stdout = std[1]
	}
	if std[2] != nil {
		cmd.Stderr = std[2]
	}
	return cmd
}

// takeOver points this process's own descriptors 0-2 at std.
func takeOver(std [3]*os.File) error {
	for fd, f := range std {
		if f == nil {
			continue
		}
		if err := fdio.Dup(int(f.Fd()), fd); err != nil {
			return fmt.Errorf("redirect descriptor %d: %w", fd, err)
		}
	}
	return nil
}

func closeAll(std [3]*os.File) {
	for _, f := range std {
		if f != nil && f != os.Stdout {
			f.Close()
		}
	}
}

// sameFile reports whether two paths name one file: the same inode if it
// exists, the same absolute path if not yet.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
