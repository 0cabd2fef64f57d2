package daemonize

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gdetach/gdetach/account"
)

// listenNotify opens the socket, with SO_PASSCRED: every message comes with
// its sender's PID.
func listenNotify(cred *account.Credential) (n *notifySocket, err error) {
	dir, err := os.MkdirTemp("", "gdaemonize-notify-")
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	n = &notifySocket{dir: dir}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return n, fmt.Errorf("notify socket: %w", os.NewSyscallError("socket", err))
	}
	n.file = os.NewFile(uintptr(fd), "notify")
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		return n, fmt.Errorf("notify socket: %w", os.NewSyscallError("setsockopt(SO_PASSCRED)", err))
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: n.path()}); err != nil {
		return n, fmt.Errorf("notify socket: %w", os.NewSyscallError("bind", err))
	}
	if cred != nil {
		for _, p := range []string{dir, n.path()} {
			if err := os.Chown(p, int(cred.UID), int(cred.GID)); err != nil {
				return n, fmt.Errorf("notify socket: %w", err)
			}
		}
	}
	return n, nil
}

// readNotify reads datagrams from conn until it is closed or its read
// deadline passes (then it closes msgs), and sends those from the daemon's
// tree (accepted reports that of a sender PID) on msgs. Descriptors passed
// along (BARRIER=1's) are closed once read: that is the answer a barrier
// waits for, every earlier message having been read.
func readNotify(conn *net.UnixConn, accepted func(pid int) bool, msgs chan<- notifyMessage, done <-chan struct{}) {
	defer close(msgs)
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*16))
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The deadline asks for what is queued and no more; a read past
			// it would return at once without reading it (under load the
			// daemon's last datagrams, ERRNO= before its exit, were lost).
			drainNotify(conn, buf, oob, func(n, oobn int) bool { return deliver(buf[:n], oob[:oobn], accepted, msgs, done) })
			return
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue // a truncated or refused datagram: the next one
		}
		if !deliver(buf[:n], oob[:oobn], accepted, msgs, done) {
			return
		}
	}
}

// drainNotify reads the datagrams queued on conn without waiting, passing
// each to take until it returns false.
func drainNotify(conn *net.UnixConn, buf, oob []byte, take func(n, oobn int) bool) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return
	}
	for {
		var n, oobn int
		var rerr error
		// Control, not Read: Read honours the expired deadline.
		if err := rc.Control(func(fd uintptr) {
			n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_DONTWAIT)
		}); err != nil || errors.Is(rerr, unix.EAGAIN) {
			return
		}
		if rerr != nil {
			continue // a truncated or refused datagram: the next one
		}
		if !take(n, oobn) {
			return
		}
	}
}

// deliver parses one datagram and its credentials and, if it comes from the
// daemon's tree, sends it on; false when the receiver is done.
func deliver(data, oob []byte, accepted func(pid int) bool, msgs chan<- notifyMessage, done <-chan struct{}) bool {
	m := notifyMessage{fields: map[string]string{}}
	cmsgs, _ := unix.ParseSocketControlMessage(oob)
	for _, c := range cmsgs {
		if cred, err := unix.ParseUnixCredentials(&c); err == nil {
			m.pid = int(cred.Pid)
		}
		if fds, err := unix.ParseUnixRights(&c); err == nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
	}
	if m.pid == 0 || !accepted(m.pid) {
		return true // not from the daemon's tree
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if k, v, ok := strings.Cut(string(line), "="); ok {
			m.fields[k] = v
		}
	}
	select {
	case msgs <- m:
		return true
	case <-done:
		return false
	}
}
