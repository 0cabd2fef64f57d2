//go:build linux

package pidfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/gdetach/gdetach/tests/testutil"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	testutil.RegisterHelper("hold", holdHelper)
	testutil.Main(m)
}

// holdHelper holds what it inherited as descriptor 3 (a locked pidfile)
// until killed, after writing its PID to the ready file args[0].
func holdHelper(args []string) int {
	if err := testutil.WritePIDFile(args[0]); err != nil {
		return 2
	}
	testutil.Park()
	return 0
}

func TestParse(t *testing.T) {
	for text, want := range map[string]int{
		"42\n": 42, "7": 7, "1\n": 1,
		"": 0, "\n": 0, "0\n": 0, "-3\n": 0, "+3\n": 0, "012\n": 0, " 7\n": 0, "7 \n": 0, "7\n\n": 0,
		"7\r\n": 0, "12ab\n": 0, "99999999999999999999\n": 0, "4194305\n": 0, "1e3\n": 0,
	} {
		got, err := Parse([]byte(text))
		if got != want || (err == nil) != (want > 0) {
			t.Errorf("Parse(%q) = %d, %v; want %d", text, got, err, want)
		}
		if err != nil && (!errors.Is(err, ErrNotPIDFile) || strings.Contains(err.Error(), "12ab")) {
			t.Errorf("Parse(%q): error %q, want ErrNotPIDFile without the content", text, err)
		}
	}
	if max := MaxPID(); max < 32767 {
		t.Errorf("MaxPID() = %d", max)
	}
}

