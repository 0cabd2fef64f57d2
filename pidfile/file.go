package pidfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/gdetach/gdetach/fdio"
	"golang.org/x/sys/unix"
)

// A File is an open pidfile or lock file that passed the policy's checks.
type File struct {
	path     string
	f        *os.File
	dev, ino uint64
	created  bool // this File created it
	locked   bool // this File holds its lock
}

// A NotRegularError refuses a path that is not a regular file with one link.
type NotRegularError struct {
	Path string
	What string // "a symbolic link", "a FIFO", "hard-linked" …
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.What)
}

// Is makes errors.Is(err, ErrNotPIDFile) hold: such a path is no pidfile.
func (e *NotRegularError) Is(target error) bool { return target == ErrNotPIDFile }

// Create opens path for writing a PID or holding a lock, creating it with
// exactly the mode perm if it does not exist. An existing file must pass the
// policy's checks and be empty or hold a PID.
func Create(path string, perm os.FileMode) (*File, error) {
	if err := precheck(path); err != nil {
		return nil, err
	}
	f, created, err := fdio.OpenCreate(path, os.O_RDWR|unix.O_NONBLOCK|unix.O_NOCTTY, perm)
	if err != nil {
		return nil, openError(path, err)
	}
	p, err := newFile(path, f, created)
	if err != nil {
		return nil, err
	}
	if !created {
		if _, err := p.ReadPID(); err != nil && !errors.Is(err, ErrEmpty) {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// openWritable opens an existing pidfile or lock file for reading and
// writing (as a write lock needs), with the policy's checks.
func openWritable(path string) (*File, error) {
	if err := precheck(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, openError(path, err)
	}
	return newFile(path, f, false)
}

// Open opens an existing pidfile or lock file for reading, with the
// policy's checks.
func Open(path string) (*File, error) {
	if err := precheck(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, openError(path, err)
	}
	return newFile(path, f, false)
}

// Adopt wraps f, a pidfile or lock file opened by another process and
// passed on (a descriptor inherited), after the same checks as Open.
func Adopt(f *os.File) (*File, error) { return newFile(f.Name(), f, false) }

// precheck refuses, without opening it, a path that names something opening
// could disturb: a device (opening a tape rewinds it) or a FIFO.
func precheck(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return nil // missing, or unreadable: the open says
	}
	if what := fdio.Kind(st.Mode()); what != "" {
		return &NotRegularError{Path: path, What: what}
	}
	return nil
}

// newFile checks what f is, through its descriptor, and adopts it.
func newFile(path string, f *os.File, created bool) (*File, error) {
	var st unix.Stat_t
	if err := fdio.IgnoringEINTR(func() error { return unix.Fstat(int(f.Fd()), &st) }); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	what := ""
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if st.Nlink > 1 {
			what = fmt.Sprintf("hard-linked (%d names)", st.Nlink)
		}
	case unix.S_IFDIR:
		what = "a directory"
	case unix.S_IFCHR, unix.S_IFBLK:
		what = "a device"
	case unix.S_IFIFO:
		what = "a FIFO"
	case unix.S_IFSOCK:
		what = "a socket"
	default:
		what = "not a regular file"
	}
	if what != "" {
		f.Close()
		if created {
			os.Remove(path) // cannot happen for a file just created; best effort
		}
		return nil, &NotRegularError{Path: path, What: what}
	}
	return &File{path: path, f: f, dev: uint64(st.Dev), ino: uint64(st.Ino), created: created}, nil
}

// openError rewords O_NOFOLLOW's refusal, which the kernel calls a loop.
func openError(path string, err error) error {
	if fdio.IsSymlinkRefused(err) {
		return &NotRegularError{Path: path, What: "a symbolic link"}
	}
	return err
}

// Path is the path the file was opened by.
func (p *File) Path() string { return p.path }

// Created reports whether this File created the file.
func (p *File) Created() bool { return p.created }

// OSFile is the open file, to pass the descriptor (and with it the lock) to
// another process.
func (p *File) OSFile() *os.File { return p.f }

// ModTime is when the file was last written, from its descriptor.
func (p *File) ModTime() (time.Time, error) {
	st, err := p.f.Stat()
	if err != nil {
		return time.Time{}, err
	}
	return st.ModTime(), nil
}

// Owner is the user that owns the file.
func (p *File) Owner() (int, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(p.f.Fd()), &st); err != nil {
		return 0, &os.PathError{Op: "fstat", Path: p.path, Err: err}
	}
	return int(st.Uid), nil
}

