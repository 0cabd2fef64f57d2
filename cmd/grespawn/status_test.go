package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/respawn"
)

// The one line of --status, for each state, by whether its grespawn runs.
func TestStatusLine(t *testing.T) {
	grespawn := process.Identity{PID: 77, Start: 1234}
	for _, c := range []struct {
		r    respawn.Report
		want string
	}{
		{respawn.Report{Verdict: respawn.Running, State: "running", PID: 4242, Runs: 3, Uptime: 2*time.Hour + 3*time.Minute + 4*time.Second, Supervisor: grespawn, SupervisorAlive: true},
			"running pid 4242 run 3 up 2h3m"},
		{respawn.Report{Verdict: respawn.Running, State: "stopping", PID: 4242, Runs: 1, Uptime: 59900 * time.Millisecond, Supervisor: grespawn, SupervisorAlive: true},
			"stopping pid 4242 run 1 up 59s"},
		{respawn.Report{Verdict: respawn.NotRunning, State: "backoff", Runs: 3, LastStatus: "exit 1", NextRun: 1234 * time.Millisecond, Supervisor: grespawn, SupervisorAlive: true},
			"backoff after run 3, next in 1.2s, last exit 1"},
		{respawn.Report{Verdict: respawn.NotRunning, State: "backoff", Runs: 9, LastStatus: "signal SIGSEGV", NextRun: 61 * time.Second, Supervisor: grespawn, SupervisorAlive: true},
			"backoff after run 9, next in 1m1s, last signal SIGSEGV"},
		{respawn.Report{Verdict: respawn.NotRunning, State: "starting", PID: 50, Runs: 2, LastStatus: "unknown", Supervisor: grespawn, SupervisorAlive: true},
			"starting pid 50 run 2"},
		{respawn.Report{Verdict: respawn.NotRunning, State: "stopped", Runs: 5, LastStatus: "exit 0", Supervisor: grespawn},
			"stopped after 5 runs, last exit 0"},
		{respawn.Report{Verdict: respawn.Dead, State: "gave-up", Runs: 1, LastStatus: "signal SIGKILL", Supervisor: grespawn},
			"gave-up after 1 run, last signal SIGKILL"},
		{respawn.Report{Verdict: respawn.Dead, State: "gave-up", Runs: 5, LastStatus: "unknown", Supervisor: grespawn},
			"gave-up after 5 runs, last status unknown"},
		{respawn.Report{Verdict: respawn.Dead, State: "running", PID: 4242, Runs: 3, Supervisor: grespawn},
			"dead: grespawn (pid 77) is gone; it said running pid 4242 run 3"},
		{respawn.Report{Verdict: respawn.Dead, State: "backoff", Runs: 3, LastStatus: "exit 1", Backoff: time.Second, Supervisor: grespawn},
			"dead: grespawn (pid 77) is gone; it said backoff after run 3, last exit 1"},
		{respawn.Report{Verdict: respawn.NotRunning, Err: fs.ErrNotExist},
			"not running: /run/app.status does not exist"},
	} {
		if got := statusLine("/run/app.status", c.r); got != c.want {
			t.Errorf("statusLine(%+v) = %q, want %q", c.r, got, c.want)
		}
	}
}

// Uptimes as people read them: seconds under a minute, then minutes and
// seconds, then hours and minutes.
func TestRoughly(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 999 * time.Millisecond: "0s", 42 * time.Second: "42s", time.Minute: "1m0s", 5*time.Minute + 3*time.Second: "5m3s",
		time.Hour: "1h0m", 2*time.Hour + 3*time.Minute + 59*time.Second: "2h3m", 50 * time.Hour: "50h0m",
	} {
		if got := roughly(d); got != want {
			t.Errorf("roughly(%v) = %q, want %q", d, got, want)
		}
	}
}

// --json: the documented keys, null for what is not there, and the status
// and an error for no file or one that cannot be read.
func TestStatusObject(t *testing.T) {
	updated := time.Date(2026, 11, 21, 12, 0, 1, 3e8, time.UTC)
	for _, c := range []struct {
		r    respawn.Report
		want string
	}{
		{respawn.Report{Verdict: respawn.Running, State: "running", PID: 4242, Runs: 3, Started: updated, Uptime: 7380123456 * time.Microsecond,
			Supervisor: process.Identity{PID: 77, Start: 1}, SupervisorAlive: true, UpdatedAt: updated},
			`{"status":0,"state":"running","pid":4242,"runs":3,"uptime_seconds":7380.123,"last_status":null,"backoff_seconds":0,"supervisor_pid":77,"supervisor_alive":true,"updated_at":"2026-11-21T12:00:01.3Z"}`},
		{respawn.Report{Verdict: respawn.Dead, State: "backoff", Runs: 3, LastStatus: "exit 1", Backoff: 1200 * time.Millisecond,
			Supervisor: process.Identity{PID: 77, Start: 1}, UpdatedAt: updated},
			`{"status":1,"state":"backoff","pid":0,"runs":3,"uptime_seconds":null,"last_status":"exit 1","backoff_seconds":1.2,"supervisor_pid":77,"supervisor_alive":false,"updated_at":"2026-11-21T12:00:01.3Z"}`},
		{respawn.Report{Verdict: respawn.NotRunning, Err: fs.ErrNotExist},
			`{"status":3,"state":"not-running","error":"/run/app.status does not exist"}`},
		{respawn.Report{Verdict: respawn.Unknown, Err: errors.New("a FIFO, not a regular file")},
			`{"status":4,"state":"unknown","error":"/run/app.status: a FIFO, not a regular file"}`},
		{respawn.Report{Verdict: respawn.Unknown, State: "running", PID: 4242, Runs: 1, Err: errors.New("written by an older grespawn"), UpdatedAt: updated},
			`{"status":4,"state":"running","error":"/run/app.status: written by an older grespawn","pid":4242,"runs":1,"uptime_seconds":null,"last_status":null,"backoff_seconds":0,"supervisor_pid":0,"supervisor_alive":false,"updated_at":"2026-11-21T12:00:01.3Z"}`},
	} {
		b, err := json.Marshal(statusObject("/run/app.status", c.r))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("JSON:\n%s\nwant:\n%s", b, c.want)
		}
		if strings.Contains(string(b), "\n") {
			t.Errorf("JSON on more than one line: %s", b)
		}
	}
}
