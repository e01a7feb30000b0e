package markup

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	"storeedge/printer/escpos"
)

// MaxOutput bounds the markup one template execution may produce.
const MaxOutput = 1 << 20

// MaxTemplateSize bounds a template file.
const MaxTemplateSize = 256 << 10

// Text is text from order data. A template prints it escaped (&lt; for '<'),
// so that data never turns into tags, whatever a buyer writes in a note.
// The template functions take Text and plain strings alike.
type Text string

// String is the text escaped for markup; NUL and SOH, which the printer
// would print as "?", become "?".
func (t Text) String() string {
	s := string(t)
	if !strings.ContainsAny(s, "<>&\x00\x01") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case markStart, markEnd:
			b.WriteByte('?') // as the printer prints a control character
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Template is a ticket template: Go text/template source that produces
// markup. Errors name the template file and line: text/template's own, tags
// that are not known (found when the template is parsed), and markup errors
// found when it is printed.
type Template struct {
	file string
	dir  string
	t    *template.Template
}

// ParseFile reads and parses the template file at path; extra adds
// functions to Funcs.
func ParseFile(path string, extra template.FuncMap) (*Template, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read template: %v", errors.Unwrap(err))}
	}
	return Parse(path, src, extra)
}

// Parse parses template source src read from file (used in errors and to
// find the pictures <LOGO> names).
func Parse(file string, src []byte, extra template.FuncMap) (*Template, error) {
	if len(src) > MaxTemplateSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("template of %d bytes is larger than %d", len(src), MaxTemplateSize)}
	}
	text := string(bytes.TrimPrefix(src, []byte("\uFEFF")))
	funcs := Funcs()
	for k, v := range extra {
		funcs[k] = v
	}
	name := filepath.Base(file)
	t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, templateError(file, name, err)
	}
	tp := &Template{file: file, dir: filepath.Dir(file), t: t}
	var errs []error
	for _, sub := range t.Templates() {
		if sub.Tree == nil || sub.Tree.Root == nil {
			continue
		}
		errs = append(errs, tp.check(sub.Tree.Root, text)...)
		mark(sub.Tree.Root, text)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return tp, nil
}

// File is the template's file.
func (t *Template) File() string { return t.file }

// Has reports whether the template defines a template of that name
// ({{define "kitchen"}}).
func (t *Template) Has(name string) bool {
	return name != "" && t.t.Lookup(name) != nil && t.t.Lookup(name).Tree != nil
}

// lineAt is the line of byte offset pos of src.
func lineAt(src string, pos parse.Pos) int {
	p := min(int(pos), len(src))
	return 1 + strings.Count(src[:p], "\n")
}

// check reports the unknown tags in the template's text.
func (t *Template) check(n parse.Node, src string) []error {
	var errs []error
	walk(n, func(n parse.Node) {
		if tn, ok := n.(*parse.TextNode); ok {
			for _, e := range Check(string(tn.Text), lineAt(src, tn.Pos)) {
				e.File = t.file
				errs = append(errs, e)
			}
		}
	})
	return errs
}

// walk calls f for every node under n.
func walk(n parse.Node, f func(parse.Node)) {
	if n == nil {
		return
	}
	f(n)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, f)
		}
	case *parse.IfNode:
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.RangeNode:
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.WithNode:
		walk(n.List, f)
		walk(n.ElseList, f)
	}
}

func marker(line int) []byte {
	return append(strconv.AppendInt([]byte{markStart}, int64(line), 10), markEnd)
}

// mark puts a source line marker before every piece of text and every
// action, so that the markup printer knows which template line it reads.
func mark(list *parse.ListNode, src string) {
	if list == nil {
		return
	}
	nodes := make([]parse.Node, 0, 2*len(list.Nodes))
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			n.Text = append(marker(lineAt(src, n.Pos)), n.Text...)
		case *parse.IfNode:
			mark(n.List, src)
			mark(n.ElseList, src)
		case *parse.RangeNode:
			mark(n.List, src)
			mark(n.ElseList, src)
		case *parse.WithNode:
			mark(n.List, src)
			mark(n.ElseList, src)
		}
		if _, text := n.(*parse.TextNode); !text {
			nodes = append(nodes, &parse.TextNode{NodeType: parse.NodeText, Pos: n.Position(), Text: marker(lineAt(src, n.Position()))})
		}
		nodes = append(nodes, n)
	}
	list.Nodes = nodes
}

// limitWriter fails once more than MaxOutput bytes are written.
type limitWriter struct{ b bytes.Buffer }

var errTooLong = fmt.Errorf("output larger than %d bytes", MaxOutput)

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > MaxOutput {
		return 0, errTooLong
	}
	return w.b.Write(p)
}

// Execute runs the template (the one defined as name, or the file's main
// template when name is "") over data and returns its markup.
func (t *Template) Execute(name string, data any) (string, error) {
	tt := t.t
	if name != "" {
		if tt = t.t.Lookup(name); tt == nil {
			return "", &Error{File: t.file, Msg: fmt.Sprintf("no template %q is defined", name)}
		}
	}
	var w limitWriter
	if err := tt.Execute(&w, data); err != nil {
		if errors.Is(err, errTooLong) {
			return "", &Error{File: t.file, Msg: "template " + errTooLong.Error()}
		}
		return "", templateError(t.file, t.t.Name(), err)
	}
	return w.b.String(), nil
}

// Render executes the template and prints its markup with e. Pictures named
// by <LOGO>file</LOGO> are read relative to the template's directory.
func (t *Template) Render(e *escpos.Encoder, name string, data any, opt Options) (Result, error) {
	src, err := t.Execute(name, data)
	if err != nil {
		return Result{Copies: 1}, err
	}
	opt.File = t.file
	if opt.LoadImage == nil {
		opt.LoadImage = t.loadImage
	}
	return Render(e, src, opt)
}

func (t *Template) loadImage(name string) (image.Image, error) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(t.dir, name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, errors.Unwrap(err))
	}
	img, err := escpos.ReadPNG(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return img, nil
}

// templateError turns a text/template error ("template: NAME:LINE[:COL]:
// message") into an *Error naming file and line.
func templateError(file, name string, err error) error {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "template: ")
	if !ok {
		return &Error{File: file, Msg: msg}
	}
	// Find "NAME:LINE:" or "NAME:LINE:COL:" for any template of the file.
	if i := strings.Index(rest, ":"); i >= 0 && strings.HasPrefix(rest, name) {
		rest = rest[len(name):]
	} else if i >= 0 {
		rest = rest[i:]
	}
	rest = strings.TrimPrefix(rest, ":")
	line := 0
	j := 0
	for j < len(rest) && isDigit(rest[j]) {
		line = line*10 + int(rest[j]-'0')
		j++
	}
	if j == 0 || j >= len(rest) || rest[j] != ':' {
		return &Error{File: file, Msg: strings.TrimPrefix(msg, "template: ")}
	}
	rest = rest[j+1:]
	// An optional column.
	k := 0
	for k < len(rest) && isDigit(rest[k]) {
		k++
	}
	if k > 0 && k < len(rest) && rest[k] == ':' {
		rest = rest[k+1:]
	}
	return &Error{File: file, Line: line, Msg: strings.TrimSpace(rest)}
}
