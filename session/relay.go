package session

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/gdetach/gdetach/execvp"
)

// A Relay runs a program in a session of its own and stays behind as its
// proxy: the signals sent to the relay are passed on to the program, and the
// relay ends when the program does. This keeps a user's kill and the
// terminal's job control (Ctrl-C, Ctrl-Z, fg, bg) working for a program that
// has left the terminal's session, where the terminal cannot reach it.
//
// A keyboard stop (SIGTSTP) stops the program with SIGSTOP (its process group
// is orphaned, so the kernel would discard a SIGTSTP) and then the relay
// itself, so the shell sees the job stop; when the relay is continued it
// continues the program.
type Relay struct {
	// Forward lists the signals passed on to the program. A signal the relay
	// was started with ignored (SIGHUP or SIGINT from a shell without job
	// control) stays ignored, in the relay and the program, and is not
	// forwarded.
	Forward []os.Signal

	// Ignore lists the signals the relay ignores; the program starts with
	// them ignored too.
	Ignore []os.Signal

	// Started, if not nil, is called with the program's PID once it runs. If
	// it fails, the program is killed and Run returns that error.
	Started func(pid int) error
}

// Run starts cmd in a new session (it sets cmd.SysProcAttr.Setsid) and relays
// signals until the program exits. The program is cmd.Path (cmd.Args[0]
// when empty), a name or a path, found as execvp(3) finds it. Run returns nil when the program
// exits with status 0, the *exec.ExitError from Wait when it fails or is
// killed, and an *execvp.Error when the program cannot be run.
func (r *Relay) Run(cmd *exec.Cmd) error {
	for _, s := range r.Ignore {
		signal.Ignore(s)
	}
	// Register before the start, so no signal falls between the two; a
	// buffered channel, so none is dropped while one is being passed on.
	sigs := make(chan os.Signal, 64)
	var relayed []os.Signal
	for _, s := range append(r.Forward, syscall.SIGTSTP) {
		if !signal.Ignored(s) {
			relayed = append(relayed, s)
		}
	}
	signal.Notify(sigs, relayed...)
	defer signal.Stop(sigs)

	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	name := cmd.Path
	if name == "" {
		name = cmd.Args[0]
	}
	cmd, err := execvp.Start(cmd, name)
	if err != nil {
		return err
	}
	if r.Started != nil {
		if err := r.Started(cmd.Process.Pid); err != nil {
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
			pass(cmd.Process, s.(syscall.Signal))
		}
	}
}

// pass delivers the relay's signal s to the program p.
func pass(p *os.Process, s syscall.Signal) {
	if s != syscall.SIGTSTP {
		signalProcess(p, s)
		return
	}
	signalProcess(p, syscall.SIGSTOP)
	Suspend()
	// Running again: continued by fg or bg, or the stop was discarded.
	signalProcess(p, syscall.SIGCONT)
}

// signalProcess sends s to p. p is our own unreaped child, so the only
// possible failure is os.ErrProcessDone, when it has just exited and Wait is
// about to report it.
func signalProcess(p *os.Process, s syscall.Signal) {
	_ = p.Signal(s)
}
