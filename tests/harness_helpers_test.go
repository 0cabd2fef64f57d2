//go:build linux

package tests

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/session"
	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

// The helpers are the workloads the commands run. The test binary, copied to
// $PATH as "helper", becomes one: `helper NAME ARGS...` (testutil.HelperArgs).
func init() {
	for name, f := range map[string]func(args []string) int{
		"sleep":  sleepHelper,
		"tick":   tickHelper,
		"exit":   exitHelper,
		"report": reportHelper,
		"notify": notifyHelper,
		"dirty":  dirtyHelper,
		"count":  countHelper,
		"forker": forkerHelper,
		"daemon": daemonizerHelper,
		"late":   lateDaemonHelper,
		"leave":  leaveHelper,
		"lines":  linesHelper,
		"group":  groupHelper,
		"serve":  serveHelper,
		// The attack tests of gdaemonize (daemonize_attack_test.go).
		"rdlock":   rdlockHelper,
		"unlock":   unlockHelper,
		"sdnotify": sdnotifyHelper,
		"ignoring": ignoringHelper,
	} {
		testutil.RegisterHelper(name, f)
	}
}

// sleepHelper runs until killed:
// helper sleep DIR [--reset-hup] [--catch-hup] [--ignore-term] [--record].
//
// It appends a line to DIR/probe for every SIGUSR1 (the tests' liveness
// probe), and the signal's name to DIR/signals for SIGUSR2 and SIGWINCH. With
// --catch-hup it appends a line to DIR/hups for every SIGHUP, as a server
// that reloads on SIGHUP (gunicorn) acts on it; with --record it does that
// too, and also records QUIT, CONT, ALRM, TERM, INT and PIPE in DIR/signals
// without dying of them. With --ignore-term it ignores SIGTERM (a daemon that
// will not stop); with --reset-hup it sets SIGHUP to its default action
// first, as node does at start-up whatever it inherited. Unless --record,
// SIGQUIT has its default action (death, not Go's goroutine dump), as in a C
// program. It writes its PID to DIR/pid when it is ready.
func sleepHelper(args []string) int {
	dir := args[0]
	if !slices.Contains(args[1:], "--record") {
		if err := session.SetDefaultAction(syscall.SIGQUIT); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 2
		}
	}
	sigs := make(chan os.Signal, 16)
	// One channel: signals are recorded in the order they arrive.
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	for _, opt := range args[1:] {
		switch opt {
		case "--reset-hup":
			if err := session.SetDefaultAction(syscall.SIGHUP); err != nil {
				fmt.Fprintln(os.Stderr, "helper:", err)
				return 2
			}
		case "--catch-hup":
			signal.Notify(sigs, syscall.SIGHUP)
		case "--ignore-term":
			signal.Ignore(syscall.SIGTERM)
		case "--record":
			// Everything grespawn passes on that does not end it.
			signal.Notify(sigs, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGCONT, syscall.SIGALRM, syscall.SIGTERM, syscall.SIGINT, syscall.SIGPIPE)
		}
	}
	writeReady(dir)
	for s := range sigs {
		name := "signals"
		switch s {
		case syscall.SIGUSR1:
			name = "probe"
		case syscall.SIGHUP:
			name = "hups"
		}
		appendLine(filepath.Join(dir, name), s.String())
	}
	return 0
}

// tickHelper writes "tick N" to standard output every 50ms until killed,
// numbering from 1: helper tick DIR. Standard error gets "tock N" for every
// tenth. It is ready (DIR/pid) before the first line.
func tickHelper(args []string) int {
	probe := make(chan os.Signal, 1)
	signal.Notify(probe, syscall.SIGUSR1)
	writeReady(args[0])
	tick := time.NewTicker(50 * time.Millisecond)
	for n := 1; ; n++ {
		fmt.Printf("tick %d\n", n)
		if n%10 == 0 {
			fmt.Fprintf(os.Stderr, "tock %d\n", n)
		}
		select {
		case <-tick.C:
		case <-probe:
			appendLine(filepath.Join(args[0], "probe"), "probe")
		}
	}
}

// exitHelper exits with the status given: helper exit N.
func exitHelper(args []string) int {
	n, _ := strconv.Atoi(args[0])
	return n
}

