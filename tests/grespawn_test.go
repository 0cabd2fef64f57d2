//go:build linux

package tests

import (
	"errors"
	"fmt"
	"io"
	"maps"
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

	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

// A grespawnRun is grespawn started in the background, outside any terminal,
// with its standard error in DIR/grespawn.err.
type grespawnRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	proc   *testutil.Proc // grespawn: a wait on what it does fails at once when it has exited
	dir    string
	exited <-chan struct{}
}

func startGrespawn(t *testing.T, dir string, args ...string) *grespawnRun {
	t.Helper()
	return startGrespawnWith(t, dir, nil, args...)
}

// startGrespawnWith is startGrespawn with setup, if not nil, called on the
// command before it starts.
func startGrespawnWith(t *testing.T, dir string, setup func(*exec.Cmd), args ...string) *grespawnRun {
	t.Helper()
	stderr, err := os.Create(filepath.Join(dir, "grespawn.err"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	stdout, err := os.Create(filepath.Join(dir, "grespawn.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	cmd := exec.Command("grespawn", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	if setup != nil {
		setup(cmd)
	}
	g := &grespawnRun{t: t, cmd: cmd, dir: dir}
	g.exited = startBackground(t, cmd, func() string { return "grespawn's messages:\n" + g.messages() })
	g.proc = testutil.Watch(t, cmd.Process.Pid)
	stopAtCleanup(t, g.proc)
	return g
}

// stopAtCleanup stops a grespawn at the end of the test as a user would, so
// that its command goes with it (a SIGKILL would leave the command running):
// SIGTERM, and a second SIGTERM, which kills the command at once.
func stopAtCleanup(t *testing.T, grespawn *testutil.Proc) {
	t.Cleanup(func() {
		for range 2 {
			if grespawn.Signal(syscall.SIGTERM) != nil {
				return // gone already
			}
		}
		grespawn.WaitExit(t)
	})
}

// waitFor polls cond, with what it saw for the failure message, while
// grespawn runs.
func (g *grespawnRun) waitFor(what string, cond func() bool) {
	g.t.Helper()
	g.proc.WaitFor(g.t, what, func() (bool, string) { return cond(), "grespawn's messages:\n" + g.messages() })
}

// ready waits for DIR/pid of the helper grespawn runs, and returns its PID.
func (g *grespawnRun) ready() int {
	g.t.Helper()
	return readyPID(g.t, g.dir, g.proc)
}

// wait waits for grespawn to exit and returns its status.
func (g *grespawnRun) wait() int {
	g.t.Helper()
	select {
	case <-g.exited:
	case <-time.After(time.Until(testutil.Deadline(g.t))):
		g.t.Fatal("grespawn did not exit")
	}
	return g.cmd.ProcessState.ExitCode()
}

func (g *grespawnRun) signal(sig syscall.Signal) {
	g.t.Helper()
	if err := g.cmd.Process.Signal(sig); err != nil {
		g.t.Fatal(err)
	}
}

func (g *grespawnRun) messages() string { return readFile(g.t, filepath.Join(g.dir, "grespawn.err")) }

// runTimes parses DIR/runs of the count helper: monotonic start and exit times.
func runTimes(t *testing.T, dir string) (starts, exits []time.Duration) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "runs"))), "\n") {
		what, ns, _ := strings.Cut(line, " ")
		n, _ := strconv.ParseInt(ns, 10, 64)
		switch what {
		case "start":
			starts = append(starts, time.Duration(n))
		case "exit":
			exits = append(exits, time.Duration(n))
		}
	}
	return starts, exits
}

// -m counts runs, as forever -m does, and grespawn then exits with the last
// status, saying why.
func TestGrespawnMaxRuns(t *testing.T) {
	for _, n := range []int{5, 1} {
		t.Run(fmt.Sprintf("-m %d", n), func(t *testing.T) {
			dir := tempDir(t)
			g := startGrespawn(t, dir, append([]string{"-m", strconv.Itoa(n), "--delay", "0"}, helperArgs("count", dir, "3")...)...)
			if status := g.wait(); status != 3 {
				t.Errorf("status %d, want the command's 3", status)
			}
			if starts, _ := runTimes(t, dir); len(starts) != n {
				t.Errorf("%d runs, want %d", len(starts), n)
			}
			if want := fmt.Sprintf("giving up: ran helper %d time%s, the most allowed; last helper exited with status 3", n, map[bool]string{true: "s"}[n > 1]); !strings.Contains(g.messages(), want) {
				t.Errorf("no %q in the messages", want)
			}
		})
	}
}

