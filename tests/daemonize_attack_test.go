//go:build linux

package tests

// The attack tests of issue 11: gdaemonize tried by mallory, a second
// unprivileged user (a raw uid, no passwd entry), by the daemon's own user,
// and by an admin with a careless init script, in every state its pidfile
// can be found in. gdaemonize's promise is that it never lies: it returns 0
// only for a running, tracked daemon, --status tells the truth, --stop stops
// it, and nothing of a failed start is left.

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

// The other users: mallory, who has nothing to do with the service, and
// nobody, the daemon's user (-u nobody).
var (
	mallory = &syscall.Credential{Uid: 54321, Gid: 54321}
	nobody  = &syscall.Credential{Uid: 65534, Gid: 65534}
)

// needRoot skips a test that runs commands as another user.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("runs commands as other users (mallory, uid 54321; nobody), which needs root")
	}
}

// gd runs gdaemonize with args in dir, as o says, and returns what happened.
func gd(t *testing.T, dir string, o runOptions, args ...string) run {
	t.Helper()
	r, _ := gdState(t, dir, o, args...)
	return r
}

// gdState is gd that also returns the process state, with its resource
// usage.
func gdState(t *testing.T, dir string, o runOptions, args ...string) (run, *os.ProcessState) {
	t.Helper()
	wait, _ := gdStart(t, dir, o, args...)
	return wait()
}

// gdStart starts gdaemonize with args in dir, as o says (standard input
// /dev/null, output to files, no terminal), and returns the wait for it and
// its PID, as startWatched does.
func gdStart(t *testing.T, dir string, o runOptions, args ...string) (wait func() (run, *os.ProcessState), pid int) {
	t.Helper()
	cmd := exec.Command("gdaemonize", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), o.env...)
	if o.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred}
	}
	return startWatched(t, cmd)
}

// startWatched starts cmd with its standard output and error going to
// files (never pipes: a daemon that kept one would hold up the wait), and
// returns the wait for it and its PID. A command that still runs at the
// test's deadline is killed and fails the test: a hang (on a FIFO, or on
// another gdaemonize) is a failure of its own, not the end of the whole
// test binary.
func startWatched(t *testing.T, cmd *exec.Cmd) (wait func() (run, *os.ProcessState), pid int) {
	t.Helper()
	var outs [2]*os.File
	for i := range outs {
		f, err := os.CreateTemp("", "gdetach-out-")
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(f.Name()) // the descriptor is enough
		outs[i] = f
	}
	cmd.Stdout, cmd.Stderr = outs[0], outs[1]
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The watchdog describes what hangs before it kills it: the tree below,
	// and what each process waits for through a pidfd.
	hung := make(chan string, 1)
	watchdog := time.AfterFunc(time.Until(testutil.Deadline(t)), func() {
		hung <- describeTree(cmd.Process.Pid)
		_ = cmd.Process.Kill() // it has exited meanwhile: nothing to do
	})
	return func() (run, *os.ProcessState) {
		t.Helper()
		_ = cmd.Wait() // the status is in ProcessState
		tree := ""
		if !watchdog.Stop() {
			tree = <-hung
		}
		var texts [2]string
		for i, f := range outs {
			b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<20))
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			texts[i] = string(b)
		}
		if tree != "" {
			t.Fatalf("%q was still running at the test's deadline, and was killed: it hangs (stdout %q, stderr %q); its processes then:\n%s", cmd.Args, texts[0], texts[1], tree)
		}
		status := cmd.ProcessState.ExitCode()
		if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); ws.Signaled() {
			status = 128 + int(ws.Signal()) // as a shell says it
		}
		return run{status: status, stdout: texts[0], stderr: texts[1]}, cmd.ProcessState
	}, cmd.Process.Pid
}

// describeTree describes process pid and those below it, one line each:
// PID, state, command line, and the processes it watches through pidfds.
func describeTree(pid int) string {
	var b strings.Builder
	var walk func(pid int, depth int)
	walk = func(pid int, depth int) {
		st, _ := testutil.ReadStat(pid)
		fmt.Fprintf(&b, "%s%s state %c", strings.Repeat("  ", depth), describeProcs([]int{pid}), st.State)
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fdinfo", pid))
		for _, fd := range fds {
			info, _ := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd.Name()))
			for _, line := range strings.Split(string(info), "\n") {
				if v, ok := strings.CutPrefix(line, "Pid:"); ok {
					fmt.Fprintf(&b, ", pidfd on %s", strings.TrimSpace(v))
				}
			}
		}
		b.WriteString("\n")
		kids, _ := testutil.Children(pid)
		for _, kid := range kids {
			walk(kid, depth+1)
		}
	}
	walk(pid, 0)
	return b.String()
}

// want checks a run's status and that the text it printed on stream
// ("stdout" or "stderr") matches re; the other stream must be empty.
func want(t *testing.T, what string, r run, status int, stream, re string) {
	t.Helper()
	text, other := r.stdout, r.stderr
	if stream == "stderr" {
		text, other = r.stderr, r.stdout
	}
	if r.status != status || !regexp.MustCompile(re).MatchString(text) || other != "" {
		t.Errorf("%s: status %d, stdout %q, stderr %q; want %d and %s matching %q", what, r.status, r.stdout, r.stderr, status, stream, re)
	}
}

// tagEnv is the environment setting that marks what a test starts: the
// daemons, and anything a failed start leaves, are found by it.
func tagEnv(dir string) string { return "GDETACH_TEST_TAG=" + dir }

// tagged lists the running processes with tag (a tagEnv) in their
// environment; the NUL that ends the setting keeps /tmp/x-1 from matching
// /tmp/x-12.
func tagged(tag string) []int { return taggedProcesses(tag + "\x00") }

