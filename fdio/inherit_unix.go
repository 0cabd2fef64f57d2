package fdio

import (
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// closeOnExecListed marks close-on-exec the descriptors ≥ lowfd that the
// directory dir (/proc/self/fd or /dev/fd) lists.
func closeOnExecListed(dir string, lowfd int) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd < lowfd {
			continue
		}
		// The directory's own descriptor is listed but closed by now.
		if err := setCloseOnExec(fd, true); err != nil && !errors.Is(err, unix.EBADF) {
			return err
		}
	}
	return nil
}
