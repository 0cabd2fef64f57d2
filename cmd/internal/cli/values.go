package cli

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// An OctalMode is a file mode option given in octal, such as --umask 027.
type OctalMode int

// String prints the mode as it is given, with a leading zero.
func (m *OctalMode) String() string { return fmt.Sprintf("%03o", int(*m)) }

// Set parses an octal mode from 0 to 0777.
func (m *OctalMode) Set(s string) error {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o777 {
		return fmt.Errorf("want an octal mode from 000 to 777")
	}
	*m = OctalMode(n)
	return nil
}

// Type names the value in --help.
func (m *OctalMode) Type() string { return "mode" }

// A Signal is a signal option: a name with or without SIG (TERM, SIGTERM,
// any case) or a number.
type Signal syscall.Signal

// String prints the signal's name, as kill -l does.
func (s *Signal) String() string {
	return strings.TrimPrefix(unix.SignalName(syscall.Signal(*s)), "SIG")
}

// Set parses a signal name or number.
func (s *Signal) Set(v string) error {
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 || unix.SignalName(syscall.Signal(n)) == "" {
			return fmt.Errorf("no signal %d", n)
		}
		*s = Signal(n)
		return nil
	}
	name := strings.ToUpper(v)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	n := unix.SignalNum(name)
	if n == 0 {
		return fmt.Errorf("no signal named %s", v)
	}
	*s = Signal(n)
	return nil
}

// Type names the value in --help.
func (s *Signal) Type() string { return "signal" }
