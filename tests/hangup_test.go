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

// A hangupCase is one job started in the terminal before the hangup.
type hangupCase struct {
	name    string
	line    string // the command line; DIR stands for the helper's directory
	survive bool
	hupIgn  bool // SIGHUP ignored in the helper before the hangup
	detach  bool // the helper runs in a session of its own, without a terminal
}

// runHangup runs each case as a subtest: it starts the case's job in a fresh
// terminal, checks it before the hangup, hangs up, and checks that the job
// died or survived as it should.
func runHangup(t *testing.T, cases []hangupCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			tm := startTerm(t, dir)
			pid := tm.job(strings.ReplaceAll(c.line, "DIR", dir), dir)

			p := mustStat(t, pid)
			if got := sigIgnored(t, pid, syscall.SIGHUP); got != c.hupIgn {
				t.Errorf("before the hangup, SIGHUP ignored = %v, want %v", got, c.hupIgn)
			}
			if detached := p.SID == pid && p.TTYNr == 0; detached != c.detach {
				t.Errorf("before the hangup, sid %d tty_nr %d for pid %d: detached = %v, want %v", p.SID, p.TTYNr, pid, detached, c.detach)
			}

			tm.hangup()
			if c.survive {
				if !alive(t, dir, pid) {
					t.Fatal("the job did not survive the hangup")
				}
			} else {
				waitGone(t, pid)
			}
		})
	}
}

// A helper that leaves SIGHUP as it found it: the plain background job dies,
// under gnohup it survives.
func TestHangupBackgroundJob(t *testing.T) {
	runHangup(t, []hangupCase{
		{name: "control: plain job", line: helperLine("sleep", "DIR") + " &"},
		{name: "control: nohup", line: "nohup " + helperLine("sleep", "DIR") + " &", survive: true, hupIgn: true},
		{name: "gnohup", line: "gnohup " + helperLine("sleep", "DIR") + " &", survive: true, hupIgn: true, detach: true},
	})
}

// A helper that resets SIGHUP to its default at start-up, as node does: nohup
// and gnohup's classic mode cannot save it, gnohup's new session does.
func TestHangupProgramResettingSIGHUP(t *testing.T) {
	runHangup(t, []hangupCase{
		{name: "control: nohup", line: "nohup " + helperLine("sleep", "DIR", "--reset-hup") + " &"},
		{name: "control: gnohup --keep-session", line: "gnohup --keep-session " + helperLine("sleep", "DIR", "--reset-hup") + " &"},
		{name: "gnohup", line: "gnohup " + helperLine("sleep", "DIR", "--reset-hup") + " &", survive: true, detach: true},
	})
}

// A foreground job (no &): bash sends its SIGHUP to it too.
func TestHangupForegroundJob(t *testing.T) {
	runHangup(t, []hangupCase{
		{name: "control: plain job", line: helperLine("sleep", "DIR")},
		{name: "gnohup", line: "gnohup " + helperLine("sleep", "DIR"), survive: true, hupIgn: true, detach: true},
	})
}

// A helper that catches SIGHUP, as gunicorn does to reload its workers: under
// nohup it lives but receives the hangup; under gnohup nothing reaches it.
func TestHangupProgramCatchingSIGHUP(t *testing.T) {
	for _, c := range []struct {
		name     string
		cmd      string
		wantHups int
	}{
		{"control: nohup", "nohup", 1},
		{"gnohup", "gnohup", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			tm := startTerm(t, dir)
			pid := tm.job(c.cmd+" "+helperLine("sleep", dir, "--catch-hup")+" &", dir)
			tm.hangup()
			// The probe is SIGUSR1, recorded after any SIGHUP that came first.
			if !alive(t, dir, pid) {
				t.Fatal("the job did not survive the hangup")
			}
			if got := countLines(filepath.Join(dir, "hups")); got < c.wantHups || (c.wantHups == 0 && got != 0) {
				t.Errorf("the job received %d SIGHUPs, want %d", got, c.wantHups)
			}
		})
	}
}

// A helper that writes a line every 50ms keeps writing after the hangup, and
// every line, from standard output and standard error, lands in nohup.out.
func TestHangupOutputKeepsFlowing(t *testing.T) {
	t.Run("control: plain job", func(t *testing.T) {
		dir := tempDir(t)
		tm := startTerm(t, dir)
		pid := tm.job(helperLine("tick", dir)+" > "+filepath.Join(dir, "out")+" &", dir)
		tm.hangup()
		waitGone(t, pid)
	})
	t.Run("gnohup", func(t *testing.T) {
		dir := tempDir(t)
		tm := startTerm(t, dir)
		pid := tm.job("gnohup "+helperLine("tick", dir)+" &", dir)
		out := filepath.Join(dir, "nohup.out")
		ticks := func() int { return strings.Count(readFile(t, out), "tick ") }
		waitAlive(t, pid, "output before the hangup", func() bool { return ticks() >= 3 })
		if !strings.Contains(tm.output(), "gnohup: ignoring input and appending output to 'nohup.out'") {
			t.Error("the terminal did not show where the output goes")
		}
		tm.hangup()
		atHangup := ticks()
		waitAlive(t, pid, "20 more lines after the hangup", func() bool { return ticks() >= atHangup+20 })
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitGone(t, pid)
		checkTicks(t, readFile(t, out))
		if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("nohup.out: %v, mode %v; want 0600", err, st.Mode().Perm())
		}
	})
}

// checkTicks checks that out holds "tick 1" … "tick N" in order with none
// missing, and "tock K" for every tenth tick, after it.
func checkTicks(t *testing.T, out string) {
	t.Helper()
	next, tocks := 1, 0
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var n int
		switch {
		case strings.HasPrefix(line, "tick "):
			n, _ = strconv.Atoi(strings.TrimPrefix(line, "tick "))
			if n != next {
				t.Fatalf("line %q where tick %d was due: output lost or out of order", line, next)
			}
			next++
		case strings.HasPrefix(line, "tock "):
			n, _ = strconv.Atoi(strings.TrimPrefix(line, "tock "))
			if n != (tocks+1)*10 || n >= next {
				t.Fatalf("line %q out of place (after tick %d, tock %d)", line, next-1, tocks*10)
			}
			tocks++
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	if next < 24 {
		t.Errorf("only %d ticks", next-1)
	}
}

// --pidfile holds the command's own PID while it runs (through the hangup)
// and is removed when it exits.
func TestHangupPidfile(t *testing.T) {
	dir := tempDir(t)
	pidfile := filepath.Join(dir, "app.pid")
	tm := startTerm(t, dir)
	pid := tm.job("gnohup --pidfile "+pidfile+" "+helperLine("sleep", dir)+" &", dir)
	waitAlive(t, pid, "the pidfile", func() bool { n, err := testutil.ReadPIDFile(pidfile); return err == nil && n == pid })
	tm.hangup()
	if !alive(t, dir, pid) {
		t.Fatal("the command did not survive the hangup")
	}
	if n, err := testutil.ReadPIDFile(pidfile); err != nil || n != pid {
		t.Fatalf("after the hangup the pidfile holds %d, %v; want %d", n, err, pid)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the pidfile's removal", func() bool { _, err := os.Stat(pidfile); return os.IsNotExist(err) })
}
