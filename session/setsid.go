package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/fdio"
	"golang.org/x/sys/unix"
)

// Options are the options of util-linux setsid(1), which gsetsid runs with.
type Options struct {
	// Fork starts the program as a child even when this process could leave
	// its session in place.
	Fork bool

	// Wait, when the program runs as a child, waits for it, relays the
	// signals sent to this process to it, and returns its status. In place,
	// the program's status is this process's anyway.
	Wait bool

	// Ctty makes the terminal on standard input the new session's controlling
	// terminal, taking it from another session if need be (and allowed: as
	// root), as util-linux does.
	Ctty bool
}

// Run runs argv (argv[0] looked up in PATH) in a new session, as util-linux
// setsid does: in place (setsid, then exec: the PID is kept) when this
// process does not lead its process group and opt.Fork is not set, else as a
// child in a new session. Standard input, output and error are passed on
// untouched.
//
// In place, Run returns only on failure. As a child, it returns nil once the
// program runs, or with opt.Wait when the program exits: nil, or its
// *exec.ExitError. A program that cannot be run is an *execvp.Error (126 or
// 127) worded as util-linux words it, "failed to execute NAME", reported by
// this process even after a fork; other failures have no status of their
// own (util-linux exits 1).
func Run(argv []string, opt Options) error {
	if _, err := execvp.LookPath(argv[0], os.Environ()); err != nil {
		return execFailed(err)
	}
	if opt.Ctty && !fdio.IsTerminal(0) {
		return cttyFailed(syscall.ENOTTY)
	}
	if !opt.Fork && !IsProcessGroupLeader() {
		return execInNewSession(argv, opt.Ctty)
	}
	cmd := &exec.Cmd{
		Args: argv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		// Ctty is a descriptor of the child: its standard input.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true, Setctty: opt.Ctty, Ctty: 0},
	}
	var err error
	if opt.Wait {
		// The terminal's hangup stays on this side: the program's new
		// session is there so that it cannot reach it (util-linux's setsid
		// dies of it, and its program lives on).
		err = (&Relay{Swallow: []os.Signal{syscall.SIGHUP}}).Run(cmd)
	} else {
		// Nobody waits for it: when this process exits, it is re-parented to
		// init or the nearest subreaper, which reaps it.
		_, err = execvp.Start(cmd, argv[0])
	}
	var ee *execvp.Error
	if errors.As(err, &ee) {
		// Go's child reports the failure of any step before the exec alike;
		// with a terminal to take, EPERM comes from TIOCSCTTY, not execve.
		if opt.Ctty && errors.Is(ee.Err, syscall.EPERM) {
			return cttyFailed(ee.Err)
		}
		return execFailed(err)
	}
	return err
}

// execInNewSession calls setsid, takes the terminal on standard input if
// ctty, and replaces this process with the program.
func execInNewSession(argv []string, ctty bool) error {
	if err := Setsid(); err != nil {
		return fmt.Errorf("setsid failed: %w", err)
	}
	if ctty {
		// 1: steal the terminal from another session, where allowed (root).
		if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 1); err != nil {
			return cttyFailed(err)
		}
	}
	return execFailed(execvp.Exec(argv[0], argv, os.Environ()))
}

// execFailed words an *execvp.Error as util-linux does.
func execFailed(err error) error {
	var ee *execvp.Error
	if errors.As(err, &ee) {
		ee.Wording = execvp.Execute
	}
	return err
}

func cttyFailed(err error) error {
	return fmt.Errorf("failed to set the controlling terminal: %w", err)
}
