package daemonize

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

func startDaemon(t *testing.T, name string) (Config, int) {
	t.Helper()
	cfg, dir := daemonConfig(t, name)
	if err := Start(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg, started(t, cfg, dir)
}

// waitReaped kills nothing: it reaps pid (our child, through the subreaper)
// once it exits, so that /proc no longer shows it.
func waitReaped(t *testing.T, pid int) {
	t.Helper()
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatalf("reap %d: %v", pid, err)
	}
}

func TestStatusStates(t *testing.T) {
	cfg, pid := startDaemon(t, "sleep")
	check := func(what string, want State, wantPID int) {
		t.Helper()
		r, err := Status(cfg.Pidfile, "")
		if err != nil || r.State != want || r.PID != wantPID {
			t.Errorf("%s: Status = %+v, %v; want %v (pid %d)", what, r, err, want, wantPID)
		}
	}
	check("running", Running, pid)
	syscall.Kill(pid, syscall.SIGKILL)
	waitReaped(t, pid)
	check("killed", Dead, pid)

	// A PID recycled by a process that does not hold the lock: this test.
	os.WriteFile(cfg.Pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	check("recycled PID", Dead, os.Getpid())
	os.WriteFile(cfg.Pidfile, []byte("garbage\n"), 0o644)
	check("garbage", Dead, 0)
	os.Remove(cfg.Pidfile)
	check("no pidfile", NotRunning, 0)
}

func TestStopRunning(t *testing.T) {
	cfg, pid := startDaemon(t, "sleep")
	r, err := Stop(cfg.Pidfile, "", syscall.SIGTERM, 10*time.Second)
	if err != nil || r.State != Running || r.PID != pid {
		t.Fatalf("Stop = %+v, %v; want it to have stopped %d", r, err, pid)
	}
	if _, err := os.Stat(cfg.Pidfile); !os.IsNotExist(err) {
		t.Error("the pidfile remains")
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("the daemon ended with %v, want SIGTERM", ws)
	}
}

func TestStopEscalatesToKill(t *testing.T) {
	cfg, pid := startDaemon(t, "stubborn")
	if _, err := Stop(cfg.Pidfile, "", syscall.SIGTERM, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("the daemon ended with %v, want SIGKILL after ignoring SIGTERM", ws)
	}
}

func TestStopNeverHitsARecycledPID(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "app.pid")
	// This very test process stands for the process that got the PID.
	os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	r, err := Stop(pidfile, "", syscall.SIGKILL, time.Second)
	if err != nil || r.State != Dead {
		t.Fatalf("Stop = %+v, %v; want Dead", r, err)
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Error("the stale pidfile remains")
	}
	// Still alive, evidently; and nothing pending.
	if pnd, _ := testutil.SignalMask(os.Getpid(), "ShdPnd"); pnd != 0 {
		t.Errorf("a signal is pending for this process: %x", pnd)
	}
}

func TestStopNotRunning(t *testing.T) {
	r, err := Stop(filepath.Join(t.TempDir(), "none.pid"), "", syscall.SIGTERM, time.Second)
	if err != nil || r.State != NotRunning {
		t.Errorf("Stop = %+v, %v; want NotRunning", r, err)
	}
}
