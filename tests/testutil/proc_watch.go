package testutil

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/process"
)

// A Proc is a process a test watches: its exit is seen at once (through a
// pidfd on Linux: a process.Handle), and a signal sent through it never
// reaches another process that has reused its PID.
type Proc struct {
	PID int
	h   *process.Handle // nil: the process had gone when it was watched
}

// Watch starts watching pid until the end of the test. A process already
// gone is a Proc that has exited.
func Watch(t testing.TB, pid int) *Proc {
	t.Helper()
	h, err := process.Open(pid)
	if errors.Is(err, process.ErrGone) {
		return &Proc{PID: pid}
	}
	if err != nil {
		t.Fatalf("watch process %d: %v", pid, err)
	}
	t.Cleanup(func() { h.Close() })
	return &Proc{PID: pid, h: h}
}

// Exited reports whether the process has exited (a zombie, or reaped),
// waiting at most d for it.
func (p *Proc) Exited(t testing.TB, d time.Duration) bool {
	t.Helper()
	if p.h == nil {
		return true
	}
	gone, err := p.h.Wait(max(d, 0))
	if err != nil {
		t.Fatalf("wait for process %d: %v", p.PID, err)
	}
	return gone
}

// WaitExit waits until the process has exited, and fails the test at the
// deadline.
func (p *Proc) WaitExit(t testing.TB) {
	t.Helper()
	if !p.Exited(t, time.Until(Deadline(t))) {
		st, _ := ReadStat(p.PID)
		t.Fatalf("process %d is still running (state %c)", p.PID, st.State)
	}
}

// Signal sends sig to the process; process.ErrGone once it has exited.
func (p *Proc) Signal(sig syscall.Signal) error {
	if p.h == nil {
		return process.ErrGone
	}
	return p.h.Signal(sig)
}

// KillAtCleanup makes sure the process does not outlive the test.
func (p *Proc) KillAtCleanup(t testing.TB) {
	t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL) }) // ESRCH: gone already
}

// WaitFor polls cond until it holds, while the process runs: if the
// process exits first, the test fails at once, naming it and what cond last
// saw (cond's second result, if not empty), instead of polling a dead
// process until the deadline.
func (p *Proc) WaitFor(t testing.TB, what string, cond func() (ok bool, saw string)) {
	t.Helper()
	waitWhileRunning(t, []*Proc{p}, what, cond)
}

// WaitStat waits until pred holds for /proc/PID/stat of a running process
// (a zombie has exited: the wait fails), and returns what it read.
func (p *Proc) WaitStat(t testing.TB, what string, pred func(Stat) bool) Stat {
	t.Helper()
	var st Stat
	p.WaitFor(t, what, func() (bool, string) {
		var err error
		if st, err = ReadStat(p.PID); err != nil {
			return false, err.Error()
		}
		return pred(st), fmt.Sprintf("state %c", st.State)
	})
	return st
}

// waitWhileRunning polls cond until it holds, failing the test at the
// deadline or as soon as one of the watched processes has exited. The
// condition is asked once more after an exit: a process may make it true
// and exit at once.
func waitWhileRunning(t testing.TB, watched []*Proc, what string, cond func() (bool, string)) {
	t.Helper()
	end := Deadline(t)
	for pause := time.Millisecond; ; pause = nextPause(pause) {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("gave up waiting for %s%s", what, lastSaw(saw))
		}
		// Sleep on the first process, glance at the others.
		for i, p := range watched {
			d := time.Duration(0)
			if i == 0 {
				d = pause
			}
			if p.Exited(t, d) {
				if ok, saw = cond(); ok {
					return
				}
				t.Fatalf("process %d exited while waiting for %s%s", p.PID, what, lastSaw(saw))
			}
		}
	}
}

func lastSaw(saw string) string {
	if saw == "" {
		return ""
	}
	return "; last saw: " + saw
}
