package respawn

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/session"
)

// DefaultStopTimeout is how long a stop waits after forwarding SIGTERM or
// SIGINT before it kills the command's process group.
const DefaultStopTimeout = 10 * time.Second

// followTimeout is how long, with Pidfile, grespawn waits after the command's
// first process has exited for the pidfile to name the daemon.
const followTimeout = 10 * time.Second

// settleIdle bounds the waits for output to reach the log (at the end of a
// run, and at the end off Linux) while the log makes no progress: the
// supervision does nothing else meanwhile.
const settleIdle = time.Second

// A Supervisor runs a command, and runs it again when it exits.
type Supervisor struct {
	Argv    []string // the command and its arguments; looked up in PATH
	Policy  Policy
	Backoff Backoff

	// StopTimeout is how long a stop (SIGTERM or SIGINT to grespawn) waits
	// for the command before SIGKILL; 0 means DefaultStopTimeout.
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

	// Log, if not nil, captures the command's standard output and error
	// into a rotated file; otherwise the command inherits grespawn's.
	Log *LogConfig

	// Watch lists files and directories whose changes restart the command,
	// once no change has come for WatchDebounce.
	Watch         []string
	WatchDebounce time.Duration

	// Pdeathsig, if not 0, is sent to the command when grespawn dies
	// (Linux).
	Pdeathsig syscall.Signal

	// Events receives grespawn's one-line messages; nil discards them.
	Events io.Writer
}

// A child is one run of the command: its first process, or with Pidfile
// the daemon it left.
type child struct {
	pid, pgid int
	started   time.Time
	launcher  bool          // with Pidfile: the process expected to daemonize and exit 0
	bootStart time.Duration // when it started, as time since boot: its daemon cannot be older
}

// A supervision is the state of one call to Run.
type supervision struct {
	s    *Supervisor
	name string // its base name, for messages
	ev   *eventLog
	log  *logFile

	child     *child
	captures  []*capture // every run's output capture, drained at the end
	lastPgid  int        // the last run's process group, which may outlive it
	runs      int
	streak    int         // consecutive short runs
	shortRuns []time.Time // when recent short runs ended
	last      syscall.WaitStatus
	lastNote  string // how the last run ended, if not by a wait status

	stopping   bool
	restarting bool // the watcher asked for a restart
	done       bool
	status     int

	backoff     *time.Timer  // until the next run
	killer      *time.Timer  // until SIGKILL, after a stop was asked
	debounce    *time.Timer  // until a watched change restarts the command
	follow      *time.Ticker // while waiting for the pidfile to name the daemon
	followEnd   time.Time
	followSince time.Duration // when the launcher started, as time since boot
	followErr   error         // why the pidfile names no daemon yet
	followed    chan int      // followed daemons, not ours to reap, that exited
}

// Run supervises until the policy gives up, the command ends for good, or
// grespawn is told to stop (SIGTERM or SIGINT), and returns grespawn's exit
// status: the command's last (128+N when signal N killed it). The error is
// not nil when the command cannot be run at all (an *execvp.Error:
// 126 or 127) or grespawn cannot do its job (125).
func (s *Supervisor) Run() (int, error) {
	if err := checkPdeathsig(s.Pdeathsig); err != nil {
		return 0, err
	}
	if _, err := execvp.LookPath(s.Argv[0], os.Environ()); err != nil {
		return 0, err
	}
	sv := &supervision{s: s, name: filepath.Base(s.Argv[0]), ev: newEventLog(s.Events, "grespawn: "),
		followed: make(chan int, 1)}
	if s.StopTimeout == 0 {
		s.StopTimeout = DefaultStopTimeout
	}
	if s.Log != nil {
		var err error
		if sv.log, err = openLog(*s.Log, func(err error) {
			sv.ev.force("cannot write the log, dropping lines until it can: %v", err)
		}); err != nil {
			return 0, fmt.Errorf("open the log: %w", err)
		}
		defer sv.log.close()
	}
	if err := becomeSubreaper(); err != nil {
		sv.ev.force("%v: orphans of the command go to init", err)
	}
	watch, err := startWatch(s.Watch, sv.ownFiles())
	if err != nil {
		return 0, fmt.Errorf("watch: %w", err)
	}
	defer watch.close()

	// Registered before the first start, so that no signal is missed; the
	// child gets every signal at its default action (Go resets the signals
	// it catches in a child). SIGCHLD has its own channel so that it is
	// never dropped behind a burst of others; one pending is enough, since a
	// reap takes all that have exited.
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, syscall.SIGCHLD)
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs)
	defer signal.Stop(sigs)
	defer signal.Stop(chld)

	if err := sv.start(); err != nil {
		return 0, err
	}
	for !sv.done {
		select {
		case <-chld:
			sv.reap()
		case sig := <-sigs:
			sv.signal(sig.(syscall.Signal))
		case <-timerC(sv.backoff):
			sv.backoff = nil
			sv.restart()
		case <-timerC(sv.killer):
			sv.killer = nil
			sv.ev.force("%s did not stop within %v: killing its process group", sv.name, s.StopTimeout)
			sv.signalGroup(syscall.SIGKILL)
		case <-watch.changes():
			sv.debounceRestart()
		case <-timerC(sv.debounce):
			sv.debounce = nil
			sv.watchRestart()
		case <-tickerC(sv.follow):
			sv.lookForDaemon()
		case pid := <-sv.followed:
			sv.followedExited(pid)
		}
	}
	sv.cleanUp()
	return sv.status, nil
}

