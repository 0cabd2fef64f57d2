//go:build linux

package tests

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
)

// The real logrotate, run with the stanzas of docs/examples/logrotate
// against grespawn's log and gdaemonize's output files while a writer
// writes numbered lines, then every file rotation left is read back: what
// each rotation keeps, loses or puts in the wrong file shows in the
// numbers. Each way of rotating has its control, the same writer with a
// shell's redirection, which the same stanza hurts.
//
// The stanzas are run whole, as the examples have them: logrotate -f
// rotates whatever daily says, and notifempty never stands in the way, since
// each rotation waits for a line in the log first (only a control drops it,
// to show what logrotate's default, ifempty, does). Their rotate count is
// how many rotations a test forces, so that logrotate deletes no file.

// lineWriterC writes numbered lines, "%08ld\n", each with a write(2) of its
// own, to standard output at RATE lines a second (a tick of RATE/1000 lines
// every millisecond, without bursts to catch up after a stall), until
// SIGTERM, then writes how many it wrote to COUNT and exits 0.
//
// With CREDIT it writes only as many lines as it is granted: each byte read
// from standard input grants CREDIT lines, written at RATE; once they are
// written it waits for the next byte; end of input ends it as SIGTERM does.
//
// SIGUSR2 is not for it: if one comes, it writes "GOT USR2" to standard
// error, stops, and exits 3.
const lineWriterC = `#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop, usr2;

static void on_term(int sig) { (void)sig; stop = 1; }

static void on_usr2(int sig) {
	static const char msg[] = "GOT USR2\n";
	(void)sig;
	usr2 = stop = 1;
	(void)!write(2, msg, sizeof msg - 1);
}

/* put writes n to path whole: a reader sees no number or the whole one. */
static void put(const char *path, long n) {
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL) exit(5);
	fprintf(f, "%ld\n", n);
	if (fclose(f) != 0 || rename(tmp, path) != 0) exit(5);
}

int main(int argc, char **argv) {
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: writer RATE COUNT [CREDIT]\n");
		return 2;
	}
	long rate = atol(argv[1]), per_tick = rate / 1000 > 0 ? rate / 1000 : 1;
	const char *count = argv[2];
	int granted = argc == 4;
	long grant = granted ? atol(argv[3]) : 0, credit = 0, n = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term; /* no SA_RESTART: a wait ends at once */
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	struct timespec next, now;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		if (granted && credit == 0) {
			char b;
			ssize_t r = read(0, &b, 1);
			if (r == 0) break;
			if (r < 0) {
				if (errno == EINTR) continue;
				return 6;
			}
			credit = grant;
			clock_gettime(CLOCK_MONOTONIC, &next);
		}
		for (long i = 0; i < per_tick && !stop && (!granted || credit > 0); i++) {
			char line[32];
			int len = snprintf(line, sizeof line, "%08ld\n", ++n);
			ssize_t w;
			while ((w = write(1, line, len)) < 0 && errno == EINTR)
				;
			if (w != len) return 4;
			credit--;
		}
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - next.tv_sec) * 1000000000L + (now.tv_nsec - next.tv_nsec) > 100000000L)
			next = now; /* a stall: go on at the rate from here */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	put(count, n);
	return usr2 ? 3 : 0;
}
`

// lineBytes is the length of each of the writer's lines, newline included.
const lineBytes = 9

// buildLineWriter compiles lineWriterC, or skips the test without a C
// compiler.
func buildLineWriter(t *testing.T) string { return buildC(t, "writer", lineWriterC) }

// writtenCount reads how many lines the writer wrote, from the COUNT file
// it writes as it exits.
func writtenCount(t *testing.T, path string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(readFile(t, path)))
	if err != nil {
		t.Fatalf("the writer left no count in %s: %v", path, err)
	}
	return n
}

// A logrotate runs the real logrotate(8) on one configuration, forced, with
// a state file of its own.
type logrotate struct {
	path        string
	conf, state string
	rotations   int // forced so far
}

// needLogrotate returns logrotate's path, or skips the test if it is not
// installed: on $PATH, or in /usr/sbin, where Debian puts it and where a
// user's $PATH does not lead.
func needLogrotate(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("logrotate")
	if err != nil {
		path = "/usr/sbin/logrotate"
		if _, serr := os.Stat(path); serr != nil {
			t.Skipf("logrotate is not installed (.ci/run installs it): %v", err)
		}
	}
	return path
}

