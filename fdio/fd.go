package fdio

import (
	"errors"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether fd refers to a terminal.
func IsTerminal(fd int) bool {
	_, err := IgnoringEINTR2(func() (*unix.Termios, error) {
		return unix.IoctlGetTermios(fd, ioctlReadTermios)
	})
	return err == nil
}

// IsOpen reports whether fd is an open descriptor.
func IsOpen(fd int) bool {
	_, err := IgnoringEINTR2(func() (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0) })
	return !errors.Is(err, unix.EBADF)
}

// Dup makes newfd refer to the open file of oldfd, with close-on-exec clear,
// so that a program started later inherits it. Dup(fd, fd) clears
// close-on-exec on fd.
func Dup(oldfd, newfd int) error {
	if oldfd == newfd {
		return setCloseOnExec(oldfd, false)
	}
	err := IgnoringEINTR(func() error { return unix.Dup2(oldfd, newfd) })
	return os.NewSyscallError("dup2", err)
}

// DupFile duplicates descriptor fd as a new close-on-exec descriptor (the
// same open file: offset, flags and all) and returns it named name.
func DupFile(fd int, name string) (*os.File, error) {
	nfd, err := IgnoringEINTR2(func() (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0) })
	if err != nil {
		return nil, os.NewSyscallError("dup", err)
	}
	return os.NewFile(uintptr(nfd), name), nil
}

// ReopenNull makes fd refer to the null device, opened with flag (one of
// os.O_RDONLY, os.O_WRONLY or os.O_RDWR). coreutils nohup opens it write-only
// for standard input, so that any read fails instead of reading end of file.
func ReopenNull(fd int, flag int) error {
	null, err := os.OpenFile(os.DevNull, flag, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	return Dup(int(null.Fd()), fd)
}

// OpenAppend opens path for appending, creating it with exactly the
// permissions perm (not perm less the umask) when it does not exist. It never
// follows a symbolic link in the last component (O_NOFOLLOW), and the
// descriptor is close-on-exec.
func OpenAppend(path string, perm os.FileMode) (*os.File, error) {
	f, _, err := OpenCreate(path, os.O_WRONLY|os.O_APPEND, perm)
	return f, err
}

// OpenCreate opens path with flag (an access mode and, say, O_APPEND or
// O_TRUNC), creating it with exactly the permissions perm when it does not
// exist, and reports whether it did create it. It never follows a symbolic
// link in the last component (O_NOFOLLOW), and the descriptor is
// close-on-exec.
func OpenCreate(path string, flag int, perm os.FileMode) (f *os.File, created bool, err error) {
	flag |= unix.O_NOFOLLOW
	for {
		f, err := os.OpenFile(path, flag|os.O_CREATE|os.O_EXCL, perm)
		if err == nil {
			// The umask may have taken bits away; a new file gets what was asked.
			if err := f.Chmod(perm); err != nil {
				f.Close()
				os.Remove(path)
				return nil, false, err
			}
			return f, true, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, false, err
		}
		f, err = os.OpenFile(path, flag, 0)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed between the two opens: create it after all
		}
		return f, false, err
	}
}

func setCloseOnExec(fd int, on bool) error {
	flags, err := IgnoringEINTR2(func() (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0) })
	if err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	want := flags &^ unix.FD_CLOEXEC
	if on {
		want = flags | unix.FD_CLOEXEC
	}
	if want == flags {
		return nil
	}
	_, err = IgnoringEINTR2(func() (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_SETFD, want) })
	return os.NewSyscallError("fcntl", err)
}

// IgnoringEINTR calls fn, a system call, until it is not interrupted by a
// signal (EINTR): the one such loop in gdetach.
func IgnoringEINTR(fn func() error) error {
	for {
		if err := fn(); err != unix.EINTR {
			return err
		}
	}
}

// IgnoringEINTR2 is IgnoringEINTR for calls that also return a value.
func IgnoringEINTR2[T any](fn func() (T, error)) (T, error) {
	for {
		v, err := fn()
		if err != unix.EINTR {
			return v, err
		}
	}
}

// IsSymlinkRefused reports whether err is an open with O_NOFOLLOW refusing a
// symbolic link: ELOOP, or EMLINK on FreeBSD. The kernel's words for it
// ("too many levels of symbolic links") mislead; callers say it plainly.
func IsSymlinkRefused(err error) bool {
	return errors.Is(err, unix.ELOOP) || (runtime.GOOS == "freebsd" && errors.Is(err, unix.EMLINK))
}

// SetBlocking clears O_NONBLOCK on f's open file description: a file opened
// without blocking (so that a FIFO with no reader could not hang the open)
// is then written to as any other.
func SetBlocking(f *os.File) error {
	fd := int(f.Fd()) // Fd makes f blocking for Go too
	return os.NewSyscallError("fcntl", IgnoringEINTR(func() error { return unix.SetNonblock(fd, false) }))
}
