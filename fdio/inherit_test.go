package fdio_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/fdio"
	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

func init() {
	testutil.RegisterHelper("close-inherited", closeInheritedAndExec)
	testutil.RegisterHelper("report", reportOpen)
}

func TestMain(m *testing.M) { testutil.Main(m) }

// closeInheritedAndExec opens three descriptors the way an inherited leak
// looks (no close-on-exec), calls CloseOnExecFrom(3) keeping the second,
// and replaces itself with the report helper on all three. It exits 3 if a
// step fails.
func closeInheritedAndExec(args []string) int {
	var fds []string
	for range 3 {
		fd, err := unix.Dup(2) // unix.Dup leaves close-on-exec clear
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fds = append(fds, strconv.Itoa(fd))
	}
	keep, _ := strconv.Atoi(fds[1])
	if err := fdio.CloseOnExecFrom(3, keep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	self, _ := os.Executable()
	err := syscall.Exec(self, testutil.HelperArgs("report", fds...), os.Environ())
	fmt.Fprintln(os.Stderr, err)
	return 3
}

// reportOpen FD... prints "FD=open" or "FD=closed" for each descriptor
// named, one per line.
func reportOpen(fds []string) int {
	for _, s := range fds {
		fd, _ := strconv.Atoi(s)
		state := "closed"
		if fdio.IsOpen(fd) {
			state = "open"
		}
		fmt.Printf("%d=%s\n", fd, state)
	}
	return 0
}

func TestCloseOnExecFromKeepsOnlyKept(t *testing.T) {
	testutil.UsedHelpers("report") // close-inherited executes it
	out, err := testutil.HelperCommand(t, "close-inherited").Output()
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
