package detach

import (
	"os"
	"reflect"
	"testing"

	"github.com/gdetach/gdetach/execvp"
)

func TestPlan(t *testing.T) {
	// Every combination of terminals, and closed descriptors where they
	// matter, with the coreutils 9.1 wording of what `nohup true` prints in
	// each (checked against /usr/bin/nohup).
	const ignoring = "ignoring input and appending output to 'nohup.out'"
	const (
		o = Other
		T = Terminal
		x = Closed
	)
	for _, c := range []struct {
		std      [3]Descriptor
		explicit bool
		want     Plan
		messages []string
	}{
		{[3]Descriptor{o, o, o}, false, Plan{}, nil},
		{[3]Descriptor{T, o, o}, false, Plan{IgnoreInput: true}, []string{"ignoring input"}},
		{[3]Descriptor{o, T, o}, false, Plan{StdoutToFile: true}, []string{"appending output to 'nohup.out'"}},
		{[3]Descriptor{o, o, T}, false, Plan{StderrToStdout: true}, []string{"redirecting stderr to stdout"}},
		{[3]Descriptor{T, T, o}, false, Plan{IgnoreInput: true, StdoutToFile: true}, []string{ignoring}},
		{[3]Descriptor{T, o, T}, false, Plan{IgnoreInput: true, StderrToStdout: true},
			[]string{"ignoring input and redirecting stderr to stdout"}},
		{[3]Descriptor{o, T, T}, false, Plan{StdoutToFile: true, StderrToStdout: true}, []string{"appending output to 'nohup.out'"}},
		{[3]Descriptor{T, T, T}, false, Plan{IgnoreInput: true, StdoutToFile: true, StderrToStdout: true}, []string{ignoring}},
		// Standard output closed, standard error a terminal: nohup opens
		// nohup.out for standard error alone, and says both lines.
		{[3]Descriptor{o, x, T}, false, Plan{StderrToFile: true},
			[]string{"appending output to 'nohup.out'", "redirecting stderr to stdout"}},
		{[3]Descriptor{T, x, T}, false, Plan{IgnoreInput: true, StderrToFile: true},
			[]string{ignoring, "ignoring input and redirecting stderr to stdout"}},
		{[3]Descriptor{x, x, T}, false, Plan{StderrToFile: true},
			[]string{"appending output to 'nohup.out'", "redirecting stderr to stdout"}},
		// Other closed descriptors change nothing.
		{[3]Descriptor{o, x, o}, false, Plan{}, nil},
		{[3]Descriptor{x, T, o}, false, Plan{StdoutToFile: true}, []string{"appending output to 'nohup.out'"}},
		{[3]Descriptor{T, T, x}, false, Plan{IgnoreInput: true, StdoutToFile: true}, []string{ignoring}},
		{[3]Descriptor{T, x, x}, false, Plan{IgnoreInput: true}, []string{"ignoring input"}},
		// -o FILE: off the caller's descriptors, whatever they are.
		{[3]Descriptor{o, o, o}, true, Plan{IgnoreInput: true, StdoutToFile: true, StderrToStdout: true}, []string{ignoring}},
		{[3]Descriptor{T, o, o}, true, Plan{IgnoreInput: true, StdoutToFile: true, StderrToStdout: true}, []string{ignoring}},
		{[3]Descriptor{o, T, T}, true, Plan{IgnoreInput: true, StdoutToFile: true, StderrToStdout: true}, []string{ignoring}},
		{[3]Descriptor{o, x, T}, true, Plan{IgnoreInput: true, StdoutToFile: true, StderrToStdout: true}, []string{ignoring}},
	} {
		got := NewPlan(c.std, c.explicit)
		if got != c.want {
			t.Errorf("NewPlan(%v, %v) = %+v, want %+v", c.std, c.explicit, got, c.want)
		}
		if m := got.Messages(execvp.Quote("nohup.out")); !reflect.DeepEqual(m, c.messages) {
			t.Errorf("NewPlan(%v, %v).Messages = %q, want %q", c.std, c.explicit, m, c.messages)
		}
	}
}

// /dev/null opened read-write is what the Go runtime puts on a closed
// descriptor: taken for closed. Opened as a shell opens it for `>` or `<`,
// it is a file like any other, and so is anything else opened read-write.
func TestInspect(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		flag int
		want Descriptor
	}{
		{os.DevNull, os.O_RDWR, Closed},
		{os.DevNull, os.O_WRONLY, Other},
		{os.DevNull, os.O_RDONLY, Other},
		{os.DevNull, os.O_RDWR | os.O_APPEND, Closed},
		{dir + "/file", os.O_RDWR | os.O_CREATE, Other},
		{"/dev/zero", os.O_RDWR, Other},
	} {
		f, err := os.OpenFile(c.name, c.flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		// inspect takes the descriptor numbers 0-2 only in name: any will do.
		if got := inspect(int(f.Fd())); got != c.want {
			t.Errorf("%s opened with %#o: %v, want %v", c.name, c.flag, got, c.want)
		}
		f.Close()
	}
	p, q, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer q.Close()
	if got := inspect(int(p.Fd())); got != Other {
		t.Errorf("a pipe: %v, want Other", got)
	}
	if got := inspect(1 << 20); got != Other {
		t.Errorf("a descriptor that is not open: %v, want Other", got)
	}
}
