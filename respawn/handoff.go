package respawn

import (
	"sync"
	"time"
)

// A handoff writes a reader's blocks of lines into the log. While the
// reads are small it writes each block at once, itself; once a read comes
// full (the command writes faster than one read takes), it starts a
// goroutine of its own for the writing, so that the next read from the
// pipe (and the command's writing into it) and the stamping of the next
// block go on while a block is written: on two CPUs the log keeps up with
// `cat > file`, timestamps or not. Blocks are written in the order handed,
// each once; at most two wait, after which put waits.
type handoff struct {
	log     *logFile
	blocks  chan []byte // handed, to be written, in order; nil: written by put itself
	free    chan []byte // read buffers given back, for the reader to fill again
	written chan []byte // blocks written, for the next block to be stamped into
	pending sync.WaitGroup
	done    chan struct{}
}

func newHandoff(log *logFile) *handoff {
	return &handoff{log: log, free: make(chan []byte, 2), written: make(chan []byte, 2)}
}

// busy starts the writing goroutine, if it is not running yet.
func (h *handoff) busy() {
	if h.blocks == nil {
		h.blocks, h.done = make(chan []byte, 1), make(chan struct{})
		go h.run()
	}
}

func (h *handoff) run() {
	defer close(h.done)
	spare := h.free // a block is a read buffer, unless stamped into one of written
	if h.log.cfg.Timestamps != nil {
		spare = h.written
	}
	for b := range h.blocks {
		h.log.writeStamped(b)
		h.pending.Done()
		recycle(spare, b)
	}
}

// put hands b, whole lines, to be written, stamped with the time now; b is
// the handoff's from now on.
func (h *handoff) put(b []byte) {
	if h.blocks == nil {
		h.log.writeLines(b)
		recycle(h.free, b)
		return
	}
	if h.log.cfg.Timestamps != nil {
		stamped := stamp(take(h.written, len(b)+len(b)/4), b, h.log.cfg.Timestamps, time.Now())
		recycle(h.free, b)
		b = stamped
	}
	h.pending.Add(1)
	h.blocks <- b
}

// buffer returns an empty buffer of at least size bytes for the reader: one
// it handed before, or a new one.
func (h *handoff) buffer(size int) []byte { return take(h.free, size) }

// take returns an empty buffer of at least size bytes from spare, or a new
// one.
func take(spare chan []byte, size int) []byte {
	select {
	case b := <-spare:
		if cap(b) >= size {
			return b[:0]
		}
	default:
	}
	return make([]byte, 0, size)
}

// recycle keeps b in spare for reuse, unless there are enough already.
func recycle(spare chan []byte, b []byte) {
	if cap(b) > 4<<20 {
		return // a burst of long lines: not kept
	}
	select {
	case spare <- b[:0]:
	default:
	}
}

// sync returns once every block handed so far is written.
func (h *handoff) sync() { h.pending.Wait() }

// close writes what is left and ends the goroutine, if it runs.
func (h *handoff) close() {
	if h.blocks != nil {
		close(h.blocks)
		<-h.done
	}
}
