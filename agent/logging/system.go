package logging

import (
	"log/slog"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SystemLog is the operating system's log: the journal or syslog on Linux,
// the event log on Windows.
type SystemLog interface {
	// Log writes one record. attrs are the record's attributes; a group
	// attribute's members are named group.member.
	Log(level slog.Level, msg string, attrs []slog.Attr) error
	Close() error
}

// maxMessage bounds one system log message; longer ones are cut.
const maxMessage = 32 << 10

// FormatMessage is the one-line text of a record for logs without fields of
// their own (syslog, the event log): msg followed by key=value pairs, values
// quoted when they hold spaces, quotes, '=' or control characters.
func FormatMessage(msg string, attrs []slog.Attr) string {
	var b strings.Builder
	b.WriteString(msg)
	walkAttrs("", attrs, func(key string, v slog.Value) {
		b.WriteByte(' ')
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(quoteValue(v.String()))
	})
	return truncate(b.String(), maxMessage)
}

// walkAttrs calls fn for every leaf attribute, named with its groups
// joined by dots; empty attributes and empty groups are left out.
func walkAttrs(prefix string, attrs []slog.Attr, fn func(key string, v slog.Value)) {
	for _, a := range attrs {
		v := a.Value.Resolve()
		if a.Equal(slog.Attr{}) {
			continue
		}
		key := a.Key
		if prefix != "" {
			if key == "" {
				key = prefix
			} else {
				key = prefix + "." + key
			}
		}
		if v.Kind() == slog.KindGroup {
			walkAttrs(key, v.Group(), fn)
			continue
		}
		fn(key, v)
	}
}

func quoteValue(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r == ' ' || r == '"' || r == '=' || r == '\\' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