// newLogrotate writes config (a stanza of docs/examples/logrotate, as
// logrotateStanza returns it) into dir.
func newLogrotate(t *testing.T, dir, config string) *logrotate {
	t.Helper()
	lr := &logrotate{path: needLogrotate(t), conf: filepath.Join(dir, "logrotate.conf"), state: filepath.Join(dir, "logrotate.state")}
	if err := os.WriteFile(lr.conf, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return lr
}

// logrotateStanza reads docs/examples/logrotate/NAME and puts the paths
// given in place of the example's (/var/log/app/app.log …), each of which
// the example must name. It returns the stanza and the number of rotated
// files it keeps (its rotate directive): a test forces no more rotations
// than that, so that logrotate deletes nothing and every line stays in some
// file.
func logrotateStanza(t *testing.T, name string, paths map[string]string) (string, int) {
	t.Helper()
	path := filepath.Join(examples, "logrotate", name)
	stanza := readFile(t, path)
	for example, real := range paths {
		if !strings.Contains(stanza, example) {
			t.Fatalf("%s does not name %s", path, example)
		}
		stanza = strings.ReplaceAll(stanza, example, real)
	}
	m := regexp.MustCompile(`(?m)^\s*rotate\s+(\d+)\s*$`).FindStringSubmatch(stanza)
	if m == nil {
		t.Fatalf("%s: no rotate directive", path)
	}
	keep, _ := strconv.Atoi(m[1])
	return stanza, keep
}

// withoutDirective returns stanza without the line holding directive alone,
// which it must have.
func withoutDirective(t *testing.T, stanza, directive string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(directive) + `\s*\n`)
	if !re.MatchString(stanza) {
		t.Fatalf("the stanza has no %s:\n%s", directive, stanza)
	}
	return re.ReplaceAllString(stanza, "")
}

// withPostrotate returns stanza with a postrotate script running script.
func withPostrotate(t *testing.T, stanza, script string) string {
	t.Helper()
	end := strings.LastIndex(stanza, "}")
	if end < 0 {
		t.Fatalf("the stanza has no closing brace:\n%s", stanza)
	}
	return stanza[:end] + "\tpostrotate\n\t\t" + script + "\n\tendscript\n" + stanza[end:]
}

// rotate forces a rotation and returns what logrotate said (nothing, when
// all goes well); a failure fails the test.
func (lr *logrotate) rotate(t *testing.T) string {
	t.Helper()
	lr.rotations++
	out, err := exec.Command(lr.path, "-f", "-s", lr.state, lr.conf).CombinedOutput()
	if err != nil {
		t.Fatalf("logrotate, rotation %d: %v\n%s", lr.rotations, err, out)
	}
	return string(out)
}

// backupRace is what logrotate says when the log it is about to create is
// there already: grespawn made it, once its grace for the new one
// (renameGrace, 5s) ran out while logrotate was between its rename and
// its create, which only a badly loaded machine does. logrotate moves that
// file aside, to FILE-YYYYMMDDHH.backup, and creates its own; the lines in
// it are kept, in a file logrotate no longer manages.
const backupRace = "already exists, renaming to"

// rotateQuietly is rotate for a rotation that must go well: logrotate must
// say nothing, or, about created, the log its create stanza creates (""
// for none), only backupRace, which is logged.
func (lr *logrotate) rotateQuietly(t *testing.T, created string) {
	t.Helper()
	out := lr.rotate(t)
	race := "destination " + created + " " + backupRace
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case line == "":
		case created != "" && strings.Contains(line, race):
			t.Logf("rotation %d: logrotate found the new log made before it could create it (a loaded machine): %s", lr.rotations, line)
		default:
			t.Fatalf("rotation %d: logrotate says:\n%s", lr.rotations, out)
		}
	}
}

// A logPart is one file of a rotated log, decompressed.
type logPart struct {
	name  string // the file's base name
	index int    // N of FILE.N or FILE.N.gz; 0 for FILE itself
	gz    bool
	data  []byte
}

