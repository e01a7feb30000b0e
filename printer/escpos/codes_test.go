package escpos

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"
)

func TestCode128PatternsAreElevenModules(t *testing.T) {
	for v, p := range code128Patterns {
		sum := 0
		for _, c := range p {
			sum += int(c - '0')
		}
		if sum != 11 || len(p) != 6 {
			t.Errorf("symbol %d: pattern %q is %d modules in %d elements", v, p, sum, len(p))
		}
	}
	seen := map[string]int{}
	for v, p := range code128Patterns {
		if w, dup := seen[p]; dup {
			t.Errorf("symbols %d and %d share pattern %s", w, v, p)
		}
		seen[p] = v
	}
}

// readCode128 decodes modules back into symbol values.
func readCode128(t *testing.T, mods []bool) []int {
	t.Helper()
	index := map[string]int{}
	for v, p := range code128Patterns {
		index[p] = v
	}
	var values []int
	for len(mods) > 13 {
		var b strings.Builder
		i := 0
		for range 6 {
			run := 1
			for i+run < 11 && mods[i+run] == mods[i] {
				run++
			}
			b.WriteByte(byte('0' + run))
			i += run
		}
		v, ok := index[b.String()]
		if !ok || i != 11 {
			t.Fatalf("no symbol %q", b.String())
		}
		values = append(values, v)
		mods = mods[11:]
	}
	return values
}

func TestCode128Bars(t *testing.T) {
	tests := []struct {
		text   string
		values []int // start, data..., without the check
	}{
		{"PJJ123C", []int{c128StartB, 48, 42, 42, 17, 18, 19, 35}},
		{"E2024", []int{c128StartB, 37, c128CodeC, 20, 24}},
		{"E202", []int{c128StartB, 37, 18, 16, 18}},
		{"E20240101", []int{c128StartB, 37, c128CodeC, 20, 24, 1, 1}},
		{"123456", []int{c128StartC, 12, 34, 56}},
		{"a{b", []int{c128StartB, 65, 91, 66}},
	}
	for _, tt := range tests {
		values := readCode128(t, code128Modules(tt.text))
		data, check := values[:len(values)-1], values[len(values)-1]
		if len(data) != len(tt.values) {
			t.Fatalf("%q: symbols %v, want %v", tt.text, data, tt.values)
		}
		sum := data[0]
		for i, v := range data {
			if v != tt.values[i] {
				t.Errorf("%q: symbol %d = %d, want %d", tt.text, i, v, tt.values[i])
			}
			if i > 0 {
				sum += i * v
			}
		}
		if check != sum%103 {
			t.Errorf("%q: check %d, want %d", tt.text, check, sum%103)
		}
	}
}

