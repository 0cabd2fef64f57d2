package pidfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gdetach/gdetach/fdio"
	"golang.org/x/sys/unix"
)

// LockKind names the lock the policy takes, for messages and man pages.
const LockKind = "an open-file-description write lock (F_OFD_SETLK)"

// NamesHolders is true where Holders can name the processes that hold a
// lock (Linux's /proc).
const NamesHolders = true

// tryLock takes the write lock on the whole file without waiting.
func (p *File) tryLock() error {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	err := fdio.IgnoringEINTR(func() error { return unix.FcntlFlock(p.f.Fd(), unix.F_OFD_SETLK, &lk) })
	if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
		return &LockedError{Path: p.path, ReadLocked: p.readLocked()}
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", p.path, os.NewSyscallError("fcntl(F_OFD_SETLK)", err))
	}
	return nil
}

// readLocked reports whether what keeps the write lock from being taken is
// a read lock.
func (p *File) readLocked() bool {
	lk := unix.Flock_t{Type: unix.F_WRLCK}
	if unix.FcntlFlock(p.f.Fd(), unix.F_OFD_GETLK, &lk) != nil {
		return false
	}
	return lk.Type == unix.F_RDLCK
}

// IsLocked reports whether some process holds a lock on the file that keeps
// the write lock from being taken, and whether that is a read lock. It works
// on a file opened read-only (Open), and takes nothing.
func (p *File) IsLocked() (locked, readLocked bool, err error) {
	lk := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(p.f.Fd(), unix.F_OFD_GETLK, &lk); err != nil {
		return false, false, os.NewSyscallError("fcntl(F_OFD_GETLK)", err)
	}
	return lk.Type != unix.F_UNLCK, lk.Type == unix.F_RDLCK, nil
}

// holders scans /proc for the processes with a descriptor on this file
// through which a write lock is held (an OFD lock shows its pid as -1 in
// /proc/locks: the descriptors tell). Another user's processes cannot be
// looked into unless this is root: hidden says some were not.
func (p *File) holders() (pids []int, hidden bool) {
	id := fmt.Sprintf("%02x:%02x:%d", unix.Major(p.dev), unix.Minor(p.dev), p.ino)
	d, err := os.Open("/proc")
	if err != nil {
		return nil, true
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		holds, err := p.heldBy(pid, id)
		if errors.Is(err, os.ErrPermission) {
			hidden = true
		}
		if holds {
			pids = append(pids, pid)
		}
	}
	return pids, hidden
}

// heldBy reports whether process pid has a descriptor on this file with a
// write lock on it (id is the file's "major:minor:inode" in /proc/locks form).
func (p *File) heldBy(pid int, id string) (bool, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	fds, err := os.ReadDir(dir + "/fd")
	if err != nil {
		return false, err
	}
	for _, fd := range fds {
		var st unix.Stat_t
		if unix.Stat(dir+"/fd/"+fd.Name(), &st) != nil || uint64(st.Dev) != p.dev || uint64(st.Ino) != p.ino {
			continue
		}
		info, err := os.ReadFile(dir + "/fdinfo/" + fd.Name())
		if err != nil {
			continue // closed meanwhile
		}
		for _, line := range strings.Split(string(info), "\n") {
			// "lock:	1: OFDLCK ADVISORY  WRITE -1 fe:00:9987021 0 EOF". Only
			// the policy's kind of lock counts: a flock(1) on the same file
			// is another user's business, never a holder of this lock.
			f := strings.Fields(strings.TrimPrefix(line, "lock:"))
			if strings.HasPrefix(line, "lock:") && len(f) >= 6 && f[1] == "OFDLCK" && f[3] == "WRITE" && f[5] == id {
				return true, nil
			}
		}
	}
	return false, nil
}
