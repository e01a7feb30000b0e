package escpos

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"math"

	"storeedge/printer/escpos/internal/glyphs"
)

// Preview geometry, in printer dots (one picture pixel per dot).
const (
	PreviewMargin    = 16    // gray border around the paper
	PaperPad         = 12    // white paper beyond the printable width on each side, and above and below the print
	DefaultSpacing   = 30    // line feed amount when no ESC 3 is in force
	cutGap           = 20    // gray gap drawn between the pieces of paper at a cut
	MaxPreviewHeight = 50000 // the tallest picture Preview draws: over 6 m of paper
)

// Shades of the preview.
const (
	shadeBackground = 0xd0
	shadePaper      = 0xff
	shadeHatch      = 0x90
)

// Preview draws the document as it comes out of a printer of profile p: a
// strip of white paper p.Dots wide (plus a small margin) on a gray
// background, one pixel per printer dot, each cut starting a new piece of
// paper. Text is drawn with an embedded Unifont subset scaled to the
// printer's fonts (12 x 24 dots per column in Font A, 9 x 17 in Font B),
// with bold, underline, inverse and sizes; QR codes, CODE128 and EAN-13
// barcodes are drawn bar for bar, images dot for dot. Other barcodes and
// images the stream only refers to are drawn as hatched boxes with their
// label. A document taller than MaxPreviewHeight is drawn up to there and
// an error says so.
func (d *Doc) Preview(p Profile) (*image.Gray, error) {
	font, err := glyphs.Default()
	if err != nil {
		return nil, err
	}
	dots := p.Dots
	if dots <= 0 {
		return nil, fmt.Errorf("preview: profile %q has no paper width", p.Name)
	}
	pr := &painter{font: font, dots: dots, cache: map[glyphKey][]uint8{}, x0: PreviewMargin + PaperPad}

	// Lay out: the top of every line, and the pieces of paper.
	type piece struct{ top, bottom int }
	tops := make([]int, len(d.Lines))
	heights := make([]int, len(d.Lines))
	var pieces []piece
	y := PreviewMargin
	start := y
	y += PaperPad
	cut := 0
	drawn := len(d.Lines)
	var tooTall error
	for i := range d.Lines {
		for cut < len(d.CutAt) && d.CutAt[cut] <= i {
			pieces = append(pieces, piece{start, y + PaperPad})
			y += PaperPad + cutGap
			start = y
			y += PaperPad
			cut++
		}
		h := pr.lineHeight(&d.Lines[i])
		if y+h+PaperPad+PreviewMargin > MaxPreviewHeight {
			drawn = i
			tooTall = fmt.Errorf("preview: document taller than %d dots: drawn up to line %d of %d", MaxPreviewHeight, i, len(d.Lines))
			break
		}
		tops[i], heights[i] = y, h
		y += h
	}
	if drawn == len(d.Lines) && cut < len(d.CutAt) {
		// A cut after the last line ends the paper there.
		pieces = append(pieces, piece{start, y + PaperPad})
		y += PaperPad
	} else {
		y += PaperPad
		pieces = append(pieces, piece{start, y})
	}
	height := y + PreviewMargin
	width := dots + 2*(PreviewMargin+PaperPad)
	img := image.NewGray(image.Rect(0, 0, width, height))
	fill(img, img.Rect, shadeBackground)
	for _, pc := range pieces {
		fill(img, image.Rect(PreviewMargin, pc.top, width-PreviewMargin, pc.bottom), shadePaper)
	}
	pr.img = img
	for i := range drawn {
		pr.line(&d.Lines[i], tops[i], heights[i])
	}
	return img, tooTall
}

