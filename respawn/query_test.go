//go:build linux

package respawn

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

func init() { testutil.RegisterHelper("park", func([]string) int { testutil.Park(); return 0 }) }

// identityOf is the identity of a live process, failing the test if it has none.
func identityOf(t *testing.T, pid int) process.Identity {
	t.Helper()
	id, err := process.Identify(pid)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// goneIdentity is the identity of a process that ran and has exited, and
// been reaped: a grespawn killed by SIGKILL.
func goneIdentity(t *testing.T) process.Identity {
	t.Helper()
	cmd := testutil.HelperCommand(t, "park")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	id := identityOf(t, cmd.Process.Pid)
	cmd.Process.Kill()
	cmd.Wait()
	return id
}

// writeSnapshot writes a status file as grespawn does, and returns its path.
func writeSnapshot(t *testing.T, s snapshot) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "status")
	if err := s.write(path, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeStatusText writes text as a status file, and returns its path.
func writeStatusText(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// What the status file says comes back as written, with the time the run
// has lasted and the time left of a backoff.
func TestQueryReadsWhatWasWritten(t *testing.T) {
	started := time.Now().Add(-2*time.Hour - 3*time.Minute).Round(0)
	me := identityOf(t, os.Getpid())
	path := writeSnapshot(t, snapshot{State: "running", PID: 4242, Runs: 3, LastStatus: "signal SIGKILL", Started: started, Supervisor: me})
	now := time.Now()
	r := query(path, now)
	if r.Err != nil || r.Verdict != Running {
		t.Fatalf("query = %v, %v; want Running", r.Verdict, r.Err)
	}
	if r.State != "running" || r.PID != 4242 || r.Runs != 3 || r.LastStatus != "signal SIGKILL" || !r.Started.Equal(started) ||
		r.Supervisor != me || !r.SupervisorAlive || r.Backoff != 0 || r.UpdatedAt.After(now) || now.Sub(r.UpdatedAt) > time.Minute {
		t.Errorf("query = %+v", r)
	}
	if r.Uptime != now.Sub(started) {
		t.Errorf("uptime %v, want %v", r.Uptime, now.Sub(started))
	}

	// A backoff of 2s written 500ms ago has 1.5s left.
	path = writeStatusText(t, "state=backoff\npid=0\nruns=3\nlast_status=exit 1\nstarted=\nstarted_at=\nbackoff=2s\n"+
		"updated_at=2026-11-21T12:00:00Z\nsupervisor_pid="+strconv.Itoa(me.PID)+"\nsupervisor_start="+strconv.FormatUint(me.Start, 10)+"\n")
	r = query(path, time.Date(2026, 11, 21, 12, 0, 0, 5e8, time.UTC))
	if r.Verdict != NotRunning || r.Err != nil || r.Backoff != 2*time.Second || r.NextRun != 1500*time.Millisecond || r.Uptime != 0 {
		t.Errorf("query of a backoff = %+v; want NotRunning, 2s, 1.5s left", r)
	}
	// Long past: nothing left; before it was written (the clock moved back): the whole delay.
	if r := query(path, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)); r.NextRun != 0 {
		t.Errorf("next run in %v once the delay is over", r.NextRun)
	}
	if r := query(path, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)); r.NextRun != 2*time.Second {
		t.Errorf("next run in %v with the clock behind the file's time", r.NextRun)
	}
}

