package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
	"github.com/spf13/pflag"
)

// statusError is an error that carries its own exit status.
type statusError struct{ status int }

func (e statusError) Error() string   { return fmt.Sprintf("failed with %d", e.status) }
func (e statusError) ExitStatus() int { return e.status }

// exitError runs sh -c script and returns its *exec.ExitError.
func exitError(t *testing.T, script string) error {
	t.Helper()
	err := exec.Command("/bin/sh", "-c", script).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("sh -c %q: %v, want an exit error", script, err)
	}
	return err
}

func testProgram(run func([]string) error) Program {
	return Program{
		Name:     "prog",
		Synopsis: "[OPTION]... COMMAND [ARG]...",
		Summary:  "Run COMMAND somehow.",
		Details:  "More words.",
		Flags: func(fs *pflag.FlagSet) {
			fs.StringP("output", "o", "", "append output to `FILE`")
			fs.Int("max", 0, "at most `N` runs")
		},
		Run: run,
	}
}

func TestExecute(t *testing.T) {
	const try = "Try 'prog --help' for more information.\n"
	for _, c := range []struct {
		name       string
		args       []string
		runErr     func(t *testing.T) error
		failure    int
		wantStatus int
		wantStderr string
		wantRun    []string // operands Run must get; nil: Run must not be called
	}{
		{name: "no operand", args: nil, wantStatus: 125, wantStderr: "prog: missing operand\n" + try},
		{name: "no operand, own failure status", args: nil, failure: 127, wantStatus: 127, wantStderr: "prog: missing operand\n" + try},
		{name: "unknown long option", args: []string{"--bogus", "cmd"}, wantStatus: 125,
			wantStderr: "prog: unrecognized option '--bogus'\n" + try},
		{name: "unknown short option", args: []string{"-x", "cmd"}, wantStatus: 125,
			wantStderr: "prog: invalid option -- 'x'\n" + try},
		{name: "long option without its value", args: []string{"--output"}, wantStatus: 125,
			wantStderr: "prog: option '--output' requires an argument\n" + try},
		{name: "short option without its value", args: []string{"-o"}, wantStatus: 125,
			wantStderr: "prog: option requires an argument -- 'o'\n" + try},
		{name: "bad value", args: []string{"--max", "many", "cmd"}, wantStatus: 125,
			wantStderr: "prog: invalid argument 'many' for '--max': strconv.ParseInt: parsing \"many\": invalid syntax\n" + try},
		{name: "bad syntax", args: []string{"---x", "cmd"}, wantStatus: 125,
			wantStderr: "prog: unrecognized option '---x'\n" + try},
		{name: "abbreviated long options", args: []string{"--out", "f", "--ma=2", "--", "cmd"}, wantRun: []string{"cmd"}},
		{name: "abbreviation without its value", args: []string{"--out"}, wantStatus: 125,
			wantStderr: "prog: option '--output' requires an argument\n" + try},
		{name: "bool given a value", args: []string{"--help=foo", "cmd"}, wantStatus: 125,
			wantStderr: "prog: option '--help' doesn't allow an argument\n" + try},
		{name: "bool given a value, own failure status", args: []string{"--vers=1"}, failure: 1, wantStatus: 1,
			wantStderr: "prog: option '--version' doesn't allow an argument\n" + try},
		{name: "options after COMMAND are COMMAND's", args: []string{"-o", "f", "cmd", "-x", "--bogus", "--help"},
			wantRun: []string{"cmd", "-x", "--bogus", "--help"}},
		{name: "-- ends options", args: []string{"--", "--cmd", "-o"}, wantRun: []string{"--cmd", "-o"}},
		{name: "success", args: []string{"cmd"}, wantRun: []string{"cmd"}},
		{name: "error with its own status", args: []string{"cmd"}, wantRun: []string{"cmd"},
			runErr:     func(*testing.T) error { return fmt.Errorf("context: %w", statusError{126}) },
			wantStatus: 126, wantStderr: "prog: context: failed with 126\n"},
		{name: "plain error", args: []string{"cmd"}, wantRun: []string{"cmd"},
			runErr:     func(*testing.T) error { return errors.New("it broke") },
			wantStatus: 125, wantStderr: "prog: it broke\n"},
		{name: "usage error from Run", args: []string{"cmd"}, wantRun: []string{"cmd"},
			runErr:     func(*testing.T) error { return Usagef("--a cannot be used with --b") },
			wantStatus: 125, wantStderr: "prog: --a cannot be used with --b\n" + try},
		{name: "several errors, one line each", args: []string{"cmd"}, wantRun: []string{"cmd"},
			runErr:     func(*testing.T) error { return errors.Join(errors.New("first"), errors.New("second")) },
			wantStatus: 125, wantStderr: "prog: first\nprog: second\n"},
		{name: "program's exit status, silently", args: []string{"cmd"}, wantRun: []string{"cmd"},
			runErr: func(t *testing.T) error { return exitError(t, "exit 3") }, wantStatus: 3},
		{name: "program killed: 128+signal", args: []string{"cmd"}, wantRun: []string{"cmd"},
			runErr: func(t *testing.T) error { return exitError(t, "kill -KILL $$") }, wantStatus: 137},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			p := testProgram(func(operands []string) error {
				got = operands
				if c.runErr != nil {
					return c.runErr(t)
				}
				return nil
			})
			p.FailureStatus = c.failure
			var stdout, stderr strings.Builder
			status := p.Execute(c.args, &stdout, &stderr)
			if status != c.wantStatus {
				t.Errorf("status %d, want %d", status, c.wantStatus)
			}
			if stderr.String() != c.wantStderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), c.wantStderr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
			if !reflect.DeepEqual(got, c.wantRun) {
				t.Errorf("Run got %q, want %q", got, c.wantRun)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--help", "cmd"}} {
		var stdout, stderr strings.Builder
		p := testProgram(func([]string) error { t.Error("Run called for --help"); return nil })
		if status := p.Execute(args, &stdout, &stderr); status != 0 || stderr.Len() != 0 {
			t.Errorf("%q: status %d, stderr %q", args, status, stderr.String())
		}
		for _, want := range []string{
			"Usage: prog [OPTION]... COMMAND [ARG]...\nRun COMMAND somehow.\n",
			"-o, --output FILE", "--max N", "-h, --help", "-V, --version", "More words.", "man prog",
		} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%q: help lacks %q:\n%s", args, want, stdout.String())
			}
		}
	}
	for _, args := range [][]string{{"--version"}, {"-V"}} {
		var stdout, stderr strings.Builder
		if status := testProgram(nil).Execute(args, &stdout, &stderr); status != 0 {
			t.Errorf("%q: status %d", args, status)
		}
		want := "prog (gdetach) " + Version() + "\n" +
			"Copyright (C) 2026 the gdetach authors.\n" +
			"License MIT: <https://opensource.org/licenses/MIT>.\n" +
			"This is free software: you are free to change and redistribute it.\n" +
			"There is NO WARRANTY, to the extent permitted by law.\n"
		if stdout.String() != want {
			t.Errorf("%q: %q, want %q", args, stdout.String(), want)
		}
	}
}

