package respawn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

func TestLogRotationKeepsEveryLineWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, err := openLog(LogConfig{Path: path, MaxSize: 100, Backups: 1000}, "grespawn: ", nil)
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
	l, _ := openLog(LogConfig{Path: path, MaxSize: 10, Backups: 2}, "grespawn: ", nil)
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
	l, _ := openLog(LogConfig{Path: path, MaxSize: 5, Backups: 3}, "grespawn: ", nil)
	l.writeLines([]byte("short\nthis one is long\nend\n"))
	l.close()
	if got := testutil.Lines(testutil.RotatedLog(t, path, 3)); strings.Join(got, "|") != "short|this one is long|end" {
		t.Errorf("log %q", got)
	}
}

func TestLogTimestamps(t *testing.T) {
	when := time.Date(2026, 11, 21, 12, 0, 1, 234e6, time.UTC)
	if got := string(stamp(nil, []byte("a\nb\n"), &Timestamps{loc: time.UTC}, when)); got != "2026-11-21T12:00:01.234Z a\n2026-11-21T12:00:01.234Z b\n" {
		t.Errorf("stamp = %q", got)
	}
}

func TestLogDiskFullDropsThenSaysSo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	var reported []error
	l, err := openLog(LogConfig{Path: path}, "grespawn: ", func(err error) { reported = append(reported, err) })
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
	l, _ := openLog(LogConfig{Path: path}, "grespawn: ", nil)
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

// A disk hovering at full: writing fails, works, fails again. Each failure's
// lines are counted in the file once it can be written again, and the
// failure is reported once, not at each return of it (issue 13: ten times
// in six seconds).
func TestLogFailingAgainReportedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	var reported []error
	l, err := openLog(LogConfig{Path: path}, "grespawn: ", func(err error) { reported = append(reported, err) })
	if err != nil {
		t.Fatal(err)
	}
	good := l.f
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	for round := 1; round <= 3; round++ {
		l.f = full
		l.writeLines([]byte(fmt.Sprintf("lost %d\n", round)))
		l.f = good
		l.writeLines([]byte(fmt.Sprintf("kept %d\n", round)))
	}
	l.close()
	if len(reported) != 1 {
		t.Errorf("reported %d times (%v), want once", len(reported), reported)
	}
	want := "grespawn: 1 lines lost: write /dev/full: no space left on device|kept 1|" +
		"grespawn: 1 lines lost: write /dev/full: no space left on device|kept 2|" +
		"grespawn: 1 lines lost: write /dev/full: no space left on device|kept 3"
	if got := strings.Join(testutil.Lines(testutil.RotatedLog(t, path, 0)), "|"); got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

// A line longer than maxLine goes in pieces of exactly maxLine bytes; a line
// of exactly maxLine bytes stays whole (issue 13: pieces of 2.3 MiB).
func TestLogLongLinesCutAtMaxLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, err := openLog(LogConfig{Path: path}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	exact := strings.Repeat("e", maxLine)
	long := strings.Repeat("x", 2*maxLine) + strings.Repeat("y", 5)
	go func() {
		w.WriteString(exact + "\n" + long + "\nend\n")
		w.Close()
	}()
	newLineReader(r).copyTo(l)
	l.close()
	lines := testutil.Lines(testutil.RotatedLog(t, path, 0))
	var lens []int
	for _, line := range lines {
		lens = append(lens, len(line))
	}
	want := []int{maxLine, maxLine, maxLine, 5, 3}
	if fmt.Sprint(lens) != fmt.Sprint(want) {
		t.Fatalf("line lengths %v, want %v", lens, want)
	}
	if lines[0] != exact || lines[3] != "yyyyy" || lines[4] != "end" {
		t.Error("the pieces are not the line's bytes, in order")
	}
}

