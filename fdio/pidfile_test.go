package fdio

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadPID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.pid")
	for text, want := range map[string]int{"42\n": 42, " 7 ": 7, "": 0, "0\n": 0, "-3\n": 0, "12ab\n": 0} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadPID(path)
		if got != want || (err == nil) != (want > 0) {
			t.Errorf("ReadPID of %q = %d, %v; want %d", text, got, err, want)
		}
	}
	if _, err := ReadPID(filepath.Join(t.TempDir(), "missing")); !os.IsNotExist(err) {
		t.Errorf("a missing pidfile: %v, want not-exist", err)
	}
}
