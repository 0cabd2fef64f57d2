//go:build linux

package testutil

import (
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func TestReadStatOfSelf(t *testing.T) {
	st, err := ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != os.Getppid() || st.PGRP != syscall.Getpgrp() || st.State != 'R' {
		t.Errorf("stat %+v, want ppid %d, pgrp %d, running", st, os.Getppid(), syscall.Getpgrp())
	}
}

func TestSignalMask(t *testing.T) {
	signal.Ignore(syscall.SIGUSR2)
	defer signal.Reset(syscall.SIGUSR2)
	ign, err := SignalMask(os.Getpid(), "SigIgn")
	if err != nil {
		t.Fatal(err)
	}
	if !HasSignal(ign, syscall.SIGUSR2) || HasSignal(ign, syscall.SIGUSR1) {
		t.Errorf("SigIgn %x: want SIGUSR2 ignored and SIGUSR1 not", ign)
	}
	if kb, err := StatusKB(os.Getpid(), "VmRSS"); err != nil || kb <= 0 {
		t.Errorf("VmRSS %d, %v", kb, err)
	}
}

func TestChildren(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	kids, err := Children(os.Getpid())
	if err != nil || !slices.Contains(kids, cmd.Process.Pid) {
		t.Errorf("Children = %v, %v; want %d among them", kids, err, cmd.Process.Pid)
	}
}

func TestPIDFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pid")
	if err := WritePIDFile(path); err != nil {
		t.Fatal(err)
	}
	if got := ReadyPID(t, path); got != os.Getpid() {
		t.Errorf("read %d, want %d", got, os.Getpid())
	}
	os.WriteFile(path, []byte("12"), 0o644)
	if _, err := ReadPIDFile(path); err == nil {
		t.Error("a PID without its newline was accepted: it may be half written")
	}
}
