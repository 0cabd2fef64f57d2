package pidfile

import (
	"bytes"
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pidSyntax is what a pidfile holds, by the policy: a decimal number without
// sign or leading zero, and an optional newline.
var pidSyntax = regexp.MustCompile(`^[1-9][0-9]*\n?$`)

// errorForms are the messages Parse may give: none repeats what the file
// holds, but a number too large to be a PID.
var errorForms = regexp.MustCompile(`^not a pidfile: (it is empty|it holds more than a PID|it does not hold a PID|[1-9][0-9]* is above the largest PID, [0-9]+)$`)

// FuzzParse checks Parse against the policy, written out here apart from
// it: exactly the content pidSyntax matches, of at most MaxSize bytes, with a
// value from 1 to MaxPID, is a PID; anything else is ErrNotPIDFile, whose
// message never quotes the content (another user may have written it), and
// what Format writes reads back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"42\n", "1", "7\n", "4194303\n", "32767\n",
		"", "\n", " 7 ", "\t123\r\n", "+5\n", "0042", "0\n", "-3\n", "-0", "+", "12ab\n", "0x10", "1e3", "1_000",
		"4 2", "42\n43\n", "42\n\n", "2147483648", "2170000000", "4294967295", "4294967296", "9223372036854775808",
		"99999999999999999999\n", "99999999999999999999999999", "\x00", "42\x00", "\xff42", "١٢", "４２", "\u202e42",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		pid, err := Parse(b)
		if !bytes.Equal(b, orig) {
			t.Fatalf("Parse(%q) changed its input to %q", orig, b)
		}
		want := 0
		if len(b) <= MaxSize && pidSyntax.Match(b) {
			n, _ := new(big.Int).SetString(strings.TrimSuffix(string(b), "\n"), 10)
			if n.Cmp(big.NewInt(int64(MaxPID()))) <= 0 {
				want = int(n.Int64())
			}
		}
		if want == 0 {
			if err == nil || pid != 0 || !errors.Is(err, ErrNotPIDFile) {
				t.Fatalf("Parse(%q) = %d, %v; want ErrNotPIDFile", b, pid, err)
			}
			if !errorForms.MatchString(err.Error()) {
				t.Fatalf("Parse(%q): error %q is none of the forms it may take (which quote no content)", b, err)
			}
			return
		}
		if err != nil || pid != want {
			t.Fatalf("Parse(%q) = %d, %v; want %d", b, pid, err, want)
		}
		if back, err := Parse(Format(pid)); err != nil || back != pid {
			t.Fatalf("Parse(Format(%d)) = %d, %v", pid, back, err)
		}
		if s := strconv.Itoa(pid); !strings.HasPrefix(string(b), s) {
			t.Fatalf("Parse(%q) = %d, not what it says", b, pid)
		}
	})
}
