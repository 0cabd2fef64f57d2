package session

import (
	"os"

	"golang.org/x/sys/unix"
)

// IsProcessGroupLeader reports whether this process leads its process group.
// A group leader cannot call setsid(2) (EPERM): to put a program in a new
// session it must start it as a child. Every job of an interactive shell is
// started as a group leader.
func IsProcessGroupLeader() bool {
	return unix.Getpgrp() == unix.Getpid()
}

// InTerminalForeground reports whether this process belongs to the
// foreground process group of its controlling terminal, the group that the
// terminal's Ctrl-C and Ctrl-Z reach. It is false when there is no
// controlling terminal.
func InTerminalForeground() bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return false // ENXIO: no controlling terminal; EIO: it hung up
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// Setsid makes this process the leader of a new session with no controlling
// terminal. It fails with EPERM in a process group leader.
func Setsid() error {
	_, err := unix.Setsid()
	return os.NewSyscallError("setsid", err)
}
