package execvp_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/tests/testutil"
)

func TestMain(m *testing.M) {
	// exec NAME [ARG]...: Exec NAME as execvp would, and on failure print
	// the error and exit with its status.
	testutil.RegisterHelper("exec", func(args []string) int {
		err := execvp.Exec(args[0], args, os.Environ())
		fmt.Fprintln(os.Stderr, err)
		return err.(*execvp.Error).ExitStatus()
	})
	testutil.Main(m)
}

// tree makes bin1/ and bin2/ under a temporary directory with the files given
// (name → content; "" makes a directory, a leading "0644:" a file that is
// not executable) and returns the root.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"bin1", "bin2"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		var err error
		switch {
		case content == "":
			err = os.Mkdir(p, 0o755)
		case strings.HasPrefix(content, "0644:"):
			err = os.WriteFile(p, []byte(strings.TrimPrefix(content, "0644:")), 0o644)
		default:
			err = os.WriteFile(p, []byte(content), 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const ok = "#!/bin/sh\necho ran $0\n"

func pathEnv(root string, dirs ...string) []string {
	var abs []string
	for _, d := range dirs {
		abs = append(abs, filepath.Join(root, d))
	}
	return []string{"PATH=" + strings.Join(abs, ":")}
}

func TestLookPath(t *testing.T) {
	for _, c := range []struct {
		name    string
		files   map[string]string
		path    []string
		arg     string
		want    string // found path relative to root, or ""
		wantErr error
		status  int
	}{
		{name: "found in the second directory", files: map[string]string{"bin2/prog": ok}, path: []string{"bin1", "bin2"}, arg: "prog", want: "bin2/prog"},
		{name: "first executable wins", files: map[string]string{"bin1/prog": ok, "bin2/prog": ok}, path: []string{"bin1", "bin2"}, arg: "prog", want: "bin1/prog"},
		{name: "non-executable skipped", files: map[string]string{"bin1/prog": "0644:x", "bin2/prog": ok}, path: []string{"bin1", "bin2"}, arg: "prog", want: "bin2/prog"},
		{name: "directory skipped", files: map[string]string{"bin1/prog": "", "bin2/prog": ok}, path: []string{"bin1", "bin2"}, arg: "prog", want: "bin2/prog"},
		{name: "only non-executable is EACCES", files: map[string]string{"bin1/prog": "0644:x"}, path: []string{"bin1", "bin2"}, arg: "prog", wantErr: syscall.EACCES, status: 126},
		{name: "nowhere is ENOENT", path: []string{"bin1", "bin2"}, arg: "prog", wantErr: syscall.ENOENT, status: 127},
		{name: "empty name", path: []string{"bin1"}, arg: "", wantErr: syscall.ENOENT, status: 127},
		{name: "slash: used as is", files: map[string]string{"bin1/prog": ok}, path: []string{"bin2"}, arg: "ROOT/bin1/prog", want: "bin1/prog"},
		{name: "slash: a directory", path: []string{"bin1"}, arg: "ROOT/bin1", wantErr: syscall.EACCES, status: 126},
		{name: "slash: through a file", files: map[string]string{"bin1/prog": ok}, path: []string{"bin1"}, arg: "ROOT/bin1/prog/x", wantErr: syscall.ENOTDIR, status: 126},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := tree(t, c.files)
			arg := strings.Replace(c.arg, "ROOT", root, 1)
			got, err := execvp.LookPath(arg, pathEnv(root, c.path...))
			if c.wantErr != nil {
				var ee *execvp.Error
				if !errors.As(err, &ee) || !errors.Is(err, c.wantErr) || ee.Name != arg || ee.ExitStatus() != c.status {
					t.Fatalf("LookPath(%q) = %q, %v; want an *Error naming it, for %v, status %d", arg, got, err, c.wantErr, c.status)
				}
				return
			}
			if err != nil || got != filepath.Join(root, c.want) {
				t.Errorf("LookPath(%q) = %q, %v; want %s", arg, got, err, filepath.Join(root, c.want))
			}
		})
	}
}

// glibc: an empty PATH, or an empty entry, is the current directory; an
// unset PATH is /bin:/usr/bin.
func TestCandidates(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want []string
	}{
		{nil, []string{"/bin/prog", "/usr/bin/prog"}},
		{[]string{"PATH="}, []string{"./prog"}},
		{[]string{"PATH=/a::/b:"}, []string{"/a/prog", "./prog", "/b/prog", "./prog"}},
		{[]string{"PATH=/x", "PATH=/a"}, []string{"/a/prog"}},
	} {
		if got := execvp.Candidates("prog", c.env); !slices.Equal(got, c.want) {
			t.Errorf("Candidates(prog, %q) = %q, want %q", c.env, got, c.want)
		}
	}
}

