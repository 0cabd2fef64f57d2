package session

import (
	"fmt"
	"os"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// ttyNr is how /proc/PID/stat numbers the terminal f.
func ttyNr(t *testing.T, f *os.File) string {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	major, minor := unix.Major(st.Rdev), unix.Minor(st.Rdev)
	return fmt.Sprint(minor&0xff | major<<8 | (minor&^0xff)<<12)
}

func TestRunCtty(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		ctty bool
	}{
		{"in place", []string{"-c", "ids"}, true},
		{"forked", []string{"-c", "-f", "ids"}, true},
		{"forked, waiting", []string{"-c", "-f", "-w", "ids"}, true},
		{"control: no -c", []string{"ids"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pty: %v", err)
			}
			defer ptmx.Close()
			defer tty.Close()
			m, _, status := runGsetsid(t, false, tty, c.args...)
			if status != 0 {
				t.Fatalf("status %d", status)
			}
			want, wantOpen := "0", "false"
			if c.ctty {
				want, wantOpen = ttyNr(t, tty), "true"
			}
			if m["tty_nr"] != want || m["devtty"] != wantOpen {
				t.Errorf("tty_nr %s, /dev/tty opens %s; want %s and %s", m["tty_nr"], m["devtty"], want, wantOpen)
			}
		})
	}
}
