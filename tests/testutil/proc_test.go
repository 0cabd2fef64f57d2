//go:build linux

package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	RegisterHelper("park", func([]string) int { Park(); return 0 })
	RegisterHelper("exit", func([]string) int { return 3 })
	Main(m)
}

// startStopped starts prog (a path) in a process group of its own, stops it
// with SIGSTOP and waits until the kernel reports it stopped: the one state
// /proc/PID/stat must then show, whatever the machine's load.
func startStopped(t *testing.T, prog string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WSTOPPED, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("waitid: %v", err)
		}
		break
	}
	return cmd
}

// The reader against a child in a known state, and with a command name made
// to confuse a parser: spaces and parentheses (the kernel takes it from the
// name of the file executed).
func TestReadStatOfStoppedChild(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	link := filepath.Join(t.TempDir(), "a) (b c) S 1")
	if err := os.Symlink(sleep, link); err != nil {
		t.Fatal(err)
	}
	cmd := startStopped(t, link, "60")
	st, err := ReadStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	self, err := ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{State: 'T', PPID: os.Getpid(), PGRP: cmd.Process.Pid, SID: self.SID, TTYNr: self.TTYNr}
	st.UTime, st.STime, st.Start = 0, 0, 0 // whatever it used before the stop, and when it started
	if st != want {
		t.Errorf("stat %+v, want %+v", st, want)
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
	cmd := HelperCommand(t, "park")
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

// A parked helper lives in a binary with or without cgo (CGO_ENABLED=0 go
// test runs this too): it answers Watch as running until it is killed.
func TestParkedHelperLives(t *testing.T) {
	cmd := HelperCommand(t, "park")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p := Watch(t, cmd.Process.Pid)
	// Parked is sleeping in the kernel: S, never exited.
	p.WaitStat(t, "the helper parked", func(st Stat) bool { return st.State == 'S' })
	if p.Exited(t, 0) {
		t.Fatal("the parked helper exited")
	}
	p.Signal(syscall.SIGKILL)
	p.WaitExit(t)
}

// fatalRecorder is a testing.TB whose Fatalf ends only the goroutine of the
// wait under test, recording the message; its deadline is far away, so a
// wait that polled until the deadline would hang the test instead of passing.
type fatalRecorder struct {
	*testing.T
	mu  sync.Mutex
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.msg = strings.TrimSpace(fmt.Sprintf(format, args...))
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *fatalRecorder) Deadline() (time.Time, bool) { return time.Now().Add(time.Hour), true }

// runRecorded runs f with a recorder in a goroutine of its own and returns
// what it failed with ("" if it returned).
func runRecorded(t *testing.T, f func(tb *fatalRecorder)) string {
	r := &fatalRecorder{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msg
}

// A wait on a process that exits before the condition holds fails at once,
// naming the process and what the condition last saw.
func TestProcWaitFailsWhenProcessExits(t *testing.T) {
	cmd := HelperCommand(t, "exit")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := Watch(t, cmd.Process.Pid)
	go cmd.Wait()
	msg := runRecorded(t, func(r *fatalRecorder) {
		p.WaitFor(r, "a condition that never holds", func() (bool, string) { return false, "nothing yet" })
	})
	want := "exited while waiting for a condition that never holds; last saw: nothing yet"
	if !strings.Contains(msg, want) || !strings.Contains(msg, fmt.Sprintf("process %d", cmd.Process.Pid)) {
		t.Errorf("wait failed with %q, want %q and the PID", msg, want)
	}
	// A condition that became true as the process exited still passes.
	if msg := runRecorded(t, func(r *fatalRecorder) { p.WaitFor(r, "done", func() (bool, string) { return true, "" }) }); msg != "" {
		t.Errorf("a condition that holds failed: %q", msg)
	}
	// So does a ready file, watched through the process that should write it.
	msg = runRecorded(t, func(r *fatalRecorder) { ReadyPID(r, filepath.Join(t.TempDir(), "never"), p) })
	if !strings.Contains(msg, "exited while waiting for ready file") {
		t.Errorf("ReadyPID failed with %q, want the exit named", msg)
	}
}

func TestRotatedLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	os.WriteFile(path+".2", []byte("a\nb\n"), 0o644)
	os.WriteFile(path, []byte("c\n"), 0o644)
	files := RotatedLog(t, path, 3)
	if len(files) != 2 || files[0].Path != path+".2" || files[1].Path != path {
		t.Fatalf("files %v, want .2 then the log itself", files)
	}
	if got := Lines(files); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("lines %q", got)
	}
}
