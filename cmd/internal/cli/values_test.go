package cli

import (
	"syscall"
	"testing"
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