// The last line of --help is true after installation: a man page, not a path
// in the sources.
func TestHelpEndsWithManPage(t *testing.T) {
	var stdout strings.Builder
	testProgram(nil).Execute([]string{"--help"}, &stdout, io.Discard)
	if !strings.HasSuffix(stdout.String(), "\n\nFull documentation: man prog\n") {
		t.Errorf("--help ends %q, want a pointer to man prog", stdout.String()[max(0, stdout.Len()-80):])
	}
}

// failingWriter fails every write, as stdout on a full disk does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
}

func TestHelpWriteErrorIsReported(t *testing.T) {
	var stderr strings.Builder
	status := testProgram(nil).Execute([]string{"--help"}, failingWriter{}, &stderr)
	if status != 125 || stderr.String() != "prog: write error: No space left on device\n" {
		t.Errorf("status %d, stderr %q", status, stderr.String())
	}
}

func TestVersionStamp(t *testing.T) {
	old := version
	defer func() { version = old }()
	version = "1.2.3"
	if Version() != "1.2.3" {
		t.Errorf("Version() = %q, want the stamped 1.2.3", Version())
	}
}

func TestBuildVersion(t *testing.T) {
	for _, c := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{main: "v0.2.0", want: "0.2.0"}, // go install …@v0.2.0
		{main: "v0.2.1-0.20261129234114-c90703e553b0", want: "0.2.1-0.20261129234114-c90703e553b0"},
		{main: "v0.0.0-20261130005939-32d62e5b192b", want: "devel-32d62e5b192b"}, // go build in a checkout without tags
		{main: "v0.0.0-20261130005939-32d62e5b192b+dirty", want: "devel-32d62e5b192b+dirty"},
		{main: "(devel)", want: "devel"},
		{main: "", want: "devel"},
		{main: "(devel)", settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "c90703e553b013c50d056f5f2bafb1f5288fef5d"}}, want: "devel-c90703e553b0"},
	} {
		info := &debug.BuildInfo{Main: debug.Module{Version: c.main}, Settings: c.settings}
		if got := buildVersion(info); got != c.want {
			t.Errorf("main module version %q, settings %v: %q, want %q", c.main, c.settings, got, c.want)
		}
	}
}

