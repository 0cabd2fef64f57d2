package daemonize

import (
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// What the daemon sent before it exited is still read once the reader is
// told to stop at once (an expired deadline): under load, ERRNO= sent just
// before the exit was lost, a read past the deadline returning without
// reading.
func TestReadNotifyDrainsAfterDeadline(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		t.Fatal(err)
	}
	rf := os.NewFile(uintptr(fds[0]), "notify")
	c, err := net.FileConn(rf)
	rf.Close()
	if err != nil {
		t.Fatal(err)
	}
	conn := c.(*net.UnixConn)
	defer conn.Close()
	defer unix.Close(fds[1])
	for _, m := range []string{"STATUS=loading", "ERRNO=2"} {
		if err := unix.Send(fds[1], []byte(m), 0); err != nil {
			t.Fatal(err)
		}
	}
	conn.SetReadDeadline(time.Now()) // as awaitReady does once the daemon has exited
	msgs := make(chan notifyMessage)
	done := make(chan struct{})
	defer close(done)
	go readNotify(conn, func(pid int) bool { return pid == os.Getpid() }, msgs, done)
	got := map[string]string{}
	for m := range msgs {
		for k, v := range m.fields {
			got[k] = v
		}
	}
	if got["STATUS"] != "loading" || got["ERRNO"] != "2" {
		t.Errorf("read %v, want both datagrams", got)
	}
}
