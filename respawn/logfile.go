package respawn

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdetach/gdetach/account"
	"github.com/gdetach/gdetach/fdio"
	"golang.org/x/sys/unix"
)

// LogConfig says where the command's output goes.
type LogConfig struct {
	// Path is the file. "-", /dev/stdout and /dev/fd/1 name this process's
	// standard output, /dev/stderr and /dev/fd/2 its standard error: written
	// as streams (see logFile), never opened by name.
	Path       string
	MaxSize    int64       // rotate before a write would take the file past it; 0: never
	Backups    int         // FILE.1 (newest) … FILE.N; 0: the file is just emptied
	Timestamps *Timestamps // prefix each line with the time it was read; nil: no

	owner *account.Credential // given every file the log creates (Supervisor.Credential); nil: none
}

// StdStream is the descriptor (1 or 2) that path names as a log: "-" and
// /dev/stdout are this process's standard output; 0 for any other path.
func StdStream(path string) int {
	switch path {
	case "-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1":
		return 1
	case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2":
		return 2
	}
	return 0
}

// Defaults as supervisord's stdout_logfile_maxbytes and _backups.
const (
	DefaultLogMaxSize = 50 << 20
	DefaultLogBackups = 10
)

// maxLine is the longest line kept whole, without its newline; a longer one
// is cut into pieces of this size, each ended with a newline.
const maxLine = 1 << 20

// renameGrace is how long a log file renamed away (by logrotate's create,
// say) is still written while no file has its name: the program that
// renamed it creates the new one (logrotate with O_EXCL, which a file made
// here first would make it move aside, to a FILE-YYYYMMDDHH.backup it
// never rotates). Nothing is lost meanwhile: the renamed file has what is
// written, and a file removed is not waited for. Long enough for a loaded
// machine (100 ms was not: a logrotate stalled between its rename and its
// create met a log made here).
const renameGrace = 5 * time.Second

// A logFile is the command's output file. Writers hand it blocks of whole
// lines, and it writes each block with as few write(2) calls as rotation
// allows, so no line is ever split across files or interleaved with
// another. A regular file is rotated by size; a FIFO, a character device
// or this process's standard output or error is a stream, written as it
// is and never rotated.
//
// Before each block, a regular file is checked against its name: if
// another program renamed or removed it (logrotate's create), the file
// that has the name now is opened (created, once renameGrace has passed
// without one, or at once if the file was removed); if it was truncated (logrotate's copytruncate), the size
// counted for rotation starts again from its size. Reopen does the same
// on demand.
//
// When writing fails (a full disk, a directory removed under a rotation, a
// FIFO whose reader left), it drops lines rather than make the command
// wait, and counts them. Each later block first tries again (opening the
// file anew if it had to be closed), and the first write that works begins
// with the line saying how many were lost. The first failure is reported
// through onError, once for the file's life; the counts are in the file.
type logFile struct {
	cfg        LogConfig
	std        int           // 1 or 2: this process's standard output or error (StdStream); 0: a file by name
	notePrefix string        // begins the lines the log writes of its own
	onError    func(error)   // told of the first failure, without the lock held
	grace      time.Duration // renameGrace; tests change it

	// turn is held by whoever writes (a semaphore of one). The writers of
	// the command's output wait for it; the supervision never does: its
	// lines and reopenings are queued, and done by the holder of the turn
	// before it gives the turn up (post). A log that blocks (a FIFO whose
	// reader stopped reading) holds up the command's output, never the
	// supervision.
	turn    chan struct{}
	qmu     sync.Mutex
	queued  []queuedWork
	lost    atomic.Int64 // queued lines dropped: too many waiting
	handed  atomic.Int64 // lines handed in, written or not
	failing atomic.Bool  // failure != nil, for those without the turn

	f      *os.File // nil while it cannot be opened
	kind   uint32   // the file type (unix.S_IFMT) it was opened as first, which a reopening keeps
	stream bool     // a FIFO, a character device or std: no size, no rotation
	dev    uint64   // a regular file's, to tell whether its name is still its own
	ino    uint64
	gone   time.Time // when the name was first seen gone, or zero
	size   int64
	buf    []byte // the stamped block, kept for the next

	rotateErr   error     // the last rotation could not make the new file
	rotateTried time.Time // when one was tried last, after such a failure
	rotateTold  bool      // a RotateError was reported
	dropped     int       // lines lost since the failure began
	failure     error     // the failure going on, if any
	told        bool      // onError was called, or is about to be
}

