//go:build linux

package tests

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

func init() { testutil.RegisterHelper("hooked", hookedHelper) }

// hookedHelper is one run of a command whose runs wait for each other's
// hooks: helper hooked DIR END,END,... The k-th run writes its PID to
// DIR/run.K, waits until the hook of run k-1 has written DIR/hook.K-1,
// writes "last line of run K" to its standard output, and ends as the k-th
// END says: a number is an exit status, KILL a SIGKILL of its own.
func hookedHelper(args []string) int {
	dir, ends := args[0], strings.Split(args[1], ",")
	k := 1
	for ; ; k++ {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("run.%d", k)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			fmt.Fprintln(f, os.Getpid())
			f.Close()
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 2
		}
	}
	if k > 1 {
		if err := awaitFile(filepath.Join(dir, fmt.Sprintf("hook.%d", k-1)), nil); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 2
		}
	}
	fmt.Printf("last line of run %d\n", k)
	end := ends[min(k, len(ends))-1]
	if end == "KILL" {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL) // our own PID: it cannot fail
	}
	code, _ := strconv.Atoi(end)
	return code
}

// startHooked starts grespawn with a tag in its environment, which its
// hooks and everything they start inherit: at the end of the test, once
// grespawn is stopped, whatever carries the tag is killed (a hook that
// grespawn left running, and what it started in its process group), so
// that the suite's leak check sees nothing left.
func startHooked(t *testing.T, dir string, args ...string) *grespawnRun {
	t.Helper()
	tag := "GDETACH_HOOK_TEST=" + dir
	t.Cleanup(func() {
		for _, pid := range taggedProcesses(tag + "\x00") {
			p := testutil.Watch(t, pid)
			_ = p.Signal(syscall.SIGKILL) // gone already: nothing to do
			p.WaitExit(t)
		}
	})
	return startGrespawnWith(t, dir, func(cmd *exec.Cmd) { cmd.Env = append(os.Environ(), tag) }, args...)
}

// hookEnv parses a file of KEY=VALUE lines.
func hookEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, path)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// The hook runs after each run, the last one included, with how the run
// ended in its environment (status, exit code or signal, PID, uptime, what
// comes next, the delay), and once the run's output has settled: it finds
// the run's last line in the log. Each run waits for the last run's hook,
// so that no hook is dropped for one that runs.
func TestGrespawnOnExitEnvironment(t *testing.T) {
	dir := tempDir(t)
	hook := `echo $$ > "hookpid.$GRESPAWN_RUN"
{ env | grep ^GRESPAWN_ | sort; echo "LOGGED=$(grep -c "^last line of run $GRESPAWN_RUN\$" app.log)"; } > "hook.tmp.$GRESPAWN_RUN"
mv "hook.tmp.$GRESPAWN_RUN" "hook.$GRESPAWN_RUN"`
	g := startHooked(t, dir, append([]string{"-m", "3", "--delay", "100ms", "--min-uptime", "0", "-l", "app.log", "--on-exit", hook},
		helperArgs("hooked", dir, "3,KILL,3")...)...)
	if status := g.wait(); status != 3 {
		t.Errorf("status %d, want the last run's 3", status)
	}
	// The last run's hook was started as grespawn ended, and left to run.
	testutil.WaitFor(t, "the last run's hook", func() bool { return fileExists(filepath.Join(dir, "hook.3")) })
	waitGone(t, pidfilePID(t, filepath.Join(dir, "hookpid.3")))

	for k, want := range []map[string]string{
		{"GRESPAWN_STATUS": "exit 3", "GRESPAWN_EXIT_CODE": "3", "GRESPAWN_SIGNAL": "", "GRESPAWN_NEXT": "restart"},
		{"GRESPAWN_STATUS": "signal SIGKILL", "GRESPAWN_EXIT_CODE": "", "GRESPAWN_SIGNAL": "SIGKILL", "GRESPAWN_NEXT": "restart"},
		{"GRESPAWN_STATUS": "exit 3", "GRESPAWN_EXIT_CODE": "3", "GRESPAWN_SIGNAL": "", "GRESPAWN_NEXT": "give-up", "GRESPAWN_DELAY": ""},
	} {
		run := k + 1
		env := hookEnv(t, filepath.Join(dir, fmt.Sprintf("hook.%d", run)))
		want["GRESPAWN_COMMAND"] = "helper"
		want["GRESPAWN_RUN"] = strconv.Itoa(run)
		want["GRESPAWN_PID"] = strings.TrimSpace(readFile(t, filepath.Join(dir, fmt.Sprintf("run.%d", run))))
		want["LOGGED"] = "1" // the run's last line, in the log before the hook started
		for key, v := range want {
			if env[key] != v {
				t.Errorf("run %d: %s=%q, want %q", run, key, env[key], v)
			}
		}
		if !regexp.MustCompile(`^\d+\.\d{3}$`).MatchString(env["GRESPAWN_UPTIME"]) {
			t.Errorf("run %d: GRESPAWN_UPTIME=%q, not seconds to the millisecond", run, env["GRESPAWN_UPTIME"])
		}
		if want["GRESPAWN_NEXT"] == "restart" {
			// --delay 100ms, +10% jitter at most, to the millisecond.
			if d, err := strconv.ParseFloat(env["GRESPAWN_DELAY"], 64); err != nil || d < 0.1 || d > 0.111 {
				t.Errorf("run %d: GRESPAWN_DELAY=%q, want 0.100 to 0.110", run, env["GRESPAWN_DELAY"])
			}
		}
		if len(env) != 10 {
			t.Errorf("run %d: %d variables, want the 9 GRESPAWN_* and LOGGED:\n%v", run, len(env), env)
		}
	}
	if strings.Contains(g.messages(), "on-exit hook") {
		t.Errorf("a hook that succeeded was reported:\n%s", g.messages())
	}
}

