//go:build linux

package process

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

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

func TestParseStatOddName(t *testing.T) {
	st, err := parseStat([]byte("42 (a) (b c) S 1) T 7 42 5 34816 0 0 0 0 0 0 3 4 0 0 20 0 1 0 12345 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{State: 'T', PPID: 7, PGRP: 42, SID: 5, TTYNr: 34816, UTime: 3 * clockTick, STime: 4 * clockTick, Start: 12345 * clockTick}
	if st != want {
		t.Errorf("parseStat = %+v, want %+v", st, want)
	}
	for _, bad := range []string{"", "42 (x)", "42 (x) S 1 2 3", "42 (x) S a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestReadStatAndStart(t *testing.T) {
	before := time.Now().Add(-time.Second) // the tick rounds the start down
	cmd := startParked(t)
	st, err := ReadStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != os.Getpid() || st.PGRP != cmd.Process.Pid {
		t.Errorf("stat %+v: want parent %d and its own group", st, os.Getpid())
	}
	if ok, err := StartedBy(cmd.Process.Pid, time.Now()); err != nil || !ok {
		t.Errorf("StartedBy(now) = %v, %v; it started before", ok, err)
	}
	if ok, _ := StartedBy(cmd.Process.Pid, before.Add(-time.Minute)); ok {
		t.Error("StartedBy(a minute before it started) = true: a recycled PID would pass")
	}
	if kids, err := Children(os.Getpid()); err != nil || !slices.Contains(kids, cmd.Process.Pid) {
		t.Errorf("Children = %v, %v", kids, err)
	}
	if _, err := ReadStat(1 << 30); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadStat of no process: %v", err)
	}
}

func TestHandle(t *testing.T) {
	cmd := startParked(t)
	h, err := Open(cmd.Process.Pid)
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
	if err := h.Signal(syscall.SIGTERM); !errors.Is(err, ErrGone) {
		t.Errorf("Signal to a reaped process = %v, want ErrGone", err)
	}
	if _, err := Open(cmd.Process.Pid); !errors.Is(err, ErrGone) && err != nil {
		t.Errorf("Open of a reaped process = %v", err)
	}
}
