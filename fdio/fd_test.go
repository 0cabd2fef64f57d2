package fdio

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// freeFD returns a descriptor number that is not open, and closes it at the end of the test.
func freeFD(t *testing.T) int {
	t.Helper()
	for fd := 100; fd < 200; fd++ {
		if !IsOpen(fd) {
			t.Cleanup(func() { unix.Close(fd) })
			return fd
		}
	}
	t.Fatal("no free descriptor between 100 and 200")
	return -1
}

// fdTarget reads what /proc/self/fd says fd refers to.
func fdTarget(t *testing.T, fd int) string {
	t.Helper()
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		t.Fatal(err)
	}
	return target
}

func closeOnExec(t *testing.T, fd int) bool {
	t.Helper()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	return flags&unix.FD_CLOEXEC != 0
}

func TestIsTerminal(t *testing.T) {
	r, w := pipe(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, c := range []struct {
		name string
		fd   int
		want bool
	}{
		{"pipe read end", int(r.Fd()), false},
		{"pipe write end", int(w.Fd()), false},
		{"/dev/null", int(null.Fd()), false},
		{"pty slave", int(tty.Fd()), true},
		{"closed", freeFD(t), false},
	} {
		if got := IsTerminal(c.fd); got != c.want {
			t.Errorf("IsTerminal(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestIsOpen(t *testing.T) {
	r, _ := pipe(t)
	if !IsOpen(int(r.Fd())) {
		t.Error("IsOpen(open pipe) = false")
	}
	if IsOpen(freeFD(t)) {
		t.Error("IsOpen(closed descriptor) = true")
	}
}

func TestDupClearsCloseOnExec(t *testing.T) {
	r, w := pipe(t)
	fd := freeFD(t)
	if err := Dup(int(w.Fd()), fd); err != nil {
		t.Fatal(err)
	}
	if got, want := fdTarget(t, fd), fdTarget(t, int(w.Fd())); got != want {
		t.Errorf("fd %d refers to %s, want %s", fd, got, want)
	}
	if closeOnExec(t, fd) {
		t.Error("the duplicate is close-on-exec; a program exec'd later would not inherit it")
	}
	if _, err := unix.Write(fd, []byte("through the copy")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	unix.Close(fd)
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "through the copy" {
		t.Errorf("read %q, %v; want the bytes written to the duplicate", got, err)
	}
}

func TestDupOntoItselfClearsCloseOnExec(t *testing.T) {
	_, w := pipe(t)
	fd := int(w.Fd())
	if !closeOnExec(t, fd) {
		t.Fatal("os.Pipe returned a descriptor without close-on-exec")
	}
	if err := Dup(fd, fd); err != nil {
		t.Fatal(err)
	}
	if closeOnExec(t, fd) {
		t.Error("Dup(fd, fd) left close-on-exec set")
	}
}

func TestDupBadDescriptor(t *testing.T) {
	_, w := pipe(t)
	err := Dup(freeFD(t), int(w.Fd()))
	if !errors.Is(err, unix.EBADF) || !strings.Contains(err.Error(), "dup2") {
		t.Errorf("Dup(closed, x) = %v, want an EBADF naming dup2", err)
	}
}

func TestReopenNullWriteOnly(t *testing.T) {
	r, _ := pipe(t)
	fd := int(r.Fd())
	if err := ReopenNull(fd, os.O_WRONLY); err != nil {
		t.Fatal(err)
	}
	if got := fdTarget(t, fd); got != os.DevNull {
		t.Errorf("fd refers to %s, want %s", got, os.DevNull)
	}
	// nohup's reason for write-only: a read must fail, not return end of file.
	if _, err := unix.Read(fd, make([]byte, 1)); !errors.Is(err, unix.EBADF) {
		t.Errorf("read from the reopened descriptor: %v, want EBADF", err)
	}
	if n, err := unix.Write(fd, []byte("x")); n != 1 || err != nil {
		t.Errorf("write to the reopened descriptor: %d, %v", n, err)
	}
}

func TestOpenAppendCreatesWithExactMode(t *testing.T) {
	old := syscall.Umask(0o277) // would leave only 0400 of 0600
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "nohup.out")
	f, err := OpenAppend(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("mode %v, want 0600 whatever the umask", got)
	}
	if !closeOnExec(t, int(f.Fd())) {
		t.Error("descriptor is not close-on-exec")
	}
}

func TestOpenAppendKeepsExistingContentAndMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(path, []byte("first\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := OpenAppend(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("second\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, _ := os.ReadFile(path)
	if string(got) != "first\nsecond\n" {
		t.Errorf("content %q, want the old line then the new", got)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode of an existing file changed to %v", st.Mode().Perm())
	}
}

func TestOpenAppendRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	f, err := OpenAppend(link, 0o600)
	if err == nil {
		f.Close()
		t.Fatal("OpenAppend followed a symbolic link")
	}
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Path != link {
		t.Errorf("error %v does not name %s", err, link)
	}
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link target was created: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "status")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("42\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "42\n" {
		t.Errorf("content %q", got)
	}
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want a regular file 0644", st.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

// What is not a regular file at the path is the user's: a symbolic link
// (its target is not written either), a FIFO, a directory, a device (as
// root, a rename over /dev/null replaced the device). Each is refused and
// left as it was, and nothing is left beside it.
func TestWriteFileAtomicLeavesWhatIsNotARegularFile(t *testing.T) {
	for _, c := range []struct {
		what string
		make func(path string) error
	}{
		{"a symbolic link", func(path string) error {
			if err := os.WriteFile(path+".target", []byte("keep"), 0o600); err != nil {
				return err
			}
			return os.Symlink(path+".target", path)
		}},
		{"a FIFO", func(path string) error { return unix.Mkfifo(path, 0o600) }},
		{"a directory", func(path string) error { return os.Mkdir(path, 0o700) }},
		{"a device", func(path string) error {
			if os.Geteuid() != 0 {
				t.Skip("mknod needs root")
			}
			return unix.Mknod(path, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))) // /dev/null's
		}},
	} {
		t.Run(c.what, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "status")
			if err := c.make(path); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Lstat(path)
			err := WriteFileAtomic(path, []byte("42\n"), 0o644)
			if want := path + " is " + c.what + ", not a regular file: it is not replaced"; err == nil || err.Error() != want {
				t.Errorf("err = %v, want %q", err, want)
			}
			if after, _ := os.Lstat(path); after == nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
				t.Errorf("%s was replaced", c.what)
			}
			if got, err := os.ReadFile(path + ".target"); err == nil && string(got) != "keep" {
				t.Errorf("the symlink's target was written through: %q", got)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 2 {
				t.Errorf("temporary files left behind: %v", entries)
			}
		})
	}
}

