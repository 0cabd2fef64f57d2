package respawn

import (
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// processGroup is the process group of pid, or pid itself if it cannot be
// told.
func processGroup(pid int) int {
	if pgid, err := unix.Getpgid(pid); err == nil {
		return pgid
	}
	return pid
}

// signalName names a signal as kill(1) does: SIGTERM.
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return "signal " + strconv.Itoa(int(sig))
}
