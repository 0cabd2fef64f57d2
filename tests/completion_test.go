//go:build linux

package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// completions is docs/completions, the scripts make install installs.
var completions = filepath.Join("..", "docs", "completions")

// bashCompletion is bash-completion's main script, as Debian installs it.
const bashCompletion = "/usr/share/bash-completion/bash_completion"

// A completionCase is a line typed up to a TAB, and what the terminal must
// show after it: the word completed, or every possibility listed.
type completionCase struct {
	name string
	line string   // typed, then TAB
	want []string // each must appear in what bash prints after the TAB
}

// TestBashCompletion sources bash-completion and the four scripts in an
// interactive bash with readline on a real pty, types each line with a TAB
// and reads what bash shows: options, their values, and after COMMAND the
// command's own completion (through _command_offset), as a user sees them.
func TestBashCompletion(t *testing.T) {
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Skipf("bash-completion is not installed (apt-get install bash-completion): %v", err)
	}
	dir := tempDir(t)
	scripts, err := filepath.Abs(filepath.Join(completions, "bash"))
	if err != nil {
		t.Fatal(err)
	}
	// Debian's bash reads /etc/bash.bashrc before the rc file, which sets
	// PS1: the rc file sets the prompt the terminal waits for again.
	// One TAB lists every possibility (no second TAB, no "Display all?"
	// question, no pager), so that each case is one key and one read.
	rc := fmt.Sprintf(`. %s
for f in %s/*; do . "$f"; done
bind 'set show-all-if-ambiguous on'
bind 'set completion-query-items 1000'
bind 'set page-completions off'
bind 'set bell-style none'
PS1=%s PROMPT_COMMAND=
`, bashCompletion, shellQuote(scripts), shellQuote(prompt))
	rcfile := filepath.Join(dir, "bashrc")
	if err := os.WriteFile(rcfile, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	// Files for the filename cases: one name to complete in each place.
	for _, name := range []string{"completion-target.txt", "server.pid"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "workdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	tm := startShell(t, dir, "bash", "--noprofile", "--rcfile", rcfile, "-i")
	tm.complete([]completionCase{
		{"a long option by its prefix", "gnohup --pid", []string{"gnohup --pidfile="}},
		{"a short and a long option", "gsetsid -", []string{"--ctty", "--fork", "--wait", "--help", "--version", "-c", "-f", "-w"}},
		{"a FILE value", "gnohup --pidfile ser", []string{"server.pid"}},
		{"a FILE value after =", "gnohup --pidfile=ser", []string{"server.pid"}},
		{"a FILE value of a short option", "gnohup -o completion-t", []string{"completion-target.txt"}},
		{"a DIR value", "gdaemonize -c work", []string{"workdir/"}},
		{"the restart policies", "grespawn --restart ", []string{"always", "on-failure", "never"}},
		{"a restart policy after =", "grespawn --restart=on", []string{"on-failure"}},
		{"the signal names", "gdaemonize --signal ", []string{"HUP", "INT", "TERM", "USR1", "USR2", "KILL", "RTMIN"}},
		{"an abbreviated option's value", "gdaemonize --sig US", []string{"USR1", "USR2"}},
		{"a USER value", "gdaemonize -u roo", []string{"gdaemonize -u root"}},
		{"a value of a grouped short option", "gdaemonize -vu roo", []string{"gdaemonize -vu root"}},
		{"COMMAND's name", "gnohup -q gresp", []string{"gnohup -q grespawn"}},
		{"COMMAND after --", "grespawn -m 3 -- gsets", []string{"grespawn -m 3 -- gsetsid"}},
		{"COMMAND's own options", "gnohup gsetsid --fo", []string{"gnohup gsetsid --fork"}},
		{"COMMAND's own options after --opt=value", "gnohup --output=x.log gsetsid --fo", []string{"gsetsid --fork"}},
		{"an optional value, attached", "grespawn -l x --log-timestamps=lo", []string{"local"}},
		{"COMMAND after an optional value", "grespawn -l x --log-timestamps=local gsetsid --fo", []string{"gsetsid --fork"}},
		{"an optional value is never the next word", "grespawn -l x --log-timestamps gsetsid --fo", []string{"gsetsid --fork"}},
		{"COMMAND's own option values", "gnohup grespawn --restart ne", []string{"grespawn --restart never"}},
		{"COMMAND's file arguments", "gsetsid -f cat completion-t", []string{"cat completion-target.txt"}},
		{"an option after COMMAND is COMMAND's", "gnohup cat --pid", nil},
	})
}

// complete types each case's line and a TAB into the shell on tm, and waits
// for what the case wants to show after it.
func (tm *term) complete(cases []completionCase) {
	tm.t.Helper()
	for i, c := range cases {
		mark := len(tm.output())
		tm.send(c.line + "\t")
		for _, w := range c.want {
			tm.waitOutput(fmt.Sprintf("%s: %q after %q<TAB>", c.name, w, c.line), func(out string) bool {
				return strings.Contains(out[mark:], w)
			})
		}
		// Ctrl-U drops the line, and the shell prints a marker at the start
		// of a line (where the echo of what was typed cannot put it): the
		// shell has finished with the TAB.
		done := fmt.Sprintf("case-%d-done", i)
		tm.send("\x15printf '%s\\n' " + done + "\n")
		tm.waitOutput(c.name+": the marker", func(out string) bool {
			return strings.Contains(out[mark:], "\n"+done)
		})
		if c.want == nil && strings.Contains(tm.output()[mark:], "--pidfile") {
			tm.t.Errorf("%s: %q<TAB> offered gnohup's --pidfile after COMMAND:\n%q", c.name, c.line, tm.output()[mark:])
		}
	}
}

// TestFishCompletion asks fish what it completes for a line, as it would at
// a TAB (complete -C), with the four scripts sourced.
func TestFishCompletion(t *testing.T) {
	if _, err := exec.LookPath("fish"); err != nil {
		t.Skip("fish is not installed (apt-get install fish)")
	}
	dir := tempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "completion-target.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	scripts, err := filepath.Abs(filepath.Join(completions, "fish"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []completionCase{
		{"a long option by its prefix", "gnohup --pid", []string{"--pidfile"}},
		{"the restart policies", "grespawn --restart ", []string{"always", "on-failure", "never"}},
		{"the signal names", "gdaemonize --signal ", []string{"HUP", "TERM", "USR1"}},
		{"a USER value", "gdaemonize -u roo", []string{"root"}},
		{"a FILE value", "gnohup -o completion-t", []string{"completion-target.txt"}},
		{"COMMAND's own options", "gnohup gsetsid --fo", []string{"--fork"}},
		{"an optional value, attached", "grespawn -l x --log-timestamps=lo", []string{"--log-timestamps=local"}},
		{"an optional value is never the next word", "grespawn -l x --log-timestamps gnohup --out", []string{"--output"}},
		{"COMMAND's own option values", "gnohup -q grespawn --restart ne", []string{"never"}},
		{"COMMAND's file arguments", "gsetsid -f cat completion-t", []string{"completion-target.txt"}},
		{"an option after COMMAND is COMMAND's", "gnohup cat --pid", nil},
	} {
		script := fmt.Sprintf("for f in %s/*.fish; source $f; end; complete -C %s", fishQuote(scripts), fishQuote(c.line))
		cmd := exec.Command("fish", "--no-config", "-c", script)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("%s: fish: %v\n%s", c.name, err, out)
			continue
		}
		var words []string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			words = append(words, strings.SplitN(line, "\t", 2)[0])
		}
		for _, w := range c.want {
			if !contains(words, w) {
				t.Errorf("%s: %q offers %q, want %q among them", c.name, c.line, words, w)
			}
		}
		if c.want == nil && contains(words, "--pidfile") {
			t.Errorf("%s: %q offers gnohup's --pidfile after COMMAND: %q", c.name, c.line, words)
		}
	}
}

