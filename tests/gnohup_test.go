//go:build linux

package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/gdetach/gdetach/tests/testutil"
)

const try = "Try 'gnohup --help' for more information.\n"

// The command line contract: statuses and messages for every kind of bad
// input, and the GNU options. A command that never ran leaves no output file.
func TestGnohupCommandLine(t *testing.T) {
	notExec := func(dir string) string {
		p := filepath.Join(dir, "plain.sh")
		os.WriteFile(p, []byte("echo hi\n"), 0o644)
		return p
	}
	noOutputFile := func(t *testing.T, dir string) {
		if _, err := os.Lstat(filepath.Join(dir, "nohup.out")); err == nil {
			t.Error("an output file was created for a command that never ran")
		}
	}
	cases := []cliCase{
		{name: "no operand", args: args(),
			status: 125, stderr: "gnohup: missing operand\n" + try},
		{name: "no operand, POSIXLY_CORRECT", args: args(), env: []string{"POSIXLY_CORRECT=1"},
			status: 127, stderr: "gnohup: missing operand\n" + try},
		{name: "unknown option", args: args("--bogus", "true"),
			status: 125, stderr: "gnohup: unrecognized option '--bogus'\n" + try},
		{name: "unknown short option", args: args("-x", "true"),
			status: 125, stderr: "gnohup: invalid option -- 'x'\n" + try},
		{name: "option without its value", args: args("-o"),
			status: 125, stderr: "gnohup: option requires an argument -- 'o'\n" + try},
		// An empty name is a mistake (an unset variable in -o "$LOG"), never
		// the option left out: taken as absent, ssh would wait on COMMAND.
		{name: "empty -o", args: args("-o", "", "true"),
			status: 125, stderr: "gnohup: invalid argument '' for '--output': cannot be empty\n" + try},
		{name: "empty --output=", args: args("-q", "--output=", "true"),
			status: 125, stderr: "gnohup: invalid argument '' for '--output': cannot be empty\n" + try},
		{name: "empty --pidfile", args: args("--pidfile", "", "true"),
			status: 125, stderr: "gnohup: invalid argument '' for '--pidfile': cannot be empty\n" + try},
		{name: "empty --pidfile, POSIXLY_CORRECT", args: args("--pidfile=", "true"), env: []string{"POSIXLY_CORRECT=1"},
			status: 127, stderr: "gnohup: invalid argument '' for '--pidfile': cannot be empty\n" + try},
		{name: "--help", args: args("--help"),
			stdoutRE: `(?s)^Usage: gnohup \[OPTION\]\.\.\. COMMAND \[ARG\]\.\.\.\n.*--output FILE.*--pidfile FILE.*--keep-session.*nohup\.out`},
		{name: "--version", args: args("--version"),
			stdoutRE: versionRE("gnohup")},
		// Options as getopt_long takes them: abbreviated to a unique prefix,
		// glibc's words for its mistakes.
		{name: "--version abbreviated", args: args("--vers"),
			stdoutRE: versionRE("gnohup")},
		{name: "--help given a value", args: args("--help=foo"),
			status: 125, stderr: "gnohup: option '--help' doesn't allow an argument\n" + try},
		{name: "abbreviated bool given a value", args: args("--q=yes", "true"),
			status: 125, stderr: "gnohup: option '--quiet' doesn't allow an argument\n" + try},
		{name: "abbreviation without its value", args: args("--out"),
			status: 125, stderr: "gnohup: option '--output' requires an argument\n" + try},
		{name: "abbreviation with a value", args: func(dir string) []string {
			return []string{"--q", "--out", dir + "/app.log", "sh", "-c", "echo hi"}
		}, after: func(t *testing.T, dir string) {
			if got := readFile(t, dir+"/app.log"); got != "hi\n" {
				t.Errorf("the output file holds %q, want hi", got)
			}
		}},
		{name: "abbreviation with =value", args: func(dir string) []string {
			return []string{"--ou=" + dir + "/app.log", "-q", "sh", "-c", "echo hi"}
		}, after: func(t *testing.T, dir string) {
			if got := readFile(t, dir+"/app.log"); got != "hi\n" {
				t.Errorf("the output file holds %q, want hi", got)
			}
		}},
		{name: "-o takes --help as its FILE", args: args("-qo", "--help", "sh", "-c", "echo hi"),
			after: func(t *testing.T, dir string) {
				if got := readFile(t, dir+"/--help"); got != "hi\n" {
					t.Errorf("the output file --help holds %q, want hi", got)
				}
			}},
		{name: "not found", args: args("gdetach-no-such-command"),
			status: 127, stderr: "gnohup: failed to run command 'gdetach-no-such-command': No such file or directory\n"},
		{name: "not executable", args: func(dir string) []string { return []string{notExec(dir)} },
			status: 126, stderr: "gnohup: failed to run command 'DIR/plain.sh': Permission denied\n"},
		{name: "a directory", args: func(dir string) []string { return []string{dir} },
			status: 126, stderr: "gnohup: failed to run command 'DIR': Permission denied\n"},
		{name: "--pidfile with --keep-session", args: func(dir string) []string {
			return []string{"--keep-session", "--pidfile", dir + "/p", "true"}
		}, status: 125, stderr: "gnohup: --pidfile cannot be used with --keep-session\n" + try},
		// -f: gnohup is gone once COMMAND runs, so nothing would hold or
		// remove a pidfile; and it is a new session by definition.
		{name: "--pidfile with --fork", args: func(dir string) []string {
			return []string{"-f", "--pidfile", dir + "/p", "true"}
		}, status: 125, stderr: "gnohup: --pidfile cannot be used with --fork\n" + try,
			after: func(t *testing.T, dir string) {
				if _, err := os.Lstat(dir + "/p"); err == nil {
					t.Error("the pidfile was created")
				}
			}},
		{name: "--fork with --keep-session", args: args("--keep-session", "--fork", "true"),
			status: 125, stderr: "gnohup: --fork cannot be used with --keep-session\n" + try},
		{name: "-f, not found", args: args("-f", "gdetach-no-such-command"),
			status: 127, stderr: "gnohup: failed to run command 'gdetach-no-such-command': No such file or directory\n"},
		{name: "-f, not executable", args: func(dir string) []string { return []string{"-f", notExec(dir)} },
			status: 126, stderr: "gnohup: failed to run command 'DIR/plain.sh': Permission denied\n"},
		{name: "-f, the interpreter missing", args: func(dir string) []string {
			p := filepath.Join(dir, "bad")
			os.WriteFile(p, []byte("#!/nonexistent/interpreter\n"), 0o755)
			return []string{"--fork", p}
		}, status: 127, stderr: "gnohup: failed to run command 'DIR/bad': No such file or directory\n"},
		{name: "pidfile directory missing", args: func(dir string) []string {
			return append([]string{"--pidfile", dir + "/missing/p", "-o", dir + "/nohup.out"}, helperArgs("exit", "0")...)
		}, status: 125, stderr: "gnohup: pidfile: open DIR/missing/p: No such file or directory\n"},
		{name: "the pidfile is the output file", args: func(dir string) []string {
			return []string{"-o", dir + "/same", "--pidfile", dir + "/same", "true"}
		}, status: 125, stderr: "gnohup: the output file DIR/same is the pidfile DIR/same\n"},
		{name: "the pidfile is a device", args: args("--pidfile", "/dev/null", "true"),
			status: 125, stderr: "gnohup: pidfile: /dev/null is a device, not a regular file\n"},
		{name: "the pidfile is not one", args: func(dir string) []string {
			os.WriteFile(dir+"/app.conf", []byte("keep = me\n"), 0o644)
			return []string{"--pidfile", dir + "/app.conf", "true"}
		}, status: 125, stderr: "gnohup: pidfile: DIR/app.conf: not a pidfile: it does not hold a PID\n",
			after: func(t *testing.T, dir string) {
				if got := readFile(t, dir+"/app.conf"); got != "keep = me\n" {
					t.Errorf("the file named as the pidfile now holds %q", got)
				}
			}},
		{name: "-o names a symlink", args: func(dir string) []string {
			os.Symlink(dir+"/elsewhere", dir+"/link")
			return []string{"-o", dir + "/link", "true"}
		}, status: 125, stderr: "gnohup: failed to open 'DIR/link': is a symbolic link, which gnohup does not follow\n"},
		{name: "options after COMMAND are COMMAND's", args: func(string) []string {
			return []string{"sh", "-c", `echo "$@"`, "sh", "-o", "--help", "--"}
		}, stdoutRE: "^-o --help --\n$"},
		{name: "-- ends gnohup's options", args: func(string) []string { return append([]string{"--"}, helperArgs("exit", "3")...) },
			status: 3},
		{name: "script without #! runs through sh", args: func(dir string) []string {
			p := filepath.Join(dir, "script")
			os.WriteFile(p, []byte("echo from sh: $1\n"), 0o755)
			return []string{p, "arg"}
		}, stdoutRE: "^from sh: arg\n$"},
		{name: "a newline in the name is quoted, as coreutils quotes it", args: args("new\nline"),
			status: 127, stderr: "gnohup: failed to run command 'new'$'\\n''line': No such file or directory\n"},
		// glibc's execvp: an empty PATH is the current directory, and the
		// search goes on past a file whose interpreter is missing.
		{name: "PATH empty: the current directory", env: []string{"PATH="}, args: func(dir string) []string {
			os.WriteFile(filepath.Join(dir, "prog"), []byte("#!/bin/sh\necho ran from here\n"), 0o755)
			return []string{"prog"}
		}, stdoutRE: "^ran from here\n$"},
		{name: "search goes on past a bad interpreter", env: []string{"PATH=DIR/bin1:DIR/bin2"}, args: func(dir string) []string {
			for bin, text := range map[string]string{"bin1": "#!/nonexistent/interpreter\n", "bin2": "#!/bin/sh\necho ran from bin2\n"} {
				os.Mkdir(filepath.Join(dir, bin), 0o755)
				os.WriteFile(filepath.Join(dir, bin, "prog"), []byte(text), 0o755)
			}
			return []string{"prog"}
		}, stdoutRE: "^ran from bin2\n$"},
	}
	for i := range cases {
		if after := cases[i].after; cases[i].status >= 125 {
			cases[i].after = func(t *testing.T, dir string) {
				noOutputFile(t, dir)
				if after != nil {
					after(t, dir)
				}
			}
		}
	}
	runCLI(t, "gnohup", cases)
}

