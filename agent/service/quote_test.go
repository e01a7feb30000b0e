package service

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// systemdSplit splits an ExecStart= command line as systemd does: words
// separated by blanks, double-quoted words with \\ and \" escapes, %% for %
// and $$ for $.
func systemdSplit(line string) ([]string, error) {
	var words []string
	for i := 0; i < len(line); {
		if line[i] == ' ' || line[i] == '\t' {
			i++
			continue
		}
		var w strings.Builder
		if line[i] == '"' {
			i++
			for ; ; i++ {
				if i >= len(line) {
					return nil, errors.New("unterminated quote")
				}
				c := line[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' {
					i++
					if i >= len(line) {
						return nil, errors.New("trailing backslash")
					}
					c = line[i]
				}
				w.WriteByte(c)
			}
			if i < len(line) && line[i] != ' ' {
				return nil, errors.New("quote not followed by a blank")
			}
		} else {
			for ; i < len(line) && line[i] != ' ' && line[i] != '\t'; i++ {
				if strings.IndexByte(`"'\`, line[i]) >= 0 {
					return nil, errors.New("quote or backslash in a bare word")
				}
				w.WriteByte(line[i])
			}
		}
		word, err := unescapeSpecifiers(w.String())
		if err != nil {
			return nil, err
		}
		words = append(words, word)
	}
	return words, nil
}

func unescapeSpecifiers(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '$' {
			if i+1 >= len(s) || s[i+1] != s[i] {
				return "", errors.New("lone % or $ would be expanded")
			}
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

// windowsSplit splits a command line as Windows programs do
// (CommandLineToArgvW): 2n backslashes before a quote are n and the quote
// toggles quoting, 2n+1 are n and a literal quote.
func windowsSplit(line string) []string {
	var args []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return args
		}
		var w strings.Builder
		quoted := false
		for i < len(line) && (quoted || line[i] != ' ' && line[i] != '\t') {
			n := 0
			for i < len(line) && line[i] == '\\' {
				n++
				i++
			}
			if i < len(line) && line[i] == '"' {
				w.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					w.WriteByte('"')
				} else {
					quoted = !quoted
				}
				i++
				continue
			}
			w.WriteString(strings.Repeat(`\`, n))
			if i < len(line) && (quoted || line[i] != ' ' && line[i] != '\t') {
				w.WriteByte(line[i])
				i++
			}
		}
		args = append(args, w.String())
	}
}

// FuzzExecArg: systemd reads back exactly the words execArg wrote.
func FuzzExecArg(f *testing.F) {
	for _, s := range []string{"run", "/etc/storeedge/storeedge.toml", "a b", `a"b`, `a\b`, "50%", "$HOME", "", "x;y", "人民路店.toml"} {
		f.Add(s, "--config")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.IndexFunc(a+b, unicode.IsControl) >= 0 {
			t.Skip("settings refuse control characters")
		}
		line := execArg(a) + " " + execArg(b)
		got, err := systemdSplit(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if !slices.Equal(got, []string{a, b}) {
			t.Fatalf("%q reads back as %q, want %q", line, got, []string{a, b})
		}
	})
}

// FuzzWindowsArg: Windows reads back exactly the arguments windowsArg wrote.
func FuzzWindowsArg(f *testing.F) {
	for _, s := range []string{"run", `C:\Program Files\storeedge\storeedge.exe`, `a"b`, `a\"b`, `C:\dir with\`, "", "\t"} {
		f.Add(s, "--config")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.ContainsRune(a+b, 0) {
			t.Skip("no NUL in a command line")
		}
		line := windowsArg(a) + " " + windowsArg(b)
		if got := windowsSplit(line); !slices.Equal(got, []string{a, b}) {
			t.Fatalf("%q reads back as %q, want %q", line, got, []string{a, b})
		}
	})
}
