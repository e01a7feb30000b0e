// Package escpos encodes tickets as ESC/POS bytes for receipt printers and
// decodes such bytes back into text lines.
//
// Chinese text is sent as GB18030 inside Chinese mode (FS & ... FS .); Latin
// text is sent as ASCII outside it. The encoder always sends the mode it wants
// and never relies on a printer's power-on default. Layout helpers (Width,
// Wrap, Columns) count columns the way the printer does: an ASCII character
// takes one column and a GB-encoded character takes two.
package escpos

import (
	"errors"
	"fmt"
	"strings"
)

// Dots per column of the two built-in fonts: Font A is 12 dots wide and
// Font B 9 dots on 203 dpi printers and on the 180 dpi TM-T88 family alike.
const (
	FontADots = 12
	FontBDots = 9
)

// Image kinds a profile may name.
const (
	ImageRaster = "raster" // GS v 0, one bit per dot
	ImageNone   = ""       // the printer prints no images
)

// Cut kinds a profile may name.
const (
	CutPartial = "partial" // GS V 66 n
	CutFull    = "full"    // GS V 65 n
	CutNone    = "none"    // no cutter: feed the paper past the tear bar
)

// Profile describes one family of printers: paper width in dots, columns per
// font, the Chinese-mode state after power-on, the image command and the cutter.
type Profile struct {
	Name          string
	Dots          int    // printable width in dots
	ColsA, ColsB  int    // characters per line in Font A and Font B
	ChineseAtBoot bool   // Chinese mode is on after power-on and after ESC @
	Image         string // ImageRaster or ImageNone
	Cut           string // CutPartial, CutFull or CutNone
}

var builtin = []Profile{
	{Name: "58mm", Dots: 384, ColsA: 32, ColsB: 42, Image: ImageRaster, Cut: CutPartial},
	{Name: "80mm", Dots: 576, ColsA: 48, ColsB: 64, Image: ImageRaster, Cut: CutPartial},
	{Name: "tm-t88", Dots: 512, ColsA: 42, ColsB: 56, Image: ImageRaster, Cut: CutPartial},
}

// Profiles returns the built-in profiles.
func Profiles() []Profile {
	out := make([]Profile, len(builtin))
	copy(out, builtin)
	return out
}

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

// Validate checks a profile, naming every bad field.
func (p Profile) Validate() error {
	var errs []error
	if p.Dots <= 0 {
		errs = append(errs, fmt.Errorf("dots: %d is not positive", p.Dots))
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
	switch p.Image {
	case ImageRaster, ImageNone:
	default:
		errs = append(errs, fmt.Errorf("image: %q is not %q or empty", p.Image, ImageRaster))
	}
	switch p.Cut {
	case CutPartial, CutFull, CutNone:
	default:
		errs = append(errs, fmt.Errorf("cut: %q is not one of partial, full, none", p.Cut))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("printer profile %q: %w", p.Name, err)
	}
	return nil
}
