package escpos

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Style is how characters are printed.
type Style struct {
	Bold          bool
	Underline     int // 0 off, 1 thin, 2 thick
	Invert        bool
	Font          Font
	Width, Height int // character size multipliers, 1 to 8
}

// Span is a run of characters of one style within a line.
type Span struct {
	Text string
	Style
	Dots int     // printed width in dots
	cols []uint8 // columns of each character: 2 for GB characters, else 1
}

// Line is one printed line of a decoded stream. Its attributes are those in
// force at its first character (or at its line feed when it is empty);
// Spans holds every run of characters with its own style.
type Line struct {
	Text          string // UTF-8
	Align         Align
	Bold          bool
	Underline     bool
	Invert        bool
	Font          Font
	Width, Height int    // character size multipliers, 1 to 8
	Dots          int    // printed width in dots
	Spans         []Span // the styled runs of Text; nil for an empty line or a block
	Spacing       int    // line spacing in dots in force at the line feed; 0 means the default
	QR            string // data of a QR code printed on a line of its own
	QRModule      int    // its module size in dots
	QRLevel       QRLevel
	Barcode       string // text of a barcode printed on a line of its own
	BarcodeType   string // CODE128, EAN13, ...
	BarWidth      int    // module width in dots (GS w)
	BarHeight     int    // bar height in dots (GS h)
	BarHRI        int    // where its text is printed (GS H): 0 none, 1 above, 2 below, 3 both
	Image         string // "WxH" dots of an image printed on a line of its own
	Bitmap        *Bitmap
}

// Doc is a decoded ESC/POS stream.
type Doc struct {
	Lines []Line
	Cuts  int
	// CutAt holds, for every cut, the number of lines printed before it.
	CutAt []int
	// Drawer counts the cash drawer pulses (ESC p), Beeps the buzzer
	// commands (ESC B).
	Drawer, Beeps int
	// Unknown lists every command the decoder does not know, as
	// "0x1b 0x99 at offset 120". The bytes after an unknown command are
	// decoded as text.
	Unknown []string
	// CodePages names the code pages used for bytes >= 0x80 outside Chinese
	// mode ("CP437" unless ESC t chose another).
	CodePages []string
	// Width is the paper's width in dots when the stream was decoded for a
	// profile (lines longer than it wrap as on paper); 0 otherwise.
	Width int
}

// Text returns the text of every line. A line holding a code or an image
// reads "[QR data]", "[barcode data]" or "[image WxH]".
func (d *Doc) Text() []string {
	out := make([]string, len(d.Lines))
	for i, l := range d.Lines {
		out[i] = l.String()
	}
	return out
}

// String is the line's text, or "[QR data]", "[barcode data]" or
// "[image WxH]" for a block.
func (l *Line) String() string {
	switch {
	case l.QR != "":
		return "[QR " + l.QR + "]"
	case l.Barcode != "":
		return "[barcode " + l.Barcode + "]"
	case l.Image != "":
		return "[image " + l.Image + "]"
	}
	return l.Text
}

// tags spells a style as Dump does: B bold, U underline, I inverted, FB
// font B, WxH size when not 1x1.
func (s Style) tags(tags []string) []string {
	if s.Bold {
		tags = append(tags, "B")
	}
	if s.Underline > 0 {
		tags = append(tags, "U")
	}
	if s.Invert {
		tags = append(tags, "I")
	}
	if s.Font == FontB {
		tags = append(tags, "FB")
	}
	if s.Width != 1 || s.Height != 1 {
		tags = append(tags, fmt.Sprintf("%dx%d", s.Width, s.Height))
	}
	return tags
}

