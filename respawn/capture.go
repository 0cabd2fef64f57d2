package respawn

// How a run's output reaches the log, and how a settle works:
//
//	command ──pipe──▶ lineReader.copyTo ──whole lines──▶ logFile
//	           (one for stdout, one for stderr)
//
// A lineReader reads its pipe until the pipe ends (every writer closed it).
// When a run ends, the supervision asks each reader to settle: requestSettle
// marks the request and expires the read deadline; the blocked read returns
// ErrDeadlineExceeded; the reader then reads only what the pipe holds now
// (FIONREAD), writes it with a partial last line ended, and reports on
// settled. A reader whose pipe has ended reports on ended instead. Either
// way the supervision's settle channel closes once both readers are done, or
// once the log has made no progress for the idle time.

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
)

// A capture is one run's standard output and error, each through its own
// pipe into its log file (the same one, unless standard error has its
// own), so that the two never interleave mid-line. A stream without a log
// is not captured: the command inherits this process's.
type capture struct {
	stdout, stderr *os.File // the write ends, for the command; nil: not captured
	readers        []*lineReader
	gate           chan struct{} // closed when the readers may start
	done           sync.WaitGroup
}

// newCapture makes the pipes for the streams that have a log, and starts
// the copying from them, which waits until open is called: what the run
// writes comes after what is logged of its start.
func newCapture(stdoutLog, stderrLog *logFile) (*capture, error) {
	c := &capture{gate: make(chan struct{})}
	for _, s := range []struct {
		w   **os.File
		log *logFile
	}{{&c.stdout, stdoutLog}, {&c.stderr, stderrLog}} {
		if s.log == nil {
			continue
		}
		r, pw, err := os.Pipe()
		if err != nil {
			c.closeWriters()
			for _, lr := range c.readers {
				lr.r.Close()
			}
			return nil, err
		}
		*s.w = pw
		growPipe(r)
		lr := newLineReader(r)
		c.readers = append(c.readers, lr)
		c.done.Add(1)
		go func() {
			defer c.done.Done()
			<-c.gate
			lr.copyTo(s.log)
			r.Close()
		}()
	}
	return c, nil
}

// open lets the copying begin. A nil capture has nothing to open.
func (c *capture) open() {
	if c != nil {
		close(c.gate)
	}
}

// closeWriters closes this process's copies of the write ends, once the
// command has them: the copying ends when the command's tree closes its own.
func (c *capture) closeWriters() {
	for _, f := range []*os.File{c.stdout, c.stderr} {
		if f != nil {
			f.Close()
		}
	}
}

// finished reports whether both pipes have ended: the capture holds
// nothing any more.
func (c *capture) finished() bool {
	for _, r := range c.readers {
		select {
		case <-r.ended:
		default:
			return false
		}
	}
	return true
}

// settleAsync settles the capture (see settle) and closes the channel it
// returns when that is done.
func (c *capture) settleAsync(idle time.Duration, progress func() int64) <-chan struct{} {
	settled := make(chan struct{})
	go func() {
		c.settle(idle, progress)
		close(settled)
	}()
	return settled
}

// settle returns once everything the run's process wrote before it exited
// is in the log, so that the next run's lines come after it: when both pipes
// have ended, or, if a process the run left behind still holds them, when
// they are empty. It waits as long as progress (the lines handed to the log)
// grows, and gives up after idle without any: a log that does not move
// (a hung file system); then the next run's lines may come before the rest
// of this one's, but none is lost.
func (c *capture) settle(idle time.Duration, progress func() int64) {
	for _, r := range c.readers {
		r.requestSettle()
	}
	for _, r := range c.readers {
		if !waitWhileProgress(idle, progress, r.settled, r.ended) {
			return
		}
	}
}

// waitWhileProgress waits until a or b is ready, as long as progress grows
// within every idle; it reports false if progress stopped first. A nil
// channel is never ready.
func waitWhileProgress(idle time.Duration, progress func() int64, a, b <-chan struct{}) bool {
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		before := progress()
		select {
		case <-a:
			return true
		case <-b:
			return true
		case <-t.C:
			if progress() == before {
				return false
			}
			t.Reset(idle)
		}
	}
}

// A lineReader copies one pipe into the log in whole lines.
type lineReader struct {
	r       *os.File
	mu      sync.Mutex
	asked   bool          // a settle was asked and is not done yet
	settled chan struct{} // one value per settle done
	ended   chan struct{} // closed at the pipe's end
}

func newLineReader(r *os.File) *lineReader {
	return &lineReader{r: r, settled: make(chan struct{}, 1), ended: make(chan struct{})}
}

