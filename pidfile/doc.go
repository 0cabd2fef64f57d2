// Package pidfile owns the pidfiles and lock files of gdetach's commands
// (gnohup --pidfile, gdaemonize --pidfile and --lockfile, grespawn
// --pidfile): it creates, writes, reads, locks, checks and removes them, under
// one policy.
//
// # Policy
//
//   - A pidfile is a regular file with one link. It is opened with
//     O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC and checked with fstat: a
//     symbolic link, a device, a FIFO (which would block an open without
//     O_NONBLOCK), a directory, a socket or a file with another hard link is
//     refused, saying which. A device is refused before it is opened at all.
//     Ownership changes go through the descriptor, never the path.
//   - Its content is a decimal PID from 1 to pid_max, with no sign or
//     leading zero, and an optional newline: nothing else. At most MaxSize
//     bytes are ever read. A file that holds anything else, empty files
//     aside, is not a pidfile: it is never overwritten and never removed.
//   - It is written in place on the descriptor held (truncate, then one
//     write), never replaced by a rename: the user's path keeps its inode.
//   - The lock is, on Linux, an open-file-description write lock
//     (F_OFD_SETLK with F_WRLCK), which only a process that may write the
//     file can take. Like flock(2) it belongs to the open file description,
//     so it is inherited across fork and exec with the descriptor: every
//     process of a daemon's tree that keeps the descriptor holds it, and it
//     is released when the last one closes it. Elsewhere it is flock(2),
//     which any process that can read the file can take.
//   - A lock is taken by open, lock, and then a check that the path still
//     names the locked inode; if it does not (the file was removed or
//     replaced meanwhile), the lock is dropped and the dance starts again.
//     So whoever holds the lock holds the file the path names.
//   - A pidfile is removed only by a holder of its lock, only while the path
//     still names the locked inode, and only while it holds the PID written.
//
// A read lock (F_RDLCK, which any reader may take) conflicts with the write
// lock: a user who can read the pidfile can keep it from being locked. It is
// reported as such (ReadLocked), never as a running daemon; a lock file that
// only the service's user can read (mode 0600, as Lock creates one that is
// not also the pidfile) is immune.
package pidfile
