//go:build linux

package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// gsetsid's program leaves the terminal's session, so the hangup does not
// reach it, in the background or forked from the foreground.
func TestGsetsidHangup(t *testing.T) {
	runHangup(t, []hangupCase{
		{name: "control: plain job", line: helperLine("sleep", "DIR") + " &"},
		{name: "gsetsid &", line: "gsetsid " + helperLine("sleep", "DIR") + " &", survive: true, detach: true},
		{name: "gsetsid -f in the foreground", line: "gsetsid -f " + helperLine("sleep", "DIR"), survive: true, detach: true},
		{name: "util-linux setsid -w & (the reference)", line: "setsid -w " + helperLine("sleep", "DIR") + " &", survive: true, detach: true},
		{name: "gsetsid -w &", line: "gsetsid -w " + helperLine("sleep", "DIR") + " &", survive: true, detach: true},
	})
}

// From a script, gsetsid execs in place ($! is the program) unless -f.
func TestGsetsidScriptBang(t *testing.T) {
	for _, c := range []struct {
		opts     string
		sameProc bool
	}{
		{"", true},
		{"-f ", false},
	} {
		t.Run("gsetsid "+c.opts+"&", func(t *testing.T) {
			dir := tempDir(t)
			bang := runScript(t, dir, "gsetsid "+c.opts+helperLine("sleep", dir)+" &\necho $! > "+filepath.Join(dir, "bang")+"\n")
			pid := readyPID(t, dir)
			killAtCleanup(t, pid)
			if (bang() == pid) != c.sameProc {
				t.Errorf("$! is %d, the program %d: same process = %v, want %v", bang(), pid, !c.sameProc, c.sameProc)
			}
			if p := mustStat(t, pid); p.SID != pid || p.TTYNr != 0 {
				t.Errorf("program sid %d tty_nr %d, want a session of its own without a terminal", p.SID, p.TTYNr)
			}
		})
	}
}

// -w returns the program's status, 128+N when a signal killed it.
func TestGsetsidWaitStatus(t *testing.T) {
	dir := tempDir(t)
	tm := startTerm(t, dir)
	for _, want := range []int{0, 7} {
		if got := tm.status("gsetsid -w "+helperLine("exit", strconv.Itoa(want)), dir); got != want {
			t.Errorf("status %d, want %d", got, want)
		}
	}
	pid := tm.job("gsetsid -w "+helperLine("sleep", dir)+" &", dir)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := tm.status("wait $!", dir); got != 143 {
		t.Errorf("status for a program killed by SIGTERM: %d, want 143", got)
	}
}

// Under -w, what the user does to the job reaches the program in its own
// session. util-linux setsid -w is the control: its program never gets the
// terminal's Ctrl-C.
func TestGsetsidWaitForwardsSignals(t *testing.T) {
	t.Run("Ctrl-C, control: setsid -w", func(t *testing.T) {
		dir := tempDir(t)
		tm := startTerm(t, dir)
		pid := tm.job("setsid -w "+helperLine("sleep", dir), dir)
		tm.key(ctrlC)
		if !alive(t, dir, pid) {
			t.Error("util-linux passed the Ctrl-C on: the control proves nothing")
		}
	})
	t.Run("Ctrl-C, gsetsid -w", func(t *testing.T) {
		dir := tempDir(t)
		tm := startTerm(t, dir)
		pid := tm.job("gsetsid -w "+helperLine("sleep", dir), dir)
		tm.key(ctrlC)
		if got := tm.status("(exit $?)", dir); got != 130 {
			t.Errorf("status %d, want 130", got)
		}
		waitGone(t, pid)
	})
	// Signals reach the program, but the hangup: its new session is there
	// so that the terminal's SIGHUP cannot reach it (util-linux's setsid -w
	// dies of it and leaves its program alone). The SIGUSR1 sent after the
	// SIGHUP, once at the program, shows that the relay has dealt with the
	// SIGHUP (it takes them in order).
	t.Run("kill -USR2, -WINCH, -HUP, -USR1 %1", func(t *testing.T) {
		dir := tempDir(t)
		tm := startTerm(t, dir)
		pid := tm.job("gsetsid -w "+helperLine("sleep", dir, "--catch-hup")+" &", dir)
		tm.run("kill -USR2 %1; kill -WINCH %1; kill -HUP %1; kill -USR1 %1")
		waitAlive(t, pid, "the signals at the program", func() bool {
			text := readFile(t, filepath.Join(dir, "signals"))
			return strings.Contains(text, syscall.SIGUSR2.String()) && strings.Contains(text, syscall.SIGWINCH.String()) &&
				countLines(filepath.Join(dir, "probe")) == 1
		})
		if n := countLines(filepath.Join(dir, "hups")); n != 0 {
			t.Errorf("the program got %d SIGHUPs through gsetsid -w, want none", n)
		}
		tm.run("kill %1")
		if got := tm.status("wait $!", dir); got != 143 {
			t.Errorf("status after kill %%1: %d, want 143", got)
		}
		waitGone(t, pid)
	})
	t.Run("Ctrl-Z, fg, Ctrl-C", func(t *testing.T) { checkStopFgInterrupt(t, "gsetsid -w ") })
	// gsetsid -w dies of the program's SIGINT, as the program did: bash sees
	// a Ctrl-C, and a loop stops at the first one (the prompt comes back;
	// had bash taken it for an exit 130, the loop would run the next
	// gsetsid, and no prompt would come).
	t.Run("Ctrl-C in a loop", func(t *testing.T) {
		dir := tempDir(t)
		tm := startTerm(t, dir)
		after := filepath.Join(dir, "after")
		pid := tm.job("for i in 1 2 3; do gsetsid -w "+helperLine("sleep", dir)+"; done; touch "+after, dir)
		tm.key(ctrlC)
		waitGone(t, pid)
		if _, err := os.Stat(after); err == nil {
			t.Error("the loop went on after Ctrl-C: bash took the program's end for an exit 130")
		}
	})
}

