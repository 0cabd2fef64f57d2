package session

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultPath is the search path glibc's execvp uses when PATH is unset.
const defaultPath = "/bin:/usr/bin"

// An ExecError reports that a program could not be run. Its message is the
// reason alone ("no such file or directory"), so that each command can say
// what it was doing in its own words, e.g. "failed to run command 'x': …".
type ExecError struct {
	Name string // the program as the user named it
	Err  error  // the cause, usually a syscall.Errno
}

func (e *ExecError) Error() string { return e.Err.Error() }

func (e *ExecError) Unwrap() error { return e.Err }

// ExitStatus is the status the coreutils convention gives the failure: 127
// when the program does not exist, 126 when it exists but cannot be run.
func (e *ExecError) ExitStatus() int {
	if errors.Is(e.Err, fs.ErrNotExist) {
		return 127
	}
	return 126
}

// LookPath finds the file that execvp(3) would run for name. A name with a
// slash is taken as it is; any other is searched for in the directories of
// $PATH (glibc's default, /bin:/usr/bin, when PATH is unset; an empty entry
// is the current directory). As with execvp, a candidate that exists but is
// not executable (or is a directory) is skipped, and if nothing runnable is
// found the error is EACCES rather than ENOENT. The error is an *ExecError.
func LookPath(name string) (string, error) {
	return LookPathEnv(name, os.Environ())
}

// LookPathEnv is LookPath with PATH taken from env, the environment the
// program will run with (a daemon's, with its -E and env-file settings),
// rather than this process's.
func LookPathEnv(name string, env []string) (string, error) {
	if name == "" {
		return "", &ExecError{Name: name, Err: syscall.ENOENT}
	}
	if strings.Contains(name, "/") {
		if err := runnable(name); err != nil {
			return "", &ExecError{Name: name, Err: err}
		}
		return name, nil
	}
	path := defaultPath
	for _, kv := range env {
		if v, found := strings.CutPrefix(kv, "PATH="); found {
			path = v // the last one wins, as in the environment os/exec passes on
		}
	}
	denied := false
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, name)
		if dir == "." {
			candidate = "./" + name // keep it a path, never a bare name
		}
		switch err := runnable(candidate); {
		case err == nil:
			return candidate, nil
		case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EISDIR):
			denied = true
		}
	}
	if denied {
		return "", &ExecError{Name: name, Err: syscall.EACCES}
	}
	return "", &ExecError{Name: name, Err: syscall.ENOENT}
}

// runnable reports why path could not be executed, or nil if it can be:
// ENOENT when it does not exist, EISDIR for a directory, EACCES when it is
// not executable by us.
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
		return syscall.EISDIR
	}
	return unix.Access(path, unix.X_OK)
}
