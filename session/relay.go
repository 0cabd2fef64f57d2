package session

import (
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"syscall"

	"github.com/gdetach/gdetach/execvp"
	"golang.org/x/sys/unix"
)

// A Relay runs a program in a session of its own and stays behind as its
// proxy: to the shell the relay is the job, so whatever is done to the relay
// is done to the program's whole process group (the program leads it), as a
// shell does to a job. The relay ends when the program does.
//
// Every signal a process can catch is passed on, but:
//   - those in Ignore or Swallow (see there);
//   - SIGCHLD, the relay's own news of its program;
//   - SIGURG, which the Go runtime sends itself to preempt goroutines: a
//     user's cannot be told from the runtime's;
//   - SIGPROF, which the Go runtime keeps for its profiler;
//   - the signals os/signal cannot catch on Linux (Unmanaged: 32 and 34,
//     ignored once the program runs so they cannot kill the relay, and 33,
//     the runtime's own);
//   - SIGKILL and SIGSTOP, which nobody can catch: a SIGSTOP stops the relay
//     alone, and the SIGCONT that resumes it is passed on.
//
// A job-control stop (SIGTSTP, SIGTTIN, SIGTTOU) stops the program's group
// with SIGSTOP (the group is orphaned, so the kernel would discard the
// signal itself) and then the relay by the same signal, so the shell sees
// the job stop; when the relay is continued it continues the group. The
// program starts with every signal at its default action, but those in
// Ignore.
type Relay struct {
	// Ignore lists signals the relay ignores: the program starts with them
	// ignored too (gnohup's SIGHUP).
	Ignore []os.Signal

	// Swallow lists signals the relay catches and does not pass on: the
	// program starts with them at their default action (gsetsid -w's
	// SIGHUP: the terminal's hangup must not cross into the program's new
	// session).
	Swallow []os.Signal

	// Started, if not nil, is called with the program's PID once it runs. If
	// it fails, the program is killed and Run returns that error.
	Started func(pid int) error
}

// notRelayed are the signals a relay never passes on (see Relay).
var notRelayed = []syscall.Signal{syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, syscall.SIGURG, syscall.SIGPROF}

// Relayed lists the signals a Relay passes on: every signal but those of
// notRelayed and Unmanaged. A signal this process was started with ignored
// (SIGINT from a shell without job control) stays ignored, in the relay and
// the program, and is not passed on either.
func Relayed() []syscall.Signal {
	var sigs []syscall.Signal
	for sig := syscall.Signal(1); sig <= maxSignal; sig++ {
		if !slices.Contains(notRelayed, sig) && !slices.Contains(Unmanaged, sig) {
			sigs = append(sigs, sig)
		}
	}
	return sigs
}

// Run starts cmd in a new session (it sets cmd.SysProcAttr.Setsid) and
// relays signals until the program exits. The program is cmd.Path
// (cmd.Args[0] when empty), a name or a path, found as execvp(3) finds it.
// Run returns nil when the program exits with status 0, the *exec.ExitError
// from Wait when it fails or is killed, and an *execvp.Error when the program
// cannot be run.
func (r *Relay) Run(cmd *exec.Cmd) error {
	for _, s := range r.Ignore {
		signal.Ignore(s)
	}
	// Register before the start, so no signal falls between the two; a
	// buffered channel, so none is dropped while one is being passed on.
	sigs := make(chan os.Signal, 128)
	var caught []os.Signal
	for _, s := range Relayed() {
		if !signal.Ignored(s) {
			caught = append(caught, s)
		}
	}
	signal.Notify(sigs, caught...)
	defer signal.Stop(sigs)

	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	name := cmd.Path
	if name == "" {
		name = cmd.Args[0]
	}
	DefaultUnmanaged() // even when the relay inherited them ignored
	cmd, err := execvp.Start(cmd, name)
	// The program has them at their default; the relay must not die of them.
	defer IgnoreUnmanaged()()
	if err != nil {
		return err
	}
	group := cmd.Process.Pid // it leads its session, and so its process group
	if r.Started != nil {
		if err := r.Started(group); err != nil {
			_ = cmd.Process.Kill() // it has run no code of its own that matters yet
			_ = cmd.Wait()
			return err
		}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for {
		select {
		case err := <-exited:
			return err
		case s := <-sigs:
			if !slices.Contains(r.Swallow, s) {
				pass(group, s.(syscall.Signal))
			}
		}
	}
}

// pass delivers the relay's signal s to the process group of the program,
// as a shell signals a job. The group cannot be another's: its leader, the
// program, is this process's child and is reaped only after the last signal.
func pass(group int, s syscall.Signal) {
	switch s {
	case syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		signalGroup(group, syscall.SIGSTOP)
		Suspend(s)
		// Running again: continued by fg or bg, or the stop was discarded.
		signalGroup(group, syscall.SIGCONT)
	default:
		signalGroup(group, s)
	}
}

// signalGroup sends s to the process group; ESRCH means the group is gone,
// the program has just exited, and Wait is about to report it.
func signalGroup(group int, s syscall.Signal) {
	_ = unix.Kill(-group, s)
}