// The delays of a crash loop double, and a run that lasted resets them.
// How long a run lasts is up to the machine (a run that exits at once may
// take a second on a loaded one), so the test does not assume which runs are
// short: it reads from grespawn's own lines how long each run lasted and what
// delay followed, and checks each delay against the policy for the runs as
// they were (at most 10% jitter on top). Run 4 sleeps longer than
// --min-uptime, so a reset always follows it; on any ordinary machine runs
// 1-3 are short and the delays double. The clock checks only that no run
// started before its delay had passed.
func TestGrespawnBackoff(t *testing.T) {
	dir := tempDir(t)
	const base, minUptime = 200 * time.Millisecond, time.Second
	g := startGrespawn(t, dir, append([]string{"-m", "5", "--delay", base.String(), "--min-uptime", minUptime.String()},
		helperArgs("count", dir, "1", "0s,0s,0s,1200ms,0s")...)...)
	g.wait()
	starts, exits := runTimes(t, dir)
	if len(starts) != 5 || len(exits) != 5 {
		t.Fatalf("%d starts and %d exits, want 5 of each", len(starts), len(exits))
	}
	// "helper (pid N) exited with status 1 after 22ms" and "restarting helper in 216ms".
	uptimes := regexp.MustCompile(`exited with status 1 after (\S+)`).FindAllStringSubmatch(g.messages(), -1)
	delays := regexp.MustCompile(`restarting helper in (\S+) `).FindAllStringSubmatch(g.messages(), -1)
	if len(uptimes) != 5 || len(delays) != 4 {
		t.Fatalf("%d run ends and %d restarts announced, want 5 and 4:\n%s", len(uptimes), len(delays), g.messages())
	}
	streak := 0
	for i := range delays {
		uptime, err1 := time.ParseDuration(uptimes[i][1])
		delay, err2 := time.ParseDuration(delays[i][1])
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if uptime < minUptime {
			streak++
		} else {
			streak = 0
		}
		want := base
		for k := 1; k < streak; k++ {
			want *= 2
		}
		// The lines round to the millisecond.
		if delay < want-time.Millisecond || delay > want*11/10+time.Millisecond {
			t.Errorf("run %d lasted %v: delay %v, want %v (+10%% jitter at most)", i+1, uptime, delay, want)
		}
		if gap := starts[i+1] - exits[i]; gap < delay-time.Millisecond {
			t.Errorf("run %d started %v after run %d exited, before its delay of %v", i+2, gap, i+1, delay)
		}
	}
	if uptime, _ := time.ParseDuration(uptimes[3][1]); uptime < minUptime {
		t.Errorf("run 4 lasted %v, less than the 1.2s it slept", uptime)
	}
}

// --restart and --success-codes decide when a run ends the supervision.
func TestGrespawnRestartPolicy(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   string
		runs   int
		status int
	}{
		{[]string{"--restart", "on-failure"}, "0", 1, 0},
		{[]string{"--restart", "on-failure", "--success-codes", "0,2"}, "2", 1, 2},
		{[]string{"--restart", "on-failure", "-m", "3"}, "1", 3, 1},
		{[]string{"--restart", "never"}, "5", 1, 5},
		{[]string{"--restart", "always", "-m", "2"}, "0", 2, 0},
	} {
		t.Run(strings.Join(c.args, " ")+" exit "+c.code, func(t *testing.T) {
			dir := tempDir(t)
			g := startGrespawn(t, dir, append(append(c.args, "--delay", "0"), helperArgs("count", dir, c.code)...)...)
			if status := g.wait(); status != c.status {
				t.Errorf("status %d, want %d", status, c.status)
			}
			if starts, _ := runTimes(t, dir); len(starts) != c.runs {
				t.Errorf("%d runs, want %d", len(starts), c.runs)
			}
		})
	}
}

// Too many short runs in the window end the supervision, as systemd's start limit.
func TestGrespawnMaxFailures(t *testing.T) {
	dir := tempDir(t)
	g := startGrespawn(t, dir, append([]string{"--max-failures", "3", "--window", "1m", "--delay", "0"}, helperArgs("count", dir, "1")...)...)
	if status := g.wait(); status != 1 {
		t.Errorf("status %d, want 1", status)
	}
	if starts, _ := runTimes(t, dir); len(starts) != 3 {
		t.Errorf("%d runs, want 3", len(starts))
	}
	if !strings.Contains(g.messages(), "giving up: 3 runs shorter than 1s within 1m0s, the most allowed") {
		t.Error("the give-up message is missing")
	}
}

// Every signal that does not stop grespawn reaches the command.
func TestGrespawnForwardsSignals(t *testing.T) {
	dir := tempDir(t)
	g := startGrespawn(t, dir, helperArgs("sleep", dir, "--record")...)
	pid := g.ready()
	killAtCleanup(t, pid)
	g.expectForwarded(dir)
	// SIGPIPE is grespawn's own (a message written to a closed pipe): not
	// passed on. A SIGWINCH sent after it, once at the command, shows that
	// grespawn has dealt with it (the runtime delivers the lower number
	// first, and so does the kernel to the command), and the command would
	// have recorded the SIGPIPE before it.
	g.signal(syscall.SIGPIPE)
	g.signal(syscall.SIGWINCH)
	signals := filepath.Join(dir, "signals")
	g.waitFor("the second SIGWINCH", func() bool { return strings.Count(readFile(t, signals), syscall.SIGWINCH.String()) == 2 })
	if strings.Contains(readFile(t, signals), syscall.SIGPIPE.String()) {
		t.Error("SIGPIPE was passed on")
	}
	if !alive(t, dir, pid) {
		t.Error("the command died")
	}
}

// expectForwarded sends grespawn, one by one, every signal it passes on
// without stopping, and waits for each at the sleep helper (with --record)
// in dir.
func (g *grespawnRun) expectForwarded(dir string) {
	t := g.t
	t.Helper()
	for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGALRM} {
		g.signal(sig)
		file := "signals" // where the helper records it
		switch sig {
		case syscall.SIGUSR1:
			file = "probe"
		case syscall.SIGHUP:
			file = "hups"
		}
		g.waitFor(sig.String()+" at the command", func() bool {
			return strings.Contains(readFile(t, filepath.Join(dir, file)), sig.String())
		})
	}
}

