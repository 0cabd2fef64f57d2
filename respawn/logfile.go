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
)

// LogConfig says where the command's output goes with --log.
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

// maxLine is the longest line kept whole; a longer one is cut into pieces of
// this size, each ended with a newline.
const maxLine = 1 << 20

// A logFile is the command's output file. Writers hand it blocks of whole
// lines, and it writes each block with as few write(2) calls as rotation
// allows, so no line is ever split across files or interleaved with
// another. When writing fails (a full disk), it drops lines rather than make
// the command wait, counts them, and says so in the file once it can write
// again.
type logFile struct {
	cfg     LogConfig
	onError func(error) // told of the first failure of a run of failures

	mu      sync.Mutex
	lines   int64 // lines handed in, written or not
	f       *os.File
	size    int64
	dropped int   // lines lost since the last failure began
	failure error // the failure that is going on, if any
}

func openLog(cfg LogConfig, onError func(error)) (*logFile, error) {
	l := &logFile{cfg: cfg, onError: onError}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *logFile) open() error {
	f, err := fdio.OpenAppend(l.cfg.Path, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.size = f, st.Size()
	return nil
}

// writeLines writes lines, a block of whole lines each ending in '\n'.
func (l *logFile) writeLines(lines []byte) {
	if l.cfg.Timestamps {
		lines = stamp(lines, time.Now())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines += int64(bytes.Count(lines, []byte("\n")))
	if l.failure != nil && l.note() != nil {
		l.dropped += bytes.Count(lines, []byte("\n"))
		return
	}
	for len(lines) > 0 {
		n := len(lines)
		if l.cfg.MaxSize > 0 && l.size+int64(n) > l.cfg.MaxSize {
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

// write writes b whole or not at all: a partial write (the disk filled up
// in the middle) is cut off again, so the file never ends in half a line.
func (l *logFile) write(b []byte) error {
	n, err := l.f.Write(b)
	if err != nil {
		if n > 0 {
			_ = l.f.Truncate(l.size) // best effort: otherwise a half line stays
		}
		return err
	}
	l.size += int64(n)
	return nil
}

// fail records that lines could not be written.
func (l *logFile) fail(err error, lines []byte) {
	if l.failure == nil && l.onError != nil {
		l.onError(err)
	}
	l.failure = err
	l.dropped += bytes.Count(lines, []byte("\n"))
}

// note writes, after a failure, the line saying how many lines were lost,
// and ends the failure if it could.
func (l *logFile) note() error {
	line := fmt.Sprintf("grespawn: %d lines lost: %v\n", l.dropped, l.failure)
	if err := l.write([]byte(line)); err != nil {
		return err
	}
	l.failure, l.dropped = nil, 0
	return nil
}

// rotate moves FILE to FILE.1, FILE.1 to FILE.2 …, drops the oldest, and
// opens a new FILE. Without backups, FILE is just emptied.
func (l *logFile) rotate() error {
	if err := l.f.Close(); err != nil {
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

// written is how many lines have been handed to the log, for telling
// whether output still flows.
func (l *logFile) written() int64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines
}

func (l *logFile) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failure != nil {
		_ = l.note() // best effort: the last chance to say it
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
