package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Target is what the product promises for a figure: Value in the row's
// display unit, met when the measured value is below it.
type Target struct {
	Below float64
}

// Row is one line of the table: a metric of a benchmark, shown in a unit.
type Row struct {
	What  string
	Pkg   string // import path, or its last elements ("printer/ticket")
	Bench string // benchmark name
	Unit  string // the unit the benchmark reports ("ns/op")
	Show  string // the unit shown ("µs"); empty = Unit
	Scale float64
	// Target, when set, is the product's promise for this figure.
	Target *Target
	// Optional rows are left out when their benchmark did not run.
	Optional bool
}

// Rows are the figures the table always shows, in order.
var Rows = []Row{
	{What: "Ticket render, 20-line receipt", Pkg: "printer/ticket", Bench: "BenchmarkRenderReceipt", Unit: "ns/op", Show: "µs", Scale: 1e-3, Target: &Target{Below: 20}},
	{What: "Ticket render, allocations", Pkg: "printer/ticket", Bench: "BenchmarkRenderReceipt", Unit: "allocs/op", Show: "allocs", Scale: 1, Target: &Target{Below: 50}},
	{What: "ESC/POS decode, 20-line receipt", Pkg: "printer/ticket", Bench: "BenchmarkDecode", Unit: "ns/op", Show: "µs", Scale: 1e-3},
	{What: "PNG preview, 20-line receipt", Pkg: "printer/ticket", Bench: "BenchmarkPreviewReceipt", Unit: "ns/op", Show: "ms", Scale: 1e-6},
	{What: "Queue cycle (enqueue, lease, ack; fsync), single", Pkg: "queue", Bench: "BenchmarkCycleDurable", Unit: "ns/op", Show: "ms", Scale: 1e-6},
	{What: "Queue cycle, grouped (8 lanes a core, commits share fsyncs)", Pkg: "queue", Bench: "BenchmarkCycleDurableParallel", Unit: "ns/op", Show: "ms", Scale: 1e-6},
	{What: "Queue open with 100,000 pending jobs, in process", Pkg: "queue", Bench: "BenchmarkOpen100k", Unit: "ns/op", Show: "ms", Scale: 1e-6},
	{What: "Start-up with 100,000 pending jobs, exec to status API", Pkg: "internal/perf", Bench: "BenchmarkStartup100k", Unit: "start-ms", Show: "ms", Scale: 1},
	{What: "Start-up with 100,000 pending jobs, RSS", Pkg: "internal/perf", Bench: "BenchmarkStartup100k", Unit: "rss-MB", Show: "MiB", Scale: 1},
	{What: "Start-up with 100,000 pending jobs, RSS without mapped files", Pkg: "internal/perf", Bench: "BenchmarkStartup100k", Unit: "anon-MB", Show: "MiB", Scale: 1},
	{What: "100,000 tickets waiting, printers off, CPU", Pkg: "internal/perf", Bench: "BenchmarkBacklog100k", Unit: "cpu-%", Show: "% of a core", Scale: 1},
	{What: "100,000 tickets waiting, printers off, RSS without mapped files", Pkg: "internal/perf", Bench: "BenchmarkBacklog100k", Unit: "anon-MB", Show: "MiB", Scale: 1},
	{What: "Idle agent (3 printers, 2 platforms), RSS", Pkg: "internal/perf", Bench: "BenchmarkIdle", Unit: "rss-MB", Show: "MiB", Scale: 1, Target: &Target{Below: 30}},
	{What: "Idle agent, RSS without mapped files", Pkg: "internal/perf", Bench: "BenchmarkIdle", Unit: "anon-MB", Show: "MiB", Scale: 1},
	{What: "Idle agent, CPU", Pkg: "internal/perf", Bench: "BenchmarkIdle", Unit: "cpu-%", Show: "% of a core", Scale: 1, Target: &Target{Below: 1}},
	{What: "Binary size, stripped", Pkg: "internal/perf", Bench: "BenchmarkBinarySize", Unit: "MB", Show: "MiB", Scale: 1},
}

// Latency is the benchmark of orders on a busy day: each of its "-ms"
// metrics becomes a row; its p99 figures per poll have the target below
// (per order, the last order of a burst waits behind the others by
// design: each printer prints its tickets in order).
var Latency = struct {
	Pkg, Bench string
	P99        Target
}{"internal/scale", "BenchmarkBusyDay", Target{Below: 20}}

// Line is one rendered row.
type Line struct {
	What, Value, Unit, Target, Met string
}