// start runs the command once more.
func (sv *supervision) start() error {
	s := sv.s
	cmd := &exec.Cmd{
		Args: s.Argv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		SysProcAttr: procAttr(s.Pdeathsig),
	}
	var capt *capture
	if sv.log != nil {
		var err error
		if capt, err = newCapture(sv.log); err != nil {
			return fmt.Errorf("capture the output: %w", err)
		}
		cmd.Stdout, cmd.Stderr = capt.stdout, capt.stderr
		sv.captures = append(sv.captures, capt)
	}
	sv.runs++
	bootStart := process.SinceBoot(time.Now())
	started, err := execvp.Start(cmd, s.Argv[0])
	if capt != nil {
		capt.closeWriters()
	}
	var ee *execvp.Error
	if errors.As(err, &ee) && sv.runs > 1 {
		// It ran before: treat the failure like a run that failed at once.
		sv.ev.printf("cannot run %s: %s", sv.name, execvp.Strerror(ee.Err))
		sv.last, sv.lastNote = syscall.WaitStatus(ee.ExitStatus()<<8), ""
		sv.decide(0)
		return nil
	}
	if err != nil {
		return err
	}
	pid := started.Process.Pid
	_ = started.Process.Release() // reaped by the wait loop, not by os/exec
	sv.child = &child{pid: pid, pgid: pid, started: time.Now(), launcher: s.Pidfile != "", bootStart: bootStart}
	sv.lastPgid = pid
	sv.ev.printf("started %s (pid %d, %s)", sv.name, pid, sv.runCount())
	sv.snapshot("running", 0)
	return nil
}

// restart starts the command again, unless a stop came first.
func (sv *supervision) restart() {
	if sv.stopping || sv.done {
		return
	}
	if err := sv.start(); err != nil {
		sv.ev.force("giving up: %v", err)
		sv.finish(125)
	}
}

func (sv *supervision) runCount() string { return sv.runName(sv.runs) }

func (sv *supervision) nextRun() string { return sv.runName(sv.runs + 1) }

func (sv *supervision) runName(n int) string {
	if sv.s.Policy.MaxRuns > 0 {
		return fmt.Sprintf("run %d of %d", n, sv.s.Policy.MaxRuns)
	}
	return fmt.Sprintf("run %d", n)
}

// reap collects every child that has exited: the command's process, or any
// orphan re-parented to grespawn.
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
		if sv.child != nil && pid == sv.child.pid {
			sv.exited(ws, "")
		}
	}
}

