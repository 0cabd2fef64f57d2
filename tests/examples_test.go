//go:build linux

package tests

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
)

// examples is docs/examples, which the package installs too.
var examples = filepath.Join("..", "docs", "examples")

// dockerEntrypoint returns the exec-form ENTRYPOINT of
// docs/examples/docker/NAME, as docker runs it: the tests run exactly that
// argv, so that the example cannot drift from what is tested.
func dockerEntrypoint(t *testing.T, name string) []string {
	t.Helper()
	path := filepath.Join(examples, "docker", name)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var argv []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "ENTRYPOINT ")
		if !ok {
			continue
		}
		if argv != nil {
			t.Fatalf("%s: more than one ENTRYPOINT", path)
		}
		if err := json.Unmarshal([]byte(rest), &argv); err != nil || len(argv) == 0 {
			t.Fatalf("%s: ENTRYPOINT %s is not the exec form (a JSON array of strings): %v", path, rest, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if argv == nil {
		t.Fatalf("%s: no ENTRYPOINT", path)
	}
	return argv
}

// Each Dockerfile's ENTRYPOINT runs a command and exits with its status, as
// docker run IMAGE COMMAND does (TestGrespawnAsPID1 runs Dockerfile's as
// PID 1).
func TestDockerEntrypoints(t *testing.T) {
	for _, c := range []struct {
		dockerfile string
		command    string
		status     int
	}{
		{"Dockerfile", "exit 0", 0},
		{"Dockerfile", "exit 3", 3},
		{"Dockerfile.restart", "exit 0", 0},
	} {
		argv := append(dockerEntrypoint(t, c.dockerfile), "sh", "-c", c.command)
		err := exec.Command(argv[0], argv[1:]...).Run()
		status := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			status = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %q: %v", c.dockerfile, argv, err)
		}
		if status != c.status {
			t.Errorf("%s: %q exited %d, want %d", c.dockerfile, argv, status, c.status)
		}
	}
}

// unitExec reads a unit file and returns its Exec lines by key
// (ExecStart...), split into words (the examples use no quoting), each word
// replaced by what subst maps it to, if anything.
func unitExec(t *testing.T, path string, subst map[string][]string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		key, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(key, "Exec") {
			continue
		}
		if strings.ContainsAny(value, `"'\$%`) {
			t.Fatalf("%s: %s: quoting or specifiers, which this test does not expand", path, line)
		}
		var argv []string
		for _, w := range strings.Fields(value) {
			if r, ok := subst[w]; ok {
				argv = append(argv, r...)
			} else {
				argv = append(argv, w)
			}
		}
		lines[key] = argv
	}
	return lines
}

// The systemd units pass systemd-analyze verify, with the commands' paths
// pointing at the ones under test.
func TestSystemdUnitsVerify(t *testing.T) {
	needTools(t, "systemd-analyze")
	dir := tempDir(t)
	var units []string
	for _, name := range []string{"gdaemonize-legacy.service", "grespawn.service"} {
		b, err := os.ReadFile(filepath.Join(examples, "systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.NewReplacer(
			"/usr/bin/gdaemonize", filepath.Join(binDir, "gdaemonize"),
			"/usr/bin/grespawn", filepath.Join(binDir, "grespawn"),
		).Replace(string(b))
		unit := filepath.Join(dir, name)
		if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		units = append(units, unit)
	}
	// --man=no: the man pages are not installed where the tests run.
	out, err := exec.Command("systemd-analyze", append([]string{"verify", "--man=no"}, units...)...).CombinedOutput()
	// systemd-analyze also reports on the machine's own units (a sandbox
	// lacks some of what they need): only lines about ours count.
	var ours []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "gdaemonize-legacy.service") || strings.Contains(line, "grespawn.service") {
			ours = append(ours, line)
		}
	}
	if len(ours) > 0 || (err != nil && len(strings.TrimSpace(string(out))) == 0) {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	} else if err != nil {
		t.Logf("systemd-analyze verify failed on units not ours: %v\n%s", err, out)
	}
}

// The legacy daemon's unit does what systemd would do with it: ExecStart
// returns with the daemon running and its PID in the pidfile (Type=forking),
// ExecReload makes it reload, ExecStop stops it and removes the pidfile.
func TestSystemdLegacyUnitRuns(t *testing.T) {
	dir := tempDir(t)
	pidfile := filepath.Join(dir, "legacyd.pid")
	unit := unitExec(t, filepath.Join(examples, "systemd", "gdaemonize-legacy.service"), map[string][]string{
		"/usr/bin/gdaemonize":  {filepath.Join(binDir, "gdaemonize")},
		"/run/legacyd.pid":     {pidfile},
		"/var/log/legacyd.log": {filepath.Join(dir, "legacyd.log")},
		"/usr/sbin/legacyd":    helperArgs("sleep", dir, "--catch-hup"),
	})
	for _, key := range []string{"ExecStart", "ExecReload", "ExecStop"} {
		if unit[key] == nil {
			t.Fatalf("the unit has no %s", key)
		}
	}
	output(t, unit["ExecStart"][0], unit["ExecStart"][1:]...)
	pid := readyPID(t, dir)
	killAtCleanup(t, pid)
	if got := pidfilePID(t, pidfile); got != pid {
		t.Fatalf("ExecStart returned with PID %d in the pidfile, want the daemon's %d", got, pid)
	}
	output(t, unit["ExecReload"][0], unit["ExecReload"][1:]...)
	waitAlive(t, pid, "the daemon's reload (a SIGHUP in DIR/hups)", func() bool { return countLines(filepath.Join(dir, "hups")) == 1 })
	output(t, unit["ExecStop"][0], unit["ExecStop"][1:]...)
	waitGone(t, pid)
	if _, err := os.Stat(pidfile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after ExecStop the pidfile is still there (%v)", err)
	}
}

// The grespawn unit's ExecStart runs the server, restarts it when a file
// under --watch changes, and ends with its status on systemd's SIGTERM
// (KillMode=mixed: to grespawn alone).
func TestSystemdGrespawnUnitRuns(t *testing.T) {
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	argv := unitExec(t, filepath.Join(examples, "systemd", "grespawn.service"), map[string][]string{
		"/usr/bin/grespawn":       {filepath.Join(binDir, "grespawn")},
		"/srv/app/src":            {src},
		"/var/log/app/server.log": {filepath.Join(dir, "server.log")},
		"/usr/bin/node":           helperArgs("sleep", dir),
		"/srv/app/server.js":      nil,
	})["ExecStart"]
	if argv == nil {
		t.Fatal("the unit has no ExecStart")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	exited := startBackground(t, cmd, func() string { return "grespawn's log:\n" + readAll(filepath.Join(dir, "server.log")) })
	grespawn := cmd.Process.Pid
	first := readyPID(t, dir, testutil.Watch(t, grespawn))
	killAtCleanup(t, first)

	// A change under --watch: the server runs again, a new process.
	if err := os.Remove(filepath.Join(dir, "pid")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "server.js"), []byte("// edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := readyPID(t, dir, testutil.Watch(t, grespawn))
	killAtCleanup(t, second)
	if second == first {
		t.Fatalf("after the change the server is still PID %d", first)
	}
	waitGone(t, first)

	if err := syscall.Kill(grespawn, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testutil.Watch(t, grespawn).WaitExit(t)
	<-exited
	waitGone(t, second)
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("grespawn ended %v on SIGTERM, want exit status 0 (the server stopped on request: systemd sees a clean stop)", cmd.ProcessState)
	}
}
