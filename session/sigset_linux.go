//go:build linux && !mips && !mipsle && !mips64 && !mips64le

package session

// sigsetSize is the kernel's sizeof(sigset_t) (_NSIG/8), which rt_sigaction checks.
const sigsetSize = 8
