package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/tests/testutil"
)

// relay is a relay helper process and the sleeper it relays to.
type relay struct {
	cmd     *exec.Cmd
	pid     int // the relay
	proc    *testutil.Proc
	sleeper *testutil.Proc
	exited  chan int // the relay's exit status, or 128+signal
}

// startRelay starts the relay helper in a process group of its own (as a
// shell job), and waits until its sleeper runs; both are killed at cleanup.
func startRelay(t *testing.T) *relay {
	t.Helper()
	testutil.UsedHelpers("sleeper") // the relay runs it
	dir := t.TempDir()
	relayReady, sleeperReady := filepath.Join(dir, "relay"), filepath.Join(dir, "sleeper")
	cmd := helperCommand(t, "relay", relayReady, sleeperReady)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &relay{cmd: cmd, pid: cmd.Process.Pid, exited: make(chan int, 1)}
	r.proc = testutil.Watch(t, r.pid)
	r.proc.KillAtCleanup(t)
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
			r.exited <- 0
		case errors.As(err, &ee) && ee.Exited():
			r.exited <- ee.ExitCode()
		case errors.As(err, &ee):
			r.exited <- 128 + int(ee.Sys().(syscall.WaitStatus).Signal())
		default:
			r.exited <- -1
		}
	}()
	r.sleeper = testutil.Watch(t, testutil.ReadyPID(t, sleeperReady, r.proc))
	r.sleeper.KillAtCleanup(t)
	if got := testutil.ReadyPID(t, relayReady, r.proc); got != r.pid {
		t.Fatalf("relay reported PID %d, started %d", got, r.pid)
	}
	return r
}

func (r *relay) signal(t *testing.T, s syscall.Signal) {
	t.Helper()
	if err := r.proc.Signal(s); err != nil {
		t.Fatal(err)
	}
}

// wait returns the relay's exit status and checks that the sleeper is gone too.
func (r *relay) wait(t *testing.T) int {
	t.Helper()
	var status int
	select {
	case status = <-r.exited:
	case <-time.After(time.Until(testutil.Deadline(t))):
		t.Fatal("gave up waiting for the relay to exit")
	}
	// The sleeper was the relay's child and was reaped by it.
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", r.sleeper.PID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the program outlived its relay (stat: %v)", err)
	}
	return status
}

func TestRelayStartsProgramInNewSession(t *testing.T) {
	r := startRelay(t)
	prog, err := testutil.ReadStat(r.sleeper.PID)
	if err != nil {
		t.Fatal(err)
	}
	relay, _ := testutil.ReadStat(r.pid)
	if prog.SID != r.sleeper.PID || prog.PGRP != r.sleeper.PID {
		t.Errorf("program sid %d pgrp %d, want both %d (a session leader)", prog.SID, prog.PGRP, r.sleeper.PID)
	}
	if prog.SID == relay.SID {
		t.Error("program is in the relay's session")
	}
	r.signal(t, syscall.SIGTERM)
	if got := r.wait(t); got != 128+int(syscall.SIGTERM) {
		t.Errorf("relay status %d, want the program's death by SIGTERM (143)", got)
	}
}

func TestRelayForwardsInterrupt(t *testing.T) {
	r := startRelay(t)
	r.signal(t, syscall.SIGINT)
	if got := r.wait(t); got != 128+int(syscall.SIGINT) {
		t.Errorf("relay status %d, want 130", got)
	}
}

func TestRelayIgnoresHangup(t *testing.T) {
	r := startRelay(t)
	ign, err := testutil.SignalMask(r.sleeper.PID, "SigIgn")
	if err != nil {
		t.Fatal(err)
	}
	if !testutil.HasSignal(ign, syscall.SIGHUP) {
		t.Error("the program does not start with SIGHUP ignored")
	}
	// SIGHUP is ignored in the kernel, so nothing is left pending: had the
	// relay caught or defaulted it, SIGINT would not decide the status below.
	r.signal(t, syscall.SIGHUP)
	r.signal(t, syscall.SIGINT)
	if got := r.wait(t); got != 130 {
		t.Errorf("relay status %d after SIGHUP then SIGINT, want 130", got)
	}
}

func TestRelayStopAndContinue(t *testing.T) {
	r := startRelay(t)
	r.signal(t, syscall.SIGTSTP)
	stopped := func(st testutil.Stat) bool { return st.State == 'T' }
	running := func(st testutil.Stat) bool { return st.State != 'T' }
	r.sleeper.WaitStat(t, "program stopped", stopped)
	r.proc.WaitStat(t, "relay stopped", stopped)
	r.signal(t, syscall.SIGCONT)
	r.sleeper.WaitStat(t, "program continued", running)
	r.proc.WaitStat(t, "relay continued", running)
	r.signal(t, syscall.SIGTERM)
	if got := r.wait(t); got != 143 {
		t.Errorf("relay status %d, want 143", got)
	}
}

func TestRelayReturnsExitStatus(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "exit 7")
	err := (&Relay{}).Run(cmd)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Errorf("Run = %v, want exit status 7", err)
	}
	if err := (&Relay{}).Run(exec.Command("/bin/true")); err != nil {
		t.Errorf("Run(true) = %v", err)
	}
}

func TestRelayCannotRun(t *testing.T) {
	cmd := &exec.Cmd{Path: filepath.Join(t.TempDir(), "nope"), Args: []string{"nope"}}
	err := (&Relay{}).Run(cmd)
	var ee *execvp.Error
	if !errors.As(err, &ee) || ee.ExitStatus() != 127 {
		t.Errorf("Run = %v, want an *execvp.Error with status 127", err)
	}
}

func TestRelayStartedFailureKillsProgram(t *testing.T) {
	failed := errors.New("pidfile unwritable")
	var pid int
	cmd := exec.Command("/bin/sh", "-c", "exec sleep 1000")
	err := (&Relay{Started: func(p int) error { pid = p; return failed }}).Run(cmd)
	if !errors.Is(err, failed) {
		t.Errorf("Run = %v, want the Started error", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("program %d still exists after Started failed", pid)
	}
}
