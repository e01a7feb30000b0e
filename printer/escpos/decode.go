package escpos

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Line is one printed line of a decoded stream. Its attributes are those in
// force at its first character (or at its line feed when it is empty).
type Line struct {
	Text          string // UTF-8
	Align         Align
	Bold          bool
	Underline     bool
	Invert        bool
	Font          Font
	Width, Height int    // character size multipliers, 1 to 8
	Dots          int    // printed width of the text in dots
	QR            string // data of a QR code printed on a line of its own
	Barcode       string // data of a barcode printed on a line of its own
	Image         string // "WxH" dots of a raster image printed on a line of its own
}

// Doc is a decoded ESC/POS stream.
type Doc struct {
	Lines []Line
	Cuts  int
	// Unknown lists every command the decoder does not know, as
	// "0x1b 0x99 at offset 120". The bytes after an unknown command are
	// decoded as text.
	Unknown []string
	// CodePages names the code pages used for bytes >= 0x80 outside Chinese
	// mode ("CP437" unless ESC t chose another).
	CodePages []string
}

// Text returns the text of every line. A line holding a code or an image
// reads "[QR data]", "[barcode data]" or "[image WxH]".
func (d *Doc) Text() []string {
	out := make([]string, len(d.Lines))
	for i, l := range d.Lines {
		switch {
		case l.QR != "":
			out[i] = "[QR " + l.QR + "]"
		case l.Barcode != "":
			out[i] = "[barcode " + l.Barcode + "]"
		case l.Image != "":
			out[i] = "[image " + l.Image + "]"
		default:
			out[i] = l.Text
		}
	}
	return out
}

// Dump writes the document one line per printed line: the line's attributes
// (alignment L/C/R, B bold, U underline, I inverted, FB font B, WxH size when
// not 1x1), a bar, and its text as Text gives it; then the cuts and the
// unknown commands.
func (d *Doc) Dump() string {
	var b strings.Builder
	text := d.Text()
	for i, l := range d.Lines {
		tags := []string{"L"}
		switch l.Align {
		case Center:
			tags[0] = "C"
		case Right:
			tags[0] = "R"
		}
		if l.Bold {
			tags = append(tags, "B")
		}
		if l.Underline {
			tags = append(tags, "U")
		}
		if l.Invert {
			tags = append(tags, "I")
		}
		if l.Font == FontB {
			tags = append(tags, "FB")
		}
		if l.Width != 1 || l.Height != 1 {
			tags = append(tags, fmt.Sprintf("%dx%d", l.Width, l.Height))
		}
		fmt.Fprintf(&b, "%-12s|%s\n", strings.Join(tags, " "), text[i])
	}
	fmt.Fprintf(&b, "-- cuts: %d\n", d.Cuts)
	for _, u := range d.Unknown {
		fmt.Fprintf(&b, "-- unknown: %s\n", u)
	}
	return b.String()
}

// Argument byte counts of the fixed-length commands, by command byte.
var (
	escArgs = map[byte]int{
		'@': 0, '2': 0, 'i': 0, 'm': 0,
		'a': 1, 'E': 1, '-': 1, 'M': 1, '3': 1, 'd': 1, 't': 1, '!': 1, 'G': 1,
		'J': 1, 'R': 1, ' ': 1, '{': 1, 'V': 1, 'U': 1, 'r': 1, '=': 1,
		'B': 2, '$': 2, '\\': 2, 'c': 2,
		'p': 3,
	}
	gsArgs = map[byte]int{
		'!': 1, 'B': 1, 'h': 1, 'w': 1, 'H': 1, 'f': 1, 'a': 1, 'r': 1, 'I': 1, 'b': 1, '/': 1,
		'L': 2, 'W': 2, 'P': 2,
	}
	fsArgs = map[byte]int{'&': 0, '.': 0, '!': 1, '-': 1, 'W': 1, 'C': 1, 'S': 2, 'p': 2}
)

// maxUnknown bounds Doc.Unknown; the rest are counted in one last entry.
const maxUnknown = 64

