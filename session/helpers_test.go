package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
)

// The test binary doubles as the helper processes of these tests. The
// variable names the helper; its arguments follow in os.Args.
const helperEnv = "GDETACH_SESSION_HELPER"

var helpers = map[string]func(args []string) int{
	"sleeper":     sleeper,
	"relay":       relayHelper,
	"report":      report,
	"exec":        execHelper,
	"spawn":       spawn,
	"raise":       raiseHelper,
	"set-default": setDefaultHelper,
	"setsid":      setsidHelper,
	"run":         runHelper,
	"ids":         idsHelper,
	"exit":        exitHelper,
}

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(helpers[name](os.Args[1:]))
	}
	os.Exit(m.Run())
}

// helperCommand returns a command that runs the named helper with a clean
// environment (no GOFLAGS or GODEBUG surprises).
func helperCommand(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	if helpers[name] == nil {
		t.Fatalf("no helper %q", name)
	}
	cmd := exec.Command(os.Args[0], args...)
	// GORACE: a race-enabled helper would otherwise linger a second at exit.
	cmd.Env = []string{helperEnv + "=" + name, "PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0"}
	cmd.Stderr = os.Stderr
	return cmd
}

// state is the state letter of pid in /proc (0 when it is gone).
func state(pid int) byte {
	st, err := testutil.ReadStat(pid)
	if err != nil {
		return 0
	}
	return st.State
}

// writeReady writes this process's PID to path; a helper that cannot is of no use.
func writeReady(path string) {
	if err := testutil.WritePIDFile(path); err != nil {
		panic(err)
	}
}

// sleeper writes its ready file (args[0]) and waits to be killed. Its
// signal dispositions are those it inherited.
func sleeper(args []string) int {
	writeReady(args[0])
	select {}
}

// relayHelper relays to a sleeper: args are the relay's ready file (written
// with the relay's own PID once the sleeper runs) and the sleeper's.
func relayHelper(args []string) int {
	self, _ := os.Executable()
	cmd := exec.Command(self, args[1])
	cmd.Env = []string{helperEnv + "=sleeper", "GORACE=atexit_sleep_ms=0"}
	r := Relay{
		Forward: []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGCONT},
		Ignore:  []os.Signal{syscall.SIGHUP},
		Started: func(int) error { writeReady(args[0]); return nil },
	}
	err := r.Run(cmd)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	return 0
}

// report prints facts about this process, one per line.
func report(args []string) int {
	fmt.Printf("leader=%v\n", IsProcessGroupLeader())
	fmt.Printf("foreground=%v\n", InTerminalForeground())
	return 0
}

// execHelper execs args[0] with Exec, after LookPath.
func execHelper(args []string) int {
	path, err := LookPath(args[0])
	if err == nil {
		err = Exec(path, args, os.Environ())
	}
	fmt.Fprintln(os.Stderr, err)
	return err.(*ExecError).ExitStatus()
}

// spawn runs its arguments as a helper command line in the same process
// group, or (first argument "-pgrp") in a group of its own, and prints that
// child's output.
func spawn(args []string) int {
	self, _ := os.Executable()
	cmd := exec.Command(self)
	if args[0] == "-pgrp" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		args = args[1:]
	}
	cmd.Env = []string{helperEnv + "=" + args[0], "GORACE=atexit_sleep_ms=0"}
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if cmd.SysProcAttr != nil {
		// A background group must not be stopped for touching the terminal.
		signal.Ignore(syscall.SIGTTOU)
	}
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// raiseHelper raises the signal numbered args[0] on itself after catching it,
// the way a relay does once its program has been killed.
func raiseHelper(args []string) int {
	n, _ := strconv.Atoi(args[0])
	sig := syscall.Signal(n)
	signal.Notify(make(chan os.Signal, 1), sig)
	Raise(sig)
	return 99 // not killed
}

// setDefaultHelper ignores SIGHUP, reports SigIgn, sets it to the default
// action and reports SigIgn and SigCgt again.
func setDefaultHelper(args []string) int {
	signal.Ignore(syscall.SIGHUP)
	before, _ := testutil.SignalMask(os.Getpid(), "SigIgn")
	if err := SetDefaultAction(syscall.SIGHUP); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ign, _ := testutil.SignalMask(os.Getpid(), "SigIgn")
	cgt, _ := testutil.SignalMask(os.Getpid(), "SigCgt")
	hup := func(mask uint64) bool { return testutil.HasSignal(mask, syscall.SIGHUP) }
	fmt.Printf("%v %v %v\n", hup(before), hup(ign), hup(cgt))
	return 0
}

func tempPath(t *testing.T, name string) string { return filepath.Join(t.TempDir(), name) }

// setsidHelper calls Setsid and prints "ok" or the error.
func setsidHelper(args []string) int {
	if err := Setsid(); err != nil {
		fmt.Println(err)
		return 0
	}
	fmt.Println("ok")
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }

// runHelper calls Run as gsetsid would: run [-f] [-w] [-c] MODE [ARG]...
// runs this test binary as the helper MODE (or MODE itself, if a path). It exits with the status the
// command would: 0, the program's (128+signal), or 126/127, else 1.
func runHelper(args []string) int {
	var opt Options
	for ; len(args) > 0 && strings.HasPrefix(args[0], "-"); args = args[1:] {
		opt.Fork = opt.Fork || args[0] == "-f"
		opt.Wait = opt.Wait || args[0] == "-w"
		opt.Ctty = opt.Ctty || args[0] == "-c"
	}
	argv := args // a path: run it as it is
	if !strings.HasPrefix(args[0], "/") {
		os.Setenv(helperEnv, args[0]) // what the program, this binary again, runs as
		self, _ := os.Executable()
		argv = append([]string{self}, args[1:]...)
	}
	err := Run(argv, opt)
	var ee *exec.ExitError
	var xe *ExecError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	case errors.As(err, &xe):
		fmt.Fprintln(os.Stderr, err)
		return xe.ExitStatus()
	}
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// idsHelper prints this process's pid, ppid, sid, pgrp and tty_nr, and
// whether /dev/tty opens, as "key=value" words on one line.
func idsHelper(args []string) int {
	st, _ := testutil.ReadStat(os.Getpid())
	_, err := os.Open("/dev/tty")
	fmt.Printf("pid=%d ppid=%d sid=%d pgrp=%d tty_nr=%d devtty=%v\n",
		os.Getpid(), st.PPID, st.SID, st.PGRP, st.TTYNr, err == nil)
	return 0
}

// exitHelper exits with the status given.
func exitHelper(args []string) int {
	n, _ := strconv.Atoi(args[0])
	return n
}
