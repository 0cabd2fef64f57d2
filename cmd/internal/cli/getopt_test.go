package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// getoptFlags is a command's options with the shapes getopt must tell
// apart: bools and options with a value, short and long, names that are
// prefixes of others (--env of --env-file, --max of --max-delay), names that
// share a prefix (--verbose and --version), and an optional argument.
func getoptFlags() *pflag.FlagSet {
	p := Program{Name: "prog", Flags: func(fs *pflag.FlagSet) {
		fs.BoolP("append", "a", false, "")
		fs.BoolP("quiet", "q", false, "")
		fs.StringP("output", "o", "", "")
		fs.StringArrayP("env", "E", nil, "")
		fs.String("env-file", "", "")
		fs.BoolP("verbose", "v", false, "")
		fs.IntP("max", "m", 0, "")
		fs.Var(new(Duration), "max-delay", "")
		fs.Int("max-failures", 0, "")
		fs.StringP("color", "C", "", "")
		fs.Lookup("color").NoOptDefVal = "auto"
	}}
	return p.FlagSet()
}

// getoptCases are command lines for getoptFlags, what getopt spells them
// as, and the mistake it reports, if any (with what it spelled before it).
var getoptCases = []struct {
	name string
	args []string
	want []string
	err  string
}{
	{name: "nothing", args: nil, want: nil},

	{name: "abbreviation, next word", args: []string{"--out", "FILE", "cmd"}, want: []string{"--output=FILE", "--", "cmd"}},
	{name: "abbreviation, =", args: []string{"--ou=FILE"}, want: []string{"--output=FILE"}},
	{name: "abbreviation of a bool", args: []string{"--vers"}, want: []string{"--version"}},
	{name: "abbreviation of one letter", args: []string{"--q", "--a"}, want: []string{"--quiet", "--append"}},
	{name: "abbreviation past the shared prefix", args: []string{"--max-d", "1s", "--max-f=2"}, want: []string{"--max-delay=1s", "--max-failures=2"}},
	{name: "abbreviation, = and an empty value", args: []string{"--ou="}, want: []string{"--output="}},

	{name: "exact name beats longer names", args: []string{"--env", "A=B", "--max", "3"}, want: []string{"--env=A=B", "--max=3"}},
	{name: "exact name beats longer names, =", args: []string{"--env=A=B", "--max=3"}, want: []string{"--env=A=B", "--max=3"}},

	{name: "ambiguous", args: []string{"--ver"},
		err: "option '--ver' is ambiguous; possibilities: '--verbose' '--version'"},
	{name: "ambiguous, value shown as given", args: []string{"-a", "--ver=x", "cmd"}, want: []string{"--append"},
		err: "option '--ver=x' is ambiguous; possibilities: '--verbose' '--version'"},
	{name: "ambiguous prefix of an exact name", args: []string{"--en", "x"},
		err: "option '--en' is ambiguous; possibilities: '--env' '--env-file'"},
	{name: "ambiguous among three", args: []string{"--m=1"},
		err: "option '--m=1' is ambiguous; possibilities: '--max' '--max-delay' '--max-failures'"},
	{name: "ambiguous after the exact name", args: []string{"--max-", "1s"},
		err: "option '--max-' is ambiguous; possibilities: '--max-delay' '--max-failures'"},
	{name: "empty name: every option", args: []string{"--=x"},
		err: "option '--=x' is ambiguous; possibilities: '--append' '--quiet' '--output' '--env' '--env-file' '--verbose' '--max' '--max-delay' '--max-failures' '--color' '--help' '--version'"},

	{name: "bool given =", args: []string{"--help=foo"}, err: "option '--help' doesn't allow an argument"},
	{name: "abbreviated bool given =, full name shown", args: []string{"-q", "--verb=yes", "cmd"}, want: []string{"--quiet"},
		err: "option '--verbose' doesn't allow an argument"},
	{name: "bool given an empty =", args: []string{"--append="}, err: "option '--append' doesn't allow an argument"},
	{name: "short bool given =", args: []string{"-a=1"}, want: []string{"--append"}, err: "invalid option -- '='"},

	{name: "long option without its value", args: []string{"--output"}, err: "option '--output' requires an argument"},
	{name: "abbreviation without its value, full name shown", args: []string{"-a", "--out"}, want: []string{"--append"},
		err: "option '--output' requires an argument"},
	{name: "short option without its value", args: []string{"-o"}, err: "option requires an argument -- 'o'"},
	{name: "short option without its value, in a cluster", args: []string{"-qao"}, want: []string{"--quiet", "--append"},
		err: "option requires an argument -- 'o'"},

	{name: "value like a long option", args: []string{"-o", "--help", "cmd"}, want: []string{"--output=--help", "--", "cmd"}},
	{name: "value like a short option", args: []string{"--output", "-a", "cmd"}, want: []string{"--output=-a", "--", "cmd"}},
	{name: "value --", args: []string{"--output", "--", "cmd"}, want: []string{"--output=--", "--", "cmd"}},
	{name: "value -", args: []string{"-o", "-"}, want: []string{"--output=-"}},
	{name: "negative number", args: []string{"--max", "-1", "-m-2"}, want: []string{"--max=-1", "--max=-2"}},
	{name: "empty value", args: []string{"-o", "", "--env", "", "cmd"}, want: []string{"--output=", "--env=", "--", "cmd"}},

	{name: "cluster then value", args: []string{"-aqo", "FILE", "cmd"}, want: []string{"--append", "--quiet", "--output=FILE", "--", "cmd"}},
	{name: "value attached", args: []string{"-oFILE"}, want: []string{"--output=FILE"}},
	{name: "value attached after =", args: []string{"-o=FILE"}, want: []string{"--output==FILE"}},
	{name: "value takes the rest of the cluster", args: []string{"-aoq", "cmd"}, want: []string{"--append", "--output=q", "--", "cmd"}},
	{name: "value with = in it", args: []string{"-EA=B"}, want: []string{"--env=A=B"}},
	{name: "unknown in a cluster", args: []string{"-ax"}, want: []string{"--append"}, err: "invalid option -- 'x'"},
	{name: "unknown unprintable", args: []string{"-\n"}, err: `invalid option -- '\n'`},
	{name: "unknown byte of a UTF-8 letter", args: []string{"-é"}, err: `invalid option -- '\xc3'`},

	{name: "-- ends options", args: []string{"-a", "--", "-q", "--help"}, want: []string{"--append", "--", "-q", "--help"}},
	{name: "-- after --", args: []string{"--", "--", "x"}, want: []string{"--", "--", "x"}},
	{name: "-- alone", args: []string{"--"}, want: []string{"--"}},
	{name: "options stop at the first operand", args: []string{"cmd", "-a", "--bogus"}, want: []string{"--", "cmd", "-a", "--bogus"}},
	{name: "- is an operand", args: []string{"-", "-a"}, want: []string{"--", "-", "-a"}},
	{name: "empty operand", args: []string{"", "-a"}, want: []string{"--", "", "-a"}},
	{name: "empty operand after options", args: []string{"-a", "", ""}, want: []string{"--append", "--", "", ""}},

	{name: "unrecognized", args: []string{"--bogus", "cmd"}, err: "unrecognized option '--bogus'"},
	{name: "unrecognized, value shown as given", args: []string{"--bogus=1"}, err: "unrecognized option '--bogus=1'"},
	{name: "unrecognized, longer than an option", args: []string{"--versions"}, err: "unrecognized option '--versions'"},
	{name: "three dashes", args: []string{"---x"}, err: "unrecognized option '---x'"},
	{name: "unrecognized unprintable", args: []string{"--bo\ngus"}, err: `unrecognized option '--bo\ngus'`},

	{name: "optional argument absent", args: []string{"--color", "-a"}, want: []string{"--color", "--append"}},
	{name: "optional argument never the next word", args: []string{"--co", "never"}, want: []string{"--color", "--", "never"}},
	{name: "optional argument after =", args: []string{"--color=never", "--col="}, want: []string{"--color=never", "--color="}},
	{name: "short optional argument", args: []string{"-C", "-Cnever", "-aC", "x"}, want: []string{"--color", "--color=never", "--append", "--color", "--", "x"}},
}

