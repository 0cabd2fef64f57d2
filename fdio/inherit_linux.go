package fdio

import (
	"errors"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

func closeOnExecFrom(lowfd int) error {
	err := unix.CloseRange(uint(lowfd), math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return os.NewSyscallError("close_range", err)
	}
	// Kernels before 5.11 lack CLOSE_RANGE_CLOEXEC: walk the table instead.
	return closeOnExecListed("/proc/self/fd", lowfd)
}
