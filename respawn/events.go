package respawn

import (
	"fmt"
	"log"
	"strings"
	"sync"
	"time"
)

// eventsPerSecond is how many lines the supervision prints in a second at
// most; in a fast crash loop the rest are counted, and the count is printed
// with the next line that may be.
const eventsPerSecond = 10

// An eventLog prints the supervision's one-line messages through a logger
// (whose prefix names the command: "grespawn: "), condensed when they come
// too fast.
type eventLog struct {
	mu         sync.Mutex // the log's writers report from their own goroutines
	l          *log.Logger
	out        *printer // prints on l, never waiting for it
	now        func() time.Time
	second     time.Time // the start of the current second
	printed    int       // lines printed in it
	suppressed int       // lines held back since the last printed one
	sink       *logFile  // gets the lines too, if not nil (Supervisor.LogEvents)
	sinkOnly   bool      // the sink is this process's standard output or error: the lines go there alone
}

// setSink sends the lines into log too, from now on (nil: no more); into
// log alone if it is this process's standard output or error, where they
// would be twice (a container's log has both).
func (e *eventLog) setSink(log *logFile) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sink = log
	e.sinkOnly = log != nil && log.std != 0
}

func newEventLog(l *log.Logger) *eventLog {
	e := &eventLog{l: l, now: time.Now}
	if l != nil {
		e.out = newPrinter(l)
	}
	return e
}

// close prints what is still queued, giving up after settleIdle if the
// logger's writer does not take it (a standard error that blocks).
func (e *eventLog) close() {
	if e.out != nil {
		e.out.close(settleIdle)
	}
}

// stderr prints a line on the logger alone, whatever the rate: about the
// log itself, which must not go into it.
func (e *eventLog) stderr(format string, args ...any) {
	if e.out != nil {
		e.out.print(fmt.Sprintf(format, args...))
	}
}

// printf prints a line, unless too many have been printed this second.
func (e *eventLog) printf(format string, args ...any) {
	e.mu.Lock()
	now := e.now()
	if now.Sub(e.second) >= time.Second {
		e.second, e.printed = now, 0
	}
	if e.printed >= eventsPerSecond {
		e.suppressed++
		e.mu.Unlock()
		return
	}
	e.print(format, args...)
}

// always prints a line whatever the rate, with the count of any held back.
func (e *eventLog) always(format string, args ...any) {
	e.mu.Lock()
	e.print(format, args...)
}

// print prints a line, with e.mu held, which it unlocks: the line goes to
// the sink without it.
func (e *eventLog) print(format string, args ...any) {
	if e.l == nil && e.sink == nil {
		e.mu.Unlock()
		return
	}
	e.printed++
	line := fmt.Sprintf(format, args...)
	if e.suppressed > 0 {
		line = fmt.Sprintf("%s (and %d lines like the last ones, held back)", line, e.suppressed)
		e.suppressed = 0
	}
	// Into the sink alone while it works; a sink that fails does not take
	// the supervision's lines with it.
	if e.out != nil && (!e.sinkOnly || e.sink.failing.Load()) {
		e.out.print(line)
	}
	sink := e.sink
	e.mu.Unlock()
	if sink != nil {
		// One line in the log, whatever an error's text holds; posted, so
		// that a log that blocks never holds the supervision up, and
		// without e.mu, since the log may report a failure here.
		sink.postLine([]byte(e.prefix() + strings.ReplaceAll(line, "\n", " ") + "\n"))
	}
}

// prefix is the logger's prefix, which the log file's own lines begin with
// too.
func (e *eventLog) prefix() string {
	if e.l == nil {
		return ""
	}
	return e.l.Prefix()
}

// A printer prints lines on a logger from a goroutine of its own, in order,
// so that a writer that blocks (this process's standard error a full pipe
// that no one reads, a terminal held by Ctrl-S) never holds up the
// supervision, which would then not act on a stop. At most maxQueued lines
// wait; the others are counted, and the count printed when it moves again.
type printer struct {
	l     *log.Logger
	mu    sync.Mutex
	lines []string
	lost  int
	wake  chan struct{}      // a line is queued
	flush chan chan struct{} // print what is queued, then close the channel
}

func newPrinter(l *log.Logger) *printer {
	p := &printer{l: l, wake: make(chan struct{}, 1), flush: make(chan chan struct{})}
	go p.run()
	return p
}

func (p *printer) print(line string) {
	p.mu.Lock()
	if len(p.lines) >= maxQueued {
		p.lost++
	} else {
		p.lines = append(p.lines, line)
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run prints what is queued when woken, and on a flush, which it answers
// once it has; a nil flush ends it.
func (p *printer) run() {
	for {
		var done chan struct{}
		select {
		case <-p.wake:
		case done = <-p.flush:
			if done == nil {
				return
			}
		}
		for {
			p.mu.Lock()
			lines, lost := p.lines, p.lost
			p.lines, p.lost = nil, 0
			p.mu.Unlock()
			if len(lines) == 0 && lost == 0 {
				break
			}
			if lost > 0 {
				p.l.Printf("%d lines lost: standard error did not take them", lost)
			}
			for _, line := range lines {
				p.l.Print(line) // a message that cannot be written is lost: there is nowhere else to say so
			}
		}
		if done != nil {
			close(done)
			return
		}
	}
}

// close has what is queued printed, waiting for d at most, and ends the
// goroutine (one stuck in a write is left to the process's end).
func (p *printer) close(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	done := make(chan struct{})
	select {
	case p.flush <- done:
	case <-t.C:
		return
	}
	select {
	case <-done:
	case <-t.C:
	}
}
