package respawn

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/session"
)

// settleIdle bounds the waits for output to reach the log (at the end of a
// run, and at the end off Linux) while the log makes no progress.
const settleIdle = time.Second

// start starts a run, after killing what is left of the last one. A
// command that cannot be started (or not in its directory) is a failed run
// when it ran before, and the error (an *execvp.Error, a *dirError) the
// first time; any other error is the supervision's own.
func (sv *supervision) start() error {
	s := sv.s
	if sv.runs > 0 {
		// What the last run left (workers holding its port, say) must not
		// stand in the next one's way.
		killLeftovers(sv.lastGroup, sv.hooks) // but not a hook that runs
		sv.lastGroup = 0
	}
	sv.captures = slices.DeleteFunc(sv.captures, (*capture).finished)
	cmd := &exec.Cmd{
		Args: s.Argv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		SysProcAttr: procAttr(s.Pdeathsig),
	}
	sv.as.apply(cmd)
	var output *capture
	if sv.out != nil || sv.err != nil {
		var err error
		if output, err = newCapture(sv.out, sv.err); err != nil {
			return fmt.Errorf("capture the output: %w", err)
		}
		if output.stdout != nil {
			cmd.Stdout = output.stdout
		}
		if output.stderr != nil {
			cmd.Stderr = output.stderr
		}
	}
	sv.runs++
	bootStart := process.SinceBoot(time.Now())
	started := time.Now()
	// The directory first: the child's own chdir would fail as the
	// command's execution does (ENOENT, EACCES), and read as one.
	err := sv.as.checkDir()
	var proc *exec.Cmd
	if err == nil {
		// The signals the Go runtime cannot catch are ignored while no run
		// starts, so that they cannot kill the supervision; the command gets
		// them at their default action (an ignored signal stays ignored across
		// exec).
		sv.unmanaged()
		proc, err = execvp.Start(cmd, s.Argv[0])
		sv.unmanaged = session.IgnoreUnmanaged()
		var ee *execvp.Error
		if errors.As(err, &ee) {
			if derr := sv.as.checkDir(); derr != nil {
				err = derr // gone or closed since: the chdir failed, not the exec
			}
		}
	}
	if output != nil {
		output.closeWriters()
	}
	var ee *execvp.Error
	var de *dirError
	switch {
	case sv.runs == 1 || err == nil:
	case errors.As(err, &ee):
		// It ran before: a failed run, as short as a run can be.
		sv.notRun(notRunEnd(ee), output, fmt.Sprintf("cannot run %s: %s", sv.name, execvp.Strerror(ee.Err)))
		return nil
	case errors.As(err, &de):
		sv.notRun(runEnd{kind: notRun, code: 125, why: de.Error()}, output, fmt.Sprintf("cannot run %s: %v", sv.name, de))
		return nil
	}
	if err != nil {
		output.open() // to its end, at once: the command has none of the pipes
		return err
	}
	pid := proc.Process.Pid
	_ = proc.Process.Release() // reaped by the wait loop, not by os/exec
	sv.run = &run{pid: pid, group: pid, started: started, launcher: s.Pidfile != "", bootStart: bootStart, output: output}
	if output != nil {
		sv.captures = append(sv.captures, output)
	}
	sv.ev.printf("started %s (pid %d, %s)", sv.name, pid, sv.runName(sv.runs))
	output.open() // after the line above, which the log has before the run's
	sv.enter(running, -1)
	return nil
}

// notRun ends a run that could not start, after others did, as a failed
// run as short as a run can be.
func (sv *supervision) notRun(end runEnd, output *capture, note string) {
	output.open()
	sv.last = end
	v, h := sv.decide(0)
	sv.history = h
	sv.settle(v, output, note)
}

// reap collects every child that has exited: the run's process, or any
// orphan re-parented here.
func (sv *supervision) reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if sv.run != nil && pid == sv.run.pid {
			sv.runEnded(endOf(ws))
		}
		sv.hooks.reaped(pid, ws) // if it was the on-exit hook
	}
}

// runEnded handles the end of the run's process. How it ended is said once
// its output has settled, so that a log with the supervision's lines in it
// has them after the run's.
func (sv *supervision) runEnded(end runEnd) {
	r := sv.run
	sv.run = nil
	uptime := time.Since(r.started).Round(time.Millisecond)
	sv.ran = ranFor{pid: r.pid, uptime: uptime} // for its hook
	note := fmt.Sprintf("%s (pid %d) %v after %v", sv.name, r.pid, end, uptime)
	sv.lastGroup = r.group
	switch sv.phase {
	case running:
		if r.launcher && end.kind == exited && end.code == 0 {
			// It daemonized, as it should: the daemon is the run to supervise.
			sv.ev.printf("%s", note)
			sv.startFollowing(r)
			return
		}
		sv.last = end
		v, h := sv.decide(uptime)
		sv.history = h
		sv.settle(v, r.output, note)
	case restarting:
		sv.last = end
		sv.history.streak = 0
		sv.settle(verdict{again: true}, r.output, note)
	case stopping:
		sv.last = end
		sv.settle(verdict{why: stopped, success: true}, r.output, note)
	}
}

// decide is the restart decision for the run that just ended.
func (sv *supervision) decide(uptime time.Duration) (verdict, history) {
	return decide(sv.s.Policy, sv.s.Backoff, sv.history, sv.last, uptime, sv.runs, time.Now(), randomJitter())
}

// settle waits for the ended run's last output to reach the log before
// note, the line that says how it ended, is printed and v is carried out,
// so that its lines come before the note and the next run's.
func (sv *supervision) settle(v verdict, output *capture, note string) {
	sv.next, sv.note = v, note
	sv.enter(settling, -1)
	if output == nil {
		sv.settled = ready
		return
	}
	sv.settled = output.settleAsync(settleIdle, sv.progress)
}
