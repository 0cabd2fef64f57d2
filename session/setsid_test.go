package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
)

// ids parses the line the ids helper prints.
func ids(t *testing.T, out []byte) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, kv := range strings.Fields(string(out)) {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	if m["pid"] == "" {
		t.Fatalf("no ids in %q", out)
	}
	return m
}

// gsetsidCommand returns a command that runs the run helper as gsetsid:
// the leading "-" words of args are its options, and the rest its program,
// either a path, run as it is, or the name of a helper and its arguments,
// run from the helper's copy (testutil.HelperArgv).
func gsetsidCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	n := 0
	for n < len(args) && strings.HasPrefix(args[n], "-") {
		n++
	}
	prog := args[n:]
	if !strings.HasPrefix(prog[0], "/") {
		prog = testutil.HelperArgv(t, prog[0], prog[1:]...)
	}
	return helperCommand(t, "run", append(args[:n:n], prog...)...)
}

// runGsetsid runs gsetsidCommand(args); leader makes it lead its own
// process group, as a shell job does. It returns the program's ids, the
// run helper's PID and its exit status.
func runGsetsid(t *testing.T, leader bool, stdin *os.File, args ...string) (map[string]string, int, int) {
	t.Helper()
	cmd := gsetsidCommand(t, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: leader}
	cmd.Stdin = stdin
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	if stderr.Len() > 0 {
		t.Logf("stderr: %s", stderr.String())
	}
	var m map[string]string
	if len(out) > 0 {
		m = ids(t, out)
	}
	return m, cmd.Process.Pid, cmd.ProcessState.ExitCode()
}

// startWaitingSleeper starts gsetsid -f -w with the sleeper helper as its
// program, and returns the command, the run helper watched (and killed at
// cleanup), and the sleeper's ready file.
func startWaitingSleeper(t *testing.T) (*exec.Cmd, *testutil.Proc, string) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := gsetsidCommand(t, "-f", "-w", "sleeper", ready)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	run := testutil.Watch(t, cmd.Process.Pid)
	run.KillAtCleanup(t)
	return cmd, run, ready
}

func TestRunInPlaceKeepsPID(t *testing.T) {
	m, pid, status := runGsetsid(t, false, nil, "ids")
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	if m["pid"] != fmt.Sprint(pid) {
		t.Errorf("program pid %s, want the caller's %d (exec in place, no fork)", m["pid"], pid)
	}
	if m["sid"] != m["pid"] || m["pgrp"] != m["pid"] || m["tty_nr"] != "0" || m["devtty"] != "false" {
		t.Errorf("program %v: want a session and group of its own, no controlling terminal", m)
	}
}

func TestRunForks(t *testing.T) {
	for _, c := range []struct {
		name   string
		leader bool
		args   []string
	}{
		{"group leader", true, []string{"ids"}},
		{"-f", false, []string{"-f", "ids"}},
		{"-f -w", false, []string{"-f", "-w", "ids"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, pid, status := runGsetsid(t, c.leader, nil, c.args...)
			if status != 0 {
				t.Fatalf("status %d", status)
			}
			if m["pid"] == fmt.Sprint(pid) || m["sid"] != m["pid"] || m["pgrp"] != m["pid"] || m["tty_nr"] != "0" {
				t.Errorf("program %v, caller %d: want a child leading a session of its own", m, pid)
			}
		})
	}
}

func TestRunWaitReturnsStatus(t *testing.T) {
	for _, want := range []int{0, 7} {
		if _, _, status := runGsetsid(t, false, nil, "-f", "-w", "exit", fmt.Sprint(want)); status != want {
			t.Errorf("status %d, want %d", status, want)
		}
	}
	// util-linux would say "did not exit normally" and exit with the raw wait status.
	cmd, run, ready := startWaitingSleeper(t)
	program := testutil.Watch(t, testutil.ReadyPID(t, ready, run))
	program.KillAtCleanup(t)
	if err := program.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got := cmd.ProcessState.ExitCode(); got != 128+int(syscall.SIGTERM) {
		t.Errorf("status for a program killed by SIGTERM: %d, want 143", got)
	}
}

// gsetsid -w passes signals on, but the terminal's hangup: a SIGHUP then a
// SIGTERM end the program by SIGTERM (the kernel delivers the lower number
// first: had SIGHUP been passed on, the program would die of it).
func TestRunWaitForwardsSignals(t *testing.T) {
	for _, c := range []struct {
		send []syscall.Signal
		want syscall.Signal
	}{
		{[]syscall.Signal{syscall.SIGTERM}, syscall.SIGTERM},
		{[]syscall.Signal{syscall.SIGINT}, syscall.SIGINT},
		{[]syscall.Signal{syscall.SIGHUP, syscall.SIGTERM}, syscall.SIGTERM},
	} {
		t.Run(fmt.Sprint(c.send), func(t *testing.T) {
			cmd, run, ready := startWaitingSleeper(t)
			testutil.Watch(t, testutil.ReadyPID(t, ready, run)).KillAtCleanup(t)
			for _, sig := range c.send {
				if err := run.Signal(sig); err != nil {
					t.Fatal(err)
				}
			}
			run.WaitExit(t)
			cmd.Wait()
			if got := cmd.ProcessState.ExitCode(); got != 128+int(c.want) {
				t.Errorf("status %d, want the program's death by %v (%d)", got, c.want, 128+int(c.want))
			}
		})
	}
}

func TestRunReportsExecFailureAfterFork(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, args := range [][]string{{"-f", missing}, {"-f", "-w", missing}} {
		cmd := gsetsidCommand(t, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		cmd.Run()
		want := "failed to execute " + missing + ": No such file or directory\n"
		if cmd.ProcessState.ExitCode() != 127 || stderr.String() != want {
			t.Errorf("%q: status %d, stderr %q; want 127 and %q", args, cmd.ProcessState.ExitCode(), stderr.String(), want)
		}
	}
}

func TestRunCttyWithoutTerminal(t *testing.T) {
	for _, args := range [][]string{{"-c", "ids"}, {"-c", "-f", "ids"}} {
		cmd := gsetsidCommand(t, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, _ := cmd.Output()
		want := "failed to set the controlling terminal: inappropriate ioctl for device\n"
		if cmd.ProcessState.ExitCode() != 1 || stderr.String() != want || len(out) != 0 {
			t.Errorf("%q: status %d, stderr %q, output %q; want 1, %q and no program", args, cmd.ProcessState.ExitCode(), stderr.String(), out, want)
		}
	}
}
