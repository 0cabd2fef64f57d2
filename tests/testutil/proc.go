package testutil

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/gdetach/gdetach/process"
)

// A Stat is what /proc/PID/stat says about a process (process.Stat).
type Stat = process.Stat

// ReadStat parses /proc/PID/stat (process.ReadStat).
func ReadStat(pid int) (Stat, error) { return process.ReadStat(pid) }

// StatusField returns the value of a "Name: value" line of /proc/PID/status.
func StatusField(pid int, name string) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("no %s in /proc/%d/status", name, pid)
}

// SignalMask reads a mask of /proc/PID/status: SigIgn, SigCgt, SigBlk, SigPnd.
func SignalMask(pid int, name string) (uint64, error) {
	v, err := StatusField(pid, name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(v, 16, 64)
}

// HasSignal reports whether mask holds s.
func HasSignal(mask uint64, s syscall.Signal) bool { return mask&(1<<(s-1)) != 0 }

// StatusKB reads a size line of /proc/PID/status ("VmRSS: 2960 kB") in KiB.
func StatusKB(pid int, name string) (int64, error) {
	v, err := StatusField(pid, name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
}

// Children lists the processes whose parent is pid (process.Children).
func Children(pid int) ([]int, error) { return process.Children(pid) }

// ReadPIDFile reads a file holding one PID and a newline.
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s, ok := strings.CutSuffix(string(b), "\n")
	if !ok {
		return 0, fmt.Errorf("%s: %q is not a PID and a newline", path, b)
	}
	return strconv.Atoi(s)
}

// WritePIDFile writes this process's PID and a newline to path, atomically,
// so a reader never sees a part of it.
func WritePIDFile(path string) error { return WritePIDFileOf(path, os.Getpid()) }

// WritePIDFileOf writes pid and a newline to path, atomically.
func WritePIDFileOf(path string, pid int) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
