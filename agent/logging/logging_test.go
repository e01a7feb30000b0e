package logging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeSys records what reaches the system log.
type fakeSys struct {
	mu      sync.Mutex
	records []string
	fail    error
	closed  bool
}

func (f *fakeSys) Log(level slog.Level, msg string, attrs []slog.Attr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.records = append(f.records, level.String()+" "+FormatMessage(msg, attrs))
	return nil
}

func (f *fakeSys) Close() error { f.closed = true; return nil }

func TestSetupTerminal(t *testing.T) {
	var term bytes.Buffer
	sys := &fakeSys{}
	l, err := Setup(Options{Level: slog.LevelInfo, Terminal: &term, SystemLog: sys})
	if err != nil {
		t.Fatal(err)
	}
	l.Logger.Debug("hidden")
	l.Logger.Info("printed", "printer", "front")
	l.Event(slog.LevelInfo, "storeedge started", "version", "v1.2.3")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	out := term.String()
	for _, want := range []string{`level=INFO msg=printed printer=front`, `msg="storeedge started" version=v1.2.3`} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hidden") {
		t.Errorf("debug record written at info level:\n%s", out)
	}
	if l.File() != "" {
		t.Errorf("File() = %q by hand", l.File())
	}
	if want := []string{"INFO storeedge started version=v1.2.3"}; !equalStrings(sys.records, want) {
		t.Errorf("system log got %q, want %q", sys.records, want)
	}
	if !sys.closed {
		t.Error("system log not closed")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSetupService(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", DirName)
	var term bytes.Buffer
	sys := &fakeSys{}
	l, err := Setup(Options{Level: slog.LevelDebug, Service: true, Dir: dir, Terminal: &term, SystemLog: sys})
	if err != nil {
		t.Fatal(err)
	}
	l.Logger.Debug("lease", "job", "youzan/1/E1/new/receipt/1")
	l.Logger.Warn("printer offline", "printer", "kitchen")
	l.Event(slog.LevelError, "storeedge failed", "err", errors.New("status page on 127.0.0.1:8723: address in use"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if term.Len() != 0 {
		t.Errorf("service mode wrote to the terminal: %s", term.String())
	}
	if want := filepath.Join(dir, FileName); l.File() != want {
		t.Errorf("File() = %q, want %q", l.File(), want)
	}
	f, err := os.Open(l.File())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", sc.Text(), err)
		}
		recs = append(recs, m)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3: %v", len(recs), recs)
	}
	for i, want := range []map[string]string{
		{"level": "DEBUG", "msg": "lease", "job": "youzan/1/E1/new/receipt/1"},
		{"level": "WARN", "msg": "printer offline", "printer": "kitchen"},
		{"level": "ERROR", "msg": "storeedge failed", "err": "status page on 127.0.0.1:8723: address in use"},
	} {
		for k, v := range want {
			if recs[i][k] != v {
				t.Errorf("record %d: %s = %v, want %q", i, k, recs[i][k], v)
			}
		}
		if _, ok := recs[i]["time"]; !ok {
			t.Errorf("record %d has no time", i)
		}
	}
	want := []string{`ERROR storeedge failed err="status page on 127.0.0.1:8723: address in use"`}
	if !equalStrings(sys.records, want) {
		t.Errorf("system log got %q, want %q", sys.records, want)
	}
}

// A system log that fails does not stop the event from reaching the file,
// and the failure itself is logged.
func TestEventSystemLogFails(t *testing.T) {
	dir := t.TempDir()
	l, err := Setup(Options{Service: true, Dir: dir, SystemLog: &fakeSys{fail: errors.New("journal gone")}})
	if err != nil {
		t.Fatal(err)
	}
	l.Event(slog.LevelInfo, "storeedge stopped")
	l.Close()
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	for _, want := range []string{`"msg":"storeedge stopped"`, `"msg":"write to the system log","err":"journal gone"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("log lacks %s:\n%s", want, b)
		}
	}
}

func TestSetupErrors(t *testing.T) {
	if _, err := Setup(Options{Service: true}); err == nil || !strings.Contains(err.Error(), "no log directory") {
		t.Errorf("no dir: %v", err)
	}
	// The log directory's place is taken by a file.
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	_, err := Setup(Options{Service: true, Dir: filepath.Join(file, "logs"), SystemLog: &fakeSys{}})
	if err == nil || !strings.Contains(err.Error(), "log directory") {
		t.Errorf("dir under a file: %v", err)
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"", slog.LevelInfo, false},
		{"info", slog.LevelInfo, false},
		{"DEBUG", slog.LevelDebug, false},
		{" warn ", slog.LevelWarn, false},
		{"warning", slog.LevelWarn, false},
		{"Error", slog.LevelError, false},
		{"verbose", slog.LevelInfo, true},
	}
	for _, tc := range tests {
		got, err := ParseLevel(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseLevel(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), tc.in) {
			t.Errorf("ParseLevel(%q) error does not name the value: %v", tc.in, err)
		}
	}
}

func TestFormatMessage(t *testing.T) {
	tests := []struct {
		msg   string
		attrs []slog.Attr
		want  string
	}{
		{"started", nil, "started"},
		{"started", []slog.Attr{slog.String("version", "v1"), slog.Int("printers", 2)}, "started version=v1 printers=2"},
		{"failed", []slog.Attr{slog.String("err", `open "x": denied`)}, `failed err="open \"x\": denied"`},
		{"x", []slog.Attr{slog.String("empty", "")}, `x empty=""`},
		{"x", []slog.Attr{slog.Group("store", slog.String("id", "43435545"), slog.String("name", "人民路店"))}, "x store.id=43435545 store.name=人民路店"},
		{"x", []slog.Attr{{}, slog.Group("none")}, "x"},
		{"x", []slog.Attr{slog.String("k", "a=b")}, `x k="a=b"`},
		{"x", []slog.Attr{slog.String("k", "line\nbreak")}, `x k="line\nbreak"`},
	}
	for _, tc := range tests {
		if got := FormatMessage(tc.msg, tc.attrs); got != tc.want {
			t.Errorf("FormatMessage(%q, %v) = %q, want %q", tc.msg, tc.attrs, got, tc.want)
		}
	}
	long := FormatMessage(strings.Repeat("订", maxMessage), nil)
	if len(long) > maxMessage || !strings.HasSuffix(long, "…") || !strings.HasPrefix(long, "订订") {
		t.Errorf("long message: %d bytes, suffix %q", len(long), long[len(long)-6:])
	}
}
