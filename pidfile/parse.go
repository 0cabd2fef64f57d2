package pidfile

import (
	"errors"
	"fmt"
	"strconv"
)

// MaxSize is the most a pidfile holds: a PID of at most 20 digits and a
// newline. Longer files are not pidfiles, and no more than MaxSize+1 bytes of
// them is ever read.
const MaxSize = 21

// ErrNotPIDFile is the error for a file whose content is not a PID: such a
// file is never overwritten or removed.
var ErrNotPIDFile = errors.New("not a pidfile")

// Parse parses what a pidfile holds: a decimal PID from 1 to the system's
// largest, without sign or leading zero, and an optional newline. Anything
// else is an error that wraps ErrNotPIDFile and says what is wrong without
// quoting the content (another user may have written it).
func Parse(b []byte) (int, error) {
	s := b
	if n := len(s); n > 0 && s[n-1] == '\n' {
		s = s[:n-1]
	}
	switch {
	case len(b) == 0:
		return 0, fmt.Errorf("%w: it is empty", ErrNotPIDFile)
	case len(b) > MaxSize:
		return 0, fmt.Errorf("%w: it holds more than a PID", ErrNotPIDFile)
	case len(s) == 0 || s[0] < '1' || s[0] > '9':
		return 0, fmt.Errorf("%w: it does not hold a PID", ErrNotPIDFile)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: it does not hold a PID", ErrNotPIDFile)
		}
	}
	pid, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil || pid > int64(MaxPID()) {
		return 0, fmt.Errorf("%w: %s is above the largest PID, %d", ErrNotPIDFile, s, MaxPID())
	}
	return int(pid), nil
}

// Format is the content a pidfile holding pid is written with.
func Format(pid int) []byte { return []byte(strconv.Itoa(pid) + "\n") }
