//go:build !linux

package process

import (
	"errors"
	"time"
)

// A Stat is what /proc/PID/stat says about a process; without /proc there
// is none.
type Stat struct {
	State           byte
	PPID, PGRP, SID int
	TTYNr           int
	UTime, STime    time.Duration
	Start           time.Duration
}

// ReadStat needs Linux's /proc.
func ReadStat(pid int) (Stat, error) { return Stat{}, errors.ErrUnsupported }

// Runs reports whether pid is a live process; without /proc a zombie counts.
func Runs(pid int) bool { return Exists(pid) }

// StartedBy cannot tell without /proc.
func StartedBy(pid int, t time.Time) (bool, error) { return false, errors.ErrUnsupported }

// Children needs Linux's /proc.
func Children(pid int) ([]int, error) { return nil, errors.ErrUnsupported }

// SinceBoot cannot be told without Linux's CLOCK_BOOTTIME; it is only
// compared with what ReadStat would say.
func SinceBoot(t time.Time) time.Duration { return 0 }

// InSession needs /proc.
func InSession(sid int) ([]int, error) { return nil, errors.ErrUnsupported }
