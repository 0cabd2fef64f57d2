//go:build linux

package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
)

// What a user does to a job reaches the command, and the shell sees the
// command's own exit status, as if gnohup were not there. Each case also runs
// without gnohup, so the expected status is the command's, not an invention.
func TestSignalsReachCommand(t *testing.T) {
	for _, c := range []struct {
		name   string
		start  string // starts the job; DIR is the helper's directory
		act    string // what the user types (a control character is sent raw)
		finish string // collects the status into $?
		want   int
		report string // how bash reports the job's end: the signal, so not an exit 143
	}{
		{"kill $!", "PREFIX" + "HELPER &", "kill $!", "wait $!", 143, "Terminated"},
		// wait $!, not wait %1: bash may have reported the job done and
		// dropped it from its table by the time wait runs; $! it remembers.
		{"kill -INT %1", "PREFIX" + "HELPER &", "kill -INT %1", "wait $!", 130, "Interrupt"},
		{"kill -QUIT %1", "PREFIX" + "HELPER &", "kill -QUIT %1", "wait $!", 131, "Quit"},
		// (exit $?): the foreground job's status, before anything else runs
		{"Ctrl-C on the foreground job", "PREFIX" + "HELPER", ctrlC, "(exit $?)", 130, ""},
	} {
		for _, prefix := range []string{"", "gnohup "} {
			name := c.name + " (control)"
			if prefix != "" {
				name = c.name + " (gnohup)"
			}
			t.Run(name, func(t *testing.T) {
				dir := tempDir(t)
				tm := startTerm(t, dir)
				line := strings.NewReplacer("PREFIX", prefix, "HELPER", helperLine("sleep", dir)).Replace(c.start)
				pid := tm.job(line, dir)
				if c.act == ctrlC {
					tm.key(ctrlC)
				} else {
					tm.run(c.act)
				}
				if got := tm.status(c.finish, dir); got != c.want {
					t.Errorf("status %d, want %d", got, c.want)
				}
				if !strings.Contains(tm.output(), c.report) {
					t.Errorf("bash did not report the job %q", c.report)
				}
				waitGone(t, pid)
			})
		}
	}
}

// The signals a user sends to a relayed job that do not end it reach the
// command too.
func TestRelayForwardsUserSignals(t *testing.T) {
	dir := tempDir(t)
	tm := startTerm(t, dir)
	pid := tm.job("gnohup "+helperLine("sleep", dir)+" &", dir)
	tm.run("kill -USR2 %1; kill -WINCH %1")
	signals := filepath.Join(dir, "signals")
	waitAlive(t, pid, "SIGUSR2 and SIGWINCH at the command", func() bool {
		text := readFile(t, signals)
		return strings.Contains(text, syscall.SIGUSR2.String()) && strings.Contains(text, syscall.SIGWINCH.String())
	})
	tm.run("kill -USR1 %1") // the probe, through the relay this time
	waitAlive(t, pid, "SIGUSR1 at the command", func() bool { return countLines(filepath.Join(dir, "probe")) == 1 })
	if !alive(t, dir, pid) {
		t.Error("the command did not survive the signals")
	}
}

// Ctrl-Z stops the command with the job, bg continues both, and the shell
// reports the job as it would the command alone.
func TestStopAndContinue(t *testing.T) {
	dir := tempDir(t)
	tm := startTerm(t, dir)
	pid := tm.job("gnohup "+helperLine("tick", dir), dir)
	out := filepath.Join(dir, "nohup.out")
	tm.key(ctrlZ)
	waitStopped(t, pid)
	if !strings.Contains(tm.output(), "Stopped ") || strings.Contains(tm.output(), "Stopped (signal)") {
		t.Error(`bash did not report the job "Stopped", as for a keyboard stop`)
	}
	stopped := readFile(t, out)
	tm.run("bg")
	waitAlive(t, pid, "output after bg", func() bool { return len(readFile(t, out)) > len(stopped) })
	tm.run("kill %1")
	if got := tm.status("wait $!", dir); got != 143 {
		t.Errorf("status after kill %%1: %d, want 143", got)
	}
	waitGone(t, pid)
}

// The command's exit status is gnohup's.
func TestExitStatusPassesThrough(t *testing.T) {
	dir := tempDir(t)
	tm := startTerm(t, dir)
	for _, want := range []int{0, 7, 255} {
		if got := tm.status("gnohup "+helperLine("exit", strconv.Itoa(want)), dir); got != want {
			t.Errorf("status %d, want %d", got, want)
		}
	}
}

// From a script (no job control), `gnohup cmd &` execs the command in place:
// $! is the command's PID, and it leads a session of its own.
func TestScriptBangIsCommand(t *testing.T) {
	line := func(dir string) string {
		return "gnohup " + helperLine("sleep", dir) + " &\necho $! > " + filepath.Join(dir, "bang") + "\n"
	}
	check := func(t *testing.T, dir string, bang int) {
		pid := readyPID(t, dir)
		killAtCleanup(t, pid)
		if bang != pid {
			t.Errorf("$! is %d, the command is %d", bang, pid)
		}
		if p := mustStat(t, pid); p.SID != pid || p.TTYNr != 0 {
			t.Errorf("command sid %d tty_nr %d, want its own session (%d) and no terminal", p.SID, p.TTYNr, pid)
		}
	}
	t.Run("without a terminal", func(t *testing.T) {
		dir := tempDir(t)
		bang := runScript(t, dir, line(dir))
		check(t, dir, bang())
	})
	t.Run("script in a terminal", func(t *testing.T) {
		dir := tempDir(t)
		script := filepath.Join(dir, "start.sh")
		if err := os.WriteFile(script, []byte(line(dir)), 0o755); err != nil {
			t.Fatal(err)
		}
		startTerm(t, dir).run("bash " + script)
		bang, err := testutil.ReadPIDFile(filepath.Join(dir, "bang"))
		if err != nil {
			t.Fatal(err)
		}
		check(t, dir, bang)
	})
}
