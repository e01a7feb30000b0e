package scale

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Mem is a process's memory as Linux accounts it, in bytes: RSS counts
// every page the process has in memory, Pss shares each page among the
// processes that map it (the program's code, read by every agent, counts
// once across them).
type Mem struct {
	RSS, Pss int64
}

// ReadMem reads /proc/PID/smaps_rollup (Linux 4.14 and later).
func ReadMem(pid int) (Mem, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return Mem{}, fmt.Errorf("memory of process %d: %w", pid, err)
	}
	return parseRollup(b)
}

// parseRollup reads the Rss and Pss lines ("Rss:   12345 kB").
func parseRollup(b []byte) (Mem, error) {
	var m Mem
	var haveRSS, havePss bool
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return Mem{}, fmt.Errorf("smaps_rollup: %q: %w", sc.Text(), err)
		}
		switch f[0] {
		case "Rss:":
			m.RSS, haveRSS = kb<<10, true
		case "Pss:":
			m.Pss, havePss = kb<<10, true
		}
	}
	if !haveRSS || !havePss {
		return Mem{}, fmt.Errorf("smaps_rollup: no Rss or Pss line")
	}
	return m, nil
}

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ),
// 100 per second on every Linux architecture Go builds for.
const clockTick = 10 * time.Millisecond

// CPUTime is the processor time (user and system) process pid has used,
// from /proc/PID/stat.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu time of process %d: %w", pid, err)
	}
	return parseStat(b)
}

// parseStat reads utime and stime, fields 14 and 15 of /proc/PID/stat; the
// command name (field 2) may hold spaces and ends at the last ')'.
func parseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name in %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name", len(f))
	}
	var total int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: cpu time %q: %w", s, err)
		}
		total += n
	}
	return time.Duration(total) * clockTick, nil
}
