package escpos

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"storeedge/printer/escpos/internal/glyphs"
)

// goldenPNG compares a picture with testdata/name pixel by pixel, or writes
// it with -update.
func goldenPNG(t *testing.T, path string, img *image.Gray) {
	t.Helper()
	if *update {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("%s is %v, the preview %v (check it, then run go test -update)", path, want.Bounds(), img.Bounds())
	}
	diff := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, _, _ := want.At(x, y).RGBA()
			if uint8(r>>8) != img.GrayAt(x, y).Y {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Errorf("%s differs from the preview in %d pixels (check it, then run go test -update)", path, diff)
	}
}

func TestPreviewGolden(t *testing.T) {
	for _, p := range Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			doc, err := DecodeFor(sample(p), p)
			if err != nil {
				t.Fatal(err)
			}
			img, err := doc.Preview(p)
			if err != nil {
				t.Fatal(err)
			}
			if w := p.Dots + 2*(PreviewMargin+PaperPad); img.Bounds().Dx() != w {
				t.Errorf("picture %d wide, want %d", img.Bounds().Dx(), w)
			}
			goldenPNG(t, filepath.Join("testdata", "preview-"+p.Name+".png"), img)
		})
	}
}

// ink counts the dark pixels of img within r.
func ink(img *image.Gray, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.GrayAt(x, y).Y < 128 {
				n++
			}
		}
	}
	return n
}