// SIGTERM or SIGINT to grespawn stops the command, without a restart, and
// grespawn exits with the command's status, but 0 when SIGTERM's stop ended
// it by SIGTERM (a stop on request is no failure: issue 16), 130 after
// SIGINT as a shell expects of an interrupted job; SIGKILL comes after
// --stop-timeout, or at once on a second SIGTERM.
func TestGrespawnStop(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		signals []syscall.Signal
		status  int
	}{
		{"SIGTERM", nil, []syscall.Signal{syscall.SIGTERM}, 0},
		{"SIGINT", nil, []syscall.Signal{syscall.SIGINT}, 130},
		{"SIGTERM ignored: SIGKILL after the timeout", []string{"--stop-timeout", "300ms", "--ignore-term"}, []syscall.Signal{syscall.SIGTERM}, 137},
		{"a second SIGTERM kills at once", []string{"--stop-timeout", "1h", "--ignore-term"}, []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM}, 137},
		// Issue 13: 0 meant 10s.
		{"--stop-timeout 0 kills at once", []string{"--stop-timeout", "0", "--ignore-term"}, []syscall.Signal{syscall.SIGTERM}, 137},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			var opts, helperOpts []string
			for _, a := range c.args {
				if a == "--ignore-term" {
					helperOpts = append(helperOpts, a)
				} else {
					opts = append(opts, a)
				}
			}
			g := startGrespawn(t, dir, append(opts, helperArgs("sleep", append([]string{dir}, helperOpts...)...)...)...)
			pid := g.ready()
			for i, sig := range c.signals {
				if i > 0 {
					// Two pending SIGTERMs would merge into one: let the first be seen.
					g.waitFor("the stop", func() bool { return strings.Contains(g.messages(), "stopping helper") })
				}
				g.signal(sig)
			}
			if status := g.wait(); status != c.status {
				t.Errorf("status %d, want %d", status, c.status)
			}
			waitGone(t, pid)
			if to := slices.Index(c.args, "--stop-timeout"); to >= 0 && c.status == 137 && len(c.signals) == 1 {
				d, _ := time.ParseDuration(c.args[to+1])
				if want := fmt.Sprintf("helper did not stop within %v: killing its process group", d); !strings.Contains(g.messages(), want) {
					t.Errorf("no %q in the messages:\n%s", want, g.messages())
				}
			}
			if starts := strings.Count(g.messages(), "started helper"); starts != 1 {
				t.Errorf("%d starts, want 1: a stop is not a restart", starts)
			}
		})
	}
}

// During a backoff grespawn still acts on signals at once: they reach what is
// left of the command's group, and SIGTERM ends grespawn, killing it.
func TestGrespawnSignalsDuringBackoff(t *testing.T) {
	dir := tempDir(t)
	g := startGrespawn(t, dir, append([]string{"--signal-group", "--delay", "1h", "--max-delay", "1h"}, helperArgs("group", dir)...)...)
	member := g.ready() // the group member the command left behind
	g.waitFor("the backoff", func() bool { return strings.Contains(g.messages(), "restarting helper in 1h") })
	g.expectForwarded(dir)
	g.signal(syscall.SIGTERM)
	if status := g.wait(); status != 1 {
		t.Errorf("status %d, want the last run's 1", status)
	}
	waitGone(t, member)
}

// A thousand runs that each leave an orphan: every orphan is reaped, and
// grespawn holds no more descriptors than it did early on.
func TestGrespawnReapsOrphans(t *testing.T) {
	dir := tempDir(t)
	const runs = 1000
	g := startGrespawn(t, dir, append([]string{"--delay", "0", "--min-uptime", "0"}, helperArgs("forker", dir, strconv.Itoa(runs))...)...)
	grespawn := g.proc.PID
	g.waitFor("ten runs", func() bool { return strings.Count(readFile(t, filepath.Join(dir, "runs")), "run\n") >= 10 })
	early := fdTargets(t, grespawn)
	// A wait per hundred runs: each has the deadline of one wait, however
	// slow a loaded machine makes a thousand.
	for n := 100; n < runs; n += 100 {
		g.waitFor(fmt.Sprintf("%d runs", n), func() bool { return strings.Count(readFile(t, filepath.Join(dir, "runs")), "run\n") >= n })
	}
	last := g.ready()
	g.proc.WaitFor(t, "no child of grespawn but the last run", func() (bool, string) {
		kids, _ := testutil.Children(grespawn)
		return slices.Equal(kids, []int{last}), fmt.Sprintf("children %v", kids)
	})
	// The Go runtime opens its netpoller (an epoll and an eventfd) once,
	// when first needed: not a leak.
	netpoller := func(_ int, target string) bool {
		return target == "anon_inode:[eventpoll]" || target == "anon_inode:[eventfd]"
	}
	now := fdTargets(t, grespawn)
	maps.DeleteFunc(early, netpoller)
	maps.DeleteFunc(now, netpoller)
	if len(now) > len(early) {
		t.Errorf("grespawn holds %d descriptors after %d runs, %d after ten: %v, then %v", len(now), runs, len(early), early, now)
	}
}

// A command that daemonizes itself is followed through its pidfile, and its
// daemon's death restarts it.
func TestGrespawnFollowsPidfile(t *testing.T) {
	dir := tempDir(t)
	status := filepath.Join(dir, "status")
	g := startGrespawn(t, dir, append([]string{"--pidfile", filepath.Join(dir, "app.pid"), "--status-file", status}, helperArgs("daemon", dir)...)...)
	daemon := g.ready()
	killAtCleanup(t, daemon)
	statusLine := fmt.Sprintf("state=running\npid=%d\nruns=1\n", daemon)
	g.waitFor("the status file naming the daemon", func() bool { return strings.HasPrefix(readFile(t, status), statusLine) })
	os.Remove(filepath.Join(dir, "pid"))
	syscall.Kill(daemon, syscall.SIGKILL)
	second := g.ready()
	killAtCleanup(t, second)
	if second == daemon {
		t.Fatal("no new daemon")
	}
	g.waitFor("the status file naming the new daemon", func() bool {
		return strings.HasPrefix(readFile(t, status), fmt.Sprintf("state=running\npid=%d\nruns=2\nlast_status=signal SIGKILL\n", second))
	})
}

