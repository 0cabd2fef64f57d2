package process

import (
	"errors"
	"strconv"
	"strings"
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

// Describe names processes for a message: "pid 12", "pids 12, 13"; hidden
// adds that some could not be seen (another user's, or no /proc).
func Describe(pids []int, hidden bool) string {
	words := make([]string, len(pids))
	for i, pid := range pids {
		words[i] = strconv.Itoa(pid)
	}
	s := ""
	switch len(pids) {
	case 0:
	case 1:
		s = "pid " + words[0]
	default:
		s = "pids " + strings.Join(words, ", ")
	}
	switch {
	case hidden && s == "":
		return "processes this user cannot see"
	case hidden:
		return s + " and processes this user cannot see"
	case s == "":
		return "no process found"
	}
	return s
}