// taggedDaemons lists the tagged processes that run the helper: the
// daemons, not a gdaemonize on its way to starting one.
func taggedDaemons(tag string) []int {
	var pids []int
	for _, pid := range tagged(tag) {
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.HasPrefix(string(b), testutil.HelperName+"\x00") {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// killTaggedAtCleanup makes sure nothing tagged outlives the test: whatever
// a failed start or a lying stop left behind is killed (through pidfds) once
// the test has said what it thinks of it.
func killTaggedAtCleanup(t *testing.T, tag string) {
	t.Cleanup(func() {
		for _, pid := range tagged(tag) {
			h, err := process.Open(pid)
			if err != nil {
				continue // gone already
			}
			_ = h.Signal(syscall.SIGKILL) // ErrGone: it has just exited
			_, _ = h.Wait(time.Until(testutil.Deadline(t)))
			h.Close()
		}
	})
}

// noneTagged fails the test if processes with tag still run.
func noneTagged(t *testing.T, tag string) {
	t.Helper()
	if left := tagged(tag); len(left) > 0 {
		t.Errorf("processes left running: %s", describeProcs(left))
	}
}

// describeProcs names processes with their command lines, for a message.
func describeProcs(pids []int) string {
	var words []string
	for _, pid := range pids {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		words = append(words, fmt.Sprintf("%d (%s)", pid, strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")))
	}
	return strings.Join(words, ", ")
}

// statusRE reads the PIDs a --status line names.
var statusRE = regexp.MustCompile(`^running \(pids? ([0-9, ]+)\)`)

// namedPIDs returns the PIDs a "running (pid N)" or "running (pids N, M)"
// line names, sorted; nil for any other line.
func namedPIDs(line string) []int {
	m := statusRE.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	var pids []int
	for _, w := range strings.Split(m[1], ", ") {
		if n, err := strconv.Atoi(w); err == nil {
			pids = append(pids, n)
		}
	}
	slices.Sort(pids)
	return pids
}

// subdir makes dir/name with mode perm (chmod: the umask does not apply).
func subdir(t *testing.T, dir, name string, perm os.FileMode) string {
	t.Helper()
	d := filepath.Join(dir, name)
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	chmod(t, d, perm)
	return d
}

func chmod(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// startDaemon starts `helper sleep DIR` with `gdaemonize OPTS... -p
// PIDFILE`, and returns its PID, read from the pidfile; the daemon is ready
// (DIR/pid) and killed at the end of the test.
func startDaemon(t *testing.T, dir, pidfile string, opts ...string) int {
	t.Helper()
	r := gd(t, dir, runOptions{}, slices.Concat(opts, []string{"-p", pidfile, "--"}, helperArgs("sleep", dir))...)
	if r.status != 0 {
		t.Fatalf("start: status %d: %s", r.status, r.stderr)
	}
	pid := pidfilePID(t, pidfile)
	if ready := readyPID(t, dir); ready != pid {
		t.Fatalf("the pidfile names %d, the daemon is %d", pid, ready)
	}
	return pid
}

// stalePidfile leaves at path what a previous run leaves when its daemon
// is killed: a pidfile (mode 0644, root's) naming a process that has gone.
func stalePidfile(t *testing.T, dir, path string) {
	t.Helper()
	pid := startDaemon(t, subdir(t, dir, "previous", 0o755), path)
	p := testutil.Watch(t, pid)
	_ = p.Signal(syscall.SIGKILL)
	p.WaitExit(t)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("the previous run left %v (%v), want a pidfile of mode 0644", st, err)
	}
}

// 1. A lock mallory can take on a pidfile she can read. Her flock(1) is no
// lock of gdaemonize's (an OFD write lock): the start goes on, and neither
// --status nor --stop takes her processes for the daemon's. Her fcntl read
// lock does conflict: the start fails, saying so, and a lock file of its own
// (-l, mode 0600) is out of her reach.
func TestGdaemonizeMalloryLocks(t *testing.T) {
	testutil.UsedHelpers("rdlock") // before the skip: a full run checks that every helper is used
	needRoot(t)
	t.Run("flock", func(t *testing.T) {
		dir := tempDir(t)
		chmod(t, dir, 0o755)
		tag := tagEnv(dir)
		killTaggedAtCleanup(t, tag)
		pidfile := filepath.Join(dir, "app.pid")
		stalePidfile(t, dir, pidfile)

		cmd := exec.Command("flock", "-n", pidfile, "sleep", "600")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), tag)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: mallory}
		startBackground(t, cmd, nil)
		flock := testutil.Watch(t, cmd.Process.Pid)
		var sleeper int
		flock.WaitFor(t, "mallory's flock(1) to lock the pidfile and run sleep", func() (bool, string) {
			kids, _ := testutil.Children(flock.PID)
			if len(kids) == 1 {
				sleeper = kids[0]
			}
			return len(kids) == 1, fmt.Sprintf("children %v", kids)
		})
		killAtCleanup(t, sleeper)
		if r := runWith(t, dir, runOptions{}, "flock", "-n", pidfile, "true"); r.status != 1 {
			t.Fatalf("control: root's `flock -n app.pid true` exited %d while mallory holds her flock, want 1 (stderr %q)", r.status, r.stderr)
		}

		daemon := startDaemon(t, subdir(t, dir, "d", 0o755), pidfile)
		want(t, "--status", gd(t, dir, runOptions{}, "--status", "-p", pidfile), 0, "stdout", fmt.Sprintf(`^running \(pid %d\)\n$`, daemon))
		want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", fmt.Sprintf(`^stopped \(pid %d\)\n$`, daemon))
		waitGone(t, daemon)
		if flock.Exited(t, 0) || testutil.Watch(t, sleeper).Exited(t, 0) {
			t.Error("root's --stop killed mallory's flock(1) and its sleep: her flock was taken for the daemon's lock")
		}
		if _, err := os.Lstat(pidfile); !os.IsNotExist(err) {
			t.Errorf("--stop left the pidfile (%v)", err)
		}
	})

	t.Run("fcntl read lock", func(t *testing.T) {
		dir := tempDir(t)
		chmod(t, dir, 0o755)
		tag := tagEnv(dir)
		killTaggedAtCleanup(t, tag)
		pidfile := filepath.Join(dir, "app.pid")
		stalePidfile(t, dir, pidfile)
		before := readFile(t, pidfile)

		ready := subdir(t, dir, "mallory", 0o777)
		cmd := exec.Command(testutil.HelperName)
		cmd.Args = helperArgs("rdlock", pidfile, ready)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: mallory}
		startBackground(t, cmd, nil)
		readyPID(t, ready, testutil.Watch(t, cmd.Process.Pid))

		daemonDir := subdir(t, dir, "d", 0o755)
		start := append([]string{"-p", pidfile, "--"}, helperArgs("sleep", daemonDir)...)
		r := gd(t, dir, runOptions{env: []string{tag}}, start...)
		want(t, "start", r, 125, "stderr", "read-locked")
		if strings.Contains(r.stderr, "already running") {
			t.Errorf("start: %q: a read lock is not a running daemon", r.stderr)
		}
		if after := readFile(t, pidfile); after != before {
			t.Errorf("the failed start changed the pidfile from %q to %q", before, after)
		}
		if left := taggedDaemons(tag); len(left) > 0 {
			t.Errorf("the failed start left daemons: %s", describeProcs(left))
		}
		want(t, "--status", gd(t, dir, runOptions{}, "--status", "-p", pidfile), 4, "stdout", "read-locked")

		lock := filepath.Join(dir, "app.lock")
		r = gd(t, dir, runOptions{}, append([]string{"-l", lock}, start...)...)
		want(t, "start with -l", r, 0, "stderr", "^$")
		daemon := pidfilePID(t, pidfile)
		if ready := readyPID(t, daemonDir); ready != daemon {
			t.Errorf("the pidfile names %d, the daemon is %d", daemon, ready)
		}
		if st, err := os.Stat(lock); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("lock file %v (%v), want mode 0600", st, err)
		}
		if r := runWith(t, dir, runOptions{cred: mallory}, "cat", lock); r.status == 0 || !strings.Contains(r.stderr, "Permission denied") {
			t.Errorf("mallory's `cat app.lock`: status %d, stderr %q; want permission denied", r.status, r.stderr)
		}
		want(t, "--status -l", gd(t, dir, runOptions{}, "--status", "-p", pidfile, "-l", lock), 0, "stdout", fmt.Sprintf(`^running \(pid %d\)\n$`, daemon))
		want(t, "--stop -l", gd(t, dir, runOptions{}, "--stop", "-p", pidfile, "-l", lock), 0, "stdout", fmt.Sprintf(`^stopped \(pid %d\)\n$`, daemon))
		waitGone(t, daemon)
	})
}

