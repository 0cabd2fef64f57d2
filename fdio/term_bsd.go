//go:build darwin || freebsd

package fdio

import "golang.org/x/sys/unix"

const ioctlReadTermios = unix.TIOCGETA
