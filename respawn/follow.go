package respawn

import (
	"fmt"
	"syscall"
	"time"
)

// followTimeout is how long, with Pidfile, the supervision waits after the
// launcher has exited for the pidfile to name the daemon.
const followTimeout = 10 * time.Second

// followPoll is how often the pidfile is read meanwhile.
const followPoll = 20 * time.Millisecond

// startFollowing begins to wait for the pidfile of a command whose first
// process, the launcher, exited 0 after daemonizing. Until the pidfile names
// the daemon there is no run's process: a stop then ends the supervision,
// and the clean-up kills any daemon on its way.
func (sv *supervision) startFollowing(launcher *run) {
	sv.launcher = launcher
	sv.followEnd = time.Now().Add(followTimeout)
	sv.enter(following, -1)
	sv.lookForDaemon()
}

// lookForDaemon checks whether the pidfile names the daemon yet, and looks
// again after followPoll if not, until followTimeout.
func (sv *supervision) lookForDaemon() {
	l := sv.launcher
	pid, err := readDaemonPID(sv.s.Pidfile, l.started, l.bootStart)
	switch {
	case err == nil:
		sv.launcher = nil
		sv.run = &run{pid: pid, group: groupOf(pid, l.pid), started: time.Now(), output: l.output}
		sv.ev.printf("following %s's daemon (pid %d, from %s)", sv.name, pid, sv.s.Pidfile)
		sv.enter(running, -1)
		if !isOurChild(pid) {
			watchExit(pid, sv.followed)
		}
	case time.Now().After(sv.followEnd):
		sv.launcher = nil
		sv.last = unknownEnd(fmt.Sprintf("left no running daemon in %s within %v (%v)", sv.s.Pidfile, followTimeout, err))
		v, h := sv.decide(0) // no daemon ran: a failed start, as short as a run can be
		sv.history = h
		sv.settle(v, nil, fmt.Sprintf("%s %v", sv.name, sv.last)) // the launcher's output is its daemon's too, maybe for ever
	default:
		sv.timer = time.NewTimer(followPoll)
	}
}

// followedExited handles the exit of a followed daemon that was not this
// process's child when it was found; it may be by now (re-parented), and
// then its status can still be had.
func (sv *supervision) followedExited(pid int) {
	if sv.run == nil || sv.run.pid != pid {
		return // reaped already, by the wait loop
	}
	var ws syscall.WaitStatus
	if got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); err == nil && got == pid {
		sv.runEnded(endOf(ws))
		return
	}
	sv.runEnded(unknownEnd("exited (its status is unknown: it is not the supervisor's child)"))
}