// exited handles the end of a run: how it ended is ws, or note when grespawn
// could not learn a status.
func (sv *supervision) exited(ws syscall.WaitStatus, note string) {
	c := sv.child
	sv.child = nil
	if len(sv.captures) > 0 {
		// The run's last lines go to the log before the next run's first.
		sv.captures[len(sv.captures)-1].settle(settleIdle, sv.log.written)
	}
	uptime := time.Since(c.started).Round(time.Millisecond)
	how := note
	if note == "" {
		how = describe(ws)
	}
	sv.ev.printf("%s (pid %d) %s after %v", sv.name, c.pid, how, uptime)
	if c.launcher && !sv.stopping && note == "" && ws.Exited() && ws.ExitStatus() == 0 {
		// It daemonized, as it should: the daemon is the run to supervise.
		sv.startFollowing(c.bootStart)
		return
	}
	sv.last, sv.lastNote = ws, note
	switch {
	case sv.stopping:
		sv.finish(sv.exitStatus())
	case sv.restarting:
		sv.restarting = false
		sv.streak = 0
		sv.restart()
	default:
		sv.decide(uptime)
	}
}

// decide applies the restart policy after a run of the given uptime.
func (sv *supervision) decide(uptime time.Duration) {
	p, b := &sv.s.Policy, sv.s.Backoff
	now := time.Now()
	if uptime < b.MinUptime {
		sv.streak++
		sv.shortRuns = append(sv.shortRuns, now)
	} else {
		sv.streak = 0
	}
	if p.Window > 0 {
		for len(sv.shortRuns) > 0 && now.Sub(sv.shortRuns[0]) > p.Window {
			sv.shortRuns = sv.shortRuns[1:]
		}
	}
	failed := sv.lastNote != "" || !p.success(sv.last)
	switch {
	case p.Restart == Never:
		sv.ev.force("not restarting %s (--restart never)", sv.name)
		sv.finish(sv.exitStatus())
	case p.Restart == OnFailure && !failed:
		sv.ev.force("not restarting %s: it succeeded (--restart on-failure)", sv.name)
		sv.finish(sv.exitStatus())
	case p.MaxRuns > 0 && sv.runs >= p.MaxRuns:
		sv.giveUp("ran %s %d times (-m %d)", sv.name, sv.runs, p.MaxRuns)
	case p.MaxFailures > 0 && len(sv.shortRuns) >= p.MaxFailures:
		sv.giveUp("%d runs shorter than %v within %v (--max-failures %d)", len(sv.shortRuns), b.MinUptime, p.Window, p.MaxFailures)
	default:
		delay := b.Next(sv.streak, randomJitter())
		if delay <= 0 {
			sv.restart()
			return
		}
		sv.ev.printf("restarting %s in %v (%s next)", sv.name, delay.Round(time.Millisecond), sv.nextRun())
		sv.backoff = time.NewTimer(delay)
		sv.snapshot("backoff", delay)
	}
}

func (sv *supervision) giveUp(format string, args ...any) {
	sv.ev.force("giving up: "+format+"; last %s", append(args, sv.lastEnd())...)
	sv.finish(sv.exitStatus())
}

// finish ends the supervision with status.
func (sv *supervision) finish(status int) {
	sv.done, sv.status = true, status
	state := "stopped"
	if !sv.stopping && sv.status != 0 {
		state = "gave-up"
	}
	sv.snapshot(state, 0)
}

// exitStatus is grespawn's status for the last run: its exit status, or
// 128+N when signal N killed it, or 1 when it is not known.
func (sv *supervision) exitStatus() int {
	switch {
	case sv.lastNote != "":
		return 1
	case sv.last.Signaled():
		return 128 + int(sv.last.Signal())
	}
	return sv.last.ExitStatus()
}

func (sv *supervision) lastEnd() string {
	if sv.lastNote != "" {
		return sv.name + " " + sv.lastNote
	}
	return sv.name + " " + describe(sv.last)
}

// describe says how a process ended.
func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return fmt.Sprintf("was killed by %s", signalName(ws.Signal()))
	}
	return fmt.Sprintf("exited with status %d", ws.ExitStatus())
}

