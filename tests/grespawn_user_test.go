//go:build linux

package tests

// Issue 16: grespawn runs COMMAND as a user (--user), in a directory
// (--chdir), with an environment (--env-file); gdaemonize -u takes
// USER:GROUP through the same lookup.

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
)

// nobodyAccount is nobody's passwd entry and supplementary groups, as
// grespawn's lookup reads them.
func nobodyAccount(t *testing.T) (*user.User, []string) {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil || u.Uid != "65534" {
		t.Skipf("no user nobody of uid 65534 here (%v)", err)
	}
	groups, err := u.GroupIds()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(groups)
	return u, groups
}

// ids checks the real, effective, saved and file-system IDs of pid (the
// Uid and Gid lines of /proc/PID/status), and its supplementary groups.
func ids(t *testing.T, pid int, uid, gid string, groups []string) {
	t.Helper()
	for name, want := range map[string]string{"Uid": uid, "Gid": gid} {
		v, err := testutil.StatusField(pid, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Fields(v); !slices.Equal(got, []string{want, want, want, want}) {
			t.Errorf("process %d: %s %q, want %s four times", pid, name, v, want)
		}
	}
	v, err := testutil.StatusField(pid, "Groups")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(v)
	slices.Sort(got)
	if !slices.Equal(got, groups) {
		t.Errorf("process %d: Groups %q, want %q", pid, v, groups)
	}
}

// owner is the uid:gid of path.
func owner(t *testing.T, path string) string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	return fmt.Sprintf("%d:%d", sys.Uid, sys.Gid)
}

// lacking lists the settings of want that env lacks.
func lacking(env, want []string) []string {
	var missing []string
	for _, kv := range want {
		if !slices.Contains(env, kv) {
			missing = append(missing, kv)
		}
	}
	return missing
}

// userDirs makes a directory for a test of --user: the test's own
// directory, which nobody may search, and in it out, which nobody may
// write, for the helper's ready file.
func userDirs(t *testing.T) (dir, out string) {
	t.Helper()
	dir = tempDir(t)
	chmod(t, dir, 0o755)
	return dir, subdir(t, dir, "out", 0o777)
}

// As root, --user nobody runs COMMAND as nobody, with nobody's groups,
// HOME, USER and LOGNAME, while grespawn stays root; the log and the status
// file it creates are nobody's, and a log that was there keeps its owner.
func TestGrespawnUser(t *testing.T) {
	needRoot(t)
	who, groups := nobodyAccount(t)
	for _, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing log %v", existing), func(t *testing.T) {
			dir, out := userDirs(t)
			log, status := filepath.Join(dir, "app.log"), filepath.Join(dir, "app.status")
			if existing {
				if err := os.WriteFile(log, []byte("before\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			g := startGrespawn(t, dir, append([]string{"--user", "nobody", "-l", log, "--log-events", "--status-file", status, "--"}, helperArgs("sleep", out)...)...)
			pid := readyPID(t, out, g.proc)
			ids(t, pid, "65534", who.Gid, groups)
			if uid, _ := testutil.StatusField(g.cmd.Process.Pid, "Uid"); !slices.Equal(strings.Fields(uid), []string{"0", "0", "0", "0"}) {
				t.Errorf("grespawn's Uid %q, want root's still, to signal and reap", uid)
			}
			if missing := lacking(procStrings(t, pid, "environ"), []string{"HOME=" + who.HomeDir, "USER=nobody", "LOGNAME=nobody"}); len(missing) > 0 {
				t.Errorf("COMMAND's environment lacks %q", missing)
			}
			g.waitFor("the status file to say running, and the log the start", func() bool {
				b, _ := os.ReadFile(status)
				return strings.Contains(string(b), "state=running\n") && strings.Contains(readFile(t, log), "started ")
			})
			wantLog := "65534:" + who.Gid
			if existing {
				wantLog = "0:0"
				if got := readFile(t, log); !strings.HasPrefix(got, "before\n") {
					t.Errorf("the existing log holds %q, want it appended to", got)
				}
			}
			if got := owner(t, log); got != wantLog {
				t.Errorf("the log is %s's, want %s's", got, wantLog)
			}
			if got := owner(t, status); got != "65534:"+who.Gid {
				t.Errorf("the status file is %s's, want nobody's", got)
			}
		})
	}
}

