//go:build linux

package tests

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// mkTree makes the files (ending in /: directories) under dir.
func mkTree(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, []byte("v1"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustWrite(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// usesInotify reports whether pid holds an inotify descriptor.
func usesInotify(t *testing.T, pid int) bool {
	t.Helper()
	for _, target := range fdTargets(t, pid) {
		if target == "anon_inode:inotify" {
			return true
		}
	}
	return false
}

// restarts are the "files changed" lines in grespawn's messages.
func (g *grespawnRun) restarts() []string {
	var lines []string
	for _, line := range strings.Split(g.messages(), "\n") {
		if strings.HasPrefix(line, "grespawn: files changed") {
			lines = append(lines, line)
		}
	}
	return lines
}

// Changes that --watch-ignore leaves out, and those below .git, restart
// nothing, while a change to a watched file does. The ignored changes are
// made first and the watched one last: inotify gives the events in order,
// so had an ignored change counted, the restart's message would name it
// first, or there would be two restarts; exactly one, naming the watched
// file alone, and the second run started after it, prove that none counted.
func TestGrespawnWatchIgnore(t *testing.T) {
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	mkTree(t, src, "main.js", "lib/util.js", "node_modules/pkg/index.js", ".git/HEAD", "server.log")
	g := startGrespawn(t, dir, append([]string{"--watch", src, "--watch-debounce", "50ms",
		"--watch-ignore", "*.log", "--watch-ignore", "node_modules"}, helperArgs("sleep", dir)...)...)
	first := g.ready()
	if !usesInotify(t, g.proc.PID) {
		t.Error("grespawn holds no inotify descriptor")
	}
	os.Remove(filepath.Join(dir, "pid"))
	mustWrite(t, filepath.Join(src, "server.log"), "a line\n")
	mustWrite(t, filepath.Join(src, "lib", "debug.log"), "a line\n")
	mustWrite(t, filepath.Join(src, "node_modules", "pkg", "index.js"), "v2")
	mkTree(t, src, "node_modules/new/index.js", "lib/node_modules/x/y.js")
	mustWrite(t, filepath.Join(src, ".git", "HEAD"), "ref: refs/heads/other")
	mustWrite(t, filepath.Join(src, "lib", "util.js"), "v2")
	second := g.ready()
	killAtCleanup(t, second)
	if second == first {
		t.Fatal("the command was not restarted")
	}
	want := "grespawn: files changed (" + filepath.Join(src, "lib", "util.js") + "): restarting helper (pid " + strconv.Itoa(first) + ")"
	if got := g.restarts(); !slices.Equal(got, []string{want}) {
		t.Errorf("the restarts said\n%s\nwant\n%s\nall messages:\n%s", strings.Join(got, "\n"), want, g.messages())
	}
	if n := strings.Count(g.messages(), "grespawn: started helper"); n != 2 {
		t.Errorf("%d runs started, want 2:\n%s", n, g.messages())
	}
}

// --watch-poll finds changes without inotify: grespawn holds no inotify
// descriptor (the inotify test above holds one), and a change deep in the
// tree restarts the command, the message naming it; what is ignored is
// still not walked.
func TestGrespawnWatchPoll(t *testing.T) {
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	mkTree(t, src, "main.js", "lib/deep/er/util.js", "node_modules/pkg/index.js")
	g := startGrespawn(t, dir, append([]string{"--watch", src, "--watch-poll", "100ms", "--watch-debounce", "50ms",
		"--watch-ignore", "node_modules"}, helperArgs("sleep", dir)...)...)
	first := g.ready()
	if usesInotify(t, g.proc.PID) {
		t.Error("grespawn holds an inotify descriptor while polling")
	}
	os.Remove(filepath.Join(dir, "pid"))
	mustWrite(t, filepath.Join(src, "lib", "deep", "er", "util.js"), "v2, longer")
	second := g.ready()
	killAtCleanup(t, second)
	if second == first {
		t.Fatal("the command was not restarted")
	}
	want := "grespawn: files changed (" + filepath.Join(src, "lib", "deep", "er", "util.js") + "): restarting helper (pid " + strconv.Itoa(first) + ")"
	if got := g.restarts(); !slices.Equal(got, []string{want}) {
		t.Errorf("the restarts said\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	waitGone(t, first)
}

// inUserNamespace makes cmd run in a user namespace of its own, where it
// first lowers that namespace's limit of inotify watches to watches: a
// limit that binds it alone, and goes with it (Linux 4.9).
func inUserNamespace(cmd *exec.Cmd, watches int) {
	cmd.Args = append([]string{"sh", "-c", "echo " + strconv.Itoa(watches) + ` > /proc/sys/user/max_inotify_watches && exec "$@"`, "sh", cmd.Path}, cmd.Args[1:]...)
	cmd.Path = "/bin/sh"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
}

// skipWithoutUserNamespaces skips the test where this process cannot make
// a user namespace (a kernel or container that forbids them).
func skipWithoutUserNamespaces(t *testing.T) {
	t.Helper()
	cmd := exec.Command("true")
	inUserNamespace(cmd, 8)
	if err := cmd.Run(); err != nil {
		t.Skipf("no user namespace with its own inotify limit: %v", err)
	}
}

// The kernel's limit of inotify watches, reached when grespawn starts, is
// a 125 that names the limit, its value and the ways around it; both ways
// work: the directories left out with --watch-ignore spend no watch, and
// --watch-poll spends none at all.
func TestGrespawnWatchLimitAtStart(t *testing.T) {
	skipWithoutUserNamespaces(t)
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	mkTree(t, src, "main.js", "a/", "b/", "c/", "vendor/x/", "vendor/y/")
	run := func(args ...string) (int, string) {
		cmd := exec.Command("grespawn", append(args, "-m", "1", "--", "true")...)
		inUserNamespace(cmd, 3) // src's parent, src and a
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), stderr.String()
	}
	status, stderr := run("--watch", src)
	re := regexp.MustCompile(`^grespawn: watch: ` + regexp.QuoteMeta(src) + `/[a-c]: the kernel's limit of inotify watches is reached \(user\.max_inotify_watches = 3\): raise it \(sysctl user\.max_inotify_watches=524288\), leave directories out with --watch-ignore, or poll with --watch-poll\n$`)
	if status != 125 || !re.MatchString(stderr) {
		t.Errorf("status %d, stderr:\n%s\nwant 125 and\n%s", status, stderr, re)
	}
	for _, args := range [][]string{
		{"--watch", src, "--watch-ignore", "[b-c]", "--watch-ignore", "vendor"},
		{"--watch", src, "--watch-poll", "1s"},
	} {
		if status, stderr := run(args...); status != 0 {
			t.Errorf("%q: status %d, want 0:\n%s", args, status, stderr)
		}
	}
}

// The limit reached while grespawn runs (a directory made later) is said
// once, and the supervision and the watch go on.
func TestGrespawnWatchLimitWhileRunning(t *testing.T) {
	skipWithoutUserNamespaces(t)
	dir := tempDir(t)
	src := filepath.Join(dir, "src")
	mkTree(t, src, "a/main.js")
	g := startGrespawnWith(t, dir, func(cmd *exec.Cmd) { inUserNamespace(cmd, 4) },
		append([]string{"--watch", src, "--watch-debounce", "50ms"}, helperArgs("sleep", dir)...)...)
	first := g.ready()
	os.Remove(filepath.Join(dir, "pid"))
	mkTree(t, src, "n1/", "n2/") // n1 takes the last watch; n2 finds none
	want := "grespawn: watch: " + filepath.Join(src, "n2") + ": the kernel's limit of inotify watches is reached (user.max_inotify_watches = 4): raise it (sysctl user.max_inotify_watches=524288), leave directories out with --watch-ignore, or poll with --watch-poll; directories made from now on may go unwatched, without another message\n"
	g.waitFor("the limit said", func() bool { return strings.Contains(g.messages(), want) })
	second := g.ready() // the new directories are changes too
	if second == first {
		t.Fatal("the command was not restarted")
	}
	os.Remove(filepath.Join(dir, "pid"))
	mustWrite(t, filepath.Join(src, "a", "main.js"), "v2")
	third := g.ready()
	killAtCleanup(t, third)
	if third == second {
		t.Fatal("a change after the limit did not restart the command")
	}
	if n := strings.Count(g.messages(), "the kernel's limit"); n != 1 {
		t.Errorf("the limit said %d times, want once:\n%s", n, g.messages())
	}
}

// The command line of the watch's options.
func TestGrespawnWatchCommandLine(t *testing.T) {
	const try = "\nTry 'grespawn --help' for more information.\n"
	runCLI(t, "grespawn", []cliCase{
		{args: args("--watch", ".", "--watch-ignore", "", "true"), status: 125, stderrRE: "^grespawn: invalid argument '' for '--watch-ignore': cannot be empty" + try + "$"},
		{args: args("--watch", ".", "--watch-ignore", "[a-", "true"), status: 125, stderrRE: `^grespawn: invalid argument '\[a-' for '--watch-ignore': syntax error in pattern` + try + "$"},
		{args: args("--watch", ".", "--watch-ignore", "src/**/gen", "true"), status: 125, stderrRE: `^grespawn: invalid argument 'src/\*\*/gen' for '--watch-ignore': \*\* is not supported: a pattern without a slash matches a name at any depth` + try + "$"},
		{args: args("--watch-ignore", "node_modules", "true"), status: 125, stderrRE: "^grespawn: --watch-ignore goes with --watch" + try + "$"},
		{args: args("--watch", ".", "--watch-poll", "0", "true"), status: 125, stderrRE: "^grespawn: invalid argument '0' for '--watch-poll': it must be more than 0" + try + "$"},
		{args: args("--watch", ".", "--watch-poll", "-1s", "true"), status: 125, stderrRE: "^grespawn: invalid argument '-1s' for '--watch-poll': a duration cannot be negative" + try + "$"},
		{args: args("--watch", ".", "--watch-poll", "often", "true"), status: 125, stderrRE: "^grespawn: invalid argument 'often' for '--watch-poll': want a duration such as 500ms, 10s or 2m" + try + "$"},
		{args: args("--watch-poll", "1s", "true"), status: 125, stderrRE: "^grespawn: --watch-poll goes with --watch" + try + "$"},
		{args: args("--watch", "/nonexistent/src", "--watch-poll", "1s", "true"), status: 125, stderrRE: "^grespawn: watch: stat /nonexistent/src: No such file or directory\n$"},
		{args: args("--watch", ".", "--watch-ignore", "/", "true"), status: 125, stderrRE: "^grespawn: invalid argument '/' for '--watch-ignore': an empty pattern matches nothing" + try + "$"},
		// A pattern may match the watched path itself: it is watched all
		// the same, and the run goes ahead.
		{args: args("--watch", ".", "--watch-ignore", "*", "-m", "1", "true"), stderrRE: "^grespawn: started true "},
	})
}