// MaxLines bounds a decoded document: decoding stops with an error at the
// command that would print line MaxLines+1 (a long receipt has a few
// thousand).
const MaxLines = 50000

// codePages maps ESC t numbers to the code pages the decoder can read.
var codePages = map[byte]struct {
	name string
	cm   *charmap.Charmap
}{
	0:  {"CP437", charmap.CodePage437},
	2:  {"CP850", charmap.CodePage850},
	3:  {"CP860", charmap.CodePage860},
	4:  {"CP863", charmap.CodePage863},
	5:  {"CP865", charmap.CodePage865},
	16: {"CP1252", charmap.Windows1252},
	17: {"CP866", charmap.CodePage866},
	18: {"CP852", charmap.CodePage852},
	19: {"CP858", charmap.CodePage858},
}

type state struct {
	align     Align
	bold      bool
	underline bool
	invert    bool
	font      Font
	w, h      int
	chinese   bool
	codePage  byte
}

type decoder struct {
	b        []byte
	i        int
	doc      *Doc
	boot     bool // Chinese mode after power-on and ESC @
	st       state
	tabs     []int // tab stops in columns; nil means every 8 columns
	text     strings.Builder
	started  bool // the current line has characters
	first    state
	col      int
	dots     int
	qr       string
	gb       transform.Transformer
	gbOut    [8]byte
	dropped  int
	tooLong  bool // a line beyond MaxLines was not decoded
	usedPage map[string]bool
}

// Decode reads an ESC/POS stream back into lines, starting with Chinese
// mode off. It never panics. On truncated input it returns the lines decoded
// so far (the unfinished line included) and an error naming the offset.
func Decode(b []byte) (*Doc, error) { return decode(b, false) }

// DecodeFor is Decode for printers of profile p: Chinese mode starts (and
// returns after ESC @) in the profile's power-on state, which shows what such
// a printer prints for a stream that does not set the mode itself.
func DecodeFor(b []byte, p Profile) (*Doc, error) { return decode(b, p.ChineseAtBoot) }

func decode(b []byte, boot bool) (*Doc, error) {
	d := &decoder{b: b, doc: &Doc{}, boot: boot, gb: simplifiedchinese.GB18030.NewDecoder()}
	d.reset()
	err := d.run()
	if d.started {
		d.endLine()
		if err == nil && d.tooLong {
			err = d.tooLongError(len(b))
		}
	}
	if d.dropped > 0 {
		d.doc.Unknown = append(d.doc.Unknown, fmt.Sprintf("and %d more unknown commands", d.dropped))
	}
	return d.doc, err
}

func (d *decoder) tooLongError(at int) error {
	return fmt.Errorf("document longer than %d lines: decoding stopped at offset %d", MaxLines, at)
}

func (d *decoder) reset() {
	d.st = state{w: 1, h: 1, chinese: d.boot}
	d.tabs = nil
}

// truncatedError reports a command or character cut off by the end of input.
type truncatedError struct {
	what   string
	offset int
	need   int
	have   int
}

func (e *truncatedError) Error() string {
	return fmt.Sprintf("truncated %s at offset %d: needs %d bytes, %d left", e.what, e.offset, e.need, e.have)
}

// cmdWhat names a command for an error, spelled only when one is made.
type cmdWhat struct {
	prefix string
	cmd    byte
}

func (c cmdWhat) String() string { return c.prefix + cmdName(c.cmd) }

// need checks that n bytes are left from the current offset; what is a
// string or a fmt.Stringer naming what needs them.
func (d *decoder) need(n int64, what any) error {
	if have := int64(len(d.b) - d.i); n > have {
		return &truncatedError{what: fmt.Sprint(what), offset: d.i, need: int(min(n, 1<<31)), have: int(have)}
	}
	return nil
}

// unknown records the n bytes at the current offset as an unknown command
// and skips them.
func (d *decoder) unknown(n int) {
	n = min(n, len(d.b)-d.i)
	if len(d.doc.Unknown) < maxUnknown {
		parts := make([]string, 0, n+2)
		for _, c := range d.b[d.i : d.i+n] {
			parts = append(parts, fmt.Sprintf("0x%02x", c))
		}
		parts = append(parts, "at offset", fmt.Sprint(d.i))
		d.note(strings.Join(parts, " "))
	} else {
		d.dropped++
	}
	d.i += n
}

