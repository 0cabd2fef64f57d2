//go:build linux

package tests

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/gdetach/gdetach/tests/testutil"
)

// A run is one command started with each standard descriptor either a
// terminal (its own pty) or a plain file, in dir.
type run struct {
	status int
	stdout string // what reached the stdout file or terminal
	stderr string
}

// How runWith starts a command.
type runOptions struct {
	tty  [3]bool             // which of fds 0-2 are terminals (each its own pty); the others are files
	env  []string            // added to the environment
	cred *syscall.Credential // run as another user
	// sh, if set, is shell code /bin/sh runs first, in the process that then
	// becomes the command (exec): "exec 1>&-" closes standard output, as a
	// caller's `>&-` does, which exec.Cmd cannot.
	sh string
}

// endOfOutput is written to a terminal's slave after the command has
// exited, to mark the end of its output at the master.
const endOfOutput = "<end of the output of runWith>"

// readUntil copies from master into buf until what it read ends with
// marker, which it leaves out, or until an error.
func readUntil(master io.Reader, buf *bytes.Buffer, marker string) {
	chunk := make([]byte, 4096)
	for {
		n, err := master.Read(chunk)
		buf.Write(chunk[:n])
		if bytes.HasSuffix(buf.Bytes(), []byte(marker)) {
			buf.Truncate(buf.Len() - len(marker))
			return
		}
		if err != nil {
			return
		}
	}
}

// runWith runs args in dir as o says, and returns what happened.
func runWith(t *testing.T, dir string, o runOptions, args ...string) run {
	t.Helper()
	tty := o.tty
	if o.sh != "" {
		args = append([]string{"sh", "-c", o.sh + `; exec "$@"`, "sh"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), o.env...)
	if o.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred}
	}
	var outputs [3]*bytes.Buffer
	var done []chan struct{}
	var slaves []*os.File
	for fd := range 3 {
		var f *os.File
		if tty[fd] {
			master, slave, err := pty.Open()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { master.Close(); slave.Close() })
			slaves = append(slaves, slave)
			f = slave
			buf, finished := new(bytes.Buffer), make(chan struct{})
			outputs[fd] = buf
			done = append(done, finished)
			go func() {
				defer close(finished)
				readUntil(master, buf, endOfOutput)
			}()
		} else {
			var err error
			name := filepath.Join(dir, fmt.Sprintf(".fd%d", fd))
			if fd == 0 {
				err = os.WriteFile(name, nil, 0o644)
			}
			if err == nil {
				f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644) // fresh for every run
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
		}
		switch fd {
		case 0:
			cmd.Stdin = f
		case 1:
			cmd.Stdout = f
		case 2:
			cmd.Stderr = f
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	// Reading the master until the last slave closes (EIO) can lose the
	// command's last line: the kernel may report the hang-up before it has
	// moved the last output across. What is written to a slave comes out of
	// the master in order, so a marker written after the command's output
	// ends it exactly.
	for _, s := range slaves {
		if _, err := s.WriteString(endOfOutput); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range done {
		select {
		case <-d:
		case <-time.After(time.Until(testutil.Deadline(t))):
			t.Fatal("the end of the terminal's output never came")
		}
	}
	r := run{status: cmd.ProcessState.ExitCode()}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	text := func(fd int) string {
		if outputs[fd] != nil {
			return strings.ReplaceAll(outputs[fd].String(), "\r\n", "\n")
		}
		return readFile(t, filepath.Join(dir, fmt.Sprintf(".fd%d", fd)))
	}
	r.stdout, r.stderr = text(1), text(2)
	return r
}

// report reads what `helper report FILE` wrote.
func report(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, path)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	if len(m) < 5 {
		t.Fatalf("no report in %s", path)
	}
	return m
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// runScript runs body as a bash script in dir, outside any terminal, and
// returns a reader for the PID the script wrote to DIR/bang.
func runScript(t *testing.T, dir, body string) func() int {
	t.Helper()
	script := filepath.Join(dir, "start.sh")
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runWith(t, dir, runOptions{}, "bash", script)
	if r.status != 0 {
		t.Fatalf("script: status %d: %s", r.status, r.stderr)
	}
	return func() int {
		n, err := testutil.ReadPIDFile(filepath.Join(dir, "bang"))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// A cliCase is one command line of a command's contract: what the command
// is given and what it must answer. DIR, in args' results, env, stderr and
// stderrRE, stands for the case's own directory, which is also the working
// directory.
type cliCase struct {
	name     string                    // the case's name; the arguments joined when empty
	args     func(dir string) []string // the operands and options, after the command's name
	env      []string                  // added to the environment
	tty      [3]bool                   // which of fds 0-2 are terminals
	asNobody bool                      // run as nobody (when the tests run as root)
	status   int
	stderr   string // exactly this on standard error
	stderrRE string // or, when set, a match for this regular expression
	stdoutRE string // a match for this on standard output; empty: nothing at all
	// after, if set, checks what the run left behind (no pidfile, no
	// process, no output file).
	after func(t *testing.T, dir string)
}

// args returns a cliCase's args that are always words.
func args(words ...string) func(string) []string { return func(string) []string { return words } }

// runCLI runs each case as a subtest of its own: command with the case's
// arguments, in a fresh directory.
func runCLI(t *testing.T, command string, cases []cliCase) {
	t.Helper()
	for _, c := range cases {
		dir := tempDir(t)
		argv := append([]string{command}, c.args(dir)...)
		name := c.name
		if name == "" {
			name = cmp.Or(strings.Join(argv[1:], " "), "no arguments")
		}
		t.Run(name, func(t *testing.T) {
			o := runOptions{tty: c.tty}
			for _, kv := range c.env {
				o.env = append(o.env, strings.ReplaceAll(kv, "DIR", dir))
			}
			if c.asNobody && os.Geteuid() == 0 {
				o.cred = &syscall.Credential{Uid: 65534, Gid: 65534}
				if err := os.Chmod(dir, 0o755); err != nil { // nobody's working directory
					t.Fatal(err)
				}
			}
			r := runWith(t, dir, o, argv...)
			if r.status != c.status {
				t.Errorf("status %d, want %d", r.status, c.status)
			}
			if c.stderrRE != "" {
				if re := strings.ReplaceAll(c.stderrRE, "DIR", regexp.QuoteMeta(dir)); !regexp.MustCompile(re).MatchString(r.stderr) {
					t.Errorf("stderr %q, want it to match %q", r.stderr, re)
				}
			} else if want := strings.ReplaceAll(c.stderr, "DIR", dir); r.stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
			}
			if c.stdoutRE == "" && r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if c.stdoutRE != "" && !regexp.MustCompile(c.stdoutRE).MatchString(r.stdout) {
				t.Errorf("stdout %q, want it to match %q", r.stdout, c.stdoutRE)
			}
			if c.after != nil {
				c.after(t, dir)
			}
		})
	}
}