func TestGetopt(t *testing.T) {
	for _, c := range getoptCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := getopt(getoptFlags(), c.args)
			if !slices.Equal(got, c.want) {
				t.Errorf("getopt(%q) spells %q, want %q", c.args, got, c.want)
			}
			var ue *UsageError
			switch {
			case c.err == "" && err != nil:
				t.Errorf("getopt(%q): %v", c.args, err)
			case c.err != "" && (!errors.As(err, &ue) || ue.Msg != c.err):
				t.Errorf("getopt(%q): error %#v\nwant a usage error: %s", c.args, err, c.err)
			}
		})
	}
}

// The commands' parse: the mistake reported is the first one, as a
// getopt_long loop that checks each value as it comes finds it.
func TestParseFirstMistake(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max", "many", "--bogus"}, "invalid argument 'many' for '--max': strconv.ParseInt: parsing \"many\": invalid syntax"},
		{[]string{"--bogus", "--max", "many"}, "unrecognized option '--bogus'"},
		{[]string{"--max-d=soon", "--ver"}, "invalid argument 'soon' for '--max-delay': want a duration such as 500ms, 10s or 2m"},
		{[]string{"-m", "1", "-ax", "--max", "many"}, "invalid option -- 'x'"},
	} {
		err := parse(getoptFlags(), c.args)
		if err == nil || err.Error() != c.want {
			t.Errorf("parse(%q) = %v, want %s", c.args, err, c.want)
		}
	}
}