func contains(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// fishQuote quotes s for fish's single quotes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// TestZshCompletion parses each script with zsh -n, then loads them with
// compinit, as a user's .zshrc does, in an interactive zsh on a real pty,
// and checks what TAB shows there.
func TestZshCompletion(t *testing.T) {
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Skip("zsh is not installed (apt-get install zsh)")
	}
	scripts, err := filepath.Abs(filepath.Join(completions, "zsh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range commands {
		if out, err := exec.Command("zsh", "-n", filepath.Join(scripts, "_"+name)).CombinedOutput(); err != nil {
			t.Errorf("zsh -n _%s: %v\n%s", name, err, out)
		}
	}
	dir := tempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "completion-target.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Every possibility listed at the first TAB (no_list_ambiguous), with no
	// "do you wish to see all" question, no menu and no beep; the prompt
	// the terminal waits for.
	zshrc := fmt.Sprintf(`PS1=%s
fpath=(%s $fpath)
autoload -Uz compinit
compinit -u -d "$ZDOTDIR/zcompdump"
zstyle ':completion:*' list-prompt ''
zstyle ':completion:*' menu no
unsetopt beep
setopt no_list_ambiguous
LISTMAX=1000
`, shellQuote(prompt), shellQuote(scripts))
	if err := os.WriteFile(filepath.Join(dir, ".zshrc"), []byte(zshrc), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZDOTDIR", dir)
	tm := startShell(t, dir, "zsh", "-i")
	tm.complete([]completionCase{
		{"a long option by its prefix", "gnohup --pid", []string{"gnohup --pidfile="}},
		{"a FILE value", "gnohup -o completion-t", []string{"completion-target.txt"}},
		{"the restart policies", "grespawn --restart ", []string{"always", "on-failure", "never"}},
		{"the signal names", "gdaemonize --signal US", []string{"USR1", "USR2"}},
		{"a USER value", "gdaemonize -u roo", []string{"gdaemonize -u root"}},
		{"a value of a grouped short option", "gdaemonize -vu roo", []string{"gdaemonize -vu root"}},
		{"COMMAND's name", "gnohup -q gresp", []string{"gnohup -q grespawn"}},
		{"COMMAND's own options", "gnohup gsetsid --fo", []string{"gnohup gsetsid --fork"}},
		{"an optional value, attached", "grespawn -l x --log-timestamps=lo", []string{"--log-timestamps=local"}},
		{"COMMAND after an optional value", "grespawn -l x --log-timestamps=local gsetsid --fo", []string{"gsetsid --fork"}},
		{"an optional value is never the next word", "grespawn -l x --log-timestamps gsetsid --fo", []string{"gsetsid --fork"}},
		{"COMMAND's own option values", "gnohup grespawn --restart ne", []string{"grespawn --restart never"}},
		{"COMMAND's file arguments", "gsetsid -f cat completion-t", []string{"cat completion-target.txt"}},
		{"an option after COMMAND is COMMAND's", "gnohup cat --pid", nil},
	})
}
