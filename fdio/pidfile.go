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

// ParsePID parses what a pidfile holds: a positive decimal number, white
// space around it ignored. The error quotes the rest, white space trimmed.
func ParsePID(b []byte) (int, error) {
	s := strings.TrimSpace(string(b))
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("no PID (%q)", s)
	}
	return pid, nil
}