// A pidfile another gnohup holds (its relay keeps the lock while its
// command runs) is refused, naming that relay, and left as it is.
func TestGnohupPidfileInUse(t *testing.T) {
	dir := tempDir(t)
	pidfile := filepath.Join(dir, "app.pid")
	first := exec.Command("gnohup", append([]string{"-o", filepath.Join(dir, "out.log"), "--pidfile", pidfile}, helperArgs("sleep", dir)...)...)
	startBackground(t, first, nil)
	pid := readyPID(t, dir, testutil.Watch(t, first.Process.Pid))
	killAtCleanup(t, pid)
	waitAlive(t, pid, "the pidfile", func() bool { n, err := testutil.ReadPIDFile(pidfile); return err == nil && n == pid })
	r := runWith(t, dir, runOptions{}, "gnohup", "--pidfile", pidfile, "true")
	if want := fmt.Sprintf("gnohup: pidfile %s is in use by pid %d (another gnohup?)\n", pidfile, first.Process.Pid); r.status != 125 || r.stderr != want {
		t.Errorf("second gnohup: status %d, stderr %q; want 125 and %q", r.status, r.stderr, want)
	}
	if n, _ := testutil.ReadPIDFile(pidfile); n != pid {
		t.Errorf("the pidfile now holds %d, want %d", n, pid)
	}
}

