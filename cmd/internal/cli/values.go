package cli

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// An OctalMode is a file mode option given in octal, such as --umask 027.
type OctalMode int

// String prints the mode as it is given, with a leading zero.
func (m *OctalMode) String() string { return fmt.Sprintf("%03o", int(*m)) }

// Set parses an octal mode from 0 to 0777.
func (m *OctalMode) Set(s string) error {
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o777 {
		return fmt.Errorf("want an octal mode from 000 to 777")
	}
	*m = OctalMode(n)
	return nil
}

// Type names the value in --help.
func (m *OctalMode) Type() string { return "mode" }

// A Signal is a signal option: a name with or without SIG (TERM, SIGTERM,
// any ASCII case), a real-time signal (RTMIN, RTMIN+3, RTMAX-1, SIGRTMAX), or
// a number: a named signal's, or a real-time signal's, from RTMIN to RTMAX.
// On Linux RTMIN is 34, as the C library and kill(1) number it (the kernel's
// 32 and 33 belong to the C library's threads), and RTMAX is 64.
type Signal syscall.Signal

// String prints the signal's name, as kill -l does: TERM, RTMIN+3, RTMAX-2.
func (s *Signal) String() string {
	n := int(*s)
	if name := unix.SignalName(syscall.Signal(n)); name != "" {
		return strings.TrimPrefix(name, "SIG")
	}
	switch {
	case rtMin == 0 || n < rtMin || n > rtMax:
		return strconv.Itoa(n)
	case n == rtMin:
		return "RTMIN"
	case n == rtMax:
		return "RTMAX"
	case n-rtMin <= (rtMax-rtMin)/2:
		return "RTMIN+" + strconv.Itoa(n-rtMin)
	}
	return "RTMAX-" + strconv.Itoa(rtMax-n)
}

// Choices lists the signal names Set accepts, as kill -l prints them.
func (s *Signal) Choices() []string {
	var names []string
	for n := 1; n < 65; n++ {
		if name := unix.SignalName(syscall.Signal(n)); name != "" && !slices.Contains(names, name[3:]) {
			names = append(names, name[3:])
		}
	}
	if rtMin != 0 {
		names = append(names, "RTMIN", "RTMAX")
	}
	return names
}

// Set parses a signal name or number.
func (s *Signal) Set(v string) error {
	if v == "" {
		return errEmpty
	}
	if isDigits(v) {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || (unix.SignalName(syscall.Signal(n)) == "" && !isRealTime(n)) {
			return fmt.Errorf("no signal %s", v)
		}
		*s = Signal(n)
		return nil
	}
	name := strings.TrimPrefix(asciiUpper(v), "SIG")
	if n, ok := realTime(name); ok {
		*s = Signal(n)
		return nil
	}
	n := unix.SignalNum("SIG" + name)
	if n == 0 || name == "" || strings.HasPrefix(name, "SIG") {
		return fmt.Errorf("no signal named %s", quote(v))
	}
	*s = Signal(n)
	return nil
}

// isRealTime reports whether n is a real-time signal of this system.
func isRealTime(n int) bool { return rtMin > 0 && n >= rtMin && n <= rtMax }

// realTime parses the name of a real-time signal (without SIG, upper case):
// RTMIN, RTMIN+N, RTMAX, RTMAX-N.
func realTime(name string) (int, bool) {
	if rtMin == 0 {
		return 0, false
	}
	for _, f := range []struct {
		prefix string
		base   int
		sign   int
	}{{"RTMIN", rtMin, 1}, {"RTMAX", rtMax, -1}} {
		rest, ok := strings.CutPrefix(name, f.prefix)
		if !ok {
			continue
		}
		if rest == "" {
			return f.base, true
		}
		op := map[int]string{1: "+", -1: "-"}[f.sign]
		digits, ok := strings.CutPrefix(rest, op)
		if !ok || !isDigits(digits) || len(digits) > 3 {
			return 0, false
		}
		k, _ := strconv.Atoi(digits)
		if n := f.base + f.sign*k; isRealTime(n) {
			return n, true
		}
		return 0, false
	}
	return 0, false
}

// Type names the value in --help.
func (s *Signal) Type() string { return "signal" }

// A Duration is a duration option in Go's syntax (500ms, 2m, 1h30m) that
// may not be negative.
type Duration time.Duration

func (d *Duration) String() string { return time.Duration(*d).String() }

// Set parses a non-negative duration.
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as 500ms, 10s or 2m")
	}
	if v < 0 {
		return fmt.Errorf("a duration cannot be negative")
	}
	*d = Duration(v)
	return nil
}

// Type names the value in --help.
func (d *Duration) Type() string { return "duration" }

// An Interval is a duration option that must be more than 0 and has no
// default (--help shows none): how often to do something, when asked.
type Interval time.Duration

// String prints the interval, or nothing when it is unset.
func (d *Interval) String() string {
	if *d == 0 {
		return ""
	}
	return time.Duration(*d).String()
}

