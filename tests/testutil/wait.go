package testutil

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// Deadline is when a test's waits give up: 90% of the way to the test
// binary's deadline (os/signal's TestNohup keeps the same headroom), or two
// minutes, times GDETACH_TEST_TIMEOUT_SCALE, when go test has no -timeout.
func Deadline(t testing.TB) time.Time {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if end, ok := d.Deadline(); ok {
			return time.Now().Add(time.Until(end) * 9 / 10)
		}
	}
	scale := time.Duration(1)
	if n, err := strconv.Atoi(os.Getenv("GDETACH_TEST_TIMEOUT_SCALE")); err == nil && n > 0 {
		scale = time.Duration(n)
	}
	return time.Now().Add(2 * time.Minute * scale)
}

// WaitFor polls cond, with a pause growing to 50ms, until it holds; at the
// deadline it fails the test, saying what it waited for.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	end := Deadline(t)
	for pause := time.Millisecond; !cond(); pause = min(2*pause, 50*time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(pause)
	}
}

// ReadyPID waits for a PID file that a helper writes once it is ready, and
// returns the PID in it.
func ReadyPID(t testing.TB, path string) int {
	t.Helper()
	var pid int
	WaitFor(t, "ready file "+path, func() bool {
		var err error
		pid, err = ReadPIDFile(path)
		return err == nil
	})
	return pid
}
