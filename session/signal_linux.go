package session

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelSigaction holds the kernel's struct sigaction on any Linux
// architecture with room to spare. All zero, it means SIG_DFL, no flags and
// an empty mask, whatever the field order.
type kernelSigaction [64]byte

func rtSigaction(sig syscall.Signal, act, old *kernelSigaction) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), sigsetSize, 0, 0)
	if e != 0 {
		return os.NewSyscallError("rt_sigaction", e)
	}
	return nil
}

// SetDefaultAction sets the disposition of sig to SIG_DFL in the kernel: not
// ignored, not caught. os/signal cannot do this. signal.Reset restores the
// disposition the program started with (ignored, under nohup) and leaves the
// Go runtime's handler in place for most signals. Use it only where nothing
// needs Go's handler for sig any more: just before exec, or to die by sig.
func SetDefaultAction(sig syscall.Signal) error {
	var dfl kernelSigaction
	return rtSigaction(sig, &dfl, nil)
}

// ResetIgnoredSignals sets every signal this process ignores back to its
// default action, so that a program started afterwards does not inherit the
// ignored disposition (the kernel keeps SIG_IGN across exec). That covers the
// signals the Go runtime never manages, such as glibc's reserved real-time
// signals 32 and 33, which os/signal cannot reach. Caught signals are left
// alone: a child gets them at their defaults anyway.
func ResetIgnoredSignals() error {
	var all []syscall.Signal
	for sig := syscall.Signal(1); sig <= maxSignal; sig++ {
		if sig != syscall.SIGKILL && sig != syscall.SIGSTOP {
			all = append(all, sig)
		}
	}
	return resetIgnored(all)
}

// resetIgnored sets those of sigs that this process ignores to their
// default action. A number the kernel does not know is skipped.
func resetIgnored(sigs []syscall.Signal) error {
	for _, sig := range sigs {
		if h, err := handler(sig); err == nil && h == sigIgn {
			if err := SetDefaultAction(sig); err != nil {
				return err
			}
		}
	}
	return nil
}

// handler is the disposition of sig: sigDfl, sigIgn or a handler's address.
func handler(sig syscall.Signal) (uintptr, error) {
	var old kernelSigaction
	if err := rtSigaction(sig, nil, &old); err != nil {
		return 0, err
	}
	return *(*uintptr)(unsafe.Pointer(&old[handlerOffset])), nil
}

// sigIgn is SIG_IGN, the handler value of an ignored signal.
const sigIgn = 1

// Raise ends this process by sig, with the signal's default action, so that
// the parent sees the same wait status as for the program the process
// relayed (a shell prints "Terminated", "Killed", …). The core limit is set to
// zero first: a relay's core file is of use to nobody. Raise returns only if
// the default action of sig is not to terminate.
func Raise(sig syscall.Signal) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}) // best effort: only spares a core file
	_ = SetDefaultAction(sig)                            // fails for SIGKILL, which needs nothing
	var set unix.Sigset_t
	bits := uint(unsafe.Sizeof(set.Val[0]) * 8)
	set.Val[uint(sig-1)/bits] |= 1 << (uint(sig-1) % bits)
	_ = unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
	// A signal sent to this very thread is acted on before tgkill returns.
	_ = unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
}

// Suspend stops this process as the job-control stop sig (SIGTSTP, SIGTTIN
// or SIGTTOU with its default action) does, so that the shell reports the
// job as "Stopped" (or "Stopped (tty input)"), and returns once the process
// is continued, or at once if the kernel discards the stop because the
// process group is orphaned. A supervisor that caught sig calls it after
// stopping what it supervises.
func Suspend(sig syscall.Signal) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var dfl, goHandler kernelSigaction
	if err := rtSigaction(sig, &dfl, &goHandler); err != nil {
		_ = unix.Kill(unix.Getpid(), syscall.SIGSTOP) // cannot fail for our own pid
		return
	}
	_ = unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
	_ = rtSigaction(sig, &goHandler, nil) // put back what Go installed
}

// IgnoreUnmanaged ignores the signals the Go runtime leaves alone whatever
// os/signal is asked (32 and 34, kept for a C library's threads: a static Go
// program would die of them), and returns what sets them to their default
// action. Call DefaultUnmanaged before starting the program that must get
// them at their default, IgnoreUnmanaged once it has started, and the
// restore function before starting another: an ignored disposition survives
// exec.
func IgnoreUnmanaged() (restore func()) {
	ign := kernelSigaction{}
	*(*uintptr)(unsafe.Pointer(&ign[handlerOffset])) = sigIgn
	var ignored []syscall.Signal
	for _, sig := range Unmanaged {
		if h, err := handler(sig); err == nil && (h == sigDfl || h == sigIgn) && rtSigaction(sig, &ign, nil) == nil {
			ignored = append(ignored, sig)
		}
	}
	return func() {
		for _, sig := range ignored {
			_ = SetDefaultAction(sig)
		}
	}
}

// DefaultUnmanaged sets those of Unmanaged that this process ignores (a
// parent ignored them, and exec kept that) to their default action, so that
// the program started next gets them at their default. Until IgnoreUnmanaged,
// one of them sent to this process ends it: keep the window to the start.
func DefaultUnmanaged() {
	_ = resetIgnored(Unmanaged) // cannot fail for these: the kernel knows them
}

// sigDfl is SIG_DFL, the handler value of a signal at its default action.
const sigDfl = 0

// Unmanaged are the signals os/signal cannot catch on Linux: 32 and 34,
// which the Go runtime leaves to a C library, and 33, which it uses itself.
var Unmanaged = []syscall.Signal{32, 33, 34}