// Dump writes the document one line per printed line: the line's attributes
// (alignment L/C/R, B bold, U underline, I inverted, FB font B, WxH size when
// not 1x1), a bar, and its text as Text gives it; then the cuts, drawer
// pulses, beeps and the unknown commands. A line whose characters change
// style is followed by one "  span" line per run.
func (d *Doc) Dump() string {
	var b strings.Builder
	for _, l := range d.Lines {
		tags := []string{"L"}
		switch l.Align {
		case Center:
			tags[0] = "C"
		case Right:
			tags[0] = "R"
		}
		u := 0
		if l.Underline {
			u = 1
		}
		tags = Style{Bold: l.Bold, Underline: u, Invert: l.Invert, Font: l.Font, Width: l.Width, Height: l.Height}.tags(tags)
		fmt.Fprintf(&b, "%-12s|%s\n", strings.Join(tags, " "), l.String())
		if len(l.Spans) > 1 {
			for _, s := range l.Spans {
				fmt.Fprintf(&b, "  %-10s|%s\n", strings.Join(s.Style.tags([]string{"span"}), " "), s.Text)
			}
		}
	}
	fmt.Fprintf(&b, "-- cuts: %d\n", d.Cuts)
	if d.Drawer > 0 {
		fmt.Fprintf(&b, "-- drawer pulses: %d\n", d.Drawer)
	}
	if d.Beeps > 0 {
		fmt.Fprintf(&b, "-- beeps: %d\n", d.Beeps)
	}
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

// maxBitmapDots bounds the dots of the images of one decoded document that
// are kept as bitmaps; larger images are only measured.
const maxBitmapDots = 64 << 20

// barcodeTypes names the GS k barcode systems by m (65-79; 0-6 are the
// NUL-terminated forms of 65-71).
var barcodeTypes = map[byte]string{
	65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF", 71: "CODABAR",
	72: "CODE93", 73: "CODE128", 74: "GS1-128", 75: "GS1-OMNI", 76: "GS1-TRUNC", 77: "GS1-LIMITED",
	78: "GS1-EXPANDED", 79: "CODE128-AUTO",
}

type state struct {
	align    Align
	style    Style
	chinese  bool
	codePage byte
	spacing  int
}

type decoder struct {
	b        []byte
	i        int
	doc      *Doc
	boot     bool // Chinese mode after power-on and ESC @
	paper    int  // paper width in dots; 0: lines never wrap
	st       state
	tabs     []int // tab stops in columns; nil means every 8 columns
	text     strings.Builder
	spans    []Span
	spanAt   []int // byte offset in text where each span starts
	started  bool  // the current line has characters
	first    state
	col      int
	dots     int
	qr       string
	qrModule int
	qrLevel  QRLevel
	barW     int
	barH     int
	barHRI   int
	graphics *Bitmap // stored by GS ( L fn 112, printed by fn 50
	column   bool    // an ESC * image ended the line: the next LF belongs to it
	bitDots  int
	gb       transform.Transformer
	gbOut    [8]byte
	dropped  int
	tooLong  bool // a line beyond MaxLines was not decoded
	usedPage map[string]bool
}

// Decode reads an ESC/POS stream back into lines, starting with Chinese
// mode off. It never panics. On truncated input it returns the lines decoded
// so far (the unfinished line included) and an error naming the offset.
func Decode(b []byte) (*Doc, error) { return decode(b, false, 0) }

// DecodeFor is Decode for printers of profile p: Chinese mode starts (and
// returns after ESC @) in the profile's power-on state, which shows what such
// a printer prints for a stream that does not set the mode itself, and a
// line wider than the paper continues on the next line as on paper.
func DecodeFor(b []byte, p Profile) (*Doc, error) { return decode(b, p.ChineseAtBoot, max(p.Dots, 0)) }

func decode(b []byte, boot bool, paper int) (*Doc, error) {
	d := &decoder{b: b, doc: &Doc{Width: paper}, boot: boot, paper: paper, gb: simplifiedchinese.GB18030.NewDecoder()}
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

// reset is the printer's state after power-on and ESC @.
func (d *decoder) reset() {
	d.st = state{style: Style{Width: 1, Height: 1}, chinese: d.boot}
	d.tabs = nil
	d.qrModule, d.qrLevel = 3, QRLevelL
	d.barW, d.barH, d.barHRI = 3, 162, 0
	d.graphics = nil
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
		parts = append(parts, "at offset", strconv.Itoa(d.i))
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
			if d.column && !d.started {
				d.column = false
			} else {
				d.endLine()
			}
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
	d.column = false
	st := d.st.style
	fd := FontADots
	if st.Font == FontB {
		fd = FontBDots
	}
	w := cols * fd * st.Width
	if d.started && d.paper > 0 && d.dots+w > d.paper {
		// The printer continues a line wider than the paper on the next
		// one, never splitting a character.
		d.endLine()
		if d.tooLong {
			return
		}
	}
	if !d.started {
		d.started = true
		d.first = d.st
	}
	if n := len(d.spans); n == 0 || d.spans[n-1].Style != st {
		if n < cap(d.spans) {
			d.spans = d.spans[:n+1]
			d.spans[n].Style, d.spans[n].Dots = st, 0
		} else {
			d.spans = append(d.spans, Span{Style: st})
		}
		d.spanAt = append(d.spanAt, d.text.Len())
	}
	d.text.WriteRune(r)
	sp := &d.spans[len(d.spans)-1]
	sp.Dots += w
	sp.cols = append(sp.cols, uint8(cols))
	d.col += cols
	d.dots += w
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
	text := d.text.String()
	var spans []Span
	if len(d.spans) > 0 {
		spans = make([]Span, len(d.spans))
		copy(spans, d.spans)
		for i := range spans {
			spans[i].cols = slices.Clone(d.spans[i].cols)
			end := len(text)
			if i+1 < len(spans) {
				end = d.spanAt[i+1]
			}
			spans[i].Text = text[d.spanAt[i]:end]
		}
	}
	d.doc.Lines = append(d.doc.Lines, Line{
		Text: text, Align: st.align, Bold: st.style.Bold, Underline: st.style.Underline > 0,
		Invert: st.style.Invert, Font: st.style.Font, Width: st.style.Width, Height: st.style.Height,
		Dots: d.dots, Spans: spans, Spacing: d.st.spacing,
	})
	d.text.Reset()
	d.clearSpans()
	d.started = false
	d.col, d.dots = 0, 0
}

// clearSpans empties the spans of the current line, keeping their memory.
func (d *decoder) clearSpans() {
	for i := range d.spans {
		d.spans[i].cols = d.spans[i].cols[:0]
	}
	d.spans, d.spanAt = d.spans[:0], d.spanAt[:0]
}

// block appends a line holding only a code or an image, ending the current
// line first.
func (d *decoder) block(l Line) {
	if d.started {
		d.endLine()
	}
	d.column = false
	l.Align, l.Width, l.Height, l.Font = d.st.align, 1, 1, d.st.style.Font
	l.Spacing = d.st.spacing
	if len(d.doc.Lines) >= MaxLines {
		d.tooLong = true
		return
	}
	d.doc.Lines = append(d.doc.Lines, l)
}

// image appends a block line for an image of w x h dots; bm is nil when its
// dots are not kept.
func (d *decoder) image(w, h int, bm *Bitmap) {
	d.block(Line{Image: strconv.Itoa(w) + "x" + strconv.Itoa(h), Dots: w, Bitmap: bm})
}

// keepBitmap reports whether an image of w x h dots may still be kept.
func (d *decoder) keepBitmap(w, h int64) bool {
	if w <= 0 || h <= 0 || int64(d.bitDots)+w*h > maxBitmapDots {
		return false
	}
	d.bitDots += int(w * h)
	return true
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
	for next > d.col && !d.tooLong {
		d.put(' ', 1)
	}
}

func (d *decoder) codePageChar(c byte) {
	cp, ok := codePageByNumber(d.st.codePage)
	if !ok {
		cp, _ = codePageByNumber(0)
	}
	name := strings.ToUpper(cp.name)
	if d.usedPage == nil {
		d.usedPage = map[string]bool{}
	}
	if !d.usedPage[name] {
		d.usedPage[name] = true
		d.doc.CodePages = append(d.doc.CodePages, name)
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
		d.clearSpans()
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
		d.st.style.Bold = a&1 == 1
	case '-':
		switch a {
		case 1, '1':
			d.st.style.Underline = 1
		case 2, '2':
			d.st.style.Underline = 2
		default:
			d.st.style.Underline = 0
		}
	case 'M':
		if a == 1 || a == '1' {
			d.st.style.Font = FontB
		} else {
			d.st.style.Font = FontA
		}
	case '2':
		d.st.spacing = 0
	case '3':
		d.st.spacing = int(a)
	case 'd':
		d.feed(int(a))
	case 'J':
		if d.started {
			d.endLine()
		}
	case 't':
		d.st.codePage = a
		if _, ok := codePageByNumber(a); !ok {
			d.note(fmt.Sprintf("0x1b 0x74 0x%02x at offset %d (code page not known: bytes >= 0x80 read as CP437)", a, d.i-3))
		}
	case '!':
		d.st.style.Font = Font(a & 1)
		d.st.style.Bold = a&0x08 != 0
		d.st.style.Height = 1 + int(a>>4&1)
		d.st.style.Width = 1 + int(a>>5&1)
		d.st.style.Underline = int(a >> 7)
	case 'i', 'm':
		d.cut()
	case 'p':
		d.doc.Drawer++
	case 'B':
		d.doc.Beeps++
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
	if len(d.doc.CutAt) < MaxLines {
		d.doc.CutAt = append(d.doc.CutAt, len(d.doc.Lines))
	}
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

// escBitImage decodes ESC * m nL nH d1 ... dk: one stripe of 8 or 24 dots
// a column, printed with the line it is on. 8-dot stripes are printed 3
// dots per dot tall; single-density stripes 2 dots per dot wide.
func (d *decoder) escBitImage() error {
	if err := d.need(5, "ESC *"); err != nil {
		return err
	}
	m, n := d.b[d.i+2], int64(d.b[d.i+3])+int64(d.b[d.i+4])<<8
	rows, per, sx, sy := 8, int64(1), 1, 3
	switch m {
	case 0:
		sx = 2
	case 1:
	case 32:
		rows, per, sx, sy = 24, 3, 2, 1
	case 33:
		rows, per, sy = 24, 3, 1
	default:
		d.unknown(3)
		return nil
	}
	k := n * per
	if err := d.need(5+k, "ESC *"); err != nil {
		return err
	}
	data := d.b[d.i+5 : d.i+5+int(k)]
	d.i += 5 + int(k)
	w, h := int(n)*sx, rows*sy
	var bm *Bitmap
	if d.keepBitmap(int64(w), int64(h)) {
		bm = NewBitmap(w, h)
		for x := range int(n) {
			for r := range rows {
				if data[x*int(per)+r/8]&(0x80>>(r%8)) == 0 {
					continue
				}
				for dx := range sx {
					for dy := range sy {
						bm.Set(x*sx+dx, r*sy+dy)
					}
				}
			}
		}
	}
	d.image(w, h, bm)
	d.column = true
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
		d.st.style.Width = 1 + int(a>>4&7)
		d.st.style.Height = 1 + int(a&7)
	case 'B':
		d.st.style.Invert = a&1 == 1
	case 'h':
		if a > 0 {
			d.barH = int(a)
		}
	case 'w':
		if a >= 1 && a <= 6 {
			d.barW = int(a)
		}
	case 'H':
		d.barHRI = int(a & 3)
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
		m += 65
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
		d.block(Line{Barcode: Printable(string(data)), BarcodeType: barcodeTypes[m],
			BarWidth: d.barW, BarHeight: d.barH, BarHRI: d.barHRI})
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
			out = append(out, '0'+c/10%10, '0'+c%10)
			continue
		}
		out = append(out, c)
	}
	return out
}

// gsParen decodes GS ( fn pL pH d1 ... dk; of the functions, k (QR code)
// and L (graphics) are known, the rest are reported as unknown.
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
		d.qrFunction(body)
	case 'L':
		if !d.graphicsFunction(body) {
			d.unknown(3)
			d.i += 2 + int(n)
			return nil
		}
	default:
		d.unknown(3)
		d.i += 2 + int(n) // the unknown function's length is still known
		return nil
	}
	d.i += 5 + int(n)
	return nil
}

