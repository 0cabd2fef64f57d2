package respawn

import (
	"syscall"
	"testing"
	"time"
)

func TestBackoffNext(t *testing.T) {
	ms := time.Millisecond
	def := Backoff{Delay: DefaultDelay, MinUptime: DefaultMinUptime, MaxDelay: DefaultMaxDelay}
	for _, c := range []struct {
		name   string
		b      Backoff
		streak int
		want   time.Duration
	}{
		{"after a long run", def, 0, 100 * ms},
		{"first short run", def, 1, 100 * ms},
		{"second", def, 2, 200 * ms},
		{"third", def, 3, 400 * ms},
		{"tenth", def, 10, 51200 * ms},
		{"capped", def, 11, time.Minute},
		{"far past the cap", def, 1000, time.Minute},
		{"delay 0, after a long run", Backoff{MaxDelay: time.Minute}, 0, 0},
		{"delay 0, first short run", Backoff{MaxDelay: time.Minute}, 1, 0},
		{"delay 0, crash loop slows down", Backoff{MaxDelay: time.Minute}, 2, 10 * ms},
		{"delay 0, crash loop", Backoff{MaxDelay: time.Minute}, 4, 40 * ms},
		{"no cap", Backoff{Delay: time.Second}, 5, 16 * time.Second},
	} {
		if got := c.b.Next(c.streak, 0); got != c.want {
			t.Errorf("%s: Next(%d) = %v, want %v", c.name, c.streak, got, c.want)
		}
	}
	if got := def.Next(2, 0.999); got < 200*ms || got > 220*ms {
		t.Errorf("jitter took 200ms to %v, want at most +10%%", got)
	}
	if got := def.Next(20, 0.999); got != DefaultMaxDelay {
		t.Errorf("jitter took the cap to %v, want it kept at %v", got, DefaultMaxDelay)
	}
}

// exitedWith and killedBy are run ends as wait statuses give them.
func exitedWith(code int) runEnd       { return runEnd{kind: exited, code: code} }
func killedBy(s syscall.Signal) runEnd { return runEnd{kind: killed, code: int(s)} }
func notRunWith(code int) runEnd {
	return runEnd{kind: notRun, code: code, why: "No such file or directory"}
}
func unknownEndT() runEnd                  { return unknownEnd("exited (its status is unknown)") }
func at(s int) time.Time                   { return time.Unix(1000+int64(s), 0) }
func shortRuns(times ...time.Time) history { return history{streak: len(times), short: times} }

func TestRunEnd(t *testing.T) {
	for _, c := range []struct {
		end          runEnd
		text, status string
		exit         int
	}{
		{exitedWith(3), "exited with status 3", "exit 3", 3},
		{killedBy(syscall.SIGTERM), "was killed by SIGTERM", "signal SIGTERM", 143},
		{killedBy(40), "was killed by signal 40", "signal signal 40", 168},
		{unknownEndT(), "exited (its status is unknown)", "unknown", 1},
		{notRunWith(127), "could not be run: No such file or directory", "exit 127", 127},
		{runEnd{}, "has not ended", "", 0},
	} {
		if got := c.end.String(); got != c.text {
			t.Errorf("%+v: String() = %q, want %q", c.end, got, c.text)
		}
		if got := c.end.statusText(); got != c.status {
			t.Errorf("%+v: statusText() = %q, want %q", c.end, got, c.status)
		}
		if got := c.end.exitStatus(); got != c.exit {
			t.Errorf("%+v: exitStatus() = %d, want %d", c.end, got, c.exit)
		}
	}
	if got := endOf(syscall.WaitStatus(3 << 8)); got != exitedWith(3) {
		t.Errorf("endOf(exit 3) = %+v", got)
	}
	if got := endOf(syscall.WaitStatus(syscall.SIGKILL)); got != killedBy(syscall.SIGKILL) {
		t.Errorf("endOf(SIGKILL) = %+v", got)
	}
}

