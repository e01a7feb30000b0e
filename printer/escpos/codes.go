package escpos

import (
	"fmt"

	"rsc.io/qr"
)

// QRLevel is a QR code error correction level: 'L', 'M', 'Q' or 'H'.
type QRLevel byte

// Error correction levels, from the least to the most tolerant of damage.
const (
	QRLevelL QRLevel = 'L' // about 7% of the symbol may be damaged
	QRLevelM QRLevel = 'M' // about 15%
	QRLevelQ QRLevel = 'Q' // about 25%
	QRLevelH QRLevel = 'H' // about 30%
)

// qrCapacity is the bytes a version 40 symbol holds at each level.
func (l QRLevel) capacity() int {
	switch l {
	case QRLevelL:
		return 2953
	case QRLevelM:
		return MaxQRData
	case QRLevelQ:
		return 1663
	case QRLevelH:
		return 1273
	}
	return 0
}

// gsArg is the GS ( k function 169 argument of the level.
func (l QRLevel) gsArg() byte {
	switch l {
	case QRLevelL:
		return 48
	case QRLevelQ:
		return 50
	case QRLevelH:
		return 51
	}
	return 49
}

func (l QRLevel) qr() qr.Level {
	switch l {
	case QRLevelL:
		return qr.L
	case QRLevelQ:
		return qr.Q
	case QRLevelH:
		return qr.H
	}
	return qr.M
}

// QR prints data as a QR code at error correction level M; see QRCode.
func (e *Encoder) QR(data string, module int) *Encoder { return e.QRCode(data, module, QRLevelM) }

// QRCode prints data as a QR code on its own line at the current alignment:
// model 2, module size 1 to 16 dots. A profile with QRNative sends GS ( k
// (model, module size, level, store, print); a profile with QRImage sends
// the symbol as an image.
func (e *Encoder) QRCode(data string, module int, level QRLevel) *Encoder {
	switch {
	case data == "":
		return e.fail("qr code: data is empty")
	case level.capacity() == 0:
		return e.fail("qr code: error correction level %q is not L, M, Q or H", rune(level))
	case len(data) > level.capacity():
		return e.fail("qr code: data of %d bytes is longer than %d (level %c)", len(data), level.capacity(), level)
	case module < 1 || module > MaxQRModule:
		return e.fail("qr code: module size %d is not within 1-%d", module, MaxQRModule)
	}
	if e.p.QR == QRImage {
		bm, err := QRBitmap(data, module, level)
		if err != nil {
			return e.fail("qr code: %w", err)
		}
		if bm.W > e.p.Dots {
			return e.fail("qr code: %d dots wide at module size %d, wider than the paper's %d", bm.W, module, e.p.Dots)
		}
		return e.Bitmap(bm)
	}
	e.endLine()
	e.raw(GS, '(', 'k', 4, 0, 49, 65, 50, 0) // fn 165: model 2
	e.raw(GS, '(', 'k', 3, 0, 49, 67, byte(module))
	e.raw(GS, '(', 'k', 3, 0, 49, 69, level.gsArg())
	n := len(data) + 3
	e.raw(GS, '(', 'k', byte(n), byte(n>>8), 49, 80, 48)
	e.buf = append(e.buf, data...)
	return e.raw(GS, '(', 'k', 3, 0, 49, 81, 48) // fn 181: print
}

// QRBitmap draws data as a QR code symbol, module dots per module, with a
// quiet zone of two modules.
func QRBitmap(data string, module int, level QRLevel) (*Bitmap, error) {
	code, err := qr.Encode(data, level.qr())
	if err != nil {
		return nil, err
	}
	const quiet = 2
	side := (code.Size + 2*quiet) * module
	bm := NewBitmap(side, side)
	for y := range code.Size {
		for x := range code.Size {
			if !code.Black(x, y) {
				continue
			}
			for dy := range module {
				for dx := range module {
					bm.Set((x+quiet)*module+dx, (y+quiet)*module+dy)
				}
			}
		}
	}
	return bm, nil
}

