// Package markup prints ticket markup: text with the layout tags merchants
// already use with Feie (飞鹅) and Yilianyun (易联云) cloud printers, such as
// <CB>centred large</CB>, <BOLD>, <QR>, <table> and <CUT>, rendered as
// ESC/POS for any printer profile. Templates (see Template) produce markup
// from Go text/template over order data.
//
// Tags are matched without regard to case. Text outside tags is printed as
// it is; a line feed or <BR> ends a line ("<BR>" directly followed by a line
// feed ends one line, so both Feie-style one-line strings and line-per-line
// templates print as written). &lt; &gt; &amp; &quot; and &#N; print the
// characters they name. A '<' that does not start a known tag is printed as
// it is; something that looks like a tag but is not known is an error.
//
// Style tags (they nest and need their closing tag):
//
//	<B>       double width and height     <W>, <FW>, <FW2>   double width
//	<CB>      centred, double size        <L>, <FH>, <FH2>   double height
//	<C>, <CENTER>  centred                <FS>, <FS2>        double size
//	<RIGHT>   right-aligned               <BOLD>, <FB>       bold
//	<U>       underlined
//
// ESC/POS sizes are whole multiples: Yilianyun's 1.33x tags print at 2x.
// Alignment applies to whole lines, from a line's first character.
//
// Other tags:
//
//	<BR>                  line break
//	<CUT>                 cut the paper (as the printer profile can)
//	<HR>                  a rule across the paper
//	<PLUGIN>              open the cash drawer (pin 2)
//	<LOGO>                the store's logo, when one is configured
//	<LOGO>file.png</LOGO> a PNG picture, relative to the template's directory
//	<QR>data</QR>         a QR code
//	<BC128_A>data</BC128_A>, <BC128_B>, <BC128_C>, <BR2>, <BR3>   a CODE128 barcode
//	<BR>digits</BR>       an EAN-13 barcode (Yilianyun): up to 13 digits, padded with zeros in front to 12
//	<MN>n</MN>            print n copies (1-9)
//	<LR>left,right</LR>   left and right text on one line
//	<table><tr><td>..</td>..</tr>..</table>   a table: the first column takes the room left and wraps,
//	                      the others are as wide as their widest cell, right-aligned
//	@@2                   at the start of a line: the line at double size
//	a tab                 moves to the next multiple of 4 columns
package markup

import (
	"fmt"
	"image"
	"strconv"
	"strings"
	"unicode/utf8"

	"storeedge/printer/escpos"
)

