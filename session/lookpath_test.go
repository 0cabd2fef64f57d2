package session

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// tree makes bin1/ and bin2/ under a temporary directory with the files given
// (name → mode; mode 0 makes a directory) and returns the root.
func tree(t *testing.T, files map[string]os.FileMode) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"bin1", "bin2"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, mode := range files {
		p := filepath.Join(root, name)
		var err error
		if mode == 0 {
			err = os.Mkdir(p, 0o755)
		} else {
			err = os.WriteFile(p, []byte("#!/bin/sh\n"), mode)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLookPath(t *testing.T) {
	for _, c := range []struct {
		name    string
		files   map[string]os.FileMode
		path    string // PATH, with ROOT/ prefixed to each entry; "unset" unsets it
		arg     string
		want    string // found path relative to root, or ""
		wantErr error
		status  int
	}{
		{name: "found in the second directory", files: map[string]os.FileMode{"bin2/prog": 0o755},
			path: "bin1:bin2", arg: "prog", want: "bin2/prog"},
		{name: "first executable wins", files: map[string]os.FileMode{"bin1/prog": 0o755, "bin2/prog": 0o755},
			path: "bin1:bin2", arg: "prog", want: "bin1/prog"},
		{name: "non-executable skipped for a later one", files: map[string]os.FileMode{"bin1/prog": 0o644, "bin2/prog": 0o755},
			path: "bin1:bin2", arg: "prog", want: "bin2/prog"},
		{name: "directory skipped for a later one", files: map[string]os.FileMode{"bin1/prog": 0, "bin2/prog": 0o755},
			path: "bin1:bin2", arg: "prog", want: "bin2/prog"},
		{name: "only non-executable is EACCES", files: map[string]os.FileMode{"bin1/prog": 0o644},
			path: "bin1:bin2", arg: "prog", wantErr: syscall.EACCES, status: 126},
		{name: "only a directory is EACCES", files: map[string]os.FileMode{"bin1/prog": 0},
			path: "bin1:bin2", arg: "prog", wantErr: syscall.EACCES, status: 126},
		{name: "nowhere is ENOENT", path: "bin1:bin2", arg: "prog", wantErr: syscall.ENOENT, status: 127},
		{name: "empty name", path: "bin1", arg: "", wantErr: syscall.ENOENT, status: 127},
		{name: "slash: used as is", files: map[string]os.FileMode{"bin1/prog": 0o755},
			path: "bin2", arg: "ROOT/bin1/prog", want: "bin1/prog"},
		{name: "slash: missing", path: "bin1", arg: "ROOT/bin1/nope", wantErr: syscall.ENOENT, status: 127},
		{name: "slash: not executable", files: map[string]os.FileMode{"bin1/prog": 0o644},
			path: "bin1", arg: "ROOT/bin1/prog", wantErr: syscall.EACCES, status: 126},
		{name: "slash: a directory", path: "bin1", arg: "ROOT/bin1", wantErr: syscall.EISDIR, status: 126},
		{name: "slash: through a file", files: map[string]os.FileMode{"bin1/prog": 0o755},
			path: "bin1", arg: "ROOT/bin1/prog/x", wantErr: syscall.ENOTDIR, status: 126},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := tree(t, c.files)
			var dirs []string
			for _, d := range filepath.SplitList(c.path) {
				dirs = append(dirs, filepath.Join(root, d))
			}
			t.Setenv("PATH", strings.Join(dirs, string(filepath.ListSeparator)))
			arg := c.arg
			if len(arg) >= 4 && arg[:4] == "ROOT" {
				arg = root + arg[4:]
			}
			got, err := LookPath(arg)
			if c.wantErr != nil {
				var ee *ExecError
				if !errors.As(err, &ee) || !errors.Is(err, c.wantErr) {
					t.Fatalf("LookPath(%q) = %q, %v; want an *ExecError for %v", arg, got, err, c.wantErr)
				}
				if ee.Name != arg || ee.ExitStatus() != c.status {
					t.Errorf("ExecError{Name: %q} status %d, want %q and %d", ee.Name, ee.ExitStatus(), arg, c.status)
				}
				return
			}
			if err != nil || got != filepath.Join(root, c.want) {
				t.Errorf("LookPath(%q) = %q, %v; want %s", arg, got, err, filepath.Join(root, c.want))
			}
		})
	}
}

func TestLookPathEmptyEntryIsCurrentDirectory(t *testing.T) {
	root := tree(t, map[string]os.FileMode{"bin1/prog": 0o755})
	t.Chdir(filepath.Join(root, "bin1"))
	t.Setenv("PATH", "/nonexistent:")
	got, err := LookPath("prog")
	if err != nil || got != "./prog" {
		t.Errorf("LookPath = %q, %v; want ./prog", got, err)
	}
}

func TestLookPathUnsetPathUsesDefault(t *testing.T) {
	t.Setenv("PATH", "")
	os.Unsetenv("PATH")
	got, err := LookPath("sh")
	if err != nil || (got != "/bin/sh" && got != "/usr/bin/sh") {
		t.Errorf("LookPath(sh) with PATH unset = %q, %v; want it from /bin:/usr/bin", got, err)
	}
}
