package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes the computer the benchmarks ran on.
type Machine struct {
	CPU    string
	Cores  int
	RAM    int64 // bytes, 0 when unknown
	Kernel string
	Go     string
	Date   time.Time
}

// String is the machine line under the table.
func (m Machine) String() string {
	ram := "RAM unknown"
	if m.RAM > 0 {
		ram = fmt.Sprintf("%.1f GiB RAM", float64(m.RAM)/(1<<30))
	}
	return fmt.Sprintf("Machine: %s, %d cores, %s, kernel %s, %s, %s.", m.CPU, m.Cores, ram, m.Kernel, m.Go, m.Date.UTC().Format(time.DateOnly))
}

// ThisMachine reads the machine's description; cpu is the "cpu:" line of
// the benchmark output (the processor's own name for itself), else
// /proc/cpuinfo's model name is used.
func ThisMachine(cpu string) Machine {
	m := Machine{CPU: strings.TrimSpace(cpu), Cores: runtime.NumCPU(), Kernel: runtime.GOOS, Go: runtime.Version(), Date: time.Now()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil && m.CPU == "" {
		m.CPU = procField(b, "model name")
	}
	if m.CPU == "" {
		m.CPU = "unknown CPU (" + runtime.GOARCH + ")"
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(procField(b, "MemTotal")); len(f) == 2 && f[1] == "kB" {
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				m.RAM = kb << 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = runtime.GOOS + " " + strings.TrimSpace(string(b))
	}
	return m
}

// procField returns the value of the first "name : value" line.
func procField(b []byte, name string) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}
