// Package execvp runs programs as execvp(3) finds them: looked up in PATH
// the way glibc does it, a script without a #! line run through /bin/sh, and
// a failure that says itself, with the coreutils exit status for it (126,
// 127). The commands import it for that alone.
//
// # Lookup
//
// A name with a slash is used as it is. Any other is tried in each directory
// of PATH in turn (glibc's default, /bin:/usr/bin, when PATH is unset; an
// empty PATH, or an empty entry, is the current directory). As execvp does,
// Exec and Start go on to the next directory when a candidate does not
// exist, cannot be searched or executed (EACCES: remembered, and the result
// if nothing runs), or is a file whose interpreter is missing (ENOENT from the
// kernel); any other failure ends the search. LookPath, which runs nothing,
// can only judge by stat(2) and access(2).
package execvp

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultPath is the search path glibc's execvp uses when PATH is unset.
const defaultPath = "/bin:/usr/bin"

// shell runs files the kernel does not recognise as programs (ENOEXEC), as
// execvp(3) does.
const shell = "/bin/sh"

// A Wording is how an Error reads, after the tool that a command follows.
type Wording int

const (
	// RunCommand is coreutils': "failed to run command 'NAME': CAUSE".
	RunCommand Wording = iota
	// Execute is util-linux's: "failed to execute NAME: CAUSE".
	Execute
)

// An Error reports that a program could not be run. It says the whole
// message, the name quoted once (as coreutils quotes it: a newline cannot
// make a second line) and the cause in strerror's words.
type Error struct {
	Name    string // the program as the user named it
	Err     error  // the cause, usually a syscall.Errno
	Wording Wording
}

func (e *Error) Error() string {
	if e.Wording == Execute {
		return "failed to execute " + QuoteIfNeeded(e.Name) + ": " + Strerror(e.Err)
	}
	return "failed to run command " + Quote(e.Name) + ": " + Strerror(e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ExitStatus is the status the coreutils convention gives the failure: 127
// when the program does not exist, 126 when it exists but cannot be run.
func (e *Error) ExitStatus() int {
	if errors.Is(e.Err, fs.ErrNotExist) {
		return 127
	}
	return 126
}

// pathOf is the value of PATH in env (the last one, as os/exec passes it on),
// and whether it is set.
func pathOf(env []string) (string, bool) {
	path, set := "", false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path, set = v, true
		}
	}
	return path, set
}

// Candidates lists the files execvp would try for name, in order, with
// PATH taken from env.
func Candidates(name string, env []string) []string {
	if strings.Contains(name, "/") {
		return []string{name}
	}
	path, set := pathOf(env)
	if !set {
		path = defaultPath
	}
	var files []string
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			files = append(files, "./"+name) // the current directory, kept a path
			continue
		}
		files = append(files, filepath.Join(dir, name))
	}
	return files
}

// LookPath finds the first file execvp would run for name, judged by what
// stat(2) and access(2) say of each candidate: a directory or a file this
// process may not execute is skipped, and if nothing is left the error is
// EACCES rather than ENOENT. The error is an *Error.
func LookPath(name string, env []string) (string, error) {
	if name == "" {
		return "", &Error{Name: name, Err: syscall.ENOENT}
	}
	var denied error
	for _, file := range Candidates(name, env) {
		err := runnable(file)
		if err == nil {
			return file, nil
		}
		if strings.Contains(name, "/") {
			return "", &Error{Name: name, Err: err}
		}
		if errors.Is(err, syscall.EACCES) {
			denied = err
		}
	}
	if denied != nil {
		return "", &Error{Name: name, Err: denied}
	}
	return "", &Error{Name: name, Err: syscall.ENOENT}
}

// runnable says why path could not be executed, or nil if it can be: ENOENT
// when it does not exist, EACCES when it is a directory or not executable by
// this process (execve's answer for both).
func runnable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	if st.IsDir() {
		return syscall.EACCES
	}
	return unix.Access(path, unix.X_OK)
}