func TestPolicySuccess(t *testing.T) {
	p := Policy{}
	if !p.success(exitedWith(0)) || p.success(exitedWith(2)) || p.success(killedBy(syscall.SIGTERM)) || p.success(unknownEndT()) || p.success(runEnd{}) {
		t.Error("default success codes are not {0}")
	}
	p.SuccessCodes = []int{0, 2}
	if !p.success(exitedWith(2)) || p.success(exitedWith(1)) {
		t.Error("success codes 0,2 not honoured")
	}
}

// The restart decision, case by case: what follows a run, and what is
// remembered for the next decision.
func TestDecide(t *testing.T) {
	ms := time.Millisecond
	def := Backoff{Delay: 100 * ms, MinUptime: time.Second, MaxDelay: time.Minute}
	zero := Backoff{MaxDelay: time.Minute} // --delay 0 --min-uptime 0
	for _, c := range []struct {
		name   string
		p      Policy
		b      Backoff
		h      history
		end    runEnd
		uptime time.Duration
		runs   int
		want   verdict
		streak int
		short  int
	}{
		{"a long run, always", Policy{}, def, history{}, exitedWith(1), time.Hour, 5, verdict{again: true, delay: 100 * ms}, 0, 0},
		{"a short run", Policy{}, def, history{}, exitedWith(1), 0, 1, verdict{again: true, delay: 100 * ms}, 1, 0},
		{"the third short run in a row", Policy{}, def, history{streak: 2}, exitedWith(1), 0, 3, verdict{again: true, delay: 400 * ms}, 3, 0},
		{"a long run ends the streak", Policy{}, def, history{streak: 7}, exitedWith(1), time.Second, 8, verdict{again: true, delay: 100 * ms}, 0, 0},
		{"never", Policy{Restart: Never}, def, history{}, exitedWith(1), time.Hour, 1, verdict{why: runsOnce}, 0, 0},
		{"never, success", Policy{Restart: Never}, def, history{}, exitedWith(0), time.Hour, 1, verdict{why: runsOnce, success: true}, 0, 0},
		{"on-failure, success", Policy{Restart: OnFailure}, def, history{}, exitedWith(0), time.Hour, 1, verdict{why: succeeded, success: true}, 0, 0},
		{"on-failure, a success code not 0", Policy{Restart: OnFailure, SuccessCodes: []int{0, 2}}, def, history{}, exitedWith(2), time.Hour, 1, verdict{why: succeeded, success: true}, 0, 0},
		{"on-failure, failure", Policy{Restart: OnFailure}, def, history{}, exitedWith(1), time.Hour, 1, verdict{again: true, delay: 100 * ms}, 0, 0},
		{"on-failure, a signal", Policy{Restart: OnFailure}, def, history{}, killedBy(syscall.SIGKILL), time.Hour, 1, verdict{again: true, delay: 100 * ms}, 0, 0},
		{"on-failure, unknown", Policy{Restart: OnFailure}, def, history{}, unknownEndT(), time.Hour, 1, verdict{again: true, delay: 100 * ms}, 0, 0},
		{"-m reached", Policy{MaxRuns: 3}, def, history{}, exitedWith(1), time.Hour, 3, verdict{why: maxRuns}, 0, 0},
		{"-m reached, success", Policy{MaxRuns: 3}, def, history{}, exitedWith(0), time.Hour, 3, verdict{why: maxRuns, success: true}, 0, 0},
		{"-m not reached", Policy{MaxRuns: 3}, def, history{}, exitedWith(0), time.Hour, 2, verdict{again: true, delay: 100 * ms}, 0, 0},
		{"max failures reached", Policy{MaxFailures: 3, Window: 10 * time.Second}, def, shortRuns(at(1), at(2)), exitedWith(1), 0, 3,
			verdict{why: maxFailures, short: 3}, 3, 3},
		{"max failures, the oldest out of the window", Policy{MaxFailures: 3, Window: 10 * time.Second}, def, shortRuns(at(-20), at(2)), exitedWith(1), 0, 3,
			verdict{again: true, delay: 400 * ms}, 3, 2},
		{"max failures, no window: all count", Policy{MaxFailures: 3}, def, shortRuns(at(-1000), at(2)), exitedWith(1), 0, 3,
			verdict{why: maxFailures, short: 3}, 3, 3},
		{"max failures, only the last N kept", Policy{MaxFailures: 2}, def, shortRuns(at(1), at(2)), exitedWith(1), time.Hour, 3,
			verdict{why: maxFailures, short: 2}, 0, 2},
		{"delay 0, min-uptime 0: at once", Policy{}, zero, history{}, exitedWith(1), 0, 9, verdict{again: true}, 0, 0},
		{"delay 0, min-uptime 0, a failure to run: the loop floor", Policy{}, zero, history{}, notRunWith(127), 0, 9, verdict{again: true, delay: loopFloor}, 1, 0},
		{"delay 0, min-uptime 0, failures to run double", Policy{}, zero, history{streak: 2}, notRunWith(127), 0, 9, verdict{again: true, delay: 2 * loopFloor}, 3, 0},
		{"a failure to run, capped below the floor", Policy{}, Backoff{MaxDelay: time.Millisecond}, history{}, notRunWith(126), 0, 9, verdict{again: true, delay: time.Millisecond}, 1, 0},
		{"a failure to run, -m reached", Policy{MaxRuns: 2}, zero, history{}, notRunWith(127), 0, 2, verdict{why: maxRuns}, 1, 0},
	} {
		now := at(3)
		got, h := decide(c.p, c.b, c.h, c.end, c.uptime, c.runs, now, 0)
		if got != c.want {
			t.Errorf("%s: verdict %+v, want %+v", c.name, got, c.want)
		}
		if h.streak != c.streak || len(h.short) != c.short {
			t.Errorf("%s: history %+v, want streak %d and %d short runs", c.name, h, c.streak, c.short)
		}
	}
}