// rotatedLog reads every file logrotate or grespawn made of the log at
// path: the rotated ones (FILE.N or FILE.N.gz, not both), oldest first, then
// FILE; and, apart, the backups logrotate moved aside (see backupRace). Any
// other file whose name begins with FILE's fails the test.
func rotatedLog(t *testing.T, path string) (parts, backups []logPart) {
	t.Helper()
	dir, base := filepath.Split(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]string{}
	backupRE := regexp.MustCompile(`^-\d{10}\.backup$`)
	rotatedRE := regexp.MustCompile(`^\.([1-9]\d*)(\.gz)?$`)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), base)
		if !ok {
			continue
		}
		p := logPart{name: e.Name()}
		switch m := rotatedRE.FindStringSubmatch(rest); {
		case rest == "":
		case m != nil:
			p.index, _ = strconv.Atoi(m[1])
			p.gz = m[2] != ""
			if other, dup := seen[p.index]; dup {
				t.Errorf("both %s and %s: two files for one rotation", other, p.name)
			}
			seen[p.index] = p.name
		case backupRE.MatchString(rest):
			p.index = -1
		default:
			t.Errorf("%s: a file neither logrotate nor grespawn makes of %s", e.Name(), base)
			continue
		}
		p.data = readLogPart(t, filepath.Join(dir, p.name), p.gz)
		if p.index < 0 {
			backups = append(backups, p)
		} else {
			parts = append(parts, p)
		}
	}
	// Oldest first: the highest N, … FILE.1, then FILE (0).
	age := func(p logPart) int {
		if p.index == 0 {
			return -1
		}
		return p.index
	}
	slices.SortFunc(parts, func(a, b logPart) int { return age(b) - age(a) })
	return parts, backups
}

func readLogPart(t *testing.T, path string, gz bool) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// numbers parses a part's lines, each of which must be one of the writer's,
// and fails the test on NUL bytes: a hole where the file was written past
// its end. A last line without its newline is returned apart as cut.
func numbers(t *testing.T, p logPart) (nums []int, cut string) {
	t.Helper()
	if i := bytes.IndexByte(p.data, 0); i >= 0 {
		t.Errorf("%s: NUL bytes from offset %d (%d of them in all): a hole", p.name, i, bytes.Count(p.data, []byte{0}))
		return nil, ""
	}
	lines := strings.Split(string(p.data), "\n")
	cut = lines[len(lines)-1] // "" after the last newline
	for _, line := range lines[:len(lines)-1] {
		n, err := strconv.Atoi(line)
		if err != nil || len(line) != lineBytes-1 {
			t.Errorf("%s: %q is not one of the writer's lines", p.name, line)
			continue
		}
		nums = append(nums, n)
	}
	return nums, cut
}

// names lists the parts' names, for messages.
func names(parts []logPart) string {
	var s []string
	for _, p := range parts {
		s = append(s, fmt.Sprintf("%s (%d bytes)", p.name, len(p.data)))
	}
	return strings.Join(s, ", ")
}

