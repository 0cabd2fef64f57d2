package respawn

import "time"

// changed (re)starts the quiet period after a watched change.
func (sv *supervision) changed() {
	if sv.phase == stopping || sv.phase == done {
		return
	}
	if sv.debounce != nil {
		sv.debounce.Stop()
	}
	sv.debounce = time.NewTimer(sv.s.WatchDebounce)
}

// watchedChange restarts the command once watched files have changed and
// then stayed quiet, naming what changed.
func (sv *supervision) watchedChange() {
	// Taken whatever happens next, so that the next message names what
	// changed after this one.
	what := "files changed"
	if path := sv.watch.take(); path != "" {
		what += " (" + path + ")"
	}
	sv.restart(what)
}

// restart restarts the command, for why (a watched change, a restart
// signal), whatever the restart policy, but never past MaxRuns: a running
// run is stopped first (the stop signal, then SIGKILL after StopTimeout);
// otherwise the next run starts at once. The backoff streak starts again.
func (sv *supervision) restart(why string) {
	switch sv.phase {
	case stopping, done, starting, restarting:
		return // nothing to restart, or a restart under way
	}
	if limit := sv.s.Policy.MaxRuns; limit > 0 && sv.runs >= limit {
		sv.ev.printf("%s, but %s has run %s, the most allowed: not restarting it", why, sv.name, times(sv.runs))
		return
	}
	switch sv.phase {
	case running:
		sv.ev.printf("%s: restarting %s (pid %d)", why, sv.name, sv.run.pid)
		sv.forward(sv.restartSignal())
		sv.enter(restarting, sv.s.StopTimeout)
	case settling:
		// The run has ended: the next starts as soon as its output is in.
		sv.ev.printf("%s: starting %s", why, sv.name)
		sv.history.streak = 0
		sv.next = verdict{again: true}
	case following, backoff:
		sv.launcher = nil
		// With Pidfile, the daemon on its way is what is left of the run:
		// the start kills it.
		sv.ev.printf("%s: starting %s", why, sv.name)
		sv.history.streak = 0
		sv.enter(starting, -1)
	}
}
