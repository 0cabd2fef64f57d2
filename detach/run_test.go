package detach

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestChooseMode(t *testing.T) {
	for _, c := range []struct {
		name                                 string
		opt                                  Options
		leader, foreground, interruptIgnored bool
		want                                 mode
	}{
		{"script job, no terminal", Options{}, false, false, false, execNewSession},
		{"async job of a script in a terminal", Options{}, false, true, true, execNewSession},
		{"foreground command of a script", Options{}, false, true, false, relayed},
		{"interactive job", Options{}, true, false, false, relayed},
		{"interactive foreground job", Options{}, true, true, false, relayed},
		{"pidfile needs a remover", Options{Pidfile: "p"}, false, false, false, relayed},
		{"classic nohup", Options{KeepSession: true}, true, true, false, execSameSession},
		{"fork from a script", Options{Fork: true}, false, false, false, forked},
		{"fork as an interactive foreground job", Options{Fork: true}, true, true, false, forked},
	} {
		if got := chooseMode(c.opt, c.leader, c.foreground, c.interruptIgnored); got != c.want {
			t.Errorf("%s: mode %d, want %d", c.name, got, c.want)
		}
	}
}

func TestOpenOutputFallsBackToHome(t *testing.T) {
	dir, home := t.TempDir(), t.TempDir()
	t.Chdir(dir)
	t.Setenv("HOME", home)
	if err := os.Mkdir("nohup.out", 0o755); err != nil {
		t.Fatal(err)
	}
	f, name, err := openOutput("")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if name != filepath.Join(home, "nohup.out") {
		t.Errorf("opened %s, want $HOME/nohup.out", name)
	}
}

func TestOpenOutputNamesEveryFailure(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("HOME", filepath.Join(dir, "missing"))
	os.Mkdir("nohup.out", 0o755)
	_, _, err := openOutput("")
	want := "failed to open 'nohup.out': is a directory\nfailed to open '" + dir + "/missing/nohup.out': no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want:\n%s", err, want)
	}
	if !errors.Is(err, syscall.EISDIR) || !errors.Is(err, syscall.ENOENT) {
		t.Error("the causes do not unwrap")
	}
}

func TestOpenOutputExplicitHasNoFallback(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	_, _, err := openOutput(filepath.Join(dir, "missing", "app.log"))
	if err == nil || strings.Contains(err.Error(), "nohup.out") {
		t.Errorf("err = %v, want a failure naming only app.log", err)
	}
}
