//go:build linux

package tests

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

// The log for operators (issue 15): standard output as a log, timestamps,
// grespawn's own lines in the log, a log of standard error of its own, and
// a signal that reopens the log. logrotate itself: logrotate_test.go.

func init() { testutil.RegisterHelper("both", bothHelper) }

// bothHelper writes N lines of SIZE bytes on standard output and N on
// standard error at once, from two threads, each line in one write(2):
// helper both N SIZE. Lines longer than PIPE_BUF in one pipe may mix; in
// two they cannot.
func bothHelper(args []string) int {
	n, _ := strconv.Atoi(args[0])
	size, _ := strconv.Atoi(args[1])
	var wg sync.WaitGroup
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fill := strings.Repeat(f.Name()[len("/dev/std"):][:1], size) // "o" or "e"
			for i := 1; i <= n; i++ {
				if _, err := fmt.Fprintf(f, "%s %d %s\n", f.Name(), i, fill); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return 0
}

// -l - and -l /dev/stdout: the command's lines go through grespawn's
// pipeline to its own standard output, for containers and journald: whole
// lines, a line of standard output and one of standard error never mixed,
// even when longer than a pipe writes at once, and stamped (issue 15:
// -l /dev/stdout failed with "too many levels of symbolic links", -l -
// wrote a file named "-").
func TestGrespawnLogToStandardOutput(t *testing.T) {
	const n, size = 300, 10000 // lines of 10 KB: more than PIPE_BUF
	for _, name := range []string{"-", "/dev/stdout", "/dev/fd/1"} {
		t.Run(name, func(t *testing.T) {
			dir := tempDir(t)
			g := startGrespawn(t, dir, append([]string{"--restart", "never", "-l", name, "--log-timestamps"}, helperArgs("both", strconv.Itoa(n), strconv.Itoa(size))...)...)
			if st := g.wait(); st != 0 {
				t.Fatalf("status %d:\n%s", st, g.messages())
			}
			if _, err := os.Lstat(filepath.Join(dir, name)); name == "-" && err == nil {
				t.Error("grespawn made a file named -")
			}
			out := readFile(t, filepath.Join(dir, "grespawn.out"))
			line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /dev/std(out|err) (\d+) (o+|e+)$`)
			seen := map[string]int{}
			for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				m := line.FindStringSubmatch(l)
				if m == nil || len(m[3]) != size || m[1][0] != m[3][0] {
					t.Fatalf("a line that is not one whole line of the command's, stamped: %.120q…", l)
				}
				k, _ := strconv.Atoi(m[2])
				if k != seen[m[1]]+1 {
					t.Fatalf("std%s line %d after line %d", m[1], k, seen[m[1]])
				}
				seen[m[1]] = k
			}
			if seen["out"] != n || seen["err"] != n {
				t.Errorf("%d lines of standard output and %d of standard error, want %d each", seen["out"], seen["err"], n)
			}
		})
	}
}

// --log-timestamp-format: a strftime layout, in local time with
// --log-timestamps=local (TZ), in UTC without it.
func TestGrespawnLogTimestampFormat(t *testing.T) {
	for _, c := range []struct {
		args []string
		re   string
	}{
		{[]string{"--log-timestamps=local", "--log-timestamp-format", "%z %Z|"}, `^\+0530 IST\| line 1$`},
		{[]string{"--log-timestamp-format", "%z|"}, `^\+0000\| line 1$`},
		{[]string{"--log-timestamps=local"}, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+05:30 line 1$`},
		{[]string{"--log-timestamps=local", "--log-timestamp-format", "%b %d %H:%M:%.S"}, `^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d{6} line 1$`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			if _, err := os.Stat("/usr/share/zoneinfo/Asia/Kolkata"); err != nil {
				t.Skipf("no time zone data (the tzdata package): %v", err)
			}
			dir := tempDir(t)
			g := startGrespawnWith(t, dir, func(cmd *exec.Cmd) { cmd.Env = append(os.Environ(), "TZ=Asia/Kolkata") },
				append(append([]string{"--restart", "never", "-l", "-"}, c.args...), helperArgs("lines", "1")...)...)
			if st := g.wait(); st != 0 {
				t.Fatalf("status %d:\n%s", st, g.messages())
			}
			if out := strings.TrimSuffix(readFile(t, filepath.Join(dir, "grespawn.out")), "\n"); !regexp.MustCompile(c.re).MatchString(out) {
				t.Errorf("output %q, want a match for %s", out, c.re)
			}
		})
	}
}

// --log-events: one file tells the whole story, in order: each run's
// "started" line before anything the run wrote, the line that says how it
// ended after everything it wrote, then the restart or the end (issue 15;
// supervisor#726).
func TestGrespawnLogEvents(t *testing.T) {
	dir := tempDir(t)
	log := filepath.Join(dir, "app.log")
	g := startGrespawn(t, dir, "-m", "2", "--delay", "50ms", "--log-events", "-l", log, "--",
		"sh", "-c", `echo "out $$"; echo "err $$" >&2; exec `+helperLine("lines", "500"))
	if st := g.wait(); st != 0 {
		t.Fatalf("status %d:\n%s", st, g.messages())
	}
	lines := strings.Split(strings.TrimSuffix(readFile(t, log), "\n"), "\n")
	var story []string // the log, with the command's lines condensed
	pid := ""
	count := 0
	flush := func() {
		if count > 0 {
			story = append(story, fmt.Sprintf("%d lines", count))
			count = 0
		}
	}
	started := regexp.MustCompile(`^grespawn: started sh \(pid (\d+), run \d of 2\)$`)
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "grespawn: "):
			flush()
			if m := started.FindStringSubmatch(l); m != nil {
				pid = m[1]
			}
			l = regexp.MustCompile(`pid \d+`).ReplaceAllString(l, "pid P")
			l = regexp.MustCompile(`after \d+ms|in \d+ms`).ReplaceAllString(l, "D")
			story = append(story, l)
		case l == "out "+pid || l == "err "+pid || strings.HasPrefix(l, "line "):
			count++
		default:
			t.Fatalf("line %q in the log: not of the run started last (pid %s)", l, pid)
		}
	}
	flush()
	want := []string{
		"grespawn: started sh (pid P, run 1 of 2)",
		"502 lines",
		"grespawn: sh (pid P) exited with status 0 D",
		"grespawn: restarting sh D (run 2 of 2 next)",
		"grespawn: started sh (pid P, run 2 of 2)",
		"502 lines",
		"grespawn: sh (pid P) exited with status 0 D",
		"grespawn: giving up: ran sh 2 times, the most allowed; last sh exited with status 0",
	}
	if strings.Join(story, "\n") != strings.Join(want, "\n") {
		t.Errorf("the log tells\n%s\nwant\n%s", strings.Join(story, "\n"), strings.Join(want, "\n"))
	}
	// Still on standard error too.
	if !strings.Contains(g.messages(), "grespawn: giving up: ran sh 2 times") {
		t.Errorf("standard error:\n%s", g.messages())
	}
}