// The log comes back after a rotation could not make the new file, on a
// small file system of its own (a tmpfs): once its directory is removed
// (the lines meanwhile are counted, exactly, in the line that says how many
// were lost), and once its inodes are all used (the file is written on past
// its size: nothing is lost). Issue 13: the log stayed closed for good, the
// lines uncounted.
func TestLogResumesAfterRotationFails(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	mnt := t.TempDir()
	const inodes = 16
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, fmt.Sprintf("size=1m,nr_inodes=%d", inodes)); err != nil {
		t.Skipf("cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	dir := filepath.Join(mnt, "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "app.log")
	var reported []error
	l, err := openLog(LogConfig{Path: path, MaxSize: 64, Backups: 100}, "grespawn: ", func(err error) { reported = append(reported, err) })
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	write := func(k int) { // k lines of 10 bytes: 6 fill a file
		for range k {
			n++
			l.writeLines(fmt.Appendf(nil, "line %04d\n", n))
		}
	}
	write(12) // FILE.1 and FILE full: the next line rotates
	// The directory goes: the rotation cannot make the new file.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	write(7)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(3)
	// Every inode taken: the next rotation cannot make the new file.
	var fillers []string
	for i := 0; ; i++ {
		f := filepath.Join(mnt, fmt.Sprintf("filler%d", i))
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
		fillers = append(fillers, f)
	}
	write(9)
	for _, f := range fillers {
		os.Remove(f)
	}
	write(2)
	l.close()
	var re *RotateError
	if len(reported) != 2 || errors.As(reported[0], &re) || !errors.As(reported[1], &re) || !errors.Is(re, syscall.ENOSPC) {
		t.Errorf("reported %v, want the lost lines' failure once, then the rotation's (no inode for the new file)", reported)
	}
	// The files before the directory went are gone with it: the log begins
	// with the note for lines 13 to 19, then every line is in the files, in
	// order, but those that a note counts, just before it. Without an inode
	// for the new file, the log is written on past its size: nothing lost.
	lines := testutil.Lines(testutil.RotatedLog(t, path, 100))
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "grespawn: 7 lines lost: ") {
		t.Errorf("the log begins %q, want the note for the 7 lines lost while the directory was gone", lines[:min(1, len(lines))])
	}
	notes := regexp.MustCompile(`^grespawn: (\d+) lines lost: (.*)$`)
	next, lost := 13, 0
	var causes []string
	for _, line := range lines {
		if m := notes.FindStringSubmatch(line); m != nil {
			k, _ := strconv.Atoi(m[1])
			next += k
			lost += k
			causes = append(causes, m[2])
			continue
		}
		var got int
		if _, err := fmt.Sscanf(line, "line %d", &got); err != nil {
			t.Fatalf("line %q in the log", line)
		}
		if got != next {
			t.Fatalf("line %d where line %d was due: a line lost and not counted\n%s", got, next, strings.Join(lines, "\n"))
		}
		next++
	}
	if next != n+1 {
		t.Errorf("the log ends before line %d, want %d:\n%s", next, n+1, strings.Join(lines, "\n"))
	}
	if len(causes) != 1 || !strings.Contains(causes[0], "no such file or directory") {
		t.Errorf("notes for %q, want one, for the directory removed:\n%s", causes, strings.Join(lines, "\n"))
	}
	if lost == 0 {
		t.Error("no line lost: the failures did not happen")
	}
}

// logrotate's create: the log is renamed, a new file made in its place. The
// lines after it go to the new file, none is lost or doubled, and the
// renamed file is never written again (issue 15: 32,500 of 32,500 lines
// went into the rotated file, compressed away).
func TestLogFollowsRenameAndCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, err := openLog(LogConfig{Path: path}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	l.writeLines([]byte("one\n"))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil { // logrotate's O_EXCL create
		t.Fatal(err)
	}
	l.writeLines([]byte("two\nthree\n"))
	l.close()
	if got := readLines(t, path+".1"); got != "one" {
		t.Errorf("the rotated file has %q, want the line before the rotation", got)
	}
	if got := readLines(t, path); got != "two|three" {
		t.Errorf("the new file has %q, want the lines after the rotation", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("the new file's mode is %v: grespawn made its own, not the rotator's", st.Mode().Perm())
	}
}

// The name gone, the old file still linked (renamed): until the grace is
// over the old file is written, waiting for the rotator's create; after
// it, or when the old file is deleted, the log makes the file itself.
func TestLogRenamedAwayWaitsThenCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, err := openLog(LogConfig{Path: path}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	l.grace = time.Hour
	l.writeLines([]byte("one\n"))
	os.Rename(path, path+".1")
	l.writeLines([]byte("two\n"))
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the log made %s within the grace (%v): logrotate's O_EXCL create would fail", path, err)
	}
	l.grace = 0
	l.writeLines([]byte("three\n"))
	l.close()
	if got := readLines(t, path+".1"); got != "one|two" {
		t.Errorf("the renamed file has %q", got)
	}
	if got := readLines(t, path); got != "three" {
		t.Errorf("the new file has %q", got)
	}

	// Deleted: no grace, the lines would go nowhere.
	l, _ = openLog(LogConfig{Path: path}, "grespawn: ", nil)
	l.grace = time.Hour
	os.Remove(path)
	l.writeLines([]byte("four\n"))
	l.close()
	if got := readLines(t, path); got != "four" {
		t.Errorf("after a removal the file has %q, want the line written after it", got)
	}
}

