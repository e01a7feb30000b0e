package escpos

import (
	"bytes"
	"image"
	"image/color"
	"math/bits"
	"strings"
	"testing"
)

func filled(w, h int, at func(x, y int) color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, at(x, y))
		}
	}
	return img
}

func TestImage(t *testing.T) {
	p58, _ := LookupProfile("58mm")
	halfBlack := filled(16, 2, func(x, y int) color.Color {
		if x < 8 {
			return color.Black
		}
		return color.White
	})
	transparent := filled(8, 1, func(x, y int) color.Color { return color.NRGBA{} })
	tests := []struct {
		name string
		img  image.Image
		want []byte
	}{
		{"half black", halfBlack, []byte{GS, 'v', '0', 0, 2, 0, 2, 0, 0xff, 0x00, 0xff, 0x00}},
		{"transparent is white", transparent, []byte{GS, 'v', '0', 0, 1, 0, 1, 0, 0x00}},
		{"odd width pads the row", filled(3, 1, func(x, y int) color.Color { return color.Black }),
			[]byte{GS, 'v', '0', 0, 1, 0, 1, 0, 0xe0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEncoder(p58).Image(tt.img)
			if e.Err() != nil {
				t.Fatal(e.Err())
			}
			if !bytes.Equal(e.Bytes(), tt.want) {
				t.Errorf("got % x\nwant % x", e.Bytes(), tt.want)
			}
		})
	}
}

func TestImageScalingBandsAndDither(t *testing.T) {
	p58, _ := LookupProfile("58mm")
	wide := image.NewGray(image.Rect(0, 0, 1000, 600))
	e := NewEncoder(p58).Init().Text("logo").Image(wide)
	doc, err := Decode(e.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"logo", "[image 384x230]"}
	if got := doc.Text(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	tall := image.NewGray(image.Rect(0, 0, 8, 600))
	doc, _ = Decode(NewEncoder(p58).Image(tall).Bytes())
	if got := strings.Join(doc.Text(), "|"); got != "[image 8x256]|[image 8x256]|[image 8x88]" {
		t.Errorf("bands = %s", got)
	}
	gray := filled(16, 16, func(x, y int) color.Color { return color.Gray{Y: 128} })
	raw := NewEncoder(p58).Image(gray).Bytes()[8:]
	black := 0
	for _, b := range raw {
		black += bits.OnesCount8(b)
	}
	if black < 112 || black > 144 {
		t.Errorf("50%% gray dithered to %d of 256 black dots", black)
	}
}

func TestImageErrors(t *testing.T) {
	p := p80(t)
	p.Image = ImageNone
	if err := NewEncoder(p).Image(image.NewGray(image.Rect(0, 0, 8, 8))).Err(); err == nil || !strings.Contains(err.Error(), "prints no images") {
		t.Errorf("no-image profile: %v", err)
	}
	if err := NewEncoder(p80(t)).Image(image.NewGray(image.Rect(0, 0, 0, 8))).Err(); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty image: %v", err)
	}
}