// checkEveryLineOnce checks that lines 1 to n are each in exactly one of the
// log's files, in order from the oldest file to FILE: nothing lost, nothing
// twice, nothing in the wrong file. Lines in backups (see backupRace) count,
// but their place in the order is not known, so the order is then checked
// within each file only.
func checkEveryLineOnce(t *testing.T, parts, backups []logPart, n int) {
	t.Helper()
	var all []int
	inOrder := true
	for _, p := range append(slices.Clone(parts), backups...) {
		nums, cut := numbers(t, p)
		if cut != "" {
			t.Errorf("%s ends in half a line, %q", p.name, cut)
		}
		if !slices.IsSorted(nums) {
			inOrder = false
			t.Errorf("%s: lines out of order", p.name)
		}
		all = append(all, nums...)
	}
	if len(backups) > 0 {
		slices.Sort(all)
	}
	seen := make([]int, n+1)
	for _, x := range all {
		if x < 1 || x > n {
			t.Errorf("line %d, which the writer never wrote (it wrote %d)", x, n)
			continue
		}
		seen[x]++
	}
	var lost, twice []int
	for x := 1; x <= n; x++ {
		switch {
		case seen[x] == 0:
			lost = append(lost, x)
		case seen[x] > 1:
			twice = append(twice, x)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d lines are in no file: %s", len(lost), n, runs(lost))
	}
	if len(twice) > 0 {
		t.Errorf("%d lines are in two files or more: %s", len(twice), runs(twice))
	}
	if inOrder && len(lost) == 0 && len(twice) == 0 && !slices.IsSorted(all) {
		t.Errorf("the lines are not in order from the oldest file to the newest")
	}
	if t.Failed() {
		t.Logf("files: %s; backups: %s", names(parts), names(backups))
	}
}

// runs writes sorted numbers as ranges: "3-7, 12".
func runs(xs []int) string {
	var s []string
	for i := 0; i < len(xs); {
		j := i
		for j+1 < len(xs) && xs[j+1] == xs[j]+1 {
			j++
		}
		if j == i {
			s = append(s, strconv.Itoa(xs[i]))
		} else {
			s = append(s, fmt.Sprintf("%d-%d", xs[i], xs[j]))
		}
		i = j + 1
	}
	if len(s) > 20 {
		s = append(s[:20], "…")
	}
	return strings.Join(s, ", ")
}

// checkCopytruncated checks a log rotated by copytruncate with compress, and
// returns how many lines each rotation lost. The rotated files must be
// logrotate's (FILE.N.gz: a plain FILE.N is a rotation of grespawn's own);
// no file holds a hole (NUL bytes) or a line twice; the lines run in order,
// from 1, without a gap inside any file; and lines 1 to n are all there but
// for copytruncate's own gap at each rotation: the lines written between
// logrotate's copy and its truncation are in neither file, so at most one
// run of lines is missing where one file ends and the next begins. A copy
// may end in half a line (the read of the copy met a write under way); that
// line is lost with the gap.
func checkCopytruncated(t *testing.T, parts []logPart, rotations, n int) (lost []int) {
	t.Helper()
	if len(parts) != rotations+1 {
		t.Errorf("files %s: want %d copies and the log", names(parts), rotations)
	}
	prev := 0 // the last line seen
	for i, p := range parts {
		if p.index > 0 && !p.gz {
			t.Errorf("%s is not compressed: not logrotate's copy (grespawn rotated the log itself?)", p.name)
		}
		nums, cut := numbers(t, p)
		for j, x := range nums {
			switch {
			case x <= prev:
				t.Errorf("%s: line %d after line %d", p.name, x, prev)
			case x > prev+1 && i == 0 && j == 0:
				t.Errorf("lines %d-%d, the first, are in no file", prev+1, x-1)
			case x > prev+1 && j > 0:
				t.Errorf("%s: lines %d-%d missing inside the file", p.name, prev+1, x-1)
			case x > prev+1:
				lost = append(lost, x-prev-1)
			case j == 0 && i > 0:
				lost = append(lost, 0)
			}
			prev = max(prev, x)
		}
		if cut != "" {
			if p.index == 0 {
				t.Errorf("%s ends in half a line, %q", p.name, cut)
			} else {
				t.Logf("%s, a copy, ends in half a line, %q: lost with the rotation's gap", p.name, cut)
			}
		}
		if len(nums) == 0 && i < len(parts)-1 && bytes.IndexByte(p.data, 0) < 0 {
			t.Errorf("%s holds no whole line", p.name)
		}
	}
	if prev < n {
		last := parts[len(parts)-1]
		if len(last.data) > 0 {
			t.Errorf("lines %d-%d, the last ones, are in no file", prev+1, n)
		} else {
			lost = append(lost, n-prev) // the last rotation's gap: nothing came after it
		}
	} else if prev > n {
		t.Errorf("line %d, which the writer never wrote (it wrote %d)", prev, n)
	}
	if len(lost) > rotations {
		t.Errorf("%d gaps, more than the %d rotations", len(lost), rotations)
	}
	if t.Failed() {
		t.Logf("files: %s", names(parts))
	}
	return lost
}

// logGaps says what copytruncate lost, for the record.
func logGaps(t *testing.T, lost []int, rotations, n, rate int) {
	t.Helper()
	total, most, hit := 0, 0, 0
	for _, l := range lost {
		total += l
		most = max(most, l)
		if l > 0 {
			hit++
		}
	}
	t.Logf("copytruncate lost %d of %d lines, writing %d lines a second: in %d of %d rotations, at most %d in one (%v)",
		total, n, rate, hit, rotations, most, lost)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// grespawnLog starts grespawn writing the writer's output to DIR/log/app.log
// with args before the command, and returns it and the log's path. The log
// has a directory of its own, so that every file there is one of its.
func grespawnLog(t *testing.T, dir string, setup func(*exec.Cmd), args []string, writer ...string) (*grespawnRun, string) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(dir, "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "log", "app.log")
	argv := append([]string{"--restart", "never", "-l", log}, args...)
	g := startGrespawnWith(t, dir, setup, append(append(argv, "--"), writer...)...)
	return g, log
}

// createRate is how fast the writer writes while logrotate renames the log
// and creates the next.
const createRate = 20000

// grespawn follows logrotate's create: renamed away, the log is written
// until logrotate has created the next, then the next; every line is in
// exactly one file, in order. Between rotations the test waits for the new
// log to hold a line: grespawn writes under one lock, so from then on it
// writes the renamed one no more, and delaycompress's gzip reads it whole.
func TestLogrotateCreate(t *testing.T) {
	needLogrotate(t)
	writer := buildLineWriter(t)
	dir := tempDir(t)
	count := filepath.Join(dir, "count")
	g, log := grespawnLog(t, dir, nil, []string{"--log-max-size", "0"}, writer, strconv.Itoa(createRate), count)
	stanza, keep := logrotateStanza(t, "grespawn", map[string]string{"/var/log/app/app.log": log})
	lr := newLogrotate(t, dir, stanza)
	g.waitFor("a line in the log", func() bool { return fileSize(log) > 0 })
	for range keep {
		lr.rotateQuietly(t, log)
		waitFollowed(t, g, log)
	}
	g.signal(syscall.SIGTERM)
	if status := g.wait(); status != 0 {
		t.Fatalf("grespawn exited %d, want the writer's 0:\n%s", status, g.messages())
	}
	n := writtenCount(t, count)
	parts, backups := rotatedLog(t, log)
	if len(parts) != keep+1 {
		t.Errorf("files %s: want %d rotated and the log", names(parts), keep)
	}
	checkEveryLineOnce(t, parts, backups, n)
	t.Logf("%d lines in %d files", n, len(parts)+len(backups))
}

// waitFollowed waits, after a rotation by create, until grespawn writes the
// new log. Until then it may finish one block of lines in the renamed one,
// app.log.1: it looks at the log's name before each block, and a block is
// one read from its pipe (256 KiB at most). If app.log.1 grows by more than
// that pipe holds (1 MiB), grespawn does not follow the rotation, and the
// test fails then rather than at the deadline.
func waitFollowed(t *testing.T, g *grespawnRun, log string) {
	t.Helper()
	renamed := fileSize(log + ".1")
	g.waitFor("a line in the new log", func() bool {
		if grown := fileSize(log+".1") - renamed; grown > 1<<20 {
			t.Fatalf("grespawn wrote %d bytes more into the renamed log, app.log.1, and none into the new one: it does not follow the rotation", grown)
		}
		return fileSize(log) > 0
	})
}

// The control: the writer's output redirected by a shell into the log, as
// `app >> app.log &` does. The writer holds the file it was given, and
// logrotate's create renames that away.
func TestLogrotateCreateShellRedirection(t *testing.T) {
	needLogrotate(t)
	writer := buildLineWriter(t)
	// startWriter runs the writer as `exec writer … >> LOG`, in DIR/log.
	startWriter := func(t *testing.T, dir string) (*testutil.Proc, string, string, <-chan struct{}) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(dir, "log"), 0o755); err != nil {
			t.Fatal(err)
		}
		log, count := filepath.Join(dir, "log", "app.log"), filepath.Join(dir, "count")
		cmd := exec.Command("sh", "-c", `exec "$0" "$@" >> "$LOG"`, writer, strconv.Itoa(createRate), count)
		cmd.Env = append(os.Environ(), "LOG="+log)
		exited := startBackground(t, cmd, nil)
		return testutil.Watch(t, cmd.Process.Pid), log, count, exited
	}
	// stop stops the writer and returns how many lines it wrote.
	stop := func(t *testing.T, p *testutil.Proc, exited <-chan struct{}, count string) int {
		t.Helper()
		if err := p.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		p.WaitExit(t)
		<-exited
		return writtenCount(t, count)
	}
	// rotateAndWatch forces a rotation and waits until the writer has
	// written after it, into the file it holds, FILE.1 or a deleted one.
	rotateAndWatch := func(t *testing.T, lr *logrotate, p *testutil.Proc) string {
		t.Helper()
		fd1 := fmt.Sprintf("/proc/%d/fd/1", p.PID)
		out := lr.rotate(t)
		before := fileSize(fd1)
		p.WaitFor(t, "the writer writing after the rotation", func() (bool, string) {
			return fileSize(fd1) > before, ""
		})
		return out
	}

	t.Run("the example's stanza", func(t *testing.T) {
		dir := tempDir(t)
		p, log, count, exited := startWriter(t, dir)
		stanza, _ := logrotateStanza(t, "grespawn", map[string]string{"/var/log/app/app.log": log})
		lr := newLogrotate(t, dir, stanza)
		p.WaitFor(t, "a line in the log", func() (bool, string) { return fileSize(log) > 0, "" })
		rotateAndWatch(t, lr, p)
		if size := fileSize(log); size != 0 {
			t.Fatalf("the new log holds %d bytes: the control does not show what it should", size)
		}
		// notifempty: the new log, empty, is not rotated again; the renamed
		// one is neither compressed nor ever rotated, and grows for ever.
		rotateAndWatch(t, lr, p)
		n := stop(t, p, exited, count)
		parts, _ := rotatedLog(t, log)
		if len(parts) != 2 || parts[0].name != "app.log.1" || len(parts[1].data) != 0 {
			t.Fatalf("files %s: want all in app.log.1, and app.log empty", names(parts))
		}
		nums, _ := numbers(t, parts[0])
		if len(nums) != n {
			t.Errorf("app.log.1 holds %d lines of %d", len(nums), n)
		}
		t.Logf("all %d lines went on into app.log.1, which logrotate no longer rotates; app.log stayed empty", n)
	})

	// Without notifempty (logrotate's default is ifempty), the empty new
	// log is rotated too, and delaycompress then compresses the file the
	// writer still writes and deletes it: what the writer writes after
	// gzip's read is lost. (gzip says the file changed under it.)
	t.Run("ifempty", func(t *testing.T) {
		dir := tempDir(t)
		p, log, count, exited := startWriter(t, dir)
		stanza, _ := logrotateStanza(t, "grespawn", map[string]string{"/var/log/app/app.log": log})
		lr := newLogrotate(t, dir, withoutDirective(t, stanza, "notifempty"))
		p.WaitFor(t, "a line in the log", func() (bool, string) { return fileSize(log) > 0, "" })
		rotateAndWatch(t, lr, p)
		rotateAndWatch(t, lr, p) // the writer writes into a deleted file
		n := stop(t, p, exited, count)
		parts, _ := rotatedLog(t, log)
		if len(parts) != 3 || parts[0].name != "app.log.2.gz" || len(parts[1].data) != 0 || len(parts[2].data) != 0 {
			t.Fatalf("files %s: want app.log.2.gz, then app.log.1 and app.log empty", names(parts))
		}
		nums, _ := numbers(t, parts[0])
		if len(nums) >= n || !slices.Equal(nums, seq(1, len(nums))) {
			t.Fatalf("app.log.2.gz holds %d lines of %d: want only the first ones, and not all", len(nums), n)
		}
		t.Logf("%d of %d lines lost, written into the deleted file; app.log and app.log.1 empty", n-len(nums), n)
	})
}

