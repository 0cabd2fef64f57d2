package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// Shell completion scripts are generated from a command's own flag set, so
// that they cannot fall behind it: CheckCompletions, called by each command's
// test, fails when a checked-in script differs from what the options say now,
// and rewrites them when asked (make completions). Each script completes the
// options and their values until COMMAND, found as getopt finds it (the first
// operand, or what follows --), and hands the rest of the line to COMMAND's
// own completion, as sudo's, nohup's and setsid's do.

// A valueKind says what an option's value is, for completion.
type valueKind int

const (
	noValue   valueKind = iota // a switch
	freeValue                  // a number, a duration, a mode: nothing to offer
	fileValue
	dirValue
	userValue
	wordValue // one of a list of words (Choices)
)

// An option is one flag as the completion scripts see it.
type option struct {
	long, short string
	help        string
	placeholder string // FILE, D, SIG…; empty for a switch
	kind        valueKind
	words       []string // wordValue's choices
	repeatable  bool
	optional    bool // the value is optional: attached only (--opt=V, -oV), never the next word
}

// Chooser is implemented by option values that take one of a fixed list of
// words (a restart policy, a signal name): completion offers them.
type Chooser interface{ Choices() []string }

// options lists p's flags in --help's order, with what their values are.
// The placeholder of the usage string (`FILE`) tells the kind of a value
// that is not a Chooser.
func (p Program) options() []option {
	var opts []option
	p.FlagSet().VisitAll(func(f *pflag.Flag) {
		placeholder, help := pflag.UnquoteUsage(f)
		o := option{long: f.Name, short: f.Shorthand, help: help, placeholder: placeholder}
		o.optional = hasArg(f) == optionalArgument
		switch c, ok := f.Value.(Chooser); {
		case hasArg(f) == noArgument:
			o.kind, o.placeholder = noValue, ""
		case ok:
			o.kind, o.words = wordValue, c.Choices()
		case placeholder == "FILE" || placeholder == "PATH":
			o.kind = fileValue
		case placeholder == "DIR":
			o.kind = dirValue
		case placeholder == "USER":
			o.kind = userValue
		default:
			o.kind = freeValue
		}
		o.repeatable = strings.HasSuffix(f.Value.Type(), "Array") || strings.HasSuffix(f.Value.Type(), "Slice")
		opts = append(opts, o)
	})
	return opts
}

// Completions returns p's completion scripts keyed by their path below a
// completions directory: bash/NAME, zsh/_NAME and fish/NAME.fish, the names
// bash-completion, zsh's compinit and fish look for.
func (p Program) Completions() map[string][]byte {
	opts := p.options()
	return map[string][]byte{
		filepath.Join("bash", p.Name):         p.bashCompletion(opts),
		filepath.Join("zsh", "_"+p.Name):      p.zshCompletion(opts),
		filepath.Join("fish", p.Name+".fish"): p.fishCompletion(opts),
	}
}

