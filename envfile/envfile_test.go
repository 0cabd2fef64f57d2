package envfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParse(t *testing.T) {
	got, err := Parse([]byte("# a comment\n\n  # indented comment\nA=1\nB=\nPATH=/usr/bin:/bin\nC=x=y\r\nD=two words\n"))
	want := []string{"A=1", "B=", "PATH=/usr/bin:/bin", "C=x=y", "D=two words"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Parse = %q, %v; want %q", got, err, want)
	}
	for text, msg := range map[string]string{
		"A":           "line 1: no '='",
		"#x\nA=\"q\"": "line 2: quotes",
		"A='q'":       "line 1: quotes",
		"A=a\\nb":     "line 1: a backslash",
		"A= 1":        "line 1: blanks",
		"A=1 ":        "line 1: blanks",
		"1A=x":        `line 1: "1A" is not a variable name`,
		"=x":          `line 1: "" is not a variable name`,
		"A B=x":       `line 1: "A B" is not a variable name`,
		"export A=1":  `line 1: "export A" is not a variable name`,
		"A=1\nB=\x00": "line 2: a NUL byte",
	} {
		if _, err := Parse([]byte(text)); err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("Parse(%q) = %v, want %q", text, err, msg)
		}
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "app.env")
	os.WriteFile(good, []byte("A=1\n"), 0o644)
	if env, err := Read(good); err != nil || !slices.Equal(env, []string{"A=1"}) {
		t.Errorf("Read = %q, %v", env, err)
	}
	fifo := filepath.Join(dir, "fifo")
	unix.Mkfifo(fifo, 0o644)
	huge := filepath.Join(dir, "huge")
	f, _ := os.Create(huge)
	f.Truncate(MaxSize + 1)
	f.Close()
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("A=1\nnope\n"), 0o644)
	for path, msg := range map[string]string{
		fifo:                       "not a regular file",
		huge:                       "larger than",
		bad:                        bad + ": line 2: no '='",
		filepath.Join(dir, "none"): "no such file",
		dir:                        "not a regular file",
	} {
		if _, err := Read(path); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Read(%s) = %v, want %q", path, err, msg)
		}
	}
}
