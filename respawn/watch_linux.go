package respawn

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watchMask is what counts as a change: contents written, files created,
// removed or renamed.
const watchMask = unix.IN_CLOSE_WRITE | unix.IN_MODIFY | unix.IN_CREATE | unix.IN_DELETE |
	unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF

// A watcher reports changes under a set of paths, through inotify; new
// subdirectories are watched as they appear, the watches of removed ones
// are forgotten (IN_IGNORED), and each watched path is watched through its
// parent directory too, so that one removed and made again is watched
// again.
type watcher struct {
	fd      int      // the inotify descriptor, for adding watches
	f       *os.File // the same, in Go's poller, for reading (never call its Fd: that would make it blocking)
	ignore  []string // files whose changes do not count (the supervisor's own)
	changed chan struct{}

	mu    sync.Mutex       // the maps are the reading goroutine's, and the tests'
	dirs  map[int]string   // watched directories, by watch descriptor
	only  map[int][]string // for a directory watched for some of its entries only: their names
	roots map[string]bool  // the directories to watch whole, as given
}

// startWatch watches paths (files, or directories and everything below);
// changes to the files in ignore, or to their rotations (FILE.1 …), do not
// count. It returns nil when there is nothing to watch.
func startWatch(paths, ignore []string) (*watcher, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	w := &watcher{fd: fd, f: os.NewFile(uintptr(fd), "inotify"), dirs: map[int]string{}, only: map[int][]string{},
		roots: map[string]bool{}, changed: make(chan struct{}, 1)}
	for _, p := range ignore {
		if abs, err := filepath.Abs(p); err == nil {
			w.ignore = append(w.ignore, abs)
		}
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		var fi fs.FileInfo
		if err == nil {
			fi, err = os.Stat(abs)
		}
		if err == nil {
			// Through its directory: a file replaced by a rename, a
			// directory removed and made again, stay watched.
			err = w.addEntry(abs)
		}
		if err == nil && fi.IsDir() {
			w.roots[abs] = true
			err = w.addTree(abs)
		}
		if err != nil {
			w.close()
			return nil, err
		}
	}
	go w.read()
	return w, nil
}

// addTree watches the directory path and every directory below.
func (w *watcher) addTree(path string) error {
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		wd, err := w.addDir(p)
		delete(w.only, wd) // all of it, now
		return err
	})
}

// addEntry watches one entry of a directory through the directory, unless
// the directory is watched whole already.
func (w *watcher) addEntry(path string) error {
	dir, name := filepath.Split(path)
	dir = filepath.Clean(dir)
	old := w.wdOf(dir)
	_, watched := w.dirs[old]
	whole := watched && w.only[old] == nil
	wd, err := w.addDir(dir)
	if err == nil && !whole && !slices.Contains(w.only[wd], name) {
		w.only[wd] = append(w.only[wd], name)
	}
	return err
}

func (w *watcher) addDir(dir string) (int, error) {
	wd, err := unix.InotifyAddWatch(w.fd, dir, watchMask)
	if err != nil {
		return -1, &os.PathError{Op: "watch", Path: dir, Err: err}
	}
	w.dirs[wd] = dir
	return wd, nil
}

// wdOf is the watch descriptor of dir, or -1.
func (w *watcher) wdOf(dir string) int {
	for wd, d := range w.dirs {
		if d == dir {
			return wd
		}
	}
	return -1
}

// read turns inotify events into changes, until the descriptor is closed.
func (w *watcher) read() {
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			continue // EINTR and the like
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if w.event(int(ev.Wd), ev.Mask, name) {
				select {
				case w.changed <- struct{}{}:
				default: // one pending change is enough
				}
			}
		}
	}
}

// event takes in one inotify event, and reports whether it is a change.
func (w *watcher) event(wd int, mask uint32, name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if mask&unix.IN_IGNORED != 0 {
		// The directory is gone (or its file system): its watch with it.
		delete(w.dirs, wd)
		delete(w.only, wd)
		return false
	}
	dir, ok := w.dirs[wd]
	if !ok || mask&unix.IN_Q_OVERFLOW != 0 {
		return mask&unix.IN_Q_OVERFLOW != 0 // events were lost: something changed
	}
	if names, some := w.only[wd]; some && !slices.Contains(names, name) {
		return false // another entry of a watched entry's directory
	}
	path := filepath.Join(dir, name)
	if mask&unix.IN_ISDIR != 0 && mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 {
		if _, some := w.only[wd]; !some || w.roots[path] {
			_ = w.addTree(path) // best effort: it may be gone again already
		}
	}
	return !w.ignored(path)
}

// watches is how many directories are watched.
func (w *watcher) watches() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.dirs)
}

// ignored reports whether path is one of the supervisor's own files: the
// log and its rotations (FILE.1 …, and logrotate's dateext FILE-20261130
// and FILE-2026113001.backup), the status file and its temporary copies
// (.FILE.* beside it, as fdio.WriteFileAtomic makes them).
func (w *watcher) ignored(path string) bool {
	return slices.ContainsFunc(w.ignore, func(own string) bool {
		dir, base := filepath.Split(own)
		return path == own || strings.HasPrefix(path, own+".") || strings.HasPrefix(path, own+"-") || strings.HasPrefix(path, dir+"."+base+".")
	})
}

// changes delivers a value after changes; nil (never) without a watch.
func (w *watcher) changes() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.changed
}

func (w *watcher) close() {
	if w != nil {
		w.f.Close()
	}
}
