package testutil

import (
	"errors"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A procHandle is a pidfd; -1 for a process that was gone when watched.
type procHandle struct{ fd int }

func openProc(pid int) (procHandle, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return procHandle{fd: -1}, nil
	}
	if err != nil {
		return procHandle{}, err
	}
	return procHandle{fd: fd}, nil
}

func (h procHandle) close() {
	if h.fd >= 0 {
		unix.Close(h.fd)
	}
}

// wait polls the pidfd, which becomes readable when the process exits.
func (h procHandle) wait(d time.Duration) (bool, error) {
	if h.fd < 0 {
		return true, nil
	}
	fds := []unix.PollFd{{Fd: int32(h.fd), Events: unix.POLLIN}}
	end := time.Now().Add(max(d, 0))
	for {
		n, err := unix.Poll(fds, int(time.Until(end).Milliseconds()+1))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, err
		}
		if n > 0 || !time.Now().Before(end) {
			return n > 0, nil
		}
	}
}

func (h procHandle) signal(sig syscall.Signal) error {
	if h.fd < 0 {
		return unix.ESRCH
	}
	return unix.PidfdSendSignal(h.fd, sig, nil, 0)
}
