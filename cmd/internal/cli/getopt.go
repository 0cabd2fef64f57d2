package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Options are parsed in two passes. getopt walks the command line as glibc's
// getopt_long does with an optstring that starts with "+" (coreutils' nohup,
// util-linux's setsid): it resolves abbreviations, finds each option's
// argument and words each mistake as glibc does, and hands pflag the options
// spelled out in full. pflag, which defines the options and prints --help,
// then only sets the values. pflag alone refuses abbreviations (--vers),
// takes "--wait=1" for a bool, gives FILE for "-o=FILE" where getopt gives
// "=FILE", and words each mistake its own way (issue 12).

// An argKind is how an option takes its argument: getopt_long's has_arg.
type argKind int

const (
	noArgument       argKind = iota // bools: --wait; --wait=1 is a mistake
	requiredArgument                // --output FILE, --output=FILE, -o FILE, -oFILE
	optionalArgument                // --color, --color=WHEN, -C, -CWHEN; never the next word
)

// hasArg says how f takes its argument, as pflag's own parsing would: an
// option without NoOptDefVal needs one, a bool with it takes none, and any
// other option with it takes one only when it is attached (grespawn's
// --log-timestamps[=ZONE]).
func hasArg(f *pflag.Flag) argKind {
	if f.NoOptDefVal == "" {
		return requiredArgument
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return noArgument
	}
	return optionalArgument
}

// parse parses args into fs as getopt_long would: getopt checks and spells
// out the options, then pflag sets them.
func parse(fs *pflag.FlagSet, args []string) error {
	spelled, err := getopt(fs, args)
	// The options before a mistake are set too, and a bad value among them is
	// the mistake reported, as a getopt_long loop that checks each value as it
	// comes to it does.
	if perr := fs.Parse(spelled); perr != nil {
		return &UsageError{Msg: gnuParseMessage(perr)}
	}
	return err
}

// getopt walks args as getopt_long does and returns them spelled out for
// pflag: each option as --NAME, or --NAME=VALUE when it has an argument
// (whatever it looks like: "-o --help" gives --output=--help), then, if
// there are operands, "--" and the operands as they were. Options end at the
// first operand ("", "-" and any word not starting with "-") or after "--".
//
// A long option is named by its full name or by a prefix of it no other
// option has; a full name wins over the options it is a prefix of. A long
// option that takes an argument takes the rest of its word after "=", else
// the next word; a short one, the rest of its word, else the next word.
//
// At the first mistake getopt returns a *UsageError worded as glibc's, with
// the options before the mistake spelled out.
func getopt(fs *pflag.FlagSet, args []string) ([]string, error) {
	var longs []*pflag.Flag // in fs's order, which the "possibilities" follow
	shorts := map[byte]*pflag.Flag{}
	fs.VisitAll(func(f *pflag.Flag) {
		longs = append(longs, f)
		if len(f.Shorthand) == 1 {
			shorts[f.Shorthand[0]] = f
		}
	})
	out := make([]string, 0, len(args)+1)
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return append(append(out, "--"), args[i+1:]...), nil
		case len(arg) < 2 || arg[0] != '-':
			return append(append(out, "--"), args[i:]...), nil
		case arg[1] == '-':
			spec := arg[2:]
			name, value, attached := strings.Cut(spec, "=")
			f, err := lookupLong(longs, spec, name)
			if err != nil {
				return out, err
			}
			switch hasArg(f) {
			case noArgument:
				if attached {
					return out, Usagef("option '--%s' doesn't allow an argument", f.Name)
				}
				out = append(out, "--"+f.Name)
			case requiredArgument:
				if !attached {
					if i+1 == len(args) {
						return out, Usagef("option '--%s' requires an argument", f.Name)
					}
					i++
					value = args[i]
				}
				out = append(out, "--"+f.Name+"="+value)
			case optionalArgument:
				if !attached {
					out = append(out, "--"+f.Name)
				} else {
					out = append(out, "--"+f.Name+"="+value)
				}
			}
		default:
			cluster := arg[1:]
			for j := 0; j < len(cluster); j++ {
				f := shorts[cluster[j]]
				if f == nil {
					// glibc prints the byte as it is; an unprintable one is
					// escaped here, so that the message stays one line.
					return out, Usagef("invalid option -- '%s'", quote(cluster[j:j+1]))
				}
				rest := cluster[j+1:]
				kind := hasArg(f)
				if kind == noArgument || (kind == optionalArgument && rest == "") {
					out = append(out, "--"+f.Name)
					continue
				}
				if rest == "" {
					if i+1 == len(args) {
						return out, Usagef("option requires an argument -- '%s'", f.Shorthand)
					}
					i++
					rest = args[i]
				}
				out = append(out, "--"+f.Name+"="+rest)
				break
			}
		}
	}
	return out, nil
}

// lookupLong returns the long option that name, the text of spec (what
// follows "--") before any "=", names: the option called name, else the one
// option whose name starts with name. spec is quoted in the mistakes as glibc
// quotes it, "=" and value included.
func lookupLong(longs []*pflag.Flag, spec, name string) (*pflag.Flag, error) {
	var found []*pflag.Flag
	for _, f := range longs {
		if f.Name == name {
			return f, nil
		}
		if strings.HasPrefix(f.Name, name) {
			found = append(found, f)
		}
	}
	switch len(found) {
	case 0:
		return nil, Usagef("unrecognized option '--%s'", quote(spec))
	case 1:
		return found[0], nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "option '--%s' is ambiguous; possibilities:", quote(spec))
	for _, f := range found {
		fmt.Fprintf(&b, " '--%s'", f.Name)
	}
	return nil, &UsageError{Msg: b.String()}
}