// The command-line contract, util-linux's statuses and messages.
func TestGsetsidCommandLine(t *testing.T) {
	const try = "Try 'gsetsid --help' for more information.\n"
	runCLI(t, "gsetsid", []cliCase{
		{name: "no operand", args: args(),
			status: 1, stderr: "gsetsid: no command specified\n" + try},
		{name: "unknown option", args: args("--bogus", "true"),
			status: 1, stderr: "gsetsid: unrecognized option '--bogus'\n" + try},
		{name: "unknown short option", args: args("-x", "true"),
			status: 1, stderr: "gsetsid: invalid option -- 'x'\n" + try},
		{name: "not found", args: args("gdetach-no-such-command"),
			status: 127, stderr: "gsetsid: failed to execute gdetach-no-such-command: No such file or directory\n"},
		{name: "not found, after a fork", args: args("-f", "gdetach-no-such-command"),
			status: 127, stderr: "gsetsid: failed to execute gdetach-no-such-command: No such file or directory\n"},
		{name: "not executable", args: func(dir string) []string {
			p := filepath.Join(dir, "plain")
			os.WriteFile(p, []byte("true\n"), 0o644)
			return []string{"-f", "-w", p}
		}, status: 126, stderr: "gsetsid: failed to execute DIR/plain: Permission denied\n"},
		{name: "-c without a terminal", args: args("-c", "true"),
			status: 1, stderr: "gsetsid: failed to set the controlling terminal: Inappropriate ioctl for device\n"},
		{name: "--help", args: args("--help"),
			stdoutRE: `(?s)^Usage: gsetsid \[OPTION\]\.\.\. PROGRAM \[ARG\]\.\.\.\n.*-c, --ctty.*-f, --fork.*-w, --wait.*-h, --help.*-V, --version`},
		{name: "-V", args: args("-V"), stdoutRE: versionRE("gsetsid")},
		// Options as getopt_long takes them: abbreviated to a unique prefix,
		// glibc's words for its mistakes.
		{name: "--version abbreviated", args: args("--vers"), stdoutRE: versionRE("gsetsid")},
		{name: "--wait given a value", args: args("--wait=1", "true"),
			status: 1, stderr: "gsetsid: option '--wait' doesn't allow an argument\n" + try},
		{name: "--help given a value", args: args("--help=foo"),
			status: 1, stderr: "gsetsid: option '--help' doesn't allow an argument\n" + try},
		{name: "abbreviated --fork --wait", args: args("--fo", "--wa", "sh", "-c", "exit 3"), status: 3},
		{name: "options after PROGRAM are PROGRAM's", args: func(string) []string {
			return []string{"sh", "-c", `echo "$@"`, "sh", "-w", "--help"}
		}, stdoutRE: "^-w --help\n$"},
	})
}

// -c makes the terminal on standard input PROGRAM's controlling terminal;
// without it, PROGRAM has none. Descriptors pass through untouched.
func TestGsetsidCtty(t *testing.T) {
	for _, c := range []struct {
		args []string
		ctty bool
	}{
		{nil, false},
		{[]string{"-c"}, true},
		{[]string{"-c", "-f", "-w"}, true},
	} {
		t.Run(strings.Join(append([]string{"gsetsid"}, c.args...), " "), func(t *testing.T) {
			dir := tempDir(t)
			file := filepath.Join(dir, "report")
			args := append(append([]string{"gsetsid"}, c.args...), helperArgs("report", file)...)
			r := runWith(t, dir, runOptions{tty: [3]bool{true, false, false}}, args...)
			if r.status != 0 {
				t.Fatalf("status %d: %s", r.status, r.stderr)
			}
			rep := report(t, file)
			if got := rep["tty_nr"] != "0" && rep["devtty_opens"] == "true"; got != c.ctty {
				t.Errorf("tty_nr %s, /dev/tty opens %s: controlling terminal = %v, want %v", rep["tty_nr"], rep["devtty_opens"], got, c.ctty)
			}
			if rep["sid"] != rep["pid"] || !strings.HasPrefix(rep["fd0"], "/dev/pts/") || rep["fd1"] != filepath.Join(dir, ".fd1") {
				t.Errorf("report %v: want a session leader with its descriptors untouched", rep)
			}
		})
	}
}
