//go:build !linux

package daemonize

func becomeSubreaper() error { return nil }
