//go:build linux

package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/process"
	"golang.org/x/sys/unix"
)

// The tests of grespawn --status FILE (issue 16): a real grespawn writes the
// status file, and another grespawn answers from it. Each waits for the
// file to say what it is about before it asks.

// statusKeys are the keys of --status --json for a status file that could
// be read, as grespawn(1) documents them.
var statusKeys = []string{"status", "state", "pid", "runs", "uptime_seconds", "last_status", "backoff_seconds", "supervisor_pid", "supervisor_alive", "updated_at"}

// askStatus runs grespawn --status path, and checks that it printed one
// line and nothing on standard error; it returns the status and the line.
func askStatus(t *testing.T, dir, path string) (int, string) {
	t.Helper()
	r := runWith(t, dir, runOptions{}, "grespawn", "--status", path)
	if r.stderr != "" || strings.Count(r.stdout, "\n") != 1 || !strings.HasSuffix(r.stdout, "\n") {
		t.Errorf("grespawn --status: stdout %q, stderr %q; want one line and nothing on stderr", r.stdout, r.stderr)
	}
	return r.status, strings.TrimSuffix(r.stdout, "\n")
}

// askStatusJSON runs grespawn --status path --json, and returns the status
// and the object it printed, parsed; the object's status must be the exit
// status.
func askStatusJSON(t *testing.T, dir, path string) (int, map[string]any) {
	t.Helper()
	r := runWith(t, dir, runOptions{}, "grespawn", "--status", path, "--json")
	var obj map[string]any
	if strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("grespawn --status --json printed %q, want one line", r.stdout)
	}
	if err := json.Unmarshal([]byte(r.stdout), &obj); err != nil {
		t.Fatalf("grespawn --status --json printed %q: %v", r.stdout, err)
	}
	if got, ok := obj["status"].(float64); !ok || int(got) != r.status {
		t.Errorf("JSON status %v, exit status %d", obj["status"], r.status)
	}
	return r.status, obj
}

// checkKeys checks that obj has the documented keys of a status file that
// could be read, and no others.
func checkKeys(t *testing.T, obj map[string]any) {
	t.Helper()
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := slices.Sorted(slices.Values(statusKeys))
	if !slices.Equal(keys, want) {
		t.Errorf("JSON keys %v, want %v", keys, want)
	}
}

// waitStatusFile waits until the status file begins with prefix, while
// grespawn runs.
func (g *grespawnRun) waitStatusFile(path, prefix string) {
	g.t.Helper()
	g.waitFor("the status file to begin "+strconv.Quote(prefix), func() bool { return strings.HasPrefix(readFile(g.t, path), prefix) })
}

