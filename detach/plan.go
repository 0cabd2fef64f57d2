package detach

// A Plan is how gnohup redirects descriptors 0-2, decided from what they
// are, by the rules of coreutils nohup:
//
//   - standard input a terminal: read from /dev/null opened write-only, so
//     that a read fails rather than returning end of file;
//   - standard output a terminal: appended to the output file, nohup.out in
//     the current directory, else in $HOME;
//   - standard error a terminal: sent where standard output goes; if
//     standard output is closed, appended to the output file alone
//     (standard output stays as it is).
//
// With an explicit output file (-o), the command is taken off the caller's
// descriptors altogether, whatever they are (terminals, pipes, sockets):
// standard input from /dev/null, write-only, and standard output and
// standard error to the file. Then nothing the caller waits on stays open in
// the command: `ssh host 'gnohup -o app.log server &'` returns at once.
//
// A closed standard input or standard error changes nothing here, as in
// nohup. Two things nohup does with closed descriptors gnohup does not, since
// a read-write /dev/null is taken for a closed descriptor (see inspect) and
// must not be treated worse: it never passes a descriptor on closed (the
// command gets the /dev/null there), and it does not fail when its advisory
// line would go to a closed standard error (nohup exits 125 then, without
// running the command; gnohup's line goes to /dev/null).
type Plan struct {
	IgnoreInput    bool // standard input from /dev/null, write-only
	StdoutToFile   bool // standard output appended to the output file
	StderrToStdout bool // standard error to wherever standard output goes
	StderrToFile   bool // standard output closed: standard error alone appended to the output file
}

// NewPlan returns the plan for descriptors 0-2 as std describes them.
// explicitOutput is true when the user named the output file.
func NewPlan(std [3]Descriptor, explicitOutput bool) Plan {
	if explicitOutput {
		return Plan{IgnoreInput: true, StdoutToFile: true, StderrToStdout: true}
	}
	stderrToFile := std[1] == Closed && std[2] == Terminal
	return Plan{
		IgnoreInput:    std[0] == Terminal,
		StdoutToFile:   std[1] == Terminal,
		StderrToStdout: std[2] == Terminal && !stderrToFile,
		StderrToFile:   stderrToFile,
	}
}

// OpensOutput reports whether the plan needs the output file.
func (p Plan) OpensOutput() bool { return p.StdoutToFile || p.StderrToFile }

// Messages returns the advisory lines coreutils nohup prints on standard
// error before it redirects anything, in its words and order; file is the
// output file as it will be named (already quoted).
func (p Plan) Messages(file string) []string {
	input := ""
	if p.IgnoreInput {
		input = "ignoring input and "
	}
	var lines []string
	if p.OpensOutput() {
		lines = append(lines, input+"appending output to "+file)
	}
	if (p.StderrToStdout || p.StderrToFile) && !p.StdoutToFile {
		// Also when standard output is closed and standard error goes to
		// the file: nohup's words for it.
		lines = append(lines, input+"redirecting stderr to stdout")
	}
	if len(lines) == 0 && p.IgnoreInput {
		lines = append(lines, "ignoring input")
	}
	return lines
}
