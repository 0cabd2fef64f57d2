//go:build !linux

package testutil

import (
	"syscall"
	"time"
)

// A procHandle is a PID, probed with kill(pid, 0): without pidfds, a
// reused PID can fool it.
type procHandle struct{ pid int }

func openProc(pid int) (procHandle, error) { return procHandle{pid: pid}, nil }

func (h procHandle) close() {}

func (h procHandle) wait(d time.Duration) (bool, error) {
	end := time.Now().Add(d)
	for pause := time.Millisecond; ; pause = nextPause(pause) {
		if syscall.Kill(h.pid, 0) == syscall.ESRCH {
			return true, nil
		}
		if !time.Now().Before(end) {
			return false, nil
		}
		time.Sleep(min(pause, time.Until(end)))
	}
}

func (h procHandle) signal(sig syscall.Signal) error { return syscall.Kill(h.pid, sig) }