// While COMMAND runs: 0, the line with its PID and run, the JSON object
// with the same, and the file names grespawn as its writer by PID and
// start time.
func TestGrespawnStatusRunning(t *testing.T) {
	dir := tempDir(t)
	status := filepath.Join(dir, "status")
	g := startGrespawn(t, dir, append([]string{"--status-file", status}, helperArgs("sleep", dir)...)...)
	pid := g.ready()
	g.waitStatusFile(status, fmt.Sprintf("state=running\npid=%d\nruns=1\n", pid))

	self, err := process.Identify(g.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("\nsupervisor_pid=%d\nsupervisor_start=%d\n", self.PID, self.Start); !strings.HasSuffix(readFile(t, status), want) {
		t.Errorf("status file:\n%s\nwant it to end %q", readFile(t, status), want)
	}

	code, line := askStatus(t, dir, status)
	if re := fmt.Sprintf(`^running pid %d run 1 up \d+s$`, pid); code != 0 || !regexp.MustCompile(re).MatchString(line) {
		t.Errorf("status %d, line %q; want 0 and %q", code, line, re)
	}
	code, obj := askStatusJSON(t, dir, status)
	checkKeys(t, obj)
	up, _ := obj["uptime_seconds"].(float64)
	if code != 0 || obj["state"] != "running" || obj["pid"] != float64(pid) || obj["runs"] != 1.0 || obj["last_status"] != nil ||
		obj["supervisor_pid"] != float64(self.PID) || obj["supervisor_alive"] != true || obj["uptime_seconds"] == nil || up < 0 {
		t.Errorf("status %d, JSON %v; want 0, running pid %d run 1, a live supervisor %d", code, obj, pid, self.PID)
	}
}

// grespawn killed by SIGKILL leaves the file saying running: that is dead
// (1), not running. The control is the same file a moment before, with
// its grespawn alive: 0.
func TestGrespawnStatusDeadSupervisor(t *testing.T) {
	dir := tempDir(t)
	status := filepath.Join(dir, "status")
	g := startGrespawn(t, dir, append([]string{"--status-file", status}, helperArgs("sleep", dir)...)...)
	pid := g.ready()
	killAtCleanup(t, pid) // it outlives its grespawn
	g.waitStatusFile(status, fmt.Sprintf("state=running\npid=%d\n", pid))
	if code, line := askStatus(t, dir, status); code != 0 {
		t.Fatalf("the control, grespawn alive: status %d, line %q; want 0", code, line)
	}

	g.signal(syscall.SIGKILL)
	g.wait()
	if content := readFile(t, status); !strings.HasPrefix(content, fmt.Sprintf("state=running\npid=%d\n", pid)) {
		t.Fatalf("the status file after the SIGKILL:\n%s\nwant it still saying running: the test proves nothing", content)
	}
	code, line := askStatus(t, dir, status)
	if want := fmt.Sprintf("dead: grespawn (pid %d) is gone; it said running pid %d run 1", g.cmd.Process.Pid, pid); code != 1 || line != want {
		t.Errorf("status %d, line %q; want 1 and %q", code, line, want)
	}
	code, obj := askStatusJSON(t, dir, status)
	checkKeys(t, obj)
	if code != 1 || obj["state"] != "running" || obj["supervisor_alive"] != false || obj["uptime_seconds"] != nil {
		t.Errorf("status %d, JSON %v; want 1, running, supervisor_alive false, no uptime", code, obj)
	}
}

// In a backoff delay COMMAND does not run: 3, with the run, the time left
// and how the last run ended.
func TestGrespawnStatusBackoff(t *testing.T) {
	dir := tempDir(t)
	status := filepath.Join(dir, "status")
	g := startGrespawn(t, dir, append([]string{"--delay", "1h", "--max-delay", "0", "--status-file", status}, helperArgs("exit", "1")...)...)
	g.waitStatusFile(status, "state=backoff\npid=0\nruns=1\nlast_status=exit 1\n")
	code, line := askStatus(t, dir, status)
	if re := `^backoff after run 1, next in (59m\d+s|1h\dm), last exit 1$`; code != 3 || !regexp.MustCompile(re).MatchString(line) {
		t.Errorf("status %d, line %q; want 3 and %q", code, line, re)
	}
	code, obj := askStatusJSON(t, dir, status)
	checkKeys(t, obj)
	if b, _ := obj["backoff_seconds"].(float64); code != 3 || obj["state"] != "backoff" || obj["last_status"] != "exit 1" || b < 3600 || obj["supervisor_alive"] != true {
		t.Errorf("status %d, JSON %v; want 3, backoff of an hour or more after exit 1", code, obj)
	}
}

// After the policy gave up: 1; after a stop: 3. Either way grespawn has
// exited, as it should: the state says it all.
func TestGrespawnStatusAtTheEnd(t *testing.T) {
	t.Run("gave up", func(t *testing.T) {
		dir := tempDir(t)
		status := filepath.Join(dir, "status")
		g := startGrespawn(t, dir, append([]string{"-m", "2", "--delay", "0", "--status-file", status}, helperArgs("exit", "3")...)...)
		if st := g.wait(); st != 3 {
			t.Fatalf("grespawn: status %d, want 3", st)
		}
		if code, line := askStatus(t, dir, status); code != 1 || line != "gave-up after 2 runs, last exit 3" {
			t.Errorf("status %d, line %q; want 1 and %q", code, line, "gave-up after 2 runs, last exit 3")
		}
	})
	t.Run("stopped", func(t *testing.T) {
		dir := tempDir(t)
		status := filepath.Join(dir, "status")
		g := startGrespawn(t, dir, append([]string{"--status-file", status}, helperArgs("sleep", dir)...)...)
		pid := g.ready()
		g.waitStatusFile(status, fmt.Sprintf("state=running\npid=%d\n", pid))
		g.signal(syscall.SIGTERM)
		if st := g.wait(); st != 0 {
			t.Fatalf("grespawn: status %d, want 0 (stopped on request)", st)
		}
		if code, line := askStatus(t, dir, status); code != 3 || line != "stopped after 1 run, last signal SIGTERM" {
			t.Errorf("status %d, line %q; want 3 and %q", code, line, "stopped after 1 run, last signal SIGTERM")
		}
		code, obj := askStatusJSON(t, dir, status)
		checkKeys(t, obj)
		if code != 3 || obj["state"] != "stopped" || obj["supervisor_alive"] != false || obj["pid"] != 0.0 {
			t.Errorf("status %d, JSON %v; want 3, stopped", code, obj)
		}
	})
}

// No file is not running (3); what is not a status file is unknown (4),
// said on standard error, and a FIFO is refused without waiting for a
// writer (a hang here fails at the test's deadline).
func TestGrespawnStatusNoStatusFile(t *testing.T) {
	dir := tempDir(t)
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, stdout, stderr, json string
		status                           int
	}{
		{"missing", filepath.Join(dir, "none"), "not running: DIR/none does not exist\n", "",
			`{"status":3,"state":"not-running","error":"DIR/none does not exist"}`, 3},
		{"garbage", garbage, "", "grespawn: DIR/garbage: not a status file: line 1 has no '='\n",
			`{"status":4,"state":"unknown","error":"DIR/garbage: not a status file: line 1 has no '='"}`, 4},
		{"FIFO", fifo, "", "grespawn: DIR/fifo: a FIFO, not a regular file\n",
			`{"status":4,"state":"unknown","error":"DIR/fifo: a FIFO, not a regular file"}`, 4},
		{"directory", dir, "", "grespawn: DIR: a directory, not a regular file\n",
			`{"status":4,"state":"unknown","error":"DIR: a directory, not a regular file"}`, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			expand := func(s string) string { return strings.ReplaceAll(s, "DIR", dir) }
			r := runWith(t, dir, runOptions{}, "grespawn", "--status", c.path)
			if r.status != c.status || r.stdout != expand(c.stdout) || r.stderr != expand(c.stderr) {
				t.Errorf("status %d, stdout %q, stderr %q; want %d, %q, %q", r.status, r.stdout, r.stderr, c.status, expand(c.stdout), expand(c.stderr))
			}
			r = runWith(t, dir, runOptions{}, "grespawn", "--status", c.path, "--json")
			if r.status != c.status || r.stdout != expand(c.json)+"\n" || r.stderr != expand(c.stderr) {
				t.Errorf("--json: status %d, stdout %q, stderr %q; want %d, %q, %q", r.status, r.stdout, r.stderr, c.status, expand(c.json), expand(c.stderr))
			}
			if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
				t.Errorf("the FIFO is gone: %v", err)
			}
		})
	}
}

