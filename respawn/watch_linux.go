package respawn

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

const haveInotify = true

// watchMask is what counts as a change: contents written, files created,
// removed or renamed, and permissions (or times, as touch(1) sets them)
// changed, as a poll sees them.
const watchMask = unix.IN_CLOSE_WRITE | unix.IN_MODIFY | unix.IN_CREATE | unix.IN_DELETE |
	unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_ATTRIB

// inotify is the state of a watch through inotify: new subdirectories are
// watched as they appear, unless the rules leave them out; the watches of
// removed ones are forgotten (IN_IGNORED); and each watched path is
// watched through its parent directory too, so that one removed and made
// again is watched again.
type inotify struct {
	fd     int      // the inotify descriptor, for adding watches
	f      *os.File // the same, in Go's poller, for reading (never call its Fd: that would make it blocking)
	advice WatchAdvice

	mu        sync.Mutex       // the maps are the reading goroutine's, and the tests'
	dirs      map[int]string   // watched directories, by watch descriptor
	only      map[int][]string // for a directory watched for some of its entries only: their names
	roots     map[string]bool  // the directories to watch whole, as given
	limitSaid bool             // the limit of watches was reached while watching, and said
}

func (w *watcher) startInotify(advice WatchAdvice) error {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		if err == unix.EMFILE && !descriptorsExhausted() {
			sysctl, limit := inotifyLimit("fs/inotify/max_user_instances", "user/max_inotify_instances")
			return &WatchLimitError{Sysctl: sysctl, Limit: limit, Err: os.NewSyscallError("inotify_init1", err), Advice: advice}
		}
		return os.NewSyscallError("inotify_init1", err)
	}
	in := &inotify{fd: fd, f: os.NewFile(uintptr(fd), "inotify"), advice: advice, dirs: map[int]string{}, only: map[int][]string{},
		roots: map[string]bool{}}
	w.in = in
	for _, root := range w.rules.roots {
		// Through its directory: a file replaced by a rename, a directory
		// removed and made again, stay watched.
		err := w.addEntry(root)
		if err == nil && slices.Contains(w.rules.dirs, root) {
			in.roots[root] = true
			err = w.addTree(root)
		}
		if err != nil {
			return err
		}
	}
	go w.read()
	return nil
}

// descriptorsExhausted reports whether this process can open no more
// files: inotify_init1's EMFILE is that as well as the limit of instances.
func descriptorsExhausted() bool {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err == unix.EMFILE
	}
	unix.Close(fd)
	return false
}

// inotifyLimit reads a limit on inotify, by its names under /proc/sys: the
// system's (fs.inotify.*, which is the initial user namespace's) and the
// current user namespace's (user.*). The lower binds, and is the one named;
// in the initial namespace they are the same, and fs.inotify's is named.
func inotifyLimit(system, userns string) (sysctl string, limit int64) {
	read := func(name string) int64 {
		b, err := os.ReadFile("/proc/sys/" + name)
		if err != nil {
			return -1
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	sysctl, limit = strings.ReplaceAll(system, "/", "."), read(system)
	if ns := read(userns); ns >= 0 && (limit < 0 || ns < limit) {
		sysctl, limit = strings.ReplaceAll(userns, "/", "."), ns
	}
	return sysctl, limit
}

// addTree watches the directory path and every directory below that the
// rules keep.
func (w *watcher) addTree(path string) error {
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if p != path && w.rules.ignored(p, true) {
			return filepath.SkipDir // no watch spent on it: node_modules
		}
		wd, err := w.addDir(p)
		delete(w.in.only, wd) // all of it, now
		return err
	})
}

// addEntry watches one entry of a directory through the directory, unless
// the directory is watched whole already.
func (w *watcher) addEntry(path string) error {
	in := w.in
	dir, name := filepath.Split(path)
	dir = filepath.Clean(dir)
	old := in.wdOf(dir)
	_, watched := in.dirs[old]
	whole := watched && in.only[old] == nil
	wd, err := w.addDir(dir)
	if err == nil && !whole && !slices.Contains(in.only[wd], name) {
		in.only[wd] = append(in.only[wd], name)
	}
	return err
}

func (w *watcher) addDir(dir string) (int, error) {
	wd, err := unix.InotifyAddWatch(w.in.fd, dir, watchMask)
	if err == unix.ENOSPC {
		sysctl, limit := inotifyLimit("fs/inotify/max_user_watches", "user/max_inotify_watches")
		return -1, &WatchLimitError{Path: dir, Sysctl: sysctl, Limit: limit, Err: &os.PathError{Op: "watch", Path: dir, Err: err}, Advice: w.in.advice}
	}
	if err != nil {
		return -1, &os.PathError{Op: "watch", Path: dir, Err: err}
	}
	w.in.dirs[wd] = dir
	return wd, nil
}

// wdOf is the watch descriptor of dir, or -1.
func (in *inotify) wdOf(dir string) int {
	for wd, d := range in.dirs {
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
		n, err := w.in.f.Read(buf)
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
			if path, ok := w.event(int(ev.Wd), ev.Mask, name); ok {
				w.report(path)
			}
		}
	}
}

// event takes in one inotify event, and reports whether it is a change,
// and to which path ("" if unknown: events were lost).
func (w *watcher) event(wd int, mask uint32, name string) (string, bool) {
	in := w.in
	in.mu.Lock()
	defer in.mu.Unlock()
	if mask&unix.IN_IGNORED != 0 {
		// The directory is gone (or its file system): its watch with it.
		delete(in.dirs, wd)
		delete(in.only, wd)
		return "", false
	}
	if mask&unix.IN_Q_OVERFLOW != 0 {
		return "", true // events were lost: something changed
	}
	dir, ok := in.dirs[wd]
	if !ok {
		return "", false
	}
	if names, some := in.only[wd]; some && !slices.Contains(names, name) {
		return "", false // another entry of a watched entry's directory
	}
	path := filepath.Join(dir, name)
	isDir := mask&unix.IN_ISDIR != 0
	if w.rules.ignored(path, isDir) {
		return "", false
	}
	if isDir && mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 {
		if _, some := in.only[wd]; !some || in.roots[path] {
			if err := w.addTree(path); err != nil {
				var limit *WatchLimitError
				if errors.As(err, &limit) && !in.limitSaid {
					in.limitSaid = true
					w.warn(err)
				}
				// Otherwise it may be gone again already.
			}
		}
	}
	return path, true
}

// watches is how many directories are watched.
func (w *watcher) watches() int {
	w.in.mu.Lock()
	defer w.in.mu.Unlock()
	return len(w.in.dirs)
}

func (w *watcher) closeInotify() {
	if w.in != nil {
		w.in.f.Close()
	}
}