// 2. The daemon's user (nobody) owns its pidfile, in a sticky directory
// anyone may write to, and swaps in a symbolic link to another root
// daemon's pidfile: root's --status, --stop and reload refuse the link, and
// the other daemon runs on.
func TestGdaemonizeDaemonUserSymlink(t *testing.T) {
	needRoot(t)
	other := tempDir(t)
	otherPidfile := filepath.Join(other, "other.pid")
	victim := startDaemon(t, other, otherPidfile)

	dir := tempDir(t)
	chmod(t, dir, 0o1777)
	pidfile := filepath.Join(dir, "app.pid")
	want(t, "start -u nobody", gd(t, dir, runOptions{}, append([]string{"-u", "nobody", "-p", pidfile, "--"}, helperArgs("sleep", dir)...)...), 0, "stderr", "^$")
	daemon := pidfilePID(t, pidfile)
	readyPID(t, dir)
	if r := runWith(t, dir, runOptions{cred: nobody}, "sh", "-c", "rm app.pid && ln -s "+otherPidfile+" app.pid"); r.status != 0 {
		t.Fatalf("nobody's swap: status %d: %s", r.status, r.stderr)
	}
	if st, err := os.Lstat(pidfile); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("app.pid is %v (%v), want the symbolic link nobody made", st, err)
	}

	const link = "is a symbolic link"
	want(t, "--status", gd(t, dir, runOptions{}, "--status", "-p", pidfile), 4, "stdout", link)
	want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 4, "stderr", link)
	want(t, "--signal HUP", gd(t, dir, runOptions{}, "--signal", "HUP", "-p", pidfile), 4, "stderr", link)
	if !alive(t, other, victim) {
		t.Error("the other root daemon was killed through the link")
	}
	if !alive(t, dir, daemon) {
		t.Error("nobody's daemon was signalled, though its pidfile is gone")
	}
	want(t, "--stop of the other daemon", gd(t, other, runOptions{}, "--stop", "-p", otherPidfile), 0, "stdout", fmt.Sprintf(`^stopped \(pid %d\)\n$`, victim))
}

