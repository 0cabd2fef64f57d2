//go:build linux

package tests

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
)

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
