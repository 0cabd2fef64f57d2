package fdio

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ReadPID reads the PID that the pidfile at path names: a positive decimal
// number, white space around it ignored. A file that holds anything else is
// an error that quotes it.
func ReadPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s holds no PID (%q)", path, s)
	}
	return pid, nil
}
