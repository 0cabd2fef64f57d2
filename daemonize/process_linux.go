package daemonize

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// holdsLock reports whether process pid holds a flock on the file at path:
// one of its descriptors is open on that file and /proc/PID/fdinfo lists a
// FLOCK lock through it.
func holdsLock(pid int, path string) (bool, error) {
	var want unix.Stat_t
	if err := unix.Stat(path, &want); err != nil {
		return false, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(fdDir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // no such process
	}
	if errors.Is(err, os.ErrPermission) {
		// Another user's daemon: settle for "pid runs and someone holds a
		// flock on the file", from /proc/locks.
		return lockedByAnyone(want) && processExists(pid), nil
	}
	if err != nil {
		return false, fmt.Errorf("inspect process %d: %w", pid, err)
	}
	for _, e := range entries {
		var st unix.Stat_t
		if unix.Stat(fdDir+"/"+e.Name(), &st) != nil || st.Dev != want.Dev || st.Ino != want.Ino {
			continue
		}
		info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		for _, line := range strings.Split(string(info), "\n") {
			if strings.HasPrefix(line, "lock:") && strings.Contains(line, "FLOCK") {
				return true, nil
			}
		}
	}
	return false, nil
}

// stopProcess signals pid through a pidfd, escalating to SIGKILL after
// timeout, and waits for it to exit.
func stopProcess(pid int, lockfile, pidfile string, sig syscall.Signal, timeout time.Duration) error {
	if lockfile == "" {
		lockfile = pidfile
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil // gone already
	}
	if err != nil {
		return &ControlError{Err: os.NewSyscallError("pidfd_open", err), Status: StatusStopFailed}
	}
	defer unix.Close(fd)
	// The pidfd pins the process: if pid still holds the lock now, the pidfd
	// is the daemon's and no recycled PID can be hit.
	if held, err := holdsLock(pid, lockfile); err != nil || !held {
		return err
	}
	if err := pidfdSignal(fd, sig); err != nil {
		return err
	}
	if exitedWithin(fd, timeout) {
		return nil
	}
	if err := pidfdSignal(fd, unix.SIGKILL); err != nil {
		return err
	}
	if exitedWithin(fd, timeout) {
		return nil
	}
	return &ControlError{Err: fmt.Errorf("pid %d still runs after SIGKILL", pid), Status: StatusStopFailed}
}

func pidfdSignal(fd int, sig syscall.Signal) error {
	err := unix.PidfdSendSignal(fd, sig, nil, 0)
	switch {
	case err == nil, errors.Is(err, unix.ESRCH):
		return nil
	case errors.Is(err, unix.EPERM):
		return &ControlError{Err: os.NewSyscallError("pidfd_send_signal", err), Status: StatusNoAccess}
	}
	return &ControlError{Err: os.NewSyscallError("pidfd_send_signal", err), Status: StatusStopFailed}
}

// exitedWithin waits up to d for the process of a pidfd to exit. (It is not
// our child: the pidfd becomes readable when it exits, reaped or not.)
func exitedWithin(fd int, d time.Duration) bool {
	end := time.Now().Add(d)
	for {
		ms := int(time.Until(end).Milliseconds())
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, max(ms, 0))
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0
	}
}

// lockedByAnyone reports whether /proc/locks lists a flock on the file st.
func lockedByAnyone(st unix.Stat_t) bool {
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return false
	}
	// "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF": device in hex, inode in decimal.
	id := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	for _, line := range strings.Split(string(locks), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] == "FLOCK" && f[5] == id {
			return true
		}
	}
	return false
}

// processExists reports whether pid names a process, ours to signal or not.
func processExists(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