// A hook that does not end is stopped after --on-exit-timeout: SIGTERM to
// its process group, then SIGKILL a second later (this one ignores
// SIGTERM). Meanwhile the supervision went on: when the hook got SIGTERM,
// the next run had started. Then the hooks go on, with the latest run's.
func TestGrespawnOnExitTimeout(t *testing.T) {
	dir := tempDir(t)
	timeout := time.Second * testutil.Scale()
	hook := `echo $$ > "hookpid.$GRESPAWN_RUN"
if [ "$GRESPAWN_RUN" = 1 ]; then
	trap 'grep -c ^start runs > runs-at-term' TERM
	while :; do sleep 3600 & wait; done # wait: the trap runs at once
fi`
	g := startHooked(t, dir, append([]string{"--delay", "0", "--on-exit-timeout", timeout.String(), "--on-exit", hook},
		helperArgs("count", dir, "1")...)...)
	hookPID := testutil.ReadyPID(t, filepath.Join(dir, "hookpid.1"), g.proc)
	g.waitFor("the hook killed", func() bool {
		return strings.Contains(g.messages(), fmt.Sprintf("on-exit hook for run 1 (pid %d) was killed by SIGKILL after", hookPID))
	})
	for _, want := range []string{
		fmt.Sprintf("on-exit hook for run 1 (pid %d) still runs after %v: stopping its process group", hookPID, timeout),
		fmt.Sprintf("on-exit hook for run 1 (pid %d) did not stop within 1s of SIGTERM: killing its process group", hookPID),
	} {
		if !strings.Contains(g.messages(), want) {
			t.Errorf("no %q in the messages:\n%s", want, g.messages())
		}
	}
	switch atTerm := readFile(t, filepath.Join(dir, "runs-at-term")); {
	case atTerm == "":
		t.Error("the hook's trap never ran: no SIGTERM came")
	case strings.TrimSpace(atTerm) == "0" || strings.TrimSpace(atTerm) == "1":
		t.Errorf("%s runs when the hook got SIGTERM, want 2 or more: the supervision waited for the hook", strings.TrimSpace(atTerm))
	}
	waitGone(t, hookPID)
	g.waitFor("a later run's hook", func() bool {
		later, _ := filepath.Glob(filepath.Join(dir, "hookpid.*"))
		return len(later) > 1
	})
}

