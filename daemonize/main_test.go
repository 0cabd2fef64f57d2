package daemonize

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

// The test binary is also the session stage (Start re-executes it) and the
// daemons, chosen by this variable.
const helperEnv = "GDETACH_DAEMONIZE_HELPER"

func TestMain(m *testing.M) {
	if handled, err := Resume(); handled {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(daemonHelper(name, os.Args[1:]))
	}
	// The daemons are orphaned on purpose: have them re-parented here, to
	// be reaped, rather than to a PID 1 that may never reap them.
	if err := becomeSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Race-enabled stages and daemons would otherwise linger a second at exit.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}

// daemonHelper is a daemon: it writes its PID to DIR/pid (args[0]) and
// waits. As "stubborn" it ignores SIGTERM; as "notify" it sends READY=1 to
// $NOTIFY_SOCKET first, after args[1] (a duration); as "exit" it exits with
// status args[1] at once.
func daemonHelper(name string, args []string) int {
	switch name {
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
	case "notify":
		d, _ := time.ParseDuration(args[1])
		time.Sleep(d) // the daemon's own start-up, as the test wants it
		conn, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		conn.Write([]byte("STATUS=starting\nREADY=1\n"))
		conn.Close()
	case "exit":
		n, _ := strconv.Atoi(args[1])
		return n
	}
	if err := testutil.WritePIDFile(filepath.Join(args[0], "pid")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	select {}
}

// daemonConfig is a Config whose command is this test binary as the named
// daemon helper, with its files in a temporary directory.
func daemonConfig(t *testing.T, name string, args ...string) (Config, string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(helperEnv, name) // the daemon inherits the environment
	return Config{
		Argv:    append([]string{os.Args[0], dir}, args...),
		Umask:   DefaultUmask,
		Pidfile: filepath.Join(dir, "app.pid"),
	}, dir
}

// started waits for the daemon in dir to be ready, and kills and reaps it at
// cleanup.
func started(t *testing.T, dir string) int {
	t.Helper()
	pid := testutil.ReadyPID(t, filepath.Join(dir, "pid"))
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil) // ours, through the subreaper
	})
	return pid
}