// logrotate's copytruncate: the file is emptied under the open descriptor.
// The next line goes at its start (append mode: no hole), and the size
// counted against MaxSize starts again, so no early rotation follows
// (issue 15: the count was not reset).
func TestLogTruncatedStartsCountAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	l, err := openLog(LogConfig{Path: path, MaxSize: 100, Backups: 3}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	l.writeLines([]byte(strings.Repeat("x", 79) + "\n"))
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	l.writeLines([]byte(strings.Repeat("y", 49) + "\n"))
	l.close()
	if _, err := os.Stat(path + ".1"); err == nil {
		t.Error("the log rotated: it counted the bytes the truncation took away")
	}
	b, _ := os.ReadFile(path)
	if string(b) != strings.Repeat("y", 49)+"\n" {
		t.Errorf("the file holds %q, want the line at its start, no hole", b)
	}
}

// Reopening on demand (the reopen signal) opens the name at once, without
// the grace; a name that cannot be opened any more drops and counts the
// lines until it can, reported once.
func TestLogReopenNow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	var reported []error
	l, err := openLog(LogConfig{Path: path}, "grespawn: ", func(err error) { reported = append(reported, err) })
	if err != nil {
		t.Fatal(err)
	}
	l.grace = time.Hour
	l.writeLines([]byte("one\n"))
	os.Rename(path, path+".1")
	l.reopenNow()
	l.writeLines([]byte("two\n"))
	if got := readLines(t, path); got != "two" {
		t.Errorf("after reopenNow the file has %q", got)
	}
	// A directory takes the name: refused, counted, then back.
	os.Rename(path, path+".2")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	l.reopenNow()
	l.writeLines([]byte("lost 1\n"))
	l.writeLines([]byte("lost 2\n"))
	os.Remove(path)
	l.writeLines([]byte("three\n"))
	l.close()
	if len(reported) != 1 {
		t.Errorf("reported %v, want one failure", reported)
	}
	if got := readLines(t, path); !strings.HasPrefix(got, "grespawn: 2 lines lost: ") || !strings.HasSuffix(got, "|three") {
		t.Errorf("the file has %q, want the note for 2 lines, then the line after", got)
	}
}

// A regular file that another name of the same file (a hard link) would be
// rotated by two logs: sameFile tells.
func TestLogSameFile(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	la, _ := openLog(LogConfig{Path: a}, "", nil)
	defer la.close()
	os.Link(a, b)
	lb, _ := openLog(LogConfig{Path: b}, "", nil)
	defer lb.close()
	if !la.sameFile(lb) {
		t.Error("two names of one file are not the same file")
	}
	lc, _ := openLog(LogConfig{Path: filepath.Join(dir, "c.log")}, "", nil)
	defer lc.close()
	if la.sameFile(lc) {
		t.Error("two files are the same file")
	}
}

func TestStdStream(t *testing.T) {
	for path, want := range map[string]int{"-": 1, "/dev/stdout": 1, "/dev/fd/1": 1, "/dev/stderr": 2, "/dev/fd/2": 2,
		"/dev/null": 0, "./-": 0, "/dev/fd/3": 0, "stdout": 0} {
		if got := StdStream(path); got != want {
			t.Errorf("StdStream(%q) = %d, want %d", path, got, want)
		}
	}
}

