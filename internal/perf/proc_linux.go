package perf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ClockTick is the unit of utime and stime in /proc/PID/stat: Linux's
// USER_HZ, 100 per second on every architecture it runs on.
const ClockTick = 10 * time.Millisecond

// CPUTime is the CPU time a process has used so far, user plus system,
// from /proc/PID/stat.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu time of process %d: %w", pid, err)
	}
	d, err := ParseStat(b)
	if err != nil {
		return 0, fmt.Errorf("cpu time of process %d: %w", pid, err)
	}
	return d, nil
}

// ParseStat reads utime plus stime (fields 14 and 15) from the contents of
// /proc/PID/stat. The command name (field 2) is in parentheses and may hold
// spaces and parentheses itself, so the fields are counted from the last ')'.
func ParseStat(b []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, errors.New("stat: no command name")
	}
	// After ") ": field 3 (state) is index 0, so utime (14) is index 11.
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("stat: cpu time %q is not a tick count", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * ClockTick, nil
}

// Memory is a process's resident memory from /proc/PID/status, in bytes.
type Memory struct {
	RSS  int64 // VmRSS: all resident pages, file-backed ones (the program, mapped files) included
	Anon int64 // RssAnon: the heap, stacks and other private memory
	HWM  int64 // VmHWM: the highest VmRSS so far
}

// ReadMemory reads a process's resident memory.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("memory of process %d: %w", pid, err)
	}
	m, err := ParseStatus(b)
	if err != nil {
		return Memory{}, fmt.Errorf("memory of process %d: %w", pid, err)
	}
	return m, nil
}

// ParseStatus reads VmRSS, RssAnon and VmHWM from the contents of
// /proc/PID/status ("VmRSS:   12345 kB").
func ParseStatus(b []byte) (Memory, error) {
	var m Memory
	fields := map[string]*int64{"VmRSS": &m.RSS, "RssAnon": &m.Anon, "VmHWM": &m.HWM}
	found := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		dst := fields[name]
		if !ok || dst == nil {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return Memory{}, fmt.Errorf("status: %s is %q, want a size in kB", name, strings.TrimSpace(rest))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			return Memory{}, fmt.Errorf("status: %s is %q, want a size in kB", name, strings.TrimSpace(rest))
		}
		*dst = n << 10
		found++
	}
	if found != len(fields) {
		return Memory{}, errors.New("status: VmRSS, RssAnon or VmHWM is missing")
	}
	return m, nil
}