func init() { testutil.RegisterHelper("reraise", reraiseHelper) }

func TestMain(m *testing.M) { testutil.Main(m) }

// reraiseHelper executes a Program with ReraiseSignal whose Run runs a
// shell that kills itself with SIGTERM: the helper should die by SIGTERM
// too; otherwise it exits with Execute's status.
func reraiseHelper(args []string) int {
	p := Program{Name: "prog", ReraiseSignal: true, Run: func([]string) error {
		return exec.Command("/bin/sh", "-c", "kill -TERM $$").Run()
	}}
	return p.Execute([]string{"cmd"}, os.Stdout, os.Stderr)
}

func TestReraiseSignal(t *testing.T) {
	err := testutil.HelperCommand(t, "reraise").Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("helper: %v, want death by SIGTERM", err)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("wait status %v, want killed by SIGTERM like the program it ran", ws)
	}
}

func TestCheckManPage(t *testing.T) {
	page := filepath.Join(t.TempDir(), "prog.1")
	os.WriteFile(page, []byte(`.BR \-o ", " \-\-output
.B \-\-max
.BR \-h ", " \-\-help
`), 0o644)
	err := testProgram(nil).CheckManPage(page)
	if err == nil || !strings.HasSuffix(err.Error(), "does not document --version, -V") {
		t.Errorf("CheckManPage = %v, want it to miss only --version and -V", err)
	}
}

func TestExitStatusIsSilent(t *testing.T) {
	var stderr strings.Builder
	p := testProgram(func([]string) error { return fmt.Errorf("report: %w", ExitStatus(3)) })
	if status := p.Execute([]string{"cmd"}, io.Discard, &stderr); status != 3 || stderr.Len() != 0 {
		t.Errorf("status %d, stderr %q; want 3 and nothing", status, stderr.String())
	}
}

func TestOperandsOptional(t *testing.T) {
	optional := false
	called := false
	p := testProgram(func(operands []string) error { called = true; return nil })
	p.OperandsOptional = func() bool { return optional }
	if status := p.Execute(nil, io.Discard, io.Discard); status != 125 || called {
		t.Errorf("without the option: status %d, Run called %v; want 125 and no call", status, called)
	}
	optional = true
	if status := p.Execute(nil, io.Discard, io.Discard); status != 0 || !called {
		t.Errorf("with the option: status %d, Run called %v; want 0 and a call", status, called)
	}
}

func TestStageRunsBeforeParsing(t *testing.T) {
	p := testProgram(func([]string) error { t.Error("Run called for a stage"); return nil })
	p.Stage = func() (bool, error) { return true, statusError{7} }
	var stderr strings.Builder
	// --bogus would be a usage error: a stage does not parse the command line.
	if status := p.Execute([]string{"--bogus"}, io.Discard, &stderr); status != 7 {
		t.Errorf("status %d (stderr %q), want the stage's 7", status, stderr.String())
	}
	p.Stage = func() (bool, error) { return false, nil }
	if status := p.Execute([]string{"--version"}, io.Discard, io.Discard); status != 0 {
		t.Errorf("not a stage: status %d, want the normal run", status)
	}
}
