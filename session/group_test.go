package session

import (
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/gdetach/gdetach/tests/testutil"
)

func TestGroupAndForeground(t *testing.T) {
	testutil.UsedHelpers("report", "spawn") // no other test runs them
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	for _, c := range []struct {
		name string
		args []string
		attr *syscall.SysProcAttr
		ctty bool
		want string
	}{
		{"own session, no terminal", []string{}, &syscall.SysProcAttr{Setsid: true}, false,
			"leader=true foreground=false"},
		{"leads the terminal's foreground group", []string{}, &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}, true,
			"leader=true foreground=true"},
		{"member of the foreground group", []string{"report"}, &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}, true,
			"leader=false foreground=true"},
		{"leads a background group", []string{"-pgrp", "report"}, &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}, true,
			"leader=true foreground=false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "report"
			if len(c.args) > 0 {
				name = "spawn"
			}
			cmd := helperCommand(t, name, c.args...)
			cmd.SysProcAttr = c.attr
			if c.ctty {
				cmd.Stdin = tty
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(strings.Fields(string(out)), " "); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestSetsid(t *testing.T) {
	for _, c := range []struct {
		name string
		attr *syscall.SysProcAttr
		want string
	}{
		{"group member", nil, "ok"},
		{"group leader", &syscall.SysProcAttr{Setpgid: true}, "setsid: operation not permitted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := helperCommand(t, "setsid")
			cmd.SysProcAttr = c.attr
			out, err := cmd.Output()
			if got := strings.TrimSpace(string(out)); err != nil || got != c.want {
				t.Errorf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
