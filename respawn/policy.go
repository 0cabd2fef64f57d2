package respawn

import (
	"math/rand/v2"
	"slices"
	"time"
)

// When says whether a command is run again after it exits. The words for
// it belong to the command line (cmd/internal/cli), not here.
type When int

const (
	Always    When = iota // whatever the status
	OnFailure             // unless it exited with a success code
	Never                 // run it once
)

// A Policy decides, after each run, whether to run the command again.
type Policy struct {
	Restart      When
	SuccessCodes []int // exit statuses that count as success; nil means {0}
	MaxRuns      int   // runs in all (forever -m); 0: no limit

	// MaxFailures short runs (shorter than Backoff.MinUptime) ending within
	// Window make the supervision give up (systemd's StartLimitBurst and
	// StartLimitIntervalSec); 0: no limit. A zero Window counts every short
	// run since the start.
	MaxFailures int
	Window      time.Duration
}

// success reports whether end counts as success: an exit status in the
// success codes. A signal, an unknown status or a failure to run is never
// success.
func (p *Policy) success(end runEnd) bool {
	if end.kind != exited {
		return false
	}
	codes := p.SuccessCodes
	if codes == nil {
		codes = []int{0}
	}
	return slices.Contains(codes, end.code)
}

// Backoff is how long to wait before running the command again.
type Backoff struct {
	Delay     time.Duration // before the first restart of a failure streak
	MinUptime time.Duration // a run at least this long ends the streak
	MaxDelay  time.Duration // the cap; 0 means none
}

// Defaults, justified in grespawn(1): a single crash costs systemd's 100ms; a
// crash loop doubles from there and reaches the cap after ten restarts.
const (
	DefaultDelay     = 100 * time.Millisecond
	DefaultMinUptime = time.Second
	DefaultMaxDelay  = time.Minute
)

// loopFloor is where the doubling starts when Delay is 0: the first restart
// is immediate, but a crash loop still slows down. A run that could not be
// started at all waits at least this long, whatever Delay is.
const loopFloor = 10 * time.Millisecond

// Next returns the delay before the next run, given streak, the number of
// consecutive runs, the last included, that were shorter than MinUptime:
// Delay for the first restart of a streak (streak 0 or 1), then doubled for
// each further short run; jitter, in [0, 1), spreads it by up to +10%, so
// that many supervisors restarting together drift apart; MaxDelay caps the
// result.
func (b Backoff) Next(streak int, jitter float64) time.Duration {
	d := b.Delay
	if streak > 1 {
		if d == 0 {
			d = loopFloor
			streak--
		}
		for i := 1; i < streak && (b.MaxDelay == 0 || d < b.MaxDelay); i++ {
			d *= 2
		}
	}
	d += time.Duration(float64(d) * 0.1 * jitter)
	if b.MaxDelay > 0 && d > b.MaxDelay {
		d = b.MaxDelay
	}
	return d
}

// randomJitter is the jitter for Next in production.
func randomJitter() float64 { return rand.Float64() }

// A history is what the restart decision remembers of the runs before.
type history struct {
	streak int         // consecutive short runs, the last included
	short  []time.Time // when the latest short runs ended: MaxFailures at most
}

// A verdict is what comes after a run.
type verdict struct {
	again bool          // run the command again
	delay time.Duration // after this long
	// Otherwise, why not: the supervision ends.
	why     endReason
	success bool // the last run counts as a success (the state is stopped, not gave-up)
	short   int  // for maxFailures: how many short runs were counted
}

// An endReason is why the supervision ends.
type endReason int

const (
	notEnded    endReason = iota
	runsOnce              // the policy is Never
	succeeded             // the policy is OnFailure, and the run succeeded
	maxRuns               // MaxRuns runs were made
	maxFailures           // MaxFailures short runs within Window
	stopped               // a stop signal (SIGTERM, SIGINT)
)

// decide is the restart decision after the runs-th run ended as end, at now,
// having run for uptime; it returns the verdict and the history for the
// next decision. A run that could not be started at all is short whatever
// MinUptime is, and waits at least loopFloor, so that a command gone for
// good costs a crash loop's pace, not a busy loop. It does nothing but
// compute.
func decide(p Policy, b Backoff, h history, end runEnd, uptime time.Duration, runs int, now time.Time, jitter float64) (verdict, history) {
	short := uptime < b.MinUptime || end.kind == notRun
	if short {
		h.streak++
		if p.MaxFailures > 0 {
			h.short = append(h.short, now)
			if len(h.short) > p.MaxFailures {
				h.short = slices.Delete(h.short, 0, len(h.short)-p.MaxFailures)
			}
		}
	} else {
		h.streak = 0
	}
	if p.Window > 0 {
		h.short = slices.DeleteFunc(h.short, func(t time.Time) bool { return now.Sub(t) > p.Window })
	}
	success := p.success(end)
	switch {
	case p.Restart == Never:
		return verdict{why: runsOnce, success: success}, h
	case p.Restart == OnFailure && success:
		return verdict{why: succeeded, success: success}, h
	case p.MaxRuns > 0 && runs >= p.MaxRuns:
		return verdict{why: maxRuns, success: success}, h
	case p.MaxFailures > 0 && len(h.short) >= p.MaxFailures:
		return verdict{why: maxFailures, success: success, short: len(h.short)}, h
	}
	delay := b.Next(h.streak, jitter)
	if end.kind == notRun && delay < loopFloor {
		delay = loopFloor
		if b.MaxDelay > 0 {
			delay = min(delay, b.MaxDelay)
		}
	}
	return verdict{again: true, delay: delay}, h
}