func openLog(cfg LogConfig, notePrefix string, onError func(error)) (*logFile, error) {
	l := &logFile{cfg: cfg, std: StdStream(cfg.Path), notePrefix: notePrefix, onError: onError, grace: renameGrace, turn: make(chan struct{}, 1)}
	if err := l.open(); err != nil {
		return nil, err
	}
	if !l.stream {
		l.removeStale()
	}
	return l, nil
}

// removeStale removes the new files of rotations that never ended (the
// process was killed between making one and renaming it into place): the
// empty regular files .FILE.* of this process's user beside the log.
// Nothing else is touched.
func (l *logFile) removeStale() {
	pattern := filepath.Join(filepath.Dir(l.cfg.Path), "."+filepath.Base(l.cfg.Path)+".*")
	stale, _ := filepath.Glob(pattern) // ErrBadPattern: a name with [ in it; then nothing is removed
	for _, path := range stale {
		var st unix.Stat_t
		if unix.Lstat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == 0 && int(st.Uid) == os.Geteuid() {
			_ = os.Remove(path) // best effort: another one's, gone already
		}
	}
}

// open opens the file, creating it if need be. It never blocks: a FIFO is
// opened without blocking (with no reader that is an error, not a hang),
// and then written as a stream, as is a character device; anything else
// but a regular file is refused. Standard output or error is duplicated,
// whatever it is, and written as a stream.
func (l *logFile) open() error {
	if l.std != 0 {
		f, err := fdio.DupFile(l.std, l.cfg.Path)
		if err != nil {
			return err
		}
		l.f, l.stream = f, true
		return nil
	}
	path := l.cfg.Path
	f, created, err := fdio.OpenCreate(path, os.O_WRONLY|os.O_APPEND|unix.O_NONBLOCK|unix.O_NOCTTY, 0o644)
	if fdio.IsSymlinkRefused(err) {
		return fmt.Errorf("%s is a symbolic link: refused, never followed", path)
	}
	if errors.Is(err, unix.ENXIO) {
		if fi, serr := os.Lstat(path); serr == nil && fi.Mode()&os.ModeNamedPipe != 0 {
			return fmt.Errorf("%s is a FIFO that no process reads", path)
		}
	}
	if err != nil {
		return err
	}
	if created {
		if err := l.chown(f); err != nil {
			f.Close()
			os.Remove(path) // ours, and empty: best effort
			return err
		}
	}
	var st unix.Stat_t
	if err := fdio.IgnoringEINTR(func() error { return unix.Fstat(int(f.Fd()), &st) }); err != nil {
		f.Close()
		return &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if err := l.checkOpened(&st); err != nil {
		f.Close()
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		l.stream, l.size = false, st.Size
		l.dev, l.ino = uint64(st.Dev), st.Ino
	case unix.S_IFIFO, unix.S_IFCHR:
		// Written as any other from now on: only the open had to not block.
		if err := fdio.SetBlocking(f); err != nil {
			f.Close()
			return err
		}
		l.stream, l.size = true, 0
	default:
		f.Close()
		return fmt.Errorf("%s is not a regular file, a FIFO or a character device", path)
	}
	l.f, l.gone = f, time.Time{}
	return nil
}

// checkOpened refuses a file just opened by the log's name (st is its
// fstat) that is not the kind it was first, or that another user put in a
// sticky directory anyone may write (as fs.protected_regular and
// fs.protected_fifos refuse, where the kernel does not), or that has other
// names there (as fs.protected_hardlinks would have prevented): a log in
// /tmp must not become a FIFO that another user reads, a file of theirs,
// or a link to a file of ours.
func (l *logFile) checkOpened(st *unix.Stat_t) error {
	kind := uint32(st.Mode & unix.S_IFMT) // uint16 on darwin
	if l.kind == 0 {
		l.kind = kind
	} else if kind != l.kind {
		return fmt.Errorf("%s is now %s, not %s as it was: refused", l.cfg.Path, kindName(kind), kindName(l.kind))
	}
	var dir unix.Stat_t
	if err := fdio.IgnoringEINTR(func() error { return unix.Stat(filepath.Dir(l.cfg.Path), &dir) }); err != nil {
		return nil // the file was opened in it: a directory that cannot be looked at now is no sign
	}
	if dir.Mode&unix.S_ISVTX == 0 || dir.Mode&0o002 == 0 {
		return nil // not a directory like /tmp
	}
	if kind == unix.S_IFREG && st.Nlink > 1 {
		// Where fs.protected_hardlinks is off, another user can link a
		// file of this process's user (/etc/shadow, for root) there.
		return fmt.Errorf("%s has %d names (hard links), in a sticky directory that anyone can write: refused", l.cfg.Path, st.Nlink)
	}
	ours := int(st.Uid) == os.Geteuid() || (l.cfg.owner != nil && st.Uid == l.cfg.owner.UID) // or given by us to the command's user, whose log it is
	if !ours && st.Uid != dir.Uid {
		return fmt.Errorf("%s belongs to user %d, in a sticky directory that anyone can write: refused, as fs.protected_regular would", l.cfg.Path, st.Uid)
	}
	return nil
}

// kindName names a file type (unix.S_IFMT) for messages.
func kindName(kind uint32) string {
	switch kind {
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFCHR:
		return "a character device"
	}
	return "another kind of file"
}

// follow checks, before a block, that the open regular file still has its
// name, and reopens the name if not; a file truncated behind its back
// starts its size count again.
func (l *logFile) follow() error {
	if l.f == nil || l.stream {
		return nil
	}
	var st unix.Stat_t
	// Lstat: a symbolic link put in its place is another file, which the
	// reopening refuses (O_NOFOLLOW).
	err := fdio.IgnoringEINTR(func() error { return unix.Lstat(l.cfg.Path, &st) })
	switch {
	case err == nil && uint64(st.Dev) == l.dev && st.Ino == l.ino:
		l.size, l.gone = st.Size, time.Time{} // truncated, or written by others too
		return nil
	case err == nil:
		return l.reopen() // another file has the name
	case errors.Is(err, unix.ENOENT):
		if l.gone.IsZero() {
			l.gone = time.Now()
		}
		var own unix.Stat_t
		if unix.Fstat(int(l.f.Fd()), &own) == nil && own.Nlink > 0 && time.Since(l.gone) < l.grace {
			return nil // renamed, the new one is on its way: the old still holds what is written
		}
		return l.reopen()
	}
	return nil // the name cannot be looked at now (a directory's permissions): keep the file
}

// reopen closes the file and opens its name again.
func (l *logFile) reopen() error {
	if l.f != nil {
		err := l.f.Close()
		l.f = nil
		if err != nil {
			return err
		}
	}
	return l.open()
}

// reopenNow closes and opens the log again by its name (a log rotation's
// signal), at once or, if a block is being written, right after it; a
// stream (standard output, a FIFO, a device) is left as it is. A failure to open it is counted as any other,
// and tried again with the next block. It never waits.
func (l *logFile) reopenNow() { l.post(queuedWork{reopen: true}) }

// report tells onError of err, if not nil.
func (l *logFile) report(err error) {
	if err != nil && l.onError != nil {
		l.onError(err)
	}
}

// A queuedWork is what waits for the turn: lines of the supervision's own,
// stamped when they were posted, or a reopening.
type queuedWork struct {
	lines  []byte
	reopen bool
}

// maxQueued bounds what waits for a log that blocks; the supervision's
// lines past it are counted, and said when the log moves again.
const maxQueued = 1000

// postLine writes line, one of the supervision's own, ended with '\n',
// stamped now: at once if no one is writing, otherwise once the block
// being written is done. It never waits.
func (l *logFile) postLine(line []byte) {
	if ts := l.cfg.Timestamps; ts != nil {
		line = stamp(nil, line, ts, time.Now())
	}
	l.post(queuedWork{lines: line})
}

// post queues w and, if the turn is free, takes it and does what is
// queued; otherwise the holder does it before giving the turn up.
func (l *logFile) post(w queuedWork) {
	l.qmu.Lock()
	switch {
	case w.reopen && slices.ContainsFunc(l.queued, func(q queuedWork) bool { return q.reopen }):
		// One is enough.
	case !w.reopen && len(l.queued) >= maxQueued:
		l.lost.Add(1)
	default:
		l.queued = append(l.queued, w)
	}
	l.qmu.Unlock()
	if l.tryTurn() {
		l.report(l.endTurn(nil))
	}
}

func (l *logFile) takeTurn() { l.turn <- struct{}{} }

func (l *logFile) tryTurn() bool {
	select {
	case l.turn <- struct{}{}:
		return true
	default:
		return false
	}
}

// endTurn does what was queued, then gives up the turn; if more was queued
// meanwhile by someone who found the turn taken, it takes the turn again
// to do it, unless someone else has. It returns the failure to report:
// report, or the first one of the queued work.
func (l *logFile) endTurn(report error) error {
	for {
		if err := l.doQueued(); report == nil {
			report = err
		}
		<-l.turn
		l.qmu.Lock()
		empty := len(l.queued) == 0
		l.qmu.Unlock()
		if empty || !l.tryTurn() {
			return report
		}
	}
}

// doQueued does the queued work, with the turn held.
func (l *logFile) doQueued() error {
	l.qmu.Lock()
	work := l.queued
	l.queued = nil
	l.qmu.Unlock()
	var report error
	if n := l.lost.Swap(0); n > 0 {
		report = l.writeLocked(fmt.Appendf(nil, "%s%d of its own lines lost: the log did not take them\n", l.notePrefix, n))
	}
	for _, w := range work {
		var err error
		if w.reopen {
			// A stream is left as it is: closing a FIFO would end its
			// reader's stream, and standard output has no name to open.
			if l.stream {
				continue
			}
			if err = l.reopen(); err != nil {
				err = l.fail(err, nil)
			}
		} else {
			err = l.writeLocked(w.lines)
		}
		if report == nil {
			report = err
		}
	}
	return report
}

// writeLines writes lines, a block of whole lines each ending in '\n',
// stamped now if the log has timestamps; it waits for its turn.
func (l *logFile) writeLines(lines []byte) {
	now := time.Now() // the time the block was read, give or take the turn
	l.takeTurn()
	report := l.doQueued() // what was posted before this block came
	if ts := l.cfg.Timestamps; ts != nil {
		l.buf = stamp(l.buf[:0], lines, ts, now)
		lines = l.buf
		if cap(l.buf) > 4<<20 {
			l.buf = nil // a burst of long lines: not kept for the next
		}
	}
	if err := l.writeLocked(lines); report == nil {
		report = err
	}
	l.report(l.endTurn(report))
}

// writeStamped writes lines that the caller stamped already, if the log has
// timestamps: the stamping need not wait for the turn (handoff.put).
func (l *logFile) writeStamped(lines []byte) {
	l.takeTurn()
	report := l.doQueued()
	if err := l.writeLocked(lines); report == nil {
		report = err
	}
	l.report(l.endTurn(report))
}

// writeLocked is writeLines with the turn held, for lines stamped already;
// it returns the failure to report, if this is the first.
func (l *logFile) writeLocked(lines []byte) error {
	n := bytes.Count(lines, []byte("\n"))
	l.handed.Add(int64(n))
	if err := l.follow(); err != nil {
		return l.fail(err, lines)
	}
	if l.failure != nil && l.recover() != nil {
		l.dropped += n
		return nil
	}
	for len(lines) > 0 {
		n := len(lines)
		if !l.stream && l.cfg.MaxSize > 0 && l.size+int64(n) > l.cfg.MaxSize && l.rotating() {
			// As many lines as fit; at least one, in an empty file.
			n = bytes.LastIndexByte(lines[:max(0, min(n, int(l.cfg.MaxSize-l.size)))], '\n') + 1
			if n == 0 {
				if l.size > 0 {
					if err := l.rotate(); err != nil {
						if l.f != nil {
							continue // not rotated, the file still open: rotating() says so
						}
						return l.fail(err, lines)
					}
					continue
				}
				n = bytes.IndexByte(lines, '\n') + 1
			}
		}
		if err := l.write(lines[:n]); err != nil {
			return l.fail(err, lines)
		}
		lines = lines[n:]
		if len(lines) > 0 {
			if err := l.rotate(); err != nil && l.f == nil {
				return l.fail(err, lines)
			}
		}
	}
	// The first rotation that could not make the new file is said, once.
	if l.rotateErr != nil && !l.rotateTold {
		l.rotateTold = true
		return &RotateError{Err: l.rotateErr}
	}
	return nil
}

// write writes b whole or not at all: a partial write to a regular file
// (the disk filled up in the middle) is cut off again, so the file never
// ends in half a line.
func (l *logFile) write(b []byte) error {
	n, err := l.f.Write(b)
	if err != nil {
		if n > 0 && !l.stream {
			_ = l.f.Truncate(l.size) // best effort: otherwise a half line stays
		}
		return err
	}
	l.size += int64(n)
	return nil
}

// fail records that lines could not be written, and returns err if it is
// the first failure, to be reported. A stream is closed, to be opened anew:
// a FIFO's next reader is another open.
func (l *logFile) fail(err error, lines []byte) error {
	var report error
	if !l.told {
		report = err
	}
	l.told = true
	if l.failure == nil {
		l.failure = err
		l.failing.Store(true)
	}
	l.dropped += bytes.Count(lines, []byte("\n"))
	if l.stream && l.f != nil {
		l.f.Close()
		l.f = nil
	}
	return report
}

// recover tries to end a failure: it opens the file if it is closed, and
// writes the line saying how many lines were lost.
func (l *logFile) recover() error {
	if l.f == nil {
		if err := l.open(); err != nil {
			return err
		}
	}
	line := fmt.Sprintf("%s%d lines lost: %v\n", l.notePrefix, l.dropped, l.failure)
	if ts := l.cfg.Timestamps; ts != nil {
		line = string(stamp(nil, []byte(line), ts, time.Now()))
	}
	if err := l.write([]byte(line)); err != nil {
		if l.stream {
			l.f.Close()
			l.f = nil
		}
		return err
	}
	l.failure, l.dropped = nil, 0
	l.failing.Store(false)
	return nil
}

// rotate moves FILE to FILE.1, FILE.1 to FILE.2 …, drops the oldest, and
// puts a new, empty FILE in its place; without backups FILE is replaced by
// an empty one. The new FILE is made first under a temporary name no one
// else can have taken, and renamed to FILE: between the moves no other
// user's file or FIFO can slip in at FILE's name. If the new FILE cannot
// be made, nothing is moved and the old one is written on (rotating says
// when to try again); if a move fails, the log stays closed until a later
// write opens it.
func (l *logFile) rotate() error {
	p := l.cfg.Path
	fresh, err := l.freshFile()
	if err != nil {
		// Nothing moved: the file goes on past its size rather than lose
		// lines, until a rotation works (a full file system's inodes, a
		// directory made read-only).
		l.rotateErr, l.rotateTried = err, time.Now()
		return err
	}
	l.rotateErr = nil
	err = l.shift()
	if err == nil {
		err = os.Rename(fresh.Name(), p)
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	if err != nil {
		if fresh != nil {
			fresh.Close()
			os.Remove(fresh.Name()) // best effort: ours, and empty
		}
		return err
	}
	var st unix.Stat_t
	if err := fdio.IgnoringEINTR(func() error { return unix.Fstat(int(fresh.Fd()), &st) }); err != nil {
		fresh.Close()
		return &os.PathError{Op: "fstat", Path: p, Err: err}
	}
	l.f, l.size, l.dev, l.ino, l.gone = fresh, 0, uint64(st.Dev), st.Ino, time.Time{}
	return nil
}

// rotating reports whether a rotation is to be tried: always, but after
// one that could not make the new file, only once a second.
func (l *logFile) rotating() bool {
	if l.rotateErr == nil {
		return true
	}
	if time.Since(l.rotateTried) < time.Second {
		return false
	}
	l.rotateTried = time.Now()
	return true
}

// A RotateError says that the log could not be rotated, and is written on
// past its maximum size.
type RotateError struct{ Err error }

func (e *RotateError) Error() string { return "cannot rotate the log: " + e.Err.Error() }
func (e *RotateError) Unwrap() error { return e.Err }

// freshFile makes an empty file beside the log, by a temporary name
// (.FILE.*, which a watch ignores), for appending, mode 0644, owned by the
// log's owner if it has one.
func (l *logFile) freshFile() (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(l.cfg.Path), "."+filepath.Base(l.cfg.Path)+".*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	if err := l.chown(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	// Append mode, as the log is always written: a copytruncate then
	// leaves no hole.
	if _, err := fdio.IgnoringEINTR2(func() (int, error) {
		return unix.FcntlInt(f.Fd(), unix.F_SETFL, unix.O_WRONLY|unix.O_APPEND)
	}); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, os.NewSyscallError("fcntl", err)
	}
	return f, nil
}

// chown gives f, a file the log has just created, to the owner, if any: the
// command's user can read its log, and logrotate's create, which copies
// the owner, keeps it so.
func (l *logFile) chown(f *os.File) error {
	if l.cfg.owner == nil {
		return nil
	}
	return f.Chown(int(l.cfg.owner.UID), int(l.cfg.owner.GID))
}

// shift moves FILE.N-1 to FILE.N … FILE to FILE.1, as far as backups are
// kept; with none, nothing moves (FILE is replaced).
func (l *logFile) shift() error {
	p := l.cfg.Path
	if l.cfg.Backups == 0 {
		return nil
	}
	// Shift only the backups there are, FILE.1 up to the first missing one:
	// with thousands allowed and few made, most renames would fail.
	n := 0
	for n < l.cfg.Backups-1 {
		if _, err := os.Lstat(p + "." + strconv.Itoa(n+1)); err != nil {
			break
		}
		n++
	}
	for i := n; i >= 1; i-- {
		if err := os.Rename(p+"."+strconv.Itoa(i), p+"."+strconv.Itoa(i+1)); err != nil {
			return err
		}
	}
	if err := os.Rename(p, p+".1"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// handedIn is how many lines have been handed to the log, written or not:
// it grows while output flows. It never waits.
func (l *logFile) handedIn() int64 {
	if l == nil {
		return 0
	}
	return l.handed.Load()
}

// close writes what is queued and closes the file. A log that has not
// given the turn up within settleIdle is left open: its writer is stuck
// (a FIFO whose reader stopped), and this process is ending.
func (l *logFile) close() error {
	t := time.NewTimer(settleIdle)
	defer t.Stop()
	select {
	case l.turn <- struct{}{}:
	case <-t.C:
		return errors.New("the log is blocked: left as it is")
	}
	defer func() { <-l.turn }()
	_ = l.doQueued() // best effort: the last chance
	if l.failure != nil {
		_ = l.recover() // as above
	}
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// stamp appends to dst every line of lines, prefixed with t as ts has it
// and a space. The log's throughput with timestamps is this loop's: one
// pass, appending into dst, which the log keeps from block to block.
func stamp(dst, lines []byte, ts *Timestamps, t time.Time) []byte {
	start := len(dst)
	dst = append(ts.appendTime(dst, t), ' ')
	end := len(dst)
	for i := 0; len(lines) > 0; i++ {
		if i > 0 {
			dst = append(dst, dst[start:end]...)
		}
		k := bytes.IndexByte(lines, '\n') + 1
		if k == 0 {
			k = len(lines) // not a whole line: never the case, but never a loop
		}
		dst = append(dst, lines[:k]...)
		lines = lines[k:]
	}
	if end == len(dst) { // no line
		return dst[:start]
	}
	return dst
}
