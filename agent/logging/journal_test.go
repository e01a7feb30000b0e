package logging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeJournal reads the journal's native protocol back into fields.
func decodeJournal(b []byte) ([]Field, error) {
	var fs []Field
	for len(b) > 0 {
		nl := strings.IndexByte(string(b), '\n')
		if nl < 0 {
			return nil, errors.New("field without newline")
		}
		line := string(b[:nl])
		if name, value, ok := strings.Cut(line, "="); ok {
			fs = append(fs, Field{name, value})
			b = b[nl+1:]
			continue
		}
		b = b[nl+1:]
		if len(b) < 8 {
			return nil, fmt.Errorf("field %s: short length", line)
		}
		n := binary.LittleEndian.Uint64(b)
		b = b[8:]
		if uint64(len(b)) < n+1 || b[n] != '\n' {
			return nil, fmt.Errorf("field %s: bad binary value", line)
		}
		fs = append(fs, Field{line, string(b[:n])})
		b = b[n+1:]
	}
	return fs, nil
}

func TestJournalFields(t *testing.T) {
	got := JournalFields("storeedge", slog.LevelError, "storeedge failed", []slog.Attr{
		slog.String("err", "queue locked"),
		slog.String("data_dir", "/var/lib/storeedge"),
		slog.Group("printer", slog.String("name", "front")),
		slog.String("message", "clash"), // would overwrite MESSAGE
		slog.String("_pid", "7"),        // trusted fields start with _
	})
	want := []Field{
		{"MESSAGE", `storeedge failed err="queue locked" data_dir=/var/lib/storeedge printer.name=front message=clash _pid=7`},
		{"PRIORITY", "3"},
		{"SYSLOG_IDENTIFIER", "storeedge"},
		{"ERR", "queue locked"},
		{"DATA_DIR", "/var/lib/storeedge"},
		{"PRINTER_NAME", "front"},
		{"PID", "7"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fields:\n got %v\nwant %v", got, want)
	}
}

func TestJournalPriority(t *testing.T) {
	for _, tc := range []struct {
		l    slog.Level
		want int
	}{{slog.LevelDebug, 7}, {slog.LevelInfo, 6}, {slog.LevelInfo + 2, 5}, {slog.LevelWarn, 4}, {slog.LevelError, 3}, {slog.LevelError + 4, 3}} {
		if got := priority(tc.l); got != tc.want {
			t.Errorf("priority(%v) = %d, want %d", tc.l, got, tc.want)
		}
	}
}

func TestJournalFieldName(t *testing.T) {
	for in, want := range map[string]string{
		"err":        "ERR",
		"data_dir":   "DATA_DIR",
		"store.id":   "STORE_ID",
		"_hidden":    "HIDDEN",
		"9lives":     "LIVES",
		"订单":         "",
		"a订单b":       "A______B",
		"":           "",
		"x-y z":      "X_Y_Z",
		"job2":       "JOB2",
		"__9_a":      "A",
		"printerURI": "PRINTERURI",
	} {
		if got := JournalFieldName(in); got != want {
			t.Errorf("JournalFieldName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := JournalFieldName(strings.Repeat("k", 100)); len(got) != 64 {
		t.Errorf("long name: %d characters", len(got))
	}
}

func TestEncodeJournal(t *testing.T) {
	b := EncodeJournal([]Field{{"MESSAGE", "one line"}, {"ERR", "two\nlines"}, {"EMPTY", ""}})
	want := "MESSAGE=one line\nERR\n\x09\x00\x00\x00\x00\x00\x00\x00two\nlines\nEMPTY=\n"
	if string(b) != want {
		t.Errorf("encoded %q, want %q", b, want)
	}
}

// FuzzJournal: whatever a record holds, the datagram decodes back into the
// same fields, every name is valid, and MESSAGE stays within bounds.
func FuzzJournal(f *testing.F) {
	f.Add("storeedge started", "version", "v1.0.0", 0)
	f.Add("failed", "err", "line one\nline two", 8)
	f.Add("订单", "门店", "人民路店\n", -4)
	f.Add("", "", "", 4)
	f.Fuzz(func(t *testing.T, msg, key, value string, level int) {
		fs := JournalFields("storeedge", slog.Level(level), msg, []slog.Attr{slog.String(key, value)})
		for _, fl := range fs {
			if fl.Name == "" || len(fl.Name) > 64 || fl.Name[0] == '_' || (fl.Name[0] >= '0' && fl.Name[0] <= '9') {
				t.Fatalf("invalid field name %q", fl.Name)
			}
			for _, c := range []byte(fl.Name) {
				if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
					t.Fatalf("invalid field name %q", fl.Name)
				}
			}
		}
		if m := fs[0]; m.Name != "MESSAGE" || len(m.Value) > maxMessage || (utf8.ValidString(msg) && utf8.ValidString(key) && utf8.ValidString(value) && !utf8.ValidString(m.Value)) {
			t.Fatalf("MESSAGE %d bytes, valid %v", len(m.Value), utf8.ValidString(m.Value))
		}
		got, err := decodeJournal(EncodeJournal(fs))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", fs) {
			t.Fatalf("round trip:\n got %q\nwant %q", got, fs)
		}
	})
}
