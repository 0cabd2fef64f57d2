package respawn

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

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

	mu      sync.Mutex
	handed  int64    // lines handed in, written or not
	f       *os.File // nil while it cannot be opened
	stream  bool     // a FIFO, a character device or std: no size, no rotation
	dev     uint64   // a regular file's, to tell whether its name is still its own
	ino     uint64
	gone    time.Time // when the name was first seen gone, or zero
	size    int64
	buf     []byte // the stamped block, kept for the next
	dropped int    // lines lost since the failure began
	failure error  // the failure going on, if any
	told    bool   // onError was called, or is about to be
}

func openLog(cfg LogConfig, notePrefix string, onError func(error)) (*logFile, error) {
	l := &logFile{cfg: cfg, std: StdStream(cfg.Path), notePrefix: notePrefix, onError: onError, grace: renameGrace}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
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
	f, _, err := fdio.OpenCreate(path, os.O_WRONLY|os.O_APPEND|unix.O_NONBLOCK|unix.O_NOCTTY, 0o644)
	if errors.Is(err, unix.ENXIO) {
		if fi, serr := os.Lstat(path); serr == nil && fi.Mode()&os.ModeNamedPipe != 0 {
			return fmt.Errorf("%s is a FIFO that no process reads", path)
		}
	}
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := fdio.IgnoringEINTR(func() error { return unix.Fstat(int(f.Fd()), &st) }); err != nil {
		f.Close()
		return &os.PathError{Op: "fstat", Path: path, Err: err}
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

// reopenNow closes and opens the log again by its name, at once (a log
// rotation's signal); a stream is left as it is. A failure to open it is
// counted as any other, and tried again with the next block.
func (l *logFile) reopenNow() {
	l.mu.Lock()
	var report error
	if l.std == 0 {
		if err := l.reopen(); err != nil {
			report = l.fail(err, nil)
		}
	}
	l.mu.Unlock()
	l.report(report)
}

// report tells onError of err, if not nil.
func (l *logFile) report(err error) {
	if err != nil && l.onError != nil {
		l.onError(err)
	}
}

// writeLines writes lines, a block of whole lines each ending in '\n',
// stamped now if the log has timestamps.
func (l *logFile) writeLines(lines []byte) {
	now := time.Now() // the time the block was read, give or take the lock
	l.mu.Lock()
	if ts := l.cfg.Timestamps; ts != nil {
		l.buf = stamp(l.buf[:0], lines, ts, now)
		lines = l.buf
		if cap(l.buf) > 4<<20 {
			l.buf = nil // a burst of long lines: not kept for the next
		}
	}
	report := l.writeLocked(lines)
	l.mu.Unlock()
	l.report(report)
}

// writeStamped writes lines that the caller stamped already, if the log has
// timestamps: the stamping need not wait for the lock (handoff.put).
func (l *logFile) writeStamped(lines []byte) {
	l.mu.Lock()
	report := l.writeLocked(lines)
	l.mu.Unlock()
	l.report(report)
}

// writeLocked is writeLines with the lock held, for lines stamped already;
// it returns the failure to report, if this is the first.
func (l *logFile) writeLocked(lines []byte) error {
	n := bytes.Count(lines, []byte("\n"))
	l.handed += int64(n)
	if err := l.follow(); err != nil {
		return l.fail(err, lines)
	}
	if l.failure != nil && l.recover() != nil {
		l.dropped += n
		return nil
	}
	for len(lines) > 0 {
		n := len(lines)
		if !l.stream && l.cfg.MaxSize > 0 && l.size+int64(n) > l.cfg.MaxSize {
			// As many lines as fit; at least one, in an empty file.
			n = bytes.LastIndexByte(lines[:max(0, min(n, int(l.cfg.MaxSize-l.size)))], '\n') + 1
			if n == 0 {
				if l.size > 0 {
					if err := l.rotate(); err != nil {
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
			if err := l.rotate(); err != nil {
				return l.fail(err, lines)
			}
		}
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
	return nil
}

// rotate moves FILE to FILE.1, FILE.1 to FILE.2 …, drops the oldest, and
// opens a new FILE. Without backups, FILE is just emptied. If the new FILE
// cannot be opened, the log stays closed until a later write opens it.
func (l *logFile) rotate() error {
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return err
	}
	p := l.cfg.Path
	if l.cfg.Backups == 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return l.open()
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
	return l.open()
}

// handedIn is how many lines have been handed to the log, written or not:
// it grows while output flows.
func (l *logFile) handedIn() int64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.handed
}

func (l *logFile) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failure != nil {
		_ = l.recover() // best effort: the last chance to say it
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