// A stale pidfile naming a live process that is not the run's daemon (its
// PID reused: this test process stands for it) is not followed.
func TestGrespawnIgnoresStalePidfile(t *testing.T) {
	for _, c := range []struct {
		name  string
		mtime time.Duration // the pidfile's modification time, from now
		why   func(pidfile string) string
	}{
		// Left by an earlier run: the file is older than the launch.
		{"written before the run", -time.Hour, func(pidfile string) string {
			return pidfile + " was written before this run started: a stale pidfile"
		}},
		// Written since (its time cannot tell), but naming a process older
		// than the launch: this test's own.
		{"naming an older process", time.Hour, func(string) string {
			return fmt.Sprintf("(pid %d started before this run: a stale pidfile)", os.Getpid())
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			pidfile := filepath.Join(dir, "app.pid")
			if err := os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			at := time.Now().Add(c.mtime)
			if err := os.Chtimes(pidfile, at, at); err != nil {
				t.Fatal(err)
			}
			// A launcher that exits 0 and writes no pidfile: only the stale one is there.
			g := startGrespawn(t, dir, "--restart", "never", "--pidfile", pidfile, "--", "true")
			if status := g.wait(); status != 1 {
				t.Errorf("status %d, want 1: no daemon ran", status)
			}
			if want := c.why(pidfile); strings.Contains(g.messages(), "following") || !strings.Contains(g.messages(), want) {
				t.Errorf("grespawn's messages:\n%s\nwant no following, and %q", g.messages(), want)
			}
		})
	}
}

// Output captured at full speed, with small rotations and across restarts:
// every line exactly once, whole and in order.
func TestGrespawnLog(t *testing.T) {
	const n = 30000
	dir := tempDir(t)
	log := filepath.Join(dir, "app.log")
	g := startGrespawn(t, dir, append([]string{"-m", "2", "--delay", "0", "-l", log, "--log-max-size", "4K", "--log-backups", "10000"},
		helperArgs("lines", strconv.Itoa(n))...)...)
	if status := g.wait(); status != 0 {
		t.Fatalf("status %d", status)
	}
	files := testutil.RotatedLog(t, log, 10000)
	for _, f := range files {
		if len(f.Data) > 4096 {
			t.Errorf("%s is %d bytes, over 4K", f.Path, len(f.Data))
		}
	}
	lines := testutil.Lines(files)
	if len(lines) != 2*n {
		t.Fatalf("%d lines, want %d", len(lines), 2*n)
	}
	for i, line := range lines {
		if want := fmt.Sprintf("line %d", i%n+1); line != want {
			t.Fatalf("line %d is %q, want %q", i+1, line, want)
		}
	}
}