// Chown hands the file to uid and gid, through the descriptor.
func (p *File) Chown(uid, gid int) error { return p.f.Chown(uid, gid) }

// Same reports whether f is the same file (an output file named by another
// path, say).
func (p *File) Same(f *os.File) bool {
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil {
		return false
	}
	return uint64(st.Dev) == p.dev && uint64(st.Ino) == p.ino
}

// ErrEmpty is ReadPID's error for an empty file (a start under way, or one
// that died before it wrote the PID); it is also an ErrNotPIDFile.
var ErrEmpty = fmt.Errorf("%w: it is empty", ErrNotPIDFile)

// ReadPID reads the PID the file holds, reading at most MaxSize+1 bytes.
func (p *File) ReadPID() (int, error) {
	buf := make([]byte, MaxSize+1)
	n, err := fdio.IgnoringEINTR2(func() (int, error) { return p.f.ReadAt(buf, 0) })
	if err != nil && err != io.EOF {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("%s: %w", p.path, ErrEmpty)
	}
	pid, err := Parse(buf[:n])
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.path, err)
	}
	return pid, nil
}

// WritePID replaces the content with pid and a newline, as Write does.
func (p *File) WritePID(pid int) error { return Write(p.f, pid) }

// Write replaces the content of f, an open pidfile (a File's, passed to
// another process), with pid and a newline, in place: the file is emptied,
// then written in one write, so a reader sees no PID or all of it. It is not
// flushed to disk: after a crash the daemon is gone anyway, and the lock
// (which a crash releases) tells a stale pidfile; an fsync would cost a
// start a millisecond for nothing.
func Write(f *os.File, pid int) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt(Format(pid), 0)
	return err
}

// NamesThis reports whether the path still names this file: it has not
// been removed or replaced since it was opened.
func (p *File) NamesThis() (bool, error) {
	var st unix.Stat_t
	err := fdio.IgnoringEINTR(func() error { return unix.Stat(p.path, &st) })
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, &os.PathError{Op: "stat", Path: p.path, Err: err}
	}
	return uint64(st.Dev) == p.dev && uint64(st.Ino) == p.ino, nil
}

// ErrNotLocked is Remove's error when this File does not hold the lock.
var ErrNotLocked = errors.New("the pidfile is not locked by this process")

// Remove removes the file, as the policy allows: only while lock (this File,
// or the separate lock file that guards it) is held by this process, only if
// the path still names this file, and only if it holds pid (0: if it is
// empty). Otherwise it leaves the file and says why.
func (p *File) Remove(pid int, lock *File) error {
	if lock == nil || !lock.locked {
		return fmt.Errorf("remove %s: %w", p.path, ErrNotLocked)
	}
	same, err := p.NamesThis()
	if err != nil {
		return fmt.Errorf("remove %s: %w", p.path, err)
	}
	if !same {
		return nil // removed or replaced already: nothing of ours to remove
	}
	got, err := p.ReadPID()
	switch {
	case pid == 0 && errors.Is(err, ErrEmpty):
	case err != nil:
		return fmt.Errorf("remove %s: %w", p.path, err)
	case got != pid:
		return fmt.Errorf("remove %s: it names pid %d now, not %d", p.path, got, pid)
	}
	if err := os.Remove(p.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Close closes the descriptor. The lock goes with it, unless another
// process shares the descriptor (a daemon that inherited it).
func (p *File) Close() error {
	p.locked = false
	return p.f.Close()
}