// A getoptOption is an entry of getoptSpec: getopt_long's struct option.
type getoptOption struct {
	long  string
	short byte // 0: none
	arg   argKind
}

// getoptSpec is what FuzzGetopt holds getopt to, written from getopt(3) and
// glibc's process_long_option, apart from getopt and from pflag: getoptFlags'
// options as a literal table.
var getoptSpec = []getoptOption{
	{"append", 'a', noArgument}, {"quiet", 'q', noArgument}, {"output", 'o', requiredArgument},
	{"env", 'E', requiredArgument}, {"env-file", 0, requiredArgument}, {"verbose", 'v', noArgument},
	{"max", 'm', requiredArgument}, {"max-delay", 0, requiredArgument}, {"max-failures", 0, requiredArgument},
	{"color", 'C', optionalArgument}, {"help", 'h', noArgument}, {"version", 'V', noArgument},
}

// getoptFullySpelled returns args fully spelled as a user could have typed
// them: each option by its full long name, its argument in the next word
// (attached by "=" only when optional), then "--" and the operands. It also
// returns the operands, and the mistake getopt_long finds, if any, with the
// options before it.
func getoptFullySpelled(args []string) (spelled, operands []string, mistake string) {
	word := func(i int) (string, bool) {
		if i < len(args) {
			return args[i], true
		}
		return "", false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "" || a == "-" || a[0] != '-' {
			operands = args[i:]
			if a == "--" {
				operands = args[i+1:]
			}
			return append(append(spelled, "--"), operands...), operands, ""
		}
		if strings.HasPrefix(a, "--") {
			name, value, eq := strings.Cut(a[2:], "=")
			var exact, prefixed []int
			for k, o := range getoptSpec {
				if o.long == name {
					exact = append(exact, k)
				} else if strings.HasPrefix(o.long, name) {
					prefixed = append(prefixed, k)
				}
			}
			matches := exact
			if len(exact) == 0 {
				matches = prefixed
			}
			if len(matches) == 0 {
				return spelled, nil, "unrecognized option '" + quote(a) + "'"
			}
			if len(matches) > 1 {
				mistake = "option '" + quote(a) + "' is ambiguous; possibilities:"
				for _, k := range matches {
					mistake += " '--" + getoptSpec[k].long + "'"
				}
				return spelled, nil, mistake
			}
			o := getoptSpec[matches[0]]
			switch {
			case o.arg == noArgument && eq:
				return spelled, nil, "option '--" + o.long + "' doesn't allow an argument"
			case o.arg == noArgument, o.arg == optionalArgument && !eq:
				spelled = append(spelled, "--"+o.long)
			case o.arg == optionalArgument:
				spelled = append(spelled, "--"+o.long+"="+value)
			case eq:
				spelled = append(spelled, "--"+o.long, value)
			default:
				i++
				next, ok := word(i)
				if !ok {
					return spelled, nil, "option '--" + o.long + "' requires an argument"
				}
				spelled = append(spelled, "--"+o.long, next)
			}
			continue
		}
	cluster:
		for j := 1; j < len(a); j++ {
			k := slices.IndexFunc(getoptSpec, func(o getoptOption) bool { return o.short != 0 && o.short == a[j] })
			if k < 0 {
				return spelled, nil, "invalid option -- '" + quote(a[j:j+1]) + "'"
			}
			o, rest := getoptSpec[k], a[j+1:]
			switch {
			case o.arg == noArgument, o.arg == optionalArgument && rest == "":
				spelled = append(spelled, "--"+o.long)
			case o.arg == optionalArgument:
				spelled = append(spelled, "--"+o.long+"="+rest)
				break cluster
			case rest != "":
				spelled = append(spelled, "--"+o.long, rest)
				break cluster
			default:
				i++
				next, ok := word(i)
				if !ok {
					return spelled, nil, fmt.Sprintf("option requires an argument -- '%c'", o.short)
				}
				spelled = append(spelled, "--"+o.long, next)
				break cluster
			}
		}
	}
	return spelled, nil, ""
}

