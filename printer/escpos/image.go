package escpos

import (
	"image"
	"image/color"
)

// imageBand is the most rows one GS v 0 command carries: printers with a
// small buffer print tall images in bands.
const imageBand = 256

// Image prints img as a 1-bit raster image (GS v 0) on its own lines, at the
// current alignment. Transparent pixels are white; grays are dithered
// (Floyd-Steinberg). An image wider than the paper is scaled down to the
// paper's width. The profile must print raster images.
func (e *Encoder) Image(img image.Image) *Encoder {
	if e.p.Image != ImageRaster {
		return e.fail("image: printer profile %q prints no raster images", e.p.Name)
	}
	if img == nil || img.Bounds().Empty() {
		return e.fail("image: image is empty")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > e.p.Dots {
		h = max(h*e.p.Dots/w, 1)
		w = e.p.Dots
	}
	// Luminance, 0 (black) to 255 (white), sampled to w x h.
	lum := make([]int, w*h)
	for y := range h {
		sy := b.Min.Y + y*b.Dy()/h
		for x := range w {
			sx := b.Min.X + x*b.Dx()/w
			lum[y*w+x] = luminance(img.At(sx, sy))
		}
	}
	rowBytes := (w + 7) / 8
	bits := make([]byte, rowBytes*h)
	for y := range h {
		for x := range w {
			i := y*w + x
			old := lum[i]
			v := 255
			if old < 128 {
				v = 0
				bits[y*rowBytes+x/8] |= 0x80 >> (x % 8)
			}
			spread(lum, w, h, x, y, old-v)
		}
	}
	e.endLine()
	for y0 := 0; y0 < h; y0 += imageBand {
		n := min(imageBand, h-y0)
		e.raw(GS, 'v', '0', 0, byte(rowBytes), byte(rowBytes>>8), byte(n), byte(n>>8))
		e.buf = append(e.buf, bits[y0*rowBytes:(y0+n)*rowBytes]...)
	}
	return e
}

// spread hands a pixel's quantization error to its unvisited neighbours.
func spread(lum []int, w, h, x, y, err int) {
	if err == 0 {
		return
	}
	add := func(x, y, num int) {
		if x >= 0 && x < w && y < h {
			lum[y*w+x] += err * num / 16
		}
	}
	add(x+1, y, 7)
	add(x-1, y+1, 3)
	add(x, y+1, 5)
	add(x+1, y+1, 1)
}

// luminance is the brightness of c composited on white paper.
func luminance(c color.Color) int {
	r, g, b, a := c.RGBA() // premultiplied, 0-65535
	white := 0xffff - a
	r, g, b = r+white, g+white, b+white
	return int((299*r + 587*g + 114*b) / 1000 >> 8)
}
