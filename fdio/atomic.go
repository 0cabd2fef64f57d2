package fdio

import (
	"os"
	"path/filepath"
)

// An AtomicFile is the pending replacement of a file: a temporary file in the
// same directory that Commit writes, flushes and renames over the target, so
// a reader sees either the old content or all of the new, never a part. A
// symbolic link at the target is replaced, not followed.
type AtomicFile struct {
	path string
	tmp  *os.File
	perm os.FileMode
}

// CreateAtomic prepares to replace path with a file of permissions perm. It
// creates the temporary file at once, so that an unwritable directory is
// reported before anything else is done.
func CreateAtomic(path string, perm os.FileMode) (*AtomicFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	return &AtomicFile{path: path, tmp: tmp, perm: perm}, nil
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
	return os.Rename(f.tmp.Name(), f.path)
}

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