// reportHelper writes what the command it stands for was given to FILE, one
// "key=value" line each, and exits: helper report FILE.
func reportHelper(args []string) int {
	var b strings.Builder
	self, _ := testutil.ReadStat(os.Getpid())
	fmt.Fprintf(&b, "pid=%d\nsid=%d\npgrp=%d\ntty_nr=%d\n", os.Getpid(), self.SID, self.PGRP, self.TTYNr)
	_, err := os.Open("/dev/tty")
	fmt.Fprintf(&b, "devtty_opens=%v\n", err == nil)
	for fd := 0; fd < 3; fd++ {
		target, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		flags, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		fmt.Fprintf(&b, "fd%d=%s\nfd%d_accmode=%d\n", fd, target, fd, flags&unix.O_ACCMODE)
	}
	// Only /dev/null is safe to read from here (a terminal would block); it
	// must refuse the read when gnohup opened it write-only.
	if target, _ := os.Readlink("/proc/self/fd/0"); target == os.DevNull {
		_, err = unix.Read(0, make([]byte, 1))
		fmt.Fprintf(&b, "read_stdin_err=%v\n", errors.Is(err, unix.EBADF))
	}
	ign, _ := testutil.SignalMask(os.Getpid(), "SigIgn")
	fmt.Fprintf(&b, "hup_ignored=%v\n", testutil.HasSignal(ign, syscall.SIGHUP))
	fmt.Fprintf(&b, "env_posixly=%v\n", os.Getenv("POSIXLY_CORRECT") != "")
	if err := os.WriteFile(args[0], []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	return 0
}

// writeReady writes this process's PID to DIR/pid, atomically.
func writeReady(dir string) {
	if err := testutil.WritePIDFile(filepath.Join(dir, "pid")); err != nil {
		// The test waiting for the file fails at its deadline, with this on stderr.
		fmt.Fprintln(os.Stderr, "helper: write ready file:", err)
	}
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

// notifyHelper is a daemon that takes DELAY to start: helper notify DIR
// DELAY sends READY=1 to $NOTIFY_SOCKET after DELAY, then sleeps as the sleep
// helper does.
func notifyHelper(args []string) int {
	d, err := time.ParseDuration(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	time.Sleep(d) // the daemon's own start-up time, which the test asks for
	conn, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	conn.Write([]byte("READY=1\n"))
	conn.Close()
	return sleepHelper(args[:1])
}

// dirtyHelper runs a command the way a careless caller would: with SIGUSR1
// and SIGTERM blocked, SIGHUP, SIGINT, SIGQUIT and SIGPIPE ignored, two
// descriptors leaked without close-on-exec, umask 077, and in /tmp:
// helper dirty COMMAND [ARG]... (COMMAND looked up in PATH).
func dirtyHelper(args []string) int {
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGPIPE)
	for range 2 {
		if _, err := unix.Dup(2); err != nil { // unix.Dup: no close-on-exec
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 2
		}
	}
	unix.Umask(0o077)
	os.Chdir(os.TempDir())
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 127
	}
	// The mask of the thread that execs is the new program's.
	runtime.LockOSThread()
	var blocked unix.Sigset_t
	blocked.Val[0] = 1<<(syscall.SIGUSR1-1) | 1<<(syscall.SIGTERM-1)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &blocked, nil); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	err = unix.Exec(path, args, os.Environ())
	fmt.Fprintln(os.Stderr, "helper:", err)
	return 126
}

// monotonic is CLOCK_MONOTONIC in nanoseconds: comparable across processes.
func monotonic() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// countHelper is one run of a supervised command: helper count DIR CODE
// [SLEEP,SLEEP...]. It appends "start NS" and, before exiting with CODE,
// "exit NS" (monotonic nanoseconds) to DIR/runs; the k-th run first sleeps
// the k-th duration of the list (the last one for later runs).
func countHelper(args []string) int {
	runs := filepath.Join(args[0], "runs")
	appendLine(runs, fmt.Sprintf("start %d", monotonic()))
	code, _ := strconv.Atoi(args[1])
	if len(args) > 2 {
		sleeps := strings.Split(args[2], ",")
		k := strings.Count(readAll(runs), "start ") - 1
		d, _ := time.ParseDuration(sleeps[min(k, len(sleeps)-1)])
		time.Sleep(d) // the run's lifetime, as the test asks
	}
	appendLine(runs, fmt.Sprintf("exit %d", monotonic()))
	return code
}