// The exit status after a stop: 0 when a stop by SIGTERM or the stop
// signal ended the run by that signal, as a shell or a JVM reports it; the
// status as it is otherwise; StatusMap last.
func TestCommandStatus(t *testing.T) {
	for _, c := range []struct {
		name  string
		sent  syscall.Signal
		clean bool
		end   runEnd
		m     map[int]int
		want  int
	}{
		{"no stop", 0, false, runEnd{kind: exited, code: 143}, nil, 143},
		{"killed by the stop's SIGTERM", syscall.SIGTERM, true, runEnd{kind: killed, code: 15}, nil, 0},
		{"a JVM's 143", syscall.SIGTERM, true, runEnd{kind: exited, code: 143}, nil, 0},
		{"the stop signal QUIT, exit 0", syscall.SIGQUIT, true, runEnd{kind: exited, code: 0}, nil, 0},
		{"killed by QUIT", syscall.SIGQUIT, true, runEnd{kind: killed, code: 3}, nil, 0},
		{"another end during the stop", syscall.SIGTERM, true, runEnd{kind: exited, code: 1}, nil, 1},
		{"killed after the timeout", syscall.SIGTERM, true, runEnd{kind: killed, code: 9}, nil, 137},
		{"Ctrl-C", syscall.SIGINT, false, runEnd{kind: killed, code: 2}, nil, 130},
		{"mapped over the default", syscall.SIGTERM, true, runEnd{kind: exited, code: 143}, map[int]int{143: 143}, 143},
		{"mapped", 0, false, runEnd{kind: exited, code: 3}, map[int]int{3: 0}, 0},
		{"unknown", syscall.SIGTERM, true, runEnd{kind: unknown}, nil, 1},
	} {
		sv := &supervision{s: &Supervisor{StatusMap: c.m}, last: c.end, stopSent: c.sent, cleanStop: c.clean}
		if got := sv.commandStatus(); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
