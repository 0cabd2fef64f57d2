package respawn

import (
	"cmp"
	"syscall"

	"github.com/gdetach/gdetach/session"
	"golang.org/x/sys/unix"
)

// signal acts on a signal sent to this process. Every signal that
// session.Relayed lists reaches here; the rest cannot be caught or passed on
// (grespawn(1) lists them, with the reasons).
func (sv *supervision) signal(sig syscall.Signal) {
	switch {
	case sig == sv.s.ReopenSignal:
		sv.reopenLogs(sig)
		return
	case sig == sv.s.RestartSignal:
		sv.restart(signalName(sig))
		return
	case sig == sv.s.StopSignal:
		sv.stop(sig)
		return
	}
	switch sig {
	case syscall.SIGPIPE:
		// This process's own, from writing a message or the log to a closed
		// pipe (the write fails, nothing else): not the command's business.
	case syscall.SIGTERM, syscall.SIGINT:
		sv.stop(sig)
	case syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		// Stop the command's group, then this process by the same signal,
		// as the shell expects of a job; continue both when it is continued.
		sv.kill(syscall.SIGSTOP)
		session.Suspend(sig)
		sv.kill(syscall.SIGCONT)
	default:
		sv.forward(sig)
	}
}

// stop passes a stop signal on and lets the run end without a restart; a
// second one kills the run's group at once.
func (sv *supervision) stop(sig syscall.Signal) {
	switch sv.phase {
	case done:
	case stopping:
		sv.ev.always("second %s: killing %s's process group", signalName(sig), sv.name)
		sv.kill(syscall.SIGKILL)
	case running, restarting:
		sv.stopSent = cmp.Or(sv.s.StopSignal, sig)
		// A stop asked by SIGTERM or the stop signal is an orchestrator's
		// or a service manager's; Ctrl-C's SIGINT is a user's interrupt,
		// whose job a shell expects to end as interrupted.
		sv.cleanStop = sig == syscall.SIGTERM || sig == sv.s.StopSignal
		sv.ev.always("stopping %s (pid %d) on %s%s", sv.name, sv.run.pid, signalName(sig), sv.sending(sig))
		sv.forward(sv.stopSent)
		sv.enter(stopping, sv.s.StopTimeout)
	default: // no run's process: starting, following, settling, backoff
		if sv.phase == settling {
			sv.ev.printf("%s", sv.note) // how the last run ended: its verdict will not come
		}
		sv.ev.always("stopping on %s", signalName(sig))
		sv.forward(cmp.Or(sv.s.StopSignal, sig)) // to what is left of the last run's group, if anything
		sv.finish(sv.commandStatus(), true)
	}
}

// sending says what a stop on sig sends the command, when it is not sig.
func (sv *supervision) sending(sig syscall.Signal) string {
	if sent := cmp.Or(sv.s.StopSignal, sig); sent != sig {
		return ": sending " + signalName(sent)
	}
	return ""
}

// restartSignal is what the command gets before a restart.
func (sv *supervision) restartSignal() syscall.Signal {
	return cmp.Or(sv.s.StopSignal, syscall.SIGTERM)
}

// forward passes sig on to the run (its first process, or with SignalGroup
// its group), or when no run's process runs, to what is left of the last
// run's group.
func (sv *supervision) forward(sig syscall.Signal) {
	switch r := sv.run; {
	case r != nil && sv.s.SignalGroup && r.group > 0:
		_ = unix.Kill(-r.group, sig) // ESRCH: it is exiting; the reap follows
	case r != nil:
		_ = unix.Kill(r.pid, sig) // as above
	case sv.lastGroup > 0:
		_ = unix.Kill(-sv.lastGroup, sig) // ESRCH: nothing of the last run is left
	}
}

// kill sends sig to the run's whole process group, and to its process if
// that is outside the group (a daemon in a group not the run's own).
func (sv *supervision) kill(sig syscall.Signal) {
	r := sv.run
	if r == nil {
		return
	}
	if r.group > 0 {
		_ = unix.Kill(-r.group, sig) // ESRCH: gone already
	}
	if r.group != r.pid {
		_ = unix.Kill(r.pid, sig) // as above
	}
}

// groupOf is the process group to signal as the run's when the run is the
// daemon pid that the launcher left: the daemon's group if it is the
// launcher's (the run's own) or one the daemon leads, never this process's
// group (its caller's too); otherwise 0, and the daemon is signalled alone.
func groupOf(pid, launcher int) int {
	pgid := processGroup(pid)
	if (pgid == launcher || pgid == pid) && pgid != unix.Getpgrp() {
		return pgid
	}
	return 0
}
