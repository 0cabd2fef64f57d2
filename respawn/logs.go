package respawn

import (
	"cmp"
	"errors"
	"fmt"
	"syscall"

	"github.com/gdetach/gdetach/session"
)

// openLogs opens the logs the Supervisor names: one for both of the
// command's streams, or one each; the same name twice is one log. Two
// names of one regular file are refused: two logs rotating one file would
// lose lines.
func (sv *supervision) openLogs() error {
	s := sv.s
	open := func(cfg *LogConfig, what string) (*logFile, error) {
		if cfg == nil {
			return nil, nil
		}
		c := *cfg
		c.owner = sv.as.owner
		l, err := openLog(c, sv.ev.prefix(), func(err error) {
			// On standard error alone: not into the events' log, which may
			// be this one.
			var re *RotateError
			switch {
			case s.Logger == nil:
			case errors.As(err, &re):
				s.Logger.Printf("cannot rotate the %s, writing on past its maximum size until it can: %v", what, re.Err)
			default:
				s.Logger.Printf("cannot write the %s, dropping lines until it can (counted in it): %v", what, err)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("open the %s: %w", what, err)
		}
		return l, nil
	}
	var err error
	if sv.out, err = open(s.Log, "log"); err != nil {
		return err
	}
	switch {
	case s.StderrLog == nil:
		sv.err = sv.out
	case s.Log != nil && (s.StderrLog.Path == s.Log.Path ||
		StdStream(s.StderrLog.Path) != 0 && StdStream(s.StderrLog.Path) == StdStream(s.Log.Path)):
		sv.err = sv.out
	default:
		if sv.err, err = open(s.StderrLog, "standard error log"); err != nil {
			sv.closeLogs()
			return err
		}
		if sv.out != nil && sv.out.sameFile(sv.err) {
			sv.closeLogs()
			return fmt.Errorf("the standard error log %s is the log %s: name it the same, or name another file", s.StderrLog.Path, s.Log.Path)
		}
	}
	if s.LogEvents {
		sv.ev.setSink(cmp.Or(sv.out, sv.err))
	}
	return nil
}

// closeLogs closes the logs, each once.
func (sv *supervision) closeLogs() {
	sv.ev.setSink(nil)
	if sv.out != nil {
		_ = sv.out.close() // what cannot be written by now is lost: the log says so when it can
	}
	if sv.err != nil && sv.err != sv.out {
		_ = sv.err.close() // as above
	}
}

// progress is how many lines have been handed to the logs: it grows while
// output flows.
func (sv *supervision) progress() int64 {
	n := sv.out.handedIn()
	if sv.err != sv.out {
		n += sv.err.handedIn()
	}
	return n
}

// reopenLogs reopens the logs by their names, on ReopenSignal.
func (sv *supervision) reopenLogs(sig syscall.Signal) {
	if sv.out != nil {
		sv.out.reopenNow()
	}
	if sv.err != nil && sv.err != sv.out {
		sv.err.reopenNow()
	}
	sv.ev.printf("reopened the log on %s", signalName(sig))
}

// CheckReopenSignal reports whether sig can reopen the logs: a signal that
// a Supervisor catches and that means nothing else to it. SIGTERM and
// SIGINT stop it, the job-control signals stop it too, SIGPIPE is its
// own, and the rest cannot be caught (SIGKILL, SIGSTOP, SIGCHLD's use,
// the signals the Go runtime keeps).
func CheckReopenSignal(sig syscall.Signal) error {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT:
		return fmt.Errorf("%s cannot reopen the logs: it stops the supervision", signalName(sig))
	case syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return fmt.Errorf("%s cannot reopen the logs: it suspends the supervision with its command", signalName(sig))
	case syscall.SIGCONT:
		return fmt.Errorf("%s cannot reopen the logs: it resumes the supervision with its command (fg, bg)", signalName(sig))
	case syscall.SIGPIPE:
		return fmt.Errorf("%s cannot reopen the logs: a write to a closed pipe raises it", signalName(sig))
	case syscall.SIGCHLD:
		return fmt.Errorf("%s cannot reopen the logs: it says a process ended", signalName(sig))
	}
	for _, r := range session.Relayed() {
		if r == sig {
			return nil
		}
	}
	return fmt.Errorf("%s cannot reopen the logs: it cannot be caught", signalName(sig))
}

// sameFile reports whether l and o are one regular file under two names.
func (l *logFile) sameFile(o *logFile) bool {
	if l.std != 0 || o.std != 0 || l.stream || o.stream {
		return false
	}
	return l.dev == o.dev && l.ino == o.ino
}
