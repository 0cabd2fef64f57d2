//go:build linux

package tests

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

// A callerEnd is the caller's end of one of a command's standard
// descriptors (a pipe or a socket), and what the command gets.
type callerEnd struct {
	ours, theirs *os.File
}

// newEnds makes a connected pair of kind "pipe" or "socket"; for fd 0 the
// caller writes, for 1 and 2 it reads.
func newEnds(t *testing.T, kind string, fd int) callerEnd {
	t.Helper()
	var r, w *os.File
	switch kind {
	case "pipe":
		var err error
		if r, w, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
	case "socket":
		pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		r, w = os.NewFile(uintptr(pair[0]), "socket"), os.NewFile(uintptr(pair[1]), "socket")
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	if fd == 0 {
		return callerEnd{ours: w, theirs: r}
	}
	return callerEnd{ours: r, theirs: w}
}

// readToEnd reads f until end of file in the background; the channel gets
// what was read once the end comes.
func readToEnd(f *os.File) <-chan string {
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(f) // an error is an end too
		got <- string(b)
	}()
	return got
}

// gnohup -o takes the command off the caller's descriptors, whatever they
// are: the caller's output ends reach end of file while the command runs,
// its input end has no reader left. As a script's `gnohup -o FILE cmd &`
// (exec in place) and as a relay (--pidfile), which lets go of them too;
// with -q nothing is said. Classic nohup with the same descriptors is the
// control: the command holds them.
func TestGnohupOutputLetsGoOfCallerDescriptors(t *testing.T) {
	for _, kind := range []string{"pipe", "socket"} {
		for _, c := range []struct {
			name string
			args []string
		}{
			{"in place", []string{"gnohup", "-o", "app.log"}},
			{"relay", []string{"gnohup", "-o", "app.log", "--pidfile", "app.pid"}},
			{"quiet", []string{"gnohup", "-q", "-o", "app.log"}},
			{"to /dev/null", []string{"gnohup", "-o", "/dev/null"}},
			{"control: nohup", []string{"nohup"}},
		} {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				dir := tempDir(t)
				var ends [3]callerEnd
				for fd := range ends {
					ends[fd] = newEnds(t, kind, fd)
				}
				cmd := exec.Command(c.args[0], append(c.args[1:], helperArgs("serve", dir)...)...)
				cmd.Dir = dir
				cmd.Stdin, cmd.Stdout, cmd.Stderr = ends[0].theirs, ends[1].theirs, ends[2].theirs
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				go cmd.Wait()       // the relay's status does not matter here
				var given [3]string // what the command was given, as /proc names it
				for fd, e := range ends {
					given[fd] = fdTarget(t, e.theirs)
					e.theirs.Close()
				}
				stdout, stderr := readToEnd(ends[1].ours), readToEnd(ends[2].ours)
				pid := readyPID(t, dir)
				killAtCleanup(t, pid)
				t.Cleanup(func() { _ = cmd.Process.Kill() })
				if c.args[0] == "nohup" {
					// The control: the server holds the caller's ends.
					for fd := range ends {
						if got := fdTargets(t, pid)[fd]; got != given[fd] {
							t.Errorf("nohup: the command's fd %d is %s, want the caller's %s", fd, got, given[fd])
						}
					}
					return
				}
				var stdoutGot, errs string
				for _, s := range []struct {
					what string
					ch   <-chan string
					got  *string
				}{{"standard output", stdout, &stdoutGot}, {"standard error", stderr, &errs}} {
					select {
					case *s.got = <-s.ch:
					case <-time.After(time.Until(testutil.Deadline(t))):
						t.Fatalf("the caller's %s never ended: still held", s.what)
					}
				}
				if _, err := ends[0].ours.Write([]byte("input\n")); !errors.Is(err, syscall.EPIPE) {
					t.Errorf("writing to the command's input: %v, want EPIPE (nobody reads it)", err)
				}
				out := c.args[len(c.args)-1] // the -o FILE
				if strings.HasSuffix(out, ".pid") {
					out = "app.log"
				}
				want := "gnohup: ignoring input and appending output to '" + out + "'\n"
				if c.name == "quiet" {
					want = ""
				}
				if stdoutGot != "" || errs != want {
					t.Errorf("the caller got %q on stdout and %q on stderr; want nothing and %q", stdoutGot, errs, want)
				}
				fds := fdTargets(t, pid)
				log := out
				if !filepath.IsAbs(log) {
					log = filepath.Join(dir, out)
				}
				if fds[0] != "/dev/null" || fds[1] != log || fds[2] != log {
					t.Errorf("the command's fds 0-2: %q %q %q; want /dev/null and %s twice", fds[0], fds[1], fds[2], log)
				}
				if flags := fdFlags(t, pid, 0); flags&syscall.O_ACCMODE != syscall.O_WRONLY {
					t.Errorf("standard input opened with flags %#o, want write-only", flags)
				}
				if got := ask(t, dir); got != "ok\n" {
					t.Errorf("the server answered %q, want ok", got)
				}
				if log == os.DevNull {
					return
				}
				waitAlive(t, pid, "the server's lines in app.log", func() bool {
					return readFile(t, log) == "listening on "+readFile(t, filepath.Join(dir, "port"))+"\nno errors so far\n" ||
						readFile(t, log) == "no errors so far\nlistening on "+readFile(t, filepath.Join(dir, "port"))+"\n"
				})
			})
		}
	}
}

