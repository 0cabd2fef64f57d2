package testutil

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// Scale is GDETACH_TEST_TIMEOUT_SCALE (1 when unset or not a positive
// number): how many times longer than usual a slow machine may take. Every
// bound a test puts on elapsed time is multiplied by it.
func Scale() time.Duration {
	if n, err := strconv.Atoi(os.Getenv("GDETACH_TEST_TIMEOUT_SCALE")); err == nil && n > 0 {
		return time.Duration(n)
	}
	return 1
}

// Deadline is when a wait gives up: two minutes times Scale from now (no
// single wait of these tests takes a fraction of that), or sooner, 90% of the
// way to the test binary's deadline (os/signal's TestNohup keeps the same
// headroom), so that a hang fails the test rather than the whole binary.
// (With -count=50 the binary's deadline is far away: each wait still has
// its own.)
func Deadline(t testing.TB) time.Time {
	end := time.Now().Add(2 * time.Minute * Scale())
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if binary, ok := d.Deadline(); ok {
			if headroom := time.Now().Add(time.Until(binary) * 9 / 10); headroom.Before(end) {
				end = headroom
			}
		}
	}
	return end
}

// WaitFor polls cond, with a pause growing to 50ms, until it holds; at the
// deadline it fails the test, saying what it waited for. It is for
// conditions on files; a condition on a process belongs to Proc.WaitFor,
// which gives up as soon as the process is gone.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	end := Deadline(t)
	for pause := time.Millisecond; !cond(); pause = nextPause(pause) {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(pause)
	}
}

func nextPause(p time.Duration) time.Duration { return min(2*p, 50*time.Millisecond) }

// ReadyPID waits for a PID file that a helper writes once it is ready, and
// returns the PID in it. With watched processes (the helper's launcher:
// a supervisor, a shell), it fails at once if one of them exits first.
func ReadyPID(t testing.TB, path string, watched ...*Proc) int {
	t.Helper()
	var pid int
	ready := func() (bool, string) {
		var err error
		pid, err = ReadPIDFile(path)
		return err == nil, "no ready file"
	}
	if len(watched) == 0 {
		WaitFor(t, "ready file "+path, func() bool { ok, _ := ready(); return ok })
		return pid
	}
	waitWhileRunning(t, watched, "ready file "+path, ready)
	return pid
}
