package respawn

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/account"
	"github.com/gdetach/gdetach/execvp"
)

// lastValue is the value os/exec passes for name: the last in env.
func lastValue(env []string, name string) (string, bool) {
	v, ok := "", false
	for _, kv := range env {
		if after, found := strings.CutPrefix(kv, name+"="); found {
			v, ok = after, true
		}
	}
	return v, ok
}

func TestRunAsEnvironment(t *testing.T) {
	t.Setenv("HOME", "/root-of-grespawn")
	t.Setenv("GDETACH_KEPT", "kept")
	t.Setenv("GDETACH_REPLACED", "grespawn's")

	ra, err := (&Supervisor{}).runAs()
	if err != nil || ra.env != nil || ra.cred != nil || ra.owner != nil || ra.dir != "" {
		t.Errorf("runAs() of a plain Supervisor = %+v, %v; want this process's everything", ra, err)
	}

	me := &account.Credential{Name: "me", UID: uint32(os.Geteuid()), GID: uint32(os.Getegid()),
		Env: []string{"HOME=/home/me", "USER=me", "LOGNAME=me"}}
	s := &Supervisor{Credential: me, Env: []string{"GDETACH_REPLACED=the file's", "USER=from-the-file", "GDETACH_NEW=new"}}
	if ra, err = s.runAs(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"HOME":             "/home/me",      // the user's, over this process's
		"LOGNAME":          "me",            // the user's
		"USER":             "from-the-file", // the settings', over the user's
		"GDETACH_KEPT":     "kept",          // this process's
		"GDETACH_REPLACED": "the file's",
		"GDETACH_NEW":      "new",
	} {
		if got, _ := lastValue(ra.env, name); got != want {
			t.Errorf("%s=%q, want %q", name, got, want)
		}
	}
	// The command's own user, with or without root: no change of user, no
	// files to give away, unless root changes to it.
	if os.Geteuid() != 0 && (ra.cred != nil || ra.owner != nil) {
		t.Errorf("runAs() for this process's own user = %+v: a change of user without root", ra)
	}
}

// Without root, another user is refused before anything runs.
func TestRunAsAnotherUserNeedsRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may run the command as anyone")
	}
	other := &account.Credential{Name: "other", UID: uint32(os.Geteuid()) + 1, GID: uint32(os.Getegid())}
	_, err := (&Supervisor{Credential: other}).runAs()
	if err == nil || !strings.Contains(err.Error(), "only root can run the command as another user (other: uid ") {
		t.Errorf("runAs() = %v, want it refused", err)
	}
}

func TestRunAsDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ra, err := (&Supervisor{Dir: "."}).runAs()
	if err != nil || ra.dir != dir {
		t.Errorf("runAs() with Dir . = %+v, %v; want dir %s, absolute", ra, err, dir)
	}
	// os/exec sets PWD for a Dir only with Env nil; with one, runAs does.
	if ra, _ = (&Supervisor{Dir: ".", Env: []string{"A=1"}}).runAs(); ra.dir != dir {
		t.Fatalf("runAs() with Dir . = %+v", ra)
	}
	if pwd, _ := lastValue(ra.env, "PWD"); pwd != dir {
		t.Errorf("PWD=%q with an environment, want %q", pwd, dir)
	}
	for d, errno := range map[string]syscall.Errno{filepath.Join(dir, "missing"): syscall.ENOENT, file: syscall.ENOTDIR} {
		_, err := (&Supervisor{Dir: d}).runAs()
		var de *dirError
		if !errors.As(err, &de) || de.Dir != d || !errors.Is(err, errno) {
			t.Errorf("runAs() with Dir %s = %v, want a dirError of %v", d, err, errno)
		}
		if want := "cannot change directory to " + d + ": " + execvp.Strerror(errno); err == nil || err.Error() != want {
			t.Errorf("message %v, want %q", err, want)
		}
	}
}

// A relative command, or one found through a relative PATH entry, is
// looked up from the directory it is started in.
func TestRunAsLookPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "prog"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // this process's directory has none of it
	ra := runAs{dir: dir, env: []string{"PATH=/nonexistent:bin"}}
	for _, name := range []string{"./bin/prog", "bin/prog", "prog"} {
		if err := ra.lookPath(name); err != nil {
			t.Errorf("lookPath(%q) from %s: %v", name, dir, err)
		}
	}
	err := (&runAs{env: ra.env}).lookPath("./bin/prog")
	var ee *execvp.Error
	if !errors.As(err, &ee) || ee.Name != "./bin/prog" || ee.ExitStatus() != 127 {
		t.Errorf("lookPath(./bin/prog) from this process's directory = %v, want not found, named as given", err)
	}
	if err := ra.lookPath("./bin/nope"); !errors.As(err, &ee) || ee.Name != "./bin/nope" {
		t.Errorf("lookPath(./bin/nope) = %v, want an error naming ./bin/nope", err)
	}
}

