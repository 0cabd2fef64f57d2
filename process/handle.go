package process

import (
	"errors"
	"syscall"
	"time"
)

// ErrGone is the error for a process that has exited (or never existed).
var ErrGone = errors.New("no such process")

// Exists reports whether pid names a process, ours to signal or not (a
// zombie too).
func Exists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// WaitAll waits at most d for every handle's process to exit, and returns
// those still running.
func WaitAll(hs []*Handle, d time.Duration) ([]*Handle, error) {
	end := time.Now().Add(d)
	var left []*Handle
	for _, h := range hs {
		gone, err := h.Wait(max(time.Until(end), 0))
		if err != nil {
			return nil, err
		}
		if !gone {
			left = append(left, h)
		}
	}
	return left, nil
}