func previewOf(t *testing.T, p Profile, build func(e *Encoder)) (*image.Gray, *Doc) {
	t.Helper()
	e := NewEncoder(p).Init()
	build(e)
	doc, err := DecodeFor(e.Bytes(), p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := doc.Preview(p)
	if err != nil {
		t.Fatal(err)
	}
	return img, doc
}

func TestPreviewDrawsStyles(t *testing.T) {
	p := profileNamed(t, "58mm")
	x0, y0 := PreviewMargin+PaperPad, PreviewMargin+PaperPad
	line := func(cols, height int) image.Rectangle {
		return image.Rect(x0, y0, x0+cols*FontADots, y0+height)
	}
	plain, _ := previewOf(t, p, func(e *Encoder) { e.Line("合计 Total") })
	bold, _ := previewOf(t, p, func(e *Encoder) { e.Bold(true).Line("合计 Total") })
	inv, _ := previewOf(t, p, func(e *Encoder) { e.Invert(true).Line("合计 Total") })
	under, _ := previewOf(t, p, func(e *Encoder) { e.Underline(2).Line("合计 Total") })
	big, _ := previewOf(t, p, func(e *Encoder) { e.Size(2, 2).Line("合计 Total") })
	right, _ := previewOf(t, p, func(e *Encoder) { e.Align(Right).Line("合计 Total") })
	r := line(10, FontAHeight)
	base := ink(plain, r)
	if base < 100 {
		t.Fatalf("plain text has %d dark pixels", base)
	}
	if ink(bold, r) <= base {
		t.Errorf("bold %d dark pixels, plain %d", ink(bold, r), base)
	}
	if ink(inv, r) < r.Dx()*r.Dy()/2 {
		t.Errorf("inverted text is not mostly black: %d of %d", ink(inv, r), r.Dx()*r.Dy())
	}
	if ink(under, image.Rect(x0, y0+FontAHeight-2, x0+120, y0+FontAHeight)) < 200 {
		t.Errorf("no underline")
	}
	if ink(big, line(20, 2*FontAHeight)) < 3*base {
		t.Errorf("double size has %d dark pixels, plain %d", ink(big, line(20, 2*FontAHeight)), base)
	}
	if ink(right, r) != 0 || ink(right, image.Rect(x0+p.Dots-120, y0, x0+p.Dots, y0+FontAHeight)) < base/2 {
		t.Errorf("right-aligned text is not at the right edge")
	}
}

func TestPreviewDrawsCodesAndCuts(t *testing.T) {
	p := profileNamed(t, "80mm")
	img, doc := previewOf(t, p, func(e *Encoder) {
		e.QRCode("E2024", 4, QRLevelM).Line("a").Cut(true).Line("b").Cut(false)
	})
	bm, _ := QRBitmap("E2024", 4, QRLevelM)
	x0, y0 := PreviewMargin+PaperPad, PreviewMargin+PaperPad
	for y := range bm.H {
		for x := range bm.W {
			if dark := img.GrayAt(x0+x, y0+y).Y == 0; dark != bm.Black(x, y) {
				t.Fatalf("QR dot %d,%d drawn %v, want %v", x, y, dark, bm.Black(x, y))
			}
		}
	}
	if doc.Cuts != 2 || len(doc.CutAt) != 2 {
		t.Fatalf("cuts %d at %v", doc.Cuts, doc.CutAt)
	}
	// Two pieces of paper: a gray gap between them at the paper's middle.
	mid := PreviewMargin + PaperPad + p.Dots/2
	gaps := 0
	inGap := false
	for y := PreviewMargin; y < img.Bounds().Dy()-PreviewMargin; y++ {
		g := img.GrayAt(mid, y).Y == shadeBackground
		if g && !inGap {
			gaps++
		}
		inGap = g
	}
	if gaps != 1 {
		t.Errorf("%d gaps between pieces of paper, want 1", gaps)
	}
}

func TestPreviewTooTall(t *testing.T) {
	p := profileNamed(t, "58mm")
	b := bytes.Repeat([]byte{LF}, MaxPreviewHeight/DefaultSpacing+10)
	doc, err := DecodeFor(b, p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := doc.Preview(p)
	if err == nil || !strings.Contains(err.Error(), "taller than") {
		t.Errorf("err = %v", err)
	}
	if img == nil || img.Bounds().Dy() > MaxPreviewHeight {
		t.Errorf("picture %v", img.Bounds())
	}
}

// TestFontCoversWhatPrinters print: every character a built-in profile
// prints in Chinese mode or through its code page has a glyph.
func TestFontCoversWhatPrintersPrint(t *testing.T) {
	f, err := glyphs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cs := profileNamed(t, "80mm").charset()
	missing := 0
	for r := rune(0x20); r < 0x10000; r++ {
		c, _ := cs.classify(r)
		if c == classReplace {
			continue
		}
		if _, ok := f.Lookup(r); !ok {
			if missing < 10 {
				t.Errorf("no glyph for %q (U+%04X)", r, r)
			}
			missing++
		}
	}
	for _, cp := range codePageTables() {
		for r := range cp.enc {
			if _, ok := f.Lookup(r); !ok {
				t.Errorf("%s: no glyph for %q (U+%04X)", cp.name, r, r)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d characters without a glyph", missing)
	}
}

func FuzzPreview(f *testing.F) {
	f.Add(sample(Profiles()[0]))
	f.Add([]byte{GS, '(', 'L', 14, 0, 48, 112, 48, 1, 1, 49, 8, 0, 2, 0, 0xff, 0x81, GS, '(', 'L', 2, 0, 48, 50})
	f.Add([]byte{ESC, '*', 33, 2, 0, 1, 2, 3, 4, 5, 6, LF, GS, 'k', 67, 13, '4', '0', '0', '6', '3', '8', '1', '3', '3', '3', '9', '3', '1'})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4096 {
			return
		}
		p := Profiles()[0]
		doc, _ := DecodeFor(b, p)
		img, _ := doc.Preview(p)
		if img == nil || img.Bounds().Dx() != p.Dots+2*(PreviewMargin+PaperPad) {
			t.Fatalf("picture %v", img)
		}
		for _, l := range doc.Lines {
			if l.Dots > p.Dots && l.Bitmap == nil && l.Image == "" {
				t.Fatalf("line %q is %d dots on %d dots of paper", l.Text, l.Dots, p.Dots)
			}
		}
	})
}

func BenchmarkPreview(b *testing.B) {
	p := Profiles()[1]
	raw := sample(p)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		if err := PreviewPNG(&out, raw, p); err != nil {
			b.Fatal(err)
		}
	}
}