// PreviewPNG decodes the ESC/POS stream b as printers of profile p read it
// and writes its Preview as a PNG picture to w, compressed for speed. Unknown commands are
// returned in the error after the picture is written.
func PreviewPNG(w io.Writer, b []byte, p Profile) error {
	doc, derr := DecodeFor(b, p)
	img, err := doc.Preview(p)
	if img == nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if werr := enc.Encode(w, img); werr != nil {
		return fmt.Errorf("write preview: %w", werr)
	}
	if derr != nil {
		return derr
	}
	if err != nil {
		return err
	}
	if len(doc.Unknown) > 0 {
		return &UnknownError{Commands: doc.Unknown}
	}
	return nil
}

// UnknownError reports the commands a decoded stream held that the decoder
// does not know.
type UnknownError struct{ Commands []string }

func (e *UnknownError) Error() string {
	s := fmt.Sprintf("%d unknown command", len(e.Commands))
	if len(e.Commands) != 1 {
		s += "s"
	}
	if len(e.Commands) > 0 {
		s += ", first " + e.Commands[0]
	}
	return s
}

func fill(img *image.Gray, r image.Rectangle, shade uint8) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	first := img.Pix[r.Min.Y*img.Stride+r.Min.X : r.Min.Y*img.Stride+r.Max.X]
	for i := range first {
		first[i] = shade
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(img.Pix[y*img.Stride+r.Min.X:y*img.Stride+r.Max.X], first)
	}
}

type glyphKey struct {
	r      rune
	w, h   int16
	bounds int16
}

type painter struct {
	img   *image.Gray
	font  *glyphs.Font
	dots  int
	x0    int
	cache map[glyphKey][]uint8
}

func fontDots(f Font) (w, h int) {
	if f == FontB {
		return FontBDots, FontBHeight
	}
	return FontADots, FontAHeight
}

func spacing(l *Line) int {
	if l.Spacing > 0 {
		return l.Spacing
	}
	return DefaultSpacing
}

// lineHeight is how far the paper moves for line l.
func (pr *painter) lineHeight(l *Line) int {
	switch {
	case l.QR != "":
		return pr.qrSide(l)
	case l.Barcode != "":
		h := l.BarHeight
		if h <= 0 {
			h = BarcodeHeight
		}
		if l.BarHRI&1 != 0 {
			h += FontAHeight + 4
		}
		if l.BarHRI&2 != 0 {
			h += FontAHeight + 4
		}
		return h
	case l.Image != "":
		if l.Bitmap != nil {
			return l.Bitmap.H
		}
		return 48
	}
	h := 0
	for _, s := range l.Spans {
		_, fh := fontDots(s.Font)
		h = max(h, fh*s.Height)
	}
	if len(l.Spans) == 0 {
		_, fh := fontDots(l.Font)
		h = fh * l.Height
	}
	return max(h, spacing(l))
}

func qrModule(l *Line) int {
	if l.QRModule >= 1 && l.QRModule <= MaxQRModule {
		return l.QRModule
	}
	return 3
}

func qrLevel(l *Line) QRLevel {
	if l.QRLevel.capacity() > 0 {
		return l.QRLevel
	}
	return QRLevelL
}

func (pr *painter) qrSide(l *Line) int {
	bm, err := QRBitmap(l.QR, qrModule(l), qrLevel(l))
	if err != nil {
		return 64
	}
	return bm.H
}

// alignX is where a block w dots wide starts on the paper.
func (pr *painter) alignX(a Align, w int) int {
	x := 0
	switch a {
	case Center:
		x = (pr.dots - w) / 2
	case Right:
		x = pr.dots - w
	}
	return pr.x0 + max(x, 0)
}

func (pr *painter) line(l *Line, top, height int) {
	switch {
	case l.QR != "":
		bm, err := QRBitmap(l.QR, qrModule(l), qrLevel(l))
		if err != nil {
			pr.placeholder(pr.alignX(l.Align, 64), top, 64, 64, "QR")
			return
		}
		pr.bitmap(bm, pr.alignX(l.Align, bm.W), top)
	case l.Barcode != "":
		pr.barcode(l, top)
	case l.Image != "":
		if l.Bitmap != nil {
			pr.bitmap(l.Bitmap, pr.alignX(l.Align, l.Bitmap.W), top)
			return
		}
		w := l.Dots
		if w <= 0 {
			w = 96
		}
		pr.placeholder(pr.alignX(l.Align, w), top, w, height, "image "+l.Image)
	default:
		pr.text(l, top)
	}
}

