// Package session starts programs the way the classic Unix tools do and keeps
// job control working across session boundaries: it resolves and executes
// programs with execvp(3) semantics, answers whether this process can leave
// its session in place (setsid) or must start the program as a child, and
// relays signals to a program running in a session of its own.
package session

import "errors"

// ErrUnsupported is wrapped by the errors of features the platform lacks.
var ErrUnsupported = errors.ErrUnsupported