func TestAbsolutePATH(t *testing.T) {
	got := absolutePATH([]string{"PATH=/old", "A=1", "PATH=/bin::rel:./x"}, "/srv")
	want := []string{"PATH=/old", "A=1", "PATH=/bin:/srv:/srv/rel:/srv/x"}
	if !slices.Equal(got, want) {
		t.Errorf("absolutePATH = %q, want %q", got, want)
	}
	if env := []string{"A=1"}; !slices.Equal(absolutePATH(env, "/srv"), env) {
		t.Error("absolutePATH added a PATH")
	}
}

func TestRunAsApply(t *testing.T) {
	c := &account.Credential{UID: 1, GID: 2, Groups: []uint32{3}}
	ra := runAs{cred: c.Syscall(), dir: "/srv", env: []string{"A=1"}}
	cmd := &exec.Cmd{SysProcAttr: procAttr(0)}
	ra.apply(cmd)
	if cmd.Dir != "/srv" || !slices.Equal(cmd.Env, ra.env) || cmd.SysProcAttr.Credential != ra.cred || !cmd.SysProcAttr.Setpgid {
		t.Errorf("apply gave %+v, SysProcAttr %+v", cmd, cmd.SysProcAttr)
	}
}

// needRoot skips a test that gives files to another user.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving files to another user needs root")
	}
}

// nobody is the user the files are given to: any uid but root's.
var nobody = &account.Credential{Name: "nobody", UID: 65534, GID: 65534}

func owner(t *testing.T, path string) (uid, gid uint32) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	return sys.Uid, sys.Gid
}

// A log the supervision creates is the command's user's, and so is the
// new file of each rotation; a log that exists keeps its owner. The
// user's log, in a sticky directory (/tmp), is reopened: it is not
// another user's trap.
func TestLogOwner(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.log")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := openLog(LogConfig{Path: existing, owner: nobody}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	l.close()
	if uid, _ := owner(t, existing); uid != 0 {
		t.Errorf("the existing log is now uid %d's, want it left root's", uid)
	}

	path := filepath.Join(dir, "app.log")
	l, err = openLog(LogConfig{Path: path, MaxSize: 10, Backups: 1, owner: nobody}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	if uid, gid := owner(t, path); uid != nobody.UID || gid != nobody.GID {
		t.Errorf("the new log is %d:%d's, want nobody's", uid, gid)
	}
	if err := os.Chown(path, 0, 0); err != nil { // as if it had been there: the next rotation makes a new one
		t.Fatal(err)
	}
	l.writeLines([]byte("0123456789\n"))
	l.writeLines([]byte("0123456789\n")) // past MaxSize: rotated
	if uid, _ := owner(t, path+".1"); uid != 0 {
		t.Errorf("the rotated log is uid %d's, want it kept as it was (root's)", uid)
	}
	if uid, gid := owner(t, path); uid != nobody.UID || gid != nobody.GID {
		t.Errorf("the log made by the rotation is %d:%d's, want nobody's", uid, gid)
	}

	sticky := t.TempDir()
	if err := os.Chmod(sticky, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	userLog := filepath.Join(sticky, "app.log")
	l2, err := openLog(LogConfig{Path: userLog, owner: nobody}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.close()
	if err := l2.reopen(); err != nil {
		t.Errorf("reopening the user's own log in a sticky directory: %v", err)
	}
	if _, err := openLog(LogConfig{Path: userLog}, "grespawn: ", nil); err == nil {
		t.Error("a log without an owner took another user's file in a sticky directory")
	}
}

// The status file is replaced at every write, each time by a file of the
// command's user.
func TestStatusFileOwner(t *testing.T) {
	needRoot(t)
	path := filepath.Join(t.TempDir(), "status")
	for range 2 {
		if err := (snapshot{State: "running"}).write(path, nobody); err != nil {
			t.Fatal(err)
		}
		if uid, gid := owner(t, path); uid != nobody.UID || gid != nobody.GID {
			t.Errorf("the status file is %d:%d's, want nobody's", uid, gid)
		}
	}
}