// text draws a line's spans with their bottoms on one line.
func (pr *painter) text(l *Line, top int) {
	charH := 0
	for _, s := range l.Spans {
		_, fh := fontDots(s.Font)
		charH = max(charH, fh*s.Height)
	}
	x := pr.alignX(l.Align, l.Dots)
	for _, s := range l.Spans {
		fw, fh := fontDots(s.Font)
		cellH := fh * s.Height
		y := top + charH - cellH
		i := 0
		for _, r := range s.Text {
			cols := 1
			if i < len(s.cols) {
				cols = int(s.cols[i])
			}
			i++
			cellW := cols * fw * s.Width
			pr.char(r, x, y, cellW, cellH, cols, s.Style)
			x += cellW
		}
	}
}

// char draws r in the cell at x, y.
func (pr *painter) char(r rune, x, y, cellW, cellH, cols int, st Style) {
	if st.Invert {
		fill(pr.img, image.Rect(x, y, x+cellW, y+cellH), 0)
	}
	if r != ' ' {
		g, ok := pr.font.Lookup(r)
		if ok {
			gcols := g.Width / 8
			drawW := cellW
			if gcols < cols {
				drawW = cellW * gcols / cols
			}
			// Printer fonts leave a little space above and below a glyph.
			pad := cellH / 24
			drawH := cellH - 2*pad
			mask := pr.glyph(r, g, drawW, drawH)
			ox := x + (cellW-drawW)/2
			pr.mask(mask, ox, y+pad, drawW, drawH, st.Invert)
			if st.Bold {
				pr.mask(mask, ox+1, y+pad, drawW, drawH, st.Invert)
			}
		} else {
			pr.tofu(x, y, cellW, cellH, st.Invert)
		}
	}
	if st.Underline > 0 {
		shade := uint8(0)
		if st.Invert {
			shade = 0xff
		}
		fill(pr.img, image.Rect(x, y+cellH-st.Underline, x+cellW, y+cellH), shade)
	}
}

// glyph scales g to w x h dots, each dot's ink the share of the glyph's
// dots it covers (0-255).
func (pr *painter) glyph(r rune, g glyphs.Glyph, w, h int) []uint8 {
	key := glyphKey{r: r, w: int16(w), h: int16(h)}
	if m, ok := pr.cache[key]; ok {
		return m
	}
	m := make([]uint8, w*h)
	sw, sh := float64(g.Width), float64(glyphs.Height)
	fx, fy := sw/float64(w), sh/float64(h)
	for ty := range h {
		y0, y1 := float64(ty)*fy, float64(ty+1)*fy
		for tx := range w {
			x0, x1 := float64(tx)*fx, float64(tx+1)*fx
			ink := 0.0
			for sy := int(y0); float64(sy) < y1 && sy < glyphs.Height; sy++ {
				oy := math.Min(y1, float64(sy+1)) - math.Max(y0, float64(sy))
				for sx := int(x0); float64(sx) < x1 && sx < g.Width; sx++ {
					if !g.Black(sx, sy) {
						continue
					}
					ox := math.Min(x1, float64(sx+1)) - math.Max(x0, float64(sx))
					ink += ox * oy
				}
			}
			v := ink / (fx * fy)
			if v > 1 {
				v = 1
			}
			m[ty*w+tx] = uint8(v*255 + 0.5)
		}
	}
	pr.cache[key] = m
	return m
}

