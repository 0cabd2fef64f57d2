package daemonize

import (
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
)

// FuzzEnvSetting checks the -E NAME=VALUE check against its specification: a
// setting has an '=', a NAME before the first one that is not empty, and no
// NUL (which no environment can hold); VALUE may be empty and hold anything
// else, '=' and newlines included. It checks that an accepted setting is
// what the daemon's environment then holds, and that an error shows the
// setting as given, on one printable line.
func FuzzEnvSetting(f *testing.F) {
	for _, s := range []string{
		"A=1", "NAME=VALUE", "EMPTY=", "a=b=c", "PATH=/bin:/usr/bin", "X=line one\nline two", "_=ü", "A B=1", "ü=1", "A=\xff",
		"", "=", "==", "=x", "=A=1", "NOEQUALS", " ", "A\x00=1", "\x00=1", "A=\x00", "A=1\x00", "\x00", "A\n", "\u202e=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, kv string) {
		err := checkEnv(kv)
		if verr := (&Config{Env: []string{kv}}).validate(); (verr == nil) != (err == nil) || (err != nil && verr.Error() != err.Error()) {
			t.Fatalf("validate of %q = %v, checkEnv = %v", kv, verr, err)
		}
		eq := strings.IndexByte(kv, '=')
		switch {
		case eq <= 0:
			fuzzCheckEnvError(t, kv, err, "want NAME=VALUE")
		case strings.IndexByte(kv, 0) >= 0:
			fuzzCheckEnvError(t, kv, err, "an environment cannot hold a NUL")
		default:
			if err != nil {
				t.Fatalf("checkEnv(%q) = %v, want nil", kv, err)
			}
			if _, err := syscall.ByteSliceFromString(kv); err != nil {
				t.Fatalf("checkEnv accepted %q, which exec cannot pass: %v", kv, err)
			}
			if env := environment([]string{kv[:eq] + "=before"}, []string{kv}, nil); !slices.Contains(env, kv) {
				t.Fatalf("checkEnv accepted %q, but the environment is %q", kv, env)
			}
		}
	})
}

// fuzzCheckEnvError fails unless err is "invalid environment setting 'KV':
// why", with KV as given or, when not all printable, in Go's escapes.
func fuzzCheckEnvError(t *testing.T, kv string, err error, why string) {
	t.Helper()
	if err == nil {
		t.Fatalf("checkEnv(%q) accepted, want %q", kv, why)
	}
	msg := err.Error()
	if !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return !strconv.IsPrint(r) }) {
		t.Fatalf("checkEnv(%q): error %q is not one line of printable characters", kv, msg)
	}
	shown, ok := strings.CutPrefix(msg, "invalid environment setting '")
	if ok {
		shown, ok = strings.CutSuffix(shown, "': "+why)
	}
	if !ok {
		t.Fatalf("checkEnv(%q): error %q, want \"invalid environment setting '...': %s\"", kv, msg, why)
	}
	if shown != kv {
		if u, err := strconv.Unquote(`"` + shown + `"`); err != nil || u != kv {
			t.Fatalf("checkEnv(%q): error shows the setting as %q", kv, shown)
		}
	}
}
