// Package envfile reads environment files: the KEY=VALUE lines that
// systemd's EnvironmentFile= and docker's --env-file both read the same way.
//
// # Format
//
// One setting per line, KEY=VALUE. KEY is a letter or underscore followed by
// letters, digits and underscores. VALUE is everything after the first '=',
// taken literally, and may be empty. Empty lines and lines whose first
// non-blank character is '#' are ignored. Lines the two readers take
// differently are refused rather than guessed at: a quote anywhere in the
// value (systemd removes quotes, docker keeps them), a backslash (systemd
// reads escapes), blanks around the value (systemd strips them, docker keeps
// them), and a KEY with no '=' (docker passes on the caller's value). A NUL
// cannot be passed to a program at all.
package envfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// MaxSize is the largest environment file read: larger is surely a mistake.
const MaxSize = 1 << 20

// A SyntaxError locates a line that is not a setting.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Parse reads the settings in b, in order, as NAME=VALUE strings.
func Parse(b []byte) ([]string, error) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return nil, &SyntaxError{Line: 1 + bytes.Count(b[:i], []byte("\n")), Msg: "a NUL byte, which no environment can hold"}
	}
	var env []string
	for i, line := range strings.Split(string(b), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		switch {
		case !ok:
			return nil, &SyntaxError{Line: n, Msg: "no '=': want KEY=VALUE"}
		case !validKey(key):
			return nil, &SyntaxError{Line: n, Msg: fmt.Sprintf("%q is not a variable name (a letter or _, then letters, digits and _)", key)}
		case strings.ContainsAny(value, "\"'`"):
			return nil, &SyntaxError{Line: n, Msg: "quotes in the value, which systemd removes and docker keeps: write the value without them"}
		case strings.ContainsRune(value, '\\'):
			return nil, &SyntaxError{Line: n, Msg: "a backslash in the value, which systemd reads as an escape and docker keeps"}
		case value != strings.TrimSpace(value):
			return nil, &SyntaxError{Line: n, Msg: "blanks around the value, which systemd strips and docker keeps"}
		}
		env = append(env, key+"="+value)
	}
	return env, nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Read reads the environment file at path: a regular file (a FIFO or device
// is refused before it could block), of at most MaxSize bytes.
func Read(path string) ([]string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxSize)
	}
	env, err := Parse(b)
	var se *SyntaxError
	if errors.As(err, &se) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return env, err
}
