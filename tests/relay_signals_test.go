//go:build linux

package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
)

// recorderC is a program that records every signal it gets: a handler for
// each of 1-64 (but KILL and STOP) writes the signal's number, a line each,
// to RECORD (write(2) is safe in a handler). It reports its dispositions as
// it found them (SigIgn, SigBlk, from /proc, by the harness) and its PID in
// READY once its handlers are in place, and waits for signals for ever.
const recorderC = `#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static int out;

static void record(int sig) {
	char buf[8];
	int n = 0, d = sig;
	char tmp[8];
	int k = 0;
	do { tmp[k++] = '0' + d % 10; d /= 10; } while (d);
	while (k) buf[n++] = tmp[--k];
	buf[n++] = '\n';
	write(out, buf, n);
}

int main(int argc, char **argv) {
	out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (out < 0) return 2;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = record;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP) continue;
		sigaction(sig, &sa, NULL);
	}
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
	FILE *f = fopen(tmp, "w");
	fprintf(f, "%d\n", getpid());
	fclose(f);
	rename(tmp, argv[2]);
	for (;;) pause();
}
`

// buildRecorder compiles recorderC, or skips the test without a C compiler.
func buildRecorder(t *testing.T) string { return buildC(t, "recorder", recorderC) }

// buildC compiles the C program src as name, or skips the test without a C
// compiler.
func buildC(t *testing.T, name, src string) string {
	t.Helper()
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skipf("no C compiler (cc): the %s cannot be built (.ci/run installs gcc)", name)
	}
	dir := tempDir(t)
	path := filepath.Join(dir, name+".c")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	if out, err := exec.Command("cc", "-O2", "-o", bin, path).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v: %s", err, out)
	}
	return bin
}

// recorded is how many times each signal has been recorded in path.
func recorded(t *testing.T, path string) map[int]int {
	t.Helper()
	got := map[int]int{}
	for _, line := range strings.Fields(readFile(t, path)) {
		n, _ := strconv.Atoi(line)
		got[n]++
	}
	return got
}

// notRelayed are the signals a relay does not pass on, each with the reason
// its man page gives (gnohup(1), gsetsid(1): SIGNALS).
var notRelayed = withRuntimeSignals(map[syscall.Signal]string{
	syscall.SIGHUP:  "the hangup stays on the relay's side",
	syscall.SIGCHLD: "the relay's own news of its command",
})

// withRuntimeSignals adds to m the signals that no Go program passes on,
// each with the reason the man pages give.
func withRuntimeSignals(m map[syscall.Signal]string) map[syscall.Signal]string {
	m[syscall.SIGURG] = "the Go runtime's preemption signal"
	m[syscall.SIGPROF] = "the Go runtime's profiler"
	m[32] = "left to a C library by the Go runtime: ignored"
	m[33] = "the Go runtime's own"
	m[34] = "left to a C library by the Go runtime: ignored"
	return m
}

// checkStartsClean fails t if process pid, just started, has any signal
// from `from` to 64 ignored or blocked (both survive exec).
func checkStartsClean(t *testing.T, pid int, from syscall.Signal) {
	t.Helper()
	for _, mask := range []string{"SigIgn", "SigBlk"} {
		m, err := testutil.SignalMask(pid, mask)
		if err != nil {
			t.Fatal(err)
		}
		for sig := from; sig <= 64; sig++ {
			if testutil.HasSignal(m, sig) {
				t.Errorf("the command started with signal %d in %s", sig, mask)
			}
		}
	}
}

// Every signal from 1 to 64 but KILL and STOP, sent to a relay (gnohup
// --pidfile, gsetsid -f -w): the relay never dies of one; the command, a C
// program that records what it gets, gets each one the relay passes on, and
// none of those the man pages say it does not; a job-control stop stops the
// command too, and the continue resumes both; the command starts with none
// of them ignored or blocked; and when the command dies (it catches every
// signal: a SIGKILL), the relay dies of the same signal.
func TestRelayPassesOnEverySignal(t *testing.T) {
	recorder := buildRecorder(t)
	for _, c := range []struct {
		name string
		argv func(dir string) []string
	}{
		{"gnohup --pidfile", func(dir string) []string {
			return []string{"gnohup", "-o", filepath.Join(dir, "out.log"), "--pidfile", filepath.Join(dir, "app.pid")}
		}},
		{"gsetsid -f -w", func(dir string) []string { return []string{"gsetsid", "-f", "-w"} }},
	} {
		// Also as a child of a parent that ignores the signals Go leaves to a
		// C library (a CI runner did): the command gets them at their default.
		for _, inherited := range []bool{false, true} {
			name := c.name
			if inherited {
				name += ", 32 and 34 ignored by its parent"
			}
			t.Run(name, func(t *testing.T) { relayEverySignal(t, recorder, c.argv, inherited) })
		}
	}
}

