//go:build linux

package tests

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

// prompt is bash's PS1 in the terminal. No command the tests type contains
// it, so every occurrence in the output is a prompt.
const prompt = "gdetach-prompt> "

// A term is an interactive bash on a real pseudo-terminal, as an SSH login
// gets one: bash is the session leader and the terminal is its controlling
// terminal, with job control on.
type term struct {
	t    *testing.T
	ptmx *os.File
	sh   *exec.Cmd

	mu      sync.Mutex
	out     bytes.Buffer  // everything the terminal printed
	changed chan struct{} // closed and replaced when out grows or ends
	closed  bool          // the reader saw the end (EIO once the shell side is gone)

	shExited chan struct{}
}

// startTerm starts bash -i on a new pty in dir and waits for its first prompt.
func startTerm(t *testing.T, dir string) *term {
	t.Helper()
	return startShell(t, dir, "bash", "--norc", "--noprofile", "--noediting", "-i")
}

// startShell is startTerm with the shell and its arguments given: bash with
// readline on and an rc file, or zsh, for the completion tests. The shell
// must show the prompt (its rc file sets PS1 if the environment's is not
// kept).
func startShell(t *testing.T, dir, shell string, args ...string) *term {
	t.Helper()
	sh := exec.Command(shell, args...)
	sh.Dir = dir
	// IGNOREEOF: on the hangup the kernel sends bash SIGHUP and its reads
	// fail; a bash that took the failed read for end of file first would
	// exit without passing the SIGHUP on to its jobs. Ignoring EOF, it keeps
	// reading until it acts on the signal, as it does at a real prompt.
	sh.Env = append(os.Environ(), "PS1="+prompt, "PS2=", "PROMPT_COMMAND=", "HISTFILE=", "TERM=dumb", "IGNOREEOF=1000")
	ptmx, err := pty.StartWithSize(sh, &pty.Winsize{Rows: 50, Cols: 250})
	if err != nil {
		t.Fatalf("start bash on a pty: %v", err)
	}
	if ptmx, err = pollable(ptmx); err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, ptmx: ptmx, sh: sh, changed: make(chan struct{}), shExited: make(chan struct{})}
	go tm.read()
	go func() {
		_ = sh.Wait() // killed by the hangup, or at cleanup
		close(tm.shExited)
	}()
	t.Cleanup(func() {
		tm.ptmx.Close()
		_ = sh.Process.Kill()
		<-tm.shExited
		if t.Failed() {
			t.Logf("terminal output:\n%s", tm.output())
		}
	})
	tm.waitPrompts(1)
	return tm
}

