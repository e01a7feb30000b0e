package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixedMachine keeps the golden table independent of the machine.
var fixedMachine = Machine{CPU: "Test CPU", Cores: 2, RAM: 24 << 30, Kernel: "linux 6.1.0", Go: "go1.26.0",
	Date: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}

func parseFile(t *testing.T, name string) *Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -run %s -update rewrites it):\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

func table(t *testing.T, rep *Report) ([]byte, []string) {
	t.Helper()
	lines, missing := Build(rep)
	var b bytes.Buffer
	if err := Write(&b, lines, fixedMachine.String()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), missing
}

// bench.txt is `go test -bench` output of several packages: captured
// runs, with a failing benchmark, a repeated one (-count 2), a
// sub-benchmark, a log line and a busy-day latency benchmark added.
func TestTableGolden(t *testing.T) {
	out, missing := table(t, parseFile(t, "bench.txt"))
	golden(t, "bench.golden", out)
	if len(missing) != 0 {
		t.Errorf("missing %v, want every fixed row", missing)
	}
}

// bench.json is `go test -json -bench` output, where each result line is
// split over two events.
func TestTableGoldenJSON(t *testing.T) {
	out, missing := table(t, parseFile(t, "bench.json"))
	golden(t, "bench-json.golden", out)
	want := []string{"BenchmarkPreviewReceipt ns/op (not run)", "BenchmarkCycleDurable ns/op (not run)"}
	for _, w := range want {
		if !strings.Contains(strings.Join(missing, "\n"), w) {
			t.Errorf("missing = %q, want it to name %q", missing, w)
		}
	}
}

func TestParse(t *testing.T) {
	rep := parseFile(t, "bench.txt")
	tests := []struct {
		pkg, name, unit string
		want            float64
		procs           int
		failed          string
	}{
		{"storeedge/printer/ticket", "BenchmarkRenderReceipt", "ns/op", 18377, 2, ""},
		{"storeedge/printer/ticket", "BenchmarkRenderReceipt", "allocs/op", 1, 2, ""},
		{"storeedge/printer/ticket", "BenchmarkDecode", "MB/s", 20.74, 2, ""},
		{"storeedge/queue", "BenchmarkCycleDurableParallel", "ns/op", 414292, 2, ""},
		{"storeedge/agent/logging", "BenchmarkRotatingFileWrite", "ns/op", 2200, 2, ""}, // mean of two runs
		{"storeedge/agent/logging", "BenchmarkServiceLog/json", "ns/op", 1050, 2, ""},
		{"storeedge/internal/perf", "BenchmarkIdle", "cpu-%", 0.1499, 2, ""},
		{"storeedge/internal/scale", "BenchmarkBusyDay", "p99-ms", 511.7, 2, ""},
	}
	for _, tc := range tests {
		r := rep.Find(tc.pkg, tc.name)
		if r == nil {
			t.Errorf("%s %s: no result", tc.pkg, tc.name)
			continue
		}
		got, ok := r.Metric(tc.unit)
		if !ok || got != tc.want || r.Procs != tc.procs || r.Failed != tc.failed {
			t.Errorf("%s %s %s = %v %v (procs %d, failed %q), want %v (procs %d, failed %q)",
				tc.pkg, tc.name, tc.unit, got, ok, r.Procs, r.Failed, tc.want, tc.procs, tc.failed)
		}
	}
	if got := rep.failed("printer/tcp", "BenchmarkWrite"); got != "failed" {
		t.Errorf("printer/tcp BenchmarkWrite: %q, want failed", got)
	}
	if rep.Find("agent/logging", "BenchmarkFake") != nil {
		t.Error("a log line was read as a result")
	}
	if rep.CPU != "Oxide Virtual Turin-like Processor" || rep.GOOS != "linux" || rep.GOARCH != "amd64" {
		t.Errorf("header: %q %q %q", rep.CPU, rep.GOOS, rep.GOARCH)
	}
}

