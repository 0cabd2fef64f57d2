//go:build linux && !mips && !mipsle && !mips64 && !mips64le

package session

const (
	// sigsetSize is the kernel's sizeof(sigset_t) (_NSIG/8), which rt_sigaction checks.
	sigsetSize = 8
	// maxSignal is the highest signal number (_NSIG-1).
	maxSignal = 64
	// handlerOffset is where the handler lies in the kernel's struct sigaction.
	handlerOffset = 0
)
