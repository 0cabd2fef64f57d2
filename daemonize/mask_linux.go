package daemonize

import (
	"os"

	"golang.org/x/sys/unix"
)

// clearSignalMask unblocks every signal on the calling thread.
func clearSignalMask() error {
	var none unix.Sigset_t
	return os.NewSyscallError("pthread_sigmask", unix.PthreadSigmask(unix.SIG_SETMASK, &none, nil))
}
