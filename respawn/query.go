package respawn

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gdetach/gdetach/fdio"
	"github.com/gdetach/gdetach/process"
)

// maxStatusSize is the largest status file Query reads: grespawn writes a
// few hundred bytes, and a health check must never read without bound.
const maxStatusSize = 64 << 10

// A Verdict is the answer to a status query, numbered as the exit codes of
// the LSB init-script "status" action.
type Verdict int

const (
	// Running: the command runs, or is being stopped, under a supervisor
	// that runs.
	Running Verdict = 0
	// Dead: the supervision gave up, or its supervisor has died while the
	// file says the supervision goes on.
	Dead Verdict = 1
	// NotRunning: the supervision stopped; or the command is between two
	// runs (starting, backoff) under a supervisor that runs; or there is no
	// status file.
	NotRunning Verdict = 3
	// Unknown: the file cannot be read or makes no sense, or whether its
	// supervisor runs cannot be told.
	Unknown Verdict = 4
)

// A Report is what a status file says, checked against the processes that
// run (Query).
type Report struct {
	Verdict Verdict
	// Err says why for Unknown; for NotRunning without a status file it is
	// an error that errors.Is(err, fs.ErrNotExist). It does not name the
	// file. Nil otherwise.
	Err error

	// What the file says, when it could be read.
	State      string        // starting, running, backoff, stopping, stopped or gave-up
	PID        int           // the run's process (with Pidfile, the launcher, then the daemon); 0 when none runs
	Runs       int           // runs started so far: in a run, its number
	LastStatus string        // how the last run ended: "exit 3", "signal SIGKILL", "unknown"; "" before the first end
	Started    time.Time     // when PID started; zero when none runs
	Backoff    time.Duration // in backoff, the delay being waited out
	UpdatedAt  time.Time     // when the file was written

	// Supervisor is the grespawn that wrote the file, and SupervisorAlive
	// whether it still runs (Identity.Alive).
	Supervisor      process.Identity
	SupervisorAlive bool

	// Uptime is how long PID had run when Query looked, and NextRun how
	// long was left of the backoff delay then; 0 when none runs or no delay
	// is waited out under a supervisor that runs.
	Uptime, NextRun time.Duration
}

// On reports whether the state says that the supervision goes on (starting,
// running, backoff, stopping): true only while its supervisor runs.
func (r Report) On() bool {
	switch r.State {
	case "starting", "running", "backoff", "stopping":
		return true
	}
	return false
}

// Query reads the status file at path (Supervisor.StatusFile), checks that
// it is one, and checks whether its supervisor still runs: a file that says
// the supervision goes on while the grespawn that wrote it has died (killed
// by SIGKILL, or by a crash of the machine's) is Dead, not Running. It must
// be made in the supervisor's PID namespace (a container's, for a file
// written in one). The file is read under a policy: a regular file (a FIFO,
// a device, a directory or a symbolic link is refused, without blocking), of
// at most 64 KiB. Keys it does not know are ignored, so that a later
// grespawn may add some.
func Query(path string) Report {
	return query(path, time.Now())
}

func query(path string, now time.Time) Report {
	b, err := fdio.ReadRegular(path, maxStatusSize)
	if errors.Is(err, fs.ErrNotExist) {
		return Report{Verdict: NotRunning, Err: readError(err)}
	}
	if err != nil {
		return Report{Verdict: Unknown, Err: readError(err)}
	}
	r, err := parseStatus(b)
	if err != nil {
		return Report{Verdict: Unknown, Err: err}
	}
	if r.Supervisor.PID != 0 {
		r.SupervisorAlive, err = r.Supervisor.Alive()
	}
	if r.SupervisorAlive && r.On() {
		// Otherwise the times are those of a supervision that is over.
		if !r.Started.IsZero() {
			r.Uptime = max(now.Sub(r.Started), 0)
		}
		if r.State == "backoff" {
			r.NextRun = min(max(r.Backoff-now.Sub(r.UpdatedAt), 0), r.Backoff)
		}
	}
	switch {
	case r.State == "gave-up":
		r.Verdict = Dead
	case r.State == "stopped":
		r.Verdict = NotRunning
	case r.Supervisor.PID == 0:
		r.Verdict, r.Err = Unknown, errors.New("written by an older grespawn, without supervisor_pid: whether that grespawn still runs cannot be told")
	case err != nil:
		r.Verdict, r.Err = Unknown, fmt.Errorf("grespawn (pid %d): %w", r.Supervisor.PID, err)
	case !r.SupervisorAlive:
		r.Verdict = Dead
	case r.State == "running" || r.State == "stopping":
		r.Verdict = Running
	default: // starting, backoff: the command does not run at this moment
		r.Verdict = NotRunning
	}
	return r
}

