//go:build !linux

package daemonize

import (
	"errors"
	"fmt"
	"net"

	"github.com/gdetach/gdetach/account"
)

// listenNotify: the sd_notify protocol is systemd's, and telling which
// process sent READY=1 (SO_PASSCRED) is Linux's.
func listenNotify(cred *account.Credential) (*notifySocket, error) {
	return nil, fmt.Errorf("--notify-await needs Linux, to tell which process sends READY=1 (SO_PASSCRED): %w", errors.ErrUnsupported)
}

// readNotify is never reached without listenNotify.
func readNotify(conn *net.UnixConn, accepted func(pid int) bool, msgs chan<- notifyMessage, done <-chan struct{}) {
}
