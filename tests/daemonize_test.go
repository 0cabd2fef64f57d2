//go:build linux

package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
)

// Started from an interactive shell, the daemon is what the double fork
// makes, and the hangup does not reach it.
func TestGdaemonizeFromTerminal(t *testing.T) {
	t.Run("control: plain job", func(t *testing.T) {
		dir := tempDir(t)
		tm := startTerm(t, dir)
		pid := tm.job(helperLine("sleep", dir)+" &", dir)
		tm.hangup()
		waitGone(t, pid)
	})
	t.Run("gdaemonize", func(t *testing.T) {
		dir := tempDir(t)
		pidfile, atReturn := filepath.Join(dir, "app.pid"), filepath.Join(dir, "at-return")
		tm := startTerm(t, dir)
		// What the pidfile says the moment gdaemonize has returned.
		tm.run("gdaemonize -p " + pidfile + " -- " + helperLine("sleep", dir) + " && cp " + pidfile + " " + atReturn)
		pid := readyPID(t, dir)
		killAtCleanup(t, pid)
		if got, err := testutil.ReadPIDFile(atReturn); err != nil || got != pid {
			t.Errorf("when gdaemonize returned the pidfile held %d (%v), the daemon is %d", got, err, pid)
		}
		bash := tm.sh.Process.Pid // the session leader of the terminal
		st := mustStat(t, pid)
		if st.SID == pid || st.SID == bash || st.TTYNr != 0 || st.PPID == bash {
			t.Errorf("daemon %d: sid %d, tty_nr %d, ppid %d (the caller, bash, is %d): want a new session it does not lead, no terminal, another parent",
				pid, st.SID, st.TTYNr, st.PPID, bash)
		}
		if cmdline := procStrings(t, pid, "cmdline"); !slices.Equal(cmdline, []string{"helper", "sleep", dir}) {
			t.Errorf("cmdline %q: want the command's own", cmdline)
		}
		if slices.ContainsFunc(procStrings(t, pid, "environ"), func(kv string) bool { return strings.Contains(kv, "DAEMONIZE_STAGE") }) {
			t.Error("the stage marker reached the daemon's environment")
		}
		tm.hangup()
		if !alive(t, dir, pid) {
			t.Error("the daemon did not survive the hangup")
		}
	})
}

// Whatever the caller leaves lying about (blocked and ignored signals, leaked
// descriptors, a tight umask, its working directory), the daemon starts clean.
// daemonize(1), given the same caller, is the control.
func TestGdaemonizeStartsClean(t *testing.T) {
	dirty := func(t *testing.T, dir string, args ...string) {
		t.Helper()
		r := runWith(t, dir, runOptions{}, append(helperArgs("dirty"), args...)...)
		if r.status != 0 {
			t.Fatalf("status %d: %s", r.status, r.stderr)
		}
	}
	t.Run("control: daemonize(1)", func(t *testing.T) {
		if _, err := exec.LookPath("daemonize"); err != nil {
			t.Skip("daemonize(1) is not installed (.ci/run installs it)")
		}
		dir := tempDir(t)
		pidfile := filepath.Join(dir, "app.pid")
		dirty(t, dir, "daemonize", "-p", pidfile, "/bin/sleep", "600")
		pid := pidfilePID(t, pidfile)
		asleep(t, pid)
		blk, _ := testutil.SignalMask(pid, "SigBlk")
		ign, _ := testutil.SignalMask(pid, "SigIgn")
		if blk == 0 && ign == 0 && len(fdTargets(t, pid)) <= 3 {
			t.Error("daemonize(1)'s daemon started clean: the control proves nothing")
		}
	})
	t.Run("gdaemonize", func(t *testing.T) {
		dir := tempDir(t)
		pidfile := filepath.Join(dir, "app.pid")
		dirty(t, dir, "gdaemonize", "-p", pidfile, "--", "sleep", "600")
		pid := pidfilePID(t, pidfile)
		asleep(t, pid)
		want := map[int]string{0: os.DevNull, 1: os.DevNull, 2: os.DevNull, 3: pidfile}
		if fds := fdTargets(t, pid); !mapsEqual(fds, want) {
			t.Errorf("descriptors %v, want %v", fds, want)
		}
		for _, mask := range []string{"SigBlk", "SigIgn"} {
			if m, err := testutil.SignalMask(pid, mask); err != nil || m != 0 {
				t.Errorf("%s %x (%v), want none", mask, m, err)
			}
		}
		if umask, _ := testutil.StatusField(pid, "Umask"); umask != "0022" {
			t.Errorf("umask %s, want the default 0022", umask)
		}
		if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != "/" {
			t.Errorf("cwd %s, want /", cwd)
		}
		if cmdline := procStrings(t, pid, "cmdline"); !slices.Equal(cmdline, []string{"sleep", "600"}) {
			t.Errorf("cmdline %q", cmdline)
		}
	})
}

