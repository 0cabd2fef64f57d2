package fdio

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Kind names what a file of mode m is when it is not a regular file ("a
// symbolic link", "a device", "a FIFO" …), and is "" for a regular file.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// An AtomicFile is the pending replacement of a file: a temporary file in the
// same directory that Commit writes, flushes and renames over the target, so
// a reader sees either the old content or all of the new, never a part. Only
// a regular file is replaced: a symbolic link, a device, a FIFO, a directory
// or a socket at the target is the user's, and left as it is.
type AtomicFile struct {
	path string
	tmp  *os.File
	perm os.FileMode
}

// CreateAtomic prepares to replace path with a file of permissions perm. It
// creates the temporary file at once, so that an unwritable directory is
// reported before anything else is done. It refuses a path that exists and
// is not a regular file (CheckReplaceable).
func CreateAtomic(path string, perm os.FileMode) (*AtomicFile, error) {
	if err := CheckReplaceable(path); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	return &AtomicFile{path: path, tmp: tmp, perm: perm}, nil
}

// CheckReplaceable returns an error if path exists and is not a regular
// file, which replacing would destroy (as root, a rename over /dev/null
// would replace the device), or if it cannot be looked at. A path that does
// not exist yet is fine. The check is made again when the file is replaced,
// but a rename cannot be made conditional: keep such files in a directory
// that only the user writes.
func CheckReplaceable(path string) error {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if what := Kind(fi.Mode()); what != "" {
		return fmt.Errorf("%s is %s, not a regular file: it is not replaced", path, what)
	}
	return nil
}

// Commit writes data and puts the file in place. On failure nothing is left
// behind and the target is untouched.
func (f *AtomicFile) Commit(data []byte) (err error) {
	defer func() {
		if err != nil {
			f.Abort()
		}
	}()
	if err := f.tmp.Chmod(f.perm); err != nil {
		return err
	}
	if _, err := f.tmp.Write(data); err != nil {
		return err
	}
	if err := f.tmp.Sync(); err != nil {
		return err
	}
	if err := f.tmp.Close(); err != nil {
		return err
	}
	if err := CheckReplaceable(f.path); err != nil { // it may have changed since
		return err
	}
	return os.Rename(f.tmp.Name(), f.path)
}

// Chown gives the replacement to uid and gid, before Commit puts it in
// place.
func (f *AtomicFile) Chown(uid, gid int) error { return f.tmp.Chown(uid, gid) }

// Abort removes the temporary file; the target is untouched.
func (f *AtomicFile) Abort() {
	_ = f.tmp.Close()           // best effort: it is being thrown away
	_ = os.Remove(f.tmp.Name()) // best effort: nothing better to do if it fails
}

// WriteFileAtomic replaces path with a file holding data and permissions
// perm, as CreateAtomic and Commit do.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := CreateAtomic(path, perm)
	if err != nil {
		return err
	}
	return f.Commit(data)
}