// A status file another user cannot read is unknown to them, with the
// reason (root reads any file, so the case runs as nobody).
func TestGrespawnStatusUnreadable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs the query as nobody, which needs root")
	}
	runCLI(t, "grespawn", []cliCase{{
		name: "--status of a file of mode 0600, as nobody",
		args: func(dir string) []string {
			path := filepath.Join(dir, "status")
			if err := os.WriteFile(path, []byte("state=stopped\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"--status", path}
		},
		asNobody: true,
		status:   4,
		stderr:   "grespawn: DIR/status: Permission denied\n",
	}})
}

// The query's command line: no COMMAND, no option of a supervision, --json
// with --status only, a FILE that is not empty.
func TestGrespawnStatusCommandLine(t *testing.T) {
	const try = "\nTry 'grespawn --help' for more information.\n"
	runCLI(t, "grespawn", []cliCase{
		{args: args("--status", "st", "true"), status: 125, stderr: "grespawn: --status takes no COMMAND" + try},
		{args: args("--status", "st", "--", "true"), status: 125, stderr: "grespawn: --status takes no COMMAND" + try},
		{args: args("--status", "st", "-m", "2"), status: 125, stderr: "grespawn: --max cannot be used with --status" + try},
		{args: args("--status-file", "st", "--status", "st"), status: 125, stderr: "grespawn: --status-file cannot be used with --status" + try},
		{args: args("--json"), status: 125, stderr: "grespawn: --json goes with --status" + try},
		{args: args("--json", "true"), status: 125, stderr: "grespawn: --json goes with --status" + try},
		{args: args("--status", ""), status: 125, stderr: "grespawn: invalid argument '' for '--status': cannot be empty" + try},
		{args: args("--status"), status: 125, stderr: "grespawn: option '--status' requires an argument" + try},
		{args: args("--stat", "st"), status: 125, stderr: "grespawn: option '--stat' is ambiguous; possibilities: '--status-file' '--status'" + try},
		// --status=FILE, and --json before it: options in any order.
		{args: args("--json", "--status=none"), status: 3, stdoutRE: `^\{"status":3,"state":"not-running","error":"none does not exist"\}` + "\n$"},
	})
}