func (d *decoder) note(s string) {
	if len(d.doc.Unknown) >= maxUnknown {
		d.dropped++
		return
	}
	d.doc.Unknown = append(d.doc.Unknown, s)
}

func (d *decoder) run() error {
	for d.i < len(d.b) {
		at := d.i
		c := d.b[d.i]
		var err error
		switch {
		case c == LF:
			d.endLine()
			d.i++
		case c == '\r':
			d.i++ // carriage return: ignored in standard mode
		case c == '\t':
			d.tab()
			d.i++
		case c == ESC:
			err = d.esc()
		case c == GS:
			err = d.gs()
		case c == FS:
			err = d.fs()
		case c == DLE:
			err = d.dle()
		case c < 0x20:
			d.unknown(1)
		case c < 0x80:
			d.put(rune(c), 1)
			d.i++
		case d.st.chinese:
			err = d.gbChar()
		default:
			d.codePageChar(c)
			d.i++
		}
		if err != nil {
			return err
		}
		if d.tooLong {
			return d.tooLongError(at)
		}
	}
	return nil
}

func (d *decoder) put(r rune, cols int) {
	if !d.started {
		d.started = true
		d.first = d.st
	}
	d.text.WriteRune(r)
	d.col += cols
	fd := FontADots
	if d.st.font == FontB {
		fd = FontBDots
	}
	d.dots += cols * fd * d.st.w
}

func (d *decoder) endLine() {
	if len(d.doc.Lines) >= MaxLines {
		d.tooLong = true
		return
	}
	st := d.st
	if d.started {
		st = d.first
	}
	d.doc.Lines = append(d.doc.Lines, Line{
		Text: d.text.String(), Align: st.align, Bold: st.bold, Underline: st.underline,
		Invert: st.invert, Font: st.font, Width: st.w, Height: st.h, Dots: d.dots,
	})
	d.text.Reset()
	d.started = false
	d.col, d.dots = 0, 0
}

// block appends a line holding only a code or an image, ending the current
// line first.
func (d *decoder) block(l Line) {
	if d.started {
		d.endLine()
	}
	l.Align, l.Width, l.Height, l.Font = d.st.align, 1, 1, d.st.font
	if len(d.doc.Lines) >= MaxLines {
		d.tooLong = true
		return
	}
	d.doc.Lines = append(d.doc.Lines, l)
}

func (d *decoder) tab() {
	next := -1
	if d.tabs == nil {
		next = (d.col/8 + 1) * 8
	} else {
		for _, t := range d.tabs {
			if t > d.col {
				next = t
				break
			}
		}
	}
	for next > d.col {
		d.put(' ', 1)
	}
}

func (d *decoder) codePageChar(c byte) {
	cp, ok := codePages[d.st.codePage]
	if !ok {
		cp = codePages[0]
	}
	if d.usedPage == nil {
		d.usedPage = map[string]bool{}
	}
	if !d.usedPage[cp.name] {
		d.usedPage[cp.name] = true
		d.doc.CodePages = append(d.doc.CodePages, cp.name)
	}
	d.put(cp.cm.DecodeByte(c), 1)
}

// gbChar decodes one GB18030 character at the current offset (Chinese mode).
// A byte that starts no valid character prints as U+FFFD and the next byte
// is read afresh.
func (d *decoder) gbChar() error {
	c0 := d.b[d.i]
	if c0 == 0x80 || c0 == 0xff {
		d.put(utf8.RuneError, 1)
		d.i++
		return nil
	}
	if err := d.need(2, "GB18030 character"); err != nil {
		return err
	}
	c1 := d.b[d.i+1]
	size := 0
	switch {
	case (c1 >= 0x40 && c1 <= 0x7e) || (c1 >= 0x80 && c1 <= 0xfe):
		size = 2
	case c1 >= 0x30 && c1 <= 0x39:
		if err := d.need(4, "GB18030 character"); err != nil {
			return err
		}
		if c2, c3 := d.b[d.i+2], d.b[d.i+3]; c2 >= 0x81 && c2 <= 0xfe && c3 >= 0x30 && c3 <= 0x39 {
			size = 4
		}
	}
	if size == 0 {
		d.put(utf8.RuneError, 1)
		d.i++
		return nil
	}
	d.gb.Reset()
	n, _, err := d.gb.Transform(d.gbOut[:], d.b[d.i:d.i+size], true)
	r, rs := utf8.DecodeRune(d.gbOut[:n])
	if err != nil || rs != n {
		r = utf8.RuneError
	}
	d.put(r, 2)
	d.i += size
	return nil
}

