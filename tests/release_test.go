//go:build linux

package tests

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// releaseVersion is the VERSION file's version, the one make stamps.
func releaseVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// needTools skips t unless every tool is on $PATH.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: %v", tool, err)
		}
	}
}

// runMake runs make TARGET VARS... in the source tree and fails t if it
// fails. The environment of an enclosing make (make test) is dropped, so
// that its command-line variables do not reach this one.
func runMake(t *testing.T, target string, vars ...string) {
	t.Helper()
	if out, err := makeCommand(target, vars...).CombinedOutput(); err != nil {
		t.Fatalf("make %s %s: %v\n%s", target, strings.Join(vars, " "), err, out)
	}
}

// makeCommand is make TARGET VARS… in the top directory, without what a
// make running the tests passes down to its children.
func makeCommand(target string, vars ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"--no-print-directory", target}, vars...)...)
	cmd.Dir = ".."
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// output runs name with args and fails t if it fails.
func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// TestInstallUninstall installs into a DESTDIR and checks that make
// uninstall removes every file make install put there.
func TestInstallUninstall(t *testing.T) {
	needTools(t, "make", "install")
	dir := tempDir(t)
	dest := filepath.Join(dir, "root")
	runMake(t, "install", "DESTDIR="+dest, "PREFIX=/usr/local")
	var installed []string
	filepath.WalkDir(dest, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dest, path)
			installed = append(installed, rel)
		}
		return err
	})
	var want []string
	for _, c := range commands {
		want = append(want,
			"usr/local/bin/"+c,
			"usr/local/share/man/man1/"+c+".1",
			"usr/local/share/bash-completion/completions/"+c,
			"usr/local/share/zsh/site-functions/_"+c,
			"usr/local/share/fish/vendor_completions.d/"+c+".fish")
	}
	slices.Sort(want)
	if !slices.Equal(installed, want) {
		t.Errorf("make install installed\n%s\nwant\n%s", strings.Join(installed, "\n"), strings.Join(want, "\n"))
	}
	runMake(t, "uninstall", "DESTDIR="+dest, "PREFIX=/usr/local")
	var left []string
	filepath.WalkDir(dest, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, path)
		}
		return err
	})
	if len(left) > 0 {
		t.Errorf("make uninstall left %q", left)
	}
}

// A PREFIX or DESTDIR with a blank, which make would split into pieces
// (make install created PREFIX's first word and a directory named after the
// second in the source tree), is refused before anything is made or
// removed.
func TestInstallRefusesBlanks(t *testing.T) {
	needTools(t, "make", "install")
	dir := tempDir(t)
	for _, target := range []string{"install", "uninstall"} {
		for _, v := range []string{"PREFIX=" + dir + "/pre fix", "DESTDIR=" + dir + "/de st"} {
			out, err := makeCommand(target, v).CombinedOutput()
			if err == nil || !strings.Contains(string(out), "make: PREFIX, DESTDIR and the install directories cannot contain blanks") {
				t.Errorf("make %s %q: %v, %s; want it refused", target, v, err, out)
			}
		}
	}
	for _, left := range []string{dir + "/pre", dir + "/de", "../fix", "../st"} {
		if _, err := os.Lstat(left); err == nil {
			t.Errorf("%s was made", left)
		}
	}
}

