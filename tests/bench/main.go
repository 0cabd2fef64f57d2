//go:build linux

package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	runs := flag.Int("runs", 1000, "runs of each command")
	bin := flag.String("bin", "bin", "directory holding the gdetach commands")
	out := flag.String("o", "", "write the report to `FILE` (default: standard output)")
	only := flag.String("only", "", "measure only the `COMMAND`'s section (gnohup, gsetsid, gdaemonize, grespawn)")
	flag.Parse()
	if err := run(*runs, *bin, *out, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(runs int, bin, out, only string) error {
	// A session of our own and no terminal, as a script started from cron or
	// over ssh has: gnohup then execs in place, as it does in scripts.
	if _, err := unix.Setsid(); err != nil {
		if sid, _ := unix.Getsid(0); sid != unix.Getpid() {
			return fmt.Errorf("setsid: %w", err)
		}
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	floor, cleanup, err := buildFloor()
	if err != nil {
		return err
	}
	defer cleanup()

	var b strings.Builder
	header(&b, runs)
	sections := []struct {
		name    string
		measure func() error
	}{
		{"gnohup", func() error { return gnohupStartup(&b, runs, bin, floor) }},
		{"gnohup", func() error { return relayFootprint(&b, bin) }},
		{"gsetsid", func() error { return gsetsidStartup(&b, runs, bin, floor) }},
		{"gdaemonize", func() error { return gdaemonizeStartup(&b, runs/5, bin, floor) }},
		{"grespawn", func() error { return grespawnBench(&b, bin) }},
	}
	for _, s := range sections {
		if only != "" && s.name != only {
			continue
		}
		if err := s.measure(); err != nil {
			return err
		}
	}
	if out == "" {
		_, err = io.WriteString(os.Stdout, b.String())
		return err
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// A command is one of the commands compared.
type command struct {
	label string
	argv  []string
	attr  *syscall.SysProcAttr
	after func() error // run after each run of this command, untimed
}

// A sample is what one command cost over all its runs.
type sample struct {
	wall    []time.Duration
	cpu     time.Duration // user+system, all runs
	command command
}

func (s *sample) median() time.Duration {
	w := append([]time.Duration(nil), s.wall...)
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	return w[len(w)/2]
}

func (s *sample) mean() time.Duration {
	var sum time.Duration
	for _, d := range s.wall {
		sum += d
	}
	return sum / time.Duration(len(s.wall))
}

// measure runs each command runs times, alternating between them in rounds
// of 50 so that a change in machine load falls on all of them alike.
func measure(runs int, cmds ...command) ([]*sample, error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	samples := make([]*sample, len(cmds))
	for i, c := range cmds {
		samples[i] = &sample{command: c}
	}
	const round = 50
	for done := 0; done < runs; done += round {
		for i, c := range cmds {
			for range min(round, runs-done) {
				cmd := exec.Command(c.argv[0], c.argv[1:]...)
				cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
				cmd.SysProcAttr = c.attr
				start := time.Now()
				if err := cmd.Run(); err != nil {
					return nil, fmt.Errorf("%s: %w", c.label, err)
				}
				s := samples[i]
				s.wall = append(s.wall, time.Since(start))
				s.cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				if c.after != nil {
					if err := c.after(); err != nil {
						return nil, fmt.Errorf("%s: %w", c.label, err)
					}
				}
			}
		}
	}
	return samples, nil
}

func table(b *strings.Builder, samples []*sample) {
	// No maximum RSS column: Go forks with CLONE_VM, and the kernel charges
	// the parent's high-water mark to the child at exec.
	fmt.Fprintln(b, "| command | median | mean | CPU per run (user+sys) |")
	fmt.Fprintln(b, "|---|---:|---:|---:|")
	for _, s := range samples {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", s.command.label, us(s.median()), us(s.mean()),
			us(s.cpu/time.Duration(len(s.wall))))
	}
	fmt.Fprintln(b)
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d.Microseconds())) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func header(b *strings.Builder, runs int) {
	fmt.Fprintf(b, "# Benchmarks\n\n")
	fmt.Fprintf(b, "Written by `make bench` (`go run ./tests/bench -runs %d -bin bin -o docs/benchmarks.md`); do not edit by hand.\n\n", runs)
	fmt.Fprintf(b, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(b, "- machine: %s, %d CPUs, Linux %s\n", cpuModel(), runtime.NumCPU(), kernel())
	fmt.Fprintf(b, "- Go: %s; classic tools: %s\n\n", runtime.Version(), versions())
	fmt.Fprintf(b, "Every command runs %d times with standard input, output and error on /dev/null, from a\n", runs)
	fmt.Fprintf(b, "process in a session of its own without a terminal (as a script run by cron or ssh), alternating\n")
	fmt.Fprintf(b, "with the others in rounds of 50. Wall time is from fork to reaping, as a calling script sees it.\n\n")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

func kernel() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "?"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// versions names the classic tools' versions, from their --version, or for
// daemonize(1), which has no such option, from its Debian package.
func versions() string {
	var vs []string
	for _, tool := range []struct {
		name string
		argv []string
	}{
		{"nohup", []string{"nohup", "--version"}},
		{"setsid", []string{"setsid", "--version"}},
		{"daemonize", []string{"dpkg-query", "-W", "-f", "daemonize ${Version}", "daemonize"}},
	} {
		out, err := exec.Command(tool.argv[0], tool.argv[1:]...).Output()
		if err != nil || len(out) == 0 {
			vs = append(vs, tool.name+" (missing)")
			continue
		}
		first, _, _ := strings.Cut(string(out), "\n")
		vs = append(vs, first)
	}
	return strings.Join(vs, ", ")
}

// buildFloor builds the smallest Go program that can stand in for gnohup:
// one that only execs its arguments. Its start-up is the Go runtime's floor.
func buildFloor() (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "gdetach-bench-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	src := "package main\n\nimport (\n\t\"os\"\n\t\"os/exec\"\n\t\"syscall\"\n)\n\n" +
		"func main() {\n\tp, _ := exec.LookPath(os.Args[1])\n\tsyscall.Exec(p, os.Args[1:], os.Environ())\n}\n"
	if path, err = buildGo(dir, "go-exec", src); err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}

// buildGo builds src, a main package, as dir/name, statically and stripped
// as make builds the commands.
func buildGo(dir, name, src string) (string, error) {
	pkg := filepath.Join(dir, name+".src")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(pkg, "main.go"), []byte(src), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(pkg, "go.mod"), []byte("module floor\n"), 0o644); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", path, ".")
	cmd.Dir = pkg
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the Go program %s: %v: %s", name, err, out)
	}
	return path, nil
}