// Error is a problem in markup or a template, with where it was found.
type Error struct {
	File string // template file, when known
	Line int    // 1-based; 0 when unknown
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	}
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		} else {
			b.WriteString("line ")
		}
		b.WriteString(strconv.Itoa(e.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Options are what printing markup needs beyond the markup.
type Options struct {
	File string // names the source in errors
	// Logo gives the picture printed for <LOGO> without content, for paper
	// dots wide; nil prints nothing.
	Logo func(dots int) *escpos.Bitmap
	// LoadImage reads the picture of <LOGO>name</LOGO>; nil makes such a
	// tag an error.
	LoadImage func(name string) (image.Image, error)
}

// Result says what printed markup asked for beyond its bytes.
type Result struct {
	Copies    int  // from <MN>; 1 when not given
	EndsInCut bool // the last thing printed was a cut
}

// tag kinds.
type kind int8

const (
	kStyle   kind = iota // paired, changes the style of the text inside
	kVoid                // no content, no closing tag
	kContent             // paired, its content is data (a code, a number, a file)
	kTable               // <table> and its rows and cells
)

type tagInfo struct {
	kind          kind
	width, height int          // size contribution
	bold, under   bool         // style contribution
	align         escpos.Align // alignment contribution when hasAlign
	hasAlign      bool
}

var tags = map[string]tagInfo{
	"B":       {kind: kStyle, width: 2, height: 2},
	"CB":      {kind: kStyle, width: 2, height: 2, align: escpos.Center, hasAlign: true},
	"C":       {kind: kStyle, align: escpos.Center, hasAlign: true},
	"CENTER":  {kind: kStyle, align: escpos.Center, hasAlign: true},
	"RIGHT":   {kind: kStyle, align: escpos.Right, hasAlign: true},
	"L":       {kind: kStyle, height: 2},
	"W":       {kind: kStyle, width: 2},
	"BOLD":    {kind: kStyle, bold: true},
	"FB":      {kind: kStyle, bold: true},
	"FS":      {kind: kStyle, width: 2, height: 2},
	"FS2":     {kind: kStyle, width: 2, height: 2},
	"FH":      {kind: kStyle, height: 2},
	"FH2":     {kind: kStyle, height: 2},
	"FW":      {kind: kStyle, width: 2},
	"FW2":     {kind: kStyle, width: 2},
	"U":       {kind: kStyle, under: true},
	"BR":      {kind: kVoid},
	"CUT":     {kind: kVoid},
	"HR":      {kind: kVoid},
	"PLUGIN":  {kind: kVoid},
	"LOGO":    {kind: kVoid},
	"QR":      {kind: kContent},
	"BC128_A": {kind: kContent},
	"BC128_B": {kind: kContent},
	"BC128_C": {kind: kContent},
	"BR2":     {kind: kContent},
	"BR3":     {kind: kContent},
	"MN":      {kind: kContent},
	"LR":      {kind: kContent},
	"TABLE":   {kind: kTable},
	"TR":      {kind: kTable},
	"TD":      {kind: kTable},
}

// Tags lists the tag names markup knows, upper case.
func Tags() []string {
	out := make([]string, 0, len(tags))
	for k := range tags {
		out = append(out, k)
	}
	return out
}

// marker brackets a source line number that a Template puts into its
// output so that errors name the template's line: "\x00" + line + "\x01".
const (
	markStart = '\x00'
	markEnd   = '\x01'
)

// scanTag reads a tag-like "<NAME>" or "</NAME>" at s[i] (s[i] == '<'):
// NAME is a letter followed by letters, digits and underscores. It returns
// the upper-case name, whether it closes, and the index after '>'.
func scanTag(s string, i int) (name string, closing bool, end int, ok bool) {
	j := i + 1
	if j < len(s) && s[j] == '/' {
		closing = true
		j++
	}
	start := j
	for j < len(s) && (isLetter(s[j]) || (j > start && (isDigit(s[j]) || s[j] == '_'))) {
		j++
	}
	if j == start || j >= len(s) || s[j] != '>' || j-start > 16 {
		return "", false, 0, false
	}
	return strings.ToUpper(s[start:j]), closing, j + 1, true
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// unknownTag is the error for a tag-like word that is no tag.
func unknownTag(name string, closing bool) string {
	slash := ""
	if closing {
		slash = "/"
	}
	return fmt.Sprintf("unknown tag <%s%s> (write &lt; for a literal '<')", slash, name)
}

// entity decodes an entity at s[i] (s[i] == '&'), returning the text and
// the index after it; ok is false when there is none.
func entity(s string, i int) (string, int, bool) {
	semi := strings.IndexByte(s[i:min(len(s), i+10)], ';')
	if semi < 0 {
		return "", 0, false
	}
	name := s[i+1 : i+semi]
	switch name {
	case "lt":
		return "<", i + semi + 1, true
	case "gt":
		return ">", i + semi + 1, true
	case "amp":
		return "&", i + semi + 1, true
	case "quot":
		return `"`, i + semi + 1, true
	case "apos":
		return "'", i + semi + 1, true
	}
	if len(name) > 1 && name[0] == '#' {
		n, err := strconv.ParseUint(name[1:], 10, 32)
		if len(name) > 2 && (name[1] == 'x' || name[1] == 'X') {
			n, err = strconv.ParseUint(name[2:], 16, 32)
		}
		if err == nil && utf8.ValidRune(rune(n)) && n >= 0x20 {
			return string(rune(n)), i + semi + 1, true
		}
	}
	return "", 0, false
}

// Check reports the unknown tags of markup text src starting at line
// first, with their lines: what can be known without printing.
func Check(src string, first int) []*Error {
	var errs []*Error
	line := first
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\n':
			line++
		case '<':
			name, closing, _, ok := scanTag(src, i)
			if !ok {
				continue
			}
			if _, known := tags[name]; !known {
				errs = append(errs, &Error{Line: line, Msg: unknownTag(name, closing)})
			}
		}
	}
	return errs
}
