package respawn

import (
	"cmp"
	"errors"
	"fmt"
	"syscall"
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
			if re := (*RotateError)(nil); errors.As(err, &re) {
				sv.ev.stderr("cannot rotate the %s, writing on past its maximum size until it can: %v", what, re.Err)
			} else {
				sv.ev.stderr("cannot write the %s, dropping lines until it can (counted in it): %v", what, err)
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

// sameFile reports whether l and o are one regular file under two names.
func (l *logFile) sameFile(o *logFile) bool {
	if l.std != 0 || o.std != 0 || l.stream || o.stream {
		return false
	}
	return l.dev == o.dev && l.ino == o.ino
}
