package respawn

// The on-exit hook (Supervisor.OnExit): a shell command line run after each
// run, told in its environment how the run ended.
//
// It never holds the supervision up. It is started from the loop, as the
// runs are, in a process group of its own, and reaped by the same wait4(-1)
// as everything else (never by os/exec's Wait, which would race with it).
// One runs at a time: while it does, the report of the latest run to end
// waits, and an earlier one waiting is dropped and counted (a crash loop
// starts no more hooks than one timeout's worth). A timer bounds it: SIGTERM
// to its group after the timeout, SIGKILL hookKillAfter later. When the
// supervision ends, the last run's hook is started after the output has
// gone into the log, whether a hook runs or not, and neither is waited for.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/session"
	"golang.org/x/sys/unix"
)

// DefaultHookTimeout is the usual OnExitTimeout: as long as a stop is
// given (DefaultStopTimeout), ample for a mail or a curl.
const DefaultHookTimeout = 10 * time.Second

// hookKillAfter is how long a hook has, after the SIGTERM of its timeout,
// before its process group is killed.
const hookKillAfter = time.Second

// hookShell runs the hook's command line, as system(3) does.
const hookShell = "/bin/sh"

// A runReport is what a hook is told of the run that ended.
type runReport struct {
	command string // the command's base name
	run     int    // the run's number, from 1
	pid     int    // its process's; 0 if it could not be started
	uptime  time.Duration
	end     runEnd
	next    string        // what the supervision does next: restart, stop or give-up
	delay   time.Duration // restart: the delay before the next run
}

// env is the report as the hook's environment variables, documented in
// grespawn(1) (HOOKS): each always set, empty when it does not apply.
func (r runReport) env() []string {
	var code, sig, pid, delay string
	switch r.end.kind {
	case exited, notRun:
		code = strconv.Itoa(r.end.code)
	case killed:
		sig = unix.SignalName(syscall.Signal(r.end.code))
		if sig == "" {
			sig = strconv.Itoa(r.end.code) // a real-time signal, which has no name
		}
	}
	if r.pid > 0 {
		pid = strconv.Itoa(r.pid)
	}
	if r.next == "restart" {
		delay = seconds(r.delay)
	}
	return []string{
		"GRESPAWN_COMMAND=" + r.command,
		"GRESPAWN_RUN=" + strconv.Itoa(r.run),
		"GRESPAWN_PID=" + pid,
		"GRESPAWN_STATUS=" + r.end.statusText(),
		"GRESPAWN_EXIT_CODE=" + code,
		"GRESPAWN_SIGNAL=" + sig,
		"GRESPAWN_UPTIME=" + seconds(r.uptime),
		"GRESPAWN_NEXT=" + r.next,
		"GRESPAWN_DELAY=" + delay,
	}
}

// seconds writes d in seconds, to the millisecond: 12.345.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// A hookProc is a hook that runs.
type hookProc struct {
	pid     int // its group's too
	run     int // the run it reports
	started time.Time
	termed  bool // the timeout's SIGTERM was sent
}

// hooks runs the on-exit hook, one at a time. A nil *hooks is no hook:
// every method does nothing.
type hooks struct {
	line    string // the shell command line
	shell   string // what runs it: hookShell
	timeout time.Duration
	ev      *eventLog

	running *hookProc   // the one that runs, if any
	timer   *time.Timer // running's timeout, then its grace after SIGTERM
	pending *runReport  // the report of the latest run to end, waiting for running's end
	skipped int         // reports dropped since the last hook started: a later one replaced them
}

func newHooks(s *Supervisor, ev *eventLog) *hooks {
	if s.OnExit == "" {
		return nil
	}
	timeout := s.OnExitTimeout
	if timeout <= 0 {
		timeout = DefaultHookTimeout
	}
	return &hooks{line: s.OnExit, shell: hookShell, timeout: timeout, ev: ev}
}

// queue makes r the report that the next hook gets, in place of any that
// waits.
func (h *hooks) queue(r runReport) {
	if h == nil {
		return
	}
	if h.pending != nil {
		h.skipped++
	}
	h.pending = &r
}

// due is ready when a hook waits and none runs.
func (h *hooks) due() <-chan struct{} {
	if h != nil && h.pending != nil && h.running == nil {
		return ready
	}
	return nil
}

// expired is the running hook's timer.
func (h *hooks) expired() <-chan time.Time {
	if h == nil {
		return nil
	}
	return timerC(h.timer)
}