// Set parses a positive duration.
func (d *Interval) Set(s string) error {
	var v Duration
	if err := v.Set(s); err != nil {
		return err
	}
	if v == 0 {
		return fmt.Errorf("it must be more than 0")
	}
	*d = Interval(v)
	return nil
}

// Type names the value in --help.
func (d *Interval) Type() string { return "duration" }

// A Size is a size option in bytes, with an optional binary suffix: 512K,
// 50M, 1G (K, KB, Ki and KiB are all 1024 bytes).
type Size int64

func (s *Size) String() string {
	n := int64(*s)
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"G", 30}, {"M", 20}, {"K", 10}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// sizeSuffixes are the suffixes a size may have, upper-cased, and the powers
// of two they stand for.
var sizeSuffixes = map[string]uint{
	"": 0, "B": 0,
	"K": 10, "KB": 10, "KI": 10, "KIB": 10,
	"M": 20, "MB": 20, "MI": 20, "MIB": 20,
	"G": 30, "GB": 30, "GI": 30, "GIB": 30,
}

// Set parses a size: decimal digits, then B, or K, M or G alone or followed
// by B, i or iB, in any case; at most 2^62 bytes.
func (s *Size) Set(v string) error {
	digits := len(v) - len(strings.TrimLeft(v, "0123456789"))
	shift, ok := sizeSuffixes[asciiUpper(v[digits:])]
	n, err := strconv.ParseInt(v[:digits], 10, 64)
	if !ok || err != nil || n > (1<<62)>>shift {
		return fmt.Errorf("want a size such as 1048576, 512K, 50M or 1G")
	}
	*s = Size(n << shift)
	return nil
}

// Type names the value in --help.
func (s *Size) Type() string { return "size" }

// ExitCodes is a list of exit statuses, such as --success-codes 0,2: numbers
// from 0 to 255 separated by commas; a code given twice counts once. The
// first Set replaces the default; the option given again adds to the list,
// as pflag's int slices do.
type ExitCodes struct {
	Codes []int
	set   bool
}

// String prints the codes as they are given: 0,2.
func (c *ExitCodes) String() string {
	s := make([]string, len(c.Codes))
	for i, code := range c.Codes {
		s[i] = strconv.Itoa(code)
	}
	return strings.Join(s, ",")
}

// Set parses a list of exit statuses and adds it to the list given so far.
func (c *ExitCodes) Set(v string) error {
	var codes []int
	for _, e := range strings.Split(v, ",") {
		if e == "" {
			return fmt.Errorf("want exit statuses from 0 to 255 separated by commas, such as 0,2")
		}
		n, err := strconv.ParseUint(e, 10, 8)
		if err != nil {
			return fmt.Errorf("'%s' is not an exit status from 0 to 255", quote(e))
		}
		codes = append(codes, int(n))
	}
	if c.set {
		codes = slices.Concat(c.Codes, codes)
	}
	c.Codes, c.set = codes, true
	return nil
}

// Type names the value in --help.
func (c *ExitCodes) Type() string { return "codes" }

// StatusMap maps exit statuses to others, such as --map-status 143=0,130=0:
// pairs FROM=TO of statuses from 0 to 255, separated by commas; the option
// given again adds to the map, a later pair for the same FROM winning.
type StatusMap map[int]int

// String prints the pairs in the order of FROM: 130=0,143=0.
func (m *StatusMap) String() string {
	var s []string
	for _, from := range slices.Sorted(maps.Keys(*m)) {
		s = append(s, fmt.Sprintf("%d=%d", from, (*m)[from]))
	}
	return strings.Join(s, ",")
}

// Set parses FROM=TO pairs and adds them to the map.
func (m *StatusMap) Set(v string) error {
	pairs := map[int]int{}
	for _, p := range strings.Split(v, ",") {
		from, to, ok := strings.Cut(p, "=")
		a, aerr := strconv.ParseUint(from, 10, 8)
		b, berr := strconv.ParseUint(to, 10, 8)
		if !ok || aerr != nil || berr != nil || !isDigits(from) || !isDigits(to) {
			return fmt.Errorf("'%s' is not FROM=TO, two exit statuses from 0 to 255 (143=0)", quote(p))
		}
		pairs[int(a)] = int(b)
	}
	if *m == nil {
		*m = StatusMap{}
	}
	maps.Copy(*m, pairs)
	return nil
}

// Type names the value in --help.
func (m *StatusMap) Type() string { return "map" }

// isDigits reports whether s is a decimal number: ASCII digits, no sign.
func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// asciiUpper upper-cases ASCII letters only: "any case" means ASCII's, where
// strings.ToUpper would also make an S of ſ and an I of ı, taking "ſigterm"
// for SIGTERM and "2mı" for 2Mi.
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// quote returns s as an error message shows what the user gave: as it is
// when all of it is printable, else with Go's escapes (\x00, \n, \u202e), so
// that the message stays one line that shows every character.
func quote(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
