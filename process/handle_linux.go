package process

import (
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/fdio"
	"golang.org/x/sys/unix"
)

// A Handle watches and signals one process through a pidfd: once open, it
// refers to that process only, even after the PID is reused.
type Handle struct {
	PID int
	fd  int
}

// Open returns a Handle on process pid. A process that does not exist is an
// error that errors.Is(err, ErrGone).
func Open(pid int) (*Handle, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil, ErrGone
	}
	if err != nil {
		return nil, os.NewSyscallError("pidfd_open", err)
	}
	return &Handle{PID: pid, fd: fd}, nil
}

// Signal sends sig to the process; ErrGone once it has exited.
func (h *Handle) Signal(sig syscall.Signal) error {
	err := unix.PidfdSendSignal(h.fd, sig, nil, 0)
	if errors.Is(err, unix.ESRCH) {
		return ErrGone
	}
	return os.NewSyscallError("pidfd_send_signal", err)
}

// Wait waits at most d (for ever if d < 0) for the process to exit, and
// reports whether it has: a zombie has exited, reaped or not.
func (h *Handle) Wait(d time.Duration) (bool, error) {
	end := time.Now().Add(d)
	for {
		ms := -1
		if d >= 0 {
			ms = int(max(time.Until(end), 0).Milliseconds())
			if time.Until(end) > 0 {
				ms++ // round up: never wake before the end
			}
		}
		n, err := fdio.IgnoringEINTR2(func() (int, error) {
			return unix.Poll([]unix.PollFd{{Fd: int32(h.fd), Events: unix.POLLIN}}, ms)
		})
		if err != nil {
			return false, os.NewSyscallError("poll", err)
		}
		if n > 0 || (d >= 0 && !time.Now().Before(end)) {
			return n > 0, nil
		}
	}
}

// Close releases the handle.
func (h *Handle) Close() error { return unix.Close(h.fd) }
