package respawn

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/account"
	"github.com/gdetach/gdetach/fdio"
	"github.com/gdetach/gdetach/session"
)

// DefaultStopTimeout is the usual StopTimeout.
const DefaultStopTimeout = 10 * time.Second

// A Supervisor runs a command, and runs it again when it exits.
type Supervisor struct {
	Argv    []string // the command and its arguments; looked up in PATH
	Policy  Policy
	Backoff Backoff

	// StopTimeout is how long a stop (SIGTERM or SIGINT to this process) or
	// a restart for a watched change waits for the run to end before it
	// kills the run's process group; 0 kills it at once.
	StopTimeout time.Duration

	// SignalGroup forwards signals to the command's whole process group
	// rather than to its first process. The command always runs in a
	// process group of its own.
	SignalGroup bool

	// Pidfile follows a command that daemonizes itself: once its first
	// process has exited with status 0, the process named in Pidfile is the
	// one supervised.
	Pidfile string

	// StatusFile, if set, is kept up to date with the supervised state.
	StatusFile string

	// Log, if not nil, captures the command's standard output, and its
	// standard error too unless StderrLog is set; a stream without a log is
	// this process's, inherited.
	Log *LogConfig

	// StderrLog, if not nil, captures the command's standard error into a
	// log of its own.
	StderrLog *LogConfig

	// LogEvents writes the supervision's one-line messages into the log
	// too (Log, or StderrLog without it), in order with the command's lines.
	LogEvents bool

	// ReopenSignal, if not 0, is the signal that reopens the logs by their
	// names (after a rotation by another program) instead of being passed
	// on. It must be one that Run can catch and that means nothing else
	// to it (CheckReopenSignal).
	ReopenSignal syscall.Signal

	// StopSignal, if not 0, is what the command gets on every stop and
	// before a restart (a watched change, RestartSignal), and receiving it
	// is a stop too (SIGQUIT for nginx, which finishes its requests on it
	// and exits at once on SIGTERM). 0: a stop passes on the signal
	// received (SIGTERM or SIGINT), a restart sends SIGTERM.
	StopSignal syscall.Signal

	// RestartSignal, if not 0, is the signal that restarts the command on
	// demand instead of being passed on: the run gets the stop signal, and
	// the next starts as soon as it has ended, the backoff streak reset.
	RestartSignal syscall.Signal

	// StatusMap maps the command's last status (0-255, 128+N for signal N)
	// to this process's exit status; it is applied last, whatever the end.
	StatusMap map[int]int

	// Watch lists files and directories whose changes restart the command,
	// once no change has come for WatchDebounce.
	Watch         []string
	WatchDebounce time.Duration

	// WatchIgnore lists patterns (path.Match's) of what a watch leaves out
	// below a watched directory, after DefaultWatchIgnore; the
	// supervisor's own files are always left out. A pattern without a
	// slash matches one name at any depth (node_modules, *.swp); one with
	// a slash, the path relative to the watched directory (dist/*); one
	// that begins with a slash, the absolute path. A trailing slash
	// matches directories only. A directory matched is left out with all
	// below it, and spends no inotify watch. A path in Watch is watched
	// even if a pattern matches it. CheckWatchIgnore checks a pattern.
	WatchIgnore []string

	// WatchPoll, if more than 0, has the watch walk the watched paths
	// every WatchPoll and compare each file's size, modification time,
	// mode and inode with the last walk's, instead of using inotify:
	// for file systems where inotify sees nothing (bind mounts from
	// another kernel, network file systems). 0: inotify on Linux,
	// DefaultWatchPoll elsewhere.
	WatchPoll time.Duration

	// WatchAdvice words the ways around the kernel's limit on inotify in
	// the message said when it is reached (a *WatchLimitError).
	WatchAdvice WatchAdvice

	// Pdeathsig, if not 0, is sent to the command when this process dies
	// (Linux).
	Pdeathsig syscall.Signal

	// Credential, if not nil, is the user the command runs as: its IDs and
	// groups, and its HOME, USER and LOGNAME in the command's environment.
	// The log files and the status file that the supervision creates are
	// given to that user (an existing log keeps its owner); the supervision
	// itself keeps this process's user, to signal and reap. Changing user
	// needs root: without it, Credential may only be this process's own user
	// and group, and sets the environment alone.
	Credential *account.Credential

	// Dir, if not "", is the directory the command runs in, checked when
	// Run starts and before every run: a run that cannot start there is a
	// failed run, of status 125. A relative command name is relative to it,
	// as after cd DIR; the files named here (Pidfile, StatusFile, the logs,
	// Watch) stay relative to this process's directory.
	Dir string

	// Env is added to the command's environment: this process's, then
	// Credential's, then Env, a later setting of a name replacing an
	// earlier one. COMMAND is looked up in the PATH that results.
	Env []string

	// OnExit, if not empty, is a shell command line that /bin/sh -c runs
	// after each run has ended and its output has settled, told how in its
	// environment (GRESPAWN_RUN, GRESPAWN_STATUS, ...: grespawn(1), HOOKS).
	// It runs in a process group of its own, on this process's standard
	// error, one at a time, and never holds the supervision up (hook.go).
	OnExit string
	// OnExitTimeout bounds each run of OnExit: then its process group gets
	// SIGTERM, and SIGKILL a second later. 0 means DefaultHookTimeout.
	OnExitTimeout time.Duration

	// Logger receives the supervision's one-line messages; its prefix (the
	// command's name, "grespawn: ") also begins the lines the log file gets
	// of its own. Nil discards them.
	Logger *log.Logger
}