// TestDist builds the release tarball of this machine's platform (make dist
// builds seven; one is enough to check what each holds, and keeps the test
// short), checks its contents, owners and modes, verifies SHA256SUMS with
// sha256sum -c, runs a command from it, and builds it again to check that
// the same commit gives the same bytes.
func TestDist(t *testing.T) {
	needTools(t, "make", "tar", "gzip", "sha256sum")
	version := releaseVersion(t)
	dir := tempDir(t)
	target := "linux/" + runtime.GOARCH
	build := func(distdir string) string {
		runMake(t, "dist", "DIST_TARGETS="+target, "DISTDIR="+distdir, "BUILDDIR="+filepath.Join(distdir, "build"))
		return filepath.Join(distdir, fmt.Sprintf("gdetach-%s-linux-%s.tar.gz", version, runtime.GOARCH))
	}
	tarball := build(filepath.Join(dir, "a"))

	top := "gdetach-" + version + "/"
	want := []string{top, top + "LICENSE", top + "NEWS", top + "README.md", top + "bin/", top + "completions/", top + "man/", top + "man/man1/"}
	for _, shell := range []string{"bash", "fish", "zsh"} {
		want = append(want, top+"completions/"+shell+"/")
	}
	for _, c := range commands {
		want = append(want, top+"bin/"+c, top+"man/man1/"+c+".1",
			top+"completions/bash/"+c, top+"completions/zsh/_"+c, top+"completions/fish/"+c+".fish")
	}
	slices.Sort(want)
	var names []string
	for _, h := range tarHeaders(t, tarball) {
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner %d/%d (%q/%q), want 0/0 and no names", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		wantMode := int64(0o644)
		if h.Typeflag == tar.TypeDir || strings.HasPrefix(h.Name, top+"bin/") {
			wantMode = 0o755
		}
		if h.Mode&0o7777 != wantMode {
			t.Errorf("%s: mode %o, want %o", h.Name, h.Mode, wantMode)
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("the tarball holds, in this order,\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}

	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = filepath.Dir(tarball)
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), filepath.Base(tarball)+": OK") {
		t.Errorf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}

	extract := filepath.Join(dir, "x")
	os.Mkdir(extract, 0o755)
	output(t, "tar", "-C", extract, "-xzf", tarball)
	got := output(t, filepath.Join(extract, top, "bin", "grespawn"), "--version")
	if first := strings.SplitN(got, "\n", 2)[0]; first != "grespawn (gdetach) "+version {
		t.Errorf("grespawn --version from the tarball says %q, want %q", first, "grespawn (gdetach) "+version)
	}

	again := build(filepath.Join(dir, "b"))
	if a, b := readFile(t, tarball), readFile(t, again); a != b {
		t.Errorf("two make dist runs of one commit made different tarballs (%d and %d bytes)", len(a), len(b))
	}
}

// tarHeaders lists a .tar.gz's headers in order.
func tarHeaders(t *testing.T, path string) []*tar.Header {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var headers []*tar.Header
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		headers = append(headers, h)
	}
}

// dpkgExcluded returns whether dpkg's configuration keeps a path out of
// every installation (path-exclude in /etc/dpkg/dpkg.cfg.d, as slim
// container images have for /usr/share/man and /usr/share/doc). Its
// patterns are fnmatch(3) globs without FNM_PATHNAME: * matches / too.
func dpkgExcluded(t *testing.T) func(path string) bool {
	t.Helper()
	var exclude, include []*regexp.Regexp
	files, _ := filepath.Glob("/etc/dpkg/dpkg.cfg.d/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			key, pattern, ok := strings.Cut(strings.TrimSpace(line), "=")
			if !ok {
				key, pattern, ok = strings.Cut(strings.TrimSpace(line), " ")
			}
			if !ok || (key != "path-exclude" && key != "path-include") {
				continue
			}
			re := regexp.MustCompile("^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(strings.TrimSpace(pattern))) + "$")
			if key == "path-exclude" {
				exclude = append(exclude, re)
			} else {
				include = append(include, re)
			}
		}
	}
	matches := func(res []*regexp.Regexp, path string) bool {
		return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(path) })
	}
	return func(path string) bool { return matches(exclude, path) && !matches(include, path) }
}

// dpkgLock serialises the tests that install packages, across the test
// binaries go test runs in parallel: a flock on a file of our own (dpkg's
// own locks are fcntl locks, which dpkg -i takes itself).
func dpkgLock(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "gdetach-tests-dpkg.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatalf("flock %s: %v", f.Name(), err)
	}
	t.Cleanup(func() { f.Close() })
}

