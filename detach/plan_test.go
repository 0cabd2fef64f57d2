package detach

import (
	"reflect"
	"testing"

	"github.com/gdetach/gdetach/execvp"
)

func TestPlan(t *testing.T) {
	// Every combination of terminals, with the coreutils 9.1 wording of what
	// `nohup true` prints in each (checked against /usr/bin/nohup).
	const ignoring = "ignoring input and appending output to 'nohup.out'"
	for _, c := range []struct {
		tty      [3]bool
		explicit bool
		want     Plan
		messages []string
	}{
		{[3]bool{false, false, false}, false, Plan{}, nil},
		{[3]bool{true, false, false}, false, Plan{IgnoreInput: true}, []string{"ignoring input"}},
		{[3]bool{false, true, false}, false, Plan{StdoutToFile: true}, []string{"appending output to 'nohup.out'"}},
		{[3]bool{false, false, true}, false, Plan{StderrToStdout: true}, []string{"redirecting stderr to stdout"}},
		{[3]bool{true, true, false}, false, Plan{IgnoreInput: true, StdoutToFile: true}, []string{ignoring}},
		{[3]bool{true, false, true}, false, Plan{IgnoreInput: true, StderrToStdout: true},
			[]string{"ignoring input and redirecting stderr to stdout"}},
		{[3]bool{false, true, true}, false, Plan{StdoutToFile: true, StderrToStdout: true}, []string{"appending output to 'nohup.out'"}},
		{[3]bool{true, true, true}, false, Plan{true, true, true}, []string{ignoring}},
		// -o FILE: off the caller's descriptors, whatever they are.
		{[3]bool{false, false, false}, true, Plan{true, true, true}, []string{ignoring}},
		{[3]bool{true, false, false}, true, Plan{true, true, true}, []string{ignoring}},
		{[3]bool{false, true, true}, true, Plan{true, true, true}, []string{ignoring}},
	} {
		got := NewPlan(c.tty, c.explicit)
		if got != c.want {
			t.Errorf("NewPlan(%v, %v) = %+v, want %+v", c.tty, c.explicit, got, c.want)
		}
		if m := got.Messages(execvp.Quote("nohup.out")); !reflect.DeepEqual(m, c.messages) {
			t.Errorf("NewPlan(%v, %v).Messages = %q, want %q", c.tty, c.explicit, m, c.messages)
		}
	}
}
