package escpos

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// imageBand is the most rows one image command carries: printers with a
// small buffer print tall images in bands.
const imageBand = 256

// MaxImageHeight bounds the height of an image the encoder prints, in dots
// (about 1.2 m of paper at 203 dpi).
const MaxImageHeight = 10000

// Bitmap is a 1-bit picture: row-major, Stride bytes a row, the most
// significant bit leftmost, 1 for a black dot.
type Bitmap struct {
	W, H   int
	Stride int
	Bits   []byte
}

// NewBitmap returns a white bitmap of w x h dots.
func NewBitmap(w, h int) *Bitmap {
	stride := (w + 7) / 8
	return &Bitmap{W: w, H: h, Stride: stride, Bits: make([]byte, stride*h)}
}

// Black reports whether the dot at x, y is black; dots outside are white.
func (b *Bitmap) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return false
	}
	return b.Bits[y*b.Stride+x/8]&(0x80>>(x%8)) != 0
}

// Set makes the dot at x, y black.
func (b *Bitmap) Set(x, y int) {
	if x >= 0 && y >= 0 && x < b.W && y < b.H {
		b.Bits[y*b.Stride+x/8] |= 0x80 >> (x % 8)
	}
}

// Image prints img as a 1-bit image on its own lines, at the current
// alignment, with the profile's image command. Transparent pixels are
// white; grays are dithered (Floyd-Steinberg). An image wider than the
// paper is scaled down to the paper's width.
func (e *Encoder) Image(img image.Image) *Encoder { return e.ImageWidth(img, 0) }