// qrFunction decodes the body of GS ( k for the QR code (cn 49).
func (d *decoder) qrFunction(body []byte) {
	if len(body) < 2 || body[0] != 49 {
		return
	}
	switch body[1] {
	case 67: // module size
		if len(body) >= 3 && body[2] >= 1 && body[2] <= MaxQRModule {
			d.qrModule = int(body[2])
		}
	case 69: // error correction level
		if len(body) >= 3 && body[2] >= 48 && body[2] <= 51 {
			d.qrLevel = QRLevel("LMQH"[body[2]-48])
		}
	case 80: // store
		if len(body) >= 3 {
			d.qr = string(body[3:])
		} else {
			d.qr = ""
		}
	case 81: // print; nothing prints when nothing is stored
		if d.qr != "" {
			d.block(Line{QR: Printable(d.qr), QRModule: d.qrModule, QRLevel: d.qrLevel})
		}
	}
}

// graphicsFunction decodes the body of GS ( L or GS 8 L: m fn ...; fn 112
// stores raster graphics, fn 50 (and 2) prints them, fn 49 (and 1) asks
// for the printer's graphics capacity. It reports whether fn is known.
func (d *decoder) graphicsFunction(body []byte) bool {
	if len(body) < 2 {
		return false
	}
	switch body[1] {
	case 49, 1, 48, 0:
		return true
	case 50, 2:
		if g := d.graphics; g != nil {
			d.image(g.W, g.H, g)
		}
		return true
	case 112:
		// a bx by c xL xH yL yH d1...dk
		if len(body) < 10 {
			return false
		}
		bx, by := int(body[3]), int(body[4])
		w := int(body[6]) | int(body[7])<<8
		h := int(body[8]) | int(body[9])<<8
		stride := (w + 7) / 8
		data := body[10:]
		if bx < 1 || bx > 2 || by < 1 || by > 2 || w == 0 || h == 0 || len(data) < stride*h {
			return false
		}
		d.graphics = nil
		if d.keepBitmap(int64(w*bx), int64(h*by)) {
			d.graphics = scaleBits(data, w, h, stride, bx, by)
		}
		return true
	}
	return false
}

