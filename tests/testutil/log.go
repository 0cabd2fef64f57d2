package testutil

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// A LogFile is one file of a rotated log and what it holds.
type LogFile struct {
	Path string
	Data []byte
}

// RotatedLog reads a log rotated as PATH.N … PATH.1, PATH, up to backups
// old files, oldest first; files that do not exist are skipped. A file that
// ends in half a line fails the test: rotation must keep lines whole.
func RotatedLog(t testing.TB, path string, backups int) []LogFile {
	t.Helper()
	var files []LogFile
	for i := backups; i >= 0; i-- {
		p := path
		if i > 0 {
			p = fmt.Sprintf("%s.%d", path, i)
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s ends in half a line", p)
		}
		files = append(files, LogFile{Path: p, Data: b})
	}
	return files
}

// Lines returns the lines of files, in order, without their newlines.
func Lines(files []LogFile) []string {
	var lines []string
	for _, f := range files {
		if len(f.Data) > 0 {
			lines = append(lines, strings.Split(strings.TrimSuffix(string(f.Data), "\n"), "\n")...)
		}
	}
	return lines
}
