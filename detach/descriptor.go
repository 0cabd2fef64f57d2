package detach

import (
	"os"

	"github.com/gdetach/gdetach/fdio"
	"golang.org/x/sys/unix"
)

// A Descriptor is what one of descriptors 0-2 is when gnohup starts, as far
// as the redirections go.
type Descriptor int

const (
	Other    Descriptor = iota // a file, a pipe, a socket, /dev/null as a shell opens it
	Terminal                   // a terminal
	Closed                     // closed by the caller, as far as can be told (see inspect)
)

// inspect tells what descriptor fd (0, 1 or 2) of this process is.
//
// A descriptor the caller closed cannot be seen closed: before main runs,
// the Go runtime opens /dev/null, read-write, on each of 0-2 that is closed
// (runtime.checkfds). A shell opens /dev/null write-only for `>/dev/null`
// and read-only for `</dev/null`, so /dev/null open read-write is taken for
// a closed descriptor. A caller who really passed that (`<>/dev/null`,
// Python's subprocess.DEVNULL, daemon(3)) is taken for one who closed it:
// the two cannot be told apart.
func inspect(fd int) Descriptor {
	switch {
	case fdio.IsTerminal(fd):
		return Terminal
	case isReadWriteNull(fd):
		return Closed
	}
	return Other
}

// isReadWriteNull reports whether fd is the null device open for reading
// and writing.
func isReadWriteNull(fd int) bool {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || flags&unix.O_ACCMODE != unix.O_RDWR {
		return false
	}
	var st, null unix.Stat_t
	if unix.Fstat(fd, &st) != nil || unix.Stat(os.DevNull, &null) != nil {
		return false
	}
	isChar := func(s *unix.Stat_t) bool { return s.Mode&unix.S_IFMT == unix.S_IFCHR }
	return isChar(&st) && isChar(&null) && st.Rdev == null.Rdev
}