// 3. A pidfile the -u user made huge and sparse costs gdaemonize a few
// bytes of reading, not the file's size in memory; it is not a pidfile,
// and it stays.
func TestGdaemonizeHugePidfile(t *testing.T) {
	dir := tempDir(t)
	pidfile := filepath.Join(dir, "app.pid")
	const size = 3 << 30
	if err := os.WriteFile(pidfile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(pidfile, size); err != nil {
		t.Fatal(err)
	}
	const maxRSS = 64 << 10 // KiB
	for _, c := range []struct {
		args   []string
		status int
		stream string
	}{
		{[]string{"--status"}, 4, "stdout"},
		{[]string{"--stop"}, 4, "stderr"},
		{append([]string{"--"}, helperArgs("sleep", dir)...), 125, "stderr"},
	} {
		r, ps := gdState(t, dir, runOptions{}, append([]string{"-p", pidfile}, c.args...)...)
		want(t, c.args[0], r, c.status, c.stream, "not a pidfile: it holds more than a PID")
		if rss := ps.SysUsage().(*syscall.Rusage).Maxrss; rss > maxRSS {
			t.Errorf("%s: gdaemonize's largest resident set was %d KiB, want at most %d", c.args[0], rss, maxRSS)
		}
	}
	if st, err := os.Stat(pidfile); err != nil || st.Size() != size {
		t.Errorf("the pidfile is now %v (%v), want it left as it was", st, err)
	}
}

// 4. What mallory can leave at a pidfile's path in a sticky directory
// anyone may write to: a FIFO (which would hang whoever opens it for
// reading), a hard link to her own file, and a file that is no pidfile at
// all (an admin's mistake: --pidfile important.conf). Every command refuses
// it, saying what it is, and leaves it as it was.
func TestGdaemonizeStickyDirTraps(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		name string
		// setup makes the trap and returns the pidfile, and what else to
		// check once the commands have run (nil: nothing).
		setup func(t *testing.T, dir string) (pidfile string, check func())
		why   string
	}{
		{"FIFO", func(t *testing.T, dir string) (string, func()) {
			if r := runWith(t, dir, runOptions{cred: mallory}, "mkfifo", "app.pid"); r.status != 0 {
				t.Fatalf("mallory's mkfifo: %d %s", r.status, r.stderr)
			}
			return filepath.Join(dir, "app.pid"), nil
		}, "is a FIFO"},
		{"hard link", func(t *testing.T, dir string) (string, func()) {
			// Her file names a process of root's: a --stop that followed
			// the link would kill it.
			victimDir := subdir(t, dir, "victim", 0o755)
			cmd := exec.Command(testutil.HelperName)
			cmd.Args = helperArgs("sleep", victimDir)
			startBackground(t, cmd, nil)
			victim := readyPID(t, victimDir, testutil.Watch(t, cmd.Process.Pid))
			line := fmt.Sprintf("echo %d > mine && ln mine app.pid", victim)
			if r := runWith(t, dir, runOptions{cred: mallory}, "sh", "-c", line); r.status != 0 {
				t.Fatalf("mallory's link: %d %s", r.status, r.stderr)
			}
			return filepath.Join(dir, "app.pid"), func() {
				if !alive(t, victimDir, victim) {
					t.Error("the process mallory's file names was killed")
				}
			}
		}, "is hard-linked"},
		{"not a pidfile", func(t *testing.T, dir string) (string, func()) {
			conf := filepath.Join(dir, "important.conf")
			if err := os.WriteFile(conf, []byte("listen = 127.0.0.1:8080\nworkers = 4\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return conf, nil
		}, "not a pidfile"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			chmod(t, dir, 0o1777)
			tag := tagEnv(dir)
			killTaggedAtCleanup(t, tag)
			pidfile, check := c.setup(t, dir)
			before, err := os.Lstat(pidfile)
			if err != nil {
				t.Fatal(err)
			}
			content := ""
			if before.Mode().IsRegular() {
				content = readFile(t, pidfile)
			}
			daemonDir := subdir(t, dir, "d", 0o755)
			o := runOptions{env: []string{tag}}
			want(t, "start", gd(t, dir, o, append([]string{"-p", pidfile, "--"}, helperArgs("sleep", daemonDir)...)...), 125, "stderr", c.why)
			want(t, "--status", gd(t, dir, o, "--status", "-p", pidfile), 4, "stdout", c.why)
			want(t, "--stop", gd(t, dir, o, "--stop", "-p", pidfile), 4, "stderr", c.why)
			noneTagged(t, tag)
			if check != nil {
				check()
			}
			after, err := os.Lstat(pidfile)
			switch {
			case err != nil:
				t.Fatalf("the %s is gone: %v", c.name, err)
			case after.Mode() != before.Mode() || !os.SameFile(before, after) ||
				after.Sys().(*syscall.Stat_t).Uid != before.Sys().(*syscall.Stat_t).Uid ||
				after.Sys().(*syscall.Stat_t).Nlink != before.Sys().(*syscall.Stat_t).Nlink:
				t.Errorf("the %s changed: %v, was %v", c.name, after, before)
			case before.Mode().IsRegular() && readFile(t, pidfile) != content:
				t.Errorf("its content changed to %q, was %q", readFile(t, pidfile), content)
			}
		})
	}
}

// 5. Concurrent stops and starts: 200 rounds of a --stop and a start
// started together. After each, the daemons that run must be exactly those
// --status names (status 0), or none (status 3): never one that no pidfile
// tracks. Neither command may lie or give up on the other: the stop exits
// 0, the start 0 or 1, and "already running" or "stopped" names a process.
func TestGdaemonizeStopStartStorm(t *testing.T) {
	const rounds = 200
	dir := tempDir(t)
	tag := tagEnv(dir)
	killTaggedAtCleanup(t, tag)
	pidfile := filepath.Join(dir, "app.pid")
	daemonDir := subdir(t, dir, "d", 0o755)
	begin := time.Now()
	var untracked, stopFailed, startFailed, phantom []string
	outcomes := map[string]int{}
	for i := range rounds {
		stop, _ := gdStart(t, dir, runOptions{}, "--stop", "-p", pidfile)
		start, _ := gdStart(t, dir, runOptions{env: []string{tag}}, append([]string{"-p", pidfile, "--"}, helperArgs("sleep", daemonDir)...)...)
		rStop, _ := stop()
		rStart, _ := start()
		settle(t, tag)
		daemons := taggedDaemons(tag)
		rStatus := gd(t, dir, runOptions{}, "--status", "-p", pidfile)
		named := namedPIDs(rStatus.stdout)
		outcomes[fmt.Sprintf("stop %d, start %d, status %d", rStop.status, rStart.status, rStatus.status)]++
		round := fmt.Sprintf("round %d: stop %d %q, start %d %q, then --status %d %q with daemons %v",
			i, rStop.status, rStop.stderr, rStart.status, rStart.stderr, rStatus.status, rStatus.stdout, daemons)
		if !(rStatus.status == 0 && len(daemons) > 0 && slices.Equal(named, daemons) || rStatus.status == 3 && len(daemons) == 0) {
			untracked = append(untracked, round)
		}
		if rStop.status != 0 {
			stopFailed = append(stopFailed, round)
		}
		if rStart.status != 0 && rStart.status != 1 {
			startFailed = append(startFailed, round)
		}
		if strings.Contains(rStart.stderr+rStop.stdout, "(no process found)") {
			phantom = append(phantom, round)
		}
	}
	t.Logf("%d rounds in %v: %v", rounds, time.Since(begin).Round(time.Millisecond), outcomes)
	report := func(what string, rounds_ []string) {
		if len(rounds_) > 0 {
			t.Errorf("%d of %d rounds: %s; the first:\n%s", len(rounds_), rounds, what, strings.Join(rounds_[:min(3, len(rounds_))], "\n"))
		}
	}
	report("the daemons that run are not what --status says (an untracked daemon, or a stale pidfile)", untracked)
	report("--stop failed while a start was under way", stopFailed)
	report("the start failed while a stop was under way", startFailed)
	report("\"already running\" or \"stopped\" said of no process", phantom)
	want(t, "the last --stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", "^(stopped|not running)")
	leftAfterStop(t, tag)
}

// leftAfterStop fails the test if daemons tagged tag still run after a
// --stop that has returned, which waits for them to exit (the cleanup kills
// them).
func leftAfterStop(t *testing.T, tag string) {
	t.Helper()
	if left := taggedDaemons(tag); len(left) > 0 {
		t.Errorf("daemons still run after the last --stop: %s", describeProcs(left))
	}
}

// settle waits until no gdaemonize with tag runs any more: a session stage
// outlives its launcher when the launcher is killed.
func settle(t *testing.T, tag string) {
	t.Helper()
	testutil.WaitFor(t, "the tagged gdaemonize processes to end", func() bool {
		return len(tagged(tag)) == len(taggedDaemons(tag))
	})
}

// 5b. Concurrent restarts of the example init script (docs/examples), as
// two admins or an admin and a configuration tool issue them: 50 rounds of
// two restarts at once. Each must succeed, and after each round exactly one
// daemon runs, the one --status names.
func TestGdaemonizeRestartStorm(t *testing.T) {
	const rounds = 50
	dir := tempDir(t)
	tag := tagEnv(dir)
	killTaggedAtCleanup(t, tag)
	script, err := filepath.Abs("../docs/examples/init.d/gdetach-example")
	if err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(dir, "example.pid")
	daemonDir := subdir(t, dir, "d", 0o755)
	env := append(os.Environ(), tag, "PIDFILE="+pidfile, "LOGFILE="+filepath.Join(dir, "example.log"),
		"DAEMON="+testutil.HelperName, "DAEMON_ARGS="+strings.Join(helperArgs("sleep", daemonDir)[1:], " "), "STOP_TIMEOUT=5s")
	action := func(verb string) *exec.Cmd {
		cmd := exec.Command("sh", script, verb)
		cmd.Dir, cmd.Env = dir, env
		return cmd
	}
	wait, _ := startWatched(t, action("start"))
	if r, _ := wait(); r.status != 0 {
		t.Fatalf("start: status %d: %s%s", r.status, r.stdout, r.stderr)
	}
	begin := time.Now()
	var wrong, failed, phantom []string
	for i := range rounds {
		wait0, _ := startWatched(t, action("restart"))
		wait1, _ := startWatched(t, action("restart"))
		r0, _ := wait0()
		r1, _ := wait1()
		settle(t, tag)
		daemons := taggedDaemons(tag)
		r := gd(t, dir, runOptions{}, "--status", "-p", pidfile)
		round := fmt.Sprintf("round %d: restarts %d %q and %d %q, then --status %d %q with daemons %v", i,
			r0.status, r0.stdout+r0.stderr, r1.status, r1.stdout+r1.stderr, r.status, r.stdout, daemons)
		if len(daemons) != 1 || r.status != 0 || !slices.Equal(namedPIDs(r.stdout), daemons) {
			wrong = append(wrong, round)
		}
		if r0.status != 0 || r1.status != 0 {
			failed = append(failed, round)
		}
		if strings.Contains(r0.stdout+r1.stdout, "(no process found)") {
			phantom = append(phantom, round)
		}
	}
	t.Logf("%d rounds in %v", rounds, time.Since(begin).Round(time.Millisecond))
	if len(wrong) > 0 {
		t.Errorf("%d of %d rounds did not end with exactly one daemon, the one --status names; the first:\n%s", len(wrong), rounds, strings.Join(wrong[:min(3, len(wrong))], "\n"))
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d rounds had a restart fail; the first:\n%s", len(failed), rounds, strings.Join(failed[:min(3, len(failed))], "\n"))
	}
	if len(phantom) > 0 {
		t.Errorf("%d of %d rounds had a restart say \"stopped\" of no process; the first:\n%s", len(phantom), rounds, strings.Join(phantom[:min(3, len(phantom))], "\n"))
	}
	wait, _ = startWatched(t, action("stop"))
	if r, _ := wait(); r.status != 0 {
		t.Errorf("stop: status %d: %s%s", r.status, r.stdout, r.stderr)
	}
	leftAfterStop(t, tag)
}

// answers reports whether the serve helper's port takes a connection and
// says "ok".
func answers(port string) bool {
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		return false
	}
	defer c.Close()
	b, _ := io.ReadAll(c)
	return string(b) == "ok\n"
}

