package logging

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// FuzzFormatMessage writes any attribute value into a one-line system log
// message. The value comes back exactly: as it is when it is plain text,
// quoted otherwise, so a value can never break the line or pass for
// another key=value pair.
func FuzzFormatMessage(f *testing.F) {
	f.Add("order printed", "order", "E20240523101215012345")
	f.Add("printer offline", "err", "write tcp 192.168.1.50:9100: i/o timeout\nretrying")
	f.Add("x", "store", "人民路店 a=b \"q\"")
	f.Add("", "k", "\x00\xff\u2028")
	f.Fuzz(func(t *testing.T, msg, key, value string) {
		if key == "" || len(msg)+len(key)+len(value) > maxMessage/4 {
			return
		}
		out := FormatMessage(msg, []slog.Attr{slog.String(key, value)})
		rest, ok := strings.CutPrefix(out, msg+" "+key+"=")
		if !ok {
			t.Fatalf("FormatMessage(%q, %q=%q) = %q", msg, key, value, out)
		}
		if strings.HasPrefix(rest, `"`) {
			got, err := strconv.Unquote(rest)
			if err != nil || got != value {
				t.Fatalf("value %q written as %s (%v)", value, rest, err)
			}
			return
		}
		if rest != value {
			t.Fatalf("value %q written as %q", value, rest)
		}
		for _, r := range rest {
			if r == ' ' || r == '=' || !unicode.IsPrint(r) {
				t.Fatalf("value %q written unquoted", value)
			}
		}
	})
}

// FuzzParseLevel reads any log_level: the four names in any case and
// spacing, "warning" and "" are levels; anything else is an error that
// quotes what was given.
func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"", "info", " DEBUG ", "Warning", "error", "trace", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLevel(s)
		name := strings.ToLower(strings.TrimSpace(s))
		want, known := map[string]slog.Level{"": slog.LevelInfo, "info": slog.LevelInfo, "debug": slog.LevelDebug,
			"warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError}[name]
		switch {
		case known && (err != nil || l != want):
			t.Fatalf("ParseLevel(%q) = %v, %v", s, l, err)
		case !known && (err == nil || !strings.Contains(err.Error(), strconv.Quote(s))):
			t.Fatalf("ParseLevel(%q) = %v, %v", s, l, err)
		}
	})
}
