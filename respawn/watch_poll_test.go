package respawn

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

// startPolled starts a polling watch that never walks by itself (every
// hour), for a test that calls scan.
func startPolled(t *testing.T, cfg watchConfig) *watcher {
	t.Helper()
	cfg.poll = time.Hour
	w, err := startWatch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	return w
}

// makeTree makes the files (ending in /: directories) under dir.
func makeTree(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if name[len(name)-1] == '/' {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		mustWrite(t, p, "v1")
	}
}

// A poll sees every kind of change under a tree, and names the path; what
// the rules leave out it never sees, nor the supervisor's own files.
func TestPollSeesChanges(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	makeTree(t, src, "main.js", "lib/util.js", "node_modules/react/index.js", ".git/HEAD", "dist/bundle.js", "empty/")
	log := filepath.Join(src, "app.log")
	w := startPolled(t, watchConfig{paths: []string{src}, ignore: []string{"node_modules", "*.swp", "dist/*"}, own: []string{log}})
	quiet := func(what string) {
		t.Helper()
		if path, changed := w.poll.scan(); changed {
			t.Errorf("%s: a change to %s seen", what, path)
		}
	}
	quiet("nothing done")
	for _, c := range []struct {
		what string
		do   func() error
		path string // the path the change is seen at
	}{
		{"create", func() error { return os.WriteFile(filepath.Join(src, "lib/new.js"), []byte("x"), 0o644) }, "lib/new.js"},
		{"modify", func() error { return os.WriteFile(filepath.Join(src, "main.js"), []byte("v2 longer"), 0o644) }, "main.js"},
		{"touch", func() error {
			return os.Chtimes(filepath.Join(src, "main.js"), time.Time{}, time.Now().Add(time.Hour))
		}, "main.js"},
		{"chmod", func() error { return os.Chmod(filepath.Join(src, "lib/util.js"), 0o755) }, "lib/util.js"},
		{"rename", func() error { return os.Rename(filepath.Join(src, "lib/new.js"), filepath.Join(src, "lib/renamed.js")) }, ""},
		{"replace by a rename", func() error {
			mustWrite(t, filepath.Join(src, ".main.js.tmp"), "v2 longer")
			w.poll.scan() // a new file: a change of its own
			return os.Rename(filepath.Join(src, ".main.js.tmp"), filepath.Join(src, "main.js"))
		}, ""},
		{"delete", func() error { return os.Remove(filepath.Join(src, "lib/renamed.js")) }, "lib/renamed.js"},
		{"mkdir", func() error { return os.Mkdir(filepath.Join(src, "lib/sub"), 0o755) }, "lib/sub"},
		{"rmdir", func() error { return os.Remove(filepath.Join(src, "empty")) }, "empty"},
		{"the watched directory's mode", func() error { return os.Chmod(src, 0o700) }, "."},
	} {
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		path, changed := w.poll.scan()
		if !changed {
			t.Errorf("%s: not seen", c.what)
		} else if want := filepath.Join(src, c.path); c.path != "" && path != want {
			t.Errorf("%s: seen at %s, want %s", c.what, path, want)
		}
		quiet(c.what + " seen")
	}
	for _, c := range []struct {
		what string
		do   func() error
	}{
		{"a file in node_modules", func() error {
			return os.WriteFile(filepath.Join(src, "node_modules/react/index.js"), []byte("v2 longer"), 0o644)
		}},
		{"a new node_modules deeper", func() error { return os.MkdirAll(filepath.Join(src, "lib/node_modules/x"), 0o755) }},
		{"a swap file", func() error { return os.WriteFile(filepath.Join(src, "lib/.util.js.swp"), []byte("x"), 0o644) }},
		{"the bundle", func() error { return os.WriteFile(filepath.Join(src, "dist/bundle.js"), []byte("v2 longer"), 0o644) }},
		{"a new directory in dist", func() error { return os.Mkdir(filepath.Join(src, "dist/assets"), 0o755) }},
		{"git", func() error { return os.WriteFile(filepath.Join(src, ".git/HEAD"), []byte("ref: refs/heads/x"), 0o644) }},
		{"the log", func() error { return os.WriteFile(log, []byte("a line\n"), 0o644) }},
		{"its rotation", func() error { return os.Rename(log, log+".1") }},
	} {
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		quiet(c.what)
	}
}

// A watched file is polled by its name: replaced by a rename, or removed
// and made again, it is seen; its neighbours are not.
func TestPollWatchedFile(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.conf")
	mustWrite(t, conf, "v1")
	w := startPolled(t, watchConfig{paths: []string{conf}})
	mustWrite(t, filepath.Join(dir, "other"), "x")
	if path, changed := w.poll.scan(); changed {
		t.Errorf("a neighbour's change seen at %s", path)
	}
	mustWrite(t, filepath.Join(dir, ".app.conf.swp"), "v2")
	if err := os.Rename(filepath.Join(dir, ".app.conf.swp"), conf); err != nil {
		t.Fatal(err)
	}
	if path, changed := w.poll.scan(); !changed || path != conf {
		t.Errorf("the replacement: scan = %q, %v", path, changed)
	}
	if err := os.Remove(conf); err != nil {
		t.Fatal(err)
	}
	if _, changed := w.poll.scan(); !changed {
		t.Error("the removal not seen")
	}
	mustWrite(t, conf, "v3")
	if _, changed := w.poll.scan(); !changed {
		t.Error("the file made again not seen")
	}
}

// The poller walks by itself, and reports to the supervision.
func TestPollReports(t *testing.T) {
	dir := t.TempDir()
	w, err := startWatch(watchConfig{paths: []string{dir}, poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	mustWrite(t, filepath.Join(dir, "main.js"), "x")
	if !changed(w, time.Until(testutil.Deadline(t))) {
		t.Fatal("a change not reported")
	}
	if got, want := w.take(), filepath.Join(dir, "main.js"); got != want {
		t.Errorf("take() = %q, want %q", got, want)
	}
}

// Polling keeps no more after many walks than after a few: each walk
// makes its snapshot anew, and the last one is the only one kept.
func TestPollMemoryStable(t *testing.T) {
	dir := t.TempDir()
	makeTree(t, dir, "a.js", "b.js", "lib/c.js", "lib/d.js", "lib/sub/e.js", "node_modules/x/y.js")
	w := startPolled(t, watchConfig{paths: []string{dir}, ignore: []string{"node_modules"}})
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	const walks = 10000
	var before uint64
	for i := range walks {
		if i == walks/10 {
			before = heap()
		}
		if i%100 == 0 {
			// A change now and then, so that snapshots differ.
			mustWrite(t, filepath.Join(dir, "lib/c.js"), string(make([]byte, i%7)))
		}
		w.poll.scan()
	}
	after := heap()
	t.Logf("heap after %d walks: %d B; after %d: %d B", walks/10, before, walks, after)
	if after > before+64<<10 {
		t.Errorf("the heap grew by %d B over %d walks", after-before, walks*9/10)
	}
	if n := len(w.poll.last); n != 8 { // the root, lib, lib/sub and 5 files: node_modules left out
		t.Errorf("the snapshot holds %d entries, want 8", n)
	}
}