// getoptValues returns what pflag makes of a command line for getoptFlags:
// every option's value and whether it was given, the operands, and the
// mistake, as Execute words it.
func getoptValues(args []string) (values []string, operands []string, mistake string) {
	fs := getoptFlags()
	if err := fs.Parse(args); err != nil {
		mistake = gnuParseMessage(err)
		var invalid *pflag.InvalidValueError
		if !errors.As(err, &invalid) {
			mistake = "not a bad value: " + mistake
		}
	}
	fs.VisitAll(func(f *pflag.Flag) {
		values = append(values, fmt.Sprintf("%s=%q changed=%v", f.Name, f.Value, f.Changed))
	})
	return values, fs.Args(), mistake
}

// FuzzGetopt checks getopt on any command line (words separated by NUL,
// which no argument can hold) against getoptFullySpelled: getopt never
// panics; it finds the same mistake, worded the same, on one printable line;
// it passes the operands, and everything after "--", on untouched; and what
// it spells out, pflag parses to the same values, operands and bad value as
// the fully spelled command line, also when getopt stopped at a mistake.
func FuzzGetopt(f *testing.F) {
	for _, c := range getoptCases {
		f.Add(strings.Join(c.args, "\x00"))
	}
	for _, s := range []string{
		"", "\x00", "-", "--", "---", "--=", "-=", "-\x00-", "--\x00--", "-o\x00", "--max=\x00--help", "-m\x00-m\x00-m",
		"--ma\x00x", "--max-delay\x00-1s", "--env\x00--env", "-E\x00-E\x00-E", "-vV", "-hV=", "--h", "--he=", "--\xff",
		"-\xff", "-a\x00\x00-q", "--co=\x00--c", "-Co", "-oC", "--output=a\x00b", "-qaqaqaqao--",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var args []string
		if s != "" {
			args = strings.Split(s, "\x00")
		}
		orig := slices.Clone(args)
		got, err := getopt(getoptFlags(), args)
		if !slices.Equal(args, orig) {
			t.Fatalf("getopt changed its arguments %q to %q", orig, args)
		}
		spelled, operands, mistake := getoptFullySpelled(args)
		msg := ""
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("getopt(%q): %#v, not a *UsageError", args, err)
			}
			msg = ue.Msg
			fuzzCheckMessage(t, s, msg)
		}
		if msg != mistake {
			t.Fatalf("getopt(%q): mistake %q, want %q", args, msg, mistake)
		}
		// Options, then "--" and the operands as they came, the last words of args.
		if dash := slices.Index(got, "--"); dash >= 0 {
			if tail := got[dash+1:]; err != nil || !slices.Equal(tail, operands) || !slices.Equal(tail, args[len(args)-len(tail):]) {
				t.Fatalf("getopt(%q) = %q, %v: operands %q, want %q", args, got, err, tail, operands)
			}
			got = got[:dash]
		} else if len(operands) > 0 {
			t.Fatalf("getopt(%q) = %q: operands %q lost", args, got, operands)
		}
		for _, w := range got {
			if !strings.HasPrefix(w, "--") || len(w) < 3 || w[2] == '-' || w[2] == '=' {
				t.Fatalf("getopt(%q) = %q: %q is not a spelled-out option", args, got, w)
			}
		}
		if err == nil {
			got = slices.Concat(got, []string{"--"}, operands)
			if again, err := getopt(getoptFlags(), got); err != nil || !slices.Equal(again, got) {
				t.Fatalf("getopt(%q) spells %q, which getopt spells %q, %v", args, got, again, err)
			}
		}
		gotValues, gotOperands, gotBad := getoptValues(got)
		wantValues, wantOperands, wantBad := getoptValues(spelled)
		if !slices.Equal(gotValues, wantValues) || !slices.Equal(gotOperands, wantOperands) || gotBad != wantBad {
			t.Fatalf("command line %q: pflag parses getopt's %q to\n%q, operands %q, mistake %q;\nand the fully spelled %q to\n%q, operands %q, mistake %q",
				args, got, gotValues, gotOperands, gotBad, spelled, wantValues, wantOperands, wantBad)
		}
		if strings.HasPrefix(gotBad, "not a bad value") {
			t.Fatalf("command line %q: pflag's mistake in getopt's %q: %s", args, got, gotBad)
		}
		if gotBad != "" {
			fuzzCheckMessage(t, s, gotBad)
		}
	})
}
