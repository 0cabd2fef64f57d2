//go:build linux

package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// versionRE matches what NAME --version prints, in the GNU form, whatever the
// version (the tests' build stamps none).
func versionRE(name string) string {
	return `^` + name + ` \(gdetach\) \S+\n` +
		`Copyright \(C\) 2026 the gdetach authors\.\n` +
		`License MIT: <https://opensource\.org/licenses/MIT>\.\n` +
		`This is free software: you are free to change and redistribute it\.\n` +
		`There is NO WARRANTY, to the extent permitted by law\.\n$`
}

// commands are the four commands, as the Makefile and the package install them.
var commands = []string{"gnohup", "gsetsid", "gdaemonize", "grespawn"}

// --help ends with a pointer that is true once the commands are installed: the
// man page by name, which exists under docs/ and is installed beside them.
func TestHelpPointsToManPage(t *testing.T) {
	for _, name := range commands {
		out, err := exec.Command(filepath.Join(binDir, name), "--help").Output()
		if err != nil {
			t.Fatalf("%s --help: %v", name, err)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if last := lines[len(lines)-1]; last != "Full documentation: man "+name {
			t.Errorf("%s --help ends with %q, want %q", name, last, "Full documentation: man "+name)
		}
		if _, err := os.Stat(filepath.Join("..", "docs", name+".1")); err != nil {
			t.Errorf("%s --help points to a man page the sources lack: %v", name, err)
		}
	}
}

func TestVersionIsGNUStyle(t *testing.T) {
	for _, name := range commands {
		out, err := exec.Command(filepath.Join(binDir, name), "--version").Output()
		if err != nil {
			t.Fatalf("%s --version: %v", name, err)
		}
		if !regexp.MustCompile(versionRE(name)).Match(out) {
			t.Errorf("%s --version printed\n%s\nwant it to match %s", name, out, versionRE(name))
		}
	}
}
