package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/gdetach/gdetach/cmd/internal/cli"
	"github.com/gdetach/gdetach/respawn"
	"github.com/spf13/pflag"
)

// checkStatusMode rejects what --status and --json cannot go with: a
// COMMAND, any option of a supervision.
func checkStatusMode(fs *pflag.FlagSet, argv []string) error {
	if !fs.Changed("status") {
		return cli.Usagef("--json goes with --status")
	}
	if len(argv) > 0 {
		return cli.Usagef("--status takes no COMMAND")
	}
	var other string
	fs.Visit(func(f *pflag.Flag) {
		if other == "" && f.Name != "status" && f.Name != "json" {
			other = f.Name
		}
	})
	if other != "" {
		return cli.Usagef("--%s cannot be used with --status", other)
	}
	return nil
}

// queryStatus answers grespawn --status FILE: one line on stdout (or, with
// asJSON, one JSON object), and the verdict as the exit status. A status
// that cannot be told is an error too, "FILE: why", with status 4.
func queryStatus(path string, asJSON bool, stdout io.Writer) error {
	r := respawn.Query(path)
	if asJSON {
		b, err := json.Marshal(statusObject(path, r))
		if err != nil {
			return err // cannot happen: the object has only strings, numbers and booleans
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else if r.Verdict != respawn.Unknown {
		fmt.Fprintln(stdout, statusLine(path, r))
	}
	if r.Verdict == respawn.Unknown {
		return &unknownStatus{path: path, err: r.Err}
	}
	return cli.ExitStatus(r.Verdict)
}

// An unknownStatus is a status file that cannot be read or makes no sense.
type unknownStatus struct {
	path string
	err  error
}

func (e *unknownStatus) Error() string   { return e.path + ": " + e.err.Error() }
func (e *unknownStatus) Unwrap() error   { return e.err }
func (e *unknownStatus) ExitStatus() int { return int(respawn.Unknown) }

// statusLine is the one line --status prints: "running pid 4242 run 3 up
// 2h3m", "backoff after run 3, next in 1.2s, last exit 1", "dead: grespawn
// (pid 77) is gone; it said running pid 4242 run 3".
func statusLine(path string, r respawn.Report) string {
	switch {
	case r.Verdict == respawn.NotRunning && r.Err != nil:
		return "not running: " + path + " does not exist"
	case r.On() && !r.SupervisorAlive:
		return fmt.Sprintf("dead: grespawn (pid %d) is gone; it said %s", r.Supervisor.PID, said(r))
	}
	line := said(r)
	switch r.State {
	case "running", "stopping":
		line += " up " + roughly(r.Uptime)
	case "backoff":
		line = fmt.Sprintf("backoff after run %d, next in %s%s", r.Runs, soon(r.NextRun), lastEnd(r, ", "))
	}
	return line
}

// said is what the file says, without the times that only a supervision
// going on makes true.
func said(r respawn.Report) string {
	switch r.State {
	case "starting", "running", "stopping":
		if r.PID == 0 {
			return fmt.Sprintf("%s run %d", r.State, r.Runs)
		}
		return fmt.Sprintf("%s pid %d run %d", r.State, r.PID, r.Runs)
	case "backoff":
		return fmt.Sprintf("backoff after run %d%s", r.Runs, lastEnd(r, ", "))
	}
	// stopped, gave-up
	runs := "runs"
	if r.Runs == 1 {
		runs = "run"
	}
	return fmt.Sprintf("%s after %d %s%s", r.State, r.Runs, runs, lastEnd(r, ", "))
}

// lastEnd says how the last run ended, after sep: "last exit 1", "last
// signal SIGKILL", "last status unknown"; "" before the first end.
func lastEnd(r respawn.Report, sep string) string {
	switch r.LastStatus {
	case "":
		return ""
	case "unknown":
		return sep + "last status unknown"
	}
	return sep + "last " + r.LastStatus
}

// roughly writes an uptime as a person reads it: 42s, 5m3s, 2h3m.
func roughly(d time.Duration) string {
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case d < time.Minute:
		return strconv.Itoa(s) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", m, s)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// soon writes what is left of a backoff delay: 1.2s, 300ms, or as roughly
// does past a minute.
func soon(d time.Duration) string {
	if d >= time.Minute {
		return roughly(d)
	}
	return d.Round(100 * time.Millisecond).String()
}

// A statusJSON is what --status --json prints. Its keys are part of the
// interface, documented in grespawn(1): never renamed.
type statusJSON struct {
	Status int    `json:"status"` // the exit status
	State  string `json:"state"`  // the file's; not-running without a file, unknown
	Error  string `json:"error,omitempty"`

	// What the file says, when it could be read.
	*fileJSON
}

type fileJSON struct {
	PID             int      `json:"pid"`
	Runs            int      `json:"runs"`
	UptimeSeconds   *float64 `json:"uptime_seconds"` // null when none runs
	LastStatus      *string  `json:"last_status"`    // null before the first end
	BackoffSeconds  float64  `json:"backoff_seconds"`
	SupervisorPID   int      `json:"supervisor_pid"` // 0 in an older grespawn's file
	SupervisorAlive bool     `json:"supervisor_alive"`
	UpdatedAt       string   `json:"updated_at"`
}

// statusObject is the JSON object for r.
func statusObject(path string, r respawn.Report) statusJSON {
	o := statusJSON{Status: int(r.Verdict), State: r.State}
	switch {
	case r.Verdict == respawn.NotRunning && r.Err != nil:
		o.State, o.Error = "not-running", path+" does not exist"
		return o
	case r.State == "":
		o.State, o.Error = "unknown", (&unknownStatus{path: path, err: r.Err}).Error()
		return o
	case r.Err != nil: // read, but not to be told: an older grespawn's
		o.Error = (&unknownStatus{path: path, err: r.Err}).Error()
	}
	f := &fileJSON{PID: r.PID, Runs: r.Runs, BackoffSeconds: seconds(r.Backoff), SupervisorPID: r.Supervisor.PID,
		SupervisorAlive: r.SupervisorAlive, UpdatedAt: r.UpdatedAt.UTC().Format(time.RFC3339Nano)}
	if r.SupervisorAlive && r.On() && !r.Started.IsZero() {
		up := seconds(r.Uptime)
		f.UptimeSeconds = &up
	}
	if r.LastStatus != "" {
		f.LastStatus = &r.LastStatus
	}
	o.fileJSON = f
	return o
}

// seconds is d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }
