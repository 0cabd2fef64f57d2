package fdio

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// A NotRegularError refuses a file that is not a regular file.
type NotRegularError struct {
	What string // what it is instead: "a FIFO", "a directory" (Kind)
}

func (e *NotRegularError) Error() string { return e.What + ", not a regular file" }

// A TooLargeError refuses a file larger than a reader takes.
type TooLargeError struct {
	Limit int64 // the most bytes taken
}

func (e *TooLargeError) Error() string { return fmt.Sprintf("larger than %d bytes", e.Limit) }

// ReadRegular reads the regular file at path, of at most limit bytes.
// Anything else is refused before it could block the reader or be disturbed
// by it: a symbolic link (not followed), a FIFO (whose open would wait for a
// writer, and whose read would take what another reader was waiting for), a
// device, a directory or a socket. It is looked at first, then opened with
// O_NOFOLLOW and O_NONBLOCK and looked at again through the descriptor, so
// that what replaced it in between is refused too. A file larger than limit
// is refused rather than read in part. Errors are *os.PathError; their Err
// is a *NotRegularError or a *TooLargeError for these refusals.
func ReadRegular(path string, limit int64) ([]byte, error) {
	if fi, err := os.Lstat(path); err == nil && Kind(fi.Mode()) != "" {
		return nil, &os.PathError{Op: "open", Path: path, Err: &NotRegularError{What: Kind(fi.Mode())}}
	}
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &os.PathError{Op: "read", Path: path, Err: &TooLargeError{Limit: limit}}
	}
	return b, nil
}

// openRegular opens path for reading if it is a regular file, as fstat says
// of the descriptor, without following a symbolic link or waiting for the
// writer of a FIFO.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if IsSymlinkRefused(err) {
		return nil, &os.PathError{Op: "open", Path: path, Err: &NotRegularError{What: "a symbolic link"}}
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if what := Kind(fi.Mode()); what != "" {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: &NotRegularError{What: what}}
	}
	return f, nil
}
