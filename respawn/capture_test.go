package respawn

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

// A run's output is in the log when settle returns, even when a process it
// left behind still holds its pipes open; a partial last line is ended.
func TestCaptureSettleWithPipesStillOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, err := openLog(LogConfig{Path: path}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCapture(l, l)
	if err != nil {
		t.Fatal(err)
	}
	c.open()
	// This process plays the command and the orphan: it keeps the write
	// ends open throughout.
	for round := 1; round <= 3; round++ {
		var want []string
		for i := 1; i <= 2000; i++ {
			line := fmt.Sprintf("round %d line %d", round, i)
			want = append(want, line)
			fmt.Fprintln(c.stdout, line)
		}
		fmt.Fprintf(c.stderr, "round %d, no newline", round)
		c.settle(time.Until(testutil.Deadline(t)), l.handedIn)
		if t.Failed() {
			return
		}
		// The two pipes' lines interleave (whole), each pipe's in order.
		var out []string
		partial := false
		for _, line := range testutil.Lines(testutil.RotatedLog(t, path, 0)) {
			switch {
			case strings.HasPrefix(line, fmt.Sprintf("round %d line ", round)):
				out = append(out, line)
			case line == fmt.Sprintf("round %d, no newline", round):
				partial = true
			}
		}
		if !partial {
			t.Errorf("round %d: the partial line is not in the log, ended", round)
		}
		if strings.Join(out, "\n") != strings.Join(want, "\n") {
			t.Errorf("round %d: %d of %d lines in the log after settle, or out of order", round, len(out), len(want))
		}
	}
	c.closeWriters()
	c.done.Wait()
	l.close()
	if got := len(testutil.Lines(testutil.RotatedLog(t, path, 0))); got != 3*2001 {
		t.Errorf("%d lines in the end, want %d", got, 3*2001)
	}
}

// settle returns at once when the run's pipes have ended.
func TestCaptureSettleAfterTheEnd(t *testing.T) {
	l, err := openLog(LogConfig{Path: filepath.Join(t.TempDir(), "app.log")}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCapture(l, l)
	if err != nil {
		t.Fatal(err)
	}
	c.open()
	c.closeWriters()
	c.done.Wait()
	done := make(chan struct{})
	go func() {
		c.settle(time.Hour, l.handedIn)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Until(testutil.Deadline(t))):
		t.Fatal("settle waited on ended pipes")
	}
}