// --user nobody:GROUP gives COMMAND, and the files, GROUP as primary group
// (by name, or an ID that no group has), with nobody's supplementary groups.
func TestGrespawnUserGroup(t *testing.T) {
	needRoot(t)
	_, groups := nobodyAccount(t)
	g0, err := user.LookupGroupId("0")
	if err != nil {
		t.Skip("no group 0 here")
	}
	if _, err := user.LookupGroupId("54321"); err == nil {
		t.Skip("gid 54321 has a group here")
	}
	for group, gid := range map[string]string{g0.Name: "0", "54321": "54321"} {
		t.Run(group, func(t *testing.T) {
			dir, out := userDirs(t)
			status := filepath.Join(dir, "app.status")
			g := startGrespawn(t, dir, append([]string{"--user", "nobody:" + group, "--status-file", status, "--"}, helperArgs("sleep", out)...)...)
			pid := readyPID(t, out, g.proc)
			ids(t, pid, "65534", gid, groups)
			g.waitFor("the status file", func() bool { _, err := os.Stat(status); return err == nil })
			if got := owner(t, status); got != "65534:"+gid {
				t.Errorf("the status file is %s's, want 65534:%s", got, gid)
			}
		})
	}
}

// Without root, --user is refused before anything runs, unless it names
// grespawn's own user: COMMAND then runs, with the user's HOME, USER and
// LOGNAME.
func TestGrespawnUserNotRoot(t *testing.T) {
	needRoot(t) // to be nobody
	who, _ := nobodyAccount(t)
	_, out := userDirs(t)
	r := runWith(t, out, runOptions{cred: nobody}, "grespawn", "--user", "root", "--", "sh", "-c", "touch ran")
	if want := "grespawn: only root can run the command as another user (root: uid 0, gid 0)\n"; r.status != 125 || r.stderr != want {
		t.Errorf("--user root as nobody: status %d, stderr %q; want 125 and %q", r.status, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(out, "ran")); err == nil {
		t.Error("COMMAND ran")
	}

	r = runWith(t, out, runOptions{cred: nobody, env: []string{"HOME=/elsewhere", "USER=someone", "LOGNAME=someone"}},
		"grespawn", "-m", "1", "--user", "nobody", "--", "sh", "-c", `echo "$(id -u) $HOME $USER $LOGNAME" > whoami`)
	if r.status != 0 {
		t.Fatalf("--user nobody as nobody: status %d, stderr %q", r.status, r.stderr)
	}
	if got, want := readFile(t, filepath.Join(out, "whoami")), "65534 "+who.HomeDir+" nobody nobody\n"; got != want {
		t.Errorf("COMMAND saw %q, want %q", got, want)
	}
}

// --chdir DIR: COMMAND runs in DIR, a relative COMMAND is looked up there
// (as after cd DIR), and grespawn's own files stay where grespawn is.
func TestGrespawnChdir(t *testing.T) {
	dir := tempDir(t)
	sub, out := subdir(t, dir, "sub", 0o755), subdir(t, dir, "out", 0o755)
	script := "#!/bin/sh\nexec " + helperLine("sleep", out) + "\n"
	if err := os.WriteFile(filepath.Join(sub, "run.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	g := startGrespawn(t, dir, "--chdir", "sub", "-l", "app.log", "--status-file", "app.status", "--", "./run.sh")
	pid := readyPID(t, out, g.proc)
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err != nil || cwd != sub {
		t.Errorf("COMMAND's directory is %q (%v), want %s", cwd, err, sub)
	}
	if pwd := procStrings(t, pid, "environ"); !slices.Contains(pwd, "PWD="+sub) {
		t.Errorf("COMMAND's environment has no PWD=%s: %q", sub, pwd)
	}
	for _, name := range []string{"app.log", "app.status"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s is not in grespawn's directory: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(sub, name)); err == nil {
			t.Errorf("%s is in --chdir's directory", name)
		}
	}
}

// A --chdir directory removed after a run makes the next run a failed run
// of status 125 that says why, not a command not found.
func TestGrespawnChdirRemoved(t *testing.T) {
	dir := tempDir(t)
	work := subdir(t, dir, "work", 0o755)
	status := filepath.Join(dir, "app.status")
	r := runWith(t, dir, runOptions{}, "grespawn", "-m", "2", "--delay", "0", "--status-file", status, "--chdir", work, "--", "sh", "-c", `rmdir "$PWD"; exit 3`)
	if r.status != 125 {
		t.Errorf("status %d, want 125 (the last run could not start in its directory)", r.status)
	}
	why := "cannot change directory to " + work + ": No such file or directory"
	for _, want := range []string{"sh (pid ", ") exited with status 3", "cannot run sh: " + why, "last sh could not be run: " + why} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("messages lack %q:\n%s", want, r.stderr)
		}
	}
	if got := readFile(t, status); !strings.Contains(got, "last_status=exit 125\n") {
		t.Errorf("status file:\n%s\nwant last_status=exit 125", got)
	}
}