// seq is from, from+1, … to.
func seq(from, to int) []int {
	var s []int
	for x := from; x <= to; x++ {
		s = append(s, x)
	}
	return s
}

// Copytruncate's writing rate, and how many lines the writer may write for
// each rotation: see TestLogrotateCopytruncate.
const (
	copytruncateRate   = 50000
	copytruncateCredit = 5000
)

// grespawn under copytruncate: no hole, no line twice, the lines in order,
// and nothing lost but copytruncate's own gap (checkCopytruncated); the
// figures of the gap are logged.
//
// grespawn must count the log's size again from the emptied file. That
// shows only if it rotates by size, so --log-max-size is set to the most the
// log can ever hold between two truncations, and grespawn must never rotate
// (a plain app.log.1 would be its rotation). That most is bounded, whatever
// the machine's speed and however much grespawn holds between its pipe and
// the file, by granting the writer copytruncateCredit lines for each
// rotation and rotating only once the log holds the middle line of the
// grant: lines are written in order, so all the grants before are written
// by then, and the log emptied by rotation i holds no more than the second
// half of grant i-1 and grant i. A size count that never started again
// would pass that within two rotations.
func TestLogrotateCopytruncate(t *testing.T) {
	needLogrotate(t)
	writer := buildLineWriter(t)
	dir := tempDir(t)
	count := filepath.Join(dir, "count")
	grants, grant, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer grant.Close()
	const maxSize = (copytruncateCredit + copytruncateCredit/2) * lineBytes
	g, log := grespawnLog(t, dir, func(cmd *exec.Cmd) { cmd.Stdin = grants },
		[]string{"--log-max-size", strconv.Itoa(maxSize)},
		writer, strconv.Itoa(copytruncateRate), count, strconv.Itoa(copytruncateCredit))
	grants.Close()
	stanza, keep := logrotateStanza(t, "grespawn-copytruncate", map[string]string{"/var/log/app/app.log": log})
	lr := newLogrotate(t, dir, stanza)
	for i := 1; i <= keep; i++ {
		if _, err := grant.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		// Written after the last rotation, the line cannot be lost to it.
		middle := (i-1)*copytruncateCredit + copytruncateCredit/2
		g.waitFor(fmt.Sprintf("line %d in the log", middle), func() bool { return lastLine(log) >= middle })
		if fileSize(log+".1") >= 0 {
			t.Fatalf("before rotation %d: grespawn rotated the log by itself to app.log.1 (%d bytes), past --log-max-size %d: its size count did not start again from the emptied log",
				i, fileSize(log+".1"), maxSize)
		}
		lr.rotateQuietly(t, "")
	}
	grant.Close() // the writer's end of input: it stops once its grant is written
	if status := g.wait(); status != 0 {
		t.Fatalf("grespawn exited %d, want the writer's 0:\n%s", status, g.messages())
	}
	n := writtenCount(t, count)
	if n != keep*copytruncateCredit {
		t.Errorf("the writer wrote %d lines, want its %d grants of %d", n, keep, copytruncateCredit)
	}
	parts, backups := rotatedLog(t, log)
	if len(backups) > 0 {
		t.Errorf("backups %s: logrotate's copytruncate makes none", names(backups))
	}
	lost := checkCopytruncated(t, parts, keep, n)
	logGaps(t, lost, keep, n, copytruncateRate)
}