func TestResultLine(t *testing.T) {
	tests := []struct {
		line  string
		ok    bool
		name  string
		procs int
		n     int64
	}{
		{"BenchmarkX-2   \t 100\t 12.5 ns/op", true, "BenchmarkX", 2, 100},
		{"BenchmarkX/size=10-16 5 1 ns/op 2 B/op", true, "BenchmarkX/size=10", 16, 5},
		{"BenchmarkX 5 1 ns/op", true, "BenchmarkX", 0, 5},
		{"BenchmarkX-a 5 1 ns/op", true, "BenchmarkX-a", 0, 5},
		{"BenchmarkX-2 5 1 ns/op 2", false, "", 0, 0},       // value without unit
		{"BenchmarkX-2 5 1 ns/op 2 ns/op", false, "", 0, 0}, // unit twice
		{"BenchmarkX-2 five 1 ns/op", false, "", 0, 0},
		{"BenchmarkX-2 0 1 ns/op", false, "", 0, 0},
		{"BenchmarkX-2 5 NaN ns/op", false, "", 0, 0},
		{"BenchmarkX-2 5 1 2", false, "", 0, 0}, // a number is no unit
		{"Benchmark 5 1 ns/op", false, "", 0, 0},
		{"BenchmarkX", false, "", 0, 0},
		{"    logged: BenchmarkX-2 5 1 ns/op", false, "", 0, 0},
	}
	for _, tc := range tests {
		r, ok := resultLine(tc.line)
		if ok != tc.ok {
			t.Errorf("%q: ok %v, want %v", tc.line, ok, tc.ok)
			continue
		}
		if ok && (r.Name != tc.name || r.Procs != tc.procs || r.N != tc.n) {
			t.Errorf("%q: %s procs %d n %d, want %s procs %d n %d", tc.line, r.Name, r.Procs, r.N, tc.name, tc.procs, tc.n)
		}
	}
}

func TestBuildTargets(t *testing.T) {
	rep, err := Parse(strings.NewReader("pkg: storeedge/printer/ticket\nBenchmarkRenderReceipt-2 10 25000 ns/op 40 allocs/op\n" +
		"pkg: storeedge/internal/perf\nBenchmarkIdle-2 1 1.5 cpu-% 29.9 rss-MB 4.5 anon-MB\n--- FAIL: BenchmarkStartup100k\n"))
	if err != nil {
		t.Fatal(err)
	}
	lines, missing := Build(rep)
	met := map[string]string{}
	for _, l := range lines {
		met[l.What+" "+l.Unit] = l.Value + " " + l.Met
	}
	want := map[string]string{
		"Ticket render, 20-line receipt µs":                                   "25 no",
		"Ticket render, allocations allocs":                                   "40 yes",
		"Idle agent (3 printers, 2 platforms), RSS MiB":                       "29.9 yes",
		"Idle agent, CPU % of a core":                                         "1.50 no",
		"Start-up with 100,000 pending jobs, exec to status API ms":           "— failed",
		"Busy day: poll answer to first byte, p99 ms":                         "— not run",
		"Queue cycle (enqueue, lease, ack; fsync), single ms":                 "— not run",
		"Binary size, stripped MiB":                                           "— not run",
		"Start-up with 100,000 pending jobs, RSS MiB":                         "— failed",
		"PNG preview, 20-line receipt ms":                                     "— not run",
		"Start-up with 100,000 pending jobs, RSS without mapped files MiB":    "— failed",
		"100,000 tickets waiting, printers off, CPU % of a core":              "— not run",
		"100,000 tickets waiting, printers off, RSS without mapped files MiB": "— not run",
		"Idle agent, RSS without mapped files MiB":                            "4.50 ",
		"ESC/POS decode, 20-line receipt µs":                                  "— not run",
		"Queue cycle, grouped (8 lanes a core, commits share fsyncs) ms":      "— not run",
		"Queue open with 100,000 pending jobs, in process ms":                 "— not run",
	}
	if !reflect.DeepEqual(met, want) {
		t.Errorf("rows:\n%v\nwant\n%v", met, want)
	}
	if len(missing) != 11 {
		t.Errorf("missing %d rows (%v), want 11: the busy day is optional", len(missing), missing)
	}
}