// relayEverySignal is TestRelayPassesOnEverySignal for the relay that
// argv(dir) starts, started with the unmanaged signals ignored if inherited.
func relayEverySignal(t *testing.T, recorder string, relayArgv func(dir string) []string, inherited bool) {
	dir := tempDir(t)
	record, ready := filepath.Join(dir, "record"), filepath.Join(dir, "ready")
	argv := append(relayArgv(dir), recorder, record, ready)
	if inherited {
		argv = append(testutil.HelperArgs("ignoring"), argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	// A job of its own, as a shell starts one: a group whose parent
	// is in the session, so the kernel acts on a stop.
	cmd.Dir, cmd.SysProcAttr = dir, &syscall.SysProcAttr{Setpgid: true}
	exited := startBackground(t, cmd, func() string { return "recorded: " + readFile(t, record) })
	relay := testutil.Watch(t, cmd.Process.Pid)
	pid := testutil.ReadyPID(t, ready, relay)
	command := testutil.Watch(t, pid)
	command.KillAtCleanup(t)
	checkStartsClean(t, pid, 2) // gnohup's SIGHUP is ignored on purpose
	checkEverySignal(t, relay, command, record, notRelayed, nil)
	// The end: the command dies, and the relay of the same signal.
	if err := command.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	relay.WaitExit(t)
	<-exited
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("the relay ended %v, want by SIGKILL, as its command", cmd.ProcessState)
	}
}

// A script run by a relay: what the user does to the job reaches the
// script's own children, as it does without the relay (nohup, the control,
// leaves the script in the terminal's foreground group). Ctrl-C ends the
// child at once (the shell waiting for it would not pass the SIGINT on), and
// Ctrl-Z stops it with the job.
func TestRelaySignalsTheWholeGroup(t *testing.T) {
	for _, prefix := range []string{"nohup ", "gnohup ", "gsetsid -w "} {
		t.Run(strings.TrimSpace(prefix)+": Ctrl-C", func(t *testing.T) {
			dir := tempDir(t)
			tm := startTerm(t, dir)
			pid := tm.job(prefix+"sh -c '"+helperLine("sleep", dir)+"; true'", dir)
			tm.key(ctrlC) // the prompt comes back: the whole job ended
			waitGone(t, pid)
		})
		t.Run(strings.TrimSpace(prefix)+": Ctrl-Z, kill %1", func(t *testing.T) {
			dir := tempDir(t)
			tm := startTerm(t, dir)
			pid := tm.job(prefix+"sh -c '"+helperLine("tick", dir)+" > "+filepath.Join(dir, "out")+"; true'", dir)
			tm.key(ctrlZ)
			waitStopped(t, pid)
			tm.run("kill %1; fg")
			waitGone(t, pid)
		})
	}
}

// checkEverySignal sends relay, one by one, every signal from 1 to 64 but
// KILL, STOP and the marker (64): each one that notPassed does not list must
// reach command, a C recorder writing to record, and none that it lists may;
// a job-control stop must stop both (the command first) and the SIGCONT
// resume both; relay must never die of one. The signals in skip are not
// sent.
func checkEverySignal(t *testing.T, relay, command *testutil.Proc, record string, notPassed map[syscall.Signal]string, skip []syscall.Signal) {
	t.Helper()
	const marker = syscall.Signal(64) // passed on, and above every signal that is not
	for sig := syscall.Signal(1); sig <= 64; sig++ {
		if sig == syscall.SIGKILL || sig == syscall.SIGSTOP || sig == marker || slices.Contains(skip, sig) {
			continue
		}
		before := recorded(t, record)
		if err := relay.Signal(sig); err != nil {
			t.Fatalf("signal %d: the relay is gone: %v", sig, err)
		}
		switch {
		case sig == syscall.SIGTSTP || sig == syscall.SIGTTIN || sig == syscall.SIGTTOU:
			// The command's group stops first, then the relay.
			command.WaitStat(t, fmt.Sprintf("the command stopped by %v", sig), func(st testutil.Stat) bool { return st.State == 'T' })
			relay.WaitStat(t, fmt.Sprintf("the relay stopped by %v", sig), func(st testutil.Stat) bool { return st.State == 'T' })
			if err := relay.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			command.WaitFor(t, "the SIGCONT at the command", func() (bool, string) {
				return recorded(t, record)[int(syscall.SIGCONT)] > before[int(syscall.SIGCONT)], "record: " + readFile(t, record)
			})
			if got := recorded(t, record)[int(sig)]; got != before[int(sig)] {
				t.Errorf("%v reached the command itself (its group is orphaned: the kernel would drop it)", sig)
			}
		case notPassed[sig] != "":
			// The marker, once at the command, shows the relay has dealt
			// with sig: pending together, the lower number goes first.
			if err := relay.Signal(marker); err != nil {
				t.Fatal(err)
			}
			command.WaitFor(t, fmt.Sprintf("the marker after %v", sig), func() (bool, string) {
				return recorded(t, record)[int(marker)] > before[int(marker)], "record: " + readFile(t, record)
			})
			if got := recorded(t, record)[int(sig)]; got != before[int(sig)] {
				t.Errorf("signal %d (%v) reached the command, where the man page says it does not: %s", sig, sig, notPassed[sig])
			}
		default:
			command.WaitFor(t, fmt.Sprintf("signal %d (%v) at the command", sig, sig), func() (bool, string) {
				return recorded(t, record)[int(sig)] > before[int(sig)], "record: " + readFile(t, record)
			})
		}
		if relay.Exited(t, 0) {
			t.Fatalf("the relay died of signal %d (%v)", sig, sig)
		}
	}
}
