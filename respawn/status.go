package respawn

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gdetach/gdetach/account"
	"github.com/gdetach/gdetach/fdio"
	"github.com/gdetach/gdetach/process"
)

// A snapshot is what the status file says about the supervised command.
type snapshot struct {
	State      string        // starting, running, backoff, stopping, stopped, gave-up
	PID        int           // the running process's, or 0
	Runs       int           // runs so far
	LastStatus string        // how the last run ended: "exit 3", "signal SIGTERM", "unknown", or ""
	Started    time.Time     // when the running process started (uptime = now - Started)
	Backoff    time.Duration // the delay before the next run, while waiting it out

	// Supervisor is the process that writes the file, so that a reader can
	// tell a supervision that goes on from one whose grespawn has died
	// (Query): its PID with its start time, which a reused PID lacks.
	Supervisor process.Identity
}

// self is this process's identity, for the status file: its PID alone
// where its start time cannot be read.
var self = sync.OnceValue(func() process.Identity {
	id, err := process.Identify(os.Getpid())
	if err != nil {
		return process.Identity{PID: os.Getpid()}
	}
	return id
})

// stateOf is the status file's state in phase p, "" for a phase that lasts
// no longer than a turn of the loop (the next phase writes the file).
func (sv *supervision) stateOf(p phase) string {
	switch p {
	case running:
		if sv.run.launcher {
			return "starting" // until it has daemonized
		}
		return "running"
	case following:
		return "starting"
	case backoff:
		return "backoff"
	case stopping, restarting:
		return "stopping"
	case done:
		if sv.stopped {
			return "stopped"
		}
		return "gave-up"
	}
	return ""
}

// writeStatus writes the status file, if there is one, for the phase just
// entered, whose timer runs for d.
func (sv *supervision) writeStatus(d time.Duration) {
	state := sv.stateOf(sv.phase)
	if sv.s.StatusFile == "" || state == "" {
		return
	}
	snap := snapshot{State: state, Runs: sv.runs, LastStatus: sv.last.statusText(), Supervisor: self()}
	if sv.phase == backoff {
		snap.Backoff = d
	}
	if sv.run != nil {
		snap.PID, snap.Started = sv.run.pid, sv.run.started
	}
	if err := snap.write(sv.s.StatusFile, sv.as.owner); err != nil {
		sv.ev.printf("cannot write the status file: %v", err)
	}
}

// write replaces path with the snapshot, atomically, one key=value per line,
// in a file given to owner if not nil.
func (s snapshot) write(path string, owner *account.Credential) error {
	var b strings.Builder
	fmt.Fprintf(&b, "state=%s\npid=%d\nruns=%d\nlast_status=%s\n", s.State, s.PID, s.Runs, s.LastStatus)
	if !s.Started.IsZero() {
		fmt.Fprintf(&b, "started=%d\nstarted_at=%s\n", s.Started.Unix(), s.Started.UTC().Format(time.RFC3339Nano))
	} else {
		b.WriteString("started=\nstarted_at=\n")
	}
	fmt.Fprintf(&b, "backoff=%s\nupdated_at=%s\n", s.Backoff, time.Now().UTC().Format(time.RFC3339Nano))
	// Appended: the keys before them keep their places for readers of old.
	start := ""
	if s.Supervisor.Start != 0 {
		start = strconv.FormatUint(s.Supervisor.Start, 10)
	}
	fmt.Fprintf(&b, "supervisor_pid=%d\nsupervisor_start=%s\n", s.Supervisor.PID, start)
	f, err := fdio.CreateAtomic(path, 0o644)
	if err != nil {
		return err
	}
	if owner != nil {
		if err := f.Chown(int(owner.UID), int(owner.GID)); err != nil {
			f.Abort()
			return err
		}
	}
	return f.Commit([]byte(b.String()))
}
