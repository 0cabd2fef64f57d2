//go:build !linux

package process

import (
	"errors"
	"syscall"
	"time"
)

// A Handle watches and signals one process. Without pidfds it holds only
// the PID: a process that reuses it is taken for the same.
type Handle struct {
	PID int
}

// Open returns a Handle on process pid. A process that does not exist is an
// error that errors.Is(err, ErrGone).
func Open(pid int) (*Handle, error) {
	if !Exists(pid) {
		return nil, ErrGone
	}
	return &Handle{PID: pid}, nil
}

// Signal sends sig to the process; ErrGone once it has exited.
func (h *Handle) Signal(sig syscall.Signal) error {
	err := syscall.Kill(h.PID, sig)
	if errors.Is(err, syscall.ESRCH) {
		return ErrGone
	}
	return err
}

// Wait waits at most d (for ever if d < 0) for the process to exit, polling
// kill(pid, 0): a zombie counts as running until it is reaped.
func (h *Handle) Wait(d time.Duration) (bool, error) {
	end := time.Now().Add(d)
	for pause := time.Millisecond; ; pause = min(2*pause, 50*time.Millisecond) {
		if !Exists(h.PID) {
			return true, nil
		}
		if d >= 0 && !time.Now().Before(end) {
			return false, nil
		}
		if d >= 0 {
			pause = min(pause, time.Until(end))
		}
		time.Sleep(pause)
	}
}

// Close releases the handle.
func (h *Handle) Close() error { return nil }
