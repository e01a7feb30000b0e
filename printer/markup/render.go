package markup

import (
	"fmt"
	"strconv"
	"strings"

	"storeedge/printer/escpos"
)

// style is the look of characters.
type style struct {
	w, h        int
	bold, under bool
}

type openTag struct {
	name string
	line int
	info tagInfo
}

type span struct {
	start int // offset in the line's text
	st    style
}

type printer struct {
	e     *escpos.Encoder
	p     escpos.Profile
	opt   Options
	src   string
	i     int
	line  int
	stack []openTag

	text    strings.Builder // the current logical line
	spans   []span
	align   escpos.Align // of the current logical line, from its first character
	started bool         // the logical line has text
	big     bool         // "@@2": the line at double size
	// afterBlock: a block (code, picture, table, cut) was printed since
	// the last line feed; the line feed that follows it ends no line.
	afterBlock bool

	cur      style // what the encoder prints with now
	curAlign escpos.Align
	res      Result
	ranges   []escpos.Range
}

// Render prints markup src with e (whose profile it lays out for) and
// reports the copies it asks for and whether it ends with a cut. Errors
// name the line of src, or of the template that made it (see Template).
func Render(e *escpos.Encoder, src string, opt Options) (Result, error) {
	pr := &printer{e: e, p: e.Profile(), opt: opt, src: src, line: 1, cur: style{w: 1, h: 1}}
	pr.res.Copies = 1
	err := pr.run()
	if err == nil {
		err = pr.finish()
	}
	pr.setStyle(style{w: 1, h: 1})
	pr.setAlign(escpos.Left)
	if err != nil {
		var me *Error
		if e, ok := err.(*Error); ok {
			me = e
		} else {
			me = &Error{Line: pr.line, Msg: err.Error()}
		}
		if me.File == "" {
			me.File = opt.File
		}
		return pr.res, me
	}
	if eerr := e.Err(); eerr != nil {
		return pr.res, &Error{File: opt.File, Msg: eerr.Error()}
	}
	return pr.res, nil
}

func (pr *printer) errorf(format string, a ...any) *Error {
	return &Error{File: pr.opt.File, Line: pr.line, Msg: fmt.Sprintf(format, a...)}
}

// current is the style and alignment the open tags give.
func (pr *printer) current() (style, escpos.Align) {
	st := style{w: 1, h: 1}
	a := escpos.Left
	for _, t := range pr.stack {
		st.w = max(st.w, t.info.width)
		st.h = max(st.h, t.info.height)
		st.bold = st.bold || t.info.bold
		st.under = st.under || t.info.under
		if t.info.hasAlign {
			a = t.info.align
		}
	}
	if pr.big {
		st.w, st.h = max(st.w, 2), max(st.h, 2)
	}
	return st, a
}

func (pr *printer) run() error {
	s := pr.src
	for pr.i < len(s) {
		c := s[pr.i]
		switch c {
		case markStart:
			pr.marker()
		case '\r':
			pr.i++
		case '\n':
			pr.i++
			pr.endLine(true)
			pr.line++
		case '\t':
			pr.i++
			w := pr.e.Width(pr.text.String())
			pr.addText(strings.Repeat(" ", 4-w%4))
		case '&':
			if t, end, ok := entity(s, pr.i); ok {
				pr.addText(t)
				pr.i = end
			} else {
				pr.addText("&")
				pr.i++
			}
		case '<':
			name, closing, end, ok := scanTag(s, pr.i)
			if !ok {
				pr.addText("<")
				pr.i++
				continue
			}
			info, known := tags[name]
			if !known {
				return pr.errorf("%s", unknownTag(name, closing))
			}
			pr.i = end
			if err := pr.tag(name, closing, info); err != nil {
				return err
			}
		case '@':
			if !pr.started && strings.HasPrefix(s[pr.i:], "@@2") {
				pr.big = true
				pr.i += 3
				continue
			}
			pr.addText("@")
			pr.i++
		default:
			j := pr.i + 1
			for j < len(s) && !special(s[j]) {
				j++
			}
			pr.addText(s[pr.i:j])
			pr.i = j
		}
	}
	return nil
}

func special(c byte) bool {
	switch c {
	case markStart, '\r', '\n', '\t', '&', '<', '@':
		return true
	}
	return false
}

// marker reads a source line marker.
func (pr *printer) marker() {
	j := pr.i + 1
	n := 0
	for j < len(pr.src) && isDigit(pr.src[j]) {
		n = n*10 + int(pr.src[j]-'0')
		j++
	}
	if j < len(pr.src) && pr.src[j] == markEnd {
		j++
		pr.line = n
	}
	pr.i = j
}