// A stop is not delayed by a hook that runs: grespawn stops the run and
// exits while the hook (with an hour's timeout) still runs, and leaves it
// running; the stopped run's own hook is started as grespawn ends, told
// GRESPAWN_NEXT=stop.
func TestGrespawnOnExitDoesNotDelayStop(t *testing.T) {
	dir := tempDir(t)
	hook := `echo "$GRESPAWN_NEXT" > "next.tmp.$GRESPAWN_RUN"; mv "next.tmp.$GRESPAWN_RUN" "next.$GRESPAWN_RUN"
echo $$ > "hookpid.$GRESPAWN_RUN"
[ "$GRESPAWN_RUN" != 1 ] || exec sleep 3600`
	g := startHooked(t, dir, append([]string{"--delay", "0", "--on-exit-timeout", "1h", "--on-exit", hook},
		helperArgs("count", dir, "1", "0s,1h")...)...)
	hook1 := testutil.Watch(t, testutil.ReadyPID(t, filepath.Join(dir, "hookpid.1"), g.proc))
	g.waitFor("run 2", func() bool { return strings.Count(readAll(filepath.Join(dir, "runs")), "start ") == 2 })
	g.signal(syscall.SIGTERM)
	if status := g.wait(); status != 0 {
		t.Errorf("status %d, want 0: run 2 stopped on request by SIGTERM", status)
	}
	if hook1.Exited(t, 0) {
		t.Error("the hook of run 1 was ended with grespawn, not left running")
	}
	testutil.WaitFor(t, "the stopped run's hook", func() bool { return fileExists(filepath.Join(dir, "next.2")) })
	if next := strings.TrimSpace(readFile(t, filepath.Join(dir, "next.2"))); next != "stop" {
		t.Errorf("the stopped run's hook was told GRESPAWN_NEXT=%s, want stop", next)
	}
	if next := strings.TrimSpace(readFile(t, filepath.Join(dir, "next.1"))); next != "restart" {
		t.Errorf("run 1's hook was told GRESPAWN_NEXT=%s, want restart", next)
	}
	waitGone(t, pidfilePID(t, filepath.Join(dir, "hookpid.2")))
}

// The hook of the last run is started as grespawn ends (--restart never),
// and grespawn does not wait for it: here it waits on a FIFO until grespawn
// has exited, and learns then what grespawn did: stop after a success, give
// up after a failure.
func TestGrespawnOnExitLastRun(t *testing.T) {
	for _, c := range []struct{ code, next string }{{"0", "stop"}, {"3", "give-up"}} {
		t.Run("exit "+c.code, func(t *testing.T) {
			dir := tempDir(t)
			fifo := filepath.Join(dir, "fifo")
			if err := unix.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			hook := `echo $$ > hookpid.tmp; mv hookpid.tmp hookpid; read x < fifo; echo "$GRESPAWN_NEXT $GRESPAWN_STATUS" > next.tmp; mv next.tmp next`
			g := startHooked(t, dir, append([]string{"--restart", "never", "--on-exit", hook}, helperArgs("exit", c.code)...)...)
			if status, want := g.wait(), c.code; strconv.Itoa(status) != want {
				t.Errorf("status %d, want %s", status, want)
			}
			last := testutil.Watch(t, testutil.ReadyPID(t, filepath.Join(dir, "hookpid")))
			if last.Exited(t, 0) {
				t.Fatal("the hook ended before it could read the FIFO")
			}
			var w *os.File
			testutil.WaitFor(t, "the hook reading the FIFO", func() bool {
				var err error
				w, err = os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0) // ENXIO until the hook opens it
				return err == nil
			})
			fmt.Fprintln(w, "go")
			w.Close()
			last.WaitExit(t)
			if got, want := strings.TrimSpace(readFile(t, filepath.Join(dir, "next"))), c.next+" exit "+c.code; got != want {
				t.Errorf("the last hook was told %q, want %q", got, want)
			}
		})
	}
}