// Every combination of terminals on fds 0-2: coreutils' redirections and
// its exact messages, and the command detached from any terminal.
func TestGnohupTerminalCombinations(t *testing.T) {
	for _, c := range []struct {
		tty     [3]bool
		message string
	}{
		{[3]bool{false, false, false}, ""},
		{[3]bool{true, false, false}, "ignoring input"},
		{[3]bool{false, true, false}, "appending output to 'nohup.out'"},
		{[3]bool{false, false, true}, "redirecting stderr to stdout"},
		{[3]bool{true, true, false}, "ignoring input and appending output to 'nohup.out'"},
		{[3]bool{true, false, true}, "ignoring input and redirecting stderr to stdout"},
		{[3]bool{false, true, true}, "appending output to 'nohup.out'"},
		{[3]bool{true, true, true}, "ignoring input and appending output to 'nohup.out'"},
	} {
		t.Run(fmt.Sprintf("tty %v", c.tty), func(t *testing.T) {
			dir := tempDir(t)
			file := filepath.Join(dir, "report")
			r := runWith(t, dir, runOptions{tty: c.tty}, append([]string{"gnohup"}, helperArgs("report", file)...)...)
			if r.status != 0 {
				t.Fatalf("status %d, stderr %q", r.status, r.stderr)
			}
			wantStderr := ""
			if c.message != "" {
				wantStderr = "gnohup: " + c.message + "\n"
			}
			if r.stderr != wantStderr {
				t.Errorf("stderr %q, want %q", r.stderr, wantStderr)
			}
			rep := report(t, file)
			nohupOut := filepath.Join(dir, "nohup.out")
			stdout, stderr := filepath.Join(dir, ".fd1"), filepath.Join(dir, ".fd2")
			if c.tty[1] {
				stdout = nohupOut
			}
			if c.tty[2] {
				stderr = stdout
			}
			switch {
			case c.tty[0] && (rep["fd0"] != "/dev/null" || rep["fd0_accmode"] != fmt.Sprint(syscall.O_WRONLY) || rep["read_stdin_err"] != "true"):
				t.Errorf("stdin %s (access mode %s, read fails %s), want /dev/null write-only", rep["fd0"], rep["fd0_accmode"], rep["read_stdin_err"])
			case !c.tty[0] && rep["fd0"] != filepath.Join(dir, ".fd0"):
				t.Errorf("stdin %s, want it untouched", rep["fd0"])
			}
			if rep["fd1"] != stdout || rep["fd2"] != stderr {
				t.Errorf("stdout %s, stderr %s; want %s and %s", rep["fd1"], rep["fd2"], stdout, stderr)
			}
			if rep["hup_ignored"] != "true" || rep["sid"] != rep["pid"] || rep["tty_nr"] != "0" {
				t.Errorf("SIGHUP ignored %s, sid %s (pid %s), tty_nr %s: want ignored, a session of its own, no terminal",
					rep["hup_ignored"], rep["sid"], rep["pid"], rep["tty_nr"])
			}
			if c.tty[1] {
				if st, err := os.Stat(nohupOut); err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("nohup.out: %v, want mode 0600", err)
				}
			}
		})
	}
}

