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

func init() {
	testutil.RegisterHelper("sleep", sleepDaemon)
	testutil.RegisterHelper("stubborn", stubbornDaemon)
	testutil.RegisterHelper("notify", notifyDaemon)
	testutil.RegisterHelper("exit", exitDaemon)
}

// The test binary is also the session stage (Start re-executes it, marked
// in its environment) and, from its copy named "helper", the daemons.
func TestMain(m *testing.M) {
	if handled, err := Resume(); handled {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	testutil.RunHelperIfAsked()
	// The daemons are orphaned on purpose: have them re-parented here, to
	// be reaped, rather than to a PID 1 that may never reap them.
	if err := becomeSubreaper(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(testutil.RunTests(m))
}

// sleepDaemon DIR writes its PID to DIR/pid and parks until a signal kills
// it; it exits 2 if it cannot write the file.
func sleepDaemon(args []string) int {
	if err := testutil.WritePIDFile(filepath.Join(args[0], "pid")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	testutil.Park()
	return 0
}

// stubbornDaemon DIR ignores SIGTERM, then does as sleepDaemon: only
// SIGKILL ends it.
func stubbornDaemon(args []string) int {
	signal.Ignore(syscall.SIGTERM)
	return sleepDaemon(args)
}

// notifyDaemon DIR DELAY sleeps DELAY (a duration: its own start-up, as the
// test wants it), sends "STATUS=starting" and "READY=1" to $NOTIFY_SOCKET,
// then does as sleepDaemon; it exits 2 if it cannot reach the socket.
func notifyDaemon(args []string) int {
	d, _ := time.ParseDuration(args[1])
	time.Sleep(d)
	conn, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	conn.Write([]byte("STATUS=starting\nREADY=1\n"))
	conn.Close()
	return sleepDaemon(args)
}

// exitDaemon STATUS exits with STATUS at once, before any readiness.
func exitDaemon(args []string) int {
	n, _ := strconv.Atoi(args[0])
	return n
}

// daemonConfig is a Config whose command is the named daemon helper, run
// from the test binary's copy, with DIR (a temporary directory, returned
// too) and args as its arguments, and its pidfile in DIR.
func daemonConfig(t *testing.T, name string, args ...string) (Config, string) {
	t.Helper()
	dir := t.TempDir()
	return Config{
		Argv:  testutil.HelperArgv(t, name, append([]string{dir}, args...)...),
		Umask: DefaultUmask,
		Files: Files{Pidfile: filepath.Join(dir, "app.pid")},
	}, dir
}

// started waits for the daemon that Start wrote into cfg's pidfile to write
// its ready file in dir, failing at once if it exits first or if the two
// PIDs differ, and kills and reaps it at cleanup. It returns the PID.
func started(t *testing.T, cfg Config, dir string) int {
	t.Helper()
	pid, err := readPID(cfg.Pidfile)
	if err != nil {
		t.Fatal(err)
	}
	daemon := testutil.Watch(t, pid)
	t.Cleanup(func() {
		daemon.Signal(syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil) // ours, through the subreaper
	})
	if ready := testutil.ReadyPID(t, filepath.Join(dir, "pid"), daemon); ready != pid {
		t.Fatalf("pidfile holds %d, the daemon is %d", pid, ready)
	}
	return pid
}
