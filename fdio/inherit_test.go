package fdio

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the helper processes below, chosen by this variable.
const helperEnv = "GDETACH_FDIO_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "close-inherited":
		closeInheritedAndExec()
	case "report":
		reportOpen(os.Args[1:])
	}
	os.Exit(2)
}

// closeInheritedAndExec opens descriptors the way an inherited leak looks
// (no close-on-exec), keeps one, and execs the reporter on all of them.
func closeInheritedAndExec() {
	var fds []string
	for range 3 {
		fd, err := unix.Dup(2) // unix.Dup leaves close-on-exec clear
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fds = append(fds, strconv.Itoa(fd))
	}
	keep, _ := strconv.Atoi(fds[1])
	if err := CloseOnExecFrom(3, keep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	self, _ := os.Executable()
	env := []string{helperEnv + "=report", "GORACE=atexit_sleep_ms=0"}
	err := syscall.Exec(self, append([]string{self}, fds...), env)
	fmt.Fprintln(os.Stderr, err)
	os.Exit(3)
}

// reportOpen prints "fd=open" or "fd=closed" for each descriptor named.
func reportOpen(fds []string) {
	for _, s := range fds {
		fd, _ := strconv.Atoi(s)
		state := "closed"
		if IsOpen(fd) {
			state = "open"
		}
		fmt.Printf("%d=%s\n", fd, state)
	}
	os.Exit(0)
}

func TestCloseOnExecFromKeepsOnlyKept(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{helperEnv + "=close-inherited", "GORACE=atexit_sleep_ms=0"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, err.(*exec.ExitError).Stderr)
	}
	got := strings.Fields(string(out))
	if len(got) != 3 {
		t.Fatalf("report %q, want three descriptors", out)
	}
	for i, line := range got {
		want := "closed"
		if i == 1 {
			want = "open" // the one passed as keep
		}
		if !strings.HasSuffix(line, "="+want) {
			t.Errorf("after exec %s, want %s", line, want)
		}
	}
}
