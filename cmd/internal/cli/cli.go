// Package cli is the plumbing the gdetach commands share: option parsing as
// glibc's getopt_long does it (options stop at the first operand, "--" ends
// them, long options may be abbreviated to a unique prefix), --help and
// --version, "prog: what: why" messages on stderr, and the mapping of
// errors to exit statuses. Main is the only place that calls os.Exit.
package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/gdetach/gdetach/execvp"
	"github.com/gdetach/gdetach/session"
	"github.com/spf13/pflag"
)

// StatusFailure is the exit status of a command's own failures (usage errors
// included), coreutils' EXIT_CANCELED.
const StatusFailure = 125

// A Program describes one command: its help text, its options and what it
// runs once they are parsed.
type Program struct {
	Name     string // the command's name, e.g. "gnohup"
	Synopsis string // the usage line after the name, e.g. "[OPTION]... COMMAND [ARG]..."
	Summary  string // one line: what the command does
	Details  string // text printed by --help after the options; may be empty

	// Flags defines the command's options on fs. --help (-h) and --version
	// (-V) are added by Main.
	Flags func(fs *pflag.FlagSet)

	// Run runs the command with its operands, of which there is at least one.
	Run func(operands []string) error

	// NoOperand is the usage error for a command line without operands;
	// empty means "missing operand", coreutils' words.
	NoOperand string

	// OperandsOptional, if set and true once the options are parsed, lets
	// Run be called without operands (gdaemonize --status).
	OperandsOptional func() bool

	// Stage, if set, is asked first whether this process is a stage of a
	// multi-stage command re-executed by itself (gdaemonize); if handled, the
	// command line is not parsed and Execute returns the status for err.
	Stage func() (handled bool, err error)

	// FailureStatus is the exit status for usage errors and for errors that
	// carry no status of their own; zero means StatusFailure.
	FailureStatus int

	// ReraiseSignal makes the command die by the signal that killed the
	// program it ran (an *exec.ExitError from Run), so that its parent sees
	// the same wait status, instead of exiting with 128+signal.
	ReraiseSignal bool
}

// Main runs p with the process's arguments and exits with its status.
func Main(p Program) {
	os.Exit(p.Execute(os.Args[1:], os.Stdout, os.Stderr))
}

// Execute runs p with args (without the command name) and returns the exit
// status: 0 on success; for an error from Run, the status the error carries
// (an ExitStatus() int method, or an *exec.ExitError's code or 128+signal)
// and otherwise FailureStatus. Messages go to stderr, except what --help and
// --version print, which goes to stdout.
func (p Program) Execute(args []string, stdout, stderr io.Writer) int {
	if p.Stage != nil {
		if handled, err := p.Stage(); handled {
			return p.exit(err, stderr)
		}
	}
	fs := p.FlagSet()
	err := parse(fs, args)
	help, _ := fs.GetBool("help")
	version, _ := fs.GetBool("version")
	switch {
	case err != nil:
		// A usage error, reported below: not even --help runs.
	case help:
		return p.print(stdout, stderr, p.helpText(fs))
	case version:
		return p.print(stdout, stderr, versionText(p.Name))
	case fs.NArg() == 0 && (p.OperandsOptional == nil || !p.OperandsOptional()):
		err = &UsageError{Msg: cmp.Or(p.NoOperand, "missing operand")}
	default:
		err = p.Run(fs.Args())
	}
	return p.exit(err, stderr)
}

// FlagSet returns the command's options, --help and --version included, set
// up as Execute parses them: errors returned rather than printed, and
// parsing stopped at the first operand (options after COMMAND are COMMAND's).
// Execute hands it the command line as getopt spells it out; its order is the
// order in which an ambiguous abbreviation's possibilities are listed.
func (p Program) FlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet(p.Name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SetInterspersed(false)
	fs.SortFlags = false
	if p.Flags != nil {
		p.Flags(fs)
	}
	fs.BoolP("help", "h", false, "display this help and exit")
	fs.BoolP("version", "V", false, "output version information and exit")
	return fs
}

