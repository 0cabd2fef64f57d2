package fdio

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ReadPID reads the PID that the pidfile at path names (see ParsePID). A file
// that holds anything else is an error that quotes it.
func ReadPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := ParsePID(b)
	if err != nil {
		return 0, fmt.Errorf("%s holds %w", path, err)
	}
	return pid, nil
}

// ParsePID parses what a pidfile holds: a decimal number from 1 to the
// largest pid_t, white space around it ignored. A larger number is no PID:
// kill(2) would take only its low 32 bits, so that 4294967295 would signal
// every process (-1). The error quotes the rest, white space trimmed.
func ParsePID(b []byte) (int, error) {
	s := strings.TrimSpace(string(b))
	pid, err := strconv.ParseInt(s, 10, 32) // pid_t, on every system gdetach builds for
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("no PID (%q)", s)
	}
	return int(pid), nil
}
