package escpos

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Command bytes.
const (
	LF  = 0x0a
	ESC = 0x1b
	GS  = 0x1d
	FS  = 0x1c
	DLE = 0x10
	EOT = 0x04
)

// Align is a horizontal alignment.
type Align int

// Alignments, numbered as ESC a numbers them.
const (
	Left Align = iota
	Center
	Right
)

func (a Align) String() string {
	switch a {
	case Left:
		return "left"
	case Center:
		return "center"
	case Right:
		return "right"
	}
	return fmt.Sprintf("align(%d)", int(a))
}

// Font is one of the printer's resident fonts.
type Font int

// Fonts, numbered as ESC M numbers them.
const (
	FontA Font = iota // 12 x 24 dots
	FontB             // 9 x 17 dots
)

// Limits of the commands' arguments.
const (
	MaxSize       = 8    // GS ! width and height multiplier
	MaxQRModule   = 16   // GS ( k module size in dots
	MaxQRData     = 2331 // bytes a version 40 QR symbol holds at error level M
	BarcodeHeight = 80   // GS h: 10 mm at 203 dpi
	cutFeed       = 3    // GS V 65/66 n: extra feed in motion units before the cut
	tearFeed      = 4    // lines fed instead of a cut when the printer has no cutter
)

type chineseMode int8

const (
	modeUnknown chineseMode = iota
	modeOff
	modeOn
)

// Encoder builds one ESC/POS byte stream. Methods append commands and return
// the Encoder so calls chain. A method given an argument out of range appends
// nothing and records an error that Err returns; the rest of the stream is
// still built, so one bad value never shifts the bytes of the next command.
//
// The encoder keeps track of where the current line ends: a character that
// would not fit on the paper starts a new line first, so the printer never
// splits a double-byte character across lines.
//
// An Encoder is not safe for concurrent use.
type Encoder struct {
	p           Profile
	cs          charset
	buf         []byte
	mode        chineseMode
	page        int // ESC t number in force, -1 when unknown
	lineStarted bool
	dots        int // width of the current line so far
	font        Font
	w, h        int
	errs        []error
	row         rowLayout
	ranges      []Range
	scratch     []byte
}

// NewEncoder returns an empty encoder for printers of profile p.
func NewEncoder(p Profile) *Encoder {
	e := &Encoder{p: p, cs: p.charset(), buf: make([]byte, 0, 2048)}
	e.Reset()
	return e
}

// ResetProfile empties the encoder for a new stream to printers of profile
// p, keeping its buffers.
func (e *Encoder) ResetProfile(p Profile) {
	e.p, e.cs = p, p.charset()
	e.Reset()
}

// Reset empties the encoder for a new stream, keeping its buffer. The
// printer's state is unknown again, as for a new encoder.
func (e *Encoder) Reset() {
	e.buf = e.buf[:0]
	e.mode = modeUnknown
	e.page = -1
	e.lineStarted = false
	e.dots = 0
	e.font = FontA
	e.w, e.h = 1, 1
	e.errs = e.errs[:0]
}

// Profile returns the profile the encoder was made for.
func (e *Encoder) Profile() Profile { return e.p }

// Bytes returns the stream built so far. The slice is the encoder's own
// buffer: it is valid until the next call that appends or resets.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len is the length of the stream built so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Err returns every argument error recorded so far, or nil.
func (e *Encoder) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return errors.Join(e.errs...)
}

func (e *Encoder) fail(format string, a ...any) *Encoder {
	e.errs = append(e.errs, fmt.Errorf(format, a...))
	return e
}

// Raw appends bytes as they are, for commands the encoder has no method for.
// The encoder's idea of the printer's state is not changed.
func (e *Encoder) Raw(b ...byte) *Encoder {
	e.buf = append(e.buf, b...)
	return e
}

func (e *Encoder) raw(b ...byte) *Encoder {
	e.buf = append(e.buf, b...)
	return e
}

// endLine ends a started line so that a block command (code, image) starts
// on a fresh line.
func (e *Encoder) endLine() {
	if e.lineStarted {
		e.newline()
	}
}

func (e *Encoder) newline() {
	e.buf = append(e.buf, LF)
	e.lineStarted = false
	e.dots = 0
}

func (e *Encoder) setChinese(on bool) {
	switch {
	case on && e.mode != modeOn:
		e.buf = append(e.buf, FS, '&')
		e.mode = modeOn
	case !on && e.mode != modeOff:
		e.buf = append(e.buf, FS, '.')
		e.mode = modeOff
	}
}

// Init resets the printer (ESC @) and then turns Chinese mode off explicitly
// (FS .), whatever the printer's power-on default is.
func (e *Encoder) Init() *Encoder {
	e.raw(ESC, '@', FS, '.')
	e.mode = modeOff
	e.page = -1
	e.lineStarted = false
	e.dots = 0
	e.font = FontA
	e.w, e.h = 1, 1
	return e
}

// Align sets the alignment of the lines that follow (ESC a n). Printers
// apply it from the start of the next line.
func (e *Encoder) Align(a Align) *Encoder {
	if a < Left || a > Right {
		return e.fail("align %d is not left, center or right", int(a))
	}
	return e.raw(ESC, 'a', byte(a))
}

func bit(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// Bold turns emphasized printing on or off (ESC E n).
func (e *Encoder) Bold(on bool) *Encoder { return e.raw(ESC, 'E', bit(on)) }

// Underline sets the underline: 0 off, 1 thin, 2 thick (ESC - n).
func (e *Encoder) Underline(n int) *Encoder {
	if n < 0 || n > 2 {
		return e.fail("underline %d is not 0, 1 or 2", n)
	}
	return e.raw(ESC, '-', byte(n))
}

// Size sets the character width and height multipliers, 1 to 8 each (GS ! n).
func (e *Encoder) Size(w, h int) *Encoder {
	if w < 1 || w > MaxSize || h < 1 || h > MaxSize {
		return e.fail("size %dx%d is not within 1x1 to %dx%d", w, h, MaxSize, MaxSize)
	}
	e.w, e.h = w, h
	return e.raw(GS, '!', byte((w-1)<<4|(h-1)))
}

// Font selects Font A or Font B (ESC M n).
func (e *Encoder) Font(f Font) *Encoder {
	if f != FontA && f != FontB {
		return e.fail("font %d is not font A (0) or font B (1)", int(f))
	}
	e.font = f
	return e.raw(ESC, 'M', byte(f))
}

// Invert turns white-on-black printing on or off (GS B n).
func (e *Encoder) Invert(on bool) *Encoder { return e.raw(GS, 'B', bit(on)) }

// LineSpacing sets the line spacing to n motion units, 0 to 255 (ESC 3 n).
func (e *Encoder) LineSpacing(n int) *Encoder {
	if n < 0 || n > 255 {
		return e.fail("line spacing %d is not within 0-255", n)
	}
	return e.raw(ESC, '3', byte(n))
}

// DefaultLineSpacing restores the default line spacing (ESC 2).
func (e *Encoder) DefaultLineSpacing() *Encoder { return e.raw(ESC, '2') }

// Cols is the number of characters a line holds at the current font and
// character width.
func (e *Encoder) Cols() int { return max(e.p.Cols(e.font)/e.w, 1) }

// Width is the number of columns s takes on this encoder's printers.
func (e *Encoder) Width(s string) int { return e.cs.width(s) }

// advance is the width of one column in dots at the current font and size.
func (e *Encoder) advance() int {
	if e.font == FontB {
		return FontBDots * e.w
	}
	return FontADots * e.w
}

// room starts a new line when a character w dots wide would not fit on the
// current one.
func (e *Encoder) room(w int) {
	if e.lineStarted && e.dots+w > e.p.Dots && e.p.Dots > 0 {
		e.newline()
	}
	e.lineStarted = true
	e.dots += w
}

// Text appends s. Printable ASCII is sent outside Chinese mode; characters
// of the profile's Chinese font are sent as GB18030 inside FS & ... FS .;
// other characters of the profile's code page are sent outside Chinese mode
// after ESC t. The mode and the code page are switched only when they change.
// A character the printer cannot print is sent as Replacement.
func (e *Encoder) Text(s string) *Encoder {
	adv := e.advance()
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				c = Replacement
			}
			e.room(adv)
			if e.mode != modeOff {
				e.setChinese(false)
			}
			e.buf = append(e.buf, c)
			i++
			continue
		}
		var r rune
		var size int
		if c >= 0xe0 && c < 0xf0 && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 &&
			(c != 0xe0 || s[i+1] >= 0xa0) && (c != 0xed || s[i+1] < 0xa0) {
			// A three-byte sequence, not overlong and not a surrogate.
			r, size = rune(c&0x0f)<<12|rune(s[i+1]&0x3f)<<6|rune(s[i+2]&0x3f), 3
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		class, code := e.cs.classify(r)
		switch class {
		case classGB:
			e.room(2 * adv)
			if e.mode != modeOn {
				e.setChinese(true)
			}
			if code > 0xffff {
				e.buf = append(e.buf, byte(code>>24), byte(code>>16), byte(code>>8), byte(code))
			} else {
				e.buf = append(e.buf, byte(code>>8), byte(code))
			}
		case classPage:
			e.room(adv)
			e.setChinese(false)
			if e.page != int(e.cs.page.n) {
				e.buf = append(e.buf, ESC, 't', e.cs.page.n)
				e.page = int(e.cs.page.n)
			}
			e.buf = append(e.buf, byte(code))
		default:
			e.room(adv)
			e.setChinese(false)
			e.buf = append(e.buf, Replacement)
		}
	}
	return e
}

