package daemonize

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/process"
)

// A notifySocket is the datagram socket on which the daemon's tree sends
// sd_notify messages ("READY=1"), in a new private directory that only the
// daemon's user can enter. Start makes it, so that its directory goes
// whatever becomes of the session stage, which reads it.
type notifySocket struct {
	dir  string
	file *os.File // the bound socket, to pass to the stage
}

// path is the value of NOTIFY_SOCKET for the daemon.
func (n *notifySocket) path() string { return filepath.Join(n.dir, "notify") }

func (n *notifySocket) close() {
	if n.file != nil {
		n.file.Close()
	}
	os.RemoveAll(n.dir) // best effort: a leftover is an empty temporary directory
}

// A notifyMessage is one datagram: its sender and its KEY=VALUE lines.
type notifyMessage struct {
	pid    int
	fields map[string]string
}

// A readiness is how a daemon's start ended: ready, with the main PID, or
// not, with why.
type readiness struct {
	mainPID int
	status  string // the last STATUS=
	errno   int    // ERRNO=, 0 if none
}

func (r readiness) details() string {
	var s []string
	if r.status != "" {
		s = append(s, "STATUS="+r.status)
	}
	if r.errno != 0 {
		s = append(s, fmt.Sprintf("ERRNO=%d: %v", r.errno, syscall.Errno(r.errno)))
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, "; ") + ")"
}

// awaitReady waits until the daemon's tree says READY=1 on sock, the daemon
// (pid, the stage's child) exits first (exited is closed; *waitErr says how),
// or timeout passes (EXTEND_TIMEOUT_USEC= extends it). MAINPID= names the
// daemon's main process, if it is in the tree. After READY=1 from a process
// other than the daemon (systemd-notify, say), it answers that process's
// BARRIER=1 before it returns, or sees it exit.
func awaitReady(sock *os.File, pid int, inTree func(int) bool, timeout time.Duration, exited <-chan struct{}, waitErr *error) (readiness, error) {
	r := readiness{mainPID: pid}
	fc, err := net.FileConn(sock)
	if err != nil {
		return r, fmt.Errorf("notify socket: %w", err)
	}
	conn := fc.(*net.UnixConn)
	defer conn.Close()
	done := make(chan struct{})
	defer close(done)
	msgs := make(chan notifyMessage)
	go readNotify(conn, inTree, msgs, done)

	deadline := time.Now().Add(timeout)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	readyFrom := 0
	var readySenderGone <-chan struct{} // once READY=1 came from another process than the daemon
	for {
		select {
		case m := <-msgs:
			if v, ok := m.fields["EXTEND_TIMEOUT_USEC"]; ok {
				if us, err := strconv.ParseUint(v, 10, 63); err == nil {
					if d := time.Duration(us) * time.Microsecond; time.Until(deadline) < d {
						deadline = time.Now().Add(d)
						timer.Reset(d)
					}
				}
			}
			if v, ok := m.fields["STATUS"]; ok {
				r.status = v
			}
			if v, ok := m.fields["ERRNO"]; ok {
				r.errno, _ = strconv.Atoi(v)
			}
			if v, ok := m.fields["MAINPID"]; ok {
				if n, err := strconv.Atoi(v); err == nil && n > 0 && inTree(n) {
					r.mainPID = n
				}
			}
			if m.fields["READY"] == "1" && readyFrom == 0 {
				readyFrom = m.pid
				if m.pid == pid || m.pid == r.mainPID {
					return r, nil
				}
				readySenderGone = exitOf(m.pid)
			}
			if readyFrom != 0 && m.pid == readyFrom && m.fields["BARRIER"] == "1" {
				return r, nil // answered: its descriptor was closed on reading
			}
		case <-exited:
			if readyFrom != 0 {
				return r, nil // the daemon said it was ready, then exited: its business
			}
			if *waitErr == nil {
				return r, fmt.Errorf("exited with status 0 before it was ready%s", r.details())
			}
			return r, fmt.Errorf("%v before it was ready%s", *waitErr, r.details())
		case <-timer.C:
			if readyFrom != 0 {
				return r, nil
			}
			return r, fmt.Errorf("not ready (no READY=1) within %v%s", timeout, r.details())
		case <-readySenderGone:
			return r, nil // systemd-notify --no-block, or gone before its barrier
		}
	}
}

// exitOf is closed once process pid has exited.
func exitOf(pid int) <-chan struct{} {
	c := make(chan struct{})
	h, err := process.Open(pid)
	if err != nil {
		close(c)
		return c
	}
	go func() {
		defer h.Close()
		h.Wait(-1)
		close(c)
	}()
	return c
}