// The deploy script's one-liner: `ssh host 'gnohup -o app.log server &'`
// returns at once, and the server goes on answering; so does the form with
// a cd first, written with ';'. With '&&' and '&' the whole list is the
// background job, and the subshell bash forks for it keeps ssh's pipes until
// the server exits (gnohup(1) says so); `cd DIR && gnohup -f -o app.log
// server`, without '&', returns whatever the shell does around it, since
// gnohup -f is gone once the server runs. With classic nohup, the controls,
// ssh waits until the server is gone: `nohup server &` leaves the server on
// ssh's pipes, and the careful `cd DIR && nohup server > app.log 2>&1 <
// /dev/null &` is held by the subshell.
func TestGnohupOverSSH(t *testing.T) {
	srv := startSSHD(t)
	for _, c := range []struct {
		name, line string // line: DIR for the directory, SERVER
	}{
		{"control: nohup server &", "nohup SERVER &"},
		{"control: cd DIR && nohup server > app.log 2>&1 < /dev/null &", "cd DIR && nohup SERVER > app.log 2>&1 < /dev/null &"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			_, exited := srv.start(t, strings.NewReplacer("DIR", shellQuote(dir), "SERVER", serveLine(dir)).Replace(c.line))
			pid := readyPID(t, dir)
			killAtCleanup(t, pid)
			if got := ask(t, dir); got != "ok\n" {
				t.Fatalf("the server answered %q", got)
			}
			select {
			case <-exited:
				t.Fatal("ssh returned while the server runs: this control shows nothing")
			default:
			}
			syscall.Kill(pid, syscall.SIGKILL)
			select {
			case <-exited:
			case <-time.After(time.Until(testutil.Deadline(t))):
				t.Fatal("ssh did not return even after the server died")
			}
		})
	}
	gnohup := shellQuote(filepath.Join(binDir, "gnohup"))
	for _, c := range []struct {
		name, line string // line: DIR for the directory, GNOHUP and SERVER
	}{
		{"gnohup -o FILE server &", "GNOHUP -o DIR/app.log SERVER &"},
		{"cd DIR; gnohup -o app.log server &", "cd DIR; GNOHUP -o app.log SERVER &"},
		{"cd DIR && gnohup -f -o app.log server", "cd DIR && GNOHUP -f -o app.log SERVER"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			line := strings.NewReplacer("DIR", shellQuote(dir), "GNOHUP", gnohup, "SERVER", serveLine(dir)).Replace(c.line)
			cmd, exited := srv.start(t, line)
			server := testutil.Watch(t, readyPID(t, dir))
			server.KillAtCleanup(t)
			// No bound on how long ssh takes: only that it returns while the
			// server runs (the control's ssh waits for the server's end).
			select {
			case <-exited:
			case <-time.After(time.Until(testutil.Deadline(t))):
				t.Fatal("ssh did not return while the server runs")
			}
			if server.Exited(t, 0) {
				t.Fatal("the server exited: ssh returned only then")
			}
			if status := cmd.ProcessState.ExitCode(); status != 0 {
				t.Errorf("ssh exited with %d", status)
			}
			if got := ask(t, dir); got != "ok\n" {
				t.Errorf("the server answered %q after ssh returned, want ok", got)
			}
			if log := readFile(t, filepath.Join(dir, "app.log")); !strings.Contains(log, "listening on") {
				t.Errorf("app.log holds %q, want the server's output", log)
			}
		})
	}
}
