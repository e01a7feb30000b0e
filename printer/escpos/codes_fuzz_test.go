package escpos

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

// FuzzCodes prints any data as a CODE128 barcode, an EAN-13 and a QR code
// on every profile. What the encoder takes decodes back to the same data
// and level; Code128Fits and CheckEAN13 agree with the encoder; what it
// refuses is an error and no bytes.
func FuzzCodes(f *testing.F) {
	for _, s := range []string{"E20240523101215012345", "690123456789", "6901234567892", "6901234567890", "{B{{x", "12345", "https://shop.example/o/E1?x=1", "中文", ""} {
		f.Add(s, uint8(3), byte('M'))
	}
	f.Add(strings.Repeat("9", 121), uint8(16), byte('H'))
	f.Add("x", uint8(0), byte('Z'))
	f.Fuzz(func(t *testing.T, data string, module uint8, level byte) {
		if len(data) > 4000 {
			return
		}
		for _, p := range Profiles() {
			e := NewEncoder(p).Init()
			start := e.Len()
			e.Barcode128(data)
			if err := e.Err(); err != nil {
				if p.Code128Fits(data) {
					t.Fatalf("%s: Code128Fits(%q) but the encoder says %v", p.Name, data, err)
				}
				if e.Len() != start {
					t.Fatalf("%s: refused barcode wrote bytes", p.Name)
				}
			} else {
				if len(data) <= 120 && !p.Code128Fits(data) {
					t.Fatalf("%s: encoder took %q, Code128Fits says no", p.Name, data)
				}
				doc, err := Decode(e.Bytes())
				if err != nil || len(doc.Unknown) > 0 || len(doc.Lines) != 1 || doc.Lines[0].Barcode != data || doc.Lines[0].BarcodeType != "CODE128" {
					t.Fatalf("%s: CODE128 %q decodes as %+v (%v)", p.Name, data, doc.Lines, err)
				}
			}

			digits, cerr := CheckEAN13(data)
			e = NewEncoder(p).Init().BarcodeEAN13(data)
			if (cerr == nil) != (e.Err() == nil) {
				t.Fatalf("%s: CheckEAN13 %v, encoder %v", p.Name, cerr, e.Err())
			}
			if cerr == nil {
				if len(digits) != 13 || digits[:12] != data[:12] || EANCheck(digits) != digits[12] {
					t.Fatalf("CheckEAN13(%q) = %q", data, digits)
				}
				doc, err := Decode(e.Bytes())
				if err != nil || len(doc.Lines) != 1 || doc.Lines[0].Barcode != digits {
					t.Fatalf("%s: EAN-13 %q decodes as %+v (%v)", p.Name, data, doc.Lines, err)
				}
			}

			e = NewEncoder(p).Init().QRCode(data, int(module), QRLevel(level))
			if e.Err() != nil {
				continue
			}
			doc, err := Decode(e.Bytes())
			if err != nil || len(doc.Unknown) > 0 || len(doc.Lines) != 1 {
				t.Fatalf("%s: QR %q decodes as %+v (%v, %q)", p.Name, data, doc.Lines, err, doc.Unknown)
			}
			l := doc.Lines[0]
			if p.QR == QRImage {
				if l.Image == "" {
					t.Fatalf("%s: QR image decodes as %+v", p.Name, l)
				}
				continue
			}
			if l.QR != Printable(data) || l.QRModule != int(module) || l.QRLevel != QRLevel(level) {
				t.Fatalf("%s: QR %q module %d level %c decodes as %+v", p.Name, data, module, level, l)
			}
		}
	})
}

// FuzzReadPNG reads any bytes as a logo. A picture it takes is within the
// size limit and prints as an image of the width asked for, which the
// decoder reads back whole.
func FuzzReadPNG(f *testing.F) {
	for _, img := range []image.Image{image.NewGray(image.Rect(0, 0, 1, 1)), checker(40, 17), image.NewNRGBA(image.Rect(0, 0, 3, 300))} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), uint16(0))
		f.Add(buf.Bytes(), uint16(200))
	}
	f.Add([]byte("\x89PNG\r\n\x1a\n"), uint16(0))
	f.Add([]byte("GIF89a"), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, width uint16) {
		img, err := ReadPNG(data)
		if err != nil {
			if img != nil || err.Error() == "" {
				t.Fatalf("ReadPNG: %v with a picture", err)
			}
			return
		}
		b := img.Bounds()
		if b.Dx() > MaxPictureSide || b.Dy() > MaxPictureSide {
			t.Fatalf("took a %dx%d picture", b.Dx(), b.Dy())
		}
		if b.Dx()*b.Dy() > 1<<20 {
			return // large pictures print too slowly to fuzz
		}
		p := Profiles()[0]
		e := NewEncoder(p).Init().ImageWidth(img, int(width))
		if e.Err() != nil {
			return
		}
		doc, err := Decode(e.Bytes())
		if err != nil || len(doc.Unknown) > 0 {
			t.Fatalf("printed logo does not decode: %v %q", err, doc.Unknown)
		}
		for _, l := range doc.Lines {
			if l.Image == "" {
				t.Fatalf("logo decodes with a line %+v", l)
			}
		}
	})
}

func checker(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if (x+y)%2 == 0 {
				img.Set(x, y, color.NRGBA{A: 255})
			} else {
				img.Set(x, y, color.NRGBA{R: 255, G: 255, B: 255, A: uint8(x * 6)})
			}
		}
	}
	return img
}
