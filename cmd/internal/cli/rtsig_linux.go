package cli

// The real-time signals, as the C library and kill(1) number them: glibc
// keeps the kernel's 32 and 33 for its threads.
const rtMin, rtMax = 34, 64