// 6. The commonest init-script shape: a wrapper script that runs the
// server without exec. The shell and the server both hold the lock, so
// both are the daemon: --status names both, --stop stops both, and the next
// start finds the port free. start-stop-daemon, which knows only the
// pidfile's PID, is the control: it kills the shell and leaves the server
// answering.
func TestGdaemonizeWrapperScript(t *testing.T) {
	start := func(t *testing.T, dir, pidfile string) (sh, server int, port string) {
		t.Helper()
		for _, name := range []string{"pid", "port"} {
			os.Remove(filepath.Join(dir, name)) // a previous server's
		}
		want(t, "start", gd(t, dir, runOptions{}, "-p", pidfile, "--", "sh", "-c", helperLine("serve", dir)+" ; true"), 0, "stderr", "^$")
		sh = pidfilePID(t, pidfile)
		server = readyPID(t, dir, testutil.Watch(t, sh))
		killAtCleanup(t, server)
		port = readFile(t, filepath.Join(dir, "port"))
		if !answers(port) {
			t.Fatal("the server does not answer")
		}
		return sh, server, port
	}

	t.Run("gdaemonize", func(t *testing.T) {
		dir := tempDir(t)
		pidfile := filepath.Join(dir, "app.pid")
		sh, server, port := start(t, dir, pidfile)
		r := gd(t, dir, runOptions{}, "--status", "-p", pidfile)
		if both := []int{min(sh, server), max(sh, server)}; r.status != 0 || !slices.Equal(namedPIDs(r.stdout), both) {
			t.Errorf("--status: %d %q; want 0 naming the shell %d and the server %d", r.status, r.stdout, sh, server)
		}
		want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", "^stopped ")
		waitGone(t, sh)
		waitGone(t, server)
		if answers(port) {
			t.Error("the server still answers after --stop")
		}
		sh, server, _ = start(t, dir, pidfile) // the port is free, the pidfile too
		want(t, "--stop after the new start", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", "^stopped ")
		waitGone(t, sh)
		waitGone(t, server)
	})

	t.Run("control: start-stop-daemon", func(t *testing.T) {
		ssd, err := exec.LookPath("start-stop-daemon")
		if err != nil {
			if ssd, err = exec.LookPath("/sbin/start-stop-daemon"); err != nil {
				t.Skip("start-stop-daemon (dpkg) is not installed")
			}
		}
		dir := tempDir(t)
		pidfile := filepath.Join(dir, "app.pid")
		sh, server, port := start(t, dir, pidfile)
		if r := runWith(t, dir, runOptions{}, ssd, "--stop", "--pidfile", pidfile); r.status != 0 {
			t.Fatalf("start-stop-daemon --stop: status %d: %s%s", r.status, r.stdout, r.stderr)
		}
		waitGone(t, sh)
		if !answers(port) {
			t.Fatal("the server stopped answering: start-stop-daemon stopped it, the control proves nothing")
		}
		// The server still holds the lock: gdaemonize finds it and stops it.
		want(t, "--stop after start-stop-daemon", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", fmt.Sprintf(`^stopped \(pid %d\)`, server))
		waitGone(t, server)
	})
}

// 7. A command that daemonizes itself (nginx without `daemon off`): the
// daemon helper starts the real daemon in a session of its own, which keeps
// the lock descriptor, and exits 0. The lock knows the real daemon: --status
// names it and says the pidfile's PID has exited, --stop stops it. Under
// --notify-await the start fails, says the command daemonized itself and
// what holds the lock, and leaves nothing running and no pidfile.
func TestGdaemonizeSelfDaemonizing(t *testing.T) {
	t.Run("status and stop", func(t *testing.T) {
		dir := tempDir(t)
		pidfile := filepath.Join(dir, "gd.pid") // the helper writes its own app.pid
		want(t, "start", gd(t, dir, runOptions{}, append([]string{"-p", pidfile, "--"}, helperArgs("daemon", dir)...)...), 0, "stderr", "^$")
		first := pidfilePID(t, pidfile)
		forked := readyPID(t, dir)
		killAtCleanup(t, forked)
		waitGone(t, first)
		want(t, "--status", gd(t, dir, runOptions{}, "--status", "-p", pidfile), 0, "stdout",
			fmt.Sprintf(`^running \(pid %d\): the pidfile's pid %d has exited`, forked, first))
		want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", fmt.Sprintf(`^stopped \(pid %d\)\n$`, forked))
		waitGone(t, forked)
		if _, err := os.Lstat(pidfile); !os.IsNotExist(err) {
			t.Errorf("--stop left the pidfile (%v)", err)
		}
	})

	t.Run("--notify-await", func(t *testing.T) {
		dir := tempDir(t)
		tag := tagEnv(dir)
		killTaggedAtCleanup(t, tag)
		pidfile := filepath.Join(dir, "gd.pid")
		r := gd(t, dir, runOptions{env: []string{tag}}, append([]string{"--notify-await", "-p", pidfile, "--"}, helperArgs("daemon", dir)...)...)
		forked, err := testutil.ReadPIDFile(filepath.Join(dir, "app.pid"))
		if err != nil {
			t.Fatalf("the helper did not say what it forked: %v (gdaemonize: %d %q)", err, r.status, r.stderr)
		}
		want(t, "start", r, 125, "stderr", fmt.Sprintf(`exited with status 0 before it was ready; what it started \(pid %d\) still holds the lock: the command daemonized itself`, forked))
		noneTagged(t, tag)
		if _, err := os.Lstat(pidfile); !os.IsNotExist(err) {
			t.Errorf("the failed start left the pidfile (%v)", err)
		}
	})
}

// 8. No start leaves anything behind: not a daemon that forked children
// and never said READY=1, not when the session stage is killed (KILL or
// TERM) while it waits for READY=1. None of the daemon's processes runs
// afterwards, there is no pidfile, and the notify socket's directory is
// gone (TMPDIR points it into the test's directory, so that it is found).
func TestGdaemonizeFailedStartLeavesNothing(t *testing.T) {
	setup := func(t *testing.T) (dir, tag, pidfile string, env []string, argv []string) {
		dir = tempDir(t)
		tag = tagEnv(dir)
		killTaggedAtCleanup(t, tag)
		tmp := subdir(t, dir, "tmp", 0o700)
		for _, d := range []string{"a", "b"} {
			subdir(t, dir, d, 0o755)
		}
		line := fmt.Sprintf("%s & %s & exec %s", helperLine("sleep", filepath.Join(dir, "a")), helperLine("sleep", filepath.Join(dir, "b")), helperLine("sleep", dir))
		pidfile = filepath.Join(dir, "app.pid")
		return dir, tag, pidfile, []string{tag, "TMPDIR=" + tmp}, []string{"--notify-await", "-p", pidfile, "--", "sh", "-c", line}
	}
	nothingLeft := func(t *testing.T, dir, tag, pidfile string) {
		t.Helper()
		noneTagged(t, tag)
		if _, err := os.Lstat(pidfile); !os.IsNotExist(err) {
			t.Errorf("a pidfile was left behind (%v): %q", err, readFile(t, pidfile))
		}
		if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) > 0 {
			t.Errorf("temporary files were left behind: %v", left)
		}
	}

	t.Run("never ready", func(t *testing.T) {
		dir, tag, pidfile, env, argv := setup(t)
		timeout := (2 * time.Second * testutil.Scale()).String()
		r := gd(t, dir, runOptions{env: env}, append([]string{"--notify-timeout", timeout}, argv...)...)
		want(t, "start", r, 125, "stderr", `not ready \(no READY=1\) within `+timeout)
		nothingLeft(t, dir, tag, pidfile)
		for _, d := range []string{"a", "b", "."} {
			if _, err := os.Stat(filepath.Join(dir, d, "pid")); err != nil {
				t.Skipf("the daemon's children had not started when the notify timeout passed (%v): nothing was proved; raise GDETACH_TEST_TIMEOUT_SCALE", err)
			}
		}
	})

	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run("session stage killed by "+unix.SignalName(sig), func(t *testing.T) {
			dir, tag, pidfile, env, argv := setup(t)
			wait, pid := gdStart(t, dir, runOptions{env: env}, argv...)
			launcher := testutil.Watch(t, pid)
			for _, d := range []string{"a", "b", "."} {
				readyPID(t, filepath.Join(dir, d), launcher)
			}
			kids, _ := testutil.Children(launcher.PID)
			if len(kids) != 1 {
				t.Fatalf("gdaemonize %d has children %v, want one: the session stage", launcher.PID, kids)
			}
			if st := mustStat(t, kids[0]); st.SID != kids[0] {
				t.Fatalf("gdaemonize's child %d is in session %d, not a session of its own: not the session stage", kids[0], st.SID)
			}
			if err := testutil.Watch(t, kids[0]).Signal(sig); err != nil {
				t.Fatal(err)
			}
			r, _ := wait()
			if r.status == 0 {
				t.Errorf("gdaemonize exited 0 though its session stage was killed (stderr %q)", r.stderr)
			}
			t.Logf("gdaemonize: status %d, stderr %q", r.status, r.stderr)
			nothingLeft(t, dir, tag, pidfile)
		})
	}
}

