package respawn

import (
	"fmt"
	"strconv"
	"syscall"

	"github.com/gdetach/gdetach/execvp"
	"golang.org/x/sys/unix"
)

// A runEnd is how a run ended: the one value that the messages, the status
// file, the restart decision and the exit status are all read from. The
// zero value is no run ended yet.
type runEnd struct {
	kind endKind
	code int    // exited and notRun: the exit status; killed: the signal
	why  string // unknown: why the status is not known; notRun: the cause
}

type endKind int

const (
	noEnd   endKind = iota // no run has ended yet
	exited                 // with an exit status
	killed                 // by a signal
	unknown                // grespawn could not learn how (a daemon not its child)
	notRun                 // the command could not be started: code is 126 or 127, as a shell has it
)

// endOf is how a process ended, by its wait status.
func endOf(ws syscall.WaitStatus) runEnd {
	if ws.Signaled() {
		return runEnd{kind: killed, code: int(ws.Signal())}
	}
	return runEnd{kind: exited, code: ws.ExitStatus()}
}

// notRunEnd is the end of a run whose command could not be started.
func notRunEnd(err *execvp.Error) runEnd {
	return runEnd{kind: notRun, code: err.ExitStatus(), why: execvp.Strerror(err.Err)}
}

// unknownEnd is the end of a run whose status cannot be learnt, and why.
func unknownEnd(why string) runEnd { return runEnd{kind: unknown, why: why} }

// String says how the run ended, after its name: "exited with status 3".
func (e runEnd) String() string {
	switch e.kind {
	case exited:
		return "exited with status " + strconv.Itoa(e.code)
	case killed:
		return "was killed by " + signalName(syscall.Signal(e.code))
	case unknown:
		return e.why
	case notRun:
		return "could not be run: " + e.why
	}
	return "has not ended"
}

// statusText is the status file's last_status: "exit 3", "signal SIGTERM",
// "unknown", or "" before the first end. A run that could not be started
// is "exit 127" (or 126), as a shell reports it.
func (e runEnd) statusText() string {
	switch e.kind {
	case exited, notRun:
		return "exit " + strconv.Itoa(e.code)
	case killed:
		return "signal " + signalName(syscall.Signal(e.code))
	case unknown:
		return "unknown"
	}
	return ""
}

// exitStatus is grespawn's exit status for it: the exit status, 128+N for
// signal N, 1 when it is not known, 0 before any end.
func (e runEnd) exitStatus() int {
	switch e.kind {
	case killed:
		return 128 + e.code
	case unknown:
		return 1
	}
	return e.code
}

// signalName names a signal as kill(1) does: SIGTERM, or "signal 40".
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// commandStatus is this process's exit status for the command's last end:
// StatusMap's entry for its status if it has one; else 0 when a stop asked
// by SIGTERM or the stop signal ended it by the signal the stop sent
// (killed by it, or exit status 128+N as a shell or a JVM reports it): a
// container or a service stopped on request has not failed; else the
// status itself (exitStatus), 130 after Ctrl-C's SIGINT among them.
func (sv *supervision) commandStatus() int {
	status := sv.last.exitStatus()
	if to, ok := sv.s.StatusMap[status]; ok {
		return to
	}
	if sent := sv.stopSent; sent != 0 && sv.cleanStop {
		e := sv.last
		if (e.kind == killed && e.code == int(sent)) || (e.kind == exited && e.code == 128+int(sent)) {
			return 0
		}
	}
	return status
}