// A change under a watched directory restarts the command.
func TestGrespawnWatch(t *testing.T) {
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	os.Mkdir(filepath.Join(src, "sub"), 0o755)
	g := startGrespawn(t, dir, append([]string{"--watch", src, "--watch-debounce", "100ms", "-l", filepath.Join(src, "app.log")},
		helperArgs("sleep", dir)...)...)
	first := g.ready()
	os.Remove(filepath.Join(dir, "pid"))
	if err := os.WriteFile(filepath.Join(src, "sub", "main.js"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := g.ready()
	killAtCleanup(t, second)
	if second == first {
		t.Error("the command was not restarted")
	}
	waitGone(t, first)
}

// Under gnohup on a terminal, grespawn survives the hangup and goes on
// restarting; the plain job is the control.
func TestGrespawnUnderGnohup(t *testing.T) {
	t.Run("control: plain job", func(t *testing.T) {
		dir := tempDir(t)
		tm := startTerm(t, dir)
		pid := tm.job(helperLine("sleep", dir)+" &", dir)
		tm.hangup()
		waitGone(t, pid)
	})
	t.Run("gnohup grespawn", func(t *testing.T) {
		dir := tempDir(t)
		tm := startTerm(t, dir)
		pidfile := filepath.Join(dir, "grespawn.pid")
		tm.run("gnohup --pidfile " + pidfile + " grespawn --delay 0 --min-uptime 0 -- " + helperLine("count", dir, "0", "50ms") + " &")
		stopAtCleanup(t, testutil.Watch(t, testutil.ReadyPID(t, pidfile)))
		runs := func() int { return strings.Count(readFile(t, filepath.Join(dir, "runs")), "start ") }
		testutil.WaitFor(t, "runs before the hangup", func() bool { return runs() >= 2 })
		tm.hangup()
		after := runs()
		testutil.WaitFor(t, "more runs after the hangup", func() bool { return runs() >= after+3 })
	})
}

// Ctrl-Z stops grespawn and the command's group; fg continues both; Ctrl-C
// stops the supervision.
func TestGrespawnJobControl(t *testing.T) { checkStopFgInterrupt(t, "grespawn -- ") }

// The command-line contract.
func TestGrespawnCommandLine(t *testing.T) {
	const try = "\nTry 'grespawn --help' for more information.\n"
	runCLI(t, "grespawn", []cliCase{
		{args: args(), status: 125, stderrRE: "^grespawn: missing operand" + try + "$"},
		{args: args("--bogus", "true"), status: 125, stderrRE: "^grespawn: unrecognized option '--bogus'" + try + "$"},
		// Options as getopt_long takes them: abbreviated to a unique prefix,
		// glibc's words for its mistakes.
		{args: args("--vers"), stdoutRE: versionRE("grespawn")},
		{args: args("--help=foo"), status: 125, stderrRE: "^grespawn: option '--help' doesn't allow an argument" + try + "$"},
		{args: args("--signal-g=yes", "true"), status: 125, stderrRE: "^grespawn: option '--signal-group' doesn't allow an argument" + try + "$"},
		{args: args("--max-", "1s", "true"), status: 125, stderrRE: "^grespawn: option '--max-' is ambiguous; possibilities: '--max-delay' '--max-failures'" + try + "$"},
		{args: args("--log-=1", "true"), status: 125, stderrRE: "^grespawn: option '--log-=1' is ambiguous; possibilities: '--log-max-size' '--log-backups' '--log-timestamps' '--log-timestamp-format' '--log-events' '--log-reopen-signal'" + try + "$"},
		// Issue 13: no strconv's words, no odd value taken silently.
		{args: args("--max", "many", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'many' for '--max': want a whole number from 0 to 2147483647" + try + "$"},
		{args: args("--max-failures", "3x", "true"), status: 125, stderrRE: "^grespawn: invalid argument '3x' for '--max-failures': want a whole number from 0 to 2147483647" + try + "$"},
		{args: args("-l", "x.log", "--log-backups", "99999999999", "true"), status: 125, stderrRE: "^grespawn: invalid argument '99999999999' for '--log-backups': want a whole number from 0 to 2147483647" + try + "$"},
		{args: args("--max-failures", "3", "--window", "0", "true"), status: 125, stderrRE: "^grespawn: invalid argument '0s' for '--window': it must be more than 0" + try + "$"},
		{args: args("--success-codes", "300", "true"), status: 125, stderrRE: "^grespawn: invalid argument '300' for '--success-codes': '300' is not an exit status from 0 to 255" + try + "$"},
		{args: args("--del", "-1s", "true"), status: 125, stderrRE: "^grespawn: invalid argument '-1s' for '--delay': a duration cannot be negative" + try + "$"},
		{args: args("--min-up=soon", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'soon' for '--min-uptime': want a duration such as 500ms, 10s or 2m" + try + "$"},
		{args: args("gdetach-no-such-command"), status: 127, stderrRE: "^grespawn: failed to run command 'gdetach-no-such-command': No such file or directory\n$"},
		{args: args("/etc/passwd"), status: 126, stderrRE: "^grespawn: failed to run command '/etc/passwd': Permission denied\n$"},
		{args: args("-m", "-1", "true"), status: 125, stderrRE: "^grespawn: invalid argument '-1' for '--max': cannot be negative" + try + "$"},
		{args: args("--delay", "-1s", "true"), status: 125, stderrRE: "^grespawn: invalid argument '-1s' for '--delay': a duration cannot be negative" + try + "$"},
		{args: args("--min-uptime", "soon", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'soon' for '--min-uptime': want a duration such as 500ms, 10s or 2m" + try + "$"},
		{args: args("--restart", "sometimes", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'sometimes' for '--restart': want always, on-failure or never" + try + "$"},
		{args: args("--success-codes", "zero", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'zero' for '--success-codes': .*" + try + "$"},
		{args: args("-l", "x.log", "--log-max-size", "1T", "true"), status: 125, stderrRE: "^grespawn: invalid argument '1T' for '--log-max-size': want a size such as 1048576, 512K, 50M or 1G" + try + "$"},
		{args: args("--log-backups", "3", "true"), status: 125, stderrRE: "^grespawn: --log-backups goes with --log or --stderr-log" + try + "$"},
		{args: args("--window", "1m", "true"), status: 125, stderrRE: "^grespawn: --window goes with --max-failures" + try + "$"},
		{args: args("--pdeathsig", "BOGUS", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'BOGUS' for '--pdeathsig': no signal named BOGUS" + try + "$"},
		{args: args("-l", "/nonexistent/dir/app.log", "true"), status: 125, stderrRE: "^grespawn: open the log: open /nonexistent/dir/app.log: No such file or directory\n$"},
		{args: args("-l", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--log': cannot be empty" + try + "$"},
		{args: args("--pidfile=", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--pidfile': cannot be empty" + try + "$"},
		{args: args("--status-file", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--status-file': cannot be empty" + try + "$"},
		{args: args("--watch", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--watch': cannot be empty" + try + "$"},
		{args: args("--watch", "/nonexistent/src", "true"), status: 125, stderrRE: "^grespawn: watch: stat /nonexistent/src: No such file or directory\n$"},
	})
}

// A status file is written by renames over it: what is not a regular file
// there (a FIFO here; as root, a --status-file /dev/null replaced the device)
// is refused before anything runs, and left as it was.
func TestGrespawnStatusFileNotRegular(t *testing.T) {
	dir := tempDir(t)
	fifo := filepath.Join(dir, "status")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runWith(t, dir, runOptions{}, "grespawn", "-m", "1", "--status-file", fifo, "--", "sh", "-c", "touch ran") // -m 1: a grespawn that takes the FIFO ends all the same
	if want := "grespawn: status file: " + fifo + " is a FIFO, not a regular file: it is not replaced\n"; r.status != 125 || r.stderr != want {
		t.Errorf("status %d, stderr %q; want 125 and %q", r.status, r.stderr, want)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("the command ran")
	}
}

// As PID 1 of a PID namespace, as in a container, grespawn reaps the orphans
// of COMMAND's tree and forwards signals, as tini does. The control is the
// command itself as PID 1: its orphans stay zombies.
func TestGrespawnAsPID1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a PID namespace (unshare --pid) needs root")
	}
	for _, tool := range []string{"unshare", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s(1) is not installed (util-linux)", tool)
		}
	}
	if out, err := exec.Command("unshare", "--pid", "--fork", "true").CombinedOutput(); err != nil {
		t.Skipf("no PID namespace here (a container without CAP_SYS_ADMIN?): unshare: %v: %s", err, out)
	}
	const orphans = 5
	for _, c := range []struct {
		name string
		init []string // what runs as PID 1 before the command
	}{
		{"control: the command as PID 1", nil},
		{"grespawn as PID 1", dockerEntrypoint(t, "Dockerfile")}, // the example's ENTRYPOINT, as docker runs it
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			argv := append(append([]string{"unshare", "--pid", "--fork", "--"}, c.init...), helperArgs("sleep", dir)...)
			cmd := exec.Command(argv[0], argv[1:]...)
			exited, pid1 := startPID1(t, cmd)
			init := pid1.PID
			readyPID(t, dir, pid1) // the helper runs (its PID is the namespace's)
			// Each (true &) in the namespace leaves an orphan, which goes to its PID 1.
			orphan := exec.Command("nsenter", "--target", strconv.Itoa(init), "--pid", "--",
				"sh", "-c", fmt.Sprintf("for i in $(seq %d); do (true &); done", orphans))
			if out, err := orphan.CombinedOutput(); err != nil {
				t.Fatalf("nsenter: %v: %s", err, out)
			}
			// childrenAre holds when PID 1 has that many zombie and running children.
			childrenAre := func(zombies, running int) func() (bool, string) {
				return func() (bool, string) {
					z, r := 0, 0
					kids, _ := testutil.Children(init)
					for _, k := range kids {
						if st, err := testutil.ReadStat(k); err == nil && st.State == 'Z' {
							z++
						} else if err == nil {
							r++
						}
					}
					return z == zombies && r == running, fmt.Sprintf("%d zombies and %d running below PID 1", z, r)
				}
			}
			if c.init == nil {
				pid1.WaitFor(t, "the orphans as zombies of the command", childrenAre(orphans, 0))
				return
			}
			pid1.WaitFor(t, "every orphan reaped, only the command left", childrenAre(0, 1))
			g := &grespawnRun{t: t, cmd: cmd, proc: pid1, dir: dir, exited: exited}
			if err := pid1.Signal(syscall.SIGUSR2); err != nil {
				t.Fatal(err)
			}
			g.waitFor("SIGUSR2 at the command", func() bool {
				return strings.Contains(readFile(t, filepath.Join(dir, "signals")), syscall.SIGUSR2.String())
			})
			if err := pid1.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			g.wait()
			ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Errorf("unshare ended %v, want grespawn's 0 (the command stopped on request)", ws)
			}
		})
	}
}

// A command that can no longer be run (removed during a deploy), with
// --delay 0 --min-uptime 0 and no -m: each attempt is a failed run that
// backs off from the loop floor, so grespawn waits in its loop, writes its
// state, and answers a stop (issue 13: the restarts recursed, deaf to
// SIGTERM, until the stack overflowed).
func TestGrespawnCommandGoneBacksOff(t *testing.T) {
	dir := tempDir(t)
	app := filepath.Join(dir, "app")
	if err := os.WriteFile(app, []byte("#!/bin/sh\nrm -f \"$0\"\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	status := filepath.Join(dir, "status")
	g := startGrespawn(t, dir, "--delay", "0", "--min-uptime", "0", "--status-file", status, "--", app)
	g.waitFor("a backoff after the failure to run", func() bool {
		s := readFile(t, status)
		return strings.Contains(s, "state=backoff\n") && strings.Contains(s, "last_status=exit 127\n")
	})
	g.signal(syscall.SIGTERM)
	if st := g.wait(); st != 127 {
		t.Errorf("status %d, want 127: the last run could not be run", st)
	}
	for _, want := range []string{"app (pid ", "exited with status 3", "cannot run app: No such file or directory", "restarting app in 10ms"} {
		if !strings.Contains(g.messages(), want) {
			t.Errorf("no %q in the messages", want)
		}
	}
}

// A watched change restarts the command, and the stop timeout of that
// restart ends with the old run: the new run outlives it many times over
// (issue 13: the timer stayed armed and SIGKILLed the new run).
func TestGrespawnWatchRestartKeepsNewRun(t *testing.T) {
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	const stopTimeout = 200 * time.Millisecond
	g := startGrespawn(t, dir, append([]string{"--watch", src, "--watch-debounce", "50ms", "--stop-timeout", stopTimeout.String()},
		helperArgs("sleep", dir)...)...)
	first := g.ready()
	os.Remove(filepath.Join(dir, "pid"))
	if err := os.WriteFile(filepath.Join(src, "main.js"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := g.ready()
	killAtCleanup(t, second)
	if second == first {
		t.Fatal("the command was not restarted")
	}
	// A lower bound: the new run is still there ten stop timeouts later.
	if testutil.Watch(t, second).Exited(t, 10*stopTimeout) {
		t.Errorf("the new run died within %v of the restart:\n%s", 10*stopTimeout, g.messages())
	}
	if strings.Contains(g.messages(), "did not stop") {
		t.Errorf("a kill after the restart:\n%s", g.messages())
	}
}

// A watched change while grespawn waits for the pidfile of a daemonizing
// command ends the daemon on its way before the next run starts: one daemon
// in the end, the one followed (issue 13: two daemons, one supervised).
func TestGrespawnWatchWhileFollowing(t *testing.T) {
	testutil.UsedHelpers("late") // run by the daemon helper, not from here
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	g := startGrespawn(t, dir, append([]string{"--pidfile", filepath.Join(dir, "app.pid"), "--watch", src, "--watch-debounce", "50ms"},
		helperArgs("daemon", dir, "--late")...)...)
	daemons := func() []string { return strings.Fields(readFile(t, filepath.Join(dir, "daemons"))) }
	g.waitFor("the first daemon, and its launcher's exit", func() bool {
		return len(daemons()) == 1 && strings.Contains(g.messages(), "exited with status 0")
	})
	for _, pid := range daemons() {
		n, _ := strconv.Atoi(pid)
		killAtCleanup(t, n)
	}
	if err := os.WriteFile(filepath.Join(src, "main.js"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	g.waitFor("the second daemon", func() bool { return len(daemons()) == 2 })
	second, _ := strconv.Atoi(daemons()[1])
	killAtCleanup(t, second)
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	g.waitFor("the daemon followed", func() bool { return strings.Contains(g.messages(), "following helper's daemon") })
	if want := fmt.Sprintf("following helper's daemon (pid %d,", second); !strings.Contains(g.messages(), want) {
		t.Errorf("no %q in the messages", want)
	}
	first, _ := strconv.Atoi(daemons()[0])
	if !testutil.Watch(t, first).Exited(t, 0) {
		t.Errorf("the first run's daemon (pid %d) still runs beside the second (pid %d)", first, second)
	}
}

// A daemon that joined a process group that is not its run's own (here
// grespawn's, which its caller shares) is signalled alone: a stop never
// reaches the caller, nor grespawn itself (issue 13).
func TestGrespawnNeverSignalsTheCallersGroup(t *testing.T) {
	dir := tempDir(t)
	g := startGrespawnWith(t, dir, func(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} },
		append([]string{"--pidfile", filepath.Join(dir, "app.pid"), "--stop-timeout", "1h"}, helperArgs("daemon", dir, "--join")...)...)
	// The caller: another process of grespawn's group.
	callerDir := tempDir(t)
	caller := exec.Command("helper", testutil.HelperArgs("sleep", callerDir)[1:]...)
	caller.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: g.proc.PID}
	startBackground(t, caller, nil)
	readyPID(t, callerDir)
	daemon := g.ready()
	killAtCleanup(t, daemon)
	g.waitFor("the daemon followed", func() bool { return strings.Contains(g.messages(), "following helper's daemon") })
	if st := mustStat(t, daemon); st.PGRP != g.proc.PID {
		t.Fatalf("the daemon is in group %d, want grespawn's %d", st.PGRP, g.proc.PID)
	}
	g.signal(syscall.SIGTERM)
	if st := g.wait(); st != 0 {
		t.Errorf("status %d, want 0, the daemon stopped by the SIGTERM grespawn passed on", st)
	}
	if !alive(t, callerDir, caller.Process.Pid) {
		t.Error("the caller, in grespawn's process group, was killed")
	}
}

// What a dead run left behind (a worker in a session of its own, as nginx's
// outlive a master killed by SIGKILL) is killed before the next run starts,
// so that it cannot hold what the next run needs (issue 13).
func TestGrespawnKillsLeftoversBeforeRestart(t *testing.T) {
	dir := tempDir(t)
	g := startGrespawn(t, dir, append([]string{"--delay", "0"}, helperArgs("leave", dir)...)...)
	first := g.ready()
	left := readyPID(t, filepath.Join(dir, "left"), g.proc)
	killAtCleanup(t, left)
	os.Remove(filepath.Join(dir, "pid"))
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := g.ready()
	killAtCleanup(t, second)
	if !testutil.Watch(t, left).Exited(t, 0) {
		t.Errorf("the first run's leftover (pid %d) still runs beside the second run", left)
	}
}

// -l on a device writes to it as a stream: the device is never renamed nor
// replaced by a regular file, whatever --log-max-size says (issue 13: as
// root, -l /dev/null would rotate /dev/null away).
func TestGrespawnLogToDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making a device node (mknod) needs root")
	}
	dir := tempDir(t)
	null := filepath.Join(dir, "null")
	if err := unix.Mknod(null, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("mknod: %v", err)
	}
	g := startGrespawn(t, dir, append([]string{"-m", "1", "-l", null, "--log-max-size", "1K"}, helperArgs("lines", "1000")...)...)
	if st := g.wait(); st != 0 {
		t.Fatalf("status %d:\n%s", st, g.messages())
	}
	if fi, err := os.Lstat(null); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("%s is no longer the device: %v, %v", null, fi.Mode(), err)
	}
	if _, err := os.Lstat(null + ".1"); err == nil {
		t.Errorf("the device was rotated to %s.1", null)
	}
}

// -l on a FIFO: with no reader grespawn refuses it at once, saying why,
// rather than hang before the command starts; with a reader the lines go
// through it as a stream, never rotated (issue 13).
func TestGrespawnLogToFIFO(t *testing.T) {
	t.Run("no reader", func(t *testing.T) {
		dir := tempDir(t)
		fifo := filepath.Join(dir, "fifo")
		if err := unix.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		g := startGrespawn(t, dir, "-l", fifo, "--", "true")
		if st := g.wait(); st != 125 {
			t.Errorf("status %d, want 125", st)
		}
		if want := fmt.Sprintf("grespawn: open the log: %s is a FIFO that no process reads\n", fifo); g.messages() != want {
			t.Errorf("messages %q, want %q", g.messages(), want)
		}
	})
	t.Run("a reader", func(t *testing.T) {
		dir := tempDir(t)
		fifo := filepath.Join(dir, "fifo")
		if err := unix.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		// Opened before grespawn: what it writes stays in the pipe until read.
		r, err := os.OpenFile(fifo, os.O_RDONLY|unix.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		g := startGrespawn(t, dir, append([]string{"-m", "1", "-l", fifo, "--log-max-size", "1K"}, helperArgs("lines", "1000")...)...)
		if st := g.wait(); st != 0 {
			t.Fatalf("status %d:\n%s", st, g.messages())
		}
		b, err := io.ReadAll(r)
		if err != nil && !errors.Is(err, syscall.EAGAIN) {
			t.Fatal(err)
		}
		if got := strings.Count(string(b), "\n"); got != 1000 {
			t.Errorf("%d lines through the FIFO, want 1000", got)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("%s is no longer the FIFO: %v, %v", fifo, fi.Mode(), err)
		}
	})
}

// The state a supervision ends in: stopped when the last run succeeded (an
// exit status among --success-codes, 0 or not), gave-up when it failed
// (issue 13: a success code other than 0 was written gave-up).
func TestGrespawnStatusFileAtTheEnd(t *testing.T) {
	for _, c := range []struct {
		args  []string
		code  string
		state string
	}{
		{[]string{"--restart", "on-failure", "--success-codes", "0,2"}, "2", "stopped"},
		{[]string{"--restart", "on-failure"}, "0", "stopped"},
		{[]string{"--restart", "never"}, "1", "gave-up"},
		{[]string{"-m", "2"}, "1", "gave-up"},
		{[]string{"-m", "2"}, "0", "stopped"},
	} {
		t.Run(strings.Join(c.args, " ")+" exit "+c.code, func(t *testing.T) {
			dir := tempDir(t)
			status := filepath.Join(dir, "status")
			g := startGrespawn(t, dir, append(append(c.args, "--delay", "0", "--status-file", status), helperArgs("exit", c.code)...)...)
			g.wait()
			if want := "state=" + c.state + "\n"; !strings.HasPrefix(readFile(t, status), want) {
				t.Errorf("status file:\n%s\nwant it to begin %q", readFile(t, status), want)
			}
		})
	}
}

// notPassedByGrespawn are the signals grespawn does not pass on, each with
// the reason grespawn(1) gives (SIGNALS).
var notPassedByGrespawn = withRuntimeSignals(map[syscall.Signal]string{
	syscall.SIGCHLD: "grespawn's own news of its command",
	syscall.SIGPIPE: "grespawn's own, from a message written to a closed pipe",
})

// Every signal from 1 to 64 but KILL and STOP and the two that stop it, sent
// to grespawn: it never dies of one (issue 13: 32 and 34 killed it); the
// command, a C program that records what it gets, gets each one grespawn(1)
// does not list as kept back, and starts with none of them ignored or
// blocked; a job-control stop stops both and the continue resumes both.
func TestGrespawnPassesOnEverySignal(t *testing.T) {
	recorder := buildRecorder(t)
	// Also under a parent that ignores the signals Go leaves to a C library
	// (a CI runner did): the command gets them at their default all the same.
	for _, inherited := range []bool{false, true} {
		name := "signals at their defaults"
		if inherited {
			name = "32 and 34 ignored by its parent"
		}
		t.Run(name, func(t *testing.T) {
			dir := tempDir(t)
			record, ready := filepath.Join(dir, "record"), filepath.Join(dir, "ready")
			// A job of its own, as a shell starts one, so that the kernel acts on a stop.
			g := startGrespawnWith(t, dir, func(cmd *exec.Cmd) {
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				if inherited {
					cmd.Path, cmd.Args = filepath.Join(binDir, testutil.HelperName), append(testutil.HelperArgs("ignoring"), cmd.Args...)
				}
			}, "--restart", "never", "--", recorder, record, ready)
			pid := testutil.ReadyPID(t, ready, g.proc)
			command := testutil.Watch(t, pid)
			command.KillAtCleanup(t)
			checkStartsClean(t, pid, 1)
			checkEverySignal(t, g.proc, command, record, notPassedByGrespawn, []syscall.Signal{syscall.SIGTERM, syscall.SIGINT})
			g.signal(syscall.SIGTERM) // the recorder does not die of it: a second one kills it
			g.waitFor("the stop", func() bool { return strings.Contains(g.messages(), "stopping recorder") })
			g.signal(syscall.SIGTERM)
			if st := g.wait(); st != 137 {
				t.Errorf("status %d, want 137", st)
			}
		})
	}
}

// startPID1 starts cmd, an unshare --pid --fork, and returns when it ends
// and the namespace's PID 1 as this test sees it, killed at the end of the
// test (and with it the namespace).
func startPID1(t *testing.T, cmd *exec.Cmd) (<-chan struct{}, *testutil.Proc) {
	t.Helper()
	exited := startBackground(t, cmd, nil)
	unshare := testutil.Watch(t, cmd.Process.Pid)
	var init int
	unshare.WaitFor(t, "the namespace's init", func() (bool, string) {
		kids, _ := testutil.Children(unshare.PID)
		if len(kids) == 1 {
			init = kids[0]
		}
		return init != 0, fmt.Sprintf("unshare's children %v", kids)
	})
	pid1 := testutil.Watch(t, init)
	pid1.KillAtCleanup(t)
	return exited, pid1
}
