package respawn

import (
	"fmt"
	"strings"
	"time"

	"github.com/gdetach/gdetach/fdio"
)

// A snapshot is what --status-file says about the supervised command.
type snapshot struct {
	State      string        // running, backoff, stopping, stopped, gave-up
	PID        int           // the running command's, or 0
	Runs       int           // runs so far
	LastStatus string        // how the last run ended: "exit 3", "signal SIGTERM", "unknown", or ""
	Started    time.Time     // when the running command started (uptime = now - Started)
	Backoff    time.Duration // the delay before the next run, while waiting it out
}

// write replaces path with the snapshot, atomically, one key=value per line.
func (s snapshot) write(path string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "state=%s\npid=%d\nruns=%d\nlast_status=%s\n", s.State, s.PID, s.Runs, s.LastStatus)
	if !s.Started.IsZero() {
		fmt.Fprintf(&b, "started=%d\nstarted_at=%s\n", s.Started.Unix(), s.Started.UTC().Format(time.RFC3339Nano))
	} else {
		b.WriteString("started=\nstarted_at=\n")
	}
	fmt.Fprintf(&b, "backoff=%s\nupdated_at=%s\n", s.Backoff, time.Now().UTC().Format(time.RFC3339Nano))
	return fdio.WriteFileAtomic(path, []byte(b.String()), 0o644)
}
