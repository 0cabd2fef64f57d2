package respawn

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

func init() { testutil.RegisterHelper("supervise", superviseHelper) }

func TestMain(m *testing.M) { testutil.Main(m) }

// superviseHelper COMMAND is a grespawn: it runs a Supervisor of COMMAND
// (no arguments) with at most 3 runs and a 1ms backoff, its events on
// standard error, and exits with its status, or 125 when it fails.
func superviseHelper(args []string) int {
	s := Supervisor{
		Argv:    []string{args[0]},
		Policy:  Policy{MaxRuns: 3},
		Backoff: Backoff{Delay: time.Millisecond, MaxDelay: time.Second},
		Logger:  log.New(os.Stderr, "grespawn: ", 0),
	}
	status, err := s.Run()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	return status
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
	// A command that removes itself at its first run: the second cannot start.
	cmd := testutil.HelperCommand(t, "supervise", script)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Run()
	if got := cmd.ProcessState.ExitCode(); got != 127 {
		t.Errorf("status %d, want 127 (the last run could not start)", got)
	}
	for _, want := range []string{"exited with status 3", "cannot run once: No such file or directory", "giving up: ran once 3 times, the most allowed; last once could not be run: No such file or directory"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("messages lack %q:\n%s", want, stderr.String())
		}
	}
}
