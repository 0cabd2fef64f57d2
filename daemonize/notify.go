package daemonize

import (
	"fmt"
	"math"
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
// daemon's main process, if it is in the tree. After READY=1, while a
// systemd-notify of the tree runs (it sends READY=1 in its parent's name,
// then BARRIER=1, and waits for the answer), it keeps reading, and so
// answers the barrier, until that process has exited. When the daemon
// exits first, what it said before it exited (STATUS=, ERRNO=) is read
// before the failure is reported.
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
	ready := false
	var notifiersGone <-chan struct{} // after READY=1: the tree's systemd-notify processes have exited
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				msgs = nil // the reader stopped: nothing more comes
				continue
			}
			r.take(m, inTree)
			if d, ok := m.extend(); ok && time.Until(deadline) < d {
				deadline = time.Now().Add(d)
				timer.Reset(d)
			}
			if m.fields["READY"] == "1" && !ready {
				ready = true
				notifiers := systemdNotifies(inTree)
				if len(notifiers) == 0 {
					return r, nil
				}
				notifiersGone = exitOfAll(notifiers)
			}
		case <-notifiersGone:
			return r, nil // their barriers answered, or --no-block
		case <-exited:
			if ready {
				return r, nil // the daemon said it was ready, then exited: its business
			}
			// What it said before it went is in the socket still: read it.
			_ = conn.SetReadDeadline(time.Now())
			for m := range msgs {
				r.take(m, inTree)
			}
			if *waitErr == nil {
				return r, fmt.Errorf("exited with status 0 before it was ready%s", r.details())
			}
			return r, fmt.Errorf("%v before it was ready%s", *waitErr, r.details())
		case <-timer.C:
			if ready {
				return r, nil
			}
			return r, fmt.Errorf("not ready (no READY=1) within %v%s", timeout, r.details())
		}
	}
}

// take keeps what a message says of the daemon: STATUS=, ERRNO=, and
// MAINPID= if that process is in the tree.
func (r *readiness) take(m notifyMessage, inTree func(int) bool) {
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
}

// extend is the time EXTEND_TIMEOUT_USEC= asks for, from now.
func (m notifyMessage) extend() (time.Duration, bool) {
	v, ok := m.fields["EXTEND_TIMEOUT_USEC"]
	if !ok {
		return 0, false
	}
	us, err := strconv.ParseUint(v, 10, 63)
	if err != nil || us > uint64(math.MaxInt64/int64(time.Microsecond)) {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}

// systemdNotifies lists the systemd-notify processes of the daemon's tree.
func systemdNotifies(inTree func(int) bool) []int {
	pids, _ := process.InSession(os.Getpid())
	var found []int
	for _, pid := range pids {
		if name, err := process.Name(pid); err == nil && name == "systemd-notify" && inTree(pid) {
			found = append(found, pid)
		}
	}
	return found
}

// exitOfAll is closed once every process of pids has exited.
func exitOfAll(pids []int) <-chan struct{} {
	c := make(chan struct{})
	go func() {
		for _, pid := range pids {
			<-exitOf(pid)
		}
		close(c)
	}()
	return c
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