// An event line that cannot be written reports the failure through the
// event log itself: it must not wait on its own lock.
func TestEventsIntoFailingLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	var ev *eventLog
	var out strings.Builder
	ev = newEventLog(log.New(&out, "grespawn: ", 0))
	l, err := openLog(LogConfig{Path: path}, ev.prefix(), func(err error) { ev.always("cannot write the log: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	good := l.f
	l.f = full
	ev.setSink(l)
	done := make(chan struct{})
	go func() {
		ev.always("started x (pid 1, run 1)")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Until(testutil.Deadline(t))):
		t.Fatal("an event into a failing log deadlocked")
	}
	full.Close()
	l.f = good
	ev.always("exited")
	l.close()
	ev.close()
	if !strings.Contains(out.String(), "cannot write the log: write /dev/full: no space left on device") {
		t.Errorf("standard error has %q", out.String())
	}
	if got := readLines(t, path); !strings.HasPrefix(got, "grespawn: 2 lines lost") || !strings.HasSuffix(got, "|grespawn: exited") {
		t.Errorf("the log has %q", got)
	}
}

func readLines(t *testing.T, path string) string {
	t.Helper()
	return strings.Join(testutil.Lines(testutil.RotatedLog(t, path, 0)), "|")
}

// In a sticky directory that others can write (/tmp), a file or FIFO that
// another user put at the log's name is refused, as fs.protected_regular
// and fs.protected_fifos would (they are off on some systems): the lines
// are counted, never written into it, nor read through it (helper-12's
// attack: a FIFO planted between a rotation's rename and open read root's
// log). A name that was a regular file never becomes a stream.
func TestLogRefusesPlantedFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("another user's file needs root to make")
	}
	dir := filepath.Join(t.TempDir(), "tmp")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "app.log")
	var reported []error
	l, err := openLog(LogConfig{Path: path}, "grespawn: ", func(err error) { reported = append(reported, err) })
	if err != nil {
		t.Fatal(err)
	}
	l.writeLines([]byte("one\n"))
	// Another user's file at the name.
	os.Rename(path, path+".1")
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chown(path, 65534, 65534)
	l.reopenNow()
	l.writeLines([]byte("two\n"))
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("the log wrote %q into another user's file", b)
	}
	// A FIFO of one's own, read: not the regular file the log was.
	os.Remove(path)
	r := fifoReader(t, path)
	l.reopenNow()
	l.writeLines([]byte("three\n"))
	if b, _ := io.ReadAll(r); len(b) != 0 {
		t.Errorf("the log became a FIFO and wrote %q into it", b)
	}
	os.Remove(path)
	l.writeLines([]byte("four\n"))
	l.close()
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "belongs to user 65534, in a sticky directory that anyone can write") {
		t.Errorf("reported %v", reported)
	}
	if got := readLines(t, path); !strings.HasPrefix(got, "grespawn: 2 lines lost: ") || !strings.HasSuffix(got, "|four") {
		t.Errorf("the log has %q, want the note for two and three, then four", got)
	}
	// A hard link to a file of ours (fs.protected_hardlinks off): refused.
	secret := filepath.Join(filepath.Dir(dir), "secret")
	os.WriteFile(secret, []byte("root's\n"), 0o600)
	if err := os.Link(secret, path+".link"); err != nil {
		t.Fatal(err)
	}
	if _, err := openLog(LogConfig{Path: path + ".link"}, "", nil); err == nil || !strings.Contains(err.Error(), "has 2 names (hard links)") {
		t.Errorf("opening a hard link in a sticky directory: %v", err)
	}
	// A group-writable sticky directory is not /tmp: another member's file is taken.
	shared := filepath.Join(filepath.Dir(dir), "shared")
	os.Mkdir(shared, 0o770)
	os.Chmod(shared, 0o770|os.ModeSticky)
	os.WriteFile(filepath.Join(shared, "app.log"), nil, 0o666)
	os.Chown(filepath.Join(shared, "app.log"), 65534, 65534)
	if ls, err := openLog(LogConfig{Path: filepath.Join(shared, "app.log")}, "", nil); err != nil {
		t.Errorf("a log in a group-writable sticky directory: %v", err)
	} else {
		ls.close()
	}
	// At the start too.
	os.WriteFile(path+".other", nil, 0o666)
	os.Chown(path+".other", 65534, 65534)
	if _, err := openLog(LogConfig{Path: path + ".other"}, "", nil); err == nil || !strings.Contains(err.Error(), "belongs to user 65534") {
		t.Errorf("opening another user's file in a sticky directory: %v", err)
	}
}

