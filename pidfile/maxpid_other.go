//go:build !linux

package pidfile

// MaxPID is the largest PID of this system: 99999 on FreeBSD and macOS
// (PID_MAX).
func MaxPID() int { return 99999 }