// A phase is where the supervision stands. Every event is handled by a
// switch on it, the status file's state is read from it, and the one timer
// there is belongs to it: entering another phase stops it.
type phase int

const (
	// starting: a run is due. The loop starts it on its next turn, never
	// the handler that decided it, so that restarts cannot recurse and a
	// signal waiting is seen between two runs.
	starting phase = iota
	// running: a run's process runs: the command's first process, or with
	// Pidfile the launcher (until it exits 0), then the daemon.
	running
	// following: with Pidfile, the launcher exited 0; the timer is the next
	// look at the pidfile, until followTimeout after the launcher's exit.
	following
	// settling: the run ended; its last output is on its way to the log,
	// and the verdict waits for it (Supervision.next).
	settling
	// backoff: the timer is the delay before the next run.
	backoff
	// stopping: a stop signal was passed on; the timer is the stop timeout,
	// then the run's group is killed.
	stopping
	// restarting: a watched change or RestartSignal; the stop signal was
	// passed on, and the timer is the stop timeout. The next run starts at
	// once when this one ends.
	restarting
	// done: the supervision is over.
	done
)

// A run is one run of the command: its first process, or with Pidfile the
// daemon it left.
type run struct {
	pid       int
	group     int // the process group to signal as the run's, or 0: signal pid alone
	started   time.Time
	launcher  bool          // with Pidfile: the process expected to daemonize and exit 0
	bootStart time.Duration // when it started, as time since boot (a launcher's daemon cannot be older)
	output    *capture      // its output capture, with Log
}

// A supervision is the state of one call to Run.
type supervision struct {
	s     *Supervisor
	as    runAs  // the user, directory and environment of every run
	name  string // the command's base name, for messages
	ev    *eventLog
	out   *logFile // the log of the command's standard output, if any
	err   *logFile // the log of its standard error: out itself, by default
	watch *watcher

	phase phase
	timer *time.Timer // the phase's: see the phases

	run       *run    // the run whose process runs: in running, stopping and restarting
	launcher  *run    // following: the launcher that exited 0
	runs      int     // runs started so far
	last      runEnd  // how the last run ended
	lastGroup int     // the last run's process group, which may outlive it (0: none to signal)
	history   history // for the restart decision
	next      verdict // settling: what comes once the output has settled
	note      string  // settling: the line that says how the run ended, printed then
	settled   <-chan struct{}
	captures  []*capture // output captures still copying: the runs' that left writers behind

	followEnd time.Time // following: when to give up
	followed  chan int  // followed daemons, not this process's children, that exited

	unmanaged func() // sets the signals ignored while no run starts to their default (session.IgnoreUnmanaged; at first session.DefaultUnmanaged)

	debounce  *time.Timer    // the quiet period after a watched change: no phase's own
	stopSent  syscall.Signal // the signal a requested stop sent the run, if any
	cleanStop bool           // that stop was asked by SIGTERM or the stop signal (commandStatus)
	status    int            // done: the exit status
	stopped   bool           // done: the state is stopped (a stop, or the last run succeeded), not gave-up

	hooks *hooks // the on-exit hook, or nil
	ran   ranFor // the PID and uptime of the run that ended last, for its hook
}

