package daemonize

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// A notifySocket receives the daemon's sd_notify datagrams ("READY=1").
type notifySocket struct {
	dir  string
	conn *net.UnixConn
}

// listenNotify opens a datagram socket in a new private directory that only
// the daemon's user can enter.
func listenNotify(cred *credential) (n *notifySocket, err error) {
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
	addr := &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"}
	if n.conn, err = net.ListenUnixgram("unixgram", addr); err != nil {
		return n, fmt.Errorf("notify socket: %w", err)
	}
	if cred != nil {
		for _, p := range []string{dir, addr.Name} {
			if err := os.Chown(p, int(cred.UID), int(cred.GID)); err != nil {
				return n, fmt.Errorf("notify socket: %w", err)
			}
		}
	}
	return n, nil
}

// path is the value of NOTIFY_SOCKET for the daemon.
func (n *notifySocket) path() string { return filepath.Join(n.dir, "notify") }

// await waits until a datagram says READY=1 (nil), the daemon exits first
// (exited is closed; *waitErr says how), or timeout passes.
func (n *notifySocket) await(timeout time.Duration, exited <-chan struct{}, waitErr *error) error {
	ready := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := n.conn.Read(buf)
			if err != nil {
				return // closed by close()
			}
			for _, line := range bytes.Split(buf[:k], []byte("\n")) {
				if string(line) == "READY=1" {
					close(ready)
					return
				}
			}
		}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-ready:
		return nil
	case <-exited:
		if *waitErr == nil {
			return fmt.Errorf("exited with status 0 before it was ready")
		}
		return fmt.Errorf("%v before it was ready", *waitErr)
	case <-timer.C:
		return fmt.Errorf("not ready (no READY=1) within %v", timeout)
	}
}

func (n *notifySocket) close() {
	if n.conn != nil {
		n.conn.Close()
	}
	os.RemoveAll(n.dir) // best effort: a leftover is an empty temporary directory
}
