package cli

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOctalMode(t *testing.T) {
	for in, want := range map[string]int{"022": 0o22, "0": 0, "777": 0o777, "0027": 0o27} {
		var m OctalMode
		if err := m.Set(in); err != nil || int(m) != want {
			t.Errorf("Set(%q) = %o, %v; want %o", in, int(m), err, want)
		}
	}
	for _, bad := range []string{"", "8", "1000", "-1", "abc", "0x1"} {
		var m OctalMode
		if err := m.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

func TestSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{"TERM": syscall.SIGTERM, "sigkill": syscall.SIGKILL, "SIGHUP": syscall.SIGHUP, "10": syscall.SIGUSR1, "usr2": syscall.SIGUSR2} {
		var s Signal
		if err := s.Set(in); err != nil || syscall.Signal(s) != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, syscall.Signal(s), err, want)
		}
	}
	for _, bad := range []string{"", "TERMINATE", "0", "-9", "999"} {
		var s Signal
		if err := s.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	s := Signal(syscall.SIGTERM)
	if s.String() != "TERM" {
		t.Errorf("String() = %q, want TERM", s.String())
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	if err := d.Set("1m30s"); err != nil || time.Duration(d) != 90*time.Second {
		t.Errorf("Set(1m30s) = %v, %v", time.Duration(d), err)
	}
	for _, bad := range []string{"", "10", "-1s", "soon"} {
		if err := d.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

func TestInterval(t *testing.T) {
	var d Interval
	if d.String() != "" {
		t.Errorf("an unset interval prints %q, want nothing (no default in --help)", d.String())
	}
	if err := d.Set("250ms"); err != nil || time.Duration(d) != 250*time.Millisecond || d.String() != "250ms" {
		t.Errorf("Set(250ms) = %v, %v", time.Duration(d), err)
	}
	for bad, want := range map[string]string{"0": "it must be more than 0", "0s": "it must be more than 0", "-1s": "a duration cannot be negative", "10": "want a duration"} {
		if err := d.Set(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Set(%q) = %v, want %q", bad, err, want)
		}
	}
}

func TestSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1024": 1024, "512K": 512 << 10, "50M": 50 << 20, "1G": 1 << 30, "2mib": 2 << 20, "10kb": 10 << 10} {
		var s Size
		if err := s.Set(in); err != nil || int64(s) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, int64(s), err, want)
		}
	}
	for _, bad := range []string{"", "M", "-1", "1T", "lots", "1.5M"} {
		var s Size
		if err := s.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	if s := Size(50 << 20); s.String() != "50M" {
		t.Errorf("String() = %q", s.String())
	}
}

func TestStatusMap(t *testing.T) {
	var m StatusMap
	for _, v := range []string{"143=0", "130=0,1=3", "143=143"} {
		if err := m.Set(v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	if got := m.String(); got != "1=3,130=0,143=143" {
		t.Errorf("String() = %q", got)
	}
	for _, bad := range []string{"", "143", "=0", "143=", "256=0", "0=256", "-1=0", "+1=0", "1=0,", "a=b", "1==0", "1=0=2"} {
		var m StatusMap
		if err := m.Set(bad); err == nil {
			t.Errorf("Set(%q) took it: %v", bad, m)
		}
	}
}