// Each state gives its LSB code, by whether the grespawn that wrote it still
// runs: a supervision said to go on whose grespawn has died is dead (1), a
// stopped one is not running (3) and one that gave up is dead (1) whoever
// looks; the control is the same file under a grespawn that runs.
func TestQueryVerdicts(t *testing.T) {
	alive := identityOf(t, os.Getpid())
	gone := goneIdentity(t)
	reused := process.Identity{PID: alive.PID, Start: alive.Start + 1} // its PID taken by this test process since
	for _, c := range []struct {
		state               string
		pid                 int
		alive, gone, reused Verdict
	}{
		{"starting", 0, NotRunning, Dead, Dead},
		{"running", 4242, Running, Dead, Dead},
		{"backoff", 0, NotRunning, Dead, Dead},
		{"stopping", 4242, Running, Dead, Dead},
		{"stopped", 0, NotRunning, NotRunning, NotRunning},
		{"gave-up", 0, Dead, Dead, Dead},
	} {
		t.Run(c.state, func(t *testing.T) {
			for _, w := range []struct {
				name   string
				id     process.Identity
				want   Verdict
				isLive bool
			}{{"writer alive", alive, c.alive, true}, {"writer gone", gone, c.gone, false}, {"writer's PID reused", reused, c.reused, false}} {
				r := Query(writeSnapshot(t, snapshot{State: c.state, PID: c.pid, Runs: 5, LastStatus: "exit 1", Supervisor: w.id}))
				if r.Verdict != w.want || r.Err != nil || r.SupervisorAlive != w.isLive {
					t.Errorf("%s: verdict %d, alive %v, %v; want %d, alive %v", w.name, r.Verdict, r.SupervisorAlive, r.Err, w.want, w.isLive)
				}
				if !w.isLive && (r.Uptime != 0 || r.NextRun != 0) {
					t.Errorf("%s: uptime %v, next run in %v: times of a supervision that is over", w.name, r.Uptime, r.NextRun)
				}
			}
		})
	}
}

// A file without supervisor_pid, from a grespawn before issue 16, cannot say
// whether its supervision goes on: unknown, and it says why. A supervision
// over needs no grespawn to be told.
func TestQueryOlderFile(t *testing.T) {
	const old = "pid=4242\nruns=3\nlast_status=\nstarted=1795262401\nstarted_at=2026-11-21T12:00:01.234Z\nbackoff=0s\nupdated_at=2026-11-21T12:00:01.3Z\n"
	r := Query(writeStatusText(t, "state=running\n"+old))
	if r.Verdict != Unknown || r.Err == nil || !strings.Contains(r.Err.Error(), "older grespawn, without supervisor_pid") {
		t.Errorf("an older file saying running: %d, %v; want Unknown, saying it is older", r.Verdict, r.Err)
	}
	if r := Query(writeStatusText(t, "state=stopped\n"+strings.Replace(old, "pid=4242", "pid=0", 1))); r.Verdict != NotRunning || r.Err != nil {
		t.Errorf("an older file saying stopped: %d, %v; want NotRunning", r.Verdict, r.Err)
	}
}

// Keys a later grespawn may add are ignored.
func TestQueryIgnoresUnknownKeys(t *testing.T) {
	me := identityOf(t, os.Getpid())
	path := writeSnapshot(t, snapshot{State: "running", PID: 4242, Runs: 1, Started: time.Now(), Supervisor: me})
	b, _ := os.ReadFile(path)
	path = writeStatusText(t, string(b)+"restart_signal=SIGUSR2\n")
	if r := Query(path); r.Verdict != Running || r.Err != nil {
		t.Errorf("query = %d, %v; want Running", r.Verdict, r.Err)
	}
}

