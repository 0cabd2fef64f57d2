//go:build darwin || freebsd

package session

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// SetDefaultAction is not available here: the Go runtime owns sigaction on
// darwin and freebsd. The error wraps ErrUnsupported.
func SetDefaultAction(sig syscall.Signal) error {
	return fmt.Errorf("setting the default action of %v: %w", sig, ErrUnsupported)
}

// ResetIgnoredSignals makes the Go runtime catch every signal it knows, so
// that a program started afterwards gets each of them at its default action
// (Go resets caught signals in a child). Signals the runtime does not manage
// keep the disposition this process inherited.
func ResetIgnoredSignals() error {
	signal.Notify(make(chan os.Signal, 1))
	return nil
}

// Raise cannot end the process by a signal here (see SetDefaultAction); it
// returns at once and the caller exits with 128+sig instead.
func Raise(sig syscall.Signal) {}

// Suspend stops this process with SIGSTOP (a shell reports "Stopped
// (signal)") and returns once it is continued. A supervisor that caught sig
// (a job-control stop) calls it after stopping what it supervises.
func Suspend(sig syscall.Signal) {
	_ = unix.Kill(unix.Getpid(), syscall.SIGSTOP) // cannot fail for our own pid
}

// IgnoreUnmanaged has nothing to do here: the Go runtime catches every
// signal os/signal can name.
func IgnoreUnmanaged() (restore func()) { return func() {} }

// DefaultUnmanaged has nothing to do here: there are no unmanaged signals.
func DefaultUnmanaged() {}

// Unmanaged are the signals os/signal cannot catch: none here.
var Unmanaged []syscall.Signal

// maxSignal is the highest signal a Relay passes on: the classic 31 (FreeBSD's
// real-time signals are not relayed).
const maxSignal = 31