// lastLine is the number of the last whole line in the log at path, 0 if
// none.
func lastLine(path string) int {
	b, _ := os.ReadFile(path)
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	if len(b) < lineBytes {
		return 0
	}
	n, _ := strconv.Atoi(string(b[len(b)-lineBytes : len(b)-1]))
	return n
}

// gdaemonizeRate is how fast the daemon writes its output file.
const gdaemonizeRate = 20000

// gdaemonize's output files under the example's copytruncate: opened in
// append mode, with -a or without, so that after each truncation the daemon
// writes from the start of the emptied file, and no copy or log holds a
// hole. The control is the same writer given its file by a shell without
// append mode (1<>FILE): its next write after the truncation leaves the
// start of the file full of NUL bytes, as far as it had written.
func TestLogrotateGdaemonizeCopytruncate(t *testing.T) {
	needLogrotate(t)
	writer := buildLineWriter(t)
	// setup makes DIR/log with the logrotate configuration for its out.log
	// and err.log.
	setup := func(t *testing.T, dir string) (out, errLog string, lr *logrotate, keep int) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(dir, "log"), 0o755); err != nil {
			t.Fatal(err)
		}
		out, errLog = filepath.Join(dir, "log", "out.log"), filepath.Join(dir, "log", "err.log")
		stanza, keep := logrotateStanza(t, "gdaemonize", map[string]string{
			"/var/log/app/out.log": out,
			"/var/log/app/err.log": errLog,
		})
		return out, errLog, newLogrotate(t, dir, stanza), keep
	}
	for _, c := range []struct {
		name  string
		flags []string
		stale string // in the output file before the start
	}{
		{"-o", nil, "a line of an earlier run, which -o truncates away\n"},
		{"-a -o", []string{"-a"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tempDir(t)
			out, errLog, lr, keep := setup(t, dir)
			if err := os.WriteFile(out, []byte(c.stale), 0o644); err != nil {
				t.Fatal(err)
			}
			pidfile, count := filepath.Join(dir, "app.pid"), filepath.Join(dir, "count")
			argv := append(append([]string{"gdaemonize", "-p", pidfile}, c.flags...), "-o", out, "-e", errLog, "--", writer, strconv.Itoa(gdaemonizeRate), count)
			if r := runWith(t, dir, runOptions{}, argv...); r.status != 0 {
				t.Fatalf("%q: status %d: %s", argv, r.status, r.stderr)
			}
			pid := pidfilePID(t, pidfile)
			p := testutil.Watch(t, pid)
			for fd := 1; fd <= 2; fd++ {
				if fdFlags(t, pid, fd)&syscall.O_APPEND == 0 {
					t.Errorf("the daemon's descriptor %d is not in append mode", fd)
				}
			}
			for range keep {
				p.WaitFor(t, "a line in the emptied output file", func() (bool, string) { return fileSize(out) > 0, "" })
				lr.rotateQuietly(t, "")
			}
			p.WaitFor(t, "a line in the last output file", func() (bool, string) { return fileSize(out) > 0, "" })
			if r := runWith(t, dir, runOptions{}, "gdaemonize", "-p", pidfile, "--stop"); r.status != 0 {
				t.Fatalf("gdaemonize --stop: status %d: %s", r.status, r.stderr)
			}
			p.WaitExit(t)
			n := writtenCount(t, count)
			parts, _ := rotatedLog(t, out)
			lost := checkCopytruncated(t, parts, keep, n)
			logGaps(t, lost, keep, n, gdaemonizeRate)
			if errParts, _ := rotatedLog(t, errLog); len(errParts) != 1 || len(errParts[0].data) != 0 {
				t.Errorf("standard error's files: %s; want err.log alone, empty (notifempty)", names(errParts))
			}
		})
	}

	t.Run("control: 1<>FILE", func(t *testing.T) {
		dir := tempDir(t)
		out, _, lr, _ := setup(t, dir)
		count := filepath.Join(dir, "count")
		cmd := exec.Command("sh", "-c", `exec "$0" "$@" 1<>"$OUT"`, writer, strconv.Itoa(gdaemonizeRate), count)
		cmd.Env = append(os.Environ(), "OUT="+out)
		exited := startBackground(t, cmd, nil)
		p := testutil.Watch(t, cmd.Process.Pid)
		if fdFlags(t, p.PID, 1)&syscall.O_APPEND != 0 {
			t.Fatal("1<> opened the file in append mode: the control does not show what it should")
		}
		p.WaitFor(t, "a line in the output file", func() (bool, string) { return fileSize(out) > 0, "" })
		lr.rotateQuietly(t, "")
		p.WaitFor(t, "a line in the emptied output file", func() (bool, string) { return fileSize(out) > 0, "" })
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		holes := len(data) - len(bytes.TrimLeft(data, "\x00"))
		if holes == 0 {
			t.Fatalf("the output file begins %q after the truncation: want NUL bytes, where the writer had written", data[:min(len(data), 32)])
		}
		t.Logf("after the truncation the output file begins with %d NUL bytes", holes)
		if err := p.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		<-exited
	})
}