func TestEAN13(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"400638133393", "4006381333931", ""},
		{"4006381333931", "4006381333931", ""},
		{"6901234567892", "6901234567892", ""},
		{"4006381333932", "", "check digit is 1"},
		{"40063813339", "", "not 12 or 13 digits"},
		{"40063813339A", "", "character 12 is not a digit"},
	}
	for _, tt := range tests {
		got, err := CheckEAN13(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("CheckEAN13(%q) = %q, %v, want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CheckEAN13(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	// Bars of 4006381333931: guards, then the left digits with parity
	// LGLLGG (first digit 4), then the right digits.
	mods := ean13Bars("4006381333931")
	if len(mods) != 95 {
		t.Fatalf("%d modules", len(mods))
	}
	str := func(m []bool) string {
		var b strings.Builder
		for _, x := range m {
			b.WriteByte("01"[map[bool]int{false: 0, true: 1}[x]])
		}
		return b.String()
	}
	all := str(mods)
	if all[:3] != "101" || all[45:50] != "01010" || all[92:] != "101" {
		t.Errorf("guards wrong: %s", all)
	}
	if got := all[3:10]; got != "0001101" { // 0 in L
		t.Errorf("digit 2 = %s", got)
	}
	if got := all[10:17]; got != "0100111" { // 0 in G
		t.Errorf("digit 3 = %s", got)
	}
	if got := all[85:92]; got != "1100110" { // 1 in R
		t.Errorf("last digit = %s", got)
	}
	e := NewEncoder(profileNamed(t, "58mm")).BarcodeEAN13("400638133393")
	if !bytes.HasSuffix(e.Bytes(), append([]byte{GS, 'k', 67, 13}, "4006381333931"...)) || e.Err() != nil {
		t.Errorf("BarcodeEAN13 = % x, %v", e.Bytes(), e.Err())
	}
	doc, _ := Decode(e.Bytes())
	if len(doc.Lines) != 1 || doc.Lines[0].Barcode != "4006381333931" || doc.Lines[0].BarcodeType != "EAN13" {
		t.Errorf("decoded %+v", doc.Lines)
	}
}

func TestQRLevelsAndImageMode(t *testing.T) {
	p := profileNamed(t, "80mm")
	for _, level := range []QRLevel{QRLevelL, QRLevelM, QRLevelQ, QRLevelH} {
		doc, err := Decode(NewEncoder(p).QRCode("E2024", 4, level).Bytes())
		if err != nil || len(doc.Lines) != 1 {
			t.Fatal(err, doc.Lines)
		}
		if l := doc.Lines[0]; l.QR != "E2024" || l.QRLevel != level || l.QRModule != 4 {
			t.Errorf("level %c: decoded %+v", level, l)
		}
	}
	if err := NewEncoder(p).QRCode(strings.Repeat("x", 1300), 4, QRLevelH).Err(); err == nil || !strings.Contains(err.Error(), "longer than 1273") {
		t.Errorf("long QR at level H: %v", err)
	}
	img := p
	img.QR = QRImage
	e := NewEncoder(img).QR("E2024", 4)
	doc, err := Decode(e.Bytes())
	if err != nil || len(doc.Lines) != 1 || doc.Lines[0].Bitmap == nil {
		t.Fatalf("QR as image: %v %+v", err, doc.Lines)
	}
	want, _ := QRBitmap("E2024", 4, QRLevelM)
	got := doc.Lines[0].Bitmap
	for y := range want.H {
		for x := range want.W {
			if got.Black(x, y) != want.Black(x, y) {
				t.Fatalf("QR image differs at %d,%d", x, y)
			}
		}
	}
}

func TestImageCommandsRoundTrip(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 50, 30))
	for y := range 30 {
		for x := range 50 {
			if (x/5+y/3)%2 == 0 {
				src.SetGray(x, y, color.Gray{})
			} else {
				src.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	for _, cmd := range []string{ImageRaster, ImageGraphics, ImageColumn} {
		t.Run(cmd, func(t *testing.T) {
			p := profileNamed(t, "58mm")
			p.Image = cmd
			e := NewEncoder(p).Init().Line("logo").Image(src).Line("after")
			doc, err := Decode(e.Bytes())
			if err != nil || len(doc.Unknown) > 0 {
				t.Fatalf("%v %q", err, doc.Unknown)
			}
			var text []string
			var rows []*Bitmap
			for _, l := range doc.Lines {
				if l.Bitmap != nil {
					rows = append(rows, l.Bitmap)
				} else {
					text = append(text, l.Text)
				}
			}
			if strings.Join(text, "|") != "logo|after" {
				t.Errorf("text %q", text)
			}
			y0 := 0
			for _, bm := range rows {
				for y := 0; y < bm.H && y0+y < 30; y++ {
					for x := range 50 {
						want := src.GrayAt(x, y0+y).Y == 0
						if bm.Black(x, y) != want {
							t.Fatalf("dot %d,%d = %v, want %v", x, y0+y, bm.Black(x, y), want)
						}
					}
				}
				y0 += bm.H
			}
			if y0 < 30 {
				t.Errorf("images cover %d rows of 30", y0)
			}
		})
	}
}

func TestCode128Fits(t *testing.T) {
	p58 := profileNamed(t, "58mm")
	tests := []struct {
		data string
		want bool
	}{
		{"E20240523101215012345", true},
		{"", false},
		{"合计", false},
		{strings.Repeat("AB", 20), false},
	}
	for _, tt := range tests {
		if got := p58.Code128Fits(tt.data); got != tt.want {
			t.Errorf("Code128Fits(%q) = %v", tt.data, got)
		}
		if tt.want && NewEncoder(p58).Barcode128(tt.data).Err() != nil {
			t.Errorf("%q fits but Barcode128 fails", tt.data)
		}
	}
}
