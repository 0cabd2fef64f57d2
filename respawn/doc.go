// Package respawn keeps a command running: it runs it, and runs it again when
// it exits, under a restart policy with exponential backoff, until a limit or
// a stop. It is the logic of grespawn.
//
// One goroutine does the supervising, selecting over the signals sent to the
// process, the timers of the backoff and of a stop, and the events of the
// optional file watcher, so that a signal is acted on at once even during a
// backoff delay, and nothing wakes the process while the command runs
// quietly. It forwards every signal to the command except SIGCHLD (which
// drives the reaping) and SIGURG (the Go runtime's own). On Linux it is a
// child subreaper: every orphan in the command's tree is re-parented to it
// and reaped by the same wait loop, and a stop kills them all.
//
// With a status file, the supervision keeps its state there, and Query
// answers from it, as an LSB init script's status action does, for another
// process: a script, a health check.
package respawn
