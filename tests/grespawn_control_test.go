//go:build linux

package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// grespawn's control for deploys and containers (issue 16): the stop
// signal, exit statuses for orchestrators, restarts on demand.

// nginxLike is a command that stops as nginx does: SIGQUIT ends it
// gracefully, with status 0. It writes its PID to DIR/pid when ready.
const nginxLike = `trap 'kill $! 2>/dev/null; exit 0' QUIT; echo $$ >pid.new && mv pid.new pid; sleep 1000 & wait`

// In a container whose STOPSIGNAL is SIGQUIT (the official nginx image's),
// docker stop sends SIGQUIT to PID 1. With --stop-signal QUIT, grespawn as
// PID 1 takes it for a stop: nginx ends gracefully, grespawn exits 0 and
// the container stops. The control, without it: grespawn passes SIGQUIT
// on, nginx exits 0, and grespawn starts it again, so the container would
// stop only at docker's SIGKILL (issue 16, measured).
func TestGrespawnStopSignalInContainer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a PID namespace (unshare --pid) needs root")
	}
	if out, err := exec.Command("unshare", "--pid", "--fork", "true").CombinedOutput(); err != nil {
		t.Skipf("no PID namespace here: unshare: %v: %s", err, out)
	}
	for _, c := range []struct {
		name string
		opts []string
	}{
		{"control: QUIT passed on", nil},
		{"--stop-signal QUIT", []string{"--stop-signal", "QUIT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			argv := append(append([]string{"unshare", "--pid", "--fork", "--", "grespawn", "--delay", "0"}, c.opts...), "--", "sh", "-c", nginxLike)
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Dir = dir
			stderr, err := os.Create(filepath.Join(dir, "grespawn.err"))
			if err != nil {
				t.Fatal(err)
			}
			defer stderr.Close()
			cmd.Stderr = stderr
			exited, pid1 := startPID1(t, cmd)
			g := &grespawnRun{t: t, cmd: cmd, proc: pid1, dir: dir, exited: exited}
			first := g.ready()
			os.Remove(filepath.Join(dir, "pid"))
			if err := pid1.Signal(syscall.SIGQUIT); err != nil { // docker stop
				t.Fatal(err)
			}
			if c.opts == nil {
				g.waitFor("nginx started again", func() bool {
					return strings.Contains(g.messages(), "run 2)")
				})
				if second := g.ready(); second == first {
					t.Fatalf("the same nginx, pid %d", second)
				}
				return // cleanup kills the namespace, as docker's SIGKILL would
			}
			if st := g.wait(); st != 0 {
				t.Errorf("status %d, want 0:\n%s", st, g.messages())
			}
			if strings.Contains(g.messages(), "run 2") {
				t.Errorf("nginx was started again:\n%s", g.messages())
			}
			if want := "stopping sh (pid "; !strings.Contains(g.messages(), want) {
				t.Errorf("messages:\n%s\nwant %q", g.messages(), want)
			}
		})
	}
}

// The stop signal is what the command gets on any stop: SIGTERM to grespawn
// (systemctl stop) sends it SIGQUIT too, and the message says so.
func TestGrespawnStopSignalOnTerm(t *testing.T) {
	dir := tempDir(t)
	g := startGrespawn(t, dir, "--stop-signal", "QUIT", "--", "sh", "-c", nginxLike)
	g.ready()
	g.signal(syscall.SIGTERM)
	if st := g.wait(); st != 0 {
		t.Errorf("status %d, want 0 (nginx's graceful stop)", st)
	}
	if want := "stopping sh (pid "; !strings.Contains(g.messages(), want) || !strings.Contains(g.messages(), "on SIGTERM: sending SIGQUIT") {
		t.Errorf("messages:\n%s\nwant the stop on SIGTERM sending SIGQUIT", g.messages())
	}
}