// signal acts on a signal sent to grespawn.
func (sv *supervision) signal(sig syscall.Signal) {
	switch sig {
	case syscall.SIGURG, syscall.SIGCHLD, syscall.SIGPIPE:
		// The Go runtime's preemption signal; SIGCHLD is handled apart;
		// SIGPIPE is grespawn's own, from writing a message to a closed
		// pipe (the message is lost, nothing else).
	case syscall.SIGTERM, syscall.SIGINT:
		sv.stop(sig)
	case syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		// Stop the command's group, then grespawn itself, as the shell
		// expects of a job; continue both when grespawn is continued.
		sv.signalGroup(syscall.SIGSTOP)
		session.Suspend(syscall.SIGTSTP)
		sv.signalGroup(syscall.SIGCONT)
	default:
		sv.forward(sig)
	}
}

// stop forwards a stop signal and lets the command end without a restart;
// a second one kills it at once.
func (sv *supervision) stop(sig syscall.Signal) {
	if sv.stopping {
		sv.ev.force("second %s: killing %s's process group", signalName(sig), sv.name)
		sv.signalGroup(syscall.SIGKILL)
		return
	}
	sv.stopping = true
	if sv.backoff != nil {
		sv.backoff.Stop()
		sv.backoff = nil
	}
	if sv.child == nil {
		sv.ev.force("stopping on %s", signalName(sig))
		sv.forward(sig) // to what is left of the last run's group, if anything
		sv.finish(sv.exitStatus())
		return
	}
	sv.ev.force("stopping %s (pid %d) on %s", sv.name, sv.child.pid, signalName(sig))
	sv.forward(sig)
	sv.killer = time.NewTimer(sv.s.StopTimeout)
	sv.snapshot("stopping", 0)
}

// forward passes sig on to the command (or its process group), and during a
// backoff to what is left of the last run's group.
func (sv *supervision) forward(sig syscall.Signal) {
	switch {
	case sv.lastPgid <= 0:
		// Nothing has run yet: a 0 or negative target would hit grespawn itself.
	case sv.child != nil && !sv.s.SignalGroup:
		_ = syscall.Kill(sv.child.pid, sig) // ESRCH: it is exiting; the reap follows
	case sv.child != nil:
		_ = syscall.Kill(-sv.child.pgid, sig) // as above
	case sv.lastPgid != 0:
		_ = syscall.Kill(-sv.lastPgid, sig) // ESRCH: nothing of the last run is left
	}
}

// signalGroup sends sig to the command's whole process group.
func (sv *supervision) signalGroup(sig syscall.Signal) {
	if sv.child != nil && sv.child.pgid > 0 {
		_ = syscall.Kill(-sv.child.pgid, sig) // ESRCH: gone already
		if sv.child.pgid != sv.child.pid {
			_ = syscall.Kill(sv.child.pid, sig) // a followed daemon outside the group
		}
	}
}

// debounceRestart (re)starts the quiet period after a watched change.
func (sv *supervision) debounceRestart() {
	if sv.debounce != nil {
		sv.debounce.Stop()
	}
	sv.debounce = time.NewTimer(sv.s.WatchDebounce)
}

// watchRestart restarts the command after watched files changed: at once if
// it is not running, else once it has stopped.
func (sv *supervision) watchRestart() {
	if sv.stopping || sv.done {
		return
	}
	if max := sv.s.Policy.MaxRuns; max > 0 && sv.runs >= max {
		sv.ev.printf("files changed, but %s has run %d times (-m %d): not restarting it", sv.name, sv.runs, max)
		return
	}
	if sv.child == nil {
		if sv.backoff != nil {
			sv.backoff.Stop()
			sv.backoff = nil
		}
		sv.ev.printf("files changed: starting %s", sv.name)
		sv.restart()
		return
	}
	sv.ev.printf("files changed: restarting %s (pid %d)", sv.name, sv.child.pid)
	sv.restarting = true
	sv.forward(syscall.SIGTERM)
	sv.killer = time.NewTimer(sv.s.StopTimeout)
}

// startFollowing begins to wait for the pidfile of a command whose first
// process exited 0 after daemonizing. Until it names a running process there
// is no child: a stop then ends grespawn, and the clean-up kills any daemon
// that appears, re-parented to grespawn.
func (sv *supervision) startFollowing(launched time.Duration) {
	sv.followSince = launched
	sv.follow = time.NewTicker(20 * time.Millisecond)
	sv.followEnd = time.Now().Add(followTimeout)
	sv.lookForDaemon()
}

