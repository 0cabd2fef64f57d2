package respawn

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// A poller watches by walking the watched paths every so often and
// comparing what it finds with the last walk: for file systems where
// inotify sees nothing (bind mounts into containers from another kernel,
// NFS, SMB, FUSE), and where there is no inotify.
type poller struct {
	rules *watchRules
	last  map[string]entryState // the last walk's; each walk makes a new one, so nothing outlives two walks
	done  <-chan struct{}       // closed: stop walking at once
}

// An entryState is what a walk compares of an entry. A directory's size and
// time are left out: they change when an entry comes or goes in it, which
// is a change of its own when it counts, and must not be one when it does
// not (an ignored file, a log's rotation).
type entryState struct {
	size  int64
	mtime int64 // nanoseconds
	mode  fs.FileMode
	ino   uint64
}

// startPoll takes the first snapshot now, so that a path that cannot be
// read fails the start, and then walks every interval, counted from the
// end of the last walk: walks never overlap, however long they take.
func (w *watcher) startPoll(every time.Duration) error {
	p := &poller{rules: w.rules, done: w.done}
	if err := p.walk(true); err != nil {
		return err
	}
	w.poll = p
	go func() {
		t := time.NewTimer(every)
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-t.C:
			}
			if path, changed := p.scan(); changed {
				w.report(path)
			}
			t.Reset(every)
		}
	}()
	return nil
}

// scan walks the watched paths, keeps what it found for the next scan, and
// reports whether anything differs from the last: the first path found to
// differ ("" if that is not known: the walk was cut short).
func (p *poller) scan() (string, bool) {
	old := p.last
	if p.walk(false) != nil {
		return "", false // stopped: nothing to report
	}
	for path, st := range p.last {
		if was, ok := old[path]; !ok || was != st {
			return path, true
		}
	}
	if len(old) != len(p.last) {
		for path := range old {
			if _, ok := p.last[path]; !ok {
				return path, true
			}
		}
	}
	return "", false
}

// walk makes a new snapshot of the watched paths. At the start (first) an
// error fails it; later, what cannot be read is left out of the snapshot
// (it has gone, or cannot be seen: either way a change), and the walk stops
// with an error only when the watch is closed.
func (p *poller) walk(first bool) error {
	snap := make(map[string]entryState, len(p.last))
	for _, root := range p.rules.roots {
		fi, err := os.Stat(root) // a watched symbolic link is followed, as inotify follows it
		if err != nil {
			if first {
				return err
			}
			continue
		}
		snap[root] = stateOf(fi)
		if !fi.IsDir() {
			continue
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			select {
			case <-p.done:
				return fs.ErrClosed
			default:
			}
			if path == root {
				return err // the root's state is taken above
			}
			rel := filepath.ToSlash(path[len(root)+1:])
			if root == "/" {
				rel = path[1:]
			}
			if p.rules.skip(root, rel, d.IsDir()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if err != nil {
				if first && !os.IsNotExist(err) {
					return err
				}
				return nil // gone since its directory was read, or unreadable: left out
			}
			fi, err := d.Info()
			if err != nil {
				return nil // gone since its directory was read
			}
			snap[path] = stateOf(fi)
			return nil
		})
		if err == fs.ErrClosed || (first && err != nil) {
			return err
		}
	}
	p.last = snap
	return nil
}

func stateOf(fi fs.FileInfo) entryState {
	st := entryState{mode: fi.Mode()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = uint64(sys.Ino)
	}
	if !fi.IsDir() {
		st.size, st.mtime = fi.Size(), fi.ModTime().UnixNano()
	}
	return st
}