// Build turns a report into table lines: the fixed rows, the busy-day
// latencies if that benchmark ran, then every other benchmark's time per
// operation. missing lists the fixed rows without a result.
func Build(rep *Report) (lines []Line, missing []string) {
	used := map[*Result]bool{}
	add := func(what string, v float64, unit string, t *Target) {
		l := Line{What: what, Value: formatValue(v), Unit: unit}
		if t != nil {
			l.Target = targetText(*t, unit)
			l.Met = "no"
			if v < t.Below {
				l.Met = "yes"
			}
		}
		lines = append(lines, l)
	}
	for _, row := range Rows {
		r := rep.Find(row.Pkg, row.Bench)
		v, ok := 0.0, false
		if r != nil {
			used[r] = true
			v, ok = r.Metric(row.Unit)
			ok = ok && r.Failed == ""
		}
		unit := row.Show
		if unit == "" {
			unit = row.Unit
		}
		if !ok {
			if row.Optional {
				continue
			}
			why := "not run"
			switch {
			case r != nil && r.Failed != "":
				why = r.Failed
			case r != nil:
				why = "no " + row.Unit
			case rep.failed(row.Pkg, row.Bench) != "":
				why = rep.failed(row.Pkg, row.Bench)
			}
			l := Line{What: row.What, Value: "—", Unit: unit, Met: why}
			if row.Target != nil {
				l.Target = targetText(*row.Target, unit)
			}
			lines = append(lines, l)
			missing = append(missing, row.Bench+" "+row.Unit+" ("+why+")")
			continue
		}
		scale := row.Scale
		if scale == 0 {
			scale = 1
		}
		add(row.What, v*scale, unit, row.Target)
	}
	if r := rep.Find(Latency.Pkg, Latency.Bench); r != nil && r.Failed == "" {
		used[r] = true
		for _, l := range latencies(r) {
			var t *Target
			if l.stat == "p99" && l.group != "per order" {
				t = &Latency.P99
			}
			add("Busy day: poll answer to first byte, "+l.group+", "+l.stat, l.value, "ms", t)
		}
	} else {
		why := "not run"
		if r != nil {
			used[r] = true
			why = r.Failed
		} else if f := rep.failed(Latency.Pkg, Latency.Bench); f != "" {
			why = f
		}
		lines = append(lines, Line{What: "Busy day: poll answer to first byte, p99", Value: "—", Unit: "ms",
			Target: targetText(Latency.P99, "ms"), Met: why})
	}
	for _, r := range rep.Results {
		if used[r] {
			continue
		}
		what := shortPkg(r.Pkg) + " " + strings.TrimPrefix(r.Name, "Benchmark")
		v, ok := r.Metric("ns/op")
		switch {
		case r.Failed != "":
			lines = append(lines, Line{What: what, Value: "—", Met: r.Failed})
		case ok && v > 0:
			show, unit := timeUnit(v)
			lines = append(lines, Line{What: what, Value: formatValue(show), Unit: unit + "/op"})
		}
	}
	// Benchmarks that failed or were skipped before reporting anything.
	for _, key := range slices.Sorted(maps.Keys(rep.Failed)) {
		pkg, name, _ := strings.Cut(key, " ")
		if isFixed(pkg, name) {
			continue
		}
		lines = append(lines, Line{What: shortPkg(pkg) + " " + strings.TrimPrefix(name, "Benchmark"), Value: "—", Met: rep.Failed[key]})
	}
	return lines, missing
}

// isFixed reports whether a benchmark feeds a fixed row or the busy-day
// rows (which show its failure already).
func isFixed(pkg, name string) bool {
	match := func(p, n string) bool { return n == name && (p == pkg || strings.HasSuffix(pkg, "/"+p)) }
	if match(Latency.Pkg, Latency.Bench) {
		return true
	}
	for _, r := range Rows {
		if match(r.Pkg, r.Bench) {
			return true
		}
	}
	return false
}

// latency is one "-ms" figure of the busy-day benchmark: "p99-ms" is the
// p99 per poll, "order-p99-ms" the p99 per order.
type latency struct {
	group, stat string // "per poll" or the figure's prefix; "p50", "max"...
	value       float64
}

// latencies returns the "-ms" figures of r, each group together (per
// poll first) and in the order p50, p90, p99, max, then the others.
func latencies(r *Result) []latency {
	var out []latency
	for _, m := range r.Metrics {
		name, ok := strings.CutSuffix(m.Unit, "-ms")
		if !ok || name == "" {
			continue
		}
		l := latency{group: "per poll", stat: name, value: m.Value}
		if i := strings.LastIndexByte(name, '-'); i > 0 && i < len(name)-1 {
			l.group, l.stat = name[:i], name[i+1:]
			if l.group == "order" {
				l.group = "per order"
			}
		}
		out = append(out, l)
	}
	rank := func(stat string) int {
		if i := slices.Index([]string{"p50", "p90", "p99", "max"}, stat); i >= 0 {
			return i
		}
		return 4
	}
	first := func(group string) int {
		if group == "per poll" {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(out, func(a, b latency) int {
		if fa, fb := first(a.group), first(b.group); fa != fb {
			return fa - fb
		}
		if a.group != b.group {
			return strings.Compare(a.group, b.group)
		}
		if ra, rb := rank(a.stat), rank(b.stat); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.stat, b.stat)
	})
	return out
}

// failed says how a benchmark without a result ended: "failed",
// "skipped" or "" when it did not say.
func (rep *Report) failed(pkg, name string) string {
	for key, how := range rep.Failed {
		p, n, _ := strings.Cut(key, " ")
		if n == name && (p == pkg || strings.HasSuffix(p, "/"+pkg)) {
			return how
		}
	}
	return ""
}

func targetText(t Target, unit string) string {
	return "< " + strconv.FormatFloat(t.Below, 'f', -1, 64) + " " + unit
}

// timeUnit picks the unit a time in ns reads best in.
func timeUnit(ns float64) (float64, string) {
	switch {
	case ns >= 1e9:
		return ns / 1e9, "s"
	case ns >= 1e6:
		return ns / 1e6, "ms"
	case ns >= 1e3:
		return ns / 1e3, "µs"
	}
	return ns, "ns"
}

// shortPkg drops the module name: "storeedge/printer/tcp" is "printer/tcp".
func shortPkg(p string) string {
	if _, rest, ok := strings.Cut(p, "/"); ok {
		return rest
	}
	return p
}

// formatValue prints three significant digits, without an exponent for
// the sizes a benchmark reports.
func formatValue(v float64) string {
	switch {
	case v == 0 || math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// Write prints the table and the machine line as Markdown.
func Write(w io.Writer, lines []Line, machine string) error {
	var b strings.Builder
	b.WriteString("| what | value | unit | target | met |\n|---|---:|---|---|---|\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(l.What), cell(l.Value), cell(l.Unit), cell(l.Target), cell(l.Met))
	}
	if machine != "" {
		fmt.Fprintf(&b, "\n%s\n", machine)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell escapes what would break a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
