package cli

import (
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// The fuzz targets check each option value against a specification written
// here independently of Set: what it accepts, the value it gives, the error
// it returns (word for word), that a rejected value leaves the option as it
// was, and that String of an accepted value parses back to the same value.

// fuzzSeeds adds the seeds of a target: its valid forms, its own bad ones,
// and the classic bad inputs every parser of a number or a word must refuse
// or at least survive: empty, white space, signs, other bases, overflow, NUL,
// other digits and letters that only Unicode case-folds to ASCII.
func fuzzSeeds(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	for _, s := range []string{
		"", " ", "\t", "\n", " 1", "1 ", "1\n", "+1", "-1", "-0", "+", "-", "0x1f", "0o17", "1_000", "1e3", "1.0",
		"\x00", "1\x00", "\x001", "9223372036854775807", "9223372036854775808", "18446744073709551616",
		"99999999999999999999999999999999999999", "\xff", "ü", "١٢", "１", "\u202e1", "ſ", "ı", "K", "Ｋ",
	} {
		f.Add(s)
	}
}

// fuzzCheckMessage fails unless msg is one line of printable characters: Main
// prints each line of an error after "prog: ", and a NUL, an escape sequence
// or a bidi control would show something other than what was given.
func fuzzCheckMessage(t *testing.T, in, msg string) {
	t.Helper()
	if !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return !strconv.IsPrint(r) }) {
		t.Fatalf("Set(%q): error %q is not one line of printable characters", in, msg)
	}
}

// fuzzCheckShown fails unless shown is in as the user gave it: as it is, or,
// when in is not all printable, in Go's escapes.
func fuzzCheckShown(t *testing.T, in, shown string) {
	t.Helper()
	if shown == in {
		return
	}
	if u, err := strconv.Unquote(`"` + shown + `"`); err != nil || u != in {
		t.Fatalf("an error shows %q as %q", in, shown)
	}
}

// fuzzDecimal returns the value of digits, which are all ASCII digits, if it
// is at most max.
func fuzzDecimal(digits string, max int64) (int64, bool) {
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok || n.Cmp(big.NewInt(max)) > 0 {
		return 0, false
	}
	return n.Int64(), true
}

func fuzzAllDigits(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

func FuzzOctalMode(f *testing.F) {
	fuzzSeeds(f, "022", "0", "777", "0027", "000", "644", "00000000000000000000000777",
		"8", "778", "1000", "0777 ", "0o777", "7777777777777777777777", "abc")
	f.Fuzz(func(t *testing.T, s string) {
		const before = OctalMode(0o135)
		m := before
		err := m.Set(s)
		want, ok := int64(0), false
		if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '7' }) {
			n, _ := new(big.Int).SetString(s, 8)
			if n.Cmp(big.NewInt(0o777)) <= 0 {
				want, ok = n.Int64(), true
			}
		}
		if !ok {
			if err == nil || m != before {
				t.Fatalf("Set(%q) = %v, mode %o; want an error, mode left %o", s, err, int(m), int(before))
			}
			fuzzCheckMessage(t, s, err.Error())
			if err.Error() != "want an octal mode from 000 to 777" {
				t.Fatalf("Set(%q): error %q", s, err)
			}
			return
		}
		if err != nil || int64(m) != want {
			t.Fatalf("Set(%q) = %v, mode %o; want %o", s, err, int(m), want)
		}
		var back OctalMode
		if err := back.Set(m.String()); err != nil || back != m {
			t.Fatalf("Set(%q): String() %q parses back to %o, %v", s, m.String(), int(back), err)
		}
	})
}

// fuzzSignalNames maps each signal's name without SIG to its number.
// fuzzRealTime is the specification of a real-time signal's number: from
// RTMIN to RTMAX, where the system has them.
func fuzzRealTime(n int) bool { return rtMin != 0 && rtMin <= n && n <= rtMax }

// fuzzRealTimeName is the specification of a real-time signal's name,
// upper case and without SIG: RTMIN or RTMAX alone, RTMIN+K or RTMAX-K with K
// up to three decimal digits, naming a signal from RTMIN to RTMAX.
func fuzzRealTimeName(name string) (int, bool) {
	m := regexp.MustCompile(`^RT(MIN|MAX)(?:([+-])([0-9]{1,3}))?$`).FindStringSubmatch(name)
	if m == nil || (m[2] == "+" && m[1] == "MAX") || (m[2] == "-" && m[1] == "MIN") {
		return 0, false
	}
	n := rtMin
	if m[1] == "MAX" {
		n = rtMax
	}
	k, _ := strconv.Atoi(m[3])
	if m[2] == "-" {
		k = -k
	}
	return n + k, fuzzRealTime(n + k)
}

func fuzzSignalNames() map[string]syscall.Signal {
	names := map[string]syscall.Signal{}
	for n := syscall.Signal(1); n < 256; n++ {
		if name := unix.SignalName(n); name != "" {
			names[strings.TrimPrefix(name, "SIG")] = n
		}
	}
	return names
}