// mask inks a glyph mask at x, y: black on the paper, or white on an
// inverted cell.
func (pr *painter) mask(m []uint8, x, y, w, h int, invert bool) {
	img := pr.img
	for ty := range h {
		py := y + ty
		if py < 0 || py >= img.Rect.Max.Y {
			continue
		}
		for tx := range w {
			px := x + tx
			if px < 0 || px >= img.Rect.Max.X {
				continue
			}
			ink := m[ty*w+tx]
			if ink == 0 {
				continue
			}
			i := py*img.Stride + px
			if invert {
				img.Pix[i] = max(img.Pix[i], ink)
			} else {
				img.Pix[i] = min(img.Pix[i], 255-ink)
			}
		}
	}
}

// tofu draws a box for a character the font has no glyph for.
func (pr *painter) tofu(x, y, w, h int, invert bool) {
	shade := uint8(0x40)
	if invert {
		shade = 0xc0
	}
	r := image.Rect(x+2, y+2, x+w-2, y+h-2)
	fill(pr.img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), shade)
	fill(pr.img, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), shade)
	fill(pr.img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), shade)
	fill(pr.img, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), shade)
}

func (pr *painter) bitmap(bm *Bitmap, x, y int) {
	img := pr.img
	for by := range bm.H {
		py := y + by
		if py >= img.Rect.Max.Y {
			return
		}
		for bx := range bm.W {
			px := x + bx
			if px >= img.Rect.Max.X {
				break
			}
			if bm.Bits[by*bm.Stride+bx/8]&(0x80>>(bx%8)) != 0 {
				img.Pix[py*img.Stride+px] = 0
			}
		}
	}
}

// barcode draws a barcode's bars and its text.
func (pr *painter) barcode(l *Line, top int) {
	var mods []bool
	switch l.BarcodeType {
	case "CODE128", "":
		ok := true
		for i := 0; i < len(l.Barcode); i++ {
			if !isASCII(rune(l.Barcode[i])) {
				ok = false
			}
		}
		if ok {
			mods = code128Modules(l.Barcode)
		}
	case "EAN13":
		if digits, err := CheckEAN13(l.Barcode); err == nil {
			mods = ean13Bars(digits)
		}
	}
	h := l.BarHeight
	if h <= 0 {
		h = BarcodeHeight
	}
	mw := l.BarWidth
	if mw <= 0 {
		mw = 3
	}
	for mw > 1 && len(mods)*mw > pr.dots {
		mw--
	}
	w := len(mods) * mw
	if mods == nil {
		w = min(pr.dots, 11*(len(l.Barcode)+3)*2)
	}
	x := pr.alignX(l.Align, w)
	y := top
	hri := func() {
		tw := len([]rune(l.Barcode)) * FontADots
		tx := x + (w-tw)/2
		for _, r := range l.Barcode {
			pr.char(r, tx, y+2, FontADots, FontAHeight, 1, Style{Width: 1, Height: 1})
			tx += FontADots
		}
		y += FontAHeight + 4
	}
	if l.BarHRI&1 != 0 {
		hri()
	}
	if mods == nil {
		pr.placeholder(x, y, w, h, l.BarcodeType)
	} else {
		for i, bar := range mods {
			if bar {
				fill(pr.img, image.Rect(x+i*mw, y, x+(i+1)*mw, y+h), 0)
			}
		}
	}
	y += h
	if l.BarHRI&2 != 0 {
		hri()
	}
}

// placeholder draws a hatched box with a label for something the stream
// only refers to.
func (pr *painter) placeholder(x, y, w, h int, label string) {
	for py := y; py < y+h && py < pr.img.Rect.Max.Y; py++ {
		for px := x; px < x+w && px < pr.img.Rect.Max.X; px++ {
			if (px+py)%8 == 0 || py == y || py == y+h-1 || px == x || px == x+w-1 {
				pr.img.Pix[py*pr.img.Stride+px] = shadeHatch
			}
		}
	}
	tx := x + 4
	for _, r := range label {
		if tx+FontBDots > x+w {
			break
		}
		pr.char(r, tx, y+4, FontBDots, FontBHeight, 1, Style{Font: FontB, Width: 1, Height: 1})
		tx += FontBDots
	}
}