// Line appends s and a line feed.
func (e *Encoder) Line(s string) *Encoder {
	e.Text(s)
	e.newline()
	return e
}

// Spaces appends n spaces.
func (e *Encoder) Spaces(n int) *Encoder {
	if n <= 0 {
		return e
	}
	if adv := e.advance(); e.dots+n*adv <= e.p.Dots {
		if e.mode != modeOff {
			e.setChinese(false)
		}
		for range n {
			e.buf = append(e.buf, ' ')
		}
		e.lineStarted = true
		e.dots += n * adv
		return e
	}
	const blank = "                                                                "
	for n > 0 {
		k := min(n, len(blank))
		e.Text(blank[:k])
		n -= k
	}
	return e
}

// Rule prints a line of c (printable ASCII) across the paper at the current
// font and width.
func (e *Encoder) Rule(c byte) *Encoder {
	if c < 0x20 || c > 0x7e {
		return e.fail("rule character %#x is not printable ASCII", c)
	}
	e.endLine()
	if e.mode != modeOff {
		e.setChinese(false)
	}
	n := e.Cols()
	for range n {
		e.buf = append(e.buf, c)
	}
	e.lineStarted, e.dots = true, n*e.advance()
	e.newline()
	return e
}

// Paragraph prints s wrapped to the paper at the current font and width (see
// Wrap), one Line per wrapped line.
func (e *Encoder) Paragraph(s string) *Encoder {
	e.ranges = e.cs.appendWrap(e.ranges[:0], s, e.Cols())
	for _, r := range e.ranges {
		e.Line(s[r.Start:r.End])
	}
	return e
}

// Row prints one table row at the current font and width, laid out as
// Columns lays it out: each cell wrapped inside its own column, columns
// separated by one space. A row has at most as many cells as specs.
func (e *Encoder) Row(specs []Col, cells ...string) *Encoder {
	if len(specs) == 0 {
		return e.fail("row: no columns")
	}
	if len(cells) > len(specs) {
		return e.fail("row: %d cells for %d columns", len(cells), len(specs))
	}
	if len(specs) > maxRowCols {
		return e.fail("row: %d columns, more than %d", len(specs), maxRowCols)
	}
	e.endLine()
	cols := e.Cols()
	e.row.layout(&e.cs, cols, specs, cells)
	var segs rowSegs
	for r := range e.row.rows {
		for _, s := range segs[:e.row.line(&e.cs, cols, r, specs, cells, &segs)] {
			if s.cell >= 0 {
				e.Text(s.text(cells))
			} else {
				e.Spaces(s.n)
			}
		}
		e.newline()
	}
	return e
}

// Feed prints the current line and feeds n lines, 0 to 255 (ESC d n).
func (e *Encoder) Feed(n int) *Encoder {
	if n < 0 || n > 255 {
		return e.fail("feed %d lines is not within 0-255", n)
	}
	e.lineStarted, e.dots = false, 0
	return e.raw(ESC, 'd', byte(n))
}

// Cut feeds the paper to the cutter and cuts it (GS V 66 n for a partial
// cut, GS V 65 n for a full cut). The profile decides what the printer can
// do: a profile with a full cutter always cuts fully, and a profile without a
// cutter only feeds the paper past the tear bar.
func (e *Encoder) Cut(partial bool) *Encoder {
	switch e.p.Cut {
	case CutNone:
		return e.Feed(tearFeed)
	case CutFull:
		partial = false
	}
	e.lineStarted, e.dots = false, 0
	if partial {
		return e.raw(GS, 'V', 66, cutFeed)
	}
	return e.raw(GS, 'V', 65, cutFeed)
}

// Pulse opens the cash drawer on connector pin 2 or 5 (ESC p m t1 t2) with
// a 100 ms pulse.
func (e *Encoder) Pulse(pin int) *Encoder {
	var m byte
	switch pin {
	case 2:
		m = 0
	case 5:
		m = 1
	default:
		return e.fail("drawer pin %d is not 2 or 5", pin)
	}
	return e.raw(ESC, 'p', m, 50, 250)
}

// Beep sounds the buzzer times times (1-9), each dur x 50 ms long (1-9)
// (ESC B n t, found on most Chinese models).
func (e *Encoder) Beep(times, dur int) *Encoder {
	if times < 1 || times > 9 {
		return e.fail("beep count %d is not within 1-9", times)
	}
	if dur < 1 || dur > 9 {
		return e.fail("beep duration %d is not within 1-9", dur)
	}
	return e.raw(ESC, 'B', byte(times), byte(dur))
}
