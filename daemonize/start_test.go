package daemonize

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/account"
	"github.com/gdetach/gdetach/pidfile"
	"github.com/gdetach/gdetach/tests/testutil"
)

func TestStartMakesADaemon(t *testing.T) {
	cfg, dir := daemonConfig(t, "sleep")
	cfg.Dir = dir
	cfg.Umask = 0o027
	cfg.Env = []string{"GDETACH_EXTRA=1"}
	if err := Start(cfg); err != nil {
		t.Fatal(err)
	}
	// The pidfile names the daemon the moment Start returns.
	pidfilePID, err := readPID(cfg.Pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid := started(t, cfg, dir)
	if pidfilePID != pid {
		t.Errorf("pidfile holds %d, the daemon is %d", pidfilePID, pid)
	}
	st, err := testutil.ReadStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	self, _ := testutil.ReadStat(os.Getpid())
	// Re-parented from the session stage to the nearest subreaper: this test.
	if st.SID == pid || st.SID == self.SID || st.TTYNr != 0 || st.PPID != os.Getpid() {
		t.Errorf("daemon %d: sid %d (ours %d), tty_nr %d, ppid %d: want a new session it does not lead, no terminal, re-parented to us (%d)",
			pid, st.SID, self.SID, st.TTYNr, st.PPID, os.Getpid())
	}
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != dir {
		t.Errorf("cwd %s, want %s", cwd, dir)
	}
	if umask, _ := testutil.StatusField(pid, "Umask"); umask != "0027" {
		t.Errorf("umask %s, want 0027", umask)
	}
	environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	env := strings.Split(string(environ), "\x00")
	if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, stageEnv) }) {
		t.Error("the stage marker leaked into the daemon's environment")
	}
	if !slices.Contains(env, "GDETACH_EXTRA=1") {
		t.Error("-E setting missing from the daemon's environment")
	}
	// The lock is held through the daemon's descriptor 3.
	if r := Status(cfg.Files); !slices.Equal(r.Holders, []int{pid}) {
		t.Errorf("lock holders %v, want the daemon only", r.Holders)
	}
	if lock, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/3", pid)); lock != cfg.Pidfile {
		t.Errorf("fd 3 is %s, want the pidfile", lock)
	}
}

func TestStartRefusesSecondInstance(t *testing.T) {
	cfg, dir := daemonConfig(t, "sleep")
	if err := Start(cfg); err != nil {
		t.Fatal(err)
	}
	pid := started(t, cfg, dir)
	err := Start(cfg)
	var ar *AlreadyRunningError
	if !errors.As(err, &ar) || !slices.Equal(ar.Holders, []int{pid}) || ar.ExitStatus() != StatusAlreadyRunning {
		t.Fatalf("second Start = %v, want already running (pid %d)", err, pid)
	}
	if got, _ := readPID(cfg.Pidfile); got != pid {
		t.Errorf("the refused start changed the pidfile to %d", got)
	}
}

