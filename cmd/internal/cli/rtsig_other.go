//go:build !linux && !freebsd

package cli

// No real-time signals (macOS has none).
const rtMin, rtMax = 0, 0