// --stderr-log: standard error in a log of its own, standard output in -l's
// or, without -l, grespawn's own; one file under two names is refused.
func TestGrespawnStderrLog(t *testing.T) {
	cmd := []string{"--", "sh", "-c", "echo out; echo err >&2; echo out2; echo err2 >&2"}
	t.Run("with -l", func(t *testing.T) {
		dir := tempDir(t)
		g := startGrespawn(t, dir, append([]string{"--restart", "never", "-l", "out.log", "--stderr-log", "err.log"}, cmd...)...)
		if st := g.wait(); st != 0 {
			t.Fatalf("status %d:\n%s", st, g.messages())
		}
		if out, err := readFile(t, filepath.Join(dir, "out.log")), readFile(t, filepath.Join(dir, "err.log")); out != "out\nout2\n" || err != "err\nerr2\n" {
			t.Errorf("out.log %q, err.log %q", out, err)
		}
	})
	t.Run("alone", func(t *testing.T) {
		dir := tempDir(t)
		g := startGrespawn(t, dir, append([]string{"--restart", "never", "--stderr-log", "err.log", "--log-timestamp-format", "[%Y]"}, cmd...)...)
		if st := g.wait(); st != 0 {
			t.Fatalf("status %d:\n%s", st, g.messages())
		}
		if out := readFile(t, filepath.Join(dir, "grespawn.out")); out != "out\nout2\n" {
			t.Errorf("grespawn's standard output %q, want the command's, as it wrote it", out)
		}
		if err := readFile(t, filepath.Join(dir, "err.log")); !regexp.MustCompile(`^\[\d{4}\] err\n\[\d{4}\] err2\n$`).MatchString(err) {
			t.Errorf("err.log %q", err)
		}
	})
	t.Run("same name", func(t *testing.T) {
		dir := tempDir(t)
		g := startGrespawn(t, dir, append([]string{"--restart", "never", "-l", "all.log", "--stderr-log", "all.log"}, cmd...)...)
		if st := g.wait(); st != 0 {
			t.Fatalf("status %d:\n%s", st, g.messages())
		}
		if got := readFile(t, filepath.Join(dir, "all.log")); len(got) != len("out\nout2\nerr\nerr2\n") {
			t.Errorf("all.log %q, want the four lines, once each", got)
		}
	})
	t.Run("a hard link", func(t *testing.T) {
		dir := tempDir(t)
		os.WriteFile(filepath.Join(dir, "a.log"), nil, 0o644)
		os.Link(filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log"))
		g := startGrespawn(t, dir, append([]string{"-l", "a.log", "--stderr-log", "b.log"}, cmd...)...)
		if st := g.wait(); st != 125 {
			t.Errorf("status %d, want 125", st)
		}
		if want := "grespawn: the standard error log b.log is the log a.log: name it the same, or name another file\n"; g.messages() != want {
			t.Errorf("messages %q, want %q", g.messages(), want)
		}
	})
}

// --log-reopen-signal: the signal reopens the log by name at once, and is
// not passed on: the command, which USR2 would kill, keeps running, and
// every line is in exactly one of the files (issue 15: HUP went to the
// program and killed it).
func TestGrespawnLogReopenSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGUSR2, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := tempDir(t)
			log := filepath.Join(dir, "app.log")
			g := startGrespawn(t, dir, append([]string{"-l", log, "--log-max-size", "0", "--log-reopen-signal", strings.TrimPrefix(unix.SignalName(sig), "SIG")},
				helperArgs("tick", dir)...)...)
			pid := g.ready()
			ticks := func(path string) int {
				b, _ := os.ReadFile(path) // not there yet: none
				return strings.Count(string(b), "tick ")
			}
			g.waitFor("a tick in the log", func() bool { return ticks(log) > 0 })
			// Renamed with no new file: only the signal makes grespawn
			// leave the old one within the grace it gives a rotator.
			if err := os.Rename(log, log+".1"); err != nil {
				t.Fatal(err)
			}
			g.signal(sig)
			g.waitFor("ticks in the reopened log", func() bool { return ticks(log) >= 2 })
			g.waitFor("the reopening said", func() bool {
				return strings.Contains(g.messages(), "grespawn: reopened the log on "+unix.SignalName(sig))
			})
			if err := syscall.Kill(pid, 0); err != nil {
				t.Fatalf("the command is gone (%v): the signal was passed on\n%s", err, g.messages())
			}
			g.signal(syscall.SIGTERM)
			g.wait()
			all := readFile(t, log+".1") + readFile(t, log)
			n := 0
			for _, l := range strings.Split(all, "\n") {
				if strings.HasPrefix(l, "tick ") {
					n++
					if l != fmt.Sprintf("tick %d", n) {
						t.Fatalf("%q where tick %d was due: a line lost or doubled", l, n)
					}
				}
			}
			if strings.Count(g.messages(), ": started ") != 1 {
				t.Errorf("the command was started again:\n%s", g.messages())
			}
		})
	}
}

