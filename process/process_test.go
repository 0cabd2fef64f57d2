//go:build linux

package process_test

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/tests/testutil"
)

func TestMain(m *testing.M) {
	testutil.RegisterHelper("park", func([]string) int { testutil.Park(); return 0 })
	testutil.Main(m)
}

func startParked(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := testutil.HelperCommand(t, "park")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func TestReadStatAndStart(t *testing.T) {
	before := time.Now().Add(-time.Second) // the tick rounds the start down
	cmd := startParked(t)
	st, err := process.ReadStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != os.Getpid() || st.PGRP != cmd.Process.Pid {
		t.Errorf("stat %+v: want parent %d and its own group", st, os.Getpid())
	}
	if ok, err := process.StartedBy(cmd.Process.Pid, time.Now()); err != nil || !ok {
		t.Errorf("StartedBy(now) = %v, %v; it started before", ok, err)
	}
	if ok, _ := process.StartedBy(cmd.Process.Pid, before.Add(-time.Minute)); ok {
		t.Error("StartedBy(a minute before it started) = true: a recycled PID would pass")
	}
	if kids, err := process.Children(os.Getpid()); err != nil || !slices.Contains(kids, cmd.Process.Pid) {
		t.Errorf("Children = %v, %v", kids, err)
	}
	if _, err := process.ReadStat(1 << 30); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadStat of no process: %v", err)
	}
}

func TestHandle(t *testing.T) {
	cmd := startParked(t)
	h, err := process.Open(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if gone, err := h.Wait(0); gone || err != nil {
		t.Fatalf("Wait(0) = %v, %v on a running process", gone, err)
	}
	if err := h.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if gone, err := h.Wait(time.Until(testutil.Deadline(t))); !gone || err != nil {
		t.Fatalf("Wait after SIGKILL = %v, %v", gone, err)
	}
	cmd.Wait()
	if err := h.Signal(syscall.SIGTERM); !errors.Is(err, process.ErrGone) {
		t.Errorf("Signal to a reaped process = %v, want process.ErrGone", err)
	}
	if _, err := process.Open(cmd.Process.Pid); !errors.Is(err, process.ErrGone) && err != nil {
		t.Errorf("Open of a reaped process = %v", err)
	}
}

// An Identity is alive while its process runs, and no longer once it has
// exited (a zombie not yet reaped included), or when its PID names a process
// that started at another time: the PID reused.
func TestIdentityAlive(t *testing.T) {
	cmd := startParked(t)
	id, err := process.Identify(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	st, err := process.ReadStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if id.PID != cmd.Process.Pid || id.Start == 0 || time.Duration(id.Start)*10*time.Millisecond != st.Start {
		t.Fatalf("Identify = %+v, want pid %d started at tick %v", id, cmd.Process.Pid, st.Start)
	}
	alive := func(id process.Identity) bool {
		t.Helper()
		ok, err := id.Alive()
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !alive(id) {
		t.Fatal("a running process is not alive")
	}
	// The control: the same PID with another start time is some other process.
	if alive(process.Identity{PID: id.PID, Start: id.Start + 1}) {
		t.Error("a PID that started at another tick (reused) is alive")
	}
	if !alive(process.Identity{PID: id.PID}) {
		t.Error("a running PID without a start time is not alive")
	}
	cmd.Process.Kill()
	testutil.Watch(t, id.PID).WaitExit(t) // exited, not reaped: a zombie
	if st, err := process.ReadStat(id.PID); err != nil || st.State != 'Z' {
		t.Fatalf("the killed process: state %c, %v; want a zombie", st.State, err)
	}
	if alive(id) {
		t.Error("a zombie is alive")
	}
	cmd.Wait()
	if alive(id) {
		t.Error("a reaped process is alive")
	}
	if _, err := process.Identify(id.PID); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Identify of a reaped process: %v", err)
	}
	if _, err := (process.Identity{}).Alive(); err == nil {
		t.Error("pid 0 is alive or dead, not a mistake")
	}
}
