package respawn

import (
	"syscall"
	"testing"
	"time"
)

func TestBackoffNext(t *testing.T) {
	ms := time.Millisecond
	def := Backoff{Delay: DefaultDelay, MinUptime: DefaultMinUptime, MaxDelay: DefaultMaxDelay}
	for _, c := range []struct {
		name   string
		b      Backoff
		streak int
		want   time.Duration
	}{
		{"after a long run", def, 0, 100 * ms},
		{"first short run", def, 1, 100 * ms},
		{"second", def, 2, 200 * ms},
		{"third", def, 3, 400 * ms},
		{"tenth", def, 10, 51200 * ms},
		{"capped", def, 11, time.Minute},
		{"far past the cap", def, 1000, time.Minute},
		{"delay 0, after a long run", Backoff{MaxDelay: time.Minute}, 0, 0},
		{"delay 0, first short run", Backoff{MaxDelay: time.Minute}, 1, 0},
		{"delay 0, crash loop slows down", Backoff{MaxDelay: time.Minute}, 2, 10 * ms},
		{"delay 0, crash loop", Backoff{MaxDelay: time.Minute}, 4, 40 * ms},
		{"no cap", Backoff{Delay: time.Second}, 5, 16 * time.Second},
	} {
		if got := c.b.Next(c.streak, 0); got != c.want {
			t.Errorf("%s: Next(%d) = %v, want %v", c.name, c.streak, got, c.want)
		}
	}
	if got := def.Next(2, 0.999); got < 200*ms || got > 220*ms {
		t.Errorf("jitter took 200ms to %v, want at most +10%%", got)
	}
	if got := def.Next(20, 0.999); got != DefaultMaxDelay {
		t.Errorf("jitter took the cap to %v, want it kept at %v", got, DefaultMaxDelay)
	}
}

// exited and killed make wait statuses as the kernel encodes them.
func exited(code int) syscall.WaitStatus         { return syscall.WaitStatus(code << 8) }
func killed(s syscall.Signal) syscall.WaitStatus { return syscall.WaitStatus(s) }

func TestPolicySuccess(t *testing.T) {
	p := Policy{}
	if !p.success(exited(0)) || p.success(exited(2)) || p.success(killed(syscall.SIGTERM)) {
		t.Error("default success codes are not {0}")
	}
	p.SuccessCodes = []int{0, 2}
	if !p.success(exited(2)) || p.success(exited(1)) {
		t.Error("success codes 0,2 not honoured")
	}
}

func TestParseWhen(t *testing.T) {
	for _, s := range []string{"always", "on-failure", "never"} {
		w, err := ParseWhen(s)
		if err != nil || w.String() != s {
			t.Errorf("ParseWhen(%q) = %v, %v", s, w, err)
		}
	}
	if _, err := ParseWhen("sometimes"); err == nil {
		t.Error("ParseWhen(sometimes) accepted")
	}
}