// daemonize(1)'s options, and --umask, as the daemon sees them.
func TestGdaemonizeOptions(t *testing.T) {
	dir := tempDir(t)
	out, errf := filepath.Join(dir, "out.log"), filepath.Join(dir, "err.log")
	os.WriteFile(out, []byte("kept\n"), 0o644)
	os.WriteFile(errf, []byte("dropped\n"), 0o644)
	start := func(args ...string) int {
		t.Helper()
		pidfile := filepath.Join(dir, fmt.Sprintf("%d.pid", len(args)))
		r := runWith(t, dir, runOptions{}, append([]string{"gdaemonize", "-p", pidfile}, args...)...)
		if r.status != 0 {
			t.Fatalf("%q: status %d: %s", args, r.status, r.stderr)
		}
		return pidfilePID(t, pidfile)
	}

	pid := start("-a", "-o", out, "-c", dir, "--umask", "027", "-E", "GREETING=hello", "-E", "PATH=/usr/bin:/bin", "--", "sleep", "600")
	if fds := fdTargets(t, pid); fds[1] != out || fds[2] != os.DevNull {
		t.Errorf("-o: stdout %s, stderr %s", fds[1], fds[2])
	}
	if got := readFile(t, out); got != "kept\n" {
		t.Errorf("-a: the output file holds %q, want its old content kept", got)
	}
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != dir {
		t.Errorf("-c: cwd %s, want %s", cwd, dir)
	}
	if umask, _ := testutil.StatusField(pid, "Umask"); umask != "0027" {
		t.Errorf("--umask: %s, want 0027", umask)
	}
	env := procStrings(t, pid, "environ")
	if !slices.Contains(env, "GREETING=hello") || !slices.Contains(env, "PATH=/usr/bin:/bin") {
		t.Errorf("-E: environment %q", env)
	}

	pid = start("-o", errf, "-e", errf, "--", "sleep", "600")
	if fds := fdTargets(t, pid); fds[1] != errf || fds[2] != errf {
		t.Errorf("-o F -e F: stdout %s, stderr %s", fds[1], fds[2])
	}
	if got := readFile(t, errf); got != "" {
		t.Errorf("without -a the output file should be truncated, holds %q", got)
	}

	if os.Geteuid() != 0 {
		t.Skip("-u needs root")
	}
	pid = start("-u", "nobody", "--", "sleep", "600")
	if uid, _ := testutil.StatusField(pid, "Uid"); strings.Fields(uid)[0] != "65534" {
		t.Errorf("-u nobody: Uid %s", uid)
	}
	env = procStrings(t, pid, "environ")
	if !slices.Contains(env, "USER=nobody") || !slices.Contains(env, "LOGNAME=nobody") || !slices.Contains(env, "HOME=/nonexistent") {
		t.Errorf("-u nobody: environment %q", env)
	}
}

