package respawn

import (
	"log"
	"strings"
	"testing"
	"time"
)

func TestEventLogCondensesFastLines(t *testing.T) {
	var out strings.Builder
	clock := time.Unix(1000, 0)
	e := newEventLog(log.New(&out, "grespawn: ", 0))
	e.now = func() time.Time { return clock }
	for i := range 25 {
		e.printf("line %d", i)
	}
	clock = clock.Add(time.Second)
	e.printf("later")
	e.always("given up")
	e.close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != eventsPerSecond+2 {
		t.Fatalf("%d lines printed, want %d:\n%s", len(lines), eventsPerSecond+2, out.String())
	}
	if want := "grespawn: later (and 15 lines like the last ones, held back)"; lines[eventsPerSecond] != want {
		t.Errorf("line %q, want %q", lines[eventsPerSecond], want)
	}
	if lines[len(lines)-1] != "grespawn: given up" {
		t.Errorf("forced line %q", lines[len(lines)-1])
	}
}

func TestSnapshotWrite(t *testing.T) {
	path := t.TempDir() + "/status"
	started := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	s := snapshot{State: "running", PID: 42, Runs: 3, LastStatus: "exit 1", Started: started, Backoff: 0}
	if err := s.write(path, nil); err != nil {
		t.Fatal(err)
	}
	got := readFileT(t, path)
	want := "state=running\npid=42\nruns=3\nlast_status=exit 1\nstarted=1795262400\nstarted_at=2026-11-21T12:00:00Z\nbackoff=0s\nupdated_at="
	if !strings.HasPrefix(got, want) {
		t.Errorf("status file:\n%s\nwant it to begin:\n%s", got, want)
	}
}
