// Package process holds what gdetach knows about other processes, in one
// place: their state, parent and start time from /proc, their children, and
// a pidfd through which one process is watched and signalled without ever
// hitting another that has reused its PID.
//
// Linux has all of it. Elsewhere the /proc readers return
// errors.ErrUnsupported, and a Handle falls back to kill(2) on the PID, which
// a recycled PID can fool; callers say so where it matters.
package process