// When nohup.out cannot be opened in the current directory, $HOME/nohup.out
// is used; when neither can, gnohup fails with 125 (127 under
// POSIXLY_CORRECT) naming both, and the command does not run.
func TestGnohupOutputFallback(t *testing.T) {
	for _, c := range []struct {
		name        string
		homeBlocked bool
		env         []string
		wantStatus  int
	}{
		{"home", false, nil, 0},
		{"neither", true, nil, 125},
		{"neither, POSIXLY_CORRECT", true, []string{"POSIXLY_CORRECT=1"}, 127},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, home := tempDir(t), tempDir(t)
			// A directory named nohup.out cannot be opened for writing, even by root.
			os.Mkdir(filepath.Join(dir, "nohup.out"), 0o755)
			if c.homeBlocked {
				os.Mkdir(filepath.Join(home, "nohup.out"), 0o755)
			}
			file := filepath.Join(dir, "report")
			r := runWith(t, dir, runOptions{tty: [3]bool{false, true, false}, env: append([]string{"HOME=" + home}, c.env...)},
				append([]string{"gnohup"}, helperArgs("report", file)...)...)
			if r.status != c.wantStatus {
				t.Errorf("status %d, want %d", r.status, c.wantStatus)
			}
			if !c.homeBlocked {
				if want := "gnohup: appending output to '" + home + "/nohup.out'\n"; r.stderr != want {
					t.Errorf("stderr %q, want %q", r.stderr, want)
				}
				if got := report(t, file)["fd1"]; got != home+"/nohup.out" {
					t.Errorf("stdout %s, want $HOME/nohup.out", got)
				}
				return
			}
			want := "gnohup: failed to open 'nohup.out': Is a directory\n" +
				"gnohup: failed to open '" + home + "/nohup.out': Is a directory\n"
			if r.stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
			}
			if _, err := os.Stat(file); err == nil {
				t.Error("the command ran")
			}
		})
	}
}