// ImageWidth is Image scaled to width dots (0: the image's own width), at
// most the paper's width, keeping the aspect ratio.
func (e *Encoder) ImageWidth(img image.Image, width int) *Encoder {
	if e.p.Image == ImageNone {
		return e.fail("image: printer profile %q prints no images", e.p.Name)
	}
	if img == nil || img.Bounds().Empty() {
		return e.fail("image: image is empty")
	}
	if width < 0 {
		return e.fail("image: width %d is negative", width)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if width == 0 {
		width = w
	}
	width = min(width, e.p.Dots)
	if width != w {
		h = max(int(int64(h)*int64(width)/int64(w)), 1)
		w = width
	}
	if h > MaxImageHeight {
		return e.fail("image: %d dots tall after scaling, taller than %d", h, MaxImageHeight)
	}
	return e.Bitmap(Dither(img, w, h))
}

// Bitmap prints bm on its own lines with the profile's image command.
func (e *Encoder) Bitmap(bm *Bitmap) *Encoder {
	if e.p.Image == ImageNone {
		return e.fail("image: printer profile %q prints no images", e.p.Name)
	}
	if bm == nil || bm.W <= 0 || bm.H <= 0 {
		return e.fail("image: image is empty")
	}
	if bm.W > e.p.Dots {
		return e.fail("image: %d dots wide, wider than the paper's %d", bm.W, e.p.Dots)
	}
	e.endLine()
	switch e.p.Image {
	case ImageGraphics:
		e.graphics(bm)
	case ImageColumn:
		e.columns(bm)
	default:
		e.raster(bm)
	}
	return e
}

// raster sends GS v 0 m xL xH yL yH d1...dk in bands.
func (e *Encoder) raster(bm *Bitmap) {
	for y0 := 0; y0 < bm.H; y0 += imageBand {
		n := min(imageBand, bm.H-y0)
		e.raw(GS, 'v', '0', 0, byte(bm.Stride), byte(bm.Stride>>8), byte(n), byte(n>>8))
		e.buf = append(e.buf, bm.Bits[y0*bm.Stride:(y0+n)*bm.Stride]...)
	}
}

// graphics stores each band with GS ( L fn 112 and prints it with fn 50.
func (e *Encoder) graphics(bm *Bitmap) {
	for y0 := 0; y0 < bm.H; y0 += imageBand {
		n := min(imageBand, bm.H-y0)
		p := 10 + bm.Stride*n
		e.raw(GS, '(', 'L', byte(p), byte(p>>8), 48, 112, 48, 1, 1, 49,
			byte(bm.W), byte(bm.W>>8), byte(n), byte(n>>8))
		e.buf = append(e.buf, bm.Bits[y0*bm.Stride:(y0+n)*bm.Stride]...)
		e.raw(GS, '(', 'L', 2, 0, 48, 50)
	}
}

// columns sends ESC * 33 (24-dot double density) stripes, one line each,
// with the line spacing set to 24 dots so that they touch, then restores
// the default spacing.
func (e *Encoder) columns(bm *Bitmap) {
	e.raw(ESC, '3', 24)
	for y0 := 0; y0 < bm.H; y0 += 24 {
		e.raw(ESC, '*', 33, byte(bm.W), byte(bm.W>>8))
		for x := range bm.W {
			for k := range 3 {
				var v byte
				for bit := range 8 {
					if bm.Black(x, y0+k*8+bit) {
						v |= 0x80 >> bit
					}
				}
				e.buf = append(e.buf, v)
			}
		}
		e.buf = append(e.buf, LF)
	}
	e.raw(ESC, '2')
}

// Dither scales img to w x h dots (averaging the pixels each dot covers
// when shrinking) and turns it into black and white dots with
// Floyd-Steinberg error diffusion. Transparent pixels are white.
func Dither(img image.Image, w, h int) *Bitmap {
	lum := scaleLuminance(img, w, h)
	bm := NewBitmap(w, h)
	for y := range h {
		for x := range w {
			i := y*w + x
			old := lum[i]
			v := int32(255)
			if old < 128 {
				v = 0
				bm.Bits[y*bm.Stride+x/8] |= 0x80 >> (x % 8)
			}
			if d := old - v; d != 0 {
				if x+1 < w {
					lum[i+1] += d * 7 / 16
				}
				if y+1 < h {
					if x > 0 {
						lum[i+w-1] += d * 3 / 16
					}
					lum[i+w] += d * 5 / 16
					if x+1 < w {
						lum[i+w+1] += d / 16
					}
				}
			}
		}
	}
	return bm
}

// scaleLuminance samples img to w x h luminance values, 0 (black) to 255
// (white), averaging the source pixels each target pixel covers.
func scaleLuminance(img image.Image, w, h int) []int32 {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	lum := make([]int32, w*h)
	for y := range h {
		y0 := b.Min.Y + y*sh/h
		y1 := max(b.Min.Y+(y+1)*sh/h, y0+1)
		for x := range w {
			x0 := b.Min.X + x*sw/w
			x1 := max(b.Min.X+(x+1)*sw/w, x0+1)
			var sum, n int64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					sum += int64(luminance(img.At(sx, sy)))
					n++
				}
			}
			lum[y*w+x] = int32(sum / n)
		}
	}
	return lum
}

// luminance is the brightness of c composited on white paper.
func luminance(c color.Color) int {
	r, g, b, a := c.RGBA() // premultiplied, 0-65535
	white := 0xffff - a
	r, g, b = r+white, g+white, b+white
	return int((299*r + 587*g + 114*b) / 1000 >> 8)
}

// MaxPictureSide bounds the width and height of a picture ReadPNG accepts.
const MaxPictureSide = 8192

// ReadPNG reads a PNG picture (a logo) for Image, failing with a clear error
// for data that is not a PNG or a picture too large to be a logo.
func ReadPNG(data []byte) (image.Image, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not a PNG picture: %w", err)
	}
	if cfg.Width > MaxPictureSide || cfg.Height > MaxPictureSide {
		return nil, fmt.Errorf("picture of %dx%d pixels is larger than %dx%d", cfg.Width, cfg.Height, MaxPictureSide, MaxPictureSide)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("bad PNG picture: %w", err)
	}
	return img, nil
}
