package respawn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"time"
)

// When says whether a command is run again after it exits.
type When int

const (
	Always    When = iota // whatever the status
	OnFailure             // unless it exited with a success code
	Never                 // run it once
)

// ParseWhen parses "always", "on-failure" or "never".
func ParseWhen(s string) (When, error) {
	switch s {
	case "always":
		return Always, nil
	case "on-failure":
		return OnFailure, nil
	case "never":
		return Never, nil
	}
	return 0, fmt.Errorf("want always, on-failure or never")
}

func (w When) String() string { return [...]string{"always", "on-failure", "never"}[w] }

// Set parses w from s, as an option value.
func (w *When) Set(s string) error {
	v, err := ParseWhen(s)
	if err == nil {
		*w = v
	}
	return err
}

// Type names the option value in --help.
func (w *When) Type() string { return "when" }

// Choices lists the words Set accepts, for shell completion.
func (w *When) Choices() []string {
	return []string{Always.String(), OnFailure.String(), Never.String()}
}

// A Policy decides, after each run, whether to run the command again.
type Policy struct {
	Restart      When
	SuccessCodes []int // exit statuses that count as success; nil means {0}
	MaxRuns      int   // runs in all (forever -m); 0: no limit

	// MaxFailures short runs (shorter than Backoff.MinUptime) ending within
	// Window make grespawn give up (systemd's StartLimitBurst and
	// StartLimitIntervalSec); 0: no limit.
	MaxFailures int
	Window      time.Duration
}

// success reports whether ws counts as success: an exit status in the
// success codes. A signal is never success.
func (p *Policy) success(ws syscall.WaitStatus) bool {
	if !ws.Exited() {
		return false
	}
	codes := p.SuccessCodes
	if codes == nil {
		codes = []int{0}
	}
	return slices.Contains(codes, ws.ExitStatus())
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
// is immediate, but a crash loop still slows down.
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
