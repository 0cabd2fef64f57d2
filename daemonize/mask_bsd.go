//go:build darwin || freebsd

package daemonize

// clearSignalMask does nothing here: x/sys offers no pthread_sigmask on
// darwin and freebsd, so the daemon keeps the mask of the thread that starts
// it (documented in gdaemonize(1)).
func clearSignalMask() error { return nil }