func TestSplice(t *testing.T) {
	tests := []struct {
		name, doc, want string
		err             bool
	}{
		{"replace", "a\n" + BeginMarker + "\nold\n" + EndMarker + "\nb\n", "a\n" + BeginMarker + "\n| t |\n" + EndMarker + "\nb\n", false},
		{"empty", "a " + BeginMarker + EndMarker + " b", "a " + BeginMarker + "\n| t |\n" + EndMarker + " b", false},
		{"no begin", "a\n" + EndMarker + "\n", "", true},
		{"no end", "a\n" + BeginMarker + "\n", "", true},
		{"end before begin", EndMarker + "\n" + BeginMarker + "\n", "", true},
		{"two tables", BeginMarker + EndMarker + BeginMarker + EndMarker, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Splice([]byte(tc.doc), []byte("\n| t |\n\n"))
			if (err != nil) != tc.err || (err == nil && string(got) != tc.want) {
				t.Fatalf("Splice = %q, %v; want %q (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestWriteReadme(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	doc := "# x\n\n## Performance\n\n" + BeginMarker + "\n" + EndMarker + "\n\nrest\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteReadme(path, []byte("| a |\n")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := "# x\n\n## Performance\n\n" + BeginMarker + "\n| a |\n" + EndMarker + "\n\nrest\n"; string(got) != want {
		t.Fatalf("README:\n%s\nwant\n%s", got, want)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 kept", st.Mode().Perm())
	}
}

// TestRunLeavesReadmeOnMissingRows: a run without the fixed figures prints
// the table, fails and does not touch the README.
func TestRunLeavesReadmeOnMissingRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	doc := BeginMarker + "\nold\n" + EndMarker + "\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run([]string{"-readme", path, filepath.Join("testdata", "bench.json")}, nil, &out)
	if err == nil || !strings.Contains(err.Error(), "BenchmarkIdle") {
		t.Fatalf("run: %v, want an error naming the missing benchmarks", err)
	}
	if !strings.Contains(out.String(), "| Ticket render, 20-line receipt | 49.4 | µs | < 20 µs | no |") {
		t.Errorf("table not printed:\n%s", out.String())
	}
	if got, _ := os.ReadFile(path); string(got) != doc {
		t.Errorf("README changed:\n%s", got)
	}
}

// toJSON wraps plain output in test2json output events, each line cut in
// two events at cut (bytes from its start, at a rune boundary), as
// test2json cuts benchmark lines.
func toJSON(plain string, cut int) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	for line := range strings.SplitAfterSeq(plain, "\n") {
		at := min(cut, len(line))
		for at > 0 && !utf8.RuneStart(line[at%len(line)]) && at < len(line) {
			at--
		}
		for _, part := range []string{line[:at], line[at:]} {
			if part != "" {
				_ = enc.Encode(event{Action: "output", Output: part})
			}
		}
	}
	return b.String()
}

func FuzzParse(f *testing.F) {
	// Short seeds: the fuzzer minimises every input that finds new code,
	// and minimising a whole benchmark run takes minutes.
	for _, name := range []string{"bench.txt", "bench.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		lines := strings.SplitAfter(string(b), "\n")
		for i := 0; i < len(lines); i += 6 {
			f.Add(strings.Join(lines[i:min(i+6, len(lines))], ""), 12)
		}
	}
	f.Add("BenchmarkX-2 1 2 ns/op 3 B/op\nBenchmarkX-2 1 4 ns/op 5 x/y\n--- FAIL: BenchmarkX-2\n", 3)
	f.Add("pkg: a\n--- SKIP: BenchmarkY\npkg: b\nBenchmarkY-1 9 1e3 ns/op\n", 0)
	f.Fuzz(func(t *testing.T, in string, cut int) {
		rep, err := Parse(strings.NewReader(in))
		if err != nil {
			return // a line longer than the scanner takes
		}
		for _, r := range rep.Results {
			if !strings.HasPrefix(r.Name, "Benchmark") || r.N <= 0 || r.Runs < 1 || len(r.Metrics) == 0 || r.Procs < 0 {
				t.Fatalf("bad result %+v", r)
			}
			for _, m := range r.Metrics {
				if m.Unit == "" || strings.ContainsAny(m.Unit, " \t\n") {
					t.Fatalf("bad unit in %+v", r)
				}
			}
		}
		lines, _ := Build(rep)
		var b bytes.Buffer
		if err := Write(&b, lines, ""); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(b.String(), "\n"); got != len(lines)+2 {
			t.Fatalf("table has %d lines for %d rows:\n%s", got, len(lines), b.String())
		}
		// The same output read through -json gives the same report.
		if !utf8.ValidString(in) || strings.Contains(in, "{") || cut < 0 {
			return
		}
		jrep, err := Parse(strings.NewReader(toJSON(in, cut)))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rep, jrep) {
			t.Fatalf("plain and -json differ:\n%+v\n%+v", rep, jrep)
		}
	})
}
