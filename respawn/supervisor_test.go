package respawn

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a grespawn that runs a Supervisor, chosen by
// this variable.
const helperEnv = "GDETACH_RESPAWN_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "supervise" {
		// A command that removes itself at its first run: the second cannot start.
		s := Supervisor{
			Argv:    []string{os.Args[1]},
			Policy:  Policy{MaxRuns: 3},
			Backoff: Backoff{Delay: time.Millisecond, MaxDelay: time.Second},
			Events:  os.Stderr,
		}
		status, err := s.Run()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(125)
		}
		os.Exit(status)
	}
	os.Exit(m.Run())
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A command that cannot be started any more, after it ran once, counts as
// a failed run: the policy goes on, and the status is 127.
func TestSupervisorCommandGoneAfterFirstRun(t *testing.T) {
	script := filepath.Join(t.TempDir(), "once")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nrm \"$0\"\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], script)
	cmd.Env = append(os.Environ(), helperEnv+"=supervise", "GORACE=atexit_sleep_ms=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != 127 {
		t.Errorf("status %d, want 127 (the last run could not start)", got)
	}
	for _, want := range []string{"exited with status 3", "cannot run once: no such file or directory", "giving up: ran once 3 times (-m 3)"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("messages lack %q:\n%s", want, stderr.String())
		}
	}
}
