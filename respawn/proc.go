package respawn

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// readPID reads the PID a pidfile names.
func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s names no PID", path)
	}
	return pid, nil
}

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
