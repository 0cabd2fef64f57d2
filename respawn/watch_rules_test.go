package respawn

import (
	"errors"
	"path"
	"strings"
	"testing"
)

func TestCheckWatchIgnore(t *testing.T) {
	for _, c := range []struct {
		glob string
		want string // a part of the error; "" for none
	}{
		{"node_modules", ""},
		{"*.swp", ""},
		{"dist/*", ""},
		{"src/generated", ""},
		{"build/", ""},
		{"./dist", ""},
		{"/srv/app/tmp", ""},
		{"[a-z]*.tmp", ""},
		{"", "empty"},
		{"/", "empty"},
		{"./", "empty"},
		{"[", "syntax error in pattern"},
		{"a[", "syntax error in pattern"},
		{`x\`, "syntax error in pattern"},
		{"src/**/gen", "** is not supported"},
		{"**", "** is not supported"},
	} {
		err := CheckWatchIgnore(c.glob)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckWatchIgnore(%q) = %v, want nil", c.glob, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("CheckWatchIgnore(%q) = %v, want an error with %q", c.glob, err, c.want)
		}
	}
	if err := CheckWatchIgnore("["); !errors.Is(err, path.ErrBadPattern) {
		t.Errorf("CheckWatchIgnore(\"[\") = %v, not path.ErrBadPattern", err)
	}
}

// What a watch of /w/src (and of the file /w/app.conf) leaves out, for a
// set of patterns and the defaults.
func TestWatchRules(t *testing.T) {
	r, err := newWatchRules([]string{"/w/src", "/w/app.conf", "/w/src/vendor/keep"},
		[]string{"node_modules", "*.swp", "dist/*", "src/generated", "build/", "/w/src/abs/*.tmp"},
		[]string{"/w/src/app.log", "/w/src/app.status"})
	if err != nil {
		t.Fatal(err)
	}
	r.dirs = []string{"/w/src", "/w/src/vendor/keep"}
	for _, c := range []struct {
		path    string
		isDir   bool
		ignored bool
	}{
		{"/w/src/main.js", false, false},
		{"/w/src/lib", true, false},
		{"/w/src/lib/util.js", false, false},
		// A name anywhere, file or directory, and everything below.
		{"/w/src/node_modules", true, true},
		{"/w/src/node_modules/react/index.js", false, true},
		{"/w/src/lib/node_modules", true, true},
		{"/w/src/lib/node_modules/x/y.js", false, true},
		{"/w/src/lib/.main.js.swp", false, true},
		{"/w/src/x.swp", true, true},
		{"/w/src/x.swpx", false, false},
		// The defaults.
		{"/w/src/.git", true, true},
		{"/w/src/.git/HEAD", false, true},
		{"/w/src/sub/.git", false, true}, // a worktree's or submodule's .git file
		{"/w/src/.hg/store/data", false, true},
		{"/w/src/.svn", true, true},
		{"/w/src/.github/workflows/ci.yml", false, false},
		// A path relative to the watched directory: * does not cross a slash.
		{"/w/src/dist", true, false},
		{"/w/src/dist/bundle.js", false, true},
		{"/w/src/dist/assets", true, true},
		{"/w/src/dist/assets/logo.png", false, true},
		{"/w/src/lib/dist/bundle.js", false, false},
		{"/w/src/generated", true, false}, // src/generated is /w/src/src/generated
		{"/w/src/src/generated", true, true},
		{"/w/src/src/generated/api.go", false, true},
		// Directories only.
		{"/w/src/build", true, true},
		{"/w/src/build/out.o", false, true},
		{"/w/src/build", false, false},
		{"/w/src/lib/build", false, false},
		// An absolute path.
		{"/w/src/abs/x.tmp", false, true},
		{"/w/src/abs/x.go", false, false},
		// The supervisor's own files, and their rotations and temporaries.
		{"/w/src/app.log", false, true},
		{"/w/src/app.log.1", false, true},
		{"/w/src/app.log.2.gz", false, true},
		{"/w/src/app.log-20261130", false, true},
		{"/w/src/app.status", false, true},
		{"/w/src/.app.status.123456", false, true},
		{"/w/src/app.logger.js", false, false},
		// Watched paths themselves, even where a pattern matches them,
		// and what a watched directory below an ignored one keeps.
		{"/w/src", true, false},
		{"/w/app.conf", false, false},
		{"/w/src/vendor/keep", true, false},
		{"/w/src/vendor/keep/x.js", false, false},
		{"/w/src/vendor/keep/x.swp", false, true},
		// Outside every watched directory: the neighbours of a watched file.
		{"/w/other.conf", false, true},
	} {
		if got := r.ignored(c.path, c.isDir); got != c.ignored {
			t.Errorf("ignored(%q, dir %v) = %v, want %v", c.path, c.isDir, got, c.ignored)
		}
	}
}

// A watched directory at the root of the file system.
func TestWatchRulesRoot(t *testing.T) {
	r, err := newWatchRules([]string{"/"}, []string{"tmp/*", "proc"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.dirs = []string{"/"}
	for path, want := range map[string]bool{"/etc/passwd": false, "/tmp/x": true, "/tmp": false, "/proc": true, "/": false} {
		if got := r.ignored(path, path == "/tmp" || path == "/" || path == "/proc"); got != want {
			t.Errorf("ignored(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestWatchLimitErrorMessage(t *testing.T) {
	for _, c := range []struct {
		err  WatchLimitError
		want string
	}{
		{WatchLimitError{Path: "/src/a", Sysctl: "fs.inotify.max_user_watches", Limit: 8192},
			"/src/a: the kernel's limit of inotify watches is reached (fs.inotify.max_user_watches = 8192): raise it (sysctl fs.inotify.max_user_watches=524288), leave directories out of the watch, or poll instead"},
		{WatchLimitError{Path: "/src/a", Sysctl: "fs.inotify.max_user_watches", Limit: 1 << 20,
			Advice: WatchAdvice{Ignore: "leave directories out with --watch-ignore", Poll: "poll with --watch-poll"}},
			"/src/a: the kernel's limit of inotify watches is reached (fs.inotify.max_user_watches = 1048576): raise it (sysctl fs.inotify.max_user_watches=2097152), leave directories out with --watch-ignore, or poll with --watch-poll"},
		{WatchLimitError{Sysctl: "fs.inotify.max_user_instances", Limit: 128},
			"inotify_init1: the kernel's limit of inotify instances is reached (fs.inotify.max_user_instances = 128): raise it (sysctl fs.inotify.max_user_instances=1024), or poll instead"},
		{WatchLimitError{Path: "/src/a", Sysctl: "fs.inotify.max_user_watches", Limit: -1},
			"/src/a: the kernel's limit of inotify watches is reached (fs.inotify.max_user_watches): raise it, leave directories out of the watch, or poll instead"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}