// What grespawn never writes is unknown (4), with the reason; nothing makes
// the query fail otherwise, or hang.
func TestQueryGarbage(t *testing.T) {
	me := identityOf(t, os.Getpid())
	var good strings.Builder
	good.WriteString("state=running\npid=4242\nruns=3\nlast_status=exit 1\nstarted=1795262401\nstarted_at=2026-11-21T12:00:01.234Z\n")
	good.WriteString("backoff=0s\nupdated_at=2026-11-21T12:00:01.3Z\nsupervisor_pid=" + strconv.Itoa(me.PID) + "\nsupervisor_start=" + strconv.FormatUint(me.Start, 10) + "\n")
	if r := Query(writeStatusText(t, good.String())); r.Verdict != Running || r.Err != nil {
		t.Fatalf("the control, a good file: %d, %v", r.Verdict, r.Err)
	}
	replace := func(old, new string) string {
		if !strings.Contains(good.String(), old) {
			t.Fatalf("no %q in the good file", old)
		}
		return strings.Replace(good.String(), old, new, 1)
	}
	for _, c := range []struct{ name, text, why string }{
		{"empty", "", "it is empty"},
		{"text", "hello\n", "line 1 has no '='"},
		{"binary", "\x00\x01\x02=\n", `"\x00\x01\x02" is no key`},
		{"a key twice", good.String() + "state=running\n", "line 11: state a second time"},
		{"no state", replace("state=running\n", ""), "no state"},
		{"an unknown state", replace("state=running", "state=sleeping"), `state "sleeping" is none of grespawn's`},
		{"running without a pid", replace("pid=4242", "pid=0"), "state running without a pid"},
		{"a negative pid", replace("pid=4242", "pid=-1"), `pid "-1" is not a number`},
		{"a pid with a sign", replace("pid=4242", "pid=+4242"), `pid "+4242" is not a number`},
		{"runs not a number", replace("runs=3", "runs=three"), `runs "three" is not a number`},
		{"an odd last status", replace("last_status=exit 1", "last_status=exit 300"), `last_status "exit 300"`},
		{"started without started_at", replace("started_at=2026-11-21T12:00:01.234Z", "started_at="), "one without the other"},
		{"started_at not a time", replace("started_at=2026-11-21T12:00:01.234Z", "started_at=yesterday"), `started_at "yesterday" is not an RFC 3339 time`},
		{"backoff not a duration", replace("backoff=0s", "backoff=soon"), `backoff "soon" is not a duration`},
		{"a negative backoff", replace("backoff=0s", "backoff=-1s"), `backoff "-1s" is not a duration`},
		{"updated_at not a time", replace("updated_at=2026-11-21T12:00:01.3Z", "updated_at=now"), `updated_at "now" is not an RFC 3339 time`},
		{"supervisor_pid 0", replace("supervisor_pid="+strconv.Itoa(me.PID), "supervisor_pid=0"), "supervisor_pid 0"},
		{"supervisor_start not ticks", replace("supervisor_start="+strconv.FormatUint(me.Start, 10), "supervisor_start=x"), `supervisor_start "x" is not a number of clock ticks`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Query(writeStatusText(t, c.text))
			if r.Verdict != Unknown || !errors.Is(r.Err, errNotStatus) || !strings.HasSuffix(r.Err.Error(), c.why) {
				t.Errorf("verdict %d, %v; want Unknown: not a status file: %s", r.Verdict, r.Err, c.why)
			}
		})
	}
}

// What is not a regular file is refused without being read, and a FIFO
// without blocking (no writer would ever come); a file larger than 64 KiB
// is refused rather than read without bound; no file is not running.
func TestQueryWhatIsNoFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	huge := writeStatusText(t, "state=running\n"+strings.Repeat("x=y\n", maxStatusSize/4))
	unreadable := writeStatusText(t, "state=running\n")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		want       Verdict
		why        string
	}{
		{"FIFO", fifo, Unknown, "a FIFO, not a regular file"},
		{"directory", dir, Unknown, "a directory, not a regular file"},
		{"device", os.DevNull, Unknown, "a device, not a regular file"},
		{"huge", huge, Unknown, "larger than 65536 bytes: not a status file"},
		{"unreadable", unreadable, Unknown, "permission denied"},
		{"missing", filepath.Join(dir, "none"), NotRunning, "no such file or directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "unreadable" && os.Geteuid() == 0 {
				t.Skip("root reads a file of mode 0")
			}
			done := make(chan Report, 1)
			go func() { done <- Query(c.path) }()
			var r Report
			select {
			case r = <-done:
			case <-time.After(time.Until(testutil.Deadline(t))):
				t.Fatal("the query blocked")
			}
			if r.Verdict != c.want || r.Err == nil || r.Err.Error() != c.why {
				t.Errorf("verdict %d, %v; want %d, %q", r.Verdict, r.Err, c.want, c.why)
			}
			if c.want == NotRunning && !errors.Is(r.Err, fs.ErrNotExist) {
				t.Errorf("%v is not fs.ErrNotExist", r.Err)
			}
		})
	}
}