// addText appends text to the logical line in the current style.
func (pr *printer) addText(t string) {
	if t == "" {
		return
	}
	st, a := pr.current()
	if !pr.started {
		pr.started = true
		pr.align = a
		pr.afterBlock = false
	}
	if n := len(pr.spans); n == 0 || pr.spans[n-1].st != st {
		pr.spans = append(pr.spans, span{start: pr.text.Len(), st: st})
	}
	pr.text.WriteString(t)
}

func (pr *printer) setStyle(st style) {
	if st.bold != pr.cur.bold {
		pr.e.Bold(st.bold)
	}
	if st.w != pr.cur.w || st.h != pr.cur.h {
		pr.e.Size(st.w, st.h)
	}
	if st.under != pr.cur.under {
		u := 0
		if st.under {
			u = 1
		}
		pr.e.Underline(u)
	}
	pr.cur = st
}

func (pr *printer) setAlign(a escpos.Align) {
	if a != pr.curAlign {
		pr.e.Align(a)
		pr.curAlign = a
	}
}

// endLine prints the logical line, wrapped to the paper; with explicit, an
// empty line prints as an empty line.
func (pr *printer) endLine(explicit bool) {
	defer func() {
		pr.text.Reset()
		pr.spans = pr.spans[:0]
		pr.started = false
		pr.big = false
	}()
	if !pr.started {
		if explicit && pr.afterBlock {
			pr.afterBlock = false
			return
		}
		if explicit {
			st, _ := pr.current()
			pr.setStyle(st)
			pr.e.Line("")
			pr.res.EndsInCut = false
		}
		return
	}
	flat := pr.text.String()
	cols := pr.p.ColsA
	for _, sp := range pr.spans {
		cols = min(cols, pr.p.ColsA/sp.st.w)
	}
	pr.setAlign(pr.align)
	pr.ranges = pr.p.AppendWrap(pr.ranges[:0], flat, max(cols, 1))
	for _, r := range pr.ranges {
		for k, sp := range pr.spans {
			end := len(flat)
			if k+1 < len(pr.spans) {
				end = pr.spans[k+1].start
			}
			a, b := max(sp.start, r.Start), min(end, r.End)
			if a >= b {
				continue
			}
			pr.setStyle(sp.st)
			pr.e.Text(flat[a:b])
		}
		pr.e.Line("")
	}
	pr.res.EndsInCut = false
}

// block ends the logical line before a block (code, picture, table) and
// sets the alignment and style the open tags give.
func (pr *printer) block() (escpos.Align, style) {
	if pr.started {
		pr.endLine(false)
	}
	st, a := pr.current()
	pr.setAlign(a)
	pr.res.EndsInCut = false
	pr.afterBlock = true
	return a, st
}

func (pr *printer) tag(name string, closing bool, info tagInfo) error {
	if closing {
		return pr.closeTag(name, info)
	}
	switch info.kind {
	case kStyle:
		pr.stack = append(pr.stack, openTag{name: name, line: pr.line, info: info})
		return nil
	case kVoid:
		return pr.void(name)
	case kContent:
		return pr.content(name)
	}
	if name != "TABLE" {
		return pr.errorf("<%s> outside <table>", name)
	}
	return pr.table()
}

func (pr *printer) closeTag(name string, info tagInfo) error {
	if info.kind != kStyle {
		return pr.errorf("</%s> has no <%s> before it", name, name)
	}
	for k := len(pr.stack) - 1; k >= 0; k-- {
		if pr.stack[k].name == name {
			pr.stack = append(pr.stack[:k], pr.stack[k+1:]...)
			return nil
		}
	}
	return pr.errorf("</%s> closes no open <%s>%s", name, name, pr.openList())
}

func (pr *printer) openList() string {
	if len(pr.stack) == 0 {
		return ""
	}
	var parts []string
	for _, t := range pr.stack {
		parts = append(parts, fmt.Sprintf("<%s> from line %d", t.name, t.line))
	}
	return " (open: " + strings.Join(parts, ", ") + ")"
}

// finish prints what is left and checks every tag was closed.
func (pr *printer) finish() error {
	if pr.started {
		pr.endLine(false)
	}
	if len(pr.stack) > 0 {
		t := pr.stack[len(pr.stack)-1]
		return &Error{File: pr.opt.File, Line: t.line, Msg: fmt.Sprintf("<%s> is never closed", t.name)}
	}
	return nil
}

// closingAhead finds "</name>" (any case) after the current offset before
// any other tag; it returns the content and the index after the closing tag.
func (pr *printer) closingAhead(name string, anyTags bool) (string, int, bool) {
	s := pr.src
	for j := pr.i; j < len(s); j++ {
		if s[j] != '<' {
			continue
		}
		n, closing, end, ok := scanTag(s, j)
		if !ok {
			continue
		}
		if closing && n == name {
			return s[pr.i:j], end, true
		}
		if !anyTags {
			return "", 0, false
		}
	}
	return "", 0, false
}