// As root, a --chdir directory that --user's user cannot reach is refused
// at the start, as that user, before anything runs.
func TestGrespawnChdirAsUser(t *testing.T) {
	needRoot(t)
	dir := tempDir(t) // 0700, root's
	r := runWith(t, dir, runOptions{}, "grespawn", "--user", "nobody", "--chdir", dir, "--", "sh", "-c", "touch ran")
	if want := "grespawn: cannot change directory to " + dir + " as nobody: Permission denied\n"; r.status != 125 || r.stderr != want {
		t.Errorf("status %d, stderr %q; want 125 and %q", r.status, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("COMMAND ran")
	}
}

// --env-file adds its settings over grespawn's environment (and, with
// --user, over the user's HOME), and COMMAND is looked up in the PATH it
// sets.
func TestGrespawnEnvFile(t *testing.T) {
	dir := tempDir(t)
	chmod(t, dir, 0o755)
	out, bin := subdir(t, dir, "out", 0o777), subdir(t, dir, "bin", 0o755)
	script := "#!/bin/sh\nexec " + helperLine("sleep", out) + "\n"
	if err := os.WriteFile(filepath.Join(bin, "gdetach-envfile-prog"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	path := bin + ":" + os.Getenv("PATH")
	env := filepath.Join(dir, "app.env")
	settings := "# the app's\nGDETACH_FROM_FILE=1\n\nGDETACH_OVER=file\nHOME=/from-file\nPATH=" + path + "\n"
	if err := os.WriteFile(env, []byte(settings), 0o600); err != nil { // root's alone: read by grespawn
		t.Fatal(err)
	}
	opts := []string{"--env-file", env}
	if os.Geteuid() == 0 {
		opts = append(opts, "--user", "nobody")
	}
	g := startGrespawnWith(t, dir, func(c *exec.Cmd) { c.Env = append(os.Environ(), "GDETACH_OVER=grespawn") },
		append(opts, "--", "gdetach-envfile-prog")...)
	pid := readyPID(t, out, g.proc)
	want := []string{"GDETACH_FROM_FILE=1", "GDETACH_OVER=file", "HOME=/from-file", "PATH=" + path}
	if os.Geteuid() == 0 {
		want = append(want, "USER=nobody")
	}
	got := procStrings(t, pid, "environ")
	if missing := lacking(got, want); len(missing) > 0 {
		t.Errorf("COMMAND's environment lacks %q:\n%q", missing, got)
	}
	for _, kv := range got {
		if kv == "GDETACH_OVER=grespawn" {
			t.Error("grespawn's GDETACH_OVER was passed on beside the file's")
		}
	}
}

// The options' mistakes, before anything runs.
func TestGrespawnRunAsCommandLine(t *testing.T) {
	const try = "\nTry 'grespawn --help' for more information.\n"
	notRun := func(t *testing.T, dir string) {
		if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
			t.Error("COMMAND ran")
		}
	}
	touch := []string{"sh", "-c", "touch ran"}
	withFile := func(content string, words ...string) func(string) []string {
		return func(dir string) []string {
			if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte(content), 0o644); err != nil {
				panic(err)
			}
			return append(words, touch...)
		}
	}
	runCLI(t, "grespawn", []cliCase{
		{args: args("--user", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--user': cannot be empty" + try + "$"},
		{args: args("--chdir=", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--chdir': cannot be empty" + try + "$"},
		{args: args("--env-file", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--env-file': cannot be empty" + try + "$"},
		{args: args(append([]string{"-u", "gdetach-no-such-user"}, touch...)...), status: 125, stderr: "grespawn: unknown user 'gdetach-no-such-user'\n", after: notRun},
		{args: args(append([]string{"-u", "root:gdetach-no-such-group"}, touch...)...), status: 125, stderr: "grespawn: unknown group 'gdetach-no-such-group'\n", after: notRun},
		{args: args(append([]string{"--user", "root:"}, touch...)...), status: 125, stderr: "grespawn: invalid user 'root:': want USER or USER:GROUP\n", after: notRun},
		{args: args(append([]string{"--user", "4294967296"}, touch...)...), status: 125, stderr: "grespawn: invalid user ID '4294967296'\n", after: notRun},
		{args: args(append([]string{"-c", "/nonexistent/dir"}, touch...)...), status: 125, stderr: "grespawn: cannot change directory to /nonexistent/dir: No such file or directory\n", after: notRun},
		{args: args(append([]string{"--chdir", "/etc/passwd"}, touch...)...), status: 125, stderr: "grespawn: cannot change directory to /etc/passwd: Not a directory\n", after: notRun},
		{args: args(append([]string{"--env-file", "/nonexistent/app.env"}, touch...)...), status: 125, stderr: "grespawn: environment file: open /nonexistent/app.env: No such file or directory\n", after: notRun},
		{name: "--env-file with a bad line", args: withFile("A=1\n# fine\nB = 2\n", "--env-file", "app.env"), status: 125,
			stderr: "grespawn: environment file: app.env: line 3: \"B \" is not a variable name (a letter or _, then letters, digits and _)\n", after: notRun},
		{name: "--env-file with quotes", args: withFile("A=1\nB=\"2\"\n", "--env-file", "app.env"), status: 125,
			stderr: "grespawn: environment file: app.env: line 2: quotes in the value, which systemd removes and docker keeps: write the value without them\n", after: notRun},
		// The command is looked up in the file's PATH, from the directory.
		{name: "--env-file PATH without COMMAND", args: withFile("PATH=/nonexistent\n", "--env-file", "app.env", "--", "true"), status: 127,
			stderr: "grespawn: failed to run command 'true': No such file or directory\n"},
		// ./prog is in grespawn's directory, not in --chdir's.
		{name: "relative COMMAND from --chdir", args: func(dir string) []string {
			if err := os.WriteFile(filepath.Join(dir, "prog"), []byte("#!/bin/sh\ntouch ran\n"), 0o755); err != nil {
				panic(err)
			}
			return []string{"--chdir", "/", "--", "./prog"}
		}, status: 127, stderr: "grespawn: failed to run command './prog': No such file or directory\n", after: notRun},
	})
}

// gdaemonize -u USER:GROUP, through the lookup it shares with grespawn:
// the daemon and its pidfile get GROUP.
func TestGdaemonizeUserGroup(t *testing.T) {
	needRoot(t)
	_, groups := nobodyAccount(t)
	if _, err := user.LookupGroupId("54321"); err == nil {
		t.Skip("gid 54321 has a group here")
	}
	dir, out := userDirs(t)
	pidfile := filepath.Join(dir, "app.pid")
	r := gd(t, dir, runOptions{}, append([]string{"-u", "nobody:54321", "-p", pidfile, "--"}, helperArgs("sleep", out)...)...)
	if r.status != 0 {
		t.Fatalf("start: status %d: %s", r.status, r.stderr)
	}
	pid := pidfilePID(t, pidfile)
	killAtCleanup(t, pid)
	if ready := readyPID(t, out); ready != pid {
		t.Fatalf("the pidfile names %d, the daemon is %d", pid, ready)
	}
	ids(t, pid, "65534", "54321", groups)
	if got := owner(t, pidfile); got != "65534:54321" {
		t.Errorf("the pidfile is %s's, want 65534:54321", got)
	}
}