// Every bad start is reported with its status, and leaves no process and no
// pidfile behind. Unless a case names its own, the pidfile is DIR/app.pid.
func TestGdaemonizeCommandLine(t *testing.T) {
	const try = "\nTry 'gdaemonize --help' for more information.\n"
	cases := []cliCase{
		{name: "no operand", args: args(), status: 125,
			stderrRE: "^gdaemonize: missing operand" + try + "$"},
		{name: "not found", args: args("--", "gdetach-no-such-command"), status: 127,
			stderrRE: "^gdaemonize: failed to run command 'gdetach-no-such-command': No such file or directory\n$"},
		{name: "not executable", args: func(dir string) []string {
			os.WriteFile(dir+"/plain", []byte("true\n"), 0o644)
			return []string{dir + "/plain"}
		}, status: 126, stderrRE: "^gdaemonize: failed to run command 'DIR/plain': Permission denied\n$"},
		{name: "bad directory", args: func(dir string) []string { return []string{"-c", dir + "/missing", "sleep", "60"} }, status: 125,
			stderrRE: "^gdaemonize: change directory: stat DIR/missing: No such file or directory\n$"},
		{name: "unwritable output", args: func(dir string) []string { return []string{"-o", dir + "/missing/out.log", "sleep", "60"} }, status: 125,
			stderrRE: "^gdaemonize: open standard output: open DIR/missing/out.log: No such file or directory\n$"},
		{name: "unknown user", args: args("-u", "gdetach-no-such-user", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: unknown user 'gdetach-no-such-user'\n$"},
		{name: "-u without root", asNobody: true, args: args("-u", "root", "sleep", "60"), status: 125,
			stderrRE: `^gdaemonize: only root can run COMMAND as another user \(-u root\)\n$`},
		{name: "symlinked pidfile", args: func(dir string) []string {
			os.Symlink(dir+"/elsewhere", dir+"/app.pid")
			return []string{"-p", dir + "/app.pid", "sleep", "60"}
		}, status: 125, stderrRE: "^gdaemonize: pidfile: DIR/app.pid is a symbolic link, not a regular file\n$"},
		{name: "bad -E", args: args("-E", "NOEQUALS", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: invalid environment setting 'NOEQUALS': want NAME=VALUE\n$"},
		{name: "bad --umask", args: args("--umask", "999", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: invalid argument '999' for '--umask': want an octal mode from 000 to 777" + try + "$"},
		{name: "--status without --pidfile", args: args("--status"), status: 125,
			stderrRE: "^gdaemonize: --status needs --pidfile" + try + "$"},
		{name: "--status with a COMMAND", args: func(dir string) []string { return []string{"--status", "-p", dir + "/p", "sleep"} }, status: 125,
			stderrRE: "^gdaemonize: --status takes no COMMAND" + try + "$"},
		{name: "--status and --stop", args: func(dir string) []string { return []string{"--status", "--stop", "-p", dir + "/p"} }, status: 125,
			stderrRE: "^gdaemonize: --status and --stop cannot be used together" + try + "$"},
		{name: "--signal without --stop", args: args("--signal", "KILL", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: --signal goes with --stop, or alone with --pidfile \\(a reload\\); not with a COMMAND" + try + "$"},
		{name: "bad --signal", args: func(dir string) []string { return []string{"--stop", "-p", dir + "/p", "--signal", "BOGUS"} }, status: 125,
			stderrRE: "^gdaemonize: invalid argument 'BOGUS' for '--signal': no signal named BOGUS" + try + "$"},
		{name: "bad --timeout", args: func(dir string) []string { return []string{"--stop", "-p", dir + "/p", "--timeout", "soon"} }, status: 125,
			stderrRE: "^gdaemonize: invalid argument 'soon' for '--timeout': .*" + try + "$"},
		{name: "--notify-timeout alone", args: args("--notify-timeout", "1s", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: --notify-timeout goes with --notify-await" + try + "$"},
		// Options as getopt_long takes them: abbreviated to a unique prefix,
		// glibc's words for its mistakes.
		{name: "--version abbreviated", args: args("--vers"), stdoutRE: versionRE("gdaemonize")},
		{name: "--help given a value", args: args("--help=foo"), status: 125,
			stderrRE: "^gdaemonize: option '--help' doesn't allow an argument" + try + "$"},
		{name: "--append given a value", args: args("--append=yes", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: option '--append' doesn't allow an argument" + try + "$"},
		{name: "ambiguous --st", args: args("--st", "FILE", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: option '--st' is ambiguous; possibilities: '--stderr' '--stdout' '--status' '--stop'" + try + "$"},
		{name: "ambiguous --v", args: args("--v", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: option '--v' is ambiguous; possibilities: '--verbose' '--version'" + try + "$"},
		{name: "abbreviation with a value", args: args("--um", "999", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: invalid argument '999' for '--umask': want an octal mode from 000 to 777" + try + "$"},
		{name: "abbreviation with =value", args: args("--notify-t=1s", "sleep", "60"), status: 125,
			stderrRE: "^gdaemonize: --notify-timeout goes with --notify-await" + try + "$"},
	}
	const tag = "GDETACH_TEST_TAG=DIR" // in the environment of whatever the case starts
	for i := range cases {
		c := &cases[i]
		given := c.args
		c.args = func(dir string) []string {
			a := given(dir)
			if !slices.Contains(a, "-p") && !slices.Contains(a, "--stop") && !slices.Contains(a, "--status") {
				a = append([]string{"-p", filepath.Join(dir, "app.pid")}, a...)
			}
			return a
		}
		c.env = append(c.env, tag)
		c.after = func(t *testing.T, dir string) {
			if st, err := os.Lstat(filepath.Join(dir, "app.pid")); err == nil && st.Mode().IsRegular() {
				t.Error("a pidfile was left behind")
			}
			if left := taggedProcesses(strings.ReplaceAll(tag, "DIR", dir)); len(left) > 0 {
				t.Errorf("processes left behind: %v", left)
			}
		}
	}
	runCLI(t, "gdaemonize", cases)
}

// One instance at a time; a pidfile nobody holds is replaced.
func TestGdaemonizeSingleInstance(t *testing.T) {
	dir := tempDir(t)
	pidfile := filepath.Join(dir, "app.pid")
	start := func() run {
		return runWith(t, dir, runOptions{}, "gdaemonize", "-p", pidfile, "--", "sleep", "600")
	}
	if r := start(); r.status != 0 {
		t.Fatalf("first start: %d %s", r.status, r.stderr)
	}
	pid := pidfilePID(t, pidfile)
	r := start()
	if want := fmt.Sprintf("gdaemonize: already running (pid %d)\n", pid); r.status != 1 || r.stderr != want {
		t.Errorf("second start: status %d, stderr %q; want 1 and %q", r.status, r.stderr, want)
	}
	if got, _ := testutil.ReadPIDFile(pidfile); got != pid {
		t.Errorf("the refused start changed the pidfile to %d", got)
	}

	stale := filepath.Join(dir, "stale.pid")
	os.WriteFile(stale, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644) // a live PID, but no lock
	if r := runWith(t, dir, runOptions{}, "gdaemonize", "-v", "-p", stale, "--", "sleep", "600"); r.status != 0 ||
		!strings.Contains(r.stderr, "replacing stale pidfile") {
		t.Fatalf("start over a stale pidfile: %d %q", r.status, r.stderr)
	}
	if got := pidfilePID(t, stale); got == os.Getpid() {
		t.Error("the stale pidfile was not replaced")
	}
}

// --status and --stop, in every state, with LSB's exit codes.
func TestGdaemonizeStatusAndStop(t *testing.T) {
	dir := tempDir(t)
	pidfile := filepath.Join(dir, "app.pid")
	ctl := func(want int, wantOut string, args ...string) {
		t.Helper()
		r := runWith(t, dir, runOptions{}, append([]string{"gdaemonize", "-p", pidfile}, args...)...)
		if r.status != want || r.stdout != strings.ReplaceAll(wantOut, "PIDFILE", pidfile)+"\n" {
			t.Errorf("%q: status %d, output %q; want %d and %q (stderr %q)", args, r.status, r.stdout, want, wantOut, r.stderr)
		}
	}
	start := func(args ...string) int {
		t.Helper()
		if r := runWith(t, dir, runOptions{}, append([]string{"gdaemonize", "-p", pidfile, "--"}, args...)...); r.status != 0 {
			t.Fatalf("start: %d %s", r.status, r.stderr)
		}
		return pidfilePID(t, pidfile)
	}

	ctl(3, "not running", "--status")
	ctl(0, "not running", "--stop")

	pid := start(helperArgs("sleep", dir)...)
	ctl(0, fmt.Sprintf("running (pid %d)", pid), "--status")
	ctl(0, fmt.Sprintf("stopped (pid %d)", pid), "--stop")
	waitGone(t, pid)
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Error("--stop left the pidfile")
	}
	ctl(3, "not running", "--status")

	pid = start("sleep", "600")
	syscall.Kill(pid, syscall.SIGKILL)
	waitGone(t, pid)
	ctl(1, fmt.Sprintf("dead, but pidfile PIDFILE remains (pid %d)", pid), "--status")
	ctl(0, fmt.Sprintf("not running (removed the stale pidfile of pid %d)", pid), "--stop")
	ctl(3, "not running", "--status")

	// A daemon that ignores SIGTERM is killed once the timeout has passed.
	os.Remove(filepath.Join(dir, "pid"))
	pid = start(helperArgs("sleep", dir, "--ignore-term")...)
	readyPID(t, dir) // SIGTERM is ignored from here on
	ctl(0, fmt.Sprintf("stopped (pid %d)", pid), "--stop", "--timeout", "300ms")
	waitGone(t, pid)
}

// The example init script, driven as init would drive it, with LSB's
// statuses; its daemon catches SIGHUP, which reload and force-reload send.
func TestGdaemonizeInitScript(t *testing.T) {
	dir := tempDir(t)
	script, err := filepath.Abs("../docs/examples/init.d/gdetach-example")
	if err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(dir, "example.pid")
	daemon := helperArgs("sleep", dir, "--catch-hup")
	env := []string{"PIDFILE=" + pidfile, "LOGFILE=" + filepath.Join(dir, "example.log"), "DAEMON=" + daemon[0],
		"DAEMON_ARGS=" + strings.Join(daemon[1:], " "), "STOP_TIMEOUT=5s"}
	action := func(verb string, want int) {
		t.Helper()
		if r := runWith(t, dir, runOptions{env: env}, "sh", script, verb); r.status != want {
			t.Errorf("%s: status %d, want %d; output %q %q", verb, r.status, want, r.stdout, r.stderr)
		}
	}
	hups := filepath.Join(dir, "hups")
	action("status", 3)
	action("reload", 7)       // LSB: not running
	action("force-reload", 7) // the same
	action("start", 0)
	first := pidfilePID(t, pidfile)
	readyPID(t, dir)
	action("status", 0)
	action("start", 0) // LSB: starting a running service succeeds
	action("reload", 0)
	waitAlive(t, first, "the reload's SIGHUP", func() bool { return countLines(hups) == 1 })
	action("force-reload", 0)
	waitAlive(t, first, "the force-reload's SIGHUP", func() bool { return countLines(hups) == 2 })
	os.Remove(filepath.Join(dir, "pid"))
	action("restart", 0)
	second := pidfilePID(t, pidfile)
	if second == first {
		t.Error("restart kept the same process")
	}
	waitGone(t, first)
	if ready := readyPID(t, dir); ready != second {
		t.Errorf("the pidfile names %d, the daemon is %d", second, ready)
	}
	action("stop", 0)
	waitGone(t, second)
	action("status", 3)
	action("bogus", 2)
}

// --notify-await returns once the daemon says READY=1, and fails, leaving
// nothing behind, when it never does or exits first.
func TestGdaemonizeNotifyAwait(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   func(dir string) []string
		status int
		stderr string
	}{
		{"ready after a delay", func(dir string) []string { return helperArgs("notify", dir, "300ms") }, 0, ""},
		{"ready, as another user", func(dir string) []string {
			if os.Geteuid() != 0 {
				return helperArgs("notify", dir, "0s") // the plain case again
			}
			os.Chmod(dir, 0o777) // the daemon, as nobody, writes its ready file there
			return append([]string{"-u", "nobody", "--"}, helperArgs("notify", dir, "0s")...)
		}, 0, ""},
		{"never ready", func(dir string) []string {
			return append([]string{"--notify-timeout", "300ms", "--"}, helperArgs("sleep", dir)...)
		}, 125,
			`^gdaemonize: helper \(pid \d+\) not ready \(no READY=1\) within 300ms\n$`},
		{"exits first", func(dir string) []string { return helperArgs("exit", "3") }, 125,
			`^gdaemonize: helper \(pid \d+\) exit status 3 before it was ready\n$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			pidfile := filepath.Join(dir, "app.pid")
			tag := "GDETACH_TEST_TAG=" + dir
			r := runWith(t, dir, runOptions{env: []string{tag}}, append([]string{"gdaemonize", "--notify-await", "-p", pidfile}, c.args(dir)...)...)
			if r.status != c.status || !regexp.MustCompile(c.stderr).MatchString(r.stderr) {
				t.Fatalf("status %d, stderr %q; want %d and %q", r.status, r.stderr, c.status, c.stderr)
			}
			if c.status == 0 {
				if got, want := pidfilePID(t, pidfile), readyPID(t, dir); got != want {
					t.Errorf("pidfile %d, daemon %d", got, want)
				}
				return
			}
			if _, err := os.Stat(pidfile); err == nil {
				t.Error("a pidfile was left behind")
			}
			if left := taggedProcesses(tag); len(left) > 0 {
				t.Errorf("processes left behind: %v", left)
			}
		})
	}
}