func readAll(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// forkerHelper leaves an orphan behind and exits: helper forker DIR N. Its
// first N runs each start `sleep 0.01` without waiting for it, and exit 0;
// the run after that writes DIR/pid and waits to be killed.
func forkerHelper(args []string) int {
	runs := filepath.Join(args[0], "runs")
	appendLine(runs, "run")
	n, _ := strconv.Atoi(args[1])
	if strings.Count(readAll(runs), "run\n") > n {
		return sleepHelper(args[:1])
	}
	if err := exec.Command("sleep", "0.01").Start(); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	return 0
}

// daemonizerHelper daemonizes as nginx does: helper daemon DIR [--late |
// --join] starts the daemon (the sleep helper, in a session of its own),
// writes its PID to DIR/app.pid, and exits 0 without waiting for it. With
// --late the daemon is the late helper, which writes DIR/app.pid itself
// when the test lets it. With --join the daemon stays in the session and
// joins the process group of the launcher's parent (grespawn's, and its
// caller's): a group that is not the run's own.
func daemonizerHelper(args []string) int {
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Args = testutil.HelperArgs("sleep", args[0])
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	switch {
	case slices.Contains(args[1:], "--late"):
		cmd.Args = testutil.HelperArgs("late", args[0])
	case slices.Contains(args[1:], "--join"):
		pgid, err := unix.Getpgid(os.Getppid())
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 2
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: pgid}
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	if cmd.Args[1] == "late" {
		return 0
	}
	if err := testutil.WritePIDFileOf(filepath.Join(args[0], "app.pid"), cmd.Process.Pid); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	return 0
}

// lateDaemonHelper is a daemon slow to write its pidfile: helper late DIR
// appends its PID to DIR/daemons at once, waits until the test creates
// DIR/go, then writes its PID to DIR/app.pid and runs as the sleep helper
// does in DIR.
func lateDaemonHelper(args []string) int {
	appendLine(filepath.Join(args[0], "daemons"), strconv.Itoa(os.Getpid()))
	if err := awaitFile(filepath.Join(args[0], "go"), nil); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	if err := testutil.WritePIDFileOf(filepath.Join(args[0], "app.pid"), os.Getpid()); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	return sleepHelper(args[:1])
}

// leaveHelper leaves a process behind in a session of its own, as nginx's
// workers outlive a master killed by SIGKILL: helper leave DIR starts the
// sleep helper in DIR/left (made if need be), setsid, waits until it is
// ready, then runs as the sleep helper does in DIR. It exits 2 if the one
// left behind dies before it is ready.
func leaveHelper(args []string) int {
	left := filepath.Join(args[0], "left")
	if err := os.MkdirAll(left, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	os.Remove(filepath.Join(left, "pid"))
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Args = testutil.HelperArgs("sleep", left)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := awaitFile(filepath.Join(left, "pid"), exited); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	return sleepHelper(args[:1])
}

// linesHelper writes "line 1" … "line N" to standard output as fast as it
// can, in writes of a few lines each: helper lines N.
func linesHelper(args []string) int {
	n, _ := strconv.Atoi(args[0])
	var b []byte
	for i := 1; i <= n; i++ {
		b = fmt.Appendf(b, "line %d\n", i)
		if i%7 == 0 || i == n {
			if _, err := os.Stdout.Write(b); err != nil {
				return 2
			}
			b = b[:0]
		}
	}
	return 0
}

// groupHelper leaves a member of its process group behind and exits 1:
// helper group DIR starts the sleep helper with --record in DIR (same
// process group), waits until it is ready, and exits.
func groupHelper(args []string) int {
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Args = testutil.HelperArgs("sleep", args[0], "--record")
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// A helper has no test to wait for it: it polls the member's ready file
	// for a minute at most, and gives up at once if the member dies.
	end := time.Now().Add(time.Minute)
	for pause := time.Millisecond; time.Now().Before(end); pause = min(2*pause, 50*time.Millisecond) {
		if _, err := testutil.ReadPIDFile(filepath.Join(args[0], "pid")); err == nil {
			return 1
		}
		select {
		case err := <-exited:
			fmt.Fprintln(os.Stderr, "helper: the group member died before it was ready:", err)
			return 2
		case <-time.After(pause):
		}
	}
	fmt.Fprintln(os.Stderr, "helper: the group member never got ready")
	return 2
}

// serveHelper is a server, as a deploy script starts one: helper serve DIR
// listens on a free TCP port of 127.0.0.1, writes it to DIR/port, is ready
// (DIR/pid), and answers every connection with "ok\n" until killed. It
// writes a line to its standard output and error first, as servers log.
func serveHelper(args []string) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	// Written whole or not at all: the test reads it as soon as it exists.
	tmp := filepath.Join(args[0], "port.tmp")
	if err = os.WriteFile(tmp, []byte(port), 0o644); err == nil {
		err = os.Rename(tmp, filepath.Join(args[0], "port"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	fmt.Println("listening on", port)
	fmt.Fprintln(os.Stderr, "no errors so far")
	writeReady(args[0])
	for {
		c, err := l.Accept()
		if err != nil {
			continue
		}
		_, _ = c.Write([]byte("ok\n")) // a client that went away is its own problem
		c.Close()
	}
}

// rdlockHelper is another user's reader that blocks a pidfile: helper
// rdlock FILE DIR opens FILE read-only, takes an open-file-description read
// lock (F_OFD_SETLK, F_RDLCK) on all of it, writes its PID to DIR/pid, and
// holds the lock until killed. It exits 2 at once, saying why, if it cannot
// open or lock FILE.
func rdlockHelper(args []string) int {
	f, err := os.Open(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	lk := unix.Flock_t{Type: unix.F_RDLCK}
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk); err != nil {
		fmt.Fprintln(os.Stderr, "helper: read-lock", args[0]+":", err)
		return 2
	}
	writeReady(args[1])
	testutil.Park()
	runtime.KeepAlive(f) // the lock lives as long as the descriptor
	return 0
}

// unlockHelper is a daemon that closes the descriptors it inherited beyond
// the standard three, as many do at start-up: helper unlock DIR closes
// descriptor 3 (gdaemonize's lock) and then runs as the sleep helper does
// (ready in DIR/pid only once the descriptor is closed).
func unlockHelper(args []string) int {
	if err := unix.Close(3); err != nil {
		fmt.Fprintln(os.Stderr, "helper: close descriptor 3:", err)
		return 2
	}
	return sleepHelper(args[:1])
}

// sdnotifyHelper is a daemon that speaks the sd_notify protocol step by
// step: helper sdnotify DIR STEP... writes its PID to DIR/pid at once (the
// test may look at it while it waits), then runs the steps in order:
//
//   - child: start the sleep helper in DIR/child (its PID in DIR/child/pid)
//     and wait until it is ready; later steps may name it as $CHILD;
//   - await:NAME: wait until the test creates DIR/NAME;
//   - exit:N: exit with status N at once;
//   - anything else: send it, as one datagram, to $NOTIFY_SOCKET
//     ("READY=1", "MAINPID=$CHILD", "STATUS=loading").
//
// Unless a step ends it, it then runs as the sleep helper does in DIR.
// A wait gives up after ten minutes (the test has failed by then), and a
// child that dies before it is ready ends the helper with status 2.
func sdnotifyHelper(args []string) int {
	dir := args[0]
	writeReady(dir)
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	child := 0
	for _, step := range args[1:] {
		switch name, value, _ := strings.Cut(step, ":"); name {
		case "child":
			sub := filepath.Join(dir, "child")
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return fail(err)
			}
			self, _ := os.Executable()
			cmd := exec.Command(self)
			cmd.Args = testutil.HelperArgs("sleep", sub)
			if err := cmd.Start(); err != nil {
				return fail(err)
			}
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }() // reaped when it dies; its status is the test's business
			if err := awaitFile(filepath.Join(sub, "pid"), exited); err != nil {
				return fail(err)
			}
			child = cmd.Process.Pid
		case "await":
			if err := awaitFile(filepath.Join(dir, value), nil); err != nil {
				return fail(err)
			}
		case "exit":
			n, _ := strconv.Atoi(value)
			return n
		default:
			conn, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
			if err != nil {
				return fail(err)
			}
			_, err = conn.Write([]byte(strings.ReplaceAll(step, "$CHILD", strconv.Itoa(child))))
			conn.Close()
			if err != nil {
				return fail(err)
			}
		}
	}
	return sleepHelper(args[:1])
}

// awaitFile waits until path exists, for ten minutes at most, and gives up
// at once when gone (if not nil) is closed: the process that was to make it
// has died.
func awaitFile(path string, gone <-chan struct{}) error {
	end := time.Now().Add(10 * time.Minute)
	for pause := time.Millisecond; time.Now().Before(end); pause = min(2*pause, 50*time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-gone:
			return fmt.Errorf("exited before it made %s", path)
		case <-time.After(pause):
		}
	}
	return fmt.Errorf("gave up waiting for %s", path)
}

// ignoringHelper ignores the signals the Go runtime leaves to a C library
// (session.Unmanaged) and executes ARGV in its place: helper ignoring ARGV...
// What it starts inherits them ignored, as under a parent that ignores them.
func ignoringHelper(args []string) int {
	session.IgnoreUnmanaged()
	path, err := exec.LookPath(args[0])
	if err == nil {
		err = unix.Exec(path, args, os.Environ())
	}
	fmt.Fprintln(os.Stderr, "helper:", err)
	return 127
}