// fuzzASCIIUpper upper-cases ASCII letters only: "any case" is ASCII's, and
// the signal names are ASCII.
func fuzzASCIIUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func FuzzSignal(f *testing.F) {
	fuzzSeeds(f, "TERM", "term", "SIGTERM", "sigterm", "SigHup", "9", "15", "usr1", "SIGUSR2", "kill", "31", "0009",
		"0", "0000", "-9", "+9", "999", "32", "64", "4294967311", "SIG", "sig", "SIGSIGTERM", "TERMINATE", "SIG TERM",
		" TERM", "TERM\n", "TERM\x00", "rtmin", "IOT", "CLD", "ſigterm", "ınt", "sıgkill", "ＴＥＲＭ",
		"RTMIN+3", "sigrtmax-2", "RTMAX", "RTMIN+30", "RTMIN+31", "RTMIN-1", "RTMAX+1", "RTMIN+", "RTMIN+03", "RTMIN+-1",
		"RTMIN+ 3", "33", "34", "65", "SIGSIGRTMIN", "RTMIN+99999999999999999999")
	names := fuzzSignalNames()
	f.Fuzz(func(t *testing.T, s string) {
		const before = Signal(syscall.SIGWINCH)
		sig := before
		err := sig.Set(s)
		var want syscall.Signal
		var why string
		if s == "" {
			why = "cannot be empty"
		} else if fuzzAllDigits(s) {
			if n, ok := fuzzDecimal(s, 255); ok && n > 0 && (unix.SignalName(syscall.Signal(n)) != "" || fuzzRealTime(int(n))) {
				want = syscall.Signal(n)
			}
			why = "no signal "
		} else {
			up := fuzzASCIIUpper(s)
			if n, ok := names[up]; ok && !strings.HasPrefix(up, "SIG") {
				want = n
			} else if n, ok := names[strings.TrimPrefix(up, "SIG")]; ok && strings.HasPrefix(up, "SIG") {
				want = n
			} else if n, ok := fuzzRealTimeName(strings.TrimPrefix(up, "SIG")); ok {
				want = syscall.Signal(n)
			}
			why = "no signal named "
		}
		if want == 0 {
			if err == nil || sig != before {
				t.Fatalf("Set(%q) = %v, signal %d; want an error, signal left %d", s, err, int(sig), int(before))
			}
			msg := err.Error()
			fuzzCheckMessage(t, s, msg)
			shown, ok := strings.CutPrefix(msg, why)
			if !ok {
				t.Fatalf("Set(%q): error %q, want %q and the value", s, msg, why)
			}
			fuzzCheckShown(t, s, shown)
			return
		}
		if err != nil || syscall.Signal(sig) != want {
			t.Fatalf("Set(%q) = %v, signal %d; want %d", s, err, int(sig), int(want))
		}
		var back Signal
		if err := back.Set(sig.String()); err != nil || back != sig {
			t.Fatalf("Set(%q): String() %q parses back to %d, %v", s, sig.String(), int(back), err)
		}
	})
}

func FuzzDuration(f *testing.F) {
	fuzzSeeds(f, "0", "0s", "500ms", "10s", "2m", "1h30m", "1.5h", "250us", "250µs", "250μs", "1ns", "2562047h47m16.854775807s",
		"-1s", "-0s", "+1s", "10", "1d", "soon", "1h-1m", ".s", "1.s", ".5s", "0.0000000001s", "1 s", "1s ",
		"9223372036854775807ns", "9223372036854775808ns", "2562047h47m16.854775808s", "1e3s", "1S", "1H")
	f.Fuzz(func(t *testing.T, s string) {
		const before = Duration(1234567)
		d := before
		err := d.Set(s)
		// The specification is Go's syntax, without negative durations.
		want, perr := time.ParseDuration(s)
		if perr != nil || want < 0 {
			if err == nil || d != before {
				t.Fatalf("Set(%q) = %v, duration %v; want an error, duration left %v", s, err, time.Duration(d), time.Duration(before))
			}
			fuzzCheckMessage(t, s, err.Error())
			wantMsg := "want a duration such as 500ms, 10s or 2m"
			if perr == nil {
				wantMsg = "a duration cannot be negative"
			}
			if err.Error() != wantMsg {
				t.Fatalf("Set(%q): error %q, want %q", s, err, wantMsg)
			}
			return
		}
		if err != nil || time.Duration(d) != want {
			t.Fatalf("Set(%q) = %v, duration %v; want %v", s, err, time.Duration(d), want)
		}
		var back Duration
		if err := back.Set(d.String()); err != nil || back != d {
			t.Fatalf("Set(%q): String() %q parses back to %v, %v", s, d.String(), time.Duration(back), err)
		}
	})
}