// esc decodes ESC commands.
func (d *decoder) esc() error {
	if err := d.need(2, "ESC command"); err != nil {
		return err
	}
	cmd := d.b[d.i+1]
	switch cmd {
	case 'D':
		return d.escTabs()
	case '*':
		return d.escBitImage()
	}
	n, ok := escArgs[cmd]
	if !ok {
		d.unknown(2)
		return nil
	}
	if err := d.need(int64(2+n), cmdWhat{"ESC ", cmd}); err != nil {
		return err
	}
	var a byte
	if n > 0 {
		a = d.b[d.i+2]
	}
	d.i += 2 + n
	switch cmd {
	case '@':
		// ESC @ clears the print buffer: an unfinished line is not printed.
		d.text.Reset()
		d.started = false
		d.col, d.dots = 0, 0
		d.reset()
	case 'a':
		switch a {
		case 0, '0':
			d.st.align = Left
		case 1, '1':
			d.st.align = Center
		case 2, '2':
			d.st.align = Right
		}
	case 'E':
		d.st.bold = a&1 == 1
	case '-':
		d.st.underline = a == 1 || a == 2 || a == '1' || a == '2'
	case 'M':
		if a == 1 || a == '1' {
			d.st.font = FontB
		} else {
			d.st.font = FontA
		}
	case 'd':
		d.feed(int(a))
	case 'J':
		if d.started {
			d.endLine()
		}
	case 't':
		d.st.codePage = a
		if _, ok := codePages[a]; !ok {
			d.note(fmt.Sprintf("0x1b 0x74 0x%02x at offset %d (code page not known: bytes >= 0x80 read as CP437)", a, d.i-3))
		}
	case '!':
		d.st.font = Font(a & 1)
		d.st.bold = a&0x08 != 0
		d.st.h = 1 + int(a>>4&1)
		d.st.w = 1 + int(a>>5&1)
		d.st.underline = a&0x80 != 0
	case 'i', 'm':
		d.cut()
	}
	return nil
}

func (d *decoder) feed(n int) {
	if d.started {
		d.endLine()
		n--
	}
	for ; n > 0 && !d.tooLong; n-- {
		d.endLine()
	}
}

func (d *decoder) cut() {
	if d.started {
		d.endLine()
	}
	d.doc.Cuts++
}

// escTabs decodes ESC D n1 ... nk NUL (k <= 32).
func (d *decoder) escTabs() error {
	j := d.i + 2
	var tabs []int
	for j < len(d.b) && len(tabs) < 32 && d.b[j] != 0 {
		if len(tabs) > 0 && int(d.b[j]) <= tabs[len(tabs)-1] {
			break // not ascending: the list ends here
		}
		tabs = append(tabs, int(d.b[j]))
		j++
	}
	if j == len(d.b) {
		return d.need(int64(j-d.i+1), "ESC D")
	}
	if d.b[j] == 0 {
		j++
	}
	d.tabs = tabs
	if d.tabs == nil {
		d.tabs = []int{}
	}
	d.i = j
	return nil
}

// escBitImage decodes ESC * m nL nH d1 ... dk.
func (d *decoder) escBitImage() error {
	if err := d.need(5, "ESC *"); err != nil {
		return err
	}
	m, k := d.b[d.i+2], int64(d.b[d.i+3])+int64(d.b[d.i+4])<<8
	switch m {
	case 0, 1:
	case 32, 33:
		k *= 3
	default:
		d.unknown(3)
		return nil
	}
	if err := d.need(5+k, "ESC *"); err != nil {
		return err
	}
	d.i += 5 + int(k)
	return nil
}