func TestWriteFileAtomicUnwritableDirectory(t *testing.T) {
	err := WriteFileAtomic(filepath.Join(t.TempDir(), "missing", "app.pid"), []byte("1\n"), 0o644)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
}

func TestAtomicFileAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "status")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := CreateAtomic(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("target changed to %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestOpenCreateTruncatesAndReportsCreation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	f, created, err := OpenCreate(path, os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil || !created {
		t.Fatalf("first open: created %v, %v", created, err)
	}
	f.WriteString("old content")
	f.Close()
	f, created, err = OpenCreate(path, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil || created {
		t.Fatalf("second open: created %v, %v", created, err)
	}
	f.Close()
	st, _ := os.Stat(path)
	if st.Size() != 0 || st.Mode().Perm() != 0o640 {
		t.Errorf("size %d mode %v: want truncated, mode of the first creation", st.Size(), st.Mode().Perm())
	}
}

func TestIsSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	os.Symlink(filepath.Join(dir, "target"), link)
	_, err := OpenAppend(link, 0o600)
	if !IsSymlinkRefused(err) {
		t.Errorf("IsSymlinkRefused(%v) = false", err)
	}
	if IsSymlinkRefused(os.ErrNotExist) {
		t.Error("IsSymlinkRefused(ErrNotExist) = true")
	}
}

// A target swapped for something else between CreateAtomic and Commit (a
// FIFO here; /dev/null would be the same) is refused at the rename, and the
// temporary file goes.
func TestAtomicFileCommitChecksAgain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "status")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := CreateAtomic(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit([]byte("new")); err == nil || err.Error() != path+" is a FIFO, not a regular file: it is not replaced" {
		t.Errorf("Commit = %v, want the FIFO refused", err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", fi, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}