// A rotation puts the new file in place by a rename from a name of its
// own, so the name is never free for another user's file (helper-12's
// attack won that window by creating FILE after the rename to FILE.1).
func TestLogRotationNewFileIsOwn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	l, err := openLog(LogConfig{Path: path, MaxSize: 10, Backups: 2}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		l.writeLines(fmt.Appendf(nil, "line %d...\n", i))
		st, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		var own unix.Stat_t
		unix.Fstat(int(l.f.Fd()), &own)
		if st.Sys().(*syscall.Stat_t).Ino != own.Ino {
			t.Fatalf("after rotation %d the name is not the open file", i)
		}
		if fl, _ := unix.FcntlInt(l.f.Fd(), unix.F_GETFL, 0); fl&unix.O_APPEND == 0 {
			t.Fatalf("the new file is not in append mode")
		}
	}
	l.close()
	if m, _ := filepath.Glob(filepath.Join(dir, ".app.log.*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("the new file's mode is %v", st.Mode().Perm())
	}
}

// A log that blocks (a FIFO whose reader stopped reading) holds up its
// writer, never the rest: how much was handed in, the supervision's own
// lines, a reopening and the closing all return at once or within a bound
// (helper-12: grespawn could not be stopped).
func TestLogBlockedNeverHoldsTheSupervision(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	fr := fifoReader(t, path) // a reader that never reads
	l, err := openLog(LogConfig{Path: path}, "grespawn: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	stuck := make(chan struct{})
	go func() {
		defer close(stuck)
		block := bytes.Repeat([]byte("x\n"), 1<<20) // more than the FIFO holds
		l.writeLines(block)
	}()
	// The writer holds the turn, blocked.
	testutil.WaitFor(t, "the FIFO full, its writer blocked", func() bool {
		select {
		case <-stuck:
			t.Fatal("the writer returned: the FIFO did not block it")
		default:
		}
		n, _ := pipeHolds(int(fr.Fd()))
		sz, _ := unix.FcntlInt(fr.Fd(), unix.F_GETPIPE_SZ, 0)
		return n == sz && !l.tryTurnAndGiveBack()
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = l.handedIn()
		for range 2 * maxQueued {
			l.postLine([]byte("grespawn: an event\n"))
		}
		l.reopenNow()
		_ = l.close() // gives up after settleIdle
	}()
	select {
	case <-done:
	case <-time.After(time.Until(testutil.Deadline(t))):
		t.Fatal("the supervision's calls waited for the blocked writer")
	}
	l.qmu.Lock()
	n := len(l.queued)
	l.qmu.Unlock()
	if n != maxQueued+1 || l.lost.Load() != maxQueued {
		t.Errorf("%d queued and %d counted lost, want %d (and the reopening) and %d", n, l.lost.Load(), maxQueued, maxQueued)
	}
	fr.Close() // the writer's write fails (EPIPE): it ends
	<-stuck
}

// tryTurnAndGiveBack reports whether the turn is free, leaving it free.
func (l *logFile) tryTurnAndGiveBack() bool {
	if l.tryTurn() {
		<-l.turn
		return true
	}
	return false
}

// A rotation killed between making its new file and renaming it left an
// empty .FILE.* behind (helper-13: 36 after 40 kills): the next start
// removes such files, and only them.
func TestLogRemovesStaleRotationFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	stale, kept := filepath.Join(dir, ".app.log.123456"), filepath.Join(dir, ".app.log.789")
	os.WriteFile(stale, nil, 0o600)
	os.WriteFile(kept, []byte("not empty: not ours to judge\n"), 0o600)
	os.WriteFile(filepath.Join(dir, ".other.log.1"), nil, 0o600)
	l, err := openLog(LogConfig{Path: path}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	l.close()
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale rotation file is still there")
	}
	for _, p := range []string{kept, filepath.Join(dir, ".other.log.1")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
}

// A FIFO log is left as it is by a reopening: closing it would end its
// reader's stream (helper-13: cat saw its end, every later line was lost).
func TestLogReopenLeavesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	r := fifoReader(t, path)
	l, err := openLog(LogConfig{Path: path}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	f := l.f
	l.reopenNow()
	l.writeLines([]byte("after\n"))
	if l.f != f {
		t.Error("the FIFO was closed and opened again")
	}
	l.close()
	b, _ := io.ReadAll(r)
	if string(b) != "after\n" {
		t.Errorf("the reader got %q", b)
	}
}

// fifoReader makes a FIFO at path and opens it for reading, without
// blocking, until the end of the test.
func fifoReader(t *testing.T, path string) *os.File {
	t.Helper()
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
