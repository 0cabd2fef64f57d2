//go:build linux

package tests

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// scale stretches every deadline: GDETACH_TEST_TIMEOUT_SCALE=3 on a slow machine.
func scale() time.Duration {
	if n, err := strconv.Atoi(os.Getenv("GDETACH_TEST_TIMEOUT_SCALE")); err == nil && n > 0 {
		return time.Duration(n)
	}
	return 1
}

// deadline is when a test's waits give up: 90% of the way to the test
// binary's deadline (as os/signal's TestNohup keeps 10% headroom), or two
// minutes when go test runs without one.
func deadline(t *testing.T) time.Time {
	if d, ok := t.Deadline(); ok {
		return time.Now().Add(time.Until(d) * 9 / 10)
	}
	return time.Now().Add(2 * time.Minute * scale())
}

// waitFor polls cond, with a growing pause, until it holds; at the deadline
// it fails the test, saying what it waited for.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := deadline(t)
	for pause := time.Millisecond; !cond(); pause = min(2*pause, 50*time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(pause)
	}
}

// readyPID waits for DIR/pid, written by a helper once it is ready, and
// returns the PID in it.
func readyPID(t *testing.T, dir string) int {
	t.Helper()
	var pid int
	waitFor(t, "helper ready in "+dir, func() bool {
		var err error
		pid, err = readPIDFile(filepath.Join(dir, "pid"))
		return err == nil
	})
	return pid
}

// readPIDFile reads a file holding one PID and a newline.
func readPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s, ok := strings.CutSuffix(string(b), "\n")
	if !ok {
		return 0, fmt.Errorf("%s: %q is not a PID and a newline", path, b)
	}
	return strconv.Atoi(s)
}

// procStat is what /proc/PID/stat says about a process.
type procStat struct {
	state                  byte
	ppid, pgrp, sid, ttyNr int
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var p procStat
	p.state = f[0][0]
	p.ppid, _ = strconv.Atoi(f[1])
	p.pgrp, _ = strconv.Atoi(f[2])
	p.sid, _ = strconv.Atoi(f[3])
	p.ttyNr, _ = strconv.Atoi(f[4])
	return p, nil
}

func mustStat(t *testing.T, pid int) procStat {
	t.Helper()
	p, err := readStat(pid)
	if err != nil {
		t.Fatalf("process %d: %v", pid, err)
	}
	return p
}

// sigMask reads a mask line (SigIgn, SigCgt, SigBlk) of /proc/PID/status.
func sigMask(pid int, field string) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

func hasSignal(mask uint64, s syscall.Signal) bool { return mask&(1<<(s-1)) != 0 }

// sigIgnored reports whether pid ignores s.
func sigIgnored(t *testing.T, pid int, s syscall.Signal) bool {
	t.Helper()
	m, err := sigMask(pid, "SigIgn")
	if err != nil {
		t.Fatal(err)
	}
	return hasSignal(m, s)
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
	if !exited(t, pidfd(t, pid), time.Until(deadline(t))) {
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
	end := deadline(t)
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
