package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Metric is one value a benchmark reported, with its unit ("ns/op",
// "allocs/op", "rss-MB").
type Metric struct {
	Value float64
	Unit  string
}

// Result is one benchmark of one package. A benchmark run several times
// (-count) has the mean of its runs.
type Result struct {
	Pkg     string // import path, from the "pkg:" line or the JSON event
	Name    string // "BenchmarkRenderReceipt" or "BenchmarkX/sub", without the -GOMAXPROCS suffix
	Procs   int    // GOMAXPROCS suffix, 0 when absent
	N       int64  // iterations of the last run
	Runs    int
	Metrics []Metric // in the order first reported
	// Failed is "failed" or "skipped" when the benchmark said so ("---
	// FAIL", "--- SKIP" or a -json fail or skip event); its figures are
	// not to be trusted then.
	Failed string
}

// Metric returns the value of unit, if the benchmark reported it.
func (r *Result) Metric(unit string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Unit == unit {
			return m.Value, true
		}
	}
	return 0, false
}

// Report is what a `go test -bench` run printed.
type Report struct {
	Results []*Result
	CPU     string // the "cpu:" header line
	GOOS    string
	GOARCH  string
	// Failed holds the benchmarks that failed or were skipped without a
	// result, by "pkg BenchmarkName": "failed" or "skipped".
	Failed map[string]string
}

// Find returns the result of a benchmark in a package whose import path
// is pkg or ends in "/"+pkg.
func (rep *Report) Find(pkg, name string) *Result {
	for _, r := range rep.Results {
		if r.Name == name && (r.Pkg == pkg || strings.HasSuffix(r.Pkg, "/"+pkg)) {
			return r
		}
	}
	return nil
}

// event is the part of a test2json event (go test -json) the parser reads.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// maxLine is the longest line read; longer lines are cut there.
const maxLine = 1 << 20

// Parse reads the output of `go test -bench`, plain or -json; the two may
// be mixed (plain lines between JSON events are read as plain output).
func Parse(r io.Reader) (*Report, error) {
	p := &parser{rep: &Report{}, byKey: map[string]*Result{}, partial: map[string]*strings.Builder{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		line := sc.Bytes()
		if ev, ok := jsonEvent(line); ok {
			switch {
			case ev.Action == "output":
				p.output(ev.Package, ev.Output)
			case (ev.Action == "fail" || ev.Action == "skip") && strings.HasPrefix(ev.Test, "Benchmark"):
				name, _ := splitProcs(ev.Test)
				p.fail(ev.Package+" "+name, ev.Action+"ed")
			}
			continue
		}
		p.line("", string(line))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read benchmark output: %w", err)
	}
	for pkg, b := range p.partial {
		if b.Len() > 0 {
			p.line(pkg, b.String())
		}
	}
	for _, r := range p.rep.Results {
		if r.Runs > 1 {
			for i := range r.Metrics {
				r.Metrics[i].Value /= float64(r.Runs)
			}
		}
	}
	for _, key := range p.failed {
		if r := p.byKey[key]; r != nil {
			r.Failed = p.bad[key]
			continue
		}
		if p.rep.Failed == nil {
			p.rep.Failed = map[string]string{}
		}
		p.rep.Failed[key] = p.bad[key]
	}
	return p.rep, nil
}

func jsonEvent(line []byte) (event, bool) {
	var ev event
	t := bytes.TrimSpace(line)
	if len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &ev) != nil || ev.Action == "" {
		return event{}, false
	}
	return ev, true
}

type parser struct {
	rep   *Report
	pkg   string // from the last "pkg:" line of plain output
	byKey map[string]*Result
	// partial holds each JSON package's output up to its next newline:
	// test2json splits a benchmark's line in two events.
	partial map[string]*strings.Builder
	failed  []string          // keys of failed or skipped benchmarks, in order
	bad     map[string]string // key -> "failed" or "skipped"
}

func (p *parser) output(pkg, s string) {
	b := p.partial[pkg]
	if b == nil {
		b = &strings.Builder{}
		p.partial[pkg] = b
	}
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			if b.Len()+len(s) <= maxLine {
				b.WriteString(s)
			}
			return
		}
		if b.Len()+i <= maxLine {
			b.WriteString(s[:i])
		}
		p.line(pkg, b.String())
		b.Reset()
		s = s[i+1:]
	}
}

