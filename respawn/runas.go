package respawn

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gdetach/gdetach/account"
	"github.com/gdetach/gdetach/execvp"
	"golang.org/x/sys/unix"
)

// A runAs is how every run starts: as whom, in which directory, with what
// environment (Supervisor.Credential, Dir and Env), worked out once.
type runAs struct {
	cred  *syscall.Credential // what the child sets; nil: this process's
	owner *account.Credential // the user the created files are given to; nil: none (this process's)
	dir   string              // absolute; "": this process's
	env   []string            // nil: this process's
}

// runAs checks s's Credential, Dir and Env, and works out how each run
// starts. Changing user needs root; without it, Credential may only be
// this process's own user and group, and then sets the environment alone.
func (s *Supervisor) runAs() (runAs, error) {
	var ra runAs
	if c := s.Credential; c != nil {
		switch {
		case os.Geteuid() == 0:
			ra.cred, ra.owner = c.Syscall(), c
		case !c.IsCurrent():
			return ra, fmt.Errorf("only root can run the command as another user (%s: uid %d, gid %d)", c.Name, c.UID, c.GID)
		}
	}
	if s.Credential != nil || s.Env != nil {
		// Later entries win: os/exec passes the last of each name, and
		// execvp searches the last PATH.
		ra.env = os.Environ()
		if s.Credential != nil {
			ra.env = append(ra.env, s.Credential.Env...)
		}
		ra.env = append(ra.env, s.Env...)
	}
	if s.Dir != "" {
		var err error
		if ra.dir, err = filepath.Abs(s.Dir); err != nil {
			return ra, err
		}
		if err := ra.checkDir(); err != nil {
			return ra, err
		}
		if ra.env != nil {
			// As os/exec sets it for a Dir when Env is nil: PWD is the
			// command's directory, not this process's.
			ra.env = append(ra.env, "PWD="+ra.dir)
		}
	}
	return ra, nil
}

// apply sets up cmd to start as ra says.
func (ra *runAs) apply(cmd *exec.Cmd) {
	cmd.Dir, cmd.Env = ra.dir, ra.env
	if ra.cred != nil {
		cmd.SysProcAttr.Credential = ra.cred
	}
}

// A dirError says that the command cannot be started in its directory.
type dirError struct {
	Dir  string
	User string // the user who cannot reach it, or "" for this process's
	Err  error  // a syscall.Errno
}

func (e *dirError) Error() string {
	as := ""
	if e.User != "" {
		as = " as " + e.User
	}
	return "cannot change directory to " + e.Dir + as + ": " + execvp.Strerror(e.Err)
}

func (e *dirError) Unwrap() error { return e.Err }

// checkDir checks, before a run, that the command can start in its
// directory: there, a directory, and reachable by the user it runs as. The
// child's own chdir(2) would fail with the same errno, but come back as the
// command's failure to execute (ENOENT would read as 127, command not
// found). The error is a *dirError.
func (ra *runAs) checkDir() error {
	if ra.dir == "" {
		return nil
	}
	st, err := os.Stat(ra.dir)
	switch {
	case err == nil && !st.IsDir():
		err = syscall.ENOTDIR
	case err == nil && ra.owner != nil:
		err = ra.owner.Searchable(ra.dir)
	case err == nil:
		err = unix.Access(ra.dir, unix.X_OK)
	}
	if err == nil {
		return nil
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("check directory %s: %w", ra.dir, err)
	}
	user := ""
	if ra.owner != nil {
		user = ra.owner.Name
	}
	return &dirError{Dir: ra.dir, User: user, Err: errno}
}

// lookPath checks, before anything is set up, that name can be run, as the
// first run will look for it: with ra's PATH, and from ra's directory (a
// relative name, or one found through a relative PATH entry, is relative to
// it, as after cd DIR).
func (ra *runAs) lookPath(name string) error {
	env := ra.env
	if env == nil {
		env = os.Environ()
	}
	look := name
	if ra.dir != "" {
		if strings.Contains(name, "/") && !filepath.IsAbs(name) {
			look = filepath.Join(ra.dir, name)
		}
		env = absolutePATH(env, ra.dir)
	}
	_, err := execvp.LookPath(look, env)
	var ee *execvp.Error
	if errors.As(err, &ee) {
		ee.Name = name // as the user named it
	}
	return err
}

// absolutePATH is env with the relative entries of its last PATH made
// relative to dir (an empty entry is the current directory).
func absolutePATH(env []string, dir string) []string {
	i := -1
	for j, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			i = j
		}
	}
	if i < 0 {
		return env // unset: execvp's default, absolute
	}
	entries := strings.Split(strings.TrimPrefix(env[i], "PATH="), ":")
	for k, e := range entries {
		if !filepath.IsAbs(e) {
			entries[k] = filepath.Join(dir, e)
		}
	}
	out := append([]string(nil), env...)
	out[i] = "PATH=" + strings.Join(entries, ":")
	return out
}
