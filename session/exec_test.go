package session

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// script writes an executable file with body and returns its path.
func script(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExecRunsScriptWithoutShebangThroughSh(t *testing.T) {
	p := script(t, "echo \"ran as sh: $0 $1 $2\"\n", 0o755)
	out, err := helperCommand(t, "exec", p, "a", "b").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "ran as sh: "+p+" a b\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestExecFailureStatus(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, arg string
		status    int
		msg       string
	}{
		{"not found", filepath.Join(dir, "nope"), 127, "no such file or directory"},
		{"directory", dir, 126, "is a directory"},
		{"not executable", script(t, "true\n", 0o644), 126, "permission denied"},
		{"not found in PATH", "gdetach-no-such-program", 127, "no such file or directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := helperCommand(t, "exec", c.arg)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.status {
				t.Fatalf("exit %v, want status %d", err, c.status)
			}
			if !strings.Contains(stderr.String(), c.msg) {
				t.Errorf("stderr %q, want %q", stderr.String(), c.msg)
			}
		})
	}
}

func TestStartRunsScriptWithoutShebangThroughSh(t *testing.T) {
	p := script(t, "echo \"started: $1\"\n", 0o755)
	var out strings.Builder
	cmd := &exec.Cmd{Path: p, Args: []string{"prog", "x"}, Stdout: &out}
	started, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := started.Wait(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "started: x\n" {
		t.Errorf("output %q", out.String())
	}
}

func TestStartFailureIsExecError(t *testing.T) {
	cmd := &exec.Cmd{Path: script(t, "true\n", 0o644), Args: []string{"prog"}}
	_, err := Start(cmd)
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Name != "prog" || !errors.Is(err, syscall.EACCES) || ee.ExitStatus() != 126 {
		t.Errorf("Start(non-executable) = %v, want *ExecError{Name: prog} for EACCES with status 126", err)
	}
}
