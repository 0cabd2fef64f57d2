package process

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// A Stat is what /proc/PID/stat says about a process.
type Stat struct {
	State           byte // R, S, D, T (stopped), t, Z (zombie), X, …
	PPID, PGRP, SID int
	TTYNr           int           // 0 without a controlling terminal
	UTime, STime    time.Duration // CPU time used, in user and system mode
	// Start is when the process started, as time since boot
	// (CLOCK_BOOTTIME), in clock ticks' precision.
	Start time.Duration
}

// ReadStat parses /proc/PID/stat. A process that does not exist is an error
// that errors.Is(err, os.ErrNotExist).
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	return parseStat(b)
}

// parseStat parses the text of /proc/PID/stat. The command name, between
// the first '(' and the last ')', may hold anything, spaces and parentheses
// included: the fields are counted after it.
func parseStat(b []byte) (Stat, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 || end+2 > len(b) {
		return Stat{}, fmt.Errorf("unreadable /proc stat %q", b)
	}
	f := bytes.Fields(b[end+2:])
	// state(3) ppid(4) pgrp(5) session(6) tty_nr(7) … starttime(22), numbered as proc(5) does
	const fields = 22 - 2
	if len(f) < fields || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("unreadable /proc stat %q", b)
	}
	var st Stat
	st.State = f[0][0]
	for i, p := range []*int{&st.PPID, &st.PGRP, &st.SID, &st.TTYNr} {
		n, err := strconv.Atoi(string(f[1+i]))
		if err != nil {
			return Stat{}, fmt.Errorf("unreadable /proc stat %q", b)
		}
		*p = n
	}
	for field, p := range map[int]*time.Duration{14: &st.UTime, 15: &st.STime, 22: &st.Start} {
		ticks, err := strconv.ParseUint(string(f[field-3]), 10, 63)
		if err != nil {
			return Stat{}, fmt.Errorf("unreadable /proc stat %q", b)
		}
		*p = time.Duration(ticks) * clockTick
	}
	return st, nil
}

// Runs reports whether pid is a live process: it exists and is not a zombie.
func Runs(pid int) bool {
	st, err := ReadStat(pid)
	return err == nil && st.State != 'Z' && st.State != 'X'
}

// SinceBoot converts a wall-clock time, such as a file's modification time,
// to time since boot, as Stat.Start counts.
func SinceBoot(t time.Time) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano()) - time.Since(t)
}

// fileClockLag is how far a file's modification time may lag behind the
// moment of the write: the kernel stamps files from a coarse clock, one
// jiffy (up to 10ms) behind.
const fileClockLag = 20 * time.Millisecond

// StartedBy reports whether process pid started no later than t, a file's
// modification time: whether it can be the process that was running when
// the file was written, rather than a later one that reused its PID (which
// would have to come round within fileClockLag). Without /proc it cannot
// tell, and says so with an error.
func StartedBy(pid int, t time.Time) (bool, error) {
	st, err := ReadStat(pid)
	if err != nil {
		return false, err
	}
	return st.Start <= SinceBoot(t)+fileClockLag, nil
}

// Children lists the processes whose parent is pid. (The per-thread
// /proc/PID/task/TID/children would miss those a Go program forked from
// another thread.)
func Children(pid int) ([]int, error) {
	return find(func(st Stat) bool { return st.PPID == pid })
}

// InSession lists the processes of session sid.
func InSession(sid int) ([]int, error) {
	return find(func(st Stat) bool { return st.SID == sid })
}

// find lists the processes in /proc whose stat satisfies pred.
func find(pred func(Stat) bool) ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 {
			continue
		}
		if st, err := ReadStat(pid); err == nil && pred(st) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
