package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"unsafe"

	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

func TestSetDefaultActionUnignores(t *testing.T) {
	out, err := helperCommand(t, "set-default").Output()
	if err != nil {
		t.Fatal(err)
	}
	// ignored before; neither ignored nor caught after
	if got, want := string(out), "true false false\n"; got != want {
		t.Errorf("SigIgn before, SigIgn after, SigCgt after = %q, want %q", got, want)
	}
}

func TestRaiseDiesBySignal(t *testing.T) {
	// Let the helper dump core, so that Raise must be the one to prevent it.
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &old); err != nil {
		t.Fatal(err)
	}
	if old.Max == 0 {
		t.Log("core dumps are disabled by the hard limit: the no-core check is weaker")
	}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: old.Max, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_CORE, &old)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGQUIT, syscall.SIGSEGV, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := helperCommand(t, "raise", strconv.Itoa(int(sig)))
			cmd.Dir = t.TempDir()
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("helper exited %v, want death by %v", err, sig)
			}
			ws := ee.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != sig {
				t.Fatalf("wait status %v, want killed by %v", ws, sig)
			}
			if ws.CoreDump() {
				t.Error("the relay dumped core")
			}
			if entries, _ := os.ReadDir(cmd.Dir); len(entries) != 0 {
				t.Errorf("files left in the working directory: %v", entries)
			}
		})
	}
}

// ignoreRaw ignores sig behind the Go runtime's back, as a caller written in
// C may have: os/signal cannot touch signal 32.
func ignoreRaw(sig syscall.Signal) error {
	var act kernelSigaction
	*(*uintptr)(unsafe.Pointer(&act[handlerOffset])) = sigIgn
	return rtSigaction(sig, &act, nil)
}

func TestResetIgnoredSignals(t *testing.T) {
	out, err := helperCommand(t, "reset-ignored").Output()
	if err != nil {
		t.Fatal(err)
	}
	// SigIgn before (HUP, QUIT-less: the runtime owns QUIT, and 32), after.
	if got, want := string(out), "80000001 0\n"; got != want {
		t.Errorf("SigIgn before and after = %q, want %q", got, want)
	}
}

func init() { testutil.RegisterHelper("reset-ignored", resetIgnoredHelper) }

// resetIgnoredHelper ignores SIGHUP and signal 32 (behind the runtime's
// back), calls ResetIgnoredSignals, and prints SigIgn before and after, in
// hex; it exits 1 if either step fails.
func resetIgnoredHelper(args []string) int {
	signal.Ignore(syscall.SIGHUP)
	if err := ignoreRaw(32); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	before, _ := testutil.SignalMask(os.Getpid(), "SigIgn")
	if err := ResetIgnoredSignals(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	after, _ := testutil.SignalMask(os.Getpid(), "SigIgn")
	fmt.Printf("%x %x\n", before, after)
	return 0
}