// Run supervises until the policy gives up, the command ends for good, or
// this process is told to stop (SIGTERM or SIGINT), and returns the exit
// status: the command's last (128+N when signal N killed it). The error is
// not nil when the command cannot be run at all (an *execvp.Error: 126 or
// 127) or the supervision cannot be set up.
func (s *Supervisor) Run() (int, error) {
	if err := checkPdeathsig(s.Pdeathsig); err != nil {
		return 0, err
	}
	if err := s.checkSignals(); err != nil {
		return 0, err
	}
	as, err := s.runAs()
	if err != nil {
		return 0, err
	}
	if err := as.lookPath(s.Argv[0]); err != nil {
		return 0, err
	}
	if s.StatusFile != "" {
		// Written by renames over it, which would replace a device or a
		// FIFO (as root, /dev/null) or a symbolic link.
		if err := fdio.CheckReplaceable(s.StatusFile); err != nil {
			return 0, fmt.Errorf("status file: %w", err)
		}
	}
	sv := &supervision{s: s, as: as, name: filepath.Base(s.Argv[0]), ev: newEventLog(s.Logger),
		followed: make(chan int, 1), unmanaged: session.DefaultUnmanaged} // even if they were ignored when grespawn started
	defer sv.ev.close()
	sv.hooks = newHooks(s, sv.ev)
	defer func() { sv.unmanaged() }()
	if err := sv.openLogs(); err != nil {
		return 0, err
	}
	defer sv.closeLogs()
	if err := becomeSubreaper(); err != nil {
		sv.ev.always("%v: orphans of the command go to init", err)
	}
	if sv.watch, err = startWatch(watchConfig{paths: s.Watch, ignore: s.WatchIgnore, own: sv.ownFiles(), poll: s.WatchPoll, advice: s.WatchAdvice}); err != nil {
		return 0, fmt.Errorf("watch: %w", err)
	}
	defer sv.watch.close()

	// Registered before the first start, so that no signal is missed. The
	// command gets the caught signals at their default action (a caught
	// signal is reset by exec). SIGCHLD has its own channel so that it is
	// never dropped behind a burst of others; one pending is enough, since
	// a reap takes all that have exited.
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, syscall.SIGCHLD)
	defer signal.Stop(chld)
	sigs := make(chan os.Signal, 64)
	for _, sig := range session.Relayed() {
		if sig != syscall.SIGCHLD && !signal.Ignored(sig) {
			signal.Notify(sigs, sig)
		}
	}
	defer signal.Stop(sigs)

	if err := sv.start(); err != nil {
		sv.cleanUp()
		return 0, err
	}
	for sv.phase != done {
		select {
		case <-sv.due():
			if err := sv.start(); err != nil {
				sv.ev.always("giving up: %v", err)
				sv.finish(125, false)
			}
		case <-chld:
			sv.reap()
		case sig := <-sigs:
			sv.signal(sig.(syscall.Signal))
		case <-timerC(sv.timer):
			sv.timer = nil
			sv.timeout()
		case <-sv.settled:
			sv.settled = nil
			sv.apply(sv.next)
		case pid := <-sv.followed:
			sv.followedExited(pid)
		case <-sv.watch.changes():
			sv.changed()
		case err := <-sv.watch.troubles():
			sv.ev.always("watch: %v; directories made from now on may go unwatched, without another message", err)
		case <-timerC(sv.debounce):
			sv.debounce = nil
			sv.watchedChange()
		case <-sv.hooks.due():
			sv.startHook()
		case <-sv.hooks.expired():
			sv.hooks.expire()
		}
	}
	sv.cleanUp()
	sv.startLastHook()
	return sv.status, nil
}

// enter moves the supervision to phase p: the last phase's timer ends, the
// new phase's, if it has one, runs for d (d < 0: none), and the status file
// says so.
func (sv *supervision) enter(p phase, d time.Duration) {
	if sv.timer != nil {
		sv.timer.Stop()
		sv.timer = nil
	}
	left := sv.phase
	sv.phase = p
	if d >= 0 {
		sv.timer = time.NewTimer(d)
	}
	sv.writeStatus(d)
	if left == settling && p != settling {
		// The run's end is final, and what comes next is known: its
		// output is in the log (or, at a stop before it was, will be when
		// the clean-up has drained it, before the last hook starts). Its
		// hook is due (hook.go).
		sv.runOver(d)
	}
}