// An ExitStatus is an outcome that is not an error but must be told by the
// exit status alone, such as gdaemonize --status reporting "not running" (3):
// Execute exits with it and prints nothing.
type ExitStatus int

func (s ExitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// exit reports err on stderr and returns the exit status for it.
func (p Program) exit(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var status ExitStatus
	if errors.As(err, &status) {
		return int(status)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		// The program ran and failed: it has said why, if anything.
		ws, _ := ee.Sys().(syscall.WaitStatus)
		if !ws.Signaled() {
			return ws.ExitStatus()
		}
		if p.ReraiseSignal {
			session.Raise(ws.Signal())
		}
		return 128 + int(ws.Signal())
	}
	for _, line := range strings.Split(strerrorWords(err), "\n") {
		fmt.Fprintf(stderr, "%s: %s\n", p.Name, line)
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "Try '%s --help' for more information.\n", p.Name)
	}
	var st interface{ ExitStatus() int }
	if errors.As(err, &st) && !errors.As(err, &ue) {
		return st.ExitStatus()
	}
	return p.failureStatus()
}

func (p Program) failureStatus() int {
	if p.FailureStatus != 0 {
		return p.FailureStatus
	}
	return StatusFailure
}

// print writes text to stdout, reporting a write error (a full disk, a closed
// pipe) as coreutils does rather than exiting 0 with the text lost.
func (p Program) print(stdout, stderr io.Writer, text string) int {
	if _, err := io.WriteString(stdout, text); err != nil {
		return p.exit(fmt.Errorf("write error: %w", unwrapPath(err)), stderr)
	}
	return 0
}

func (p Program) helpText(fs *pflag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s %s\n%s\n\nOptions:\n%s", p.Name, p.Synopsis, p.Summary, gnuOptional(fs, fs.FlagUsages()))
	if p.Details != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(p.Details, "\n"))
	}
	// True once installed (make install, the .deb), not a path in the sources.
	fmt.Fprintf(&b, "\nFull documentation: man %s\n", p.Name)
	return b.String()
}

// gnuOptional rewrites pflag's lines for options whose argument is
// optional ("--color WHEN[=auto] … (default auto)") as GNU's --help has
// them ("--color[=WHEN]"), keeping the columns.
func gnuOptional(fs *pflag.FlagSet, usages string) string {
	fs.VisitAll(func(f *pflag.Flag) {
		if hasArg(f) != optionalArgument {
			return
		}
		placeholder, _ := pflag.UnquoteUsage(f)
		pflagForm := fmt.Sprintf("--%s %s[=%s]", f.Name, placeholder, f.NoOptDefVal)
		gnuForm := fmt.Sprintf("--%s[=%s]", f.Name, placeholder)
		gnuForm += strings.Repeat(" ", max(0, len(pflagForm)-len(gnuForm)))
		lines := strings.Split(usages, "\n")
		for i, line := range lines {
			if strings.Contains(line, pflagForm+" ") {
				line = strings.Replace(line, pflagForm, gnuForm, 1)
				lines[i] = strings.TrimSuffix(line, fmt.Sprintf(" (default %s)", f.DefValue))
			}
		}
		usages = strings.Join(lines, "\n")
	})
	return usages
}

// unwrapPath drops the *os.PathError around a write error: "write
// /dev/stdout: …" says nothing the context does not.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// strerrorWords is err's message with the errno that ends a line, if any,
// in the C library's words, as the classic tools print it ("No such file or
// directory"), where Go's are lower case. Every line is a cause of its own
// (errors.Join).
func strerrorWords(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, line := range lines {
		j := strings.LastIndex(line, ": ")
		if j < 0 {
			continue
		}
		if errno, ok := errnoText()[line[j+2:]]; ok {
			lines[i] = line[:j+2] + execvp.Strerror(errno)
		}
	}
	return strings.Join(lines, "\n")
}

// errnoText maps Go's words for each errno to it.
var errnoText = sync.OnceValue(func() map[string]syscall.Errno {
	m := map[string]syscall.Errno{}
	for e := syscall.Errno(1); e < 200; e++ {
		if text := e.Error(); !strings.HasPrefix(text, "errno ") {
			m[text] = e
		}
	}
	return m
})