// readError words a refusal of fdio.ReadRegular without the path, which
// the caller names.
func readError(err error) error {
	var tooLarge *fdio.TooLargeError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("%w: not a status file", tooLarge)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// errNotStatus is the cause of every parse error: the file was not written
// by grespawn, or not as a status file.
var errNotStatus = errors.New("not a status file")

func notStatus(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotStatus, fmt.Sprintf(format, args...))
}

// statusKeys are the keys every status file has, in the order written.
var statusKeys = []string{"state", "pid", "runs", "last_status", "started", "started_at", "backoff", "updated_at"}

// parseStatus reads the key=value lines of a status file (snapshot.write)
// into a Report, checking each value.
func parseStatus(b []byte) (Report, error) {
	if len(b) == 0 {
		return Report{}, notStatus("it is empty")
	}
	kv := map[string]string{}
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		key, value, ok := strings.Cut(line, "=")
		switch {
		case !ok:
			return Report{}, notStatus("line %d has no '='", i+1)
		case !isStatusKey(key):
			return Report{}, notStatus("line %d: %q is no key", i+1, key)
		}
		if _, dup := kv[key]; dup {
			return Report{}, notStatus("line %d: %s a second time", i+1, key)
		}
		kv[key] = value
	}
	for _, key := range statusKeys {
		if _, ok := kv[key]; !ok {
			return Report{}, notStatus("no %s", key)
		}
	}
	var r Report
	var err error
	r.State = kv["state"]
	switch r.State {
	case "starting", "running", "backoff", "stopping", "stopped", "gave-up":
	default:
		return Report{}, notStatus("state %q is none of grespawn's", r.State)
	}
	if r.PID, err = statusNumber(kv, "pid"); err != nil {
		return Report{}, err
	}
	if (r.State == "running" || r.State == "stopping") && r.PID == 0 {
		return Report{}, notStatus("state %s without a pid", r.State)
	}
	if r.Runs, err = statusNumber(kv, "runs"); err != nil {
		return Report{}, err
	}
	r.LastStatus = kv["last_status"]
	if !validLastStatus(r.LastStatus) {
		return Report{}, notStatus("last_status %q", r.LastStatus)
	}
	switch started, at := kv["started"], kv["started_at"]; {
	case started == "" && at == "":
	case started == "" || at == "":
		return Report{}, notStatus("started %q and started_at %q: one without the other", started, at)
	default:
		if _, err := strconv.ParseInt(started, 10, 64); err != nil {
			return Report{}, notStatus("started %q is not a time in seconds", started)
		}
		if r.Started, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return Report{}, notStatus("started_at %q is not an RFC 3339 time", at)
		}
	}
	if r.Backoff, err = time.ParseDuration(kv["backoff"]); err != nil || r.Backoff < 0 {
		return Report{}, notStatus("backoff %q is not a duration", kv["backoff"])
	}
	if r.UpdatedAt, err = time.Parse(time.RFC3339Nano, kv["updated_at"]); err != nil {
		return Report{}, notStatus("updated_at %q is not an RFC 3339 time", kv["updated_at"])
	}
	// Added later (issue 16): a file without them is an older grespawn's.
	if _, ok := kv["supervisor_pid"]; !ok {
		return r, nil
	}
	if r.Supervisor.PID, err = statusNumber(kv, "supervisor_pid"); err != nil {
		return Report{}, err
	}
	if r.Supervisor.PID == 0 {
		return Report{}, notStatus("supervisor_pid 0")
	}
	if start := kv["supervisor_start"]; start != "" {
		if r.Supervisor.Start, err = strconv.ParseUint(start, 10, 64); err != nil {
			return Report{}, notStatus("supervisor_start %q is not a number of clock ticks", start)
		}
	}
	return r, nil
}

// isStatusKey reports whether k is made of the letters and underscores that
// grespawn's keys are.
func isStatusKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if c != '_' && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// statusNumber reads a key's value, a PID or a count, from 0 up.
func statusNumber(kv map[string]string, key string) (int, error) {
	n, err := strconv.Atoi(kv[key])
	if err != nil || n < 0 || strconv.Itoa(n) != kv[key] {
		return 0, notStatus("%s %q is not a number", key, kv[key])
	}
	return n, nil
}

// validLastStatus reports whether s is a last_status as runEnd.statusText
// writes it.
func validLastStatus(s string) bool {
	if s == "" || s == "unknown" {
		return true
	}
	if code, ok := strings.CutPrefix(s, "exit "); ok {
		n, err := strconv.Atoi(code)
		return err == nil && n >= 0 && n <= 255 && strconv.Itoa(n) == code
	}
	name, ok := strings.CutPrefix(s, "signal ")
	return ok && name != ""
}