// CheckCompletions reports every completion script under dir that is not
// what Completions generates now (an option added, renamed or re-described
// since make completions ran); with update, it writes them instead.
func (p Program) CheckCompletions(dir string, update bool) error {
	var errs []error
	for name, want := range p.Completions() {
		path := filepath.Join(dir, name)
		if update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				return err
			}
			continue
		}
		got, err := os.ReadFile(path)
		switch {
		case err != nil:
			errs = append(errs, err)
		case !bytes.Equal(got, want):
			errs = append(errs, fmt.Errorf("%s is not what %s's options generate%s (run make completions)", path, p.Name, p.missingOptions(got)))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// missingOptions names the options a script does not mention at all.
func (p Program) missingOptions(script []byte) string {
	var missing []string
	for _, o := range p.options() {
		if !bytes.Contains(script, []byte(o.long)) {
			missing = append(missing, "--"+o.long)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return ": it lacks " + strings.Join(missing, ", ")
}

func (p Program) header(shell string) string {
	return fmt.Sprintf("# %s completion for %s(1), part of gdetach.\n# Generated from %s's options by `make completions`: do not edit.\n", shell, p.Name, p.Name)
}

// commandWord is what the scripts call the first operand, from the synopsis
// ("COMMAND", gsetsid's "PROGRAM").
func (p Program) commandWord() string {
	for _, w := range strings.Fields(p.Synopsis) {
		if w == strings.ToUpper(w) && strings.Trim(w, "[].") == w && w != "" && !strings.HasPrefix(w, "OPTION") {
			return strings.ToLower(w)
		}
	}
	return "command"
}

// bashCompletion is for bash-completion (2.x: _init_completion, _filedir,
// _command_offset, which 2.12 and later keep as compatibility names).
func (p Program) bashCompletion(opts []option) []byte {
	fn := "_comp_gdetach_" + p.Name
	var longs, withValue, shortsWithValue, words []string
	for _, o := range opts {
		longs = append(longs, "--"+o.long)
		word := "--" + o.long
		if o.kind != noValue && !o.optional {
			withValue = append(withValue, "--"+o.long)
			shortsWithValue = append(shortsWithValue, o.short)
			word += "="
		}
		words = append(words, word)
	}
	for _, o := range opts {
		if o.short != "" {
			words = append(words, "-"+o.short)
		}
	}
	var b strings.Builder
	b.WriteString(p.header("bash"))
	fmt.Fprintf(&b, `
# %[1]s_long WORD: the long option WORD names, whole or as a unique
# abbreviation, in REPLY.
%[1]s_long()
{
    local o found=
    for o in %[2]s; do
        if [[ $o == "$1" ]]; then
            REPLY=$o
            return 0
        fi
        if [[ $o == "$1"* ]]; then
            [[ $found ]] && return 1
            found=$o
        fi
    done
    REPLY=$found
    [[ $found ]]
}

%[1]s()
{
    local cur prev words cword split
    _init_completion -s || return

    # Find %[3]s as getopt does: the first operand, or what follows --.
    # An option's value is the next word, unless given with it (--opt=V, -oV).
    local i=1 j w ended=
    while ((i < cword)); do
        w=${words[i]}
        case $w in
            --)
                ended=1
                ((i++))
                break
                ;;
            --*=*) ;;
            --*)
                if %[1]s_long "$w" && [[ " %[4]s " == *" $REPLY "* ]]; then
                    ((i++))
                fi
                ;;
            -?*)
                for ((j = 1; j < ${#w}; j++)); do
                    if [[ "%[5]s" == *"${w:j:1}"* ]]; then
                        ((j == ${#w} - 1)) && ((i++))
                        break
                    fi
                done
                ;;
            *) break ;;
        esac
        ((i++))
    done

    if [[ ! $ended ]] && { ((i > cword)) || { ((i == cword)) && [[ $split == true ]]; }; }; then
        # The value of the option in prev (split=true: given as --opt=cur;
        # bash-completion 2.11 sets split to false or true). An optional
        # value comes here only so given: never as the next word.
        [[ $prev == --* ]] && %[1]s_long "$prev" && prev=$REPLY
        # A group of short options (-vu) ends with the one taking the value.
        [[ $prev == -[!-]?* ]] && prev=-${prev: -1}
        case $prev in
`, fn, strings.Join(longs, " "), strings.ToUpper(p.commandWord()), strings.Join(withValue, " "), strings.Join(shortsWithValue, ""))
	for _, o := range opts {
		if o.kind == noValue {
			continue
		}
		pattern := "--" + o.long
		if o.short != "" {
			pattern = "-" + o.short + "|" + pattern
		}
		var action string
		switch o.kind {
		case fileValue:
			action = "_filedir"
		case dirValue:
			action = "_filedir -d"
		case userValue:
			action = `COMPREPLY=($(compgen -u -- "$cur"))`
		case wordValue:
			action = fmt.Sprintf(`COMPREPLY=($(compgen -W '%s' -- "$cur"))`, strings.Join(o.words, " "))
		default:
			action = ": " + o.placeholder
		}
		fmt.Fprintf(&b, "            %s) %s ;;\n", pattern, action)
	}
	fmt.Fprintf(&b, `        esac
        return
    fi

    if [[ $ended ]] || ((i < cword)) || [[ $cur != -* ]]; then
        # %[3]s and its arguments: %[3]s's own completion. _command_offset
        # counts bash's words (COMP_WORDS), which split --opt=V at the =
        # where words has it whole: find where words[i] starts in them.
        local before= n=0 joined=
        for ((j = 0; j < i; j++)); do
            before+=${words[j]}
        done
        while ((${#joined} < ${#before})); do
            joined+=${COMP_WORDS[n++]}
        done
        _command_offset $n
        return
    fi

    COMPREPLY=($(compgen -W '%[1]s' -- "$cur"))
    [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
}
complete -F %[2]s %[4]s

# ex: filetype=sh
`, strings.Join(words, " "), fn, strings.ToUpper(p.commandWord()), p.Name)
	return []byte(b.String())
}

// zshQuote quotes s for a single-quoted _arguments spec's description.
func zshQuote(s string) string {
	s = strings.NewReplacer("[", `\[`, "]", `\]`).Replace(s)
	return strings.ReplaceAll(s, "'", `'\''`)
}

// zshCompletion is an _arguments spec: -s lets short switches be grouped,
// -S ends the options at --, and the first operand starts COMMAND's own
// completion (_normal), as zsh's nohup and sudo completions do.
func (p Program) zshCompletion(opts []option) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "#compdef %s\n\n%s\n_arguments -s -S \\\n", p.Name, p.header("zsh"))
	for _, o := range opts {
		var exclude, names string
		switch {
		case o.long == "help" || o.long == "version":
			exclude = "(- *)"
		case o.repeatable:
			exclude = "*"
		case o.short != "":
			exclude = fmt.Sprintf("(-%s --%s)", o.short, o.long)
		}
		long, short := "--"+o.long, "-"+o.short
		switch {
		case o.kind != noValue && o.optional: // attached only: --opt=V, -oV
			long += "=-"
			short += "-"
		case o.kind != noValue:
			long += "="
			short += "+"
		}
		if o.short != "" {
			names = fmt.Sprintf("{%s,%s}", short, long)
		} else {
			names = long
		}
		value := ""
		if o.kind != noValue {
			var action string
			switch o.kind {
			case fileValue:
				action = "_files"
			case dirValue:
				action = "_files -/"
			case userValue:
				action = "_users"
			case wordValue:
				action = "(" + strings.Join(o.words, " ") + ")"
			default:
				action = " "
			}
			value = fmt.Sprintf(":%s:%s", zshQuote(o.placeholder), action)
			if o.optional {
				value = ":" + value
			}
		}
		if exclude != "" {
			exclude = "'" + exclude + "'"
		}
		fmt.Fprintf(&b, "  %s%s'[%s]%s' \\\n", exclude, names, zshQuote(o.help), value)
	}
	fmt.Fprintf(&b, "  '1:%[1]s: _command_names -e' \\\n  '*::%[1]s arguments: _normal'\n", p.commandWord())
	return []byte(b.String())
}

// fishQuote quotes s for fish's single quotes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// fishCompletion finds COMMAND with argparse -s, given the options' spec, as
// fish's sudo completion does, and completes it with
// __fish_complete_subcommand.
func (p Program) fishCompletion(opts []option) []byte {
	fn := "__gdetach_" + p.Name + "_command"
	var spec []string
	for _, o := range opts {
		s := o.long
		if o.short != "" {
			s = o.short + "/" + o.long
		}
		switch {
		case o.kind != noValue && o.optional:
			s = fishQuote(s + "=?") // ? alone is a wildcard
		case o.kind != noValue:
			s += "="
			if o.repeatable {
				s += "+"
			}
		}
		spec = append(spec, s)
	}
	var b strings.Builder
	b.WriteString(p.header("fish"))
	fmt.Fprintf(&b, `
# %[1]s prints %[3]s and its arguments, NUL-separated, once the
# line has them: what follows %[2]s's options, as getopt finds it.
function %[1]s
    set -l tokens (commandline -opc) (commandline -ct)
    set -e tokens[1]
    argparse -s %[4]s -- $tokens 2>/dev/null
    or return 1
    set -q argv[1]
    or return 1
    string join0 -- $argv
end

function %[1]s_complete
    __fish_complete_subcommand --commandline (%[1]s | string split0)
end

complete -c %[2]s -f
complete -c %[2]s -x -n '%[1]s >/dev/null' -a '(%[1]s_complete)'
`, fn, p.Name, strings.ToUpper(p.commandWord()), strings.Join(spec, " "))
	for _, o := range opts {
		line := fmt.Sprintf("complete -c %s -n 'not %s >/dev/null'", p.Name, fn)
		if o.short != "" {
			line += " -s " + o.short
		}
		line += " -l " + o.long
		switch {
		case o.optional && o.kind == wordValue:
			// Without -r: offered after --opt= only, as the value is given.
			line += " -f -a " + fishQuote(strings.Join(o.words, " "))
		case o.optional:
			// A free value: nothing to offer after --opt=.
		case o.kind == fileValue:
			line += " -r -F"
		case o.kind == dirValue:
			line += " -x -a '(__fish_complete_directories)'"
		case o.kind == userValue:
			line += " -x -a '(__fish_complete_users)'"
		case o.kind == wordValue:
			line += " -x -a " + fishQuote(strings.Join(o.words, " "))
		case o.kind == freeValue:
			line += " -x"
		}
		line += " -d " + fishQuote(o.help)
		b.WriteString(line + "\n")
	}
	return []byte(b.String())
}