// barcodeFit picks the widest module, 3 or 2 dots, at which modules fit the
// paper; 0 when none does.
func (e *Encoder) barcodeFit(modules int) int {
	for _, w := range [...]int{3, 2} {
		if w*modules <= e.p.Dots {
			return w
		}
	}
	return 0
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
	payload, symbols := code128(e.scratch[:0], data)
	e.scratch = payload
	if len(payload) > 255 {
		return e.fail("barcode: %q needs %d bytes, more than 255", data, len(payload))
	}
	w := e.barcodeFit(Code128Modules(symbols))
	if w == 0 {
		return e.fail("barcode: %q needs %d dots, wider than the paper's %d", data, 2*Code128Modules(symbols), e.p.Dots)
	}
	e.endLine()
	e.raw(GS, 'h', BarcodeHeight, GS, 'w', byte(w), GS, 'H', 2)
	e.raw(GS, 'k', 73, byte(len(payload)))
	e.buf = append(e.buf, payload...)
	return e
}

// Code128Fits reports whether data prints as a CODE128 barcode (see
// Barcode128) on paper of this profile.
func (p Profile) Code128Fits(data string) bool {
	if data == "" || len(data) > 120 {
		return false
	}
	for i := 0; i < len(data); i++ {
		if !isASCII(rune(data[i])) {
			return false
		}
	}
	var buf [256]byte
	payload, symbols := code128(buf[:0], data)
	return len(payload) <= 255 && 2*Code128Modules(symbols) <= p.Dots
}

// Code128Modules is the width in modules of a CODE128 symbol of symbols
// symbols (start code included): check symbol, stop and two quiet zones
// of 10 modules added.
func Code128Modules(symbols int) int { return 11*symbols + 11 + 13 + 20 }

func isASCII(r rune) bool { return r >= 0x20 && r <= 0x7e }

// code128 appends to out printable ASCII encoded as GS k 73 data: "{B" text
// with "{" doubled, switching to "{C" and one byte per digit pair for runs of
// four or more digits. It returns the data and its symbol count, start code
// included.
func code128(out []byte, data string) ([]byte, int) {
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

// EANCheck returns the check digit of the first 12 digits of an EAN-13.
func EANCheck(digits string) byte {
	sum := 0
	for i := range 12 {
		d := int(digits[i] - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// ean13Modules: 95 modules of bars and two quiet zones of 9 modules.
const ean13Modules = 95 + 18

// CheckEAN13 validates EAN-13 data: 12 digits, or 13 with the right check
// digit. It returns the 13 digits.
func CheckEAN13(data string) (string, error) {
	if len(data) != 12 && len(data) != 13 {
		return "", fmt.Errorf("EAN-13 %q has %d characters, not 12 or 13 digits", data, len(data))
	}
	for i := 0; i < len(data); i++ {
		if data[i] < '0' || data[i] > '9' {
			return "", fmt.Errorf("EAN-13 %q: character %d is not a digit", data, i+1)
		}
	}
	c := EANCheck(data)
	if len(data) == 13 && data[12] != c {
		return "", fmt.Errorf("EAN-13 %q: check digit is %c, not %c", data, c, data[12])
	}
	return data[:12] + string(c), nil
}

// BarcodeEAN13 prints an EAN-13 barcode (12 digits, or 13 with the right
// check digit) on its own line with its digits below (GS k 67).
func (e *Encoder) BarcodeEAN13(data string) *Encoder {
	digits, err := CheckEAN13(data)
	if err != nil {
		return e.fail("barcode: %w", err)
	}
	w := e.barcodeFit(ean13Modules)
	if w == 0 {
		return e.fail("barcode: EAN-13 needs %d dots, wider than the paper's %d", 2*ean13Modules, e.p.Dots)
	}
	e.endLine()
	e.raw(GS, 'h', BarcodeHeight, GS, 'w', byte(w), GS, 'H', 2)
	e.raw(GS, 'k', 67, 13)
	e.buf = append(e.buf, digits...)
	return e
}
