package escpos

import (
	"bytes"
	"strings"
	"testing"
)

func p80(t testing.TB) Profile {
	t.Helper()
	p, ok := LookupProfile("80mm")
	if !ok {
		t.Fatal("no 80mm profile")
	}
	return p
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestProfiles(t *testing.T) {
	tests := []struct {
		name              string
		dots, colsA, colB int
	}{
		{"58mm", 384, 32, 42},
		{"80mm", 576, 48, 64},
		{"tm-t88", 512, 42, 56},
		{" TM-T88 ", 512, 42, 56},
	}
	for _, tt := range tests {
		p, ok := LookupProfile(tt.name)
		if !ok {
			t.Fatalf("LookupProfile(%q) not found", tt.name)
		}
		if p.Dots != tt.dots || p.ColsA != tt.colsA || p.ColsB != tt.colB || p.Cols(FontB) != tt.colB {
			t.Errorf("%q = %+v", tt.name, p)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%q: %v", tt.name, err)
		}
	}
	if _, ok := LookupProfile("57mm"); ok {
		t.Error("LookupProfile(57mm) found a profile")
	}
	if len(Profiles()) != 3 {
		t.Errorf("Profiles() = %d profiles", len(Profiles()))
	}
	bad := Profile{Name: "x", Dots: 100, ColsA: 48, ColsB: 0, Image: "png", Cut: "half"}
	err := bad.Validate()
	for _, want := range []string{`"x"`, "cols_a: 48", "cols_b: 0", `image: "png"`, `cut: "half"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %s", err, want)
		}
	}
}

func TestEncoderCommands(t *testing.T) {
	p := p80(t)
	tests := []struct {
		name string
		do   func(e *Encoder)
		want []byte
	}{
		{"init", func(e *Encoder) { e.Init() }, []byte{ESC, '@', FS, '.'}},
		{"align left", func(e *Encoder) { e.Align(Left) }, []byte{ESC, 'a', 0}},
		{"align center", func(e *Encoder) { e.Align(Center) }, []byte{ESC, 'a', 1}},
		{"align right", func(e *Encoder) { e.Align(Right) }, []byte{ESC, 'a', 2}},
		{"bold on", func(e *Encoder) { e.Bold(true) }, []byte{ESC, 'E', 1}},
		{"bold off", func(e *Encoder) { e.Bold(false) }, []byte{ESC, 'E', 0}},
		{"underline 2", func(e *Encoder) { e.Underline(2) }, []byte{ESC, '-', 2}},
		{"size 1x1", func(e *Encoder) { e.Size(1, 1) }, []byte{GS, '!', 0x00}},
		{"size 2x2", func(e *Encoder) { e.Size(2, 2) }, []byte{GS, '!', 0x11}},
		{"size 1x2", func(e *Encoder) { e.Size(1, 2) }, []byte{GS, '!', 0x01}},
		{"size 8x3", func(e *Encoder) { e.Size(8, 3) }, []byte{GS, '!', 0x72}},
		{"font B", func(e *Encoder) { e.Font(FontB) }, []byte{ESC, 'M', 1}},
		{"invert", func(e *Encoder) { e.Invert(true) }, []byte{GS, 'B', 1}},
		{"line spacing", func(e *Encoder) { e.LineSpacing(40) }, []byte{ESC, '3', 40}},
		{"default spacing", func(e *Encoder) { e.DefaultLineSpacing() }, []byte{ESC, '2'}},
		{"feed", func(e *Encoder) { e.Feed(3) }, []byte{ESC, 'd', 3}},
		{"partial cut", func(e *Encoder) { e.Cut(true) }, []byte{GS, 'V', 66, 3}},
		{"full cut", func(e *Encoder) { e.Cut(false) }, []byte{GS, 'V', 65, 3}},
		{"pulse pin 2", func(e *Encoder) { e.Pulse(2) }, []byte{ESC, 'p', 0, 50, 250}},
		{"pulse pin 5", func(e *Encoder) { e.Pulse(5) }, []byte{ESC, 'p', 1, 50, 250}},
		{"beep", func(e *Encoder) { e.Beep(3, 2) }, []byte{ESC, 'B', 3, 2}},
		{"line ascii", func(e *Encoder) { e.Init().Line("Hi") }, []byte{ESC, '@', FS, '.', 'H', 'i', LF}},
		{"qr", func(e *Encoder) { e.QR("E12", 6) }, cat(
			[]byte{GS, '(', 'k', 4, 0, 49, 65, 50, 0},
			[]byte{GS, '(', 'k', 3, 0, 49, 67, 6},
			[]byte{GS, '(', 'k', 3, 0, 49, 69, 49},
			[]byte{GS, '(', 'k', 6, 0, 49, 80, 48, 'E', '1', '2'},
			[]byte{GS, '(', 'k', 3, 0, 49, 81, 48},
		)},
		{"qr after text ends the line", func(e *Encoder) { e.Init().Text("a").QR("x", 3) }, cat(
			[]byte{ESC, '@', FS, '.', 'a', LF},
			[]byte{GS, '(', 'k', 4, 0, 49, 65, 50, 0},
			[]byte{GS, '(', 'k', 3, 0, 49, 67, 3},
			[]byte{GS, '(', 'k', 3, 0, 49, 69, 49},
			[]byte{GS, '(', 'k', 4, 0, 49, 80, 48, 'x'},
			[]byte{GS, '(', 'k', 3, 0, 49, 81, 48},
		)},
		{"barcode128", func(e *Encoder) { e.Barcode128("AB{1") }, cat(
			[]byte{GS, 'h', 80, GS, 'w', 3, GS, 'H', 2},
			[]byte{GS, 'k', 73, 7, '{', 'B', 'A', 'B', '{', '{', '1'},
		)},
		{"barcode128 digits packed", func(e *Encoder) { e.Barcode128("A12345") }, cat(
			[]byte{GS, 'h', 80, GS, 'w', 3, GS, 'H', 2},
			[]byte{GS, 'k', 73, 8, '{', 'B', 'A', '1', '{', 'C', 23, 45},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEncoder(p)
			tt.do(e)
			if err := e.Err(); err != nil {
				t.Fatalf("Err() = %v", err)
			}
			if !bytes.Equal(e.Bytes(), tt.want) {
				t.Errorf("bytes = % x\nwant    % x", e.Bytes(), tt.want)
			}
			if e.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", e.Len(), len(tt.want))
			}
		})
	}
}

func TestEncoderArgumentErrors(t *testing.T) {
	p := p80(t)
	tests := []struct {
		name string
		do   func(e *Encoder)
		want string
	}{
		{"align", func(e *Encoder) { e.Align(Align(7)) }, "align 7"},
		{"underline", func(e *Encoder) { e.Underline(3) }, "underline 3"},
		{"size zero", func(e *Encoder) { e.Size(0, 1) }, "size 0x1"},
		{"size nine", func(e *Encoder) { e.Size(1, 9) }, "size 1x9"},
		{"font", func(e *Encoder) { e.Font(Font(2)) }, "font 2"},
		{"spacing", func(e *Encoder) { e.LineSpacing(256) }, "line spacing 256"},
		{"feed", func(e *Encoder) { e.Feed(-1) }, "feed -1"},
		{"qr empty", func(e *Encoder) { e.QR("", 4) }, "data is empty"},
		{"qr long", func(e *Encoder) { e.QR(strings.Repeat("x", MaxQRData+1), 4) }, "2332 bytes"},
		{"qr module", func(e *Encoder) { e.QR("x", 17) }, "module size 17"},
		{"barcode empty", func(e *Encoder) { e.Barcode128("") }, "data is empty"},
		{"barcode chinese", func(e *Encoder) { e.Barcode128("A合") }, "position 1"},
		{"barcode too wide", func(e *Encoder) { e.Barcode128(strings.Repeat("A9", 20)) }, "wider than the paper's 576"},
		{"pulse", func(e *Encoder) { e.Pulse(3) }, "pin 3"},
		{"beep count", func(e *Encoder) { e.Beep(0, 1) }, "beep count 0"},
		{"beep duration", func(e *Encoder) { e.Beep(1, 10) }, "beep duration 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEncoder(p)
			tt.do(e)
			err := e.Err()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Err() = %v, want it to contain %q", err, tt.want)
			}
			if e.Len() != 0 {
				t.Errorf("a rejected command appended % x", e.Bytes())
			}
		})
	}
}

func TestEncoderText(t *testing.T) {
	on, off := []byte{FS, '&'}, []byte{FS, '.'}
	tests := []struct {
		name string
		in   string
		want []byte // after Init's ESC @ FS .
	}{
		{"chinese", "合计", cat(on, []byte{0xba, 0xcf, 0xbc, 0xc6})},
		{"mixed minimal switches", "Total 合计 12", cat([]byte("Total "), on, []byte{0xba, 0xcf, 0xbc, 0xc6}, off, []byte(" 12"))},
		{"yen sign through the code page", "¥", []byte{ESC, 't', 0, 0x9d}},
		{"full-width yen", "￥5", cat(on, []byte{0xa3, 0xa4}, off, []byte("5"))},
		{"euro has no GBK code nor a PC437 byte", "€", []byte("?")},
		{"code page sent once", "ñ¥ñ", []byte{ESC, 't', 0, 0xa4, 0x9d, 0xa4}},
		{"code page after chinese", "合ñ", cat(on, []byte{0xba, 0xcf}, off, []byte{ESC, 't', 0, 0xa4})},
		{"accented latin in chinese mode", "café", cat([]byte("caf"), on, []byte{0xa8, 0xa6})},
		{"emoji", "a😀b", []byte("a?b")},
		{"emoji inside chinese", "合😀计", cat(on, []byte{0xba, 0xcf}, off, []byte("?"), on, []byte{0xbc, 0xc6})},
		{"control characters", "a\tb\nc\x00\x7f", []byte("a?b?c??")},
		{"invalid utf-8", "a\xffb", []byte("a?b")},
		{"private use", "\ue000", []byte("?")},
		{"empty", "", nil},
	}
	p := p80(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEncoder(p).Init()
			e.Text(tt.in)
			want := cat([]byte{ESC, '@', FS, '.'}, tt.want)
			if !bytes.Equal(e.Bytes(), want) {
				t.Errorf("Text(%q) = % x\nwant           % x", tt.in, e.Bytes(), want)
			}
			if Width(tt.in) != Width(Printable(tt.in)) {
				t.Errorf("Width(%q) = %d but Width(Printable) = %d", tt.in, Width(tt.in), Width(Printable(tt.in)))
			}
		})
	}
}

func TestEncoderModeTracking(t *testing.T) {
	p := p80(t)
	// Chinese mode stays on across lines and commands until ASCII needs it off.
	e := NewEncoder(p).Init().Line("合计").Bold(true).Line("合计").Line("ok")
	want := cat([]byte{ESC, '@', FS, '.', FS, '&', 0xba, 0xcf, 0xbc, 0xc6, LF, ESC, 'E', 1},
		[]byte{0xba, 0xcf, 0xbc, 0xc6, LF, FS, '.', 'o', 'k', LF})
	if !bytes.Equal(e.Bytes(), want) {
		t.Errorf("got  % x\nwant % x", e.Bytes(), want)
	}
	// Without Init the mode is unknown, so the first text sets it explicitly.
	for _, tt := range []struct {
		in   string
		want []byte
	}{
		{"a", []byte{FS, '.', 'a'}},
		{"合", []byte{FS, '&', 0xba, 0xcf}},
	} {
		if got := NewEncoder(p).Text(tt.in).Bytes(); !bytes.Equal(got, tt.want) {
			t.Errorf("fresh Text(%q) = % x, want % x", tt.in, got, tt.want)
		}
	}
	// Init after Chinese text turns the mode off again explicitly.
	got := NewEncoder(p).Init().Text("合").Init().Bytes()
	if !bytes.HasSuffix(got, []byte{ESC, '@', FS, '.'}) {
		t.Errorf("second Init = % x", got)
	}
}

func TestCutFollowsProfile(t *testing.T) {
	tests := []struct {
		cut     string
		partial bool
		want    []byte
	}{
		{CutPartial, true, []byte{GS, 'V', 66, 3}},
		{CutPartial, false, []byte{GS, 'V', 65, 3}},
		{CutFull, true, []byte{GS, 'V', 65, 3}},
		{CutNone, true, []byte{ESC, 'd', 4}},
	}
	for _, tt := range tests {
		p := p80(t)
		p.Cut = tt.cut
		if got := NewEncoder(p).Cut(tt.partial).Bytes(); !bytes.Equal(got, tt.want) {
			t.Errorf("cut %s partial=%v = % x, want % x", tt.cut, tt.partial, got, tt.want)
		}
	}
}

func TestBarcodeModuleWidthFitsPaper(t *testing.T) {
	p58, _ := LookupProfile("58mm")
	tests := []struct {
		p     Profile
		data  string
		width byte
	}{
		{p80(t), "E20240101", 3},
		{p58, "E20240101", 3},
		{p58, "E2024010112345", 2},
		{p58, "E20240101123456789012", 2},
	}
	for _, tt := range tests {
		e := NewEncoder(tt.p).Barcode128(tt.data)
		if e.Err() != nil {
			t.Fatalf("%s %s: %v", tt.p.Name, tt.data, e.Err())
		}
		if got := e.Bytes()[5]; got != tt.width {
			t.Errorf("%s %s: GS w %d, want %d", tt.p.Name, tt.data, got, tt.width)
		}
	}
}