// Exit statuses for orchestrators: a command that a stop on request ends
// as a JVM does (exit 143 on SIGTERM) leaves grespawn with 0 (Kubernetes
// and docker record no failure); an end by anything else keeps its status;
// --map-status maps any status, the default's too (tini's -e 143).
func TestGrespawnExitStatusAfterStop(t *testing.T) {
	for _, c := range []struct {
		name   string
		opts   []string
		onTerm string // what the command does on SIGTERM
		status int
	}{
		{"a JVM's 143 after a stop is 0", nil, "exit 143", 0},
		{"killed by SIGTERM is 0", nil, "kill -TERM $$", 0},
		{"another status after a stop stays", nil, "exit 1", 1},
		{"--map-status keeps 143", []string{"--map-status", "143=143"}, "exit 143", 143},
		{"--map-status maps another", []string{"--map-status", "1=0,2=0"}, "exit 1", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			script := fmt.Sprintf(`trap 'trap - TERM; kill $! 2>/dev/null; %s' TERM; echo $$ >pid.new && mv pid.new pid; sleep 1000 & wait`, c.onTerm)
			g := startGrespawn(t, dir, append(c.opts, "--", "sh", "-c", script)...)
			g.ready()
			g.signal(syscall.SIGTERM)
			if st := g.wait(); st != c.status {
				t.Errorf("status %d, want %d:\n%s", st, c.status, g.messages())
			}
		})
	}
	// Without a stop: the command's status as it is, or mapped.
	dir := tempDir(t)
	r := runWith(t, dir, runOptions{}, "grespawn", "--restart", "never", "--map-status", "3=0", "--", "sh", "-c", "exit 3")
	if r.status != 0 {
		t.Errorf("--map-status 3=0 with a command exiting 3: status %d", r.status)
	}
	r = runWith(t, dir, runOptions{}, "grespawn", "--restart", "never", "--", "sh", "-c", "exit 143")
	if r.status != 143 {
		t.Errorf("a command exiting 143 with no stop asked: status %d, want 143", r.status)
	}
}

// --restart-signal USR2: the run gets SIGTERM (never USR2), and the next
// starts at once, whatever the backoff delay: a deploy's kill -USR2.
func TestGrespawnRestartSignal(t *testing.T) {
	dir := tempDir(t)
	g := startGrespawn(t, dir, append([]string{"--restart-signal", "USR2", "--delay", "1h", "--min-uptime", "1h"}, helperArgs("sleep", dir)...)...)
	first := g.ready()
	os.Remove(filepath.Join(dir, "pid"))
	g.signal(syscall.SIGUSR2)
	waitGone(t, first)
	second := g.ready() // at once: a delay of an hour would fail the test
	if second == first {
		t.Fatalf("the same process, %d", second)
	}
	if got := readFile(t, filepath.Join(dir, "signals")); strings.Contains(got, "user defined signal 2") {
		t.Errorf("the command got SIGUSR2: %q", got)
	}
	if want := fmt.Sprintf("SIGUSR2: restarting helper (pid %d)", first); !strings.Contains(g.messages(), want) {
		t.Errorf("messages:\n%s\nwant %q", g.messages(), want)
	}
	// Again: the streak was reset, so again at once.
	os.Remove(filepath.Join(dir, "pid"))
	g.signal(syscall.SIGUSR2)
	waitGone(t, second)
	g.ready()
}

func TestGrespawnControlCommandLine(t *testing.T) {
	const try = "\nTry 'grespawn --help' for more information.\n"
	runCLI(t, "grespawn", []cliCase{
		{args: args("--stop-signal", "STOP", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'STOP' for '--stop-signal': SIGSTOP cannot be the stop signal: it suspends or resumes, it does not end a program" + try + "$"},
		{args: args("--stop-signal", "CHLD", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'CHLD' for '--stop-signal': SIGCHLD cannot be the stop signal: it says a process ended" + try + "$"},
		{args: args("--stop-signal", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--stop-signal': .*" + try + "$"},
		{args: args("--restart-signal", "TERM", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'TERM' for '--restart-signal': SIGTERM cannot restart the command: it stops the supervision" + try + "$"},
		{args: args("--restart-signal", "USR2", "--stop-signal", "USR2", "true"), status: 125, stderrRE: "^grespawn: SIGUSR2 cannot both restart the command and stop\n$"},
		{args: args("-l", "x.log", "--restart-signal", "USR2", "--log-reopen-signal", "USR2", "true"), status: 125, stderrRE: "^grespawn: SIGUSR2 cannot both reopen the logs and restart the command\n$"},
		{args: args("--map-status", "143", "true"), status: 125, stderrRE: "^grespawn: invalid argument '143' for '--map-status': '143' is not FROM=TO, two exit statuses from 0 to 255 \\(143=0\\)" + try + "$"},
		{args: args("--map-status", "300=0", "true"), status: 125, stderrRE: "^grespawn: invalid argument '300=0' for '--map-status': '300=0' is not FROM=TO.*" + try + "$"},
		{args: args("--map-status", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--map-status': .*" + try + "$"},
	})
}

// A restart signal grespawn was started with ignored (SIGHUP under nohup)
// stays ignored for the command and cannot be caught: refused.
func TestGrespawnRestartSignalIgnored(t *testing.T) {
	dir := tempDir(t)
	r := runWith(t, dir, runOptions{sh: "trap '' HUP"}, "grespawn", "--restart-signal", "HUP", "--", "sh", "-c", "touch ran")
	if want := "grespawn: SIGHUP cannot restart the command: it was ignored when this process started (nohup?), and stays ignored for the command\n"; r.status != 125 || r.stderr != want {
		t.Errorf("status %d, stderr %q; want 125 and %q", r.status, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("the command ran")
	}
}
