package envfile

import (
	"strings"
	"testing"
)

// FuzzParse: whatever the file, Parse returns settings that a program can
// be given and that both systemd and docker would read the same way, or an
// error naming a line of the file.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"", "A=1\n", "# c\nA=1\nB=\n", "A", "A=\"1\"", "A=1 ", "=1", "A=\\n", "A=1\r\nB=2", "\x00", "é=1", "A=é", "\n\n\n#"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := Parse(b)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok || se.Line < 1 || se.Line > strings.Count(string(b), "\n")+1 {
				t.Fatalf("error %v does not name a line of the file", err)
			}
			return
		}
		for _, kv := range env {
			key, value, ok := strings.Cut(kv, "=")
			if !ok || !validKey(key) || strings.ContainsAny(value, "\x00\n\"'`\\") || value != strings.TrimSpace(value) {
				t.Fatalf("setting %q is not one both readers agree on", kv)
			}
			if !strings.Contains(string(b), kv) {
				t.Fatalf("setting %q is not in the file", kv)
			}
		}
	})
}
