package respawn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

func TestLogRotationKeepsEveryLineWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, err := openLog(LogConfig{Path: path, MaxSize: 100, Backups: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var block strings.Builder
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&block, "line %d\n", i)
		if i%7 == 0 { // blocks of several lines, as a read brings them
			l.writeLines([]byte(block.String()))
			block.Reset()
		}
	}
	l.writeLines([]byte(block.String()))
	l.close()
	lines := testutil.Lines(testutil.RotatedLog(t, path, 1000))
	if len(lines) != 500 {
		t.Fatalf("%d lines, want 500", len(lines))
	}
	for i, line := range lines {
		if line != fmt.Sprintf("line %d", i+1) {
			t.Fatalf("line %d is %q", i+1, line)
		}
	}
	for i := 1; ; i++ {
		st, err := os.Stat(fmt.Sprintf("%s.%d", path, i))
		if err != nil {
			break
		}
		if st.Size() > 100 {
			t.Errorf("%s.%d is %d bytes, over the maximum", path, i, st.Size())
		}
	}
}

func TestLogRotationDropsOldest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, _ := openLog(LogConfig{Path: path, MaxSize: 10, Backups: 2}, nil)
	for _, s := range []string{"aaaaaaa\n", "bbbbbbb\n", "ccccccc\n", "ddddddd\n"} {
		l.writeLines([]byte(s))
	}
	l.close()
	if got := testutil.Lines(testutil.RotatedLog(t, path, 5)); strings.Join(got, " ") != "bbbbbbb ccccccc ddddddd" {
		t.Errorf("log %q: want the oldest line dropped with two backups", got)
	}
}

func TestLogLineLongerThanMaxSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, _ := openLog(LogConfig{Path: path, MaxSize: 5, Backups: 3}, nil)
	l.writeLines([]byte("short\nthis one is long\nend\n"))
	l.close()
	if got := testutil.Lines(testutil.RotatedLog(t, path, 3)); strings.Join(got, "|") != "short|this one is long|end" {
		t.Errorf("log %q", got)
	}
}

func TestLogTimestamps(t *testing.T) {
	when := time.Date(2026, 11, 21, 12, 0, 1, 234e6, time.UTC)
	if got := string(stamp([]byte("a\nb\n"), when)); got != "2026-11-21T12:00:01.234Z a\n2026-11-21T12:00:01.234Z b\n" {
		t.Errorf("stamp = %q", got)
	}
}

func TestLogDiskFullDropsThenSaysSo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	var reported []error
	l, err := openLog(LogConfig{Path: path}, func(err error) { reported = append(reported, err) })
	if err != nil {
		t.Fatal(err)
	}
	l.writeLines([]byte("before\n"))
	good := l.f
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	l.f = full // the disk is full
	l.writeLines([]byte("lost 1\nlost 2\n"))
	l.writeLines([]byte("lost 3\n"))
	full.Close()
	l.f = good // space again
	l.writeLines([]byte("after\n"))
	l.close()
	if len(reported) != 1 || !errors.Is(reported[0], syscall.ENOSPC) {
		t.Errorf("reported %v, want one ENOSPC", reported)
	}
	want := "before|grespawn: 3 lines lost: write /dev/full: no space left on device|after"
	if got := strings.Join(testutil.Lines(testutil.RotatedLog(t, path, 0)), "|"); got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

func TestCopyLinesEndsLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, _ := openLog(LogConfig{Path: path}, nil)
	r, w, _ := os.Pipe()
	go func() {
		w.WriteString("one\ntw")
		w.WriteString("o\nno newline")
		w.Close()
	}()
	newLineReader(r).copyTo(l)
	l.close()
	if got := strings.Join(testutil.Lines(testutil.RotatedLog(t, path, 0)), "|"); got != "one|two|no newline" {
		t.Errorf("log %q", got)
	}
}
