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
	Path       string
	MaxSize    int64 // rotate before a write would take the file past it; 0: never
	Backups    int   // FILE.1 (newest) … FILE.N; 0: the file is just emptied
	Timestamps bool  // prefix each line with the time it was read
}

// Defaults as supervisord's stdout_logfile_maxbytes and _backups.
const (
	DefaultLogMaxSize = 50 << 20
	DefaultLogBackups = 10
)

// maxLine is the longest line kept whole, without its newline; a longer one
// is cut into pieces of this size, each ended with a newline.
const maxLine = 1 << 20

// A logFile is the command's output file. Writers hand it blocks of whole
// lines, and it writes each block with as few write(2) calls as rotation
// allows, so no line is ever split across files or interleaved with
// another. A regular file is rotated by size; a FIFO or a character device
// is a stream, written as it is and never rotated.
//
// When writing fails (a full disk, a directory removed under a rotation, a
// FIFO whose reader left), it drops lines rather than make the command
// wait, and counts them. Each later block first tries again (opening the
// file anew if it had to be closed), and the first write that works begins
// with the line saying how many were lost. The first failure is reported
// through onError, once for the file's life; the counts are in the file.
type logFile struct {
	cfg        LogConfig
	notePrefix string      // begins the lines the log writes of its own
	onError    func(error) // told of the first failure

	mu      sync.Mutex
	handed  int64    // lines handed in, written or not
	f       *os.File // nil while it cannot be opened
	stream  bool     // a FIFO or a character device: no size, no rotation
	size    int64
	dropped int   // lines lost since the failure began
	failure error // the failure going on, if any
	told    bool  // onError was called
}

func openLog(cfg LogConfig, notePrefix string, onError func(error)) (*logFile, error) {
	l := &logFile{cfg: cfg, notePrefix: notePrefix, onError: onError}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

// open opens the file, creating it if need be. It never blocks: a FIFO is
// opened without blocking (with no reader that is an error, not a hang),
// and then written as a stream, as is a character device; anything else
// but a regular file is refused.
func (l *logFile) open() error {
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
	l.f = f
	return nil
}

// writeLines writes lines, a block of whole lines each ending in '\n'.
func (l *logFile) writeLines(lines []byte) {
	if l.cfg.Timestamps {
		lines = stamp(lines, time.Now())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.handed += int64(bytes.Count(lines, []byte("\n")))
	if l.failure != nil && l.recover() != nil {
		l.dropped += bytes.Count(lines, []byte("\n"))
		return
	}
	for len(lines) > 0 {
		n := len(lines)
		if !l.stream && l.cfg.MaxSize > 0 && l.size+int64(n) > l.cfg.MaxSize {
			// As many lines as fit; at least one, in an empty file.
			n = bytes.LastIndexByte(lines[:max(0, min(n, int(l.cfg.MaxSize-l.size)))], '\n') + 1
			if n == 0 {
				if l.size > 0 {
					if err := l.rotate(); err != nil {
						l.fail(err, lines)
						return
					}
					continue
				}
				n = bytes.IndexByte(lines, '\n') + 1
			}
		}
		if err := l.write(lines[:n]); err != nil {
			l.fail(err, lines)
			return
		}
		lines = lines[n:]
		if len(lines) > 0 {
			if err := l.rotate(); err != nil {
				l.fail(err, lines)
				return
			}
		}
	}
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

// fail records that lines could not be written. A stream is closed, to be
// opened anew: a FIFO's next reader is another open.
func (l *logFile) fail(err error, lines []byte) {
	if !l.told && l.onError != nil {
		l.onError(err)
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

// stamp prefixes every line of lines with t, in UTC RFC 3339 with
// milliseconds.
func stamp(lines []byte, t time.Time) []byte {
	prefix := t.UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00 ")
	out := make([]byte, 0, len(lines)+len(prefix)*bytes.Count(lines, []byte("\n")))
	for len(lines) > 0 {
		i := bytes.IndexByte(lines, '\n') + 1
		out = append(append(out, prefix...), lines[:i]...)
		lines = lines[i:]
	}
	return out
}
