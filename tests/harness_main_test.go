//go:build linux

package tests

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/process"
	"github.com/gdetach/gdetach/session"
	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

// suiteEnv marks the test process that runs the tests, below the supervisor.
const suiteEnv = "GDETACH_TEST_SUITE"

// binDir holds the commands under test and the helper, and leads $PATH.
var binDir string

func TestMain(m *testing.M) {
	testutil.RunHelperIfAsked()
	if os.Getenv(suiteEnv) == "" {
		os.Exit(superviseSuite())
	}
	os.Exit(runSuite(m))
}

// superviseSuite runs the test binary again as the suite, in a session of its
// own (so the commands see no controlling terminal, however `make test` was
// started), below this process as a child subreaper. The processes the tests
// orphan on purpose, the survivors of a hangup, are re-parented here rather
// than to PID 1 (which, in some containers, never reaps them); once the suite
// exits they are killed and reaped, so a test run leaves nothing behind.
func superviseSuite() int {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "tests: become a subreaper:", err)
		return 1
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), suiteEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "tests: start the suite:", err)
		return 1
	}
	suite := cmd.Process.Pid
	go func() {
		for s := range sigs {
			_ = unix.Kill(suite, s.(syscall.Signal)) // go test's timeout sends SIGQUIT
		}
	}()
	status := -1
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil { // ECHILD: nothing left
			break
		}
		if pid == suite {
			status = ws.ExitStatus()
			if ws.Signaled() {
				status = 128 + int(ws.Signal())
			}
			if leaked := leftovers(); len(leaked) > 0 {
				fmt.Fprintf(os.Stderr, "tests: processes the tests left running, killed now:\n%s", strings.Join(leaked, ""))
				if status == 0 {
					status = 1
				}
			}
		}
		if status >= 0 {
			killChildren()
		}
	}
	return status
}

// leftovers lists, with their command lines, the processes still running
// below this supervisor once the suite has exited: each test kills what it
// started, so any of them is a leak (a survivor of a hangup nobody killed, a
// command whose relay was killed alone), which under -count=50 piles up
// until the machine crawls. Processes a cleanup has just signalled get a
// grace to finish dying first.
func leftovers() []string {
	kids, _ := testutil.Children(os.Getpid())
	end := time.Now().Add(10 * time.Second * testutil.Scale())
	var leaked []string
	for _, pid := range kids {
		h, err := process.Open(pid)
		if err != nil {
			continue // gone already
		}
		gone, _ := h.Wait(max(time.Until(end), 0))
		h.Close()
		if !gone {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			leaked = append(leaked, fmt.Sprintf("  %d: %s\n", pid, strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")))
		}
	}
	return leaked
}

// killChildren kills every remaining child of this process; their own
// children come back here when they die, and are killed in turn.
func killChildren() {
	kids, _ := testutil.Children(os.Getpid())
	for _, pid := range kids {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
}

// runSuite builds the commands, puts them first on $PATH with the helper,
// and runs the tests.
func runSuite(m *testing.M) int {
	// The control cases need the default dispositions in the shells they
	// start, even when `make test` itself runs under nohup or in the
	// background of a shell without job control.
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if err := session.SetDefaultAction(s); err != nil {
			fmt.Fprintln(os.Stderr, "tests:", err)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "gdetach-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
		return 1
	}
	binDir = dir
	os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return testutil.RunTests(m)
}

// build compiles every command into dir (with -race when the tests have it)
// and copies the test binary there as the helper; InstallHelper opens dir to
// all, as the tests that run the commands as an unprivileged user need.
func build(dir string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the commands are built with the go tool, which is not on $PATH: %w", err)
	}
	args := []string{"build", "-o", dir + "/"}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, "./cmd/...")...)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	_, err = testutil.InstallHelper(dir)
	return err
}

// helperArgs is testutil.HelperArgs: the words that run a helper through
// the copy on $PATH.
func helperArgs(name string, args ...string) []string { return testutil.HelperArgs(name, args...) }

// helperLine is helperArgs as a line of shell words.
func helperLine(name string, args ...string) string {
	words := helperArgs(name, args...)
	for i, w := range words {
		words[i] = shellQuote(w)
	}
	return strings.Join(words, " ")
}

// shellQuote quotes s for bash, unless it needs no quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tempDir is t.TempDir with a name that needs no quoting in a shell line
// (t.TempDir's carries the test's name, with its $, ( and %).
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gdetach-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