// Exec and Start go on past a file whose interpreter is missing, as execvp
// does, and run a script without #! through sh.
func TestSearchGoesOnAfterBadInterpreter(t *testing.T) {
	root := tree(t, map[string]string{"bin1/prog": "#!/nonexistent/interpreter\n", "bin2/prog": "echo ran from bin2\n"})
	env := pathEnv(root, "bin1", "bin2")
	var out strings.Builder
	cmd := &exec.Cmd{Args: []string{"prog"}, Env: env, Stdout: &out}
	started, err := execvp.Start(cmd, "prog")
	if err != nil {
		t.Fatal(err)
	}
	if err := started.Wait(); err != nil || out.String() != "ran from bin2\n" {
		t.Errorf("Start: %v, output %q; want bin2's through sh", err, out.String())
	}
	helper := testutil.HelperCommand(t, "exec", "prog")
	helper.Env = append(os.Environ(), env...)
	got, err := helper.Output()
	if err != nil || string(got) != "ran from bin2\n" {
		t.Errorf("Exec: %v, output %q; want bin2's", err, got)
	}
}

// Start skips a candidate that is not there without starting anything (a
// fork each was what a long PATH cost), judging a relative candidate from
// the directory the program starts in, as execve in that directory would.
func TestStartRelativePathEntryFromDir(t *testing.T) {
	root := tree(t, map[string]string{"bin2/prog": "echo ran from bin2\n"})
	var out strings.Builder
	cmd := &exec.Cmd{Args: []string{"prog"}, Env: []string{"PATH=/nonexistent:bin1:bin2"}, Dir: root, Stdout: &out}
	started, err := execvp.Start(cmd, "prog")
	if err != nil {
		t.Fatal(err)
	}
	if err := started.Wait(); err != nil || out.String() != "ran from bin2\n" {
		t.Errorf("Start: %v, output %q; want bin2/prog's, found from %s", err, out.String(), root)
	}
}

func TestExecFailure(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("true\n"), 0o644)
	for _, c := range []struct {
		arg    string
		status int
		msg    string
	}{
		{filepath.Join(dir, "nope"), 127, "failed to run command '" + dir + "/nope': No such file or directory\n"},
		{dir, 126, "failed to run command '" + dir + "': Permission denied\n"},
		{plain, 126, "failed to run command '" + plain + "': Permission denied\n"},
		{"gdetach-no-such-program", 127, "failed to run command 'gdetach-no-such-program': No such file or directory\n"},
	} {
		cmd := testutil.HelperCommand(t, "exec", c.arg)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		cmd.Run()
		if cmd.ProcessState.ExitCode() != c.status || stderr.String() != c.msg {
			t.Errorf("Exec(%q): status %d, %q; want %d, %q", c.arg, cmd.ProcessState.ExitCode(), stderr.String(), c.status, c.msg)
		}
	}
}

// As coreutils' nohup prints them (measured on Debian 12).
func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":     `'plain'`,
		"a b":       `'a b'`,
		"it's":      `"it's"`,
		"a'b'c":     `"a'b'c"`,
		"it's $x":   `'it'\''s $x'`,
		`x"y`:       `'x"y'`,
		`x\y`:       `'x\y'`,
		"new\nline": `'new'$'\n''line'`,
		"\ttab":     `''$'\t''tab'`,
		"\x01x":     `''$'\001''x'`,
		"x\x7f":     `'x'$'\177'`,
		"x\ry":      `'x'$'\r''y'`,
		"\xff":      `''$'\377'`,
		"café":      `'café'`,
		"":          `''`,
	} {
		if got := execvp.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
	if got := execvp.QuoteIfNeeded("plain name"); got != "plain name" {
		t.Errorf("QuoteIfNeeded(plain name) = %s", got)
	}
	if got := execvp.QuoteIfNeeded("a\nb"); got != `'a'$'\n''b'` {
		t.Errorf("QuoteIfNeeded(a\\nb) = %s", got)
	}
}

func TestErrorWording(t *testing.T) {
	e := &execvp.Error{Name: "a\nb", Err: syscall.ENOENT}
	if got := e.Error(); got != `failed to run command 'a'$'\n''b': No such file or directory` {
		t.Errorf("RunCommand: %s", got)
	}
	e.Wording = execvp.Execute
	if got := e.Error(); got != `failed to execute 'a'$'\n''b': No such file or directory` {
		t.Errorf("Execute: %s", got)
	}
	if got := execvp.Strerror(syscall.EACCES); got != "Permission denied" {
		t.Errorf("Strerror(EACCES) = %s", got)
	}
}
