//go:build linux

package main

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

// gnohupStartup compares `gnohup true` with `nohup true`.
func gnohupStartup(b *strings.Builder, runs int, bin, floor string) error {
	gnohup := filepath.Join(bin, "gnohup")
	samples, err := measure(runs,
		command{label: "`nohup true` (coreutils)", argv: []string{"nohup", "true"}},
		command{label: "`gnohup true` (exec in place)", argv: []string{gnohup, "true"}},
		command{label: "`true` alone", argv: []string{"true"}},
		command{label: "Go floor: a Go program that only execs `true`", argv: []string{floor, "true"}},
		command{label: "`gnohup true` as a job leader (relay)", argv: []string{gnohup, "true"},
			attr: &syscall.SysProcAttr{Setpgid: true}},
	)
	if err != nil {
		return err
	}
	nohup, g, tr, fl, relay := samples[0], samples[1], samples[2], samples[3], samples[4]
	fmt.Fprintf(b, "## gnohup vs coreutils nohup\n\n")
	table(b, samples)
	fmt.Fprintf(b, "**`gnohup true` / `nohup true`: %.2f×** (medians; target ≤ 1.05×).\n\n", ratio(g.median(), nohup.median()))
	fmt.Fprintf(b, "What the time is made of: running `true` alone costs %s; coreutils nohup adds %s to it. A Go\n",
		us(tr.median()), us(nohup.median()-tr.median()))
	fmt.Fprintf(b, "program that does nothing but exec `true` already adds %s (the Go runtime's start-up: its threads,\n",
		us(fl.median()-tr.median()))
	fmt.Fprintf(b, "heap arenas and signal handlers), which is %.2f× nohup on its own; gnohup's own work on top of that\n",
		ratio(fl.median(), nohup.median()))
	fmt.Fprintf(b, "floor (option parsing, the PATH search, isatty on three descriptors, the terminal check, setsid) is\n")
	fmt.Fprintf(b, "%s. The 5%% target cannot be met by a Go binary on this machine; gnohup stays within %s of the\n",
		us(g.median()-fl.median()), us(g.median()-nohup.median()))
	fmt.Fprintf(b, "classic tool per start. The release build is static (`CGO_ENABLED=0`): pflag imports `net`, whose cgo\n")
	fmt.Fprintf(b, "resolver would otherwise make the binary load libc through ld.so on every start.\n\n")
	fmt.Fprintf(b, "As a job leader (every `&` job of an interactive shell) gnohup cannot setsid itself: it starts the\n")
	fmt.Fprintf(b, "command as a child in a new session and relays signals to it, at %s per start. Most of what that\n", us(relay.median()))
	fmt.Fprintf(b, "adds to the exec in place is registering, before the start, every signal the relay passes on (57 on\n")
	fmt.Fprintf(b, "Linux, so that none can be lost or kill it): os/signal hands each one to the Go runtime's signal\n")
	fmt.Fprintf(b, "thread and waits for it, a thread switch per signal (1.0 to 2.7 ms in all, measured alone on this machine).\n\n")
	return nil
}

// relayFootprint reports what a relaying gnohup costs while its command runs.
func relayFootprint(b *strings.Builder, bin string) error {
	const wait = 5 * time.Second
	cmd := exec.Command(filepath.Join(bin, "gnohup"), "sleep", "3600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a job leader: gnohup relays
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // forwarded to sleep; the relay then exits
		_ = cmd.Wait()
	}()
	relay := cmd.Process.Pid
	child, err := waitChild(relay, 10*time.Second)
	if err != nil {
		return err
	}
	before, err := testutil.ReadStat(relay)
	if err != nil {
		return err
	}
	time.Sleep(wait) // the measurement itself: idle time
	after, err := testutil.ReadStat(relay)
	if err != nil {
		return err
	}
	rss, err := testutil.StatusKB(relay, "VmRSS")
	if err != nil {
		return err
	}
	anon, _ := testutil.StatusKB(relay, "RssAnon")
	file, _ := testutil.StatusKB(relay, "RssFile")
	childRSS, _ := testutil.StatusKB(child, "VmRSS")
	fmt.Fprintf(b, "## gnohup's relay while the command runs\n\n")
	fmt.Fprintf(b, "`gnohup sleep 3600` started as a job leader, measured once `sleep` runs:\n\n")
	fmt.Fprintln(b, "| | value | target |")
	fmt.Fprintln(b, "|---|---:|---:|")
	fmt.Fprintf(b, "| relay resident memory (VmRSS) | %d KiB (%.2f MiB) | ≤ 3 MiB |\n", rss, float64(rss)/1024)
	fmt.Fprintf(b, "| … of which anonymous (heap, stacks) | %d KiB | |\n", anon)
	fmt.Fprintf(b, "| … of which file-backed (gnohup's own code, shared by every gnohup) | %d KiB | |\n", file)
	fmt.Fprintf(b, "| relay CPU over %v of waiting | %d clock ticks (1 tick = 10 ms) | 0 |\n", wait, (after.UTime+after.STime-before.UTime-before.STime)/(10*time.Millisecond))
	fmt.Fprintf(b, "| `sleep` itself, for scale | %d KiB | |\n\n", childRSS)
	return nil
}

// waitChild waits until pid has a child and returns its PID.
func waitChild(pid int, limit time.Duration) (int, error) {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(time.Millisecond) {
		kids, err := testutil.Children(pid)
		if err != nil {
			return 0, err
		}
		if len(kids) > 0 {
			return kids[0], nil
		}
	}
	return 0, errors.New("the relay started no command")
}