// plain turns tag content into text: markers are read, entities decoded,
// line feeds counted; a tag inside is an error.
func (pr *printer) plain(s, tag string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case markStart:
			j := i + 1
			n := 0
			for j < len(s) && isDigit(s[j]) {
				n = n*10 + int(s[j]-'0')
				j++
			}
			if j < len(s) && s[j] == markEnd {
				j++
				pr.line = n
			}
			i = j
		case '\n':
			pr.line++
			b.WriteByte(c)
			i++
		case '&':
			if t, end, ok := entity(s, i); ok {
				b.WriteString(t)
				i = end
			} else {
				b.WriteByte(c)
				i++
			}
		case '<':
			if n, closing, _, ok := scanTag(s, i); ok {
				slash := ""
				if closing {
					slash = "/"
				}
				return "", pr.errorf("<%s%s> inside <%s>: only text may be there", slash, n, tag)
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// content reads the content of a content tag up to its closing tag.
func (pr *printer) contentOf(name string) (string, error) {
	at := pr.line
	raw, end, ok := pr.closingAhead(name, true)
	if !ok {
		return "", pr.errorf("<%s> is never closed", name)
	}
	text, err := pr.plain(raw, name)
	if err != nil {
		return "", err
	}
	pr.i = end
	if text = strings.TrimSpace(text); text == "" {
		return "", &Error{File: pr.opt.File, Line: at, Msg: fmt.Sprintf("<%s> is empty", name)}
	}
	return text, nil
}

func (pr *printer) void(name string) error {
	switch name {
	case "BR":
		if _, _, ok := pr.closingAhead("BR", false); ok {
			return pr.ean13()
		}
		pr.endLine(true)
		// "<BR>" and a line feed right after it are one line break.
		for pr.i < len(pr.src) && pr.src[pr.i] == markStart {
			pr.marker()
		}
		if strings.HasPrefix(pr.src[pr.i:], "\r\n") {
			pr.i += 2
			pr.line++
		} else if strings.HasPrefix(pr.src[pr.i:], "\n") {
			pr.i++
			pr.line++
		}
	case "CUT":
		pr.block()
		pr.e.Cut(true)
		pr.res.EndsInCut = true
	case "HR":
		_, st := pr.block()
		pr.setStyle(style{w: 1, h: 1, bold: st.bold})
		pr.e.Rule('-')
	case "PLUGIN":
		pr.e.Pulse(2)
	case "LOGO":
		if _, _, ok := pr.closingAhead("LOGO", false); ok {
			return pr.logoFile()
		}
		pr.block()
		if pr.opt.Logo != nil && pr.p.Image != escpos.ImageNone {
			if bm := pr.opt.Logo(pr.p.Dots); bm != nil {
				pr.e.Bitmap(bm)
			}
		}
	}
	return nil
}

func (pr *printer) logoFile() error {
	at := pr.line
	name, err := pr.contentOf("LOGO")
	if err != nil {
		return err
	}
	if pr.opt.LoadImage == nil {
		return &Error{File: pr.opt.File, Line: at, Msg: fmt.Sprintf("<LOGO>%s</LOGO>: pictures cannot be loaded here", name)}
	}
	img, err := pr.opt.LoadImage(name)
	if err != nil {
		return &Error{File: pr.opt.File, Line: at, Msg: fmt.Sprintf("<LOGO>: %v", err)}
	}
	if pr.p.Image == escpos.ImageNone {
		return &Error{File: pr.opt.File, Line: at, Msg: fmt.Sprintf("<LOGO>: printer profile %q prints no pictures", pr.p.Name)}
	}
	pr.block()
	pr.e.Image(img)
	return nil
}

func (pr *printer) ean13() error {
	at := pr.line
	digits, err := pr.contentOf("BR")
	if err != nil {
		return err
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return &Error{File: pr.opt.File, Line: at, Msg: fmt.Sprintf("<BR>%s</BR>: an EAN-13 barcode holds digits only", digits)}
		}
	}
	if len(digits) > 13 {
		return &Error{File: pr.opt.File, Line: at, Msg: fmt.Sprintf("<BR>%s</BR>: an EAN-13 barcode has at most 13 digits", digits)}
	}
	if len(digits) < 12 {
		digits = strings.Repeat("0", 12-len(digits)) + digits
	}
	if _, err := escpos.CheckEAN13(digits); err != nil {
		return &Error{File: pr.opt.File, Line: at, Msg: "<BR>: " + err.Error()}
	}
	pr.block()
	pr.e.BarcodeEAN13(digits)
	return nil
}

func (pr *printer) content(name string) error {
	at := pr.line
	text, err := pr.contentOf(name)
	if err != nil {
		return err
	}
	fail := func(format string, a ...any) error {
		return &Error{File: pr.opt.File, Line: at, Msg: fmt.Sprintf("<%s>: ", name) + fmt.Sprintf(format, a...)}
	}
	switch name {
	case "QR":
		if len(text) > escpos.MaxQRData {
			return fail("%d bytes of data, more than a QR code holds (%d)", len(text), escpos.MaxQRData)
		}
		module := 6
		if pr.p.Dots < 500 {
			module = 5
		}
		bm, err := escpos.QRBitmap(text, 1, escpos.QRLevelM)
		if err != nil {
			return fail("%v", err)
		}
		module = max(min(module, pr.p.Dots/bm.W), 1)
		pr.block()
		pr.e.QR(text, module)
	case "BC128_A", "BC128_B", "BC128_C", "BR2", "BR3":
		for i := 0; i < len(text); i++ {
			if text[i] < 0x20 || text[i] > 0x7e {
				return fail("%q: a barcode holds printable ASCII only (character %d)", text, i+1)
			}
		}
		if !pr.p.Code128Fits(text) {
			return fail("%q is too long for a barcode on %d dots of paper", text, pr.p.Dots)
		}
		pr.block()
		pr.e.Barcode128(text)
	case "MN":
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 || n > 9 {
			return fail("%q is not a number of copies from 1 to 9", text)
		}
		pr.res.Copies = n
	case "LR":
		left, right, ok := strings.Cut(text, ",")
		if !ok {
			return fail("%q has no comma between the left and the right text", text)
		}
		left, right = strings.TrimSpace(left), strings.TrimSpace(right)
		_, st := pr.block()
		pr.setStyle(st)
		specs := [2]escpos.Col{{}, {Width: pr.e.Width(right), Align: escpos.Right}}
		pr.e.Row(specs[:], left, right)
	}
	return nil
}

// table reads <table> ... </table>: rows of cells.
func (pr *printer) table() error {
	at := pr.line
	var rows [][]string
	var row []string
	inRow := false
	for {
		if pr.i >= len(pr.src) {
			return &Error{File: pr.opt.File, Line: at, Msg: "<table> is never closed"}
		}
		c := pr.src[pr.i]
		switch {
		case c == markStart:
			pr.marker()
			continue
		case c == '\n':
			pr.line++
			pr.i++
			continue
		case c == ' ' || c == '\t' || c == '\r':
			pr.i++
			continue
		case c != '<':
			return pr.errorf("text outside <td> in a <table>")
		}
		name, closing, end, ok := scanTag(pr.src, pr.i)
		if !ok {
			return pr.errorf("text outside <td> in a <table>")
		}
		pr.i = end
		switch {
		case name == "TR" && !closing && !inRow:
			inRow, row = true, nil
		case name == "TR" && closing && inRow:
			inRow = false
			rows = append(rows, row)
		case name == "TD" && !closing && inRow:
			raw, next, ok := pr.closingAhead("TD", true)
			if !ok {
				return pr.errorf("<td> is never closed")
			}
			cell, err := pr.plain(raw, "TD")
			if err != nil {
				return err
			}
			pr.i = next
			row = append(row, strings.Join(strings.Fields(cell), " "))
		case name == "TABLE" && closing && !inRow:
			return pr.printTable(rows, at)
		default:
			slash := ""
			if closing {
				slash = "/"
			}
			return pr.errorf("<%s%s> is out of place in a <table> (write <table><tr><td>..</td></tr></table>)", slash, name)
		}
	}
}

func (pr *printer) printTable(rows [][]string, at int) error {
	n := 0
	for _, r := range rows {
		n = max(n, len(r))
	}
	if n == 0 {
		return nil
	}
	if n > 16 {
		return &Error{File: pr.opt.File, Line: at, Msg: fmt.Sprintf("<table> has %d columns, more than 16", n)}
	}
	specs := make([]escpos.Col, n)
	for j := 1; j < n; j++ {
		w := 1
		for _, r := range rows {
			if j < len(r) {
				w = max(w, pr.e.Width(r[j]))
			}
		}
		specs[j] = escpos.Col{Width: w, Align: escpos.Right}
	}
	_, st := pr.block()
	pr.setStyle(st)
	cells := make([]string, n)
	for _, r := range rows {
		clear(cells)
		copy(cells, r)
		pr.e.Row(specs, cells...)
	}
	return nil
}