// due is ready when a run is to start.
func (sv *supervision) due() <-chan struct{} {
	if sv.phase == starting {
		return ready
	}
	return nil
}

// ready is a channel always ready.
var ready = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// timeout acts on the end of the phase's timer.
func (sv *supervision) timeout() {
	switch sv.phase {
	case backoff:
		sv.enter(starting, -1)
	case stopping, restarting:
		sv.ev.always("%s did not stop within %v: killing its process group", sv.name, sv.s.StopTimeout)
		sv.kill(syscall.SIGKILL)
	case following:
		sv.lookForDaemon()
	}
}

// apply carries out a verdict on the run that ended, once its output has
// settled.
func (sv *supervision) apply(v verdict) {
	sv.ev.printf("%s", sv.note)
	switch {
	case !v.again:
		sv.ended(v)
	case v.delay <= 0:
		sv.enter(starting, -1)
	default:
		sv.ev.printf("restarting %s in %v (%s next)", sv.name, v.delay.Round(time.Millisecond), sv.runName(sv.runs+1))
		sv.enter(backoff, v.delay)
	}
}

// ended says why the supervision ends, and ends it.
func (sv *supervision) ended(v verdict) {
	p, b := sv.s.Policy, sv.s.Backoff
	switch v.why {
	case runsOnce:
		sv.ev.always("not restarting %s: it runs once", sv.name)
	case succeeded:
		sv.ev.always("not restarting %s: it succeeded", sv.name)
	case maxRuns:
		sv.ev.always("giving up: ran %s %s, the most allowed; last %s %v", sv.name, times(sv.runs), sv.name, sv.last)
	case maxFailures:
		sv.ev.always("giving up: %d runs shorter than %v within %v, the most allowed; last %s %v", v.short, b.MinUptime, p.Window, sv.name, sv.last)
	case stopped:
		// Said when the stop was asked.
	}
	sv.finish(sv.commandStatus(), v.success)
}

// finish ends the supervision with status; the state is stopped if the
// last run succeeded or a stop was asked, gave-up otherwise.
func (sv *supervision) finish(status int, stopped bool) {
	sv.status, sv.stopped = status, stopped
	sv.enter(done, -1)
}

// times is "1 time" or "N times".
func times(n int) string {
	if n == 1 {
		return "1 time"
	}
	return fmt.Sprintf("%d times", n)
}

func (sv *supervision) runName(n int) string {
	if sv.s.Policy.MaxRuns > 0 {
		return fmt.Sprintf("run %d of %d", n, sv.s.Policy.MaxRuns)
	}
	return fmt.Sprintf("run %d", n)
}

// ownFiles are the files the supervision writes itself, which a watch
// ignores.
func (sv *supervision) ownFiles() []string {
	var own []string
	for _, c := range []*LogConfig{sv.s.Log, sv.s.StderrLog} {
		if c != nil && StdStream(c.Path) == 0 {
			own = append(own, c.Path)
		}
	}
	if sv.s.StatusFile != "" {
		own = append(own, sv.s.StatusFile)
	}
	return own
}

// cleanUp kills whatever is left of the command's tree (the command is
// never left orphaned) and waits for the output captures to drain.
func (sv *supervision) cleanUp() {
	for _, t := range []*time.Timer{sv.timer, sv.debounce} {
		if t != nil {
			t.Stop()
		}
	}
	if sv.run != nil {
		sv.lastGroup = sv.run.group
	}
	killLeftovers(sv.lastGroup, sv.hooks)
	// Below a subreaper every writer is dead now, so every pipe ends, and
	// the log gets all of it however far behind it is, as long as it takes
	// it. Without one, an orphan may keep a pipe open for ever. Either way
	// the wait ends when no line has gone into the log for settleIdle (a
	// log that blocks: a FIFO whose reader stopped).
	drained := make(chan struct{})
	go func() {
		for _, c := range sv.captures {
			c.done.Wait()
		}
		close(drained)
	}()
	switch {
	case waitWhileProgress(settleIdle, sv.progress, drained, nil):
	case subreaper:
		sv.ev.always("the log took nothing for %v: ending without the rest of the output", settleIdle)
	default:
		sv.ev.always("output still open after the command's end: the log is closed without it")
	}
}

func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}
