//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

// gdaemonizeStartup compares how long `gdaemonize -- sleep 60` takes to
// return with daemonize(1) and start-stop-daemon --background.
func gdaemonizeStartup(b *strings.Builder, runs int, bin, floor string) error {
	fmt.Fprintf(b, "## gdaemonize vs daemonize(1)\n\n")
	if _, err := exec.LookPath("daemonize"); err != nil {
		fmt.Fprintf(b, "daemonize(1) is not installed (`apt-get install daemonize`): not measured.\n\n")
		return nil
	}
	// Every run leaves a daemon behind: become their subreaper, so they can
	// be killed and reaped after each round instead of piling up under PID 1.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become a subreaper: %w", err)
	}
	dir, err := os.MkdirTemp("", "gdetach-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pidfile := filepath.Join(dir, "app.pid")
	cmds := []command{
		{label: "`daemonize /bin/sleep 60`", argv: []string{"daemonize", "/bin/sleep", "60"}},
		{label: "`gdaemonize -- sleep 60`", argv: []string{filepath.Join(bin, "gdaemonize"), "--", "sleep", "60"}},
		{label: "`daemonize -p FILE /bin/sleep 60`", argv: []string{"daemonize", "-p", pidfile, "/bin/sleep", "60"}},
		{label: "`gdaemonize -p FILE -- sleep 60` (locked pidfile written)", argv: []string{filepath.Join(bin, "gdaemonize"), "-p", pidfile, "--", "sleep", "60"}},
	}
	cmds = append(cmds, command{label: "Go floor: a Go program that only execs `true`", argv: []string{floor, "true"}})
	if _, err := exec.LookPath("start-stop-daemon"); err == nil {
		ssdPidfile := filepath.Join(dir, "ssd.pid")
		cmds = append(cmds, command{label: "`start-stop-daemon --start --background --make-pidfile --pidfile FILE --startas /bin/sleep -- 60`",
			argv: []string{"start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile", ssdPidfile, "--startas", "/bin/sleep", "--", "60"}})
	}
	for i := range cmds {
		cmds[i].after = killDaemons // and so release the pidfile's lock for the next run
	}
	samples, err := measure(runs, cmds...)
	if err != nil {
		return err
	}
	defer killDaemons() // the last round's stragglers
	classic, g, classicP, gP, fl := samples[0], samples[1], samples[2], samples[3], samples[4]
	table(b, samples)
	fmt.Fprintf(b, "**`gdaemonize -- sleep 60` / `daemonize /bin/sleep 60`: %.2f×** (medians; target ≤ 1.5×); with a pidfile, %.2f×.\n\n",
		ratio(g.median(), classic.median()), ratio(gP.median(), classicP.median()))
	fmt.Fprintf(b, "The times measure different promises. daemonize(1) returns as soon as it has forked once, before\n")
	fmt.Fprintf(b, "the daemon exists (and exits 0 even if the exec then fails); gdaemonize returns once the command's exec\n")
	fmt.Fprintf(b, "has succeeded and its pidfile is written and locked. It starts two Go programs to get there, itself and\n")
	fmt.Fprintf(b, "its re-executed session stage, each paying the Go runtime's start-up (the Go floor row: %s), where\n", us(fl.median()))
	fmt.Fprintf(b, "the C tool starts one C program. %d runs each; every daemon is killed after its run, untimed.\n\n", runs)
	return nil
}

// killDaemons kills and reaps the daemons the last run left, which were
// re-parented to this process, the subreaper.
func killDaemons() error {
	kids, err := testutil.Children(os.Getpid())
	if err != nil {
		return err
	}
	for _, pid := range kids {
		_ = unix.Kill(pid, unix.SIGKILL) // ours: it cannot be anybody else's
		var ws unix.WaitStatus
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil && err != syscall.ECHILD {
			return err
		}
	}
	return nil
}