// runs reports whether pid is the hook that runs, which the kill of a
// run's leftovers spares.
func (h *hooks) runs(pid int) bool { return h != nil && h.running != nil && h.running.pid == pid }

// reaped takes note of a child that the wait loop reaped, if it is the
// hook, and says how it ended unless it succeeded.
func (h *hooks) reaped(pid int, ws syscall.WaitStatus) {
	if !h.runs(pid) {
		return
	}
	p := h.running
	h.forget()
	if end := endOf(ws); end.kind != exited || end.code != 0 {
		h.ev.printf("on-exit hook for run %d (pid %d) %v after %v", p.run, p.pid, end, time.Since(p.started).Round(time.Millisecond))
	}
}

// forget stops watching the running hook: it ended, or it is left to run
// on its own.
func (h *hooks) forget() {
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	h.running = nil
}

// expire acts on the end of the running hook's timer: SIGTERM to its
// group, then SIGKILL. Its group is the number of a process not reaped yet,
// so it cannot be a stranger's.
func (h *hooks) expire() {
	p := h.running
	h.timer = nil
	if !p.termed {
		h.ev.always("on-exit hook for run %d (pid %d) still runs after %v: stopping its process group", p.run, p.pid, h.timeout)
		_ = unix.Kill(-p.pid, unix.SIGTERM) // ESRCH: it has just exited; the reap follows
		p.termed = true
		h.timer = time.NewTimer(hookKillAfter)
		return
	}
	h.ev.always("on-exit hook for run %d (pid %d) did not stop within %v of SIGTERM: killing its process group", p.run, p.pid, hookKillAfter)
	_ = unix.Kill(-p.pid, unix.SIGKILL) // as above
}

// runOver queues the hook for the run that has just ended for good: the
// supervision leaves settling for phase p (whose timer, the backoff, runs
// for d), so its output is in the log and what comes next is known.
func (sv *supervision) runOver(d time.Duration) {
	ran := sv.ran
	sv.ran = ranFor{}
	if sv.hooks == nil {
		return
	}
	r := runReport{command: sv.name, run: sv.runs, pid: ran.pid, uptime: ran.uptime, end: sv.last}
	switch {
	case sv.phase == done && sv.stopped:
		r.next = "stop"
	case sv.phase == done:
		r.next = "give-up"
	default:
		r.next, r.delay = "restart", max(d, 0)
	}
	sv.hooks.queue(r)
}

// A ranFor is the PID and uptime of the run that ended last, kept for its
// hook.
type ranFor struct {
	pid    int
	uptime time.Duration
}

// startHook starts the hook for the report that waits: /bin/sh -c LINE,
// with the report added to this process's environment, in a process group
// of its own, its standard input /dev/null, its output on this process's
// standard error. A hook that cannot be started is said, and the
// supervision goes on.
func (sv *supervision) startHook() {
	h := sv.hooks
	r := *h.pending
	h.pending = nil
	if h.skipped > 0 {
		sv.ev.printf("on-exit hook not run for %s that ended while one ran", runsText(h.skipped))
		h.skipped = 0
	}
	cmd := &exec.Cmd{
		Args: []string{"sh", "-c", h.line}, Env: append(os.Environ(), r.env()...),
		Stdout: os.Stderr, Stderr: os.Stderr, // Stdin nil: /dev/null
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	sv.unmanaged() // the hook gets them at their default too (see start)
	proc, err := execvp.Start(cmd, h.shell)
	sv.unmanaged = session.IgnoreUnmanaged()
	var ee *execvp.Error
	switch {
	case errors.As(err, &ee):
		sv.ev.printf("on-exit hook for run %d: cannot run %s: %s", r.run, h.shell, execvp.Strerror(ee.Err))
		return
	case err != nil:
		sv.ev.printf("on-exit hook for run %d: %v", r.run, err)
		return
	}
	pid := proc.Process.Pid
	_ = proc.Process.Release() // reaped by the wait loop, not by os/exec
	h.running = &hookProc{pid: pid, run: r.run, started: time.Now()}
	h.timer = time.NewTimer(h.timeout)
}

// startLastHook starts the hook of the last run, once the supervision is
// over and the output is all in the log, even if a hook still runs; neither
// is waited for, or bounded any longer: they finish on their own.
func (sv *supervision) startLastHook() {
	h := sv.hooks
	if h == nil || h.pending == nil {
		return
	}
	h.forget()
	sv.startHook()
	h.forget()
}

// runsText is "1 run" or "N runs".
func runsText(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}
