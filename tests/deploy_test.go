//go:build linux

package tests

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
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
				testutil.WaitFor(t, "the server's lines in app.log", func() bool {
					return readFile(t, log) == "listening on "+readFile(t, filepath.Join(dir, "port"))+"\nno errors so far\n" ||
						readFile(t, log) == "no errors so far\nlistening on "+readFile(t, filepath.Join(dir, "port"))+"\n"
				})
			})
		}
	}
}

// fdTarget is what /proc shows for f of this process ("pipe:[N]", "socket:[N]").
func fdTarget(t *testing.T, f *os.File) string {
	t.Helper()
	target, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// fdFlags are the open flags of pid's descriptor fd, from /proc.
func fdFlags(t *testing.T, pid, fd int) int {
	t.Helper()
	for _, line := range strings.Split(readFile(t, fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd)), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
	}
	t.Fatalf("no flags in fdinfo of %d/%d", pid, fd)
	return 0
}

// An sshd of the test's own, on a free port of 127.0.0.1, that lets the
// current user in with a key of the test's own.
type sshServer struct {
	port, key, user string
}

func startSSHD(t *testing.T) *sshServer {
	t.Helper()
	for _, tool := range []string{"/usr/sbin/sshd", "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install openssh-server openssh-client): the ssh one-liner is not tested", tool)
		}
	}
	dir := tempDir(t)
	for _, key := range []string{"host_key", "id"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, key)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	if err := os.Rename(filepath.Join(dir, "id.pub"), filepath.Join(dir, "authorized_keys")); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// sshd's privilege separation directory, which Debian makes at boot.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close() // for sshd to take; nothing else on this machine asks for it meanwhile
	config := filepath.Join(dir, "sshd_config")
	text := strings.NewReplacer("DIR", dir, "PORT", port).Replace(`ListenAddress 127.0.0.1:PORT
HostKey DIR/host_key
AuthorizedKeysFile DIR/authorized_keys
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel ERROR
`)
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", config)
	sshd.Stdout, sshd.Stderr = logFile, logFile
	exited := startBackground(t, sshd, func() string { return "sshd's log:\n" + readFile(t, logFile.Name()) })
	testutil.WaitFor(t, "sshd listening", func() bool {
		select {
		case <-exited:
			t.Fatalf("sshd exited: %s", readFile(t, filepath.Join(dir, "sshd.log")))
		default:
		}
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return &sshServer{port: port, key: filepath.Join(dir, "id"), user: u.Username}
}

// start runs remote through ssh, as a deploy script does, and returns a
// channel closed when ssh has exited.
func (s *sshServer) start(t *testing.T, remote string) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command("ssh", "-F", "/dev/null", "-i", s.key, "-p", s.port,
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		s.user+"@127.0.0.1", remote)
	out, err := os.CreateTemp(t.TempDir(), "ssh.out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // ssh has its own copy
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, startBackground(t, cmd, func() string { return "ssh's output:\n" + readFile(t, out.Name()) })
}

// ask connects to the serve helper in dir and returns its answer.
func ask(t *testing.T, dir string) string {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+readFile(t, filepath.Join(dir, "port")))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line, _ := bufio.NewReader(c).ReadString('\n') // an error leaves the answer short
	return line
}

// The deploy script's one-liner: `ssh host 'gnohup -o app.log server &'`
// returns at once, and the server goes on answering; so does the form with
// a cd first, written with ';' (with '&&' the whole list is the background
// job, and the subshell bash forks for it keeps ssh's pipes until the
// server exits: gnohup(1) says so). With classic nohup, the control, ssh
// waits until the server is gone.
func TestGnohupOverSSH(t *testing.T) {
	srv := startSSHD(t)
	const returnsWithin = 15 * time.Second // "at once": seconds, under the race detector and load
	t.Run("control: nohup server &", func(t *testing.T) {
		dir := tempDir(t)
		_, exited := srv.start(t, fmt.Sprintf("nohup %s &", serveLine(dir)))
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
	gnohup := shellQuote(filepath.Join(binDir, "gnohup"))
	for _, c := range []struct {
		name, line string // line: DIR for the directory, GNOHUP and SERVER
	}{
		{"gnohup -o FILE server &", "GNOHUP -o DIR/app.log SERVER &"},
		{"cd DIR; gnohup -o app.log server &", "cd DIR; GNOHUP -o app.log SERVER &"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			line := strings.NewReplacer("DIR", shellQuote(dir), "GNOHUP", gnohup, "SERVER", serveLine(dir)).Replace(c.line)
			cmd, exited := srv.start(t, line)
			select {
			case <-exited:
			case <-time.After(returnsWithin):
				t.Fatalf("ssh did not return within %v", returnsWithin)
			}
			if status := cmd.ProcessState.ExitCode(); status != 0 {
				t.Errorf("ssh exited with %d", status)
			}
			pid := readyPID(t, dir)
			killAtCleanup(t, pid)
			if got := ask(t, dir); got != "ok\n" {
				t.Errorf("the server answered %q after ssh returned, want ok", got)
			}
			if log := readFile(t, filepath.Join(dir, "app.log")); !strings.Contains(log, "listening on") {
				t.Errorf("app.log holds %q, want the server's output", log)
			}
		})
	}
}

// serveLine is the serve helper's command line, with absolute paths: the
// remote shell has its own PATH.
func serveLine(dir string) string {
	words := helperArgs("serve", dir)
	words[0] = filepath.Join(binDir, "helper")
	for i, w := range words {
		words[i] = shellQuote(w)
	}
	return strings.Join(words, " ")
}
