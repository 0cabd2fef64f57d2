//go:build linux

package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

// readyPID waits for DIR/pid, written by a helper once it is ready, and
// returns the PID in it.
func readyPID(t *testing.T, dir string) int {
	t.Helper()
	return testutil.ReadyPID(t, filepath.Join(dir, "pid"))
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

// pidfd opens a pidfd on pid, so the process is watched and signalled
// without the risk of a recycled PID; nil if it has already gone.
func pidfd(t *testing.T, pid int) *os.File {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		t.Fatalf("pidfd_open(%d): %v", pid, err)
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("pidfd:%d", pid))
	t.Cleanup(func() { f.Close() })
	return f
}

// exited reports whether the process of a pidfd has exited (as a zombie or
// reaped), waiting at most d for it.
func exited(t *testing.T, pfd *os.File, d time.Duration) bool {
	t.Helper()
	if pfd == nil {
		return true
	}
	fds := []unix.PollFd{{Fd: int32(pfd.Fd()), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(max(d, 0).Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("poll pidfd: %v", err)
		}
		return n > 0
	}
}

// waitGone waits until pid has exited, and fails the test at the deadline.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	if !exited(t, pidfd(t, pid), time.Until(testutil.Deadline(t))) {
		t.Fatalf("process %d is still running", pid)
	}
}

// killAtCleanup makes sure pid does not outlive the test: SIGKILL through a
// pidfd, so a recycled PID is never hit.
func killAtCleanup(t *testing.T, pid int) {
	pfd := pidfd(t, pid)
	if pfd == nil {
		return
	}
	t.Cleanup(func() {
		_ = unix.PidfdSendSignal(int(pfd.Fd()), unix.SIGKILL, nil, 0) // ESRCH: already gone
	})
}

// alive probes a sleep or tick helper: it sends SIGUSR1 and waits for the
// helper to record it in DIR/probe. Only a process that is running and
// acting on signals passes; one that was killed, even an instant ago, fails.
func alive(t *testing.T, dir string, pid int) bool {
	t.Helper()
	pfd := pidfd(t, pid)
	if exited(t, pfd, 0) {
		return false
	}
	before := countLines(filepath.Join(dir, "probe"))
	if err := unix.PidfdSendSignal(int(pfd.Fd()), unix.SIGUSR1, nil, 0); err != nil {
		return false
	}
	end := testutil.Deadline(t)
	for pause := time.Millisecond; countLines(filepath.Join(dir, "probe")) == before; pause = min(2*pause, 50*time.Millisecond) {
		if exited(t, pfd, pause) {
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
