// Package escpos encodes tickets as ESC/POS bytes for receipt printers,
// decodes such bytes back into styled lines, and draws them as a picture of
// the paper.
//
// Chinese text is sent as GB18030 inside Chinese mode (FS & ... FS .); Latin
// text is sent as ASCII, or through the profile's code page (ESC t), outside
// it. The encoder always sends the mode it wants and never relies on a
// printer's power-on default. Layout helpers (Width, Wrap, Columns) count
// columns the way the printer does: an ASCII or code page character takes
// one column and a GB-encoded character takes two.
package escpos

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Dots per column of the two built-in fonts: Font A is 12 x 24 dots and
// Font B 9 x 17 dots on 203 dpi printers and on the 180 dpi TM-T88 family
// alike.
const (
	FontADots   = 12
	FontBDots   = 9
	FontAHeight = 24
	FontBHeight = 17
)

// Image commands a profile may name.
const (
	ImageRaster   = "raster"   // GS v 0, one bit per dot, in bands
	ImageGraphics = "graphics" // GS ( L: store the graphics, then print them
	ImageColumn   = "column"   // ESC * 33: 24-dot columns, the oldest command
	ImageNone     = ""         // the printer prints no images
)

// Cut kinds a profile may name.
const (
	CutPartial = "partial" // GS V 66 n
	CutFull    = "full"    // GS V 65 n
	CutNone    = "none"    // no cutter: feed the paper past the tear bar
)

// QR code commands a profile may name.
const (
	QRNative = ""      // GS ( k: the printer draws the symbol
	QRImage  = "image" // the symbol is sent as an image, for printers without GS ( k
)

// Profile describes one family of printers: paper width in dots, columns per
// font, the Chinese font and the code page, the Chinese-mode state after
// power-on, and the image, QR code and cut commands it understands.
type Profile struct {
	Name          string
	Dots          int    // printable width in dots
	ColsA, ColsB  int    // characters per line in Font A and Font B
	Chinese       string // ChineseGBK (when empty), ChineseGB18030 or ChineseNone
	CodePage      string // code page for non-ASCII text outside Chinese mode: a name from CodePages, "" for DefaultCodePage, or CodePageNone
	ChineseAtBoot bool   // Chinese mode is on after power-on and after ESC @
	Image         string // ImageRaster, ImageGraphics, ImageColumn or ImageNone
	QR            string // QRNative or QRImage
	Cut           string // CutPartial, CutFull or CutNone
}

var builtin = []Profile{
	{Name: "58mm", Dots: 384, ColsA: 32, ColsB: 42, Chinese: ChineseGBK, CodePage: DefaultCodePage, Image: ImageRaster, Cut: CutPartial},
	{Name: "80mm", Dots: 576, ColsA: 48, ColsB: 64, Chinese: ChineseGBK, CodePage: DefaultCodePage, Image: ImageRaster, Cut: CutPartial},
	{Name: "tm-t88", Dots: 512, ColsA: 42, ColsB: 56, Chinese: ChineseGB18030, CodePage: DefaultCodePage, Image: ImageRaster, Cut: CutPartial},
}

// Profiles returns the built-in profiles: generic 58 mm and 80 mm printers
// (GBK, PC437) and the Epson TM-T88 family (GB18030, 512 dots at 180 dpi).
func Profiles() []Profile { return slices.Clone(builtin) }

// LookupProfile finds a built-in profile by name, ignoring case and
// surrounding spaces.
func LookupProfile(name string) (Profile, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, p := range builtin {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// Cols returns the characters per line of font f.
func (p Profile) Cols(f Font) int {
	if f == FontB {
		return p.ColsB
	}
	return p.ColsA
}

// Validate checks a profile, naming every bad field by its config key.
func (p Profile) Validate() error {
	var errs []error
	if p.Dots <= 0 {
		errs = append(errs, fmt.Errorf("dots: %d is not positive", p.Dots))
	} else if p.Dots > 65535 {
		errs = append(errs, fmt.Errorf("dots: %d is wider than any receipt printer (at most 65535)", p.Dots))
	}
	if p.ColsA <= 0 {
		errs = append(errs, fmt.Errorf("cols_a: %d is not positive", p.ColsA))
	} else if p.Dots > 0 && p.ColsA*FontADots > p.Dots {
		errs = append(errs, fmt.Errorf("cols_a: %d columns of %d dots exceed %d dots", p.ColsA, FontADots, p.Dots))
	}
	if p.ColsB <= 0 {
		errs = append(errs, fmt.Errorf("cols_b: %d is not positive", p.ColsB))
	} else if p.Dots > 0 && p.ColsB*FontBDots > p.Dots {
		errs = append(errs, fmt.Errorf("cols_b: %d columns of %d dots exceed %d dots", p.ColsB, FontBDots, p.Dots))
	}
	switch p.Chinese {
	case "", ChineseGBK, ChineseGB18030, ChineseNone:
	default:
		errs = append(errs, fmt.Errorf("chinese: %q is not one of %s, %s, %s", p.Chinese, ChineseGBK, ChineseGB18030, ChineseNone))
	}
	if p.CodePage != CodePageNone {
		if _, ok := lookupCodePage(p.CodePage); !ok {
			errs = append(errs, fmt.Errorf("code_page: %q is not one of %s, %s", p.CodePage, strings.Join(CodePages(), ", "), CodePageNone))
		}
	}
	switch p.Image {
	case ImageRaster, ImageGraphics, ImageColumn, ImageNone:
	default:
		errs = append(errs, fmt.Errorf("image: %q is not one of %s, %s, %s or empty", p.Image, ImageRaster, ImageGraphics, ImageColumn))
	}
	switch p.QR {
	case QRNative, QRImage:
	default:
		errs = append(errs, fmt.Errorf("qr: %q is not %q or empty", p.QR, QRImage))
	}
	switch p.Cut {
	case CutPartial, CutFull, CutNone:
	default:
		errs = append(errs, fmt.Errorf("cut: %q is not one of partial, full, none", p.Cut))
	}
	if p.QR == QRImage && p.Image == ImageNone {
		errs = append(errs, errors.New("qr: QR codes sent as images need an image command"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("printer profile %q: %w", p.Name, err)
	}
	return nil
}