// 9. Truth in every state. A daemon that closed its lock descriptor is
// alive but unlocked: --status cannot vouch for it (4, saying why), and
// --stop, on a pidfile only root could have written, signals it. A daemon
// started with -l, asked about without it, is not "dead". A missing lock
// file means nothing runs. A pidfile this user cannot read is "cannot
// tell", for --stop too.
func TestGdaemonizeTruth(t *testing.T) {
	t.Run("daemon closed its lock descriptor", func(t *testing.T) {
		dir := tempDir(t)
		pidfile := filepath.Join(dir, "app.pid")
		want(t, "start", gd(t, dir, runOptions{}, append([]string{"-p", pidfile, "--"}, helperArgs("unlock", dir)...)...), 0, "stderr", "^$")
		pid := pidfilePID(t, pidfile)
		if ready := readyPID(t, dir); ready != pid { // its descriptor 3 is closed from here on
			t.Fatalf("the pidfile names %d, the daemon is %d", pid, ready)
		}
		if fds := fdTargets(t, pid); fds[3] != "" {
			t.Fatalf("the daemon still has descriptor 3 (%s)", fds[3])
		}
		want(t, "--status", gd(t, dir, runOptions{}, "--status", "-p", pidfile), 4, "stdout",
			fmt.Sprintf(`^status unknown: .*pid %d runs but does not hold the lock`, pid))
		want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", fmt.Sprintf(`^stopped \(pid %d\)\n$`, pid))
		waitGone(t, pid)
		if _, err := os.Lstat(pidfile); !os.IsNotExist(err) {
			t.Errorf("--stop left the pidfile (%v)", err)
		}
	})

	t.Run("started with -l, asked without", func(t *testing.T) {
		dir := tempDir(t)
		pidfile, lock := filepath.Join(dir, "app.pid"), filepath.Join(dir, "app.lock")
		pid := startDaemon(t, dir, pidfile, "-l", lock)
		want(t, "--status without -l", gd(t, dir, runOptions{}, "--status", "-p", pidfile), 4, "stdout",
			fmt.Sprintf(`^status unknown: .*pid %d runs but does not hold the lock`, pid))
		want(t, "--status with -l", gd(t, dir, runOptions{}, "--status", "-p", pidfile, "-l", lock), 0, "stdout", fmt.Sprintf(`^running \(pid %d\)\n$`, pid))
		want(t, "--stop with -l", gd(t, dir, runOptions{}, "--stop", "-p", pidfile, "-l", lock), 0, "stdout", fmt.Sprintf(`^stopped \(pid %d\)\n$`, pid))
		waitGone(t, pid)
	})

	t.Run("lock file missing", func(t *testing.T) {
		dir := tempDir(t)
		pidfile, lock := filepath.Join(dir, "app.pid"), filepath.Join(dir, "app.lock")
		pid := startDaemon(t, dir, pidfile, "-l", lock)
		p := testutil.Watch(t, pid)
		_ = p.Signal(syscall.SIGKILL)
		p.WaitExit(t)
		if err := os.Remove(lock); err != nil {
			t.Fatal(err)
		}
		want(t, "--status", gd(t, dir, runOptions{}, "--status", "-p", pidfile, "-l", lock), 3, "stdout", "^not running\n$")
		want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile, "-l", lock), 0, "stdout", "^not running")
	})

	t.Run("pidfile unreadable", func(t *testing.T) {
		needRoot(t)
		dir := tempDir(t)
		chmod(t, dir, 0o755)
		pidfile := filepath.Join(dir, "app.pid")
		pid := startDaemon(t, dir, pidfile)
		chmod(t, pidfile, 0o600)
		const denied = "(?i)permission denied"
		want(t, "mallory's --status", gd(t, dir, runOptions{cred: mallory}, "--status", "-p", pidfile), 4, "stdout", denied)
		want(t, "mallory's --stop", gd(t, dir, runOptions{cred: mallory}, "--stop", "-p", pidfile), 4, "stderr", denied)
		if !alive(t, dir, pid) {
			t.Error("the daemon did not survive mallory's --stop")
		}
		want(t, "root's --stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", fmt.Sprintf(`^stopped \(pid %d\)\n$`, pid))
		waitGone(t, pid)
	})
}

// 10. A reload: --signal alone sends the signal to the running daemon and
// returns 0, the daemon running on; a stopped service is 7 (LSB's "not
// running"); --signal means nothing with --status.
func TestGdaemonizeReload(t *testing.T) {
	dir := tempDir(t)
	pidfile := filepath.Join(dir, "app.pid")
	want(t, "start", gd(t, dir, runOptions{}, append([]string{"-p", pidfile, "--"}, helperArgs("sleep", dir, "--catch-hup")...)...), 0, "stderr", "^$")
	pid := pidfilePID(t, pidfile)
	readyPID(t, dir) // SIGHUP is caught from here on

	want(t, "--signal HUP", gd(t, dir, runOptions{}, "--signal", "HUP", "-p", pidfile), 0, "stdout", "^$")
	waitAlive(t, pid, "the daemon to record the HUP in DIR/hups", func() bool { return countLines(filepath.Join(dir, "hups")) == 1 })
	if !alive(t, dir, pid) {
		t.Error("the daemon did not survive its reload")
	}
	want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", "^stopped ")
	waitGone(t, pid)
	want(t, "--signal HUP, stopped", gd(t, dir, runOptions{}, "--signal", "HUP", "-p", pidfile), 7, "stderr", "not running")
	want(t, "--status --signal HUP", gd(t, dir, runOptions{}, "--status", "--signal", "HUP", "-p", pidfile), 125, "stderr",
		"^gdaemonize: --signal cannot be used with --status\nTry 'gdaemonize --help' for more information.\n$")
}

