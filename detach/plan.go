package detach

// A Plan is how gnohup redirects descriptors 0-2, decided from which of them
// are terminals, by the rules of coreutils nohup:
//
//   - standard input a terminal: read from /dev/null opened write-only, so
//     that a read fails rather than returning end of file;
//   - standard output a terminal: appended to the output file, nohup.out in
//     the current directory, else in $HOME;
//   - standard error a terminal: sent where standard output goes.
//
// With an explicit output file (-o), the command is taken off the caller's
// descriptors altogether, whatever they are (terminals, pipes, sockets):
// standard input from /dev/null, write-only, and standard output and
// standard error to the file. Then nothing the caller waits on stays open in
// the command: `ssh host 'gnohup -o app.log server &'` returns at once. A
// closed descriptor cannot be told apart: the Go runtime opens /dev/null on a
// closed descriptor 0, 1 or 2 before main runs.
type Plan struct {
	IgnoreInput    bool // standard input from /dev/null, write-only
	StdoutToFile   bool // standard output appended to the output file
	StderrToStdout bool // standard error to wherever standard output goes
}

// NewPlan returns the plan for descriptors 0-2 of which tty reports the
// terminals. explicitOutput is true when the user named the output file.
func NewPlan(tty [3]bool, explicitOutput bool) Plan {
	return Plan{
		IgnoreInput:    tty[0] || explicitOutput,
		StdoutToFile:   tty[1] || explicitOutput,
		StderrToStdout: tty[2] || explicitOutput,
	}
}

// Messages returns the advisory lines coreutils nohup prints on standard
// error before it redirects anything, in its words; file is the output file
// as it will be named (already quoted).
func (p Plan) Messages(file string) []string {
	var lines []string
	input := ""
	if p.IgnoreInput {
		input = "ignoring input and "
	}
	switch {
	case p.StdoutToFile:
		lines = append(lines, input+"appending output to "+file)
	case p.StderrToStdout:
		lines = append(lines, input+"redirecting stderr to stdout")
	case p.IgnoreInput:
		lines = append(lines, "ignoring input")
	}
	return lines
}
