// Package daemonize turns a command into a Unix daemon, and controls it
// afterwards through its pidfile: the logic of gdaemonize.
//
// # The daemon
//
// Go cannot fork without exec, so the classic double fork is done with one
// re-exec. Start, in the caller's process, checks everything it can and
// opens every file the daemon needs (so failures are reported to the caller,
// in its words and with its working directory), then re-executes the running
// program as the session stage: a new session, without a controlling
// terminal, marked by an environment variable that never reaches the daemon.
// The session stage changes directory, sets the umask, and starts the command
// as its child, from a thread whose signal mask it has cleared and with every
// signal at its default action. os/exec reports a failed exec synchronously,
// so the stage knows the command really runs before it writes the pidfile and
// reports back; then it exits. The command is left as the double fork leaves
// it: in a new session it does not lead (it cannot acquire a terminal),
// re-parented to init or the nearest subreaper.
//
// # The lock
//
// The lock file (the pidfile, unless another is named) is locked with flock
// by Start and the open descriptor is inherited by the command, as its
// descriptor 3, for its whole life. A locked pidfile is a live daemon; an
// unlocked one is stale and is replaced. Status and Stop check that the
// process named in the pidfile is the one holding the lock.
package daemonize
