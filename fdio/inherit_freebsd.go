package fdio

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// closeOnExecFrom walks every number up to the descriptor limit: /dev/fd on
// freebsd lists all descriptors only when fdescfs is mounted there.
func closeOnExecFrom(lowfd int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return os.NewSyscallError("getrlimit", err)
	}
	highest := min(lim.Cur, 1<<20)
	for fd := lowfd; uint64(fd) < uint64(highest); fd++ {
		if err := setCloseOnExec(fd, true); err != nil && !errors.Is(err, unix.EBADF) {
			return err
		}
	}
	return nil
}
