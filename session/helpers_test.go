package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/tests/testutil"
)

func init() {
	testutil.RegisterHelper("sleeper", sleeper)
	testutil.RegisterHelper("relay", relayHelper)
	testutil.RegisterHelper("report", report)
	testutil.RegisterHelper("spawn", spawn)
	testutil.RegisterHelper("raise", raiseHelper)
	testutil.RegisterHelper("set-default", setDefaultHelper)
	testutil.RegisterHelper("setsid", setsidHelper)
	testutil.RegisterHelper("run", runHelper)
	testutil.RegisterHelper("ids", idsHelper)
	testutil.RegisterHelper("exit", exitHelper)
}

func TestMain(m *testing.M) { testutil.Main(m) }

// helperCommand is testutil.HelperCommand with the helper's standard error
// passed through to the test's, so that a failing helper says why.
func helperCommand(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := testutil.HelperCommand(t, name, args...)
	cmd.Stderr = os.Stderr
	return cmd
}

// writeReady writes this process's PID to path; a helper that cannot is of no use.
func writeReady(path string) {
	if err := testutil.WritePIDFile(path); err != nil {
		panic(err)
	}
}

// sleeper READY writes its PID to the file READY and parks until a signal
// kills it. Its signal dispositions are those it inherited.
func sleeper(args []string) int {
	writeReady(args[0])
	testutil.Park()
	return 0
}

// relayHelper RELAY-READY SLEEPER-READY runs the sleeper helper (with
// SLEEPER-READY) under a Relay that forwards SIGINT, SIGTERM and SIGCONT and
// ignores SIGHUP, writes its own PID to RELAY-READY once the sleeper runs,
// and exits with the sleeper's status (128+signal when it was killed), or
// 125 when the relay fails.
func relayHelper(args []string) int {
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Args = testutil.HelperArgs("sleeper", args[1])
	r := Relay{
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

// report prints whether this process leads its process group and whether
// that group is its terminal's foreground, as "leader=BOOL" and
// "foreground=BOOL" lines.
func report(args []string) int {
	fmt.Printf("leader=%v\n", IsProcessGroupLeader())
	fmt.Printf("foreground=%v\n", InTerminalForeground())
	return 0
}

// spawn [-pgrp] HELPER [ARG]... runs the named helper as a child in this
// process's group, or with -pgrp in a group of its own (ignoring SIGTTOU, so
// that it is not stopped for touching the terminal), passes its output
// through, and exits 0, or 1 when the child failed.
func spawn(args []string) int {
	self, _ := os.Executable()
	cmd := exec.Command(self)
	if args[0] == "-pgrp" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		args = args[1:]
	}
	cmd.Args = testutil.HelperArgs(args[0], args[1:]...)
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

// raiseHelper SIGNO catches the signal numbered SIGNO, then raises it on
// itself with Raise, the way a relay does once its program has been killed:
// it should die by it; it exits 99 if it survives.
func raiseHelper(args []string) int {
	n, _ := strconv.Atoi(args[0])
	sig := syscall.Signal(n)
	signal.Notify(make(chan os.Signal, 1), sig)
	Raise(sig)
	return 99 // not killed
}

// setDefaultHelper ignores SIGHUP, sets it back with SetDefaultAction and
// prints whether SIGHUP was in SigIgn before, and in SigIgn and SigCgt
// after, as three booleans on one line.
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

// setsidHelper calls Setsid and prints "ok" or the error; it exits 0.
func setsidHelper(args []string) int {
	if err := Setsid(); err != nil {
		fmt.Println(err)
		return 0
	}
	fmt.Println("ok")
	return 0
}

// runHelper [-f] [-w] [-c] PROGRAM [ARG]... calls Run as gsetsid would,
// with Options Fork, Wait and Ctty for -f, -w and -c. It exits with the
// status gsetsid would: 0, the program's (128+signal when it was killed),
// or the execvp.Error's 126/127, else 1.
func runHelper(args []string) int {
	var opt Options
	for ; len(args) > 0 && strings.HasPrefix(args[0], "-"); args = args[1:] {
		opt.Fork = opt.Fork || args[0] == "-f"
		opt.Wait = opt.Wait || args[0] == "-w"
		opt.Ctty = opt.Ctty || args[0] == "-c"
	}
	err := Run(args, opt)
	var ee *exec.ExitError
	var xe *execvp.Error
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

// exitHelper STATUS exits with STATUS.
func exitHelper(args []string) int {
	n, _ := strconv.Atoi(args[0])
	return n
}
