package respawn

import (
	"fmt"
	"os"
	"path/filepath"
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
	w, err := startWatch([]string{conf}, nil)
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
	w, err := startWatch([]string{dir}, []string{log, status})
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
	w, err := startWatch([]string{root}, nil)
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
