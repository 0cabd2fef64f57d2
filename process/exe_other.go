//go:build !linux

package process

import "errors"

// SameProgram cannot tell without /proc.
func SameProgram(pid int) bool { return false }

// Owner needs /proc.
func Owner(pid int) (int, error) { return 0, errors.ErrUnsupported }

// Name needs /proc.
func Name(pid int) (string, error) { return "", errors.ErrUnsupported }