func TestStartReplacesStalePidfile(t *testing.T) {
	cfg, dir := daemonConfig(t, "sleep")
	// The largest PID: surely no process has it now.
	if err := os.WriteFile(cfg.Pidfile, pidfile.Format(pidfile.MaxPID()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Start(cfg); err != nil {
		t.Fatal(err)
	}
	if got, _ := readPID(cfg.Pidfile); got != started(t, cfg, dir) {
		t.Errorf("pidfile holds %d, not the new daemon", got)
	}
}

func TestStartSeparateLockfile(t *testing.T) {
	cfg, dir := daemonConfig(t, "sleep")
	cfg.Lockfile = filepath.Join(dir, "app.lock")
	if err := Start(cfg); err != nil {
		t.Fatal(err)
	}
	pid := started(t, cfg, dir)
	if r := Status(cfg.Files); r.State != Running || r.PID != pid || !slices.Equal(r.Holders, []int{pid}) {
		t.Errorf("Status = %+v; want running %d, holding the lock file", r, pid)
	}
	if st, _ := os.Stat(cfg.Lockfile); st.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode %v, want 0600: no other user may open it", st.Mode().Perm())
	}
	var ar *AlreadyRunningError
	if err := Start(cfg); !errors.As(err, &ar) {
		t.Errorf("second Start = %v, want already running", err)
	}
}

// Every failure is reported, with its status, and leaves nothing behind.
func TestStartFailures(t *testing.T) {
	for _, c := range []struct {
		name   string
		setup  func(cfg *Config, dir string)
		status int
		msg    string
	}{
		{"not found", func(c *Config, dir string) { c.Argv[0] = filepath.Join(dir, "nope") }, 127, "failed to run command"},
		{"not executable", func(c *Config, dir string) {
			c.Argv[0] = filepath.Join(dir, "plain")
			os.WriteFile(c.Argv[0], []byte("true\n"), 0o644)
		}, 126, "Permission denied"},
		{"bad directory", func(c *Config, dir string) { c.Dir = filepath.Join(dir, "missing") }, 125, "change directory"},
		{"output is the pidfile", func(c *Config, dir string) { c.Stdout = c.Pidfile }, 125, "is the pidfile"},
		{"pidfile is a FIFO", func(c *Config, dir string) { syscall.Mkfifo(c.Pidfile, 0o644) }, 125, "is a FIFO"},
		{"pidfile is not one", func(c *Config, dir string) { os.WriteFile(c.Pidfile, []byte("keep\n"), 0o644) }, 125, "not a pidfile"},
		{"directory is a file", func(c *Config, dir string) {
			c.Dir = filepath.Join(dir, "file")
			os.WriteFile(c.Dir, nil, 0o644)
		}, 125, "not a directory"},
		{"unwritable output", func(c *Config, dir string) { c.Stdout = filepath.Join(dir, "missing", "out.log") }, 125, "open standard output"},
		{"output is a symlink", func(c *Config, dir string) {
			c.Stderr = filepath.Join(dir, "err.log")
			os.Symlink("/dev/null", c.Stderr)
		}, 125, "symbolic link"},
		{"pidfile is a symlink", func(c *Config, dir string) {
			os.Symlink(filepath.Join(dir, "elsewhere"), c.Pidfile)
		}, 125, "symbolic link"},
		{"unknown user", func(c *Config, dir string) { c.User = "gdetach-no-such-user" }, 125, "unknown user"},
		{"exits before it is ready", func(c *Config, dir string) {
			c.Argv = testutil.HelperArgv(t, "exit", "3")
			c.NotifyAwait, c.NotifyTimeout = true, time.Minute
		}, 125, "exit status 3 before it was ready"},
		{"never ready", func(c *Config, dir string) {
			c.NotifyAwait, c.NotifyTimeout = true, 200*time.Millisecond
		}, 125, "not ready (no READY=1) within 200ms"},
		{"bad -E", func(c *Config, dir string) { c.Env = []string{"NOEQUALS"} }, 125, "want NAME=VALUE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, dir := daemonConfig(t, "sleep")
			c.setup(&cfg, dir)
			err := Start(cfg)
			status := 125
			var st interface{ ExitStatus() int }
			if errors.As(err, &st) {
				status = st.ExitStatus()
			}
			if err == nil || status != c.status || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Start = %v (status %d), want status %d and %q", err, status, c.status, c.msg)
			}
			if st, err := os.Lstat(cfg.Pidfile); err == nil && st.Mode().IsRegular() && c.name != "pidfile is not one" {
				t.Error("a pidfile was left behind")
			}
			// A daemon that ran (and failed to say READY=1) must be gone.
			if pid, err := testutil.ReadPIDFile(filepath.Join(dir, "pid")); err == nil {
				if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
					t.Errorf("the daemon (pid %d) still runs", pid)
				}
			}
		})
	}
}

func TestStartNotifyAwait(t *testing.T) {
	cfg, dir := daemonConfig(t, "notify", "300ms")
	cfg.NotifyAwait, cfg.NotifyTimeout = true, time.Minute
	begin := time.Now()
	if err := Start(cfg); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(begin); waited < 300*time.Millisecond {
		t.Errorf("Start returned after %v, before the daemon's READY=1 (sent after 300ms)", waited)
	}
	pid := started(t, cfg, dir)
	if got, _ := readPID(cfg.Pidfile); got != pid {
		t.Errorf("pidfile holds %d, want %d", got, pid)
	}
}

func TestEnvironment(t *testing.T) {
	cred := &account.Credential{Env: []string{"HOME=/home/app", "USER=app", "LOGNAME=app"}}
	got := environment([]string{"HOME=/root", "PATH=/bin", "A=1"}, []string{"A=2", "B=3"}, cred)
	want := []string{"HOME=/home/app", "PATH=/bin", "A=2", "USER=app", "LOGNAME=app", "B=3", "IFS= \t\n"}
	if !slices.Equal(got, want) {
		t.Errorf("environment = %q, want %q", got, want)
	}
	if env := environment(nil, nil, nil); !slices.Contains(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") {
		t.Errorf("no default PATH in %q", env)
	}
}

// readPID reads a pidfile as Status does.
func readPID(path string) (int, error) {
	f, err := pidfile.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.ReadPID()
}