// line reads one line of output; pkg is the JSON event's package, "" for
// plain output.
func (p *parser) line(pkg, line string) {
	line = strings.TrimRight(line, "\r")
	if strings.HasPrefix(line, "pkg: ") {
		if pkg == "" { // plain output names its package in this header
			p.pkg = strings.TrimSpace(line[len("pkg: "):])
		}
		return
	}
	if pkg == "" {
		pkg = p.pkg
	}
	switch {
	case strings.HasPrefix(line, "cpu: "):
		p.rep.CPU = strings.TrimSpace(line[len("cpu: "):])
		return
	case strings.HasPrefix(line, "goos: "):
		p.rep.GOOS = strings.TrimSpace(line[len("goos: "):])
		return
	case strings.HasPrefix(line, "goarch: "):
		p.rep.GOARCH = strings.TrimSpace(line[len("goarch: "):])
		return
	}
	if name, how, ok := failLine(line); ok {
		p.fail(pkg+" "+name, how)
		return
	}
	r, ok := resultLine(line)
	if !ok {
		return
	}
	r.Pkg = pkg
	key := pkg + " " + r.Name
	old := p.byKey[key]
	if old == nil {
		p.byKey[key] = r
		p.rep.Results = append(p.rep.Results, r)
		return
	}
	// Another run of the same benchmark (-count): sum now, mean at the end.
	old.Runs++
	old.N = r.N
	for _, m := range r.Metrics {
		found := false
		for i := range old.Metrics {
			if old.Metrics[i].Unit == m.Unit {
				old.Metrics[i].Value += m.Value
				found = true
				break
			}
		}
		if !found {
			old.Metrics = append(old.Metrics, m)
		}
	}
}

// fail records that the benchmark "pkg name" failed or was skipped; a
// failure outweighs a skip.
func (p *parser) fail(key, how string) {
	if p.bad == nil {
		p.bad = map[string]string{}
	}
	old, seen := p.bad[key]
	if !seen {
		p.failed = append(p.failed, key)
	}
	if old != "failed" {
		p.bad[key] = how
	}
}

// failLine recognises "--- FAIL: BenchmarkX" and "--- SKIP: BenchmarkX"
// (indented for sub-benchmarks).
func failLine(line string) (name, how string, ok bool) {
	t := strings.TrimSpace(line)
	for prefix, how := range map[string]string{"--- FAIL: ": "failed", "--- SKIP: ": "skipped"} {
		if rest, ok := strings.CutPrefix(t, prefix); ok {
			name, _, _ := strings.Cut(rest, " ")
			if strings.HasPrefix(name, "Benchmark") {
				name, _ = splitProcs(name)
				return name, how, true
			}
		}
	}
	return "", "", false
}

// resultLine reads "BenchmarkX-2   1000   1234 ns/op   56 B/op ...".
func resultLine(line string) (*Result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") || len(f[0]) == len("Benchmark") {
		return nil, false
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n <= 0 {
		return nil, false
	}
	r := &Result{N: n, Runs: 1}
	r.Name, r.Procs = splitProcs(f[0])
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || !validUnit(f[i+1]) {
			return nil, false
		}
		if _, dup := r.Metric(f[i+1]); dup {
			return nil, false
		}
		r.Metrics = append(r.Metrics, Metric{Value: v, Unit: f[i+1]})
	}
	return r, true
}

// validUnit accepts what testing.B.ReportMetric accepts: a unit without
// white space (the parser splits on it), and not a number.
func validUnit(u string) bool {
	if _, err := strconv.ParseFloat(u, 64); err == nil {
		return false
	}
	return u != ""
}

// splitProcs splits "BenchmarkX/sub-8" into its name and GOMAXPROCS.
func splitProcs(s string) (string, int) {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return s, 0
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n <= 0 || strings.HasPrefix(s[i+1:], "+") || strings.HasPrefix(s[i+1:], "0") {
		return s, 0
	}
	return s[:i], n
}