// gs decodes GS commands.
func (d *decoder) gs() error {
	if err := d.need(2, "GS command"); err != nil {
		return err
	}
	cmd := d.b[d.i+1]
	switch cmd {
	case 'V':
		return d.gsCut()
	case 'k':
		return d.gsBarcode()
	case '(':
		return d.gsParen()
	case 'v':
		return d.gsRaster()
	case '8':
		return d.gsGraphics()
	case '*':
		if err := d.need(4, "GS *"); err != nil {
			return err
		}
		n := int64(d.b[d.i+2]) * int64(d.b[d.i+3]) * 8
		if err := d.need(4+n, "GS *"); err != nil {
			return err
		}
		d.i += 4 + int(n)
		return nil
	}
	n, ok := gsArgs[cmd]
	if !ok {
		d.unknown(2)
		return nil
	}
	if err := d.need(int64(2+n), cmdWhat{"GS ", cmd}); err != nil {
		return err
	}
	a := d.b[d.i+2]
	d.i += 2 + n
	switch cmd {
	case '!':
		d.st.w = 1 + int(a>>4&7)
		d.st.h = 1 + int(a&7)
	case 'B':
		d.st.invert = a&1 == 1
	case '/':
		d.block(Line{Image: "downloaded"})
	}
	return nil
}

// gsCut decodes GS V m and GS V m n.
func (d *decoder) gsCut() error {
	if err := d.need(3, "GS V"); err != nil {
		return err
	}
	n := int64(3)
	switch d.b[d.i+2] {
	case 0, 1, 48, 49:
	case 65, 66, 97, 98, 103, 104:
		n = 4
	default:
		d.unknown(3)
		return nil
	}
	if err := d.need(n, "GS V"); err != nil {
		return err
	}
	d.i += int(n)
	d.cut()
	return nil
}

// gsBarcode decodes GS k m d1 ... NUL and GS k m n d1 ... dn.
func (d *decoder) gsBarcode() error {
	if err := d.need(3, "GS k"); err != nil {
		return err
	}
	m := d.b[d.i+2]
	var data []byte
	switch {
	case m <= 6:
		end := -1
		for j := d.i + 3; j < len(d.b); j++ {
			if d.b[j] == 0 {
				end = j
				break
			}
		}
		if end < 0 {
			return d.need(int64(len(d.b)-d.i+1), "GS k barcode data (no NUL)")
		}
		data = d.b[d.i+3 : end]
		d.i = end + 1
	case m >= 65 && m <= 79:
		if err := d.need(4, "GS k"); err != nil {
			return err
		}
		n := int(d.b[d.i+3])
		if err := d.need(int64(4+n), "GS k barcode data"); err != nil {
			return err
		}
		data = d.b[d.i+4 : d.i+4+n]
		d.i += 4 + n
		if m == 73 {
			data = code128Text(data)
		}
	default:
		d.unknown(3)
		return nil
	}
	if len(data) > 0 {
		d.block(Line{Barcode: Printable(string(data))})
	}
	return nil
}

// code128Text turns CODE128 data with code set selectors ({A, {B, {C) into
// the text printed below the bars.
func code128Text(b []byte) []byte {
	out := make([]byte, 0, len(b))
	setC := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '{' && i+1 < len(b) {
			i++
			switch b[i] {
			case '{':
				out = append(out, '{')
			case 'C':
				setC = true
			case 'A', 'B':
				setC = false
			}
			continue
		}
		if setC {
			out = fmt.Appendf(out, "%02d", c)
			continue
		}
		out = append(out, c)
	}
	return out
}

