package cli

// The real-time signals of FreeBSD (SIGRTMIN, SIGRTMAX).
const rtMin, rtMax = 65, 126