func mustLock(t *testing.T, path string) *File {
	t.Helper()
	p, err := Lock(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestLockWriteReadRemove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.pid")
	p := mustLock(t, path)
	if !p.Created() {
		t.Error("Created() = false for a new file")
	}
	if err := p.WritePID(1234); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "1234\n" {
		t.Errorf("content %q", b)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 whatever the umask", st.Mode().Perm())
	}
	if err := p.Remove(99, p); err == nil {
		t.Error("Remove of another PID succeeded")
	}
	if err := p.Remove(1234, p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pidfile still there: %v", err)
	}
}

// A second lock on the same path fails and names the holder; a read-only
// descriptor cannot take the write lock, and a read lock shows as one.
func TestLockConflicts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.pid")
	mustLock(t, path)
	_, err := Lock(path, 0o644)
	var le *LockedError
	if !errors.As(err, &le) || le.ReadLocked || len(le.Holders) != 1 || le.Holders[0] != os.Getpid() {
		t.Fatalf("second Lock = %v, want a LockedError naming this process", err)
	}

	other := filepath.Join(t.TempDir(), "other.pid")
	os.WriteFile(other, nil, 0o644)
	r, err := os.Open(other)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wr := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(r.Fd(), unix.F_OFD_SETLK, &wr); !errors.Is(err, unix.EBADF) {
		t.Errorf("write lock through a read-only descriptor: %v, want EBADF", err)
	}
	// flock, as flock(1) takes it, does not conflict with the OFD lock.
	if err := unix.Flock(int(r.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	q, err := Lock(other, 0o644)
	if err != nil {
		t.Fatalf("Lock under a reader's flock: %v", err)
	}
	q.Close()
	rd := unix.Flock_t{Type: unix.F_RDLCK}
	if err := unix.FcntlFlock(r.Fd(), unix.F_OFD_SETLK, &rd); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(other, 0o644); !errors.As(err, &le) || !le.ReadLocked {
		t.Errorf("Lock under a read lock = %v, want ReadLocked", err)
	}
}

// The lock goes with the descriptor to a child, and stays with it after
// this process closes its copy.
func TestLockInherited(t *testing.T) {
	dir := t.TempDir()
	path, ready := filepath.Join(dir, "app.pid"), filepath.Join(dir, "ready")
	p, err := Lock(path, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := testutil.HelperCommand(t, "hold", ready)
	cmd.ExtraFiles = []*os.File{p.OSFile()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	testutil.ReadyPID(t, ready, testutil.Watch(t, cmd.Process.Pid))
	p.Close()
	_, err = Lock(path, 0o644)
	var le *LockedError
	if !errors.As(err, &le) || len(le.Holders) != 1 || le.Holders[0] != cmd.Process.Pid {
		t.Fatalf("Lock = %v, want it held by the child %d only", err, cmd.Process.Pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	mustLock(t, path) // free again
}

// Everything that is not a regular file with one link is refused, by what
// it is, and left as it was.
func TestRefusesWhatIsNotAPidfile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(filepath.Join(dir, "target"), link)
	hard := filepath.Join(dir, "hard")
	os.WriteFile(hard, []byte("12\n"), 0o644)
	os.Link(hard, filepath.Join(dir, "hard2"))
	conf := filepath.Join(dir, "important.conf")
	os.WriteFile(conf, []byte("keep = me\n"), 0o644)
	sock := filepath.Join(dir, "sock")
	if fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0); err == nil {
		unix.Bind(fd, &unix.SockaddrUnix{Name: sock})
		defer unix.Close(fd)
	}
	for _, c := range []struct{ path, want string }{
		{os.DevNull, "is a device"},
		{fifo, "is a FIFO"},
		{link, "is a symbolic link"},
		{dir, "is a directory"},
		{hard, "is hard-linked (2 names)"},
		{sock, "is a socket"},
		{conf, "not a pidfile: it does not hold a PID"},
	} {
		for name, open := range map[string]func(string) (*File, error){
			"Lock":   func(p string) (*File, error) { return Lock(p, 0o644) },
			"Create": func(p string) (*File, error) { return Create(p, 0o644) },
			"Open":   Open,
		} {
			if name == "Open" && c.path == conf {
				continue // opening for reading is fine; ReadPID refuses it
			}
			f, err := open(c.path)
			if err == nil {
				f.Close()
				t.Errorf("%s(%s) succeeded", name, c.path)
				continue
			}
			if !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrNotPIDFile) {
				t.Errorf("%s(%s) = %v, want %q and ErrNotPIDFile", name, c.path, err, c.want)
			}
		}
	}
	if b, _ := os.ReadFile(conf); string(b) != "keep = me\n" {
		t.Errorf("the config was changed to %q", b)
	}
	if _, err := os.Lstat(link); err != nil {
		t.Error("the symbolic link was removed")
	}
	if _, err := os.Lstat(filepath.Join(dir, "target")); err == nil {
		t.Error("the symbolic link was followed")
	}
}

// A huge (sparse) file is judged by its first bytes: never read whole.
func TestHugeFileIsNotAPidfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.pid")
	f, _ := os.Create(path)
	f.WriteString("12\n")
	f.Truncate(3 << 30)
	f.Close()
	p, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = p.ReadPID()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrNotPIDFile) {
		t.Errorf("ReadPID = %v, want ErrNotPIDFile", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("reading allocated %d bytes", grew)
	}
}

// The lock dance: a pidfile removed and recreated between open and lock is
// not the one locked; Remove refuses a path that names another file now.
func TestRemoveOnlyTheLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.pid")
	p := mustLock(t, path)
	p.WritePID(42)
	os.Remove(path)
	os.WriteFile(path, []byte("42\n"), 0o644) // another file, same content
	if err := p.Remove(42, p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Error("Remove removed a file it had not locked")
	}
	if same, _ := p.NamesThis(); same {
		t.Error("NamesThis after a replacement")
	}
	q, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.Remove(42, q); !errors.Is(err, ErrNotLocked) {
		t.Errorf("Remove without the lock = %v", err)
	}
}

func TestChownThroughDescriptor(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	path := filepath.Join(t.TempDir(), "app.pid")
	p := mustLock(t, path)
	if err := p.Chown(65534, 65534); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Sys().(*syscall.Stat_t).Uid != 65534 {
		t.Error("not handed over")
	}
}
