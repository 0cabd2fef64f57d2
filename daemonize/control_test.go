package daemonize

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
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
		r := Status(cfg.Files)
		if r.State != want || r.PID != wantPID {
			t.Errorf("%s: Status = %+v; want %v (pid %d)", what, r, want, wantPID)
		}
	}
	check("running", Running, pid)
	if r := Status(cfg.Files); !slices.Equal(r.Holders, []int{pid}) {
		t.Errorf("holders %v, want the daemon", r.Holders)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	waitReaped(t, pid)
	check("killed", Dead, pid)

	// A PID reused by a process started after the pidfile was written
	// (this test, with the pidfile's time set back), which holds no lock.
	os.WriteFile(cfg.Pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(cfg.Pidfile, old, old)
	check("the PID of a process started after the pidfile", Dead, os.Getpid())

	// Not a pidfile: never "dead", and it stays.
	os.WriteFile(cfg.Pidfile, []byte("garbage\n"), 0o644)
	check("garbage", Unknown, 0)
	os.Remove(cfg.Pidfile)
	check("no pidfile", NotRunning, 0)
}

func TestStopRunning(t *testing.T) {
	cfg, pid := startDaemon(t, "sleep")
	r, err := Stop(cfg.Files, syscall.SIGTERM, 10*time.Second)
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
	if _, err := Stop(cfg.Files, syscall.SIGTERM, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("the daemon ended with %v, want SIGKILL after ignoring SIGTERM", ws)
	}
}

// A PID that a process holding no lock has, started after the pidfile was
// written: never signalled; the stale pidfile goes.
func TestStopNeverHitsARecycledPID(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "app.pid")
	// This very test process stands for the process that got the PID.
	os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(pidfile, old, old)
	r, err := Stop(Files{Pidfile: pidfile}, syscall.SIGKILL, time.Second)
	if err != nil || r.State != Dead {
		t.Fatalf("Stop = %+v, %v; want Dead", r, err)
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Error("the stale pidfile remains")
	}
	// Still alive, evidently; and nothing pending but SIGCHLD, which the
	// daemons of other tests, re-parented here as they die, may have sent.
	if pnd, _ := testutil.SignalMask(os.Getpid(), "ShdPnd"); pnd&^(1<<(syscall.SIGCHLD-1)) != 0 {
		t.Errorf("a signal is pending for this process: %x", pnd)
	}
}

func TestStopNotRunning(t *testing.T) {
	r, err := Stop(Files{Pidfile: filepath.Join(t.TempDir(), "none.pid")}, syscall.SIGTERM, time.Second)
	if err != nil || r.State != NotRunning {
		t.Errorf("Stop = %+v, %v; want NotRunning", r, err)
	}
}

// Whatever is not a pidfile makes --status and --stop answer 4 and is left
// as it was: a config file named by mistake is never removed.
func TestStopNeverRemovesWhatIsNotAPidfile(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "important.conf")
	os.WriteFile(conf, []byte("keep = me\n"), 0o644)
	for _, path := range []string{conf, dir, os.DevNull} {
		r, err := Stop(Files{Pidfile: path}, syscall.SIGTERM, time.Second)
		var ce *ControlError
		if r.State != Unknown || !errors.As(err, &ce) || ce.Status != int(Unknown) {
			t.Errorf("Stop(%s) = %+v, %v; want Unknown with status 4", path, r, err)
		}
	}
	if b, _ := os.ReadFile(conf); string(b) != "keep = me\n" {
		t.Error("the config file was changed")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Error("the directory was removed")
	}
}

// A reload signals the daemon and leaves it running.
func TestSignalReload(t *testing.T) {
	cfg, pid := startDaemon(t, "stubborn") // ignores SIGTERM
	if _, err := Signal(cfg.Files, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if r := Status(cfg.Files); r.State != Running || r.PID != pid {
		t.Errorf("after the reload: %+v", r)
	}
	_, err := Signal(Files{Pidfile: filepath.Join(t.TempDir(), "none.pid")}, syscall.SIGHUP)
	var ce *ControlError
	if !errors.As(err, &ce) || ce.Status != StatusNotRunning {
		t.Errorf("reload of nothing = %v, want status 7", err)
	}
}
