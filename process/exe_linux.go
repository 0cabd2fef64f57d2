package process

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// SameProgram reports whether process pid runs the same executable file as
// this process (another instance of this command).
func SameProgram(pid int) bool {
	var self, other unix.Stat_t
	if unix.Stat("/proc/self/exe", &self) != nil || unix.Stat("/proc/"+strconv.Itoa(pid)+"/exe", &other) != nil {
		return false
	}
	return self.Dev == other.Dev && self.Ino == other.Ino
}

// Owner is the user that process pid runs as (its effective user, as the
// owner of /proc/PID shows it).
func Owner(pid int) (int, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid), &st); err != nil {
		return 0, &os.PathError{Op: "stat", Path: "/proc/" + strconv.Itoa(pid), Err: err}
	}
	return int(st.Uid), nil
}

// Name is the command name of process pid, as /proc/PID/comm shows it (at
// most 15 bytes).
func Name(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}