// searchOn reports whether execvp goes on to the next candidate after err.
func searchOn(err error) bool {
	for _, e := range []syscall.Errno{syscall.EACCES, syscall.ENOENT, syscall.ENOTDIR, syscall.ESTALE, syscall.ENODEV, syscall.ETIMEDOUT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// search runs try on each candidate for name as execvp does, and returns
// the error for the whole search: nil once try succeeds.
func search(name string, env []string, try func(file string) error) error {
	if name == "" {
		return &Error{Name: name, Err: syscall.ENOENT}
	}
	files := Candidates(name, env)
	var denied, last error
	for _, file := range files {
		err := try(file)
		if err == nil {
			return nil
		}
		last = err
		if errors.Is(err, syscall.EACCES) {
			denied = err
		}
		if len(files) == 1 || !searchOn(err) {
			return &Error{Name: name, Err: err}
		}
	}
	if denied != nil {
		return &Error{Name: name, Err: denied}
	}
	return &Error{Name: name, Err: last}
}

// Exec replaces this process with the program execvp would find for name,
// given argv and env (whose PATH is searched). Like execvp, it runs a file
// without a #! line through /bin/sh. It returns only on failure, with an
// *Error naming name.
func Exec(name string, argv, env []string) error {
	return search(name, env, func(file string) error {
		err := unix.Exec(file, argv, env)
		if errors.Is(err, syscall.ENOEXEC) {
			err = unix.Exec(shell, scriptArgs(file, argv), env)
		}
		return err
	})
}

// Start starts cmd, whose Path is ignored: the program is what execvp would
// find for name, with PATH from cmd.Env (this process's environment if nil).
// A file the kernel does not recognise as a program (ENOEXEC) is started
// through /bin/sh. It returns the started command (a copy of cmd, for the
// candidate that ran); a failure to execute is an *Error naming name, and
// other failures are returned as they are.
func Start(cmd *exec.Cmd, name string) (*exec.Cmd, error) {
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	var started *exec.Cmd
	var other error
	err := search(name, env, func(file string) error {
		// A fork per candidate is what a long PATH cost (each try a
		// fork of this process): a file that is not there is skipped
		// with the errno execve would give, as glibc's execvp goes on.
		if err := absent(file, cmd.Dir); err != nil {
			return err
		}
		c := clone(cmd, file, cmd.Args)
		err := c.Start()
		if errors.Is(err, syscall.ENOEXEC) {
			c = clone(cmd, shell, scriptArgs(file, cmd.Args))
			err = c.Start()
		}
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Op == "fork/exec" {
			return pe.Err
		}
		if err != nil {
			other = err
			return nil // not the program's failure: stop here, and say it as it is
		}
		started = c
		return nil
	})
	if other != nil {
		return nil, other
	}
	if err != nil {
		return nil, err
	}
	return started, nil
}

// absent returns ENOENT or ENOTDIR when runnable says so of file, looked up
// from dir (the directory the program is started in, when file is
// relative), and nil otherwise: execve would fail the same way for it.
func absent(file, dir string) error {
	if dir != "" && !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	if err := runnable(file); errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
		return err
	}
	return nil
}

// clone is a fresh Cmd like cmd, for path with args: a Cmd starts once.
func clone(cmd *exec.Cmd, path string, args []string) *exec.Cmd {
	return &exec.Cmd{
		Path: path, Args: args, Env: cmd.Env, Dir: cmd.Dir,
		Stdin: cmd.Stdin, Stdout: cmd.Stdout, Stderr: cmd.Stderr,
		ExtraFiles: cmd.ExtraFiles, SysProcAttr: cmd.SysProcAttr,
	}
}

// scriptArgs is the argument list execvp(3) gives /bin/sh for a script
// without a #! line.
func scriptArgs(path string, argv []string) []string {
	return append([]string{shell, path}, argv[1:]...)
}
