package testutil

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
)

// HelperName is the name a test binary answers to as a helper process: when
// the base name of its argv[0] is HelperName, os.Args[1] names the helper and
// the rest are its arguments. The name travels in argv, not in the
// environment, so a helper is still one when the command under test starts
// it with an environment of its own, or through ssh.
const HelperName = "helper"

var (
	helperMu   sync.Mutex
	helpers    = map[string]func(args []string) int{}
	helperUsed = map[string]bool{}
	helperCopy struct {
		once sync.Once
		dir  string
		path string
		err  error
	}
)

// RegisterHelper makes the test binary able to run f as the helper called
// name; f's result is the helper's exit status. Call it from an init
// function or before Main. A registered helper that no test asked for (by
// HelperArgs, HelperCommand or UsedHelpers) fails a full run of the tests,
// so helpers do not outlive their use (os/exec's registerHelperCommand).
func RegisterHelper(name string, f func(args []string) int) {
	helperMu.Lock()
	defer helperMu.Unlock()
	if helpers[name] != nil {
		panic("testutil: helper " + name + " registered twice")
	}
	helpers[name] = f
}

// RunHelperIfAsked runs the helper this process was started as, if it was
// started as one, and exits with its status; otherwise it returns.
func RunHelperIfAsked() {
	if filepath.Base(os.Args[0]) != HelperName {
		return
	}
	if len(os.Args) < 2 || helpers[os.Args[1]] == nil {
		fmt.Fprintf(os.Stderr, "helper: unknown helper %q\n", os.Args[1:])
		os.Exit(2)
	}
	os.Exit(helpers[os.Args[1]](os.Args[2:]))
}

// RunTests runs the tests and returns the status for os.Exit: m.Run's,
// or 1 when the tests passed in a full run (no -test.run, -test.skip or
// -test.list) but some registered helper was never used.
func RunTests(m *testing.M) int {
	// Race-enabled helpers and commands would otherwise wait a second at exit.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	// Under nohup, or in the background of a shell without job control,
	// SIGHUP or SIGINT comes ignored, and every helper would inherit that:
	// a test that kills one with SIGHUP would wait for ever. Catching them
	// here (and dropping them) makes children start with the default action,
	// as os/signal's TestNohup does.
	for _, sig := range []os.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if signal.Ignored(sig) {
			signal.Notify(make(chan os.Signal, 1), sig)
		}
	}
	status := m.Run()
	if helperCopy.dir != "" {
		os.RemoveAll(helperCopy.dir)
	}
	full := true
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			full = false
		}
	}
	if status == 0 && full {
		if unused := unusedHelpers(); len(unused) > 0 {
			fmt.Fprintf(os.Stderr, "testutil: registered helpers no test used: %v\n", unused)
			status = 1
		}
	}
	return status
}

// Main is TestMain for a package whose tests need nothing else: it runs the
// helper this process was started as, or the tests.
func Main(m *testing.M) {
	RunHelperIfAsked()
	os.Exit(RunTests(m))
}

// UsedHelpers marks helpers as used without running them: a test that
// skips (no sshd, no PID namespace) says which helpers it would have run, so
// that the unused-helper check does not fail on a machine that lacks them.
func UsedHelpers(names ...string) {
	helperMu.Lock()
	defer helperMu.Unlock()
	for _, name := range names {
		if helpers[name] == nil {
			panic("testutil: no helper " + name)
		}
		helperUsed[name] = true
	}
}

// HelperArgs returns the argument list that runs the named helper with
// args, HelperName first: the argv of a helper command, or the words of a
// shell line with a helper on $PATH. It marks the helper used, and panics
// for a name never registered (a typo in a test).
func HelperArgs(name string, args ...string) []string {
	UsedHelpers(name)
	return append([]string{HelperName, name}, args...)
}

// HelperCommand returns a command that runs the named helper: this test
// binary again, with HelperArgs as its argv and the test's environment.
func HelperCommand(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find the test binary: %v", err)
	}
	cmd := exec.Command(exe)
	cmd.Args = HelperArgs(name, args...)
	return cmd
}

// HelperPath returns the path of a copy of the test binary named
// HelperName, in a directory every user may read: for code that takes a
// program path rather than an exec.Cmd (a daemonizer's COMMAND), and for
// helpers run as another user. The copy is made once and removed by
// RunTests.
func HelperPath(t testing.TB) string {
	t.Helper()
	helperCopy.once.Do(func() {
		helperCopy.dir, helperCopy.err = os.MkdirTemp("", "gdetach-helper-")
		if helperCopy.err == nil {
			helperCopy.path, helperCopy.err = InstallHelper(helperCopy.dir)
		}
	})
	if helperCopy.err != nil {
		t.Fatalf("install the helper: %v", helperCopy.err)
	}
	return helperCopy.path
}

// HelperArgv returns the argv that runs the named helper with args from
// HelperPath's copy: the copy's path, then name and args. It is for code
// that looks argv[0] up and executes it (a daemonizer's COMMAND, gsetsid's
// PROGRAM), which would not find HelperArgs's bare HelperName. It marks the
// helper used.
func HelperArgv(t testing.TB, name string, args ...string) []string {
	t.Helper()
	return append([]string{HelperPath(t)}, HelperArgs(name, args...)[1:]...)
}

// InstallHelper copies the test binary into dir as HelperName, readable and
// executable by all (dir itself too), and returns the copy's path. A copy,
// not a symbolic link: another user may not be able to reach the test
// binary's own directory.
func InstallHelper(dir string) (string, error) {
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	src, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer src.Close()
	path := filepath.Join(dir, HelperName)
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return "", err
	}
	return path, dst.Close()
}

func unusedHelpers() []string {
	helperMu.Lock()
	defer helperMu.Unlock()
	var names []string
	for name := range helpers {
		if !helperUsed[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Park blocks a helper until a signal ends it. It waits on a signal
// channel, not in `select {}`: with no goroutine able to run, a binary
// without cgo would die with "all goroutines are asleep", and only the race
// build (which links cgo) would survive. SIGURG is the runtime's own
// preemption signal, already caught, so no disposition changes.
func Park() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGURG)
	for range c {
	}
}
