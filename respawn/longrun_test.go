package respawn

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gdetach/gdetach/tests/testutil"
)

func init() { testutil.RegisterHelper("longrun", longRunHelper) }

// longRuns is how many runs TestSupervisorLongRun makes: 2,000, or 20,000
// with GDETACH_LONG set (make stress).
func longRuns() int {
	if os.Getenv("GDETACH_LONG") != "" {
		return 20000
	}
	return 2000
}

// longRunHelper supervises a command that exits at once, with a rotated
// log and a watch on a tree whose directories come and go all the while (the
// root too, now and then): helper longrun DIR N. Once a tenth of N runs are
// done, it prints a line of measures ("sample runs=… heap=… rss=…
// goroutines=… fds=…"), again after each further twentieth, and once a
// sample is eight tenths of N past the first, and at least eight were taken,
// it stops the supervision (SIGTERM to itself): however fast or slow the runs
// go (the count is seen ten times a second), the first and last samples are
// more than half of N runs apart.
func longRunHelper(args []string) int {
	dir := args[0]
	n, _ := strconv.Atoi(args[1])
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s := Supervisor{
		Argv:          []string{"/bin/sh", "-c", "echo run"},
		Backoff:       Backoff{MaxDelay: time.Second},
		StopTimeout:   time.Second,
		Log:           &LogConfig{Path: filepath.Join(dir, "app.log"), MaxSize: 64 << 10, Backups: 3},
		Watch:         []string{src},
		WatchDebounce: time.Millisecond,
	}
	// The messages say which run started last (ten lines a second at most:
	// enough to know when to measure).
	var runs runCounter
	s.Logger = log.New(&runs, "grespawn: ", 0)
	done := make(chan struct{})
	go churn(src, done)
	go func() {
		first, taken := 0, 0
		for at := n / 10; ; {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond): // a glance at the count
			}
			if last := runs.last(); last >= at {
				fmt.Println(measure(last))
				taken++
				if first == 0 {
					first = last
				}
				if last >= first+n*8/10 && taken >= 8 {
					_ = syscall.Kill(os.Getpid(), syscall.SIGTERM) // the stop: cannot fail for our own PID
					return
				}
				at = last + n/20
			}
		}
	}()
	_, err := s.Run() // the status is the last run's, maybe killed by the stop
	close(done)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	return 0
}

// A runCounter reads the supervision's messages for the number of the last
// run started ("started sh (pid 12, run 345 of 2000)").
type runCounter struct {
	mu  sync.Mutex
	run int
}

var startedRun = regexp.MustCompile(`started \S+ \(pid \d+, run (\d+)`)

func (c *runCounter) Write(b []byte) (int, error) {
	if m := startedRun.FindSubmatch(b); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		c.mu.Lock()
		c.run = n
		c.mu.Unlock()
	}
	return len(b), nil
}

func (c *runCounter) last() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.run
}

// churn makes and removes directories under root until done is closed, and
// every hundredth time removes root itself and makes it again.
func churn(root string, done <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-done:
			return
		case <-time.After(time.Millisecond): // the pace of the churn, not a synchronisation
		}
		if i%100 == 99 {
			os.RemoveAll(root)
			os.Mkdir(root, 0o755)
			continue
		}
		d := filepath.Join(root, "d"+strconv.Itoa(i%7))
		if os.Mkdir(d, 0o755) != nil {
			os.Remove(d)
		}
	}
}

// measure says what this process holds, after a garbage collection that
// returns what it can to the system.
func measure(runs int) string {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, _ := testutil.StatusKB(os.Getpid(), "VmRSS")
	fds, _ := os.ReadDir("/proc/self/fd")
	var targets []string
	for _, fd := range fds {
		target, _ := os.Readlink("/proc/self/fd/" + fd.Name())
		targets = append(targets, fd.Name()+":"+target)
	}
	return fmt.Sprintf("sample runs=%d heap=%d rss=%d goroutines=%d fds=%d (%s)", runs, ms.HeapAlloc, rss<<10, runtime.NumGoroutine(), len(fds), strings.Join(targets, " "))
}

// A long supervision with a log and a watch under churn holds as much at
// the end as early on: memory, goroutines and descriptors stay flat (issue
// 13: every run's capture was kept, ~2 KB each, and every watched directory
// removed, ~150 B each). 2,000 runs by default, 20,000 in make stress
// (GDETACH_LONG=1).
func TestSupervisorLongRun(t *testing.T) {
	if testing.Short() {
		t.Skip("a long run: 2,000 restarts (20,000 in make stress)")
	}
	n := longRuns()
	cmd := testutil.HelperCommand(t, "longrun", t.TempDir(), strconv.Itoa(n))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	re := regexp.MustCompile(`sample runs=(\d+) heap=(\d+) rss=(\d+) goroutines=(\d+) fds=(\d+)`)
	samples := re.FindAllStringSubmatch(string(out), -1)
	num := func(s []string, i int) int64 { v, _ := strconv.ParseInt(s[i], 10, 64); return v }
	if len(samples) < 8 || num(samples[len(samples)-1], 1)-num(samples[0], 1) < int64(n/2) {
		t.Fatalf("not eight samples, half the runs apart:\n%s\n%s", out, stderr.String())
	}
	// What is in flight when a sample is taken (a run's pipes, their
	// readers and buffers, a settle) comes and goes; a leak raises the
	// floor. So each measure is the least of three samples, the first three
	// against the last three.
	least := func(samples [][]string, i int) int64 {
		v := num(samples[0], i)
		for _, s := range samples[1:] {
			v = min(v, num(s, i))
		}
		return v
	}
	early, late := samples[:3], samples[len(samples)-3:]
	between := num(late[2], 1) - num(early[0], 1)
	t.Logf("runs %s to %s: heap %d B, RSS %d KiB, %d goroutines, %d fds (the least of three)", early[0][1], early[2][1], least(early, 2), least(early, 3)>>10, least(early, 4), least(early, 5))
	t.Logf("runs %s to %s: heap %d B, RSS %d KiB, %d goroutines, %d fds", late[0][1], late[2][1], least(late, 2), least(late, 3)>>10, least(late, 4), least(late, 5))
	// Bounds on growth, not on time: the old leak of ~2 KB a run is over
	// 2 MB here.
	for _, c := range []struct {
		what  string
		i     int
		bound int64
	}{
		{"heap", 2, 512 << 10},
		{"RSS", 3, 8 << 20},
		{"goroutines", 4, 4},  // a run's two pipe readers, in flight or not
		{"descriptors", 5, 8}, // its pipes and pidfd, in flight or not
	} {
		if grew := least(late, c.i) - least(early, c.i); grew > c.bound {
			t.Errorf("%s grew by %d over %d runs, more than %d:\n%s", c.what, grew, between, c.bound, out)
		}
	}
}
