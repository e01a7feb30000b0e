package markup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse parses any template source. Every problem it reports is an
// *Error that names the file and a line of the source (0 when the line is
// not known), so the IT person is pointed at the right place.
func FuzzParse(f *testing.F) {
	matches, _ := filepath.Glob(filepath.Join("..", "..", "docs", "tickets", "*.tmpl"))
	for _, p := range matches {
		if b, err := os.ReadFile(p); err == nil && len(b) <= MaxTemplateSize {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		"<CB>{{.Title}}</CB><BR>\n{{range .Items}}<TABLE><TR><TD>{{.Name}}</TD></TR></TABLE>{{end}}",
		"line 1\n{{if}}\n", "\n\n<XYZ>\n</Q>", "{{define \"kitchen\"}}<B>x{{end}}{{template \"nope\"}}",
		"{{.Order.ID | nosuchfunc}}", "\uFEFF{{/* c */}}<QR>{{.Order.ID}}</QR>", "{{", "}}<",
	} {
		f.Add(s)
	}
	const file = "tickets/receipt.tmpl"
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 8192 {
			return
		}
		tp, err := Parse(file, []byte(src), nil)
		if err == nil {
			if tp == nil || tp.File() != file {
				t.Fatalf("template %+v", tp)
			}
			return
		}
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		lines := strings.Count(src, "\n") + 1
		for _, e := range errs {
			var me *Error
			if !errors.As(e, &me) {
				t.Fatalf("problem %T %v is not an *Error", e, e)
			}
			if me.File != file || strings.TrimSpace(me.Msg) == "" {
				t.Fatalf("problem %+v does not name the file or says nothing", me)
			}
			if me.Line < 0 || me.Line > lines {
				t.Fatalf("problem %v names line %d of %d", me, me.Line, lines)
			}
		}
	})
}