// The log options' mistakes, each a usage error before anything runs.
func TestGrespawnLogCommandLine(t *testing.T) {
	const try = "\nTry 'grespawn --help' for more information.\n"
	runCLI(t, "grespawn", []cliCase{
		{args: args("--log-events", "true"), status: 125, stderrRE: "^grespawn: --log-events goes with --log or --stderr-log" + try + "$"},
		{args: args("--log-timestamps", "true"), status: 125, stderrRE: "^grespawn: --log-timestamps goes with --log or --stderr-log" + try + "$"},
		{args: args("--log-reopen-signal", "USR2", "true"), status: 125, stderrRE: "^grespawn: --log-reopen-signal goes with --log or --stderr-log" + try + "$"},
		{args: args("-l", "-", "--log-max-size", "1M", "true"), status: 125, stderrRE: "^grespawn: --log-max-size has no meaning for a log on standard output or error: it is never rotated or reopened" + try + "$"},
		{args: args("-l", "/dev/stdout", "--log-reopen-signal", "USR2", "true"), status: 125, stderrRE: "^grespawn: --log-reopen-signal has no meaning for a log on standard output or error: it is never rotated or reopened" + try + "$"},
		{args: args("-l", "x.log", "--log-reopen-signal", "TERM", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'TERM' for '--log-reopen-signal': SIGTERM cannot reopen the logs: it stops the supervision" + try + "$"},
		{args: args("-l", "x.log", "--log-reopen-signal", "TSTP", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'TSTP' for '--log-reopen-signal': SIGTSTP cannot reopen the logs: .*" + try + "$"},
		{args: args("-l", "x.log", "--log-reopen-signal", "CONT", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'CONT' for '--log-reopen-signal': SIGCONT cannot reopen the logs: .*" + try + "$"},
		{args: args("-l", "x.log", "--log-reopen-signal", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--log-reopen-signal': .*" + try + "$"},
		{args: args("-l", "x.log", "--log-timestamps=", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--log-timestamps': want utc or local" + try + "$"},
		{args: args("-l", "x.log", "--log-timestamps", "local", "true"), status: 127, stderrRE: "^grespawn: failed to run command 'local': No such file or directory\n$"}, // an optional argument is never the next word
		{args: args("-l", "x.log", "--log-timestamp-format", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--log-timestamp-format': cannot be empty" + try + "$"},
		{args: args("-l", "x.log", "--log-timestamp-format", "%Q", "true"), status: 125, stderrRE: "^grespawn: invalid argument '%Q' for '--log-timestamp-format': unknown conversion %Q" + try + "$"},
		{args: args("-l", "x.log", "--log-timestamp-format", "%T%n", "true"), status: 125, stderrRE: "^grespawn: invalid argument '%T%n' for '--log-timestamp-format': .*newline" + try + "$"},
		{args: args("-l", "x.log", "--log-timestamps=local", "true"), env: []string{"TZ=EST5EDT,M3.2.0,M11.1.0"}, status: 125, stderrRE: "^grespawn: invalid TZ 'EST5EDT,M3.2.0,M11.1.0' for '--log-timestamps=local': no such time zone .*" + try + "$"},
		{args: args("--stderr-log", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--stderr-log': cannot be empty" + try + "$"},
		{args: args("--stderr-log", "/nonexistent/dir/err.log", "true"), status: 125, stderrRE: "^grespawn: open the standard error log: open /nonexistent/dir/err.log: No such file or directory\n$"},
	})
}

// The "started" line comes before the run's first line even when writing it
// is slow: here grespawn's standard error is a full pipe, so the line waits
// until the run has written everything and exited. The copying of a run's
// output starts only once the line is in the log.
func TestGrespawnLogEventsStartedFirst(t *testing.T) {
	dir := tempDir(t)
	log := filepath.Join(dir, "app.log")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	size, err := unix.FcntlInt(w.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, size)); err != nil { // full: grespawn's first message waits
		t.Fatal(err)
	}
	g := startGrespawnWith(t, dir, func(cmd *exec.Cmd) { cmd.Stderr = w }, "--restart", "never", "--log-events", "-l", log, "--",
		"sh", "-c", `echo $$ >pid.new && mv pid.new pid; echo "out $$"; echo "err $$" >&2`)
	w.Close()
	cmdPID := g.ready()
	testutil.Watch(t, cmdPID).WaitExit(t) // its lines are in the pipes
	go func() { _, _ = io.Copy(io.Discard, r) }()
	if st := g.wait(); st != 0 {
		t.Fatalf("status %d", st)
	}
	lines := strings.Split(readFile(t, log), "\n")
	if want := fmt.Sprintf("grespawn: started sh (pid %d, run 1)", cmdPID); lines[0] != want {
		t.Errorf("the log begins %q, want %q:\n%s", lines[0], want, readFile(t, log))
	}
}

// A reopen signal that grespawn inherits ignored (SIGHUP under nohup)
// cannot be caught without undoing the ignoring for the command: refused,
// before anything runs, rather than reopen nothing.
func TestGrespawnLogReopenSignalIgnored(t *testing.T) {
	dir := tempDir(t)
	r := runWith(t, dir, runOptions{sh: "trap '' HUP"}, "grespawn", "-l", "app.log", "--log-reopen-signal", "HUP", "--", "sh", "-c", "touch ran")
	if want := "grespawn: SIGHUP cannot reopen the logs: it was ignored when this process started (nohup?), and stays ignored for the command\n"; r.status != 125 || r.stderr != want {
		t.Errorf("status %d, stderr %q; want 125 and %q", r.status, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("the command ran")
	}
}

// --log-events with the log on grespawn's own standard error or output:
// each line once, not once as a message and once as a log line (a
// container's log gets both streams).
func TestGrespawnLogEventsOnStandardError(t *testing.T) {
	for _, name := range []string{"/dev/stderr", "-"} {
		t.Run(name, func(t *testing.T) {
			dir := tempDir(t)
			r := runWith(t, dir, runOptions{}, "grespawn", "--restart", "never", "--log-events", "-l", name, "--", "echo", "hi")
			all := r.stdout + r.stderr
			if r.status != 0 || strings.Count(all, "grespawn: started echo") != 1 || strings.Count(all, "not restarting echo") != 1 || strings.Count(all, "hi\n") != 1 {
				t.Errorf("status %d, output %q, error %q: want each line once", r.status, r.stdout, r.stderr)
			}
		})
	}
}

// A log that blocks (grespawn's standard output or error a pipe whose
// reader stopped reading, a terminal held by Ctrl-S) holds up the
// command's output, never the supervision: SIGTERM still stops the
// command, kills it after --stop-timeout, and grespawn exits (helper-12:
// it hung until the reader came back, and with --log-events the command
// was never even signalled; helper-13: the same through grespawn's own
// messages on a standard error that blocks).
func TestGrespawnLogBlockedStillStops(t *testing.T) {
	for _, c := range []struct {
		name   string
		stderr bool // the blocked pipe is standard error, not output
		opts   []string
	}{
		{"-l -", false, []string{"-l", "-"}},
		{"-l - --log-events", false, []string{"-l", "-", "--log-events"}},
		{"-l /dev/stderr", true, []string{"-l", "/dev/stderr"}},
		{"--stderr-log /dev/stderr --log-events", true, []string{"-l", "out.log", "--stderr-log", "/dev/stderr", "--log-events"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			opts := append([]string{"--stop-timeout", "100ms"}, c.opts...)
			// Lines for ever, on both streams, ignoring SIGTERM: the stop
			// needs the kill.
			g := startGrespawnWith(t, dir, func(cmd *exec.Cmd) {
				if c.stderr {
					cmd.Stderr = w
				} else {
					cmd.Stdout = w
				}
			},
				append(opts, "--", "sh", "-c", `trap '' TERM; echo $$ >pid.new && mv pid.new pid; while :; do echo "a line of output that fills the pipe"; echo "and one of error" >&2; done`)...)
			w.Close()
			cmdPID := g.ready()
			command := testutil.Watch(t, cmdPID)
			g.waitFor("a thread of grespawn's blocked writing the pipe", func() bool {
				tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", g.cmd.Process.Pid))
				for _, task := range tasks {
					if b, _ := os.ReadFile(task); strings.Contains(string(b), "pipe_write") {
						return true
					}
				}
				return false
			})
			g.signal(syscall.SIGTERM)
			command.WaitExit(t)
			if st := g.wait(); st != 128+int(syscall.SIGKILL) {
				t.Errorf("status %d, want %d (killed after the stop timeout)", st, 128+int(syscall.SIGKILL))
			}
		})
	}
}
