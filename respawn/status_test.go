//go:build linux

package respawn

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdetach/gdetach/process"
)

// The status file names its writer, this process, by PID and start time,
// in keys appended after those of old, which keep their order.
func TestStatusFileNamesItsWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	if err := (snapshot{State: "running", PID: 42, Runs: 1, Started: time.Now(), Supervisor: self()}).write(path, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	values := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		k, v, _ := strings.Cut(line, "=")
		keys = append(keys, k)
		values[k] = v
	}
	if want := "state pid runs last_status started started_at backoff updated_at supervisor_pid supervisor_start"; strings.Join(keys, " ") != want {
		t.Errorf("keys %v, want %v", keys, want)
	}
	me, err := process.Identify(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if values["supervisor_pid"] != strconv.Itoa(me.PID) || values["supervisor_start"] != strconv.FormatUint(me.Start, 10) || me.Start == 0 {
		t.Errorf("supervisor_pid=%s supervisor_start=%s, want this process: %+v", values["supervisor_pid"], values["supervisor_start"], me)
	}
}