// fuzzSizeSyntax is a size: decimal digits, then B, or K, M or G alone or
// followed by B, i or iB; ASCII, any case.
var fuzzSizeSyntax = regexp.MustCompile(`^([0-9]+)([kKmMgG][iI]?[bB]?|[bB])?$`)

func FuzzSize(f *testing.F) {
	fuzzSeeds(f, "0", "1024", "512K", "50M", "1G", "2mib", "10kb", "1Ki", "7b", "4294967296G", "4611686018427387904",
		"M", "B", "KiB", "1T", "lots", "1.5M", "1I", "1IB", "0iB", "+000", "+5K", "1KK", "1BB", "1KBi", "1 K", "k1",
		"4294967297G", "4611686018427387905", "2mı", "2mıb", "1ı", "1ｋ")
	f.Fuzz(func(t *testing.T, s string) {
		const before = Size(12345)
		sz := before
		err := sz.Set(s)
		var want int64
		ok := false
		if m := fuzzSizeSyntax.FindStringSubmatch(s); m != nil {
			shift := map[byte]uint{'K': 10, 'M': 20, 'G': 30}[fuzzASCIIUpper(m[2] + " ")[0]]
			if n, fits := fuzzDecimal(m[1], (1<<62)>>shift); fits {
				want, ok = n<<shift, true
			}
		}
		if !ok {
			if err == nil || sz != before {
				t.Fatalf("Set(%q) = %v, size %d; want an error, size left %d", s, err, int64(sz), int64(before))
			}
			fuzzCheckMessage(t, s, err.Error())
			if err.Error() != "want a size such as 1048576, 512K, 50M or 1G" {
				t.Fatalf("Set(%q): error %q", s, err)
			}
			return
		}
		if err != nil || int64(sz) != want {
			t.Fatalf("Set(%q) = %v, size %d; want %d", s, err, int64(sz), want)
		}
		if want < 0 || want > 1<<62 {
			t.Fatalf("Set(%q) = %d, out of range", s, want)
		}
		var back Size
		if err := back.Set(sz.String()); err != nil || back != sz {
			t.Fatalf("Set(%q): String() %q parses back to %d, %v", s, sz.String(), int64(back), err)
		}
	})
}

func FuzzExitCodes(f *testing.F) {
	fuzzSeeds(f, "0", "0,2", "255", "1,1", "0,1,2,3,126,127,128,255", "007",
		",", "0,", ",0", "0,,2", "256", "300", "0,300", "-5", "+5", "0, 2", "0 ,2", "0;2", "zero", "0,\x00", "0\n")
	f.Fuzz(func(t *testing.T, s string) {
		def := []int{7}
		c := ExitCodes{Codes: slices.Clone(def)}
		err := c.Set(s)
		var want []int
		var why string // the error Set must return; empty: none
		for _, e := range strings.Split(s, ",") {
			if e == "" {
				why = "want exit statuses from 0 to 255 separated by commas, such as 0,2"
				break
			}
			n, ok := int64(0), false
			if fuzzAllDigits(e) {
				n, ok = fuzzDecimal(e, 255)
			}
			if !ok {
				why = "'" + e + "'"
				break
			}
			want = append(want, int(n))
		}
		if why != "" {
			if err == nil || !slices.Equal(c.Codes, def) {
				t.Fatalf("Set(%q) = %v, codes %v; want an error, codes left %v", s, err, c.Codes, def)
			}
			msg := err.Error()
			fuzzCheckMessage(t, s, msg)
			if elem, isElem := strings.CutPrefix(why, "'"); isElem {
				shown, ok := strings.CutSuffix(strings.TrimPrefix(msg, "'"), "' is not an exit status from 0 to 255")
				if !ok || !strings.HasPrefix(msg, "'") {
					t.Fatalf("Set(%q): error %q, want the code that is not an exit status", s, msg)
				}
				fuzzCheckShown(t, strings.TrimSuffix(elem, "'"), shown)
			} else if msg != why {
				t.Fatalf("Set(%q): error %q, want %q", s, msg, why)
			}
			// The default is still to be replaced, not added to.
			if err := c.Set("3"); err != nil || !slices.Equal(c.Codes, []int{3}) {
				t.Fatalf("after Set(%q) failed, Set(3) = %v, codes %v; want [3]", s, err, c.Codes)
			}
			return
		}
		if err != nil || !slices.Equal(c.Codes, want) {
			t.Fatalf("Set(%q) = %v, codes %v; want %v, the default replaced", s, err, c.Codes, want)
		}
		var back ExitCodes
		if err := back.Set(c.String()); err != nil || !slices.Equal(back.Codes, c.Codes) {
			t.Fatalf("Set(%q): String() %q parses back to %v, %v", s, c.String(), back.Codes, err)
		}
		// The option given again adds to the list.
		if err := c.Set(s); err != nil || !slices.Equal(c.Codes, slices.Concat(want, want)) {
			t.Fatalf("Set(%q) twice = %v, codes %v; want %v twice", s, err, c.Codes, want)
		}
	})
}