// scaleBits makes a bitmap of row-major bits, each dot sx x sy dots big.
func scaleBits(data []byte, w, h, stride, sx, sy int) *Bitmap {
	bm := NewBitmap(w*sx, h*sy)
	if sx == 1 && sy == 1 {
		copy(bm.Bits, data[:stride*h])
		return bm
	}
	for y := range h {
		for x := range w {
			if data[y*stride+x/8]&(0x80>>(x%8)) == 0 {
				continue
			}
			for dy := range sy {
				for dx := range sx {
					bm.Set(x*sx+dx, y*sy+dy)
				}
			}
		}
	}
	return bm
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
	data := d.b[d.i+8 : d.i+8+int(x*y)]
	d.i += 8 + int(x*y)
	sx, sy := 1, 1
	if m == 1 || m == 3 || m == 49 || m == 51 {
		sx = 2
	}
	if m == 2 || m == 3 || m == 50 || m == 51 {
		sy = 2
	}
	w, h := int(x)*8*sx, int(y)*sy
	var bm *Bitmap
	if d.keepBitmap(int64(w), int64(h)) {
		bm = scaleBits(data, int(x)*8, int(y), int(x), sx, sy)
	}
	d.image(w, h, bm)
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
	if !d.graphicsFunction(d.b[d.i+7 : d.i+7+int(n)]) {
		d.unknown(3)
		d.i += 4 + int(n)
		return nil
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
