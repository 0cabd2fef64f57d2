package fdio

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ReadRegular reads a regular file up to its limit, and refuses, without
// blocking, what is not one; a FIFO with no writer would block an open
// without O_NONBLOCK for ever, so a hang is a failure here.
func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("12345678"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		path    string
		limit   int64
		want    string // the content, or
		notReg  string // a *NotRegularError for this, or
		tooBig  bool   // a *TooLargeError, or
		missing bool   // fs.ErrNotExist
	}{
		{name: "regular", path: file, limit: 8, want: "12345678"},
		{name: "larger than the limit", path: file, limit: 7, tooBig: true},
		{name: "FIFO", path: fifo, limit: 8, notReg: "a FIFO"},
		{name: "directory", path: dir, limit: 8, notReg: "a directory"},
		{name: "symbolic link", path: link, limit: 8, notReg: "a symbolic link"},
		{name: "device", path: os.DevNull, limit: 8, notReg: "a device"},
		{name: "missing", path: filepath.Join(dir, "none"), limit: 8, missing: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			type result struct {
				b   []byte
				err error
			}
			done := make(chan result, 1)
			go func() {
				b, err := ReadRegular(c.path, c.limit)
				done <- result{b, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("ReadRegular(%s) blocked", c.path)
			}
			var nr *NotRegularError
			var tl *TooLargeError
			var pe *os.PathError
			switch {
			case c.notReg != "":
				if !errors.As(r.err, &nr) || nr.What != c.notReg || !errors.As(r.err, &pe) || pe.Path != c.path {
					t.Errorf("ReadRegular = %q, %v; want a *NotRegularError for %s, naming the path", r.b, r.err, c.notReg)
				}
			case c.tooBig:
				if !errors.As(r.err, &tl) || tl.Limit != c.limit || !strings.Contains(r.err.Error(), "larger than 7 bytes") {
					t.Errorf("ReadRegular = %q, %v; want a *TooLargeError", r.b, r.err)
				}
			case c.missing:
				if !errors.Is(r.err, fs.ErrNotExist) {
					t.Errorf("ReadRegular = %q, %v; want fs.ErrNotExist", r.b, r.err)
				}
			default:
				if r.err != nil || string(r.b) != c.want {
					t.Errorf("ReadRegular = %q, %v; want %q", r.b, r.err, c.want)
				}
			}
		})
	}
}

// The check through the descriptor refuses what the look by name did not
// see (a FIFO put in place in between), and its open never waits for the
// FIFO's writer.
func TestOpenRegularRefusesFIFOWithoutBlocking(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := openRegular(fifo)
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		var nr *NotRegularError
		if !errors.As(err, &nr) || nr.What != "a FIFO" {
			t.Errorf("openRegular(FIFO) = %v, want a *NotRegularError for a FIFO", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("openRegular(FIFO) blocked")
	}
}