// -o sends stdout and stderr to FILE, and stdin from /dev/null, whether or
// not they are terminals (pipes and sockets: deploy_test.go).
func TestGnohupOutputOption(t *testing.T) {
	for _, tty := range [][3]bool{{false, false, false}, {true, true, true}} {
		t.Run(fmt.Sprintf("tty %v", tty), func(t *testing.T) {
			dir := tempDir(t)
			log, file := filepath.Join(dir, "app.log"), filepath.Join(dir, "report")
			r := runWith(t, dir, runOptions{tty: tty}, append([]string{"gnohup", "-o", log}, helperArgs("report", file)...)...)
			wantMsg := "ignoring input and appending output to '" + log + "'"
			if r.status != 0 || r.stderr != "gnohup: "+wantMsg+"\n" {
				t.Errorf("status %d stderr %q, want 0 and %q", r.status, r.stderr, wantMsg)
			}
			rep := report(t, file)
			if rep["fd0"] != os.DevNull || rep["fd1"] != log || rep["fd2"] != log {
				t.Errorf("stdin %s stdout %s stderr %s, want /dev/null and %s twice", rep["fd0"], rep["fd1"], rep["fd2"], log)
			}
			if st, err := os.Stat(log); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v, want mode 0600", log, err)
			}
		})
	}
}

// A failed exec is reported on the original stderr, not into nohup.out.
func TestGnohupExecFailureOnOriginalStderr(t *testing.T) {
	dir := tempDir(t)
	bad := filepath.Join(dir, "bad")
	// Executable, so the lookup passes; the kernel then fails the exec (ENOENT).
	os.WriteFile(bad, []byte("#!/nonexistent/interpreter\n"), 0o755)
	r := runWith(t, dir, runOptions{tty: [3]bool{true, true, true}}, "gnohup", bad)
	want := "gnohup: ignoring input and appending output to 'nohup.out'\n" +
		"gnohup: failed to run command '" + bad + "': No such file or directory\n"
	if r.status != 127 || r.stderr != want {
		t.Errorf("status %d stderr %q, want 127 and %q", r.status, r.stderr, want)
	}
	if got := readFile(t, filepath.Join(dir, "nohup.out")); got != "" {
		t.Errorf("nohup.out holds %q", got)
	}
}