// gsParen decodes GS ( fn pL pH d1 ... dk; of the functions, k (QR code)
// prints and L (graphics) is known, the rest are reported as unknown.
func (d *decoder) gsParen() error {
	if err := d.need(5, "GS ("); err != nil {
		return err
	}
	fn := d.b[d.i+2]
	n := int64(d.b[d.i+3]) + int64(d.b[d.i+4])<<8
	if err := d.need(5+n, cmdWhat{"GS ( ", fn}); err != nil {
		return err
	}
	body := d.b[d.i+5 : d.i+5+int(n)]
	switch fn {
	case 'k':
		if len(body) >= 2 && body[0] == 49 { // cn 49: QR code
			switch body[1] {
			case 80: // store
				if len(body) >= 3 {
					d.qr = string(body[3:])
				} else {
					d.qr = ""
				}
			case 81: // print; nothing prints when nothing is stored
				if d.qr != "" {
					d.block(Line{QR: Printable(d.qr)})
				}
			}
		}
	case 'L':
	default:
		d.unknown(3)
		d.i += 2 + int(n) // the unknown function's length is still known
		return nil
	}
	d.i += 5 + int(n)
	return nil
}

// gsRaster decodes GS v 0 m xL xH yL yH d1 ... dk.
func (d *decoder) gsRaster() error {
	if err := d.need(3, "GS v"); err != nil {
		return err
	}
	if d.b[d.i+2] != '0' {
		d.unknown(3)
		return nil
	}
	if err := d.need(8, "GS v 0"); err != nil {
		return err
	}
	m := d.b[d.i+3]
	x := int64(d.b[d.i+4]) + int64(d.b[d.i+5])<<8
	y := int64(d.b[d.i+6]) + int64(d.b[d.i+7])<<8
	if err := d.need(8+x*y, "GS v 0 image data"); err != nil {
		return err
	}
	d.i += 8 + int(x*y)
	w, h := x*8, y
	if m == 1 || m == 3 || m == 49 || m == 51 {
		w *= 2
	}
	if m == 2 || m == 3 || m == 50 || m == 51 {
		h *= 2
	}
	d.block(Line{Image: fmt.Sprintf("%dx%d", w, h), Dots: int(w)})
	return nil
}

// gsGraphics decodes GS 8 L p1 p2 p3 p4 m fn ...
func (d *decoder) gsGraphics() error {
	if err := d.need(7, "GS 8"); err != nil {
		return err
	}
	if d.b[d.i+2] != 'L' {
		d.unknown(3)
		return nil
	}
	p := d.b[d.i+3 : d.i+7]
	n := int64(p[0]) | int64(p[1])<<8 | int64(p[2])<<16 | int64(p[3])<<24
	if err := d.need(7+n, "GS 8 L"); err != nil {
		return err
	}
	d.i += 7 + int(n)
	return nil
}

// fs decodes FS commands.
func (d *decoder) fs() error {
	if err := d.need(2, "FS command"); err != nil {
		return err
	}
	cmd := d.b[d.i+1]
	n, ok := fsArgs[cmd]
	if !ok {
		d.unknown(2)
		return nil
	}
	if err := d.need(int64(2+n), cmdWhat{"FS ", cmd}); err != nil {
		return err
	}
	d.i += 2 + n
	switch cmd {
	case '&':
		d.st.chinese = true
	case '.':
		d.st.chinese = false
	case 'p':
		d.block(Line{Image: "stored"})
	}
	return nil
}

// dle decodes DLE EOT n, DLE ENQ n and DLE DC4 fn m t.
func (d *decoder) dle() error {
	if err := d.need(2, "DLE command"); err != nil {
		return err
	}
	n := int64(0)
	switch d.b[d.i+1] {
	case EOT, 0x05:
		n = 3
	case 0x14:
		n = 5
	default:
		d.unknown(2)
		return nil
	}
	if err := d.need(n, cmdWhat{"DLE ", d.b[d.i+1]}); err != nil {
		return err
	}
	d.i += int(n)
	return nil
}

// cmdName spells a command byte as the manuals do.
func cmdName(c byte) string {
	switch {
	case c == EOT:
		return "EOT"
	case c == 0x05:
		return "ENQ"
	case c == 0x14:
		return "DC4"
	case c > 0x20 && c < 0x7f:
		return string(rune(c))
	}
	return fmt.Sprintf("0x%02x", c)
}