// lookForDaemon checks whether the pidfile names a running process yet.
func (sv *supervision) lookForDaemon() {
	if sv.follow == nil {
		return
	}
	pid, err := readDaemonPID(sv.s.Pidfile, sv.followSince)
	if err != nil {
		sv.followErr = err
	}
	switch {
	case err == nil:
		sv.follow.Stop()
		sv.follow = nil
		sv.child = &child{pid: pid, pgid: processGroup(pid), started: time.Now()}
		sv.lastPgid = sv.child.pgid
		sv.ev.printf("following %s's daemon (pid %d, from %s)", sv.name, pid, sv.s.Pidfile)
		sv.snapshot("running", 0)
		if !isOurChild(pid) {
			watchExit(pid, sv.followed)
		}
	case time.Now().After(sv.followEnd):
		sv.follow.Stop()
		sv.follow = nil
		sv.lastNote = fmt.Sprintf("left no running daemon in %s within %v (%v)", sv.s.Pidfile, followTimeout, sv.followErr)
		sv.ev.printf("%s %s", sv.name, sv.lastNote)
		sv.decide(0) // no daemon ran: a failed start, as short as a run can be
	}
}

// followedExited handles the exit of a followed daemon that was not
// grespawn's child when it was found; it may be by now (re-parented), and
// then its status can still be had.
func (sv *supervision) followedExited(pid int) {
	if sv.child == nil || sv.child.pid != pid {
		return // reaped already, by the wait loop
	}
	var ws syscall.WaitStatus
	if got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); err == nil && got == pid {
		sv.exited(ws, "")
		return
	}
	sv.exited(0, "exited (its status is unknown: it is not grespawn's child)")
}

// ownFiles are the files grespawn writes itself, which a watch ignores.
func (sv *supervision) ownFiles() []string {
	var own []string
	if sv.s.Log != nil {
		own = append(own, sv.s.Log.Path)
	}
	if sv.s.StatusFile != "" {
		own = append(own, sv.s.StatusFile)
	}
	return own
}

// snapshot writes the status file, if there is one.
func (sv *supervision) snapshot(state string, backoff time.Duration) {
	if sv.s.StatusFile == "" {
		return
	}
	snap := snapshot{State: state, Runs: sv.runs, Backoff: backoff}
	if sv.child != nil && sv.child.pid > 0 {
		snap.PID, snap.Started = sv.child.pid, sv.child.started
	}
	if sv.runs > 1 || sv.child == nil {
		switch {
		case sv.lastNote != "":
			snap.LastStatus = "unknown"
		case sv.last.Signaled():
			snap.LastStatus = "signal " + signalName(sv.last.Signal())
		case sv.runs > 0 && (sv.child == nil || sv.runs > 1):
			snap.LastStatus = fmt.Sprintf("exit %d", sv.last.ExitStatus())
		}
	}
	if err := snap.write(sv.s.StatusFile); err != nil {
		sv.ev.printf("cannot write the status file: %v", err)
	}
}

// cleanUp kills whatever is left of the command's tree (grespawn never
// leaves it orphaned) and waits for the output capture to drain.
func (sv *supervision) cleanUp() {
	for _, t := range []*time.Timer{sv.backoff, sv.killer, sv.debounce} {
		if t != nil {
			t.Stop()
		}
	}
	if sv.follow != nil {
		sv.follow.Stop()
	}
	if sv.lastPgid > 0 {
		_ = syscall.Kill(-sv.lastPgid, syscall.SIGKILL) // ESRCH: nothing left
	}
	killDescendants()
	// Below a subreaper every writer is dead now, so every pipe ends, and
	// the log gets all of it however far behind it is. Without one, an
	// orphan may keep a pipe open for ever: wait for it only while output
	// still flows.
	drained := make(chan struct{})
	go func() {
		for _, c := range sv.captures {
			c.done.Wait()
		}
		close(drained)
	}()
	if subreaper {
		<-drained
		return
	}
	if !waitWhileProgress(settleIdle, sv.log.written, drained, nil) {
		sv.ev.force("output still open after the command's end: the log is closed without it")
	}
}

func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

func tickerC(t *time.Ticker) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}
