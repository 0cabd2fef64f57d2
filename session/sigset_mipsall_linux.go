//go:build linux && (mips || mipsle || mips64 || mips64le)

package session

import "unsafe"

const (
	// sigsetSize is the kernel's sizeof(sigset_t) (_NSIG/8), which
	// rt_sigaction checks; MIPS has 128 signals.
	sigsetSize = 16
	// maxSignal is the highest signal number (_NSIG-1).
	maxSignal = 127
	// handlerOffset is where the handler lies in the kernel's struct
	// sigaction: after the 32-bit flags, aligned to a pointer.
	handlerOffset = unsafe.Sizeof(uintptr(0))
)
