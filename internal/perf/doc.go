// Package perf measures the storeedge program as a shop PC runs it: the real
// binary, started as a process, with real printers (a file, a TCP 9100
// listener, a serial line on a pty) and the upstream simulator over HTTP.
// Its benchmarks report start-up time and memory with a large print queue,
// CPU and memory while that queue waits for printers that are off, idle
// memory and CPU, and the size of the shipped binary; `make bench` puts
// them in one table with the package benchmarks.
//
// The process figures come from Linux's /proc: VmRSS and RssAnon from
// /proc/PID/status, utime and stime from /proc/PID/stat.
package perf
