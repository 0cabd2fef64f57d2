package fdio

import (
	"bytes"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"testing"
	"unicode"
)

// fuzzPIDSyntax is what strconv.Atoi reads as a positive number: digits, a
// plus sign allowed.
var fuzzPIDSyntax = regexp.MustCompile(`^\+?[0-9]+$`)

// FuzzParsePID checks ParsePID against its specification: a pidfile names a
// PID when, white space around it trimmed, it is a number strconv reads
// (digits, a + allowed) from 1 to the largest pid_t, the type kill(2) takes;
// anything else is an error that quotes the trimmed contents.
func FuzzParsePID(f *testing.F) {
	for _, s := range []string{
		"42\n", "1", " 7 ", "\t123\r\n", "+5\n", "0042", "4194304\n", "2147483647", "\u00a042\u0085",
		"", "\n", "0\n", "-3\n", "-0", "+", "++1", "+-1", "12ab\n", "0x10", "1e3", "1_000", "4 2", "42\n43\n",
		"2147483648", "4294967295", "4294967296", "4294967297", "9223372036854775807", "9223372036854775808",
		"99999999999999999999999999", "\x00", "42\x00", "\xff42", "١٢", "４２", "\u202e42",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		pid, err := ParsePID(b)
		if !bytes.Equal(b, orig) {
			t.Fatalf("ParsePID(%q) changed its input to %q", orig, b)
		}
		trimmed := bytes.TrimFunc(b, unicode.IsSpace)
		want := 0
		if fuzzPIDSyntax.Match(trimmed) {
			n, _ := new(big.Int).SetString(string(bytes.TrimPrefix(trimmed, []byte("+"))), 10)
			if n.Sign() > 0 && n.Cmp(big.NewInt(math.MaxInt32)) <= 0 {
				want = int(n.Int64())
			}
		}
		if want == 0 {
			if err == nil || pid != 0 {
				t.Fatalf("ParsePID(%q) = %d, %v; want an error", b, pid, err)
			}
			if msg := "no PID (" + strconv.Quote(string(trimmed)) + ")"; err.Error() != msg {
				t.Fatalf("ParsePID(%q): error %q, want %q", b, err, msg)
			}
			return
		}
		if err != nil || pid != want {
			t.Fatalf("ParsePID(%q) = %d, %v; want %d", b, pid, err, want)
		}
		// What a pidfile is written with reads back the same.
		if back, err := ParsePID([]byte(strconv.Itoa(pid) + "\n")); err != nil || back != pid {
			t.Fatalf("ParsePID(%d\\n) = %d, %v", pid, back, err)
		}
	})
}
