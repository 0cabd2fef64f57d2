//go:build linux

package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

// readyPID waits for DIR/pid, written by a helper once it is ready, and
// returns the PID in it. Watched are processes whose exit means the file
// will never come (the helper's supervisor): the wait then fails at once.
func readyPID(t *testing.T, dir string, watched ...*testutil.Proc) int {
	t.Helper()
	return testutil.ReadyPID(t, filepath.Join(dir, "pid"), watched...)
}

func mustStat(t *testing.T, pid int) testutil.Stat {
	t.Helper()
	st, err := testutil.ReadStat(pid)
	if err != nil {
		t.Fatalf("process %d: %v", pid, err)
	}
	return st
}

// sigIgnored reports whether pid ignores s.
func sigIgnored(t *testing.T, pid int, s syscall.Signal) bool {
	t.Helper()
	m, err := testutil.SignalMask(pid, "SigIgn")
	if err != nil {
		t.Fatal(err)
	}
	return testutil.HasSignal(m, s)
}

// waitGone waits until pid has exited, and fails the test at the deadline.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	testutil.Watch(t, pid).WaitExit(t)
}

// waitStopped waits until pid is stopped (state T), and fails the test at
// once if it exits instead.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	testutil.Watch(t, pid).WaitStat(t, "the command stopped", func(st testutil.Stat) bool { return st.State == 'T' })
}

// waitAlive polls cond, a condition on files, while pid runs: the wait
// fails at once if pid exits first.
func waitAlive(t *testing.T, pid int, what string, cond func() bool) {
	t.Helper()
	testutil.Watch(t, pid).WaitFor(t, what, func() (bool, string) { return cond(), "" })
}

// killAtCleanup makes sure pid does not outlive the test: SIGKILL through a
// pidfd, so a recycled PID is never hit.
func killAtCleanup(t *testing.T, pid int) {
	testutil.Watch(t, pid).KillAtCleanup(t)
}

// alive probes a sleep or tick helper: it sends SIGUSR1 and waits for the
// helper to record it in DIR/probe. Only a process that is running and
// acting on signals passes; one that was killed, even an instant ago, fails.
func alive(t *testing.T, dir string, pid int) bool {
	t.Helper()
	p := testutil.Watch(t, pid)
	if p.Exited(t, 0) {
		return false
	}
	before := countLines(filepath.Join(dir, "probe"))
	if err := p.Signal(unix.SIGUSR1); err != nil {
		return false
	}
	end := testutil.Deadline(t)
	for pause := time.Millisecond; countLines(filepath.Join(dir, "probe")) == before; pause = min(2*pause, 50*time.Millisecond) {
		if p.Exited(t, pause) {
			return false
		}
		if time.Now().After(end) {
			t.Fatalf("process %d neither exited nor answered the probe", pid)
		}
	}
	return true
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

// startBackground starts cmd and returns a channel closed once it has exited
// and been waited for (its status is then in cmd.ProcessState). At the end
// of the test it is killed and waited for, and if the test failed, what
// report returns (when report is not nil) is logged.
func startBackground(t *testing.T, cmd *exec.Cmd, report func() string) <-chan struct{} {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the status is read from ProcessState
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // ESRCH: it has exited already
		<-exited
		if t.Failed() && report != nil {
			t.Log(report())
		}
	})
	return exited
}

// asleep waits until pid, a sleep(1) just executed, is asleep: its dynamic
// loader is done, and the descriptor it opens on the C library for a moment
// (seen once in /proc/PID/fd on a loaded machine) is closed.
func asleep(t *testing.T, pid int) {
	t.Helper()
	testutil.Watch(t, pid).WaitStat(t, "the daemon asleep", func(st testutil.Stat) bool { return st.State == 'S' })
}

// fdTargets lists what the open descriptors of pid refer to.
func fdTargets(t *testing.T, pid int) map[int]string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fds := map[int]string{}
	for _, e := range entries {
		fd, _ := strconv.Atoi(e.Name())
		fds[fd], _ = os.Readlink(filepath.Join(dir, e.Name()))
	}
	return fds
}

// procStrings reads a NUL-separated /proc file (cmdline, environ).
func procStrings(t *testing.T, pid int, name string) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// taggedProcesses lists the processes whose environment holds tag: anything
// a failed start left running.
func taggedProcesses(tag string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if st, err := testutil.ReadStat(pid); err == nil && st.State != 'Z' && strings.Contains(string(b), tag) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// pidfilePID waits for a pidfile to name a process, and makes sure that
// process does not outlive the test.
func pidfilePID(t *testing.T, path string) int {
	t.Helper()
	pid := testutil.ReadyPID(t, path)
	killAtCleanup(t, pid)
	return pid
}

func mapsEqual(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// fdTarget is what /proc shows for f of this process ("pipe:[N]", "socket:[N]").
func fdTarget(t *testing.T, f *os.File) string {
	t.Helper()
	target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// fdFlags are the open flags of pid's descriptor fd, from /proc.
func fdFlags(t *testing.T, pid, fd int) int {
	t.Helper()
	for _, line := range strings.Split(readFile(t, fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd)), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
	}
	t.Fatalf("no flags in fdinfo of %d/%d", pid, fd)
	return 0
}
