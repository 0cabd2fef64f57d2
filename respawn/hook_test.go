package respawn

import (
	"bytes"
	"cmp"
	"fmt"
	"log"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/session"
	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

func init() { testutil.RegisterHelper("longhook", longHookHelper) }

// The hook's environment: every variable always set, empty where it does
// not apply, in the words of the status file.
func TestRunReportEnv(t *testing.T) {
	for _, c := range []struct {
		name string
		r    runReport
		want string
	}{
		{"exited, restart", runReport{command: "app", run: 3, pid: 42, uptime: 12345 * time.Millisecond, end: runEnd{kind: exited, code: 3}, next: "restart", delay: 104 * time.Millisecond},
			"GRESPAWN_COMMAND=app GRESPAWN_RUN=3 GRESPAWN_PID=42 GRESPAWN_STATUS=exit 3 GRESPAWN_EXIT_CODE=3 GRESPAWN_SIGNAL= GRESPAWN_UPTIME=12.345 GRESPAWN_NEXT=restart GRESPAWN_DELAY=0.104"},
		{"a restart at once", runReport{command: "app", run: 1, pid: 42, end: runEnd{kind: exited, code: 0}, next: "restart"},
			"GRESPAWN_COMMAND=app GRESPAWN_RUN=1 GRESPAWN_PID=42 GRESPAWN_STATUS=exit 0 GRESPAWN_EXIT_CODE=0 GRESPAWN_SIGNAL= GRESPAWN_UPTIME=0.000 GRESPAWN_NEXT=restart GRESPAWN_DELAY=0.000"},
		{"killed, stop", runReport{command: "app", run: 7, pid: 42, uptime: time.Second, end: runEnd{kind: killed, code: int(syscall.SIGKILL)}, next: "stop"},
			"GRESPAWN_COMMAND=app GRESPAWN_RUN=7 GRESPAWN_PID=42 GRESPAWN_STATUS=signal SIGKILL GRESPAWN_EXIT_CODE= GRESPAWN_SIGNAL=SIGKILL GRESPAWN_UPTIME=1.000 GRESPAWN_NEXT=stop GRESPAWN_DELAY="},
		{"a real-time signal has a number", runReport{command: "app", run: 1, pid: 42, end: runEnd{kind: killed, code: 40}, next: "give-up"},
			"GRESPAWN_COMMAND=app GRESPAWN_RUN=1 GRESPAWN_PID=42 GRESPAWN_STATUS=signal signal 40 GRESPAWN_EXIT_CODE= GRESPAWN_SIGNAL=40 GRESPAWN_UPTIME=0.000 GRESPAWN_NEXT=give-up GRESPAWN_DELAY="},
		{"could not be run: no PID", runReport{command: "app", run: 2, end: runEnd{kind: notRun, code: 127, why: "No such file or directory"}, next: "give-up"},
			"GRESPAWN_COMMAND=app GRESPAWN_RUN=2 GRESPAWN_PID= GRESPAWN_STATUS=exit 127 GRESPAWN_EXIT_CODE=127 GRESPAWN_SIGNAL= GRESPAWN_UPTIME=0.000 GRESPAWN_NEXT=give-up GRESPAWN_DELAY="},
		{"unknown", runReport{command: "nginx", run: 1, pid: 42, uptime: 2 * time.Second, end: unknownEnd("exited (its status is unknown)"), next: "restart", delay: time.Second},
			"GRESPAWN_COMMAND=nginx GRESPAWN_RUN=1 GRESPAWN_PID=42 GRESPAWN_STATUS=unknown GRESPAWN_EXIT_CODE= GRESPAWN_SIGNAL= GRESPAWN_UPTIME=2.000 GRESPAWN_NEXT=restart GRESPAWN_DELAY=1.000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(c.r.env(), " "); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// While a hook runs, the latest report waits, and the ones it replaced are
// counted; a hook is due only when none runs. A nil *hooks (no --on-exit)
// is never due and spares nothing.
func TestHooksQueue(t *testing.T) {
	var none *hooks
	none.queue(runReport{run: 1})
	if none.due() != nil || none.expired() != nil || none.runs(1) {
		t.Error("no hook, yet something due or running")
	}
	none.reaped(1, 0) // must not panic

	h := &hooks{line: "true", shell: hookShell, timeout: time.Second, ev: newEventLog(nil)}
	if h.due() != nil {
		t.Error("due with nothing queued")
	}
	h.queue(runReport{run: 1})
	if h.due() == nil {
		t.Error("not due with a report queued and no hook running")
	}
	h.running = &hookProc{pid: 4242, run: 1}
	if h.due() != nil {
		t.Error("due while a hook runs")
	}
	if !h.runs(4242) || h.runs(4243) {
		t.Error("runs() does not tell the running hook")
	}
	h.queue(runReport{run: 2})
	h.queue(runReport{run: 3})
	if h.pending.run != 3 || h.skipped != 2 {
		t.Errorf("pending run %d, %d skipped; want the latest, 3, and 2 skipped", h.pending.run, h.skipped)
	}
	h.reaped(4243, 0) // not the hook: nothing changes
	if h.running == nil {
		t.Fatal("another child's end ended the hook")
	}
	h.reaped(4242, 0)
	if h.running != nil || h.due() == nil {
		t.Error("the hook's end did not make the next due")
	}
}

// A shell that cannot be run is a failed hook, said in one line; the
// supervision goes on (nothing runs, the next report may start).
func TestHookShellMissing(t *testing.T) {
	var msgs strings.Builder
	sv := &supervision{ev: newEventLog(log.New(&msgs, "grespawn: ", 0)), unmanaged: session.DefaultUnmanaged}
	defer func() { sv.unmanaged() }()
	sv.hooks = &hooks{line: "true", shell: "/nonexistent/sh", timeout: time.Second, ev: sv.ev}
	sv.hooks.queue(runReport{run: 4, next: "restart"})
	sv.startHook()
	sv.ev.close() // the messages are printed from a goroutine of their own
	if want := "grespawn: on-exit hook for run 4: cannot run /nonexistent/sh: No such file or directory\n"; msgs.String() != want {
		t.Errorf("messages %q, want %q", msgs.String(), want)
	}
	if sv.hooks.running != nil || sv.hooks.timer != nil || sv.hooks.pending != nil {
		t.Error("a hook that did not start is running, timed, or still waiting")
	}
}

// hookRuns is how many runs TestSupervisorLongRunHook makes: 2,000, or
// 100,000 with GDETACH_LONG set (make stress).
func hookRuns() int {
	if os.Getenv("GDETACH_LONG") != "" {
		return 100000
	}
	return 2000
}

// longHookHelper supervises a crash loop without delay (a run of
// /bin/false, then at once the next) with an on-exit hook that now hangs
// until its timeout kills it, now fails, now succeeds: helper longhook N.
// It samples what it holds as longRunHelper does ("sample runs=… heap=…
// rss=… goroutines=… fds=… children=…": children are its own, the run and
// the hook), every tenth of N runs, and stops itself after nine samples.
// The hooks left when it ends are killed, by their process groups.
func longHookHelper(args []string) int {
	n, _ := strconv.Atoi(args[0])
	s := Supervisor{
		Argv:    []string{"/bin/false"},
		Backoff: Backoff{MinUptime: 0, MaxDelay: time.Second}, // every run long enough: no delay ever
		// A third of the hooks hang (the timeout's SIGTERM kills sleep),
		// a third fail, a third succeed; the last one, after the stop, is quick.
		OnExit:        `case $GRESPAWN_NEXT:$((GRESPAWN_RUN % 3)) in restart:0) exec sleep 10;; *:1) exit 1;; esac`,
		OnExitTimeout: 20 * time.Millisecond,
		StopTimeout:   time.Second,
	}
	var runs runCounter
	var timeouts atomic.Int64
	s.Logger = log.New(writerFunc(func(b []byte) (int, error) {
		if bytes.Contains(b, []byte("still runs after")) {
			timeouts.Add(1)
		}
		return runs.Write(b)
	}), "grespawn: ", 0)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for at, taken := n/10, 0; ; {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond): // a glance at the count
			}
			if last := runs.last(); last >= at {
				kids, _ := process.Children(os.Getpid())
				fmt.Printf("%s children=%d\n", measure(last), len(kids))
				if taken++; taken == 9 {
					_ = syscall.Kill(os.Getpid(), syscall.SIGTERM) // the stop: cannot fail for our own PID
					return
				}
				at = last + n/10
			}
		}
	}()
	_, err := s.Run()
	close(done)
	wg.Wait()
	fmt.Printf("timeouts=%d\n", timeouts.Load())
	kids, _ := process.Children(os.Getpid())
	for _, pid := range kids {
		_ = unix.Kill(-pid, unix.SIGKILL) // a hook left running leads its group
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	return 0
}

// A crash loop without delay, its hook hanging, failing or succeeding in
// turn, holds as much at the end as early on: never more than the run and
// one hook as children (the hooks of the runs that end while one runs are
// dropped), and flat memory, goroutines and descriptors. 2,000 runs by
// default, 100,000 in make stress (GDETACH_LONG=1).
func TestSupervisorLongRunHook(t *testing.T) {
	if testing.Short() {
		t.Skip("a long run: 2,000 restarts (100,000 in make stress)")
	}
	n := hookRuns()
	cmd := testutil.HelperCommand(t, "longhook", strconv.Itoa(n))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	re := regexp.MustCompile(`sample runs=(\d+) heap=(\d+) rss=(\d+) goroutines=(\d+) fds=(\d+) .* children=(\d+)`)
	samples := re.FindAllStringSubmatch(string(out), -1)
	if len(samples) != 9 {
		t.Fatalf("%d samples, want 9:\n%s\n%s", len(samples), out, stderr.String())
	}
	num := func(s []string, i int) int64 { v, _ := strconv.ParseInt(s[i], 10, 64); return v }
	for _, s := range samples {
		if kids := num(s, 6); kids > 2 {
			t.Errorf("%d children at run %s, more than the run and one hook", kids, s[1])
		}
	}
	// The least of three samples, the first three against the last three,
	// as in TestSupervisorLongRun.
	early, late := samples[:3], samples[len(samples)-3:]
	min3 := func(ss [][]string, i int) int64 {
		return num(slices.MinFunc(ss, func(a, b []string) int { return cmp.Compare(num(a, i), num(b, i)) }), i)
	}
	t.Logf("runs %s to %s: heap %d B, RSS %d KiB, %d goroutines, %d fds (the least of three)", early[0][1], early[2][1], min3(early, 2), min3(early, 3)>>10, min3(early, 4), min3(early, 5))
	t.Logf("runs %s to %s: heap %d B, RSS %d KiB, %d goroutines, %d fds", late[0][1], late[2][1], min3(late, 2), min3(late, 3)>>10, min3(late, 4), min3(late, 5))
	for _, c := range []struct {
		what  string
		i     int
		bound int64
	}{
		// Noisier than TestSupervisorLongRun's: while a hook runs, each
		// run's kill of leftovers reads /proc, and what it allocates is in
		// flight when a sample is taken (from 250 to 800 KB over 10,000
		// runs, flat). A leak of 100 B a run is 8 MB in make stress.
		{"heap", 2, 1 << 20},
		{"RSS", 3, 8 << 20},
		{"goroutines", 4, 2},
		{"descriptors", 5, 4}, // a run's or a hook's pidfd, /dev/null, in flight or not
	} {
		if grew := min3(late, c.i) - min3(early, c.i); grew > c.bound {
			t.Errorf("%s grew by %d between runs %s and %s, more than %d:\n%s", c.what, grew, early[0][1], late[2][1], c.bound, out)
		}
	}
	// The timeouts are said whatever the pace of the messages: hooks ran,
	// and were bounded.
	if m := regexp.MustCompile(`timeouts=(\d+)`).FindStringSubmatch(string(out)); m == nil || m[1] == "0" {
		t.Errorf("no hook timed out:\n%s", out)
	}
}

// A writerFunc is a function as an io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
