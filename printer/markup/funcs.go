package markup

import (
	"fmt"
	"strings"
	"text/template"

	"storeedge/printer/escpos"
)

// maxRepeat bounds repeat and padding widths.
const maxRepeat = 1000

// Funcs returns the functions templates may call besides text/template's
// built-ins. Widths are printer columns: an ASCII character takes one, a
// Chinese character two. Functions taking text accept Text, strings and
// numbers; those returning text return Text, so the result stays escaped.
//
//	pad TEXT N      TEXT left-aligned in N columns (cut when longer)
//	padl TEXT N     right-aligned in N columns
//	center TEXT N   centred in N columns
//	trunc TEXT N    at most N columns of TEXT
//	width TEXT      the columns TEXT takes
//	wrap TEXT N     TEXT broken into lines of at most N columns
//	repeat TEXT N   TEXT N times
//	upper TEXT, lower TEXT
//	default DEF TEXT   TEXT, or DEF when TEXT is empty
func Funcs() template.FuncMap {
	return template.FuncMap{
		"pad":     func(v any, n int) (Text, error) { return padFunc(v, n, escpos.Left) },
		"padl":    func(v any, n int) (Text, error) { return padFunc(v, n, escpos.Right) },
		"center":  func(v any, n int) (Text, error) { return padFunc(v, n, escpos.Center) },
		"trunc":   trunc,
		"width":   func(v any) int { return escpos.Width(raw(v)) },
		"wrap":    wrap,
		"repeat":  repeat,
		"upper":   func(v any) Text { return Text(strings.ToUpper(raw(v))) },
		"lower":   func(v any) Text { return Text(strings.ToLower(raw(v))) },
		"default": func(def, v any) Text { return dflt(def, v) },
	}
}

// raw is the unescaped text of a template value.
func raw(v any) string {
	switch v := v.(type) {
	case Text:
		return string(v)
	case string:
		return v
	case nil:
		return ""
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

func checkN(fn string, n int) error {
	if n < 0 || n > maxRepeat {
		return fmt.Errorf("%s: %d is not within 0-%d", fn, n, maxRepeat)
	}
	return nil
}

func padFunc(v any, n int, a escpos.Align) (Text, error) {
	if err := checkN("pad", n); err != nil {
		return "", err
	}
	return Text(escpos.Pad(raw(v), n, a)), nil
}

func trunc(v any, n int) (Text, error) {
	if err := checkN("trunc", n); err != nil {
		return "", err
	}
	return Text(escpos.Truncate(raw(v), n)), nil
}

func wrap(v any, n int) ([]Text, error) {
	if n < 1 || n > maxRepeat {
		return nil, fmt.Errorf("wrap: %d is not within 1-%d", n, maxRepeat)
	}
	lines := escpos.Wrap(raw(v), n)
	out := make([]Text, len(lines))
	for i, l := range lines {
		out[i] = Text(l)
	}
	return out, nil
}

func repeat(v any, n int) (Text, error) {
	if err := checkN("repeat", n); err != nil {
		return "", err
	}
	s := raw(v)
	if len(s)*n > MaxOutput {
		return "", fmt.Errorf("repeat: %d times %d bytes is too long", n, len(s))
	}
	return Text(strings.Repeat(s, n)), nil
}

func dflt(def, v any) Text {
	if s := raw(v); strings.TrimSpace(s) != "" {
		return Text(s)
	}
	return Text(raw(def))
}
