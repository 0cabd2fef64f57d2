package respawn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

// changed reports whether w reports a change within wait. A positive check
// waits until the test's deadline; a negative one waits a short while, since a
// wrong event would come at once (under load it may miss one, never invent
// one).
func changed(w *watcher, wait time.Duration) bool {
	select {
	case <-w.changes():
		return true
	case <-time.After(wait):
		return false
	}
}

func mustWrite(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A watched file stays watched after an editor replaced it by a rename, and
// its neighbours do not count.
func TestWatchFileSurvivesReplacement(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.conf")
	mustWrite(t, conf, "v1")
	w, err := startWatch(watchConfig{paths: []string{conf}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	for i, text := range []string{"v2", "v3"} {
		tmp := filepath.Join(dir, ".app.conf.swp")
		mustWrite(t, tmp, text)
		if err := os.Rename(tmp, conf); err != nil {
			t.Fatal(err)
		}
		if !changed(w, time.Until(testutil.Deadline(t))) {
			t.Fatalf("replacement %d not seen", i+1)
		}
		for changed(w, 50*time.Millisecond) { // the rest of the same change
		}
	}
	// A neighbour's change is not a change of the watched file. The
	// negative check waits a while: a wrong event would come at once.
	mustWrite(t, filepath.Join(dir, "other"), "x")
	if changed(w, 300*time.Millisecond) {
		t.Error("a change to another file in the directory counted")
	}
}

// grespawn's own files in a watched directory do not count: the log, its
// rotations, the status file and the temporary files it is written through.
func TestWatchIgnoresOwnFiles(t *testing.T) {
	dir := t.TempDir()
	log, status := filepath.Join(dir, "app.log"), filepath.Join(dir, "app.status")
	w, err := startWatch(watchConfig{paths: []string{dir}, own: []string{log, status}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	mustWrite(t, log, "line\n")
	mustWrite(t, log+".1", "line\n")
	mustWrite(t, log+"-20261130", "line\n")          // logrotate's dateext
	mustWrite(t, log+"-2026113001.backup", "line\n") // and the file it moves aside
	if err := (snapshot{State: "running"}).write(status, nil); err != nil {
		t.Fatal(err)
	}
	if changed(w, 300*time.Millisecond) {
		t.Error("a change to grespawn's own files counted")
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if !changed(w, time.Until(testutil.Deadline(t))) {
		t.Fatal("a new directory not seen")
	}
	mustWrite(t, filepath.Join(sub, "main.js"), "x")
	if !changed(w, time.Until(testutil.Deadline(t))) {
		t.Error("a file in a new subdirectory not seen")
	}
}

// Directories that come and go under a watched tree leave no watch behind
// (IN_IGNORED forgets them), and a watched directory removed and made
// again is watched again, with what is below it (issue 13: ~150 B leaked
// per directory, and the watch went silently dead).
func TestWatchForgetsRemovedAndFindsRecreated(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "src")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := startWatch(watchConfig{paths: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	before := w.watches()
	for i := range 50 {
		sub := filepath.Join(root, fmt.Sprintf("d%d", i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "the new directory watched", func() bool { return w.watches() == before+1 })
		if err := os.Remove(sub); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "the removed directory forgotten", func() bool { return w.watches() == before })
	}
	for changed(w, 50*time.Millisecond) { // the changes so far
	}
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	if !changed(w, time.Until(testutil.Deadline(t))) {
		t.Fatal("the removal of the watched directory not seen")
	}
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the directory made again watched, with its subdirectory", func() bool { return w.watches() == before+1 })
	for changed(w, 50*time.Millisecond) {
	}
	mustWrite(t, filepath.Join(root, "sub", "main.js"), "x")
	if !changed(w, time.Until(testutil.Deadline(t))) {
		t.Error("a change below the directory made again not seen")
	}
}

// An ignored directory gets no inotify watch, at the start or when it
// appears, and changes below what is ignored are never reported: the
// ignored changes are made first and a watched one last, and since
// inotify's events come in order, the first change reported must be the
// watched one.
func TestWatchIgnoredGetNoWatch(t *testing.T) {
	parent := t.TempDir()
	src := filepath.Join(parent, "src")
	makeTree(t, src, "a/main.js", "b/", "dist/sub/x.js", ".git/objects/ab/cd", "a/node_modules/y/z.js")
	for i := range 20 {
		makeTree(t, src, fmt.Sprintf("node_modules/p%d/lib/index.js", i))
	}
	w, err := startWatch(watchConfig{paths: []string{src}, ignore: []string{"node_modules", "*.swp", "dist/*"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	// parent (for src itself), src, a, b and dist; not dist/sub, .git or
	// any node_modules.
	if n := w.watches(); n != 5 {
		t.Fatalf("%d watches, want 5: %v", n, w.in.dirs)
	}
	for _, ignored := range []func() error{
		func() error { return os.WriteFile(filepath.Join(src, "a/.main.js.swp"), []byte("x"), 0o644) },
		func() error { return os.WriteFile(filepath.Join(src, "dist/bundle.js"), []byte("x"), 0o644) },
		func() error { return os.Mkdir(filepath.Join(src, "dist/assets"), 0o755) },
		func() error { return os.MkdirAll(filepath.Join(src, "b/node_modules/q"), 0o755) },
		func() error {
			return os.WriteFile(filepath.Join(src, "node_modules/p1/lib/index.js"), []byte("x"), 0o644)
		},
		func() error { return os.WriteFile(filepath.Join(src, ".git/HEAD"), []byte("x"), 0o644) },
	} {
		if err := ignored(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(src, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !changed(w, time.Until(testutil.Deadline(t))) {
		t.Fatal("the new directory not seen")
	}
	if got, want := w.take(), filepath.Join(src, "c"); got != want {
		t.Errorf("the first change reported is %q, want %q", got, want)
	}
	testutil.WaitFor(t, "the new directory watched", func() bool { return w.watches() >= 6 })
	if n := w.watches(); n != 6 {
		t.Errorf("%d watches, want 6: %v", n, w.in.dirs)
	}
}

func init() { testutil.RegisterHelper("inotifylimit", inotifyLimitHelper) }

// inotifyLimitHelper runs in a user namespace of its own, whose limits on
// inotify (user.max_inotify_watches, user.max_inotify_instances) bind this
// process alone: helper inotifylimit DIR CASE sets them and prints what a
// watch of DIR/src says.
//
//   - start: 4 watches, and a tree that needs 6: the start fails.
//   - running: 4 watches, a tree that needs 3; two directories made then
//     (the first takes the last watch, the second finds none) give one
//     message; a third, none, and no watch.
//   - instances: no instance at all.
func inotifyLimitHelper(args []string) int {
	dir, which := args[0], args[1]
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "helper:", err); return 2 }
	set := func(name string, n int) error {
		return os.WriteFile("/proc/sys/user/"+name, []byte(strconv.Itoa(n)), 0o644)
	}
	src := filepath.Join(dir, "src")
	advice := WatchAdvice{Ignore: "leave directories out with --watch-ignore", Poll: "poll with --watch-poll"}
	switch which {
	case "start", "running":
		if err := set("max_inotify_watches", 4); err != nil {
			return fail(err)
		}
		dirs := []string{"a/"}
		if which == "start" {
			dirs = []string{"a/", "b/", "c/", "d/"}
		}
		for _, d := range dirs {
			if err := os.MkdirAll(filepath.Join(src, d), 0o755); err != nil {
				return fail(err)
			}
		}
		w, err := startWatch(watchConfig{paths: []string{src}, advice: advice})
		if which == "start" {
			var limit *WatchLimitError
			fmt.Printf("limit error %v: %v\n", errors.As(err, &limit), err)
			return 0
		}
		if err != nil {
			return fail(err)
		}
		defer w.close()
		for _, d := range []string{"n1", "n2"} {
			if err := os.Mkdir(filepath.Join(src, d), 0o755); err != nil {
				return fail(err)
			}
		}
		select {
		case err := <-w.troubles():
			var limit *WatchLimitError
			fmt.Printf("limit error %v: %v\n", errors.As(err, &limit), err)
		case <-time.After(time.Minute):
			return fail(errors.New("no trouble reported"))
		}
		// A third directory finds no watch either, and says nothing. The
		// changes reported are the barrier: n2's first, then n3's, which
		// comes once its watch has been tried.
		next := func() string {
			select {
			case <-w.changes():
				return w.take()
			case <-time.After(time.Minute):
				return "(none)"
			}
		}
		for seen := next(); !strings.HasSuffix(seen, "n2") && !strings.HasSuffix(seen, " and others"); seen = next() {
			if seen == "(none)" {
				return fail(errors.New("n2 not reported"))
			}
		}
		if err := os.Mkdir(filepath.Join(src, "n3"), 0o755); err != nil {
			return fail(err)
		}
		if seen := next(); seen != filepath.Join(src, "n3") {
			return fail(fmt.Errorf("reported %s, want n3", seen))
		}
		fmt.Printf("watches: %d\n", w.watches())
		fmt.Printf("troubles after: %d\n", len(w.troubles()))
	case "instances":
		if err := set("max_inotify_instances", 0); err != nil {
			return fail(err)
		}
		if err := os.Mkdir(src, 0o755); err != nil {
			return fail(err)
		}
		_, err := startWatch(watchConfig{paths: []string{src}, advice: advice})
		var limit *WatchLimitError
		fmt.Printf("limit error %v: %v\n", errors.As(err, &limit), err)
	}
	return 0
}

// The kernel's limits on inotify give a message that names the limit, its
// value and the ways around it: at the start, an error; while watching,
// one message, and the watch goes on. The limits are lowered in a user
// namespace of the helper's own, where they bind it alone (Linux 4.9).
func TestWatchLimit(t *testing.T) {
	for _, c := range []struct {
		which string
		want  []string
	}{
		{"start", []string{`^limit error true: /.*/src/[a-d]: the kernel's limit of inotify watches is reached \(user\.max_inotify_watches = 4\): raise it \(sysctl user\.max_inotify_watches=524288\), leave directories out with --watch-ignore, or poll with --watch-poll$`}},
		{"running", []string{
			`^limit error true: /.*/src/n2: the kernel's limit of inotify watches is reached \(user\.max_inotify_watches = 4\): raise it \(sysctl user\.max_inotify_watches=524288\), leave directories out with --watch-ignore, or poll with --watch-poll$`,
			`^watches: 4$`,
			`^troubles after: 0$`,
		}},
		{"instances", []string{`^limit error true: inotify_init1: the kernel's limit of inotify instances is reached \(user\.max_inotify_instances = 0\): raise it \(sysctl user\.max_inotify_instances=1024\), or poll with --watch-poll$`}},
	} {
		t.Run(c.which, func(t *testing.T) {
			cmd := testutil.HelperCommand(t, "inotifylimit", t.TempDir(), c.which)
			cmd.SysProcAttr = &syscall.SysProcAttr{
				Cloneflags:  syscall.CLONE_NEWUSER,
				UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
				GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil && strings.Contains(err.Error(), "fork/exec") {
				t.Skipf("no user namespace: %v", err)
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != len(c.want) {
				t.Fatalf("got\n%s\nwant %d lines", out, len(c.want))
			}
			for i, re := range c.want {
				if !regexp.MustCompile(re).MatchString(lines[i]) {
					t.Errorf("line %d:\n%s\nwant\n%s", i+1, lines[i], re)
				}
			}
		})
	}
}