// A hook that fails is said in one line, with how it ended; a command the
// shell cannot find is said by the shell too, on grespawn's standard error.
func TestGrespawnOnExitFailureReported(t *testing.T) {
	for _, c := range []struct{ name, hook, want string }{
		{"exit 4", "exit 4", `exited with status 4 after`},
		{"killed", "kill -USR1 $$", `was killed by SIGUSR1 after`},
		{"not found", "gdetach-no-such-hook", `exited with status 127 after`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			g := startHooked(t, dir, append([]string{"--delay", "0", "--on-exit", c.hook}, helperArgs("count", dir, "1", "0s,1h")...)...)
			re := regexp.MustCompile(`(?m)^grespawn: on-exit hook for run 1 \(pid \d+\) ` + c.want + ` \S+$`)
			g.waitFor("the failure said", func() bool { return re.MatchString(g.messages()) })
			if c.name == "not found" && !regexp.MustCompile(`gdetach-no-such-hook: (command )?not found`).MatchString(g.messages()) {
				t.Errorf("the shell's own message is not on grespawn's standard error:\n%s", g.messages())
			}
		})
	}
}

// A crash loop without delay, its hook hanging until the timeout, never
// has more than the run and one hook as grespawn's children (the hooks of
// the runs that end meanwhile are dropped), and grespawn's descriptors stay
// as they were.
func TestGrespawnOnExitCrashLoopBounded(t *testing.T) {
	dir := tempDir(t)
	status := filepath.Join(dir, "status")
	g := startHooked(t, dir, "--delay", "0", "--min-uptime", "0", "--status-file", status,
		"--on-exit-timeout", "200ms", "--on-exit", `echo $$ >> hookpids; exec sleep 3600`, "--", "false")
	runs := func() int {
		m := regexp.MustCompile(`(?m)^runs=(\d+)$`).FindStringSubmatch(readAll(status))
		if m == nil {
			return 0
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	most, samples := 0, 0
	sample := func() {
		kids, err := testutil.Children(g.proc.PID)
		if err != nil {
			t.Fatal(err)
		}
		most, samples = max(most, len(kids)), samples+1
	}
	g.waitFor("50 runs", func() bool { sample(); return runs() >= 50 })
	fds := len(fdTargets(t, g.proc.PID))
	g.waitFor("500 runs", func() bool { sample(); return runs() >= 500 })
	hooks := strings.Count(readAll(filepath.Join(dir, "hookpids")), "\n")
	t.Logf("%d runs, %d hooks started, at most %d children in %d samples", runs(), hooks, most, samples)
	if most > 2 {
		t.Errorf("%d children of grespawn at once, more than the run and one hook", most)
	}
	if hooks < 2 || hooks >= runs() {
		t.Errorf("%d hooks for %d runs: want some, and far fewer than the runs", hooks, runs())
	}
	if now := len(fdTargets(t, g.proc.PID)); now > fds+2 {
		t.Errorf("grespawn holds %d descriptors after 500 runs, %d after 50", now, fds)
	}
}

// The hook's options: an empty hook, a timeout without a hook, a timeout of
// no length.
func TestGrespawnOnExitCommandLine(t *testing.T) {
	const try = "\nTry 'grespawn --help' for more information.\n"
	runCLI(t, "grespawn", []cliCase{
		{args: args("--on-exit", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--on-exit': cannot be empty" + try + "$"},
		{args: args("--on-exit-timeout", "1s", "true"), status: 125, stderrRE: "^grespawn: --on-exit-timeout goes with --on-exit" + try + "$"},
		{args: args("--on-exit", "true", "--on-exit-timeout", "0", "true"), status: 125, stderrRE: "^grespawn: invalid argument '0s' for '--on-exit-timeout': it must be more than 0" + try + "$"},
		{args: args("--on-exit", "true", "--on-exit-timeout", "-1s", "true"), status: 125, stderrRE: "^grespawn: invalid argument '-1s' for '--on-exit-timeout': a duration cannot be negative" + try + "$"},
		{args: args("--on", "true", "true"), status: 125, stderrRE: "^grespawn: option '--on' is ambiguous; possibilities: '--on-exit' '--on-exit-timeout'" + try + "$"},
	})
}