// reopenRate is how fast the writer writes while logrotate rotates the log
// and signals grespawn.
const reopenRate = 20000

// The example's create stanza, with a postrotate that sends grespawn the
// signal of --log-reopen-signal: grespawn reopens the log and does not pass
// the signal on (the writer would stop, exit 3 and say GOT USR2); every line
// is in exactly one file. The control is grespawn without the option, which
// passes SIGUSR2 on like any other signal.
func TestLogrotateReopenSignal(t *testing.T) {
	needLogrotate(t)
	writer := buildLineWriter(t)
	start := func(t *testing.T, args ...string) (*grespawnRun, string, *logrotate, int, string) {
		t.Helper()
		dir := tempDir(t)
		count := filepath.Join(dir, "count")
		g, log := grespawnLog(t, dir, nil, append([]string{"--log-max-size", "0"}, args...), writer, strconv.Itoa(reopenRate), count)
		stanza, keep := logrotateStanza(t, "grespawn", map[string]string{"/var/log/app/app.log": log})
		stanza = withPostrotate(t, stanza, fmt.Sprintf("kill -USR2 %d", g.cmd.Process.Pid))
		return g, log, newLogrotate(t, dir, stanza), keep, count
	}

	t.Run("--log-reopen-signal USR2", func(t *testing.T) {
		g, log, lr, keep, count := start(t, "--log-reopen-signal", "USR2")
		g.waitFor("a line in the log", func() bool { return fileSize(log) > 0 })
		for range keep {
			lr.rotateQuietly(t, log)
			waitFollowed(t, g, log)
		}
		g.signal(syscall.SIGTERM)
		if status := g.wait(); status != 0 {
			t.Fatalf("grespawn exited %d, want the writer's 0 (3: it got SIGUSR2):\n%s", status, g.messages())
		}
		n := writtenCount(t, count)
		parts, backups := rotatedLog(t, log)
		checkEveryLineOnce(t, parts, backups, n)
		// The event lines are held back past ten a second, and a signal sent
		// before grespawn took the last may be one reopen for both: at
		// least one reopen, at most one a rotation.
		reopens := strings.Count(g.messages(), "reopened the log on SIGUSR2")
		for _, m := range regexp.MustCompile(`and (\d+) lines like the last ones, held back`).FindAllStringSubmatch(g.messages(), -1) {
			held, _ := strconv.Atoi(m[1])
			reopens += held
		}
		if reopens < 1 || reopens > keep {
			t.Errorf("%d reopens for %d rotations:\n%s", reopens, keep, g.messages())
		}
		t.Logf("%d lines in %d files; %d reopens for %d rotations", n, len(parts)+len(backups), reopens, keep)
	})

	t.Run("control: without the option", func(t *testing.T) {
		g, log, lr, _, _ := start(t)
		g.waitFor("a line in the log", func() bool { return fileSize(log) > 0 })
		lr.rotateQuietly(t, log)
		if status := g.wait(); status != 3 {
			t.Fatalf("grespawn exited %d, want 3: the writer stopped by the SIGUSR2 passed on:\n%s", status, g.messages())
		}
		parts, _ := rotatedLog(t, log)
		var all []byte
		for _, p := range parts {
			all = append(all, p.data...)
		}
		if !bytes.Contains(all, []byte("GOT USR2\n")) {
			t.Errorf("the writer's GOT USR2 is not in the log (files %s)", names(parts))
		}
	})
}
