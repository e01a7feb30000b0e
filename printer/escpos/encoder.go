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
// An Encoder is not safe for concurrent use.
type Encoder struct {
	p           Profile
	buf         []byte
	mode        chineseMode
	lineStarted bool // text has been appended since the last line end
	gb          *gbEncoder
	errs        []error
}

// NewEncoder returns an empty encoder for printers of profile p.
func NewEncoder(p Profile) *Encoder {
	return &Encoder{p: p, buf: make([]byte, 0, 1024), gb: newGBEncoder()}
}

// Profile returns the profile the encoder was made for.
func (e *Encoder) Profile() Profile { return e.p }

// Bytes returns the stream built so far. The slice is the encoder's own
// buffer: it is valid until the next call that appends.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len is the length of the stream built so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Err returns every argument error recorded so far, or nil.
func (e *Encoder) Err() error { return errors.Join(e.errs...) }

func (e *Encoder) fail(format string, a ...any) *Encoder {
	e.errs = append(e.errs, fmt.Errorf(format, a...))
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
		e.buf = append(e.buf, LF)
		e.lineStarted = false
	}
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
	e.lineStarted = false
	return e
}

// Align sets the alignment of the lines that follow (ESC a n).
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
	return e.raw(GS, '!', byte((w-1)<<4|(h-1)))
}

// Font selects Font A or Font B (ESC M n).
func (e *Encoder) Font(f Font) *Encoder {
	if f != FontA && f != FontB {
		return e.fail("font %d is not font A (0) or font B (1)", int(f))
	}
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

// Text appends s. Runs of printable ASCII are sent outside Chinese mode; runs
// of other characters are sent as GB18030 inside FS & ... FS ., switching
// only when the mode changes. A character the printer cannot print (see
// Replacement) is sent as "?".
func (e *Encoder) Text(s string) *Encoder {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				c = Replacement
			}
			e.setChinese(false)
			e.buf = append(e.buf, c)
			e.lineStarted = true
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if isGB(r) {
			mode, n := e.mode, len(e.buf)
			e.setChinese(true)
			if buf, ok := e.gb.appendRune(e.buf, r); ok {
				e.buf = buf
				e.lineStarted = true
				continue
			}
			e.buf, e.mode = e.buf[:n], mode
		}
		e.setChinese(false)
		e.buf = append(e.buf, Replacement)
		e.lineStarted = true
	}
	return e
}

// Line appends s and a line feed.
func (e *Encoder) Line(s string) *Encoder {
	e.Text(s)
	e.buf = append(e.buf, LF)
	e.lineStarted = false
	return e
}

// Feed prints the current line and feeds n lines, 0 to 255 (ESC d n).
func (e *Encoder) Feed(n int) *Encoder {
	if n < 0 || n > 255 {
		return e.fail("feed %d lines is not within 0-255", n)
	}
	e.lineStarted = false
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
	e.lineStarted = false
	if partial {
		return e.raw(GS, 'V', 66, cutFeed)
	}
	return e.raw(GS, 'V', 65, cutFeed)
}

// QR prints data as a QR code on its own line (GS ( k): model 2, module size
// 1 to 16 dots, error correction level M, store then print.
func (e *Encoder) QR(data string, size int) *Encoder {
	switch {
	case data == "":
		return e.fail("qr code: data is empty")
	case len(data) > MaxQRData:
		return e.fail("qr code: data of %d bytes is longer than %d", len(data), MaxQRData)
	case size < 1 || size > MaxQRModule:
		return e.fail("qr code: module size %d is not within 1-%d", size, MaxQRModule)
	}
	e.endLine()
	e.raw(GS, '(', 'k', 4, 0, 49, 65, 50, 0) // fn 165: model 2
	e.raw(GS, '(', 'k', 3, 0, 49, 67, byte(size))
	e.raw(GS, '(', 'k', 3, 0, 49, 69, 49) // fn 169: level M
	n := len(data) + 3
	e.raw(GS, '(', 'k', byte(n), byte(n>>8), 49, 80, 48)
	e.buf = append(e.buf, data...)
	return e.raw(GS, '(', 'k', 3, 0, 49, 81, 48) // fn 181: print
}

// Barcode128 prints data as a CODE128 barcode on its own line, with its
// human-readable text below (GS h, GS w, GS H, GS k 73). Runs of four or
// more digits are packed two per symbol (code set C), the rest uses code set
// B, so data must be printable ASCII. The module width is 3 dots when the
// bars fit the paper at that width, else 2; wider data is an error.
func (e *Encoder) Barcode128(data string) *Encoder {
	if data == "" {
		return e.fail("barcode: data is empty")
	}
	for i := 0; i < len(data); i++ {
		if !isASCII(rune(data[i])) {
			return e.fail("barcode: byte %#x at position %d of %q is not printable ASCII", data[i], i, data)
		}
	}
	payload, symbols := code128(data)
	if len(payload) > 255 {
		return e.fail("barcode: %q needs %d bytes, more than 255", data, len(payload))
	}
	// symbols (start code included) + check + stop + two 10-module quiet zones
	modules := 11*symbols + 11 + 13 + 20
	w := 0
	for _, mw := range []int{3, 2} {
		if mw*modules <= e.p.Dots {
			w = mw
			break
		}
	}
	if w == 0 {
		return e.fail("barcode: %q needs %d dots, wider than the paper's %d", data, 2*modules, e.p.Dots)
	}
	e.endLine()
	e.raw(GS, 'h', BarcodeHeight, GS, 'w', byte(w), GS, 'H', 2)
	e.raw(GS, 'k', 73, byte(len(payload)))
	e.buf = append(e.buf, payload...)
	return e
}

// code128 encodes printable ASCII as GS k 73 data: "{B" text with "{"
// doubled, switching to "{C" and one byte per digit pair for runs of four or
// more digits. It returns the data and its symbol count, start code included.
func code128(data string) ([]byte, int) {
	out := make([]byte, 0, len(data)+6)
	symbols := 0
	set := byte(0)
	use := func(s byte) {
		if set != s {
			out = append(out, '{', s)
			symbols++
			set = s
		}
	}
	for i := 0; i < len(data); {
		run := 0
		for i+run < len(data) && data[i+run] >= '0' && data[i+run] <= '9' {
			run++
		}
		if run >= 4 {
			if run%2 == 1 {
				use('B')
				out = append(out, data[i])
				symbols++
				i++
				run--
			}
			use('C')
			for ; run > 0; run -= 2 {
				out = append(out, (data[i]-'0')*10+data[i+1]-'0')
				symbols++
				i += 2
			}
			continue
		}
		use('B')
		out = append(out, data[i])
		if data[i] == '{' {
			out = append(out, '{')
		}
		symbols++
		i++
	}
	return out, symbols
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