// 11. An empty value is a mistake (an unset shell variable), never a way
// to leave an option out: an empty -u must not run the daemon as root, and
// --stop with an empty -p must not be a stop that does nothing and says 0.
func TestGdaemonizeEmptyValues(t *testing.T) {
	const try = "\nTry 'gdaemonize --help' for more information.\n$"
	var cases []cliCase
	for _, c := range []struct {
		option, long string
		mode         []string
	}{
		{"-u", "user", nil}, {"-p", "pidfile", nil}, {"-l", "lockfile", nil}, {"-o", "stdout", nil},
		{"-e", "stderr", nil}, {"-c", "chdir", nil}, {"--env-file", "env-file", nil},
		{"-p", "pidfile", []string{"--stop"}}, {"-p", "pidfile", []string{"--status"}}, {"--pidfile=", "pidfile", []string{"--stop"}},
	} {
		words := append(slices.Clone(c.mode), c.option)
		if !strings.HasSuffix(c.option, "=") {
			words = append(words, "")
		}
		if c.mode == nil {
			words = append(words, "--", "sleep", "60")
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		cases = append(cases, cliCase{
			name:     strings.Join(quoted, " "),
			args:     args(words...),
			env:      []string{"GDETACH_TEST_TAG=DIR"},
			status:   125,
			stderrRE: fmt.Sprintf("^gdaemonize: invalid argument '' for '--%s': cannot be empty%s", c.long, try),
			after: func(t *testing.T, dir string) {
				if left := tagged(tagEnv(dir)); len(left) > 0 {
					t.Errorf("processes left running: %s", describeProcs(left))
				}
			},
		})
	}
	runCLI(t, "gdaemonize", cases)
}

// sdNotify sends msg, as one datagram, to the notify socket at path from
// this process (outside any daemon's tree), then a BARRIER=1 with a pipe's
// write end, as sd_notify_barrier(3) does, and waits until the reader has
// closed it: every earlier datagram has then been read.
func sdNotify(t *testing.T, path, msg string) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrUnix{Name: path}
	if err := unix.Sendto(fd, []byte(msg), 0, to); err != nil {
		t.Fatalf("send %q: %v", msg, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err = unix.Sendmsg(fd, []byte("BARRIER=1"), unix.UnixRights(int(w.Fd())), to, 0)
	w.Close()
	if err != nil {
		t.Fatalf("send BARRIER=1: %v", err)
	}
	r.SetReadDeadline(testutil.Deadline(t))
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("wait for the barrier: %v", err)
	}
}

// notifySocket is the NOTIFY_SOCKET in the environment of process pid.
func notifySocket(t *testing.T, pid int) string {
	t.Helper()
	for _, kv := range procStrings(t, pid, "environ") {
		if v, ok := strings.CutPrefix(kv, "NOTIFY_SOCKET="); ok {
			return v
		}
	}
	t.Fatalf("no NOTIFY_SOCKET in the environment of %d", pid)
	return ""
}

// 12. --notify-await speaks sd_notify as systemd does: systemd-notify's
// BARRIER=1 is answered, MAINPID= names the daemon, ERRNO= and STATUS= say
// why a start failed, EXTEND_TIMEOUT_USEC= extends the wait, and only the
// daemon's tree is heard.
func TestGdaemonizeSdNotify(t *testing.T) {
	t.Run("systemd-notify --ready", func(t *testing.T) {
		if _, err := exec.LookPath("systemd-notify"); err != nil {
			t.Skip("systemd-notify (systemd) is not installed")
		}
		const runs = 20
		dir := tempDir(t)
		var failed []string
		for i := range runs {
			sub := subdir(t, dir, strconv.Itoa(i), 0o755)
			pidfile, status := filepath.Join(sub, "app.pid"), filepath.Join(sub, "notify.status")
			line := fmt.Sprintf("systemd-notify --ready; echo $? > %s; exec %s", status, helperLine("sleep", sub))
			r := gd(t, sub, runOptions{}, "--notify-await", "-p", pidfile, "--", "sh", "-c", line)
			notified := "(no status: killed)"
			if r.status == 0 {
				daemon := readyPID(t, sub) // after the echo
				killAtCleanup(t, daemon)
				notified = strings.TrimSpace(readFile(t, status))
				want(t, "--stop", gd(t, sub, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", fmt.Sprintf(`^stopped \(pid %d\)\n$`, daemon))
				waitGone(t, daemon)
			} else if b, err := os.ReadFile(status); err == nil {
				notified = strings.TrimSpace(string(b))
			}
			if r.status != 0 || notified != "0" {
				failed = append(failed, fmt.Sprintf("run %d: gdaemonize %d %q, systemd-notify %s", i, r.status, r.stderr, notified))
			}
		}
		if len(failed) > 0 {
			t.Errorf("%d of %d runs failed:\n%s", len(failed), runs, strings.Join(failed, "\n"))
		}
	})

	t.Run("MAINPID", func(t *testing.T) {
		dir := tempDir(t)
		pidfile := filepath.Join(dir, "app.pid")
		r := gd(t, dir, runOptions{}, append([]string{"--notify-await", "-p", pidfile, "--"}, helperArgs("sdnotify", dir, "child", "MAINPID=$CHILD", "READY=1")...)...)
		if r.status != 0 {
			t.Fatalf("start: status %d, stderr %q", r.status, r.stderr)
		}
		parent := readyPID(t, dir)
		killAtCleanup(t, parent)
		child := readyPID(t, filepath.Join(dir, "child"))
		killAtCleanup(t, child)
		if got, err := testutil.ReadPIDFile(pidfile); err != nil || got != child {
			t.Errorf("the pidfile names %d (%v), want MAINPID's %d (the process started is %d)", got, err, child, parent)
		}
		want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", "^stopped ")
		waitGone(t, child)
		waitGone(t, parent)
	})

	t.Run("ERRNO and STATUS", func(t *testing.T) {
		dir := tempDir(t)
		tag := tagEnv(dir)
		killTaggedAtCleanup(t, tag)
		pidfile := filepath.Join(dir, "app.pid")
		r := gd(t, dir, runOptions{env: []string{tag}}, append([]string{"--notify-await", "-p", pidfile, "--"}, helperArgs("sdnotify", dir, "STATUS=loading", "ERRNO=2", "exit:1")...)...)
		want(t, "start", r, 125, "stderr", `(?i)exit status 1 before it was ready \(STATUS=loading; ERRNO=2: no such file or directory\)`)
		noneTagged(t, tag)
		if _, err := os.Lstat(pidfile); !os.IsNotExist(err) {
			t.Errorf("the failed start left the pidfile (%v)", err)
		}
	})

	t.Run("EXTEND_TIMEOUT_USEC", func(t *testing.T) {
		dir := tempDir(t)
		pidfile := filepath.Join(dir, "app.pid")
		timeout := 3 * time.Second * testutil.Scale()
		wait, pid := gdStart(t, dir, runOptions{}, append([]string{"--notify-await", "--notify-timeout", timeout.String(), "-p", pidfile, "--"},
			helperArgs("sdnotify", dir, "EXTEND_TIMEOUT_USEC=3600000000", "await:go", "READY=1")...)...)
		launcher := testutil.Watch(t, pid)
		daemon := readyPID(t, dir, launcher)
		killAtCleanup(t, daemon)
		// The daemon started after gdaemonize's wait did: once this much
		// has passed since, --notify-timeout has too, with room to spare.
		if launcher.Exited(t, timeout*3/2) {
			r, _ := wait()
			t.Fatalf("gdaemonize gave up before the extended timeout: status %d, stderr %q", r.status, r.stderr)
		}
		if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		r, _ := wait()
		want(t, "start", r, 0, "stderr", "^$")
		if got := pidfilePID(t, pidfile); got != daemon {
			t.Errorf("the pidfile names %d, the daemon is %d", got, daemon)
		}
		want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", "^stopped ")
		waitGone(t, daemon)
	})

	// The test itself sends READY=1 (and its barrier, to know it was read)
	// to the daemon's NOTIFY_SOCKET; then the daemon goes on.
	for _, c := range []struct {
		name   string
		then   string // the daemon's step once the test's READY=1 was read
		status int
		stderr string
	}{
		{"READY=1 from outside the tree, then the daemon's", "READY=1", 0, "^$"},
		{"READY=1 from outside the tree, then the daemon exits", "exit:7", 125, `exit status 7 before it was ready\n$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			tag := tagEnv(dir)
			killTaggedAtCleanup(t, tag)
			pidfile := filepath.Join(dir, "app.pid")
			wait, pid := gdStart(t, dir, runOptions{env: []string{tag}}, append([]string{"--notify-await", "-p", pidfile, "--"},
				helperArgs("sdnotify", dir, "await:go", c.then)...)...)
			launcher := testutil.Watch(t, pid)
			daemon := readyPID(t, dir, launcher)
			sdNotify(t, notifySocket(t, daemon), "READY=1")
			if launcher.Exited(t, 0) {
				r, _ := wait()
				t.Fatalf("gdaemonize returned on the READY=1 of a process outside the daemon's tree: status %d, stderr %q", r.status, r.stderr)
			}
			if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			r, _ := wait()
			want(t, "start", r, c.status, "stderr", c.stderr)
			if c.status != 0 {
				noneTagged(t, tag)
				return
			}
			if got := pidfilePID(t, pidfile); got != daemon {
				t.Errorf("the pidfile names %d, the daemon is %d", got, daemon)
			}
			want(t, "--stop", gd(t, dir, runOptions{}, "--stop", "-p", pidfile), 0, "stdout", "^stopped ")
			waitGone(t, daemon)
		})
	}
}

// kcmpFile is kcmp(2)'s KCMP_FILE: do two descriptors share one open file
// description?
const kcmpFile = 0

// sameOpenFile reports whether descriptors a and b of process pid are one
// open file description (dup'ed), by kcmp(2).
func sameOpenFile(t *testing.T, pid, a, b int) bool {
	t.Helper()
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(pid), uintptr(pid), kcmpFile, uintptr(a), uintptr(b), 0)
	if errno == unix.ENOSYS || errno == unix.EPERM {
		t.Skipf("kcmp(2): %v", errno)
	}
	if errno != 0 {
		t.Fatalf("kcmp(2) on %d: %v", pid, errno)
	}
	return r == 0
}

// 13. The environment and the files: --env-file's settings reach the
// daemon, -E overrides them, and -E PATH= is the PATH COMMAND is looked up
// in; -c is checked as the -u user; -o and -e naming one file by two paths
// share one open file, as 2>&1 would.
func TestGdaemonizeEnvAndFiles(t *testing.T) {
	t.Run("--env-file and -E", func(t *testing.T) {
		dir := tempDir(t)
		envFile := filepath.Join(dir, "app.env")
		if err := os.WriteFile(envFile, []byte("# the service's settings\nGREETING=from-file\nONLY_IN_FILE=kept\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		pid := startDaemon(t, dir, filepath.Join(dir, "app.pid"), "--env-file", envFile, "-E", "GREETING=from-flag")
		env := procStrings(t, pid, "environ")
		if !slices.Contains(env, "GREETING=from-flag") || !slices.Contains(env, "ONLY_IN_FILE=kept") || slices.Contains(env, "GREETING=from-file") {
			t.Errorf("environment %q: want ONLY_IN_FILE=kept from the file and GREETING=from-flag from -E, once", env)
		}
	})

	t.Run("-E PATH", func(t *testing.T) {
		dir := tempDir(t)
		bin := subdir(t, dir, "bin", 0o755)
		const name = "gdetach-only-here"
		script := fmt.Sprintf("#!/bin/sh\nexec %s sleep %s\n", filepath.Join(binDir, testutil.HelperName), dir)
		testutil.UsedHelpers("sleep")
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		pidfile := filepath.Join(dir, "app.pid")
		want(t, "control: without -E PATH", gd(t, dir, runOptions{}, "-p", pidfile, "--", name), 127, "stderr", "(?i)^gdaemonize: failed to run command '"+name+"': no such file or directory\n$")
		want(t, "start", gd(t, dir, runOptions{}, "-p", pidfile, "-E", "PATH="+bin, "--", name), 0, "stderr", "^$")
		pid := pidfilePID(t, pidfile)
		if ready := readyPID(t, dir); ready != pid {
			t.Errorf("the pidfile names %d, the daemon is %d", pid, ready)
		}
		if env := procStrings(t, pid, "environ"); !slices.Contains(env, "PATH="+bin) {
			t.Errorf("environment %q: want PATH=%s", env, bin)
		}
	})

	t.Run("-c as the -u user", func(t *testing.T) {
		needRoot(t)
		dir := tempDir(t)
		chmod(t, dir, 0o755)
		tag := tagEnv(dir)
		killTaggedAtCleanup(t, tag)
		private := subdir(t, dir, "private", 0o700)
		daemonDir := subdir(t, dir, "d", 0o777)
		pidfile := filepath.Join(dir, "app.pid")
		argv := append([]string{"-p", pidfile, "-c", private, "--"}, helperArgs("sleep", daemonDir)...)
		want(t, "-u nobody -c PRIVATE", gd(t, dir, runOptions{env: []string{tag}}, append([]string{"-u", "nobody"}, argv...)...), 125, "stderr",
			`(?i)permission denied.*nobody|nobody.*permission denied`)
		noneTagged(t, tag)
		if _, err := os.Lstat(pidfile); !os.IsNotExist(err) {
			t.Errorf("the failed start left the pidfile (%v)", err)
		}
		// Control: root may go there.
		want(t, "-c PRIVATE as root", gd(t, dir, runOptions{}, argv...), 0, "stderr", "^$")
		pid := pidfilePID(t, pidfile)
		if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != private {
			t.Errorf("cwd %s, want %s", cwd, private)
		}
	})

	t.Run("-o and -e, one file", func(t *testing.T) {
		dir := tempDir(t)
		out := filepath.Join(dir, "out.log")
		if err := os.Symlink(dir, filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			stderr string
			same   bool
		}{
			{filepath.Join(dir, "err.log"), false}, // control: two files are two open files
			{dir + "/./out.log", true},
			{filepath.Join(dir, "link", "out.log"), true},
		} {
			sub := subdir(t, dir, strconv.Itoa(i), 0o755)
			pid := startDaemon(t, sub, filepath.Join(sub, "app.pid"), "-o", out, "-e", c.stderr)
			if got := sameOpenFile(t, pid, 1, 2); got != c.same {
				t.Errorf("-o %s -e %s: one open file %v, want %v (fds %v)", out, c.stderr, got, c.same, fdTargets(t, pid))
			}
			want(t, "--stop", gd(t, sub, runOptions{}, "--stop", "-p", filepath.Join(sub, "app.pid")), 0, "stdout", "^stopped ")
			waitGone(t, pid)
		}
	})
}
