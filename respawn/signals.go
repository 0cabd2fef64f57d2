package respawn

import (
	"errors"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/gdetach/gdetach/session"
)

// The signals that mean something to the supervision are checked here:
// the reopen and restart signals, which are caught and not passed on, and
// the stop signal, which is also sent.

// reserved says why sig cannot be a signal the supervision catches for a
// purpose of its own, or "" if it can: SIGTERM and SIGINT stop it, the
// job-control signals suspend and resume it, SIGPIPE and SIGCHLD are its
// own, and the rest cannot be caught (SIGKILL, SIGSTOP, the signals the Go
// runtime keeps).
func reserved(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT:
		return "it stops the supervision"
	case syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return "it suspends the supervision with its command"
	case syscall.SIGCONT:
		return "it resumes the supervision with its command (fg, bg)"
	case syscall.SIGPIPE:
		return "a write to a closed pipe raises it"
	case syscall.SIGCHLD:
		return "it says a process ended"
	}
	for _, r := range session.Relayed() {
		if r == sig {
			return ""
		}
	}
	return "it cannot be caught"
}

// CheckReopenSignal reports whether sig can reopen the logs
// (Supervisor.ReopenSignal).
func CheckReopenSignal(sig syscall.Signal) error {
	if why := reserved(sig); why != "" {
		return fmt.Errorf("%s cannot reopen the logs: %s", signalName(sig), why)
	}
	return nil
}

// CheckRestartSignal reports whether sig can restart the command
// (Supervisor.RestartSignal).
func CheckRestartSignal(sig syscall.Signal) error {
	if why := reserved(sig); why != "" {
		return fmt.Errorf("%s cannot restart the command: %s", signalName(sig), why)
	}
	return nil
}

// CheckStopSignal reports whether sig can be the stop signal
// (Supervisor.StopSignal): sent to the command, it must be one that ends a
// program; received, SIGTERM and SIGINT stop already, and one that cannot
// be caught (SIGKILL) is only sent.
func CheckStopSignal(sig syscall.Signal) error {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL:
		return nil
	case syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGCONT:
		return fmt.Errorf("%s cannot be the stop signal: it suspends or resumes, it does not end a program", signalName(sig))
	}
	if why := reserved(sig); why != "" {
		return fmt.Errorf("%s cannot be the stop signal: %s", signalName(sig), why)
	}
	return nil
}

// checkSignals checks the signals of s together: each for its purpose,
// none for two, and none that was ignored when this process started
// (SIGHUP under nohup): caught, it would not stay ignored for the command,
// and the Go runtime keeps SIGHUP and SIGINT ignored rather than catch
// them.
func (s *Supervisor) checkSignals() error {
	if s.StopSignal != 0 {
		if err := CheckStopSignal(s.StopSignal); err != nil {
			return err
		}
	}
	purposes := []struct {
		sig   syscall.Signal
		what  string
		check func(syscall.Signal) error
	}{
		{s.ReopenSignal, "reopen the logs", CheckReopenSignal},
		{s.RestartSignal, "restart the command", CheckRestartSignal},
		{s.StopSignal, "stop", nil},
	}
	for i, p := range purposes {
		if p.sig == 0 {
			continue
		}
		if p.check != nil {
			if err := p.check(p.sig); err != nil {
				return err
			}
		}
		for _, q := range purposes[i+1:] {
			if q.sig == p.sig {
				return fmt.Errorf("%s cannot both %s and %s", signalName(p.sig), p.what, q.what)
			}
		}
		if p.sig != syscall.SIGTERM && p.sig != syscall.SIGINT && p.sig != syscall.SIGKILL && signal.Ignored(p.sig) {
			return fmt.Errorf("%s cannot %s: it was ignored when this process started (nohup?), and stays ignored for the command", signalName(p.sig), p.what)
		}
	}
	if s.ReopenSignal != 0 && s.Log == nil && s.StderrLog == nil {
		return errors.New("a signal to reopen the logs needs a log")
	}
	return nil
}