// requestSettle asks the copying to empty the pipe now and say so; the
// expired deadline wakes a read that is waiting for data.
func (lr *lineReader) requestSettle() {
	lr.mu.Lock()
	lr.asked = true
	lr.mu.Unlock()
	select { // a settle not collected before (one given up on) is stale
	case <-lr.settled:
	default:
	}
	_ = lr.r.SetReadDeadline(time.Now()) // fails only on a closed pipe: then ended is closed
}

func (lr *lineReader) takeRequest() bool {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	asked := lr.asked
	lr.asked = false
	return asked
}

// copyTo reads the pipe to its end and hands log the whole lines, as many
// at a time as one read brings. A last line without its newline gets one,
// at the end and when a settle empties the pipe.
func (lr *lineReader) copyTo(log *logFile) {
	defer close(lr.ended)
	lines := lineBuffer{out: newHandoff(log)}
	defer lines.out.close()
	for {
		n, err := lr.r.Read(lines.free())
		lines.add(n)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Cleared first: the raw reads of a settle check it too.
			_ = lr.r.SetReadDeadline(time.Time{}) // as above
			if lr.takeRequest() {
				lr.settle(&lines)
			}
			continue
		}
		if err != nil {
			lines.flush()
			return
		}
	}
}

// settle reads what the pipe holds, and no more (a process left behind may
// go on writing into it), then ends a partial last line, waits until it is
// all in the log, and reports.
func (lr *lineReader) settle(lines *lineBuffer) {
	if rc, err := lr.r.SyscallConn(); err == nil {
		held := pipeSize // if the pipe cannot tell: enough for what a pipe holds
		_ = rc.Control(func(fd uintptr) {
			if n, ok := pipeHolds(int(fd)); ok {
				held = n
			}
		})
		for held > 0 {
			var n int
			var rerr error
			err = rc.Read(func(fd uintptr) bool {
				free := lines.free()
				n, rerr = syscall.Read(int(fd), free[:min(len(free), held)])
				return true // one attempt: never wait
			})
			if err != nil || rerr != nil || n <= 0 {
				break // EAGAIN: empty; 0: the end, which the next read sees too
			}
			lines.add(n)
			held -= n
		}
	}
	lines.flush()
	lines.out.sync()
	select {
	case lr.settled <- struct{}{}:
	default: // one not collected yet says the same
	}
}

// pipeSize is what a capture's pipe is grown to, where it can be (Linux):
// room for the command to write on while the log is being written, on
// another CPU (the default 64 KiB makes the two take turns). The kernel's
// limit for users (fs.pipe-max-size) is 1 MiB by default.
const pipeSize = 1 << 20

// Reads start at minRead bytes and grow to maxRead while they come full: an
// idle stream keeps a small buffer, a busy one reads a quarter of its pipe
// at once.
const (
	minRead = 16 << 10
	maxRead = pipeSize / 4
)

// A lineBuffer holds what was read and not yet handed to the log: at most
// the start of a line, maxLine bytes long at most.
type lineBuffer struct {
	buf  []byte
	size int // the next buffer's
	out  *handoff
}

// free is the room for the next read.
func (l *lineBuffer) free() []byte {
	if l.buf == nil {
		l.size = minRead
		l.buf = l.out.buffer(l.size)
	}
	return l.buf[len(l.buf):cap(l.buf)]
}

// add takes n more bytes, read into free(), and hands the whole lines on;
// a line longer than maxLine goes in pieces of maxLine bytes, each ended
// with a newline.
func (l *lineBuffer) add(n int) {
	if n <= 0 {
		return
	}
	full := len(l.buf)+n == cap(l.buf)
	l.buf = l.buf[:len(l.buf)+n]
	if full {
		l.out.busy()
		l.size = min(2*l.size, maxRead)
	}
	if i := bytes.LastIndexByte(l.buf, '\n'); i >= 0 {
		next := l.out.buffer(max(l.size, len(l.buf)-i-1))
		next = append(next, l.buf[i+1:]...)
		l.out.put(l.buf[:i+1])
		l.buf = next
	}
	for len(l.buf) > maxLine { // no newline in it: the rest of the line is still to come
		l.out.put(append(l.buf[:maxLine:maxLine], '\n'))
		l.buf = append(l.buf[:0], l.buf[maxLine:]...)
	}
	if len(l.buf) == cap(l.buf) {
		// Room for one byte past maxLine, to tell a line of exactly
		// maxLine bytes (its newline next) from a longer one.
		grown := make([]byte, len(l.buf), min(2*cap(l.buf), maxLine+1))
		copy(grown, l.buf)
		l.buf = grown
	}
}

// flush hands on a partial line, ended with a newline.
func (l *lineBuffer) flush() {
	if len(l.buf) > 0 {
		l.out.put(append(l.buf, '\n'))
		l.buf = l.out.buffer(l.size)
	}
}