// read copies the terminal's output into out until the shell side is gone.
func (tm *term) read() {
	buf := make([]byte, 4096)
	for {
		n, err := tm.ptmx.Read(buf)
		tm.mu.Lock()
		tm.out.Write(buf[:n])
		if err != nil { // EIO on Linux once the slave side is closed: the end, not a failure
			tm.closed = true
		}
		close(tm.changed)
		tm.changed = make(chan struct{})
		tm.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (tm *term) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// waitOutput waits until cond holds for the output, and fails at the deadline.
func (tm *term) waitOutput(what string, cond func(out string) bool) {
	tm.t.Helper()
	timer := time.NewTimer(time.Until(testutil.Deadline(tm.t)))
	defer timer.Stop()
	for {
		tm.mu.Lock()
		out, changed, closed := tm.out.String(), tm.changed, tm.closed
		tm.mu.Unlock()
		if cond(out) {
			return
		}
		if closed {
			tm.t.Fatalf("terminal closed while waiting for %s", what)
		}
		select {
		case <-changed:
		case <-timer.C:
			tm.t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func (tm *term) prompts() int { return strings.Count(tm.output(), prompt) }

func (tm *term) waitPrompts(n int) {
	tm.t.Helper()
	tm.waitOutput("the shell's prompt", func(out string) bool { return strings.Count(out, prompt) >= n })
}

// send types s without waiting for anything (e.g. "\x03" for Ctrl-C).
func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.ptmx, s); err != nil {
		tm.t.Fatalf("type %q: %v", s, err)
	}
}

// run types a command line and waits for the next prompt.
func (tm *term) run(line string) {
	tm.t.Helper()
	n := tm.prompts()
	tm.send(line + "\n")
	tm.waitPrompts(n + 1)
}

// Keys a user types at a foreground job.
const (
	ctrlC = "\x03" // SIGINT to the foreground job
	ctrlZ = "\x1a" // SIGTSTP to the foreground job
)

// key types a control key at the foreground job and waits for the prompt
// that comes back once the job has ended or stopped.
func (tm *term) key(k string) {
	tm.t.Helper()
	n := tm.prompts()
	tm.send(k)
	tm.waitPrompts(n + 1)
}

// start types a command line without waiting: for a foreground job.
func (tm *term) start(line string) {
	tm.t.Helper()
	tm.send(line + "\n")
}

// hangup closes the terminal, as a dropped SSH connection does: the kernel
// sends SIGHUP to bash, which sends SIGHUP to its jobs and exits. It returns
// once bash has exited, so every SIGHUP bash sends has been sent.
func (tm *term) hangup() {
	tm.t.Helper()
	if err := tm.ptmx.Close(); err != nil {
		tm.t.Fatalf("close the pty master: %v", err)
	}
	select {
	case <-tm.shExited:
	case <-time.After(time.Until(testutil.Deadline(tm.t))):
		tm.t.Fatal("bash did not exit after the hangup")
	}
	// bash passes the hangup on to its jobs, then dies of it itself.
	if ws := tm.sh.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGHUP {
		tm.t.Fatalf("bash ended with %v after the hangup, want death by SIGHUP", tm.sh.ProcessState)
	}
}

// pollable returns f's descriptor as a File in Go's poller. creack/pty hands
// the master out in blocking mode (its Fd method sets that), and Close cannot
// release a descriptor while a blocking Read holds it: the master would stay
// open and the terminal would never hang up.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return nil, os.NewSyscallError("dup", err)
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// job starts line in the terminal (in the background if it ends in &, else as
// the foreground job), waits for the helper it runs to be ready in dir, and
// returns the helper's PID.
func (tm *term) job(line, dir string) int {
	tm.t.Helper()
	if strings.HasSuffix(line, "&") {
		tm.run(line)
	} else {
		tm.start(line)
	}
	pid := readyPID(tm.t, dir)
	killAtCleanup(tm.t, pid)
	return pid
}

// status runs `wait`-free shell code that leaves $? in DIR/status, and returns it.
func (tm *term) status(line, dir string) int {
	tm.t.Helper()
	file := filepath.Join(dir, "status")
	os.Remove(file)
	tm.run(line + "; echo $? > " + file)
	b, err := os.ReadFile(file)
	if err != nil {
		tm.t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		tm.t.Fatalf("status file %q", b)
	}
	return n
}

// checkStopFgInterrupt runs PREFIX and the tick helper, its output in
// DIR/out, as the foreground job of a fresh terminal: Ctrl-Z stops the
// helper, fg continues it, and Ctrl-C ends the job with status 130.
func checkStopFgInterrupt(t *testing.T, prefix string) {
	t.Helper()
	dir := tempDir(t)
	out := filepath.Join(dir, "out")
	tm := startTerm(t, dir)
	pid := tm.job(prefix+helperLine("tick", dir)+" > "+out, dir)
	tm.key(ctrlZ)
	waitStopped(t, pid)
	stopped := readFile(t, out)
	tm.start("fg")
	waitAlive(t, pid, "output after fg", func() bool { return len(readFile(t, out)) > len(stopped) })
	tm.key(ctrlC)
	if got := tm.status("(exit $?)", dir); got != 130 {
		t.Errorf("status %d, want 130", got)
	}
	waitGone(t, pid)
}
