package pidfile

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// maxPIDLimit is Linux's PID_MAX_LIMIT, the largest pid_max can be.
const maxPIDLimit = 4 << 20

// MaxPID is the largest PID of this system: /proc/sys/kernel/pid_max, or
// Linux's limit for it when that cannot be read.
var MaxPID = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if n, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && n > 0 && n <= maxPIDLimit {
		return n - 1 // pid_max is one past the largest PID
	}
	return maxPIDLimit
})