// The same with real permissions: a current directory and a $HOME the user
// cannot write to (as root, the test runs gnohup as nobody).
func TestGnohupOutputUnwritable(t *testing.T) {
	dir, home := tempDir(t), tempDir(t)
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	for _, d := range []string{dir, home} {
		if err := os.Chmod(d, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	r := runWith(t, dir, runOptions{tty: [3]bool{false, true, false}, env: []string{"HOME=" + home}, cred: cred},
		append([]string{"gnohup"}, helperArgs("exit", "0")...)...)
	want := "gnohup: failed to open 'nohup.out': Permission denied\n" +
		"gnohup: failed to open '" + home + "/nohup.out': Permission denied\n"
	if r.status != 125 || r.stderr != want {
		t.Errorf("status %d, stderr:\n%s\nwant 125 and:\n%s", r.status, r.stderr, want)
	}
}

// -f from an interactive shell, where a foreground gnohup otherwise stays as
// the job's relay: the prompt comes back at once with status 0 while the
// command runs, detached as ever (a session of its own, no terminal, SIGHUP
// ignored, the terminal's descriptors redirected as nohup does), with no
// gnohup left above it, and it survives the hangup.
func TestGnohupFork(t *testing.T) {
	dir := tempDir(t)
	tm := startTerm(t, dir)
	if got := tm.status("gnohup -f "+helperLine("sleep", dir), dir); got != 0 {
		t.Fatalf("gnohup -f exited with %d, want 0", got)
	}
	pid := readyPID(t, dir)
	killAtCleanup(t, pid)
	if !strings.Contains(tm.output(), "gnohup: ignoring input and appending output to 'nohup.out'") {
		t.Error("no advisory line on the terminal")
	}
	p := mustStat(t, pid)
	if p.SID != pid || p.TTYNr != 0 || !sigIgnored(t, pid, syscall.SIGHUP) {
		t.Errorf("sid %d (pid %d), tty_nr %d, SIGHUP ignored %v: want a session of its own, no terminal, SIGHUP ignored",
			p.SID, pid, p.TTYNr, sigIgnored(t, pid, syscall.SIGHUP))
	}
	if parent := procStrings(t, p.PPID, "cmdline")[0]; filepath.Base(parent) == "gnohup" {
		t.Errorf("the command's parent %d is %s: a gnohup stayed behind", p.PPID, parent)
	}
	fds := fdTargets(t, pid)
	if nohupOut := filepath.Join(dir, "nohup.out"); fds[0] != os.DevNull || fds[1] != nohupOut || fds[2] != nohupOut {
		t.Errorf("the command's fds 0-2: %q %q %q; want /dev/null and nohup.out twice", fds[0], fds[1], fds[2])
	}
	tm.hangup()
	if !alive(t, dir, pid) {
		t.Error("the command did not survive the hangup")
	}
}

// A descriptor the caller closed, with nohup as the control. The Go runtime
// opens /dev/null read-write on a closed descriptor before gnohup runs;
// gnohup takes that for closed, and then does what nohup does where that
// decides where output goes: with standard output closed and standard error
// a terminal, standard error is appended to nohup.out (nohup's two lines
// say so), not lost. /dev/null opened by a shell (write-only) is a file like
// any other. Where gnohup(1) says gnohup cannot do as nohup, gnohup's own
// outcome is given.
func TestGnohupClosedDescriptors(t *testing.T) {
	type outcome struct {
		status   int
		stderr   string // on standard error, PROG standing for the command's name
		nohupOut string // what nohup.out holds; "-" when there is none
	}
	two := func(input string) string {
		return "PROG: " + input + "appending output to 'nohup.out'\nPROG: " + input + "redirecting stderr to stdout\n"
	}
	cases := []struct {
		name   string
		sh     string
		tty    [3]bool
		nohup  outcome
		gnohup *outcome // nil: as nohup
	}{
		{name: "stdout closed, stderr a terminal", sh: "exec 1>&-", tty: [3]bool{false, false, true},
			nohup: outcome{0, two(""), "err\n"}},
		{name: "stdin a terminal, stdout closed, stderr a terminal", sh: "exec 1>&-", tty: [3]bool{true, false, true},
			nohup: outcome{0, two("ignoring input and "), "err\n"}},
		{name: "stdin and stdout closed, stderr a terminal", sh: "exec 0<&- 1>&-", tty: [3]bool{false, false, true},
			nohup: outcome{0, two(""), "err\n"}},
		{name: "stdout closed, stderr a file", sh: "exec 1>&-",
			nohup: outcome{0, "err\n", "-"}},
		{name: "stdin closed, stdout a terminal", sh: "exec 0<&-", tty: [3]bool{false, true, false},
			nohup: outcome{0, "PROG: appending output to 'nohup.out'\nerr\n", "out\n"}},
		{name: "stdout >/dev/null, stderr a terminal", sh: "exec 1>/dev/null", tty: [3]bool{false, false, true},
			nohup: outcome{0, "PROG: redirecting stderr to stdout\n", "-"}},
		// gnohup(1): a caller's read-write /dev/null looks closed...
		{name: "stdout <>/dev/null, stderr a terminal", sh: "exec 1<>/dev/null", tty: [3]bool{false, false, true},
			nohup: outcome{0, "PROG: redirecting stderr to stdout\n", "-"}, gnohup: &outcome{0, two(""), "err\n"}},
		// ... so gnohup does not refuse to run when its line would go to a
		// closed standard error (nohup's write fails: 125, nothing run).
		{name: "stdout a terminal, stderr closed", sh: "exec 2>&-", tty: [3]bool{true, true, false},
			nohup: outcome{125, "", ""}, gnohup: &outcome{0, "", "out\n"}},
	}
	for _, c := range cases {
		for _, prog := range []string{"nohup", "gnohup"} {
			t.Run(prog+"/"+c.name, func(t *testing.T) {
				want := c.nohup
				if prog == "gnohup" && c.gnohup != nil {
					want = *c.gnohup
				}
				dir := tempDir(t)
				// Its standard output unchecked: closed, it fails under nohup.
				r := runWith(t, dir, runOptions{tty: c.tty, sh: c.sh}, prog, "sh", "-c", "echo out 2>/dev/null; echo err >&2")
				if wantStderr := strings.ReplaceAll(want.stderr, "PROG", prog); r.status != want.status || r.stderr != wantStderr {
					t.Errorf("status %d, stderr %q; want %d and %q", r.status, r.stderr, want.status, wantStderr)
				}
				nohupOut := filepath.Join(dir, "nohup.out")
				st, err := os.Stat(nohupOut)
				switch {
				case want.nohupOut == "-" && err == nil:
					t.Errorf("nohup.out was created, holding %q", readFile(t, nohupOut))
				case want.nohupOut == "-":
				case err != nil:
					t.Errorf("nohup.out: %v, want it to hold %q", err, want.nohupOut)
				case st.Mode().Perm() != 0o600:
					t.Errorf("nohup.out has mode %#o, want 0600", st.Mode().Perm())
				case readFile(t, nohupOut) != want.nohupOut:
					t.Errorf("nohup.out holds %q, want %q", readFile(t, nohupOut), want.nohupOut)
				}
			})
		}
	}
}

// The advisory line written to a broken pipe (the caller's reader gone),
// with nohup as the control. A caller that ignored SIGPIPE (a shell's trap,
// many daemons) sees nohup's write fail and nohup exit 125 (127 under
// POSIXLY_CORRECT) without running COMMAND; gnohup does the same, where the
// Go runtime made it die of SIGPIPE. With SIGPIPE at its default, nohup dies
// of it; gnohup cannot tell the two callers apart (the runtime replaced the
// disposition before main) and exits 125 all the same, as gnohup(1) says.
func TestGnohupAdvisoryLineToBrokenPipe(t *testing.T) {
	for _, c := range []struct {
		name          string
		ignore        bool
		env           []string
		nohup, gnohup string // how the command ended
	}{
		{"SIGPIPE ignored", true, nil, "exit status 125", "exit status 125"},
		{"SIGPIPE ignored, POSIXLY_CORRECT", true, []string{"POSIXLY_CORRECT=1"}, "exit status 127", "exit status 127"},
		{"SIGPIPE at its default", false, nil, "signal: broken pipe", "exit status 125"},
	} {
		for _, prog := range []string{"nohup", "gnohup"} {
			t.Run(prog+"/"+c.name, func(t *testing.T) {
				dir := tempDir(t)
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				r.Close() // the reader is gone before anything is written
				defer w.Close()
				// Standard input a terminal, so that there is a line to say.
				master, tty, err := pty.Open()
				if err != nil {
					t.Fatal(err)
				}
				defer master.Close()
				defer tty.Close()
				out, err := os.Create(filepath.Join(dir, "out"))
				if err != nil {
					t.Fatal(err)
				}
				defer out.Close()
				sh := `exec "$@"`
				if c.ignore {
					sh = `trap '' PIPE; ` + sh
				}
				cmd := exec.Command("sh", "-c", sh, "sh", prog, "sh", "-c", "touch ran")
				cmd.Dir, cmd.Env = dir, append(os.Environ(), c.env...)
				cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, out, w
				err = cmd.Run()
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatalf("%s: %v, want it to fail", prog, err)
				}
				want := c.nohup
				if prog == "gnohup" {
					want = c.gnohup
				}
				if got := ee.ProcessState.String(); got != want {
					t.Errorf("%s ended with %q, want %q", prog, got, want)
				}
				if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
					t.Error("the command ran")
				}
			})
		}
	}
}