// TestDebPackage builds the Debian package, checks it with lintian, installs
// it with dpkg -i, runs each command from /usr/bin, opens each man page,
// checks that bash-completion, zsh and fish find the completions, removes it
// with dpkg -r, and checks that nothing it installed is left.
func TestDebPackage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("dpkg -i needs root")
	}
	needTools(t, "make", "dpkg", "dpkg-deb", "dpkg-query", "gzip", "man")
	if out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status}", "gdetach").Output(); err == nil && string(out) != "not-installed" {
		t.Skipf("gdetach is already installed here (%s), and the test would remove it", out)
	}
	version := releaseVersion(t)
	arch := strings.TrimSpace(output(t, "dpkg", "--print-architecture"))
	dir := tempDir(t)
	runMake(t, "deb", "DEBDIR="+dir, "BUILDDIR="+filepath.Join(dir, "build"))
	deb := filepath.Join(dir, fmt.Sprintf("gdetach_%s_%s.deb", version, arch))

	if _, err := exec.LookPath("lintian"); err == nil {
		// Lintian refuses nothing as root, but says so on stderr.
		out, err := exec.Command("lintian", "--fail-on", "error,warning", deb).Output()
		if err != nil || len(out) > 0 {
			t.Errorf("lintian %s: %v\n%s", deb, err, out)
		}
	} else {
		t.Log("lintian is not installed: the package is not checked by it")
	}

	dpkgLock(t)
	t.Cleanup(func() {
		if out, err := exec.Command("dpkg", "-r", "gdetach").CombinedOutput(); err != nil {
			t.Errorf("cleanup: dpkg -r gdetach: %v\n%s", err, out)
		}
	})
	output(t, "dpkg", "-i", deb)
	listed := strings.Fields(output(t, "dpkg", "-L", "gdetach"))
	excluded := dpkgExcluded(t)
	var files []string
	for _, path := range listed {
		if fi, err := os.Lstat(path); err != nil && excluded(path) {
			t.Logf("%s is not installed: dpkg's path-exclude (a slim image?)", path)
		} else if err != nil {
			t.Errorf("dpkg -L lists %s, which is not there: %v", path, err)
		} else if !fi.IsDir() {
			files = append(files, path)
		}
	}

	for _, c := range commands {
		bin := "/usr/bin/" + c
		if !slices.Contains(files, bin) {
			t.Errorf("the package does not install %s", bin)
			continue
		}
		got := output(t, bin, "--version")
		if first := strings.SplitN(got, "\n", 2)[0]; first != c+" (gdetach) "+version {
			t.Errorf("%s --version says %q, want %q", bin, first, c+" (gdetach) "+version)
		}
		if excluded("/usr/share/man/man1/" + c + ".1.gz") {
			continue
		}
		if page := strings.TrimSpace(output(t, "man", "-w", c)); page != "/usr/share/man/man1/"+c+".1.gz" {
			t.Errorf("man -w %s finds %q, want the package's /usr/share/man/man1/%s.1.gz", c, page, c)
		}
		man := exec.Command("man", c)
		man.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
		if out, err := man.Output(); err != nil || !strings.Contains(string(out), "NAME") || !strings.Contains(string(out), c) {
			t.Errorf("man %s: %v\n%s", c, err, out)
		}
	}

	// Each shell finds the completions where the package put them, with
	// nothing sourced by hand.
	if _, err := os.Stat(bashCompletion); err == nil {
		for _, c := range commands {
			// bash-completion 2.11 loads on demand with __load_completion;
			// 2.12 renamed it _comp_load.
			script := fmt.Sprintf(". %s; { _comp_load %s || __load_completion %s; } 2>/dev/null; complete -p %s", bashCompletion, c, c, c)
			out, err := exec.Command("bash", "-c", script).CombinedOutput()
			if want := fmt.Sprintf("complete -F _comp_gdetach_%s %s\n", c, c); err != nil || string(out) != want {
				t.Errorf("bash-completion does not load the package's %s completion: %v, %q, want %q", c, err, out, want)
			}
		}
	}
	if _, err := exec.LookPath("zsh"); err == nil {
		home := tempDir(t)
		cmd := exec.Command("zsh", "-f", "-c", `autoload -Uz compinit; compinit -u -d "$HOME/zcompdump"; print -r -- ${_comps[gdaemonize]}`)
		cmd.Env = append(os.Environ(), "HOME="+home)
		if out, err := cmd.CombinedOutput(); err != nil || string(out) != "_gdaemonize\n" {
			t.Errorf("zsh's compinit does not find _gdaemonize: %v, %q", err, out)
		}
	}
	if _, err := exec.LookPath("fish"); err == nil {
		// fish --no-config would not look anywhere; an empty HOME keeps
		// the user's own completions out of it.
		home := tempDir(t)
		cmd := exec.Command("fish", "-c", `complete -C "grespawn --restart on"`)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_DATA_HOME="+home)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "on-failure\t") {
			t.Errorf("fish does not find grespawn's completion: %v, %q", err, out)
		}
	}

	output(t, "dpkg", "-r", "gdetach")
	for _, path := range files {
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dpkg -r gdetach left %s (%v)", path, err)
		}
	}
	for _, d := range []string{"/usr/share/doc/gdetach", "/usr/share/lintian/overrides/gdetach"} {
		if _, err := os.Lstat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dpkg -r gdetach left %s (%v)", d, err)
		}
	}
}
