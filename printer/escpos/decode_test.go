package escpos

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestRoundTripText(t *testing.T) {
	long := strings.Repeat("超长商品名称Extra Long Name ", 8)
	tests := []struct {
		name  string
		lines []string
	}{
		{"empty document", nil},
		{"one empty line", []string{""}},
		{"latin", []string{"Hello, world!"}},
		{"chinese", []string{"合计", "宫保鸡丁"}},
		{"mixed", []string{"Total 合计 12", "宫保鸡丁 Kung Pao x2", "café crème"}},
		{"currency", []string{"￥12.00", "¥3.50", "€4", "合计:￥128.00"}},
		{"very long name", Wrap(long, 32)},
		{"punctuation", []string{"（微辣）【招牌】「新品」—…·"}},
		{"replaced", []string{"a😀b", "tab\there", "\x00\x1b"}},
	}
	for _, p := range Profiles() {
		for _, tt := range tests {
			t.Run(p.Name+"/"+tt.name, func(t *testing.T) {
				e := NewEncoder(p).Init()
				for _, l := range tt.lines {
					e.Line(l)
				}
				doc, err := Decode(e.Bytes())
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				want := make([]string, len(tt.lines))
				for i, l := range tt.lines {
					want[i] = p.Printable(l)
				}
				if got := doc.Text(); !reflect.DeepEqual(got, want) && len(want)+len(got) > 0 {
					t.Errorf("Text() = %q\nwant     %q", got, want)
				}
				if len(doc.Unknown) > 0 || doc.Cuts != 0 {
					t.Errorf("unknown %q, cuts %d", doc.Unknown, doc.Cuts)
				}
				for i, l := range doc.Lines {
					if w := p.Width(l.Text) * FontADots; l.Dots != w {
						t.Errorf("line %d %q: Dots = %d, want %d", i, l.Text, l.Dots, w)
					}
				}
			})
		}
	}
}

func TestRoundTripAttributes(t *testing.T) {
	p := p80(t)
	e := NewEncoder(p).Init()
	e.Align(Center).Size(2, 2).Bold(true).Line("人民路店")
	e.Size(1, 1).Bold(false).Align(Left).Underline(1).Line("u")
	e.Underline(0).Invert(true).Line("** 重打 REPRINT **").Invert(false)
	e.Font(FontB).Line("small").Font(FontA)
	e.Align(Right).Line("R").Align(Left)
	e.Text("pending").QR("E2024", 6)
	e.Barcode128("E20240101123456789012")
	e.Feed(2)
	e.Cut(true)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	doc, err := Decode(e.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []Line{
		{Text: "人民路店", Align: Center, Bold: true, Width: 2, Height: 2, Dots: 8 * 12 * 2},
		{Text: "u", Underline: true, Width: 1, Height: 1, Dots: 12},
		{Text: "** 重打 REPRINT **", Invert: true, Width: 1, Height: 1, Dots: 18 * 12},
		{Text: "small", Font: FontB, Width: 1, Height: 1, Dots: 5 * 9},
		{Text: "R", Align: Right, Width: 1, Height: 1, Dots: 12},
		{Text: "pending", Width: 1, Height: 1, Dots: 7 * 12},
		{QR: "E2024", Width: 1, Height: 1, QRModule: 6, QRLevel: QRLevelM},
		{Barcode: "E20240101123456789012", Width: 1, Height: 1, BarcodeType: "CODE128", BarWidth: 3, BarHeight: 80, BarHRI: 2},
		{Width: 1, Height: 1},
		{Width: 1, Height: 1},
	}
	if len(doc.Lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(doc.Lines), len(want), doc.Dump())
	}
	for i, w := range want {
		g := doc.Lines[i]
		g.Spans = nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("line %d:\n%+v\nwant\n%+v", i, g, w)
		}
		if w.Text != "" && (len(doc.Lines[i].Spans) != 1 || doc.Lines[i].Spans[0].Text != w.Text || doc.Lines[i].Spans[0].Dots != w.Dots) {
			t.Errorf("line %d: spans %+v", i, doc.Lines[i].Spans)
		}
	}
	if doc.Cuts != 1 || len(doc.Unknown) != 0 {
		t.Errorf("cuts %d unknown %q", doc.Cuts, doc.Unknown)
	}
}

func TestDecodeKnownCommands(t *testing.T) {
	tests := []struct {
		name string
		cmd  []byte
	}{
		{"ESC @", []byte{ESC, '@'}},
		{"ESC a", []byte{ESC, 'a', 1}},
		{"ESC E", []byte{ESC, 'E', 1}},
		{"ESC -", []byte{ESC, '-', 1}},
		{"ESC M", []byte{ESC, 'M', 1}},
		{"ESC 2", []byte{ESC, '2'}},
		{"ESC 3", []byte{ESC, '3', 30}},
		{"ESC d 0", []byte{ESC, 'd', 0}},
		{"ESC t", []byte{ESC, 't', 16}},
		{"ESC p", []byte{ESC, 'p', 0, 25, 250}},
		{"ESC B", []byte{ESC, 'B', 2, 3}},
		{"ESC !", []byte{ESC, '!', 0x38}},
		{"ESC D", []byte{ESC, 'D', 4, 8, 0}},
		{"ESC *", []byte{ESC, '*', 33, 2, 0, 1, 2, 3, 4, 5, 6}},
		{"GS !", []byte{GS, '!', 0x11}},
		{"GS B", []byte{GS, 'B', 1}},
		{"GS V 1", []byte{GS, 'V', 1}},
		{"GS V 66 n", []byte{GS, 'V', 66, 10}},
		{"GS h", []byte{GS, 'h', 80}},
		{"GS w", []byte{GS, 'w', 2}},
		{"GS H", []byte{GS, 'H', 2}},
		{"GS k form A", []byte{GS, 'k', 4, 'A', 'B', 0}},
		{"GS k form B", []byte{GS, 'k', 73, 4, '{', 'B', 'A', 'B'}},
		{"GS ( k QR", []byte{GS, '(', 'k', 3, 0, 49, 67, 6}},
		{"GS ( L", []byte{GS, '(', 'L', 2, 0, 48, 49}},
		{"GS v 0", []byte{GS, 'v', '0', 0, 2, 0, 2, 0, 1, 2, 3, 4}},
		{"GS 8 L", []byte{GS, '8', 'L', 2, 0, 0, 0, 48, 50}},
		{"FS &", []byte{FS, '&'}},
		{"FS .", []byte{FS, '.'}},
		{"FS !", []byte{FS, '!', 4}},
		{"FS S", []byte{FS, 'S', 0, 0}},
		{"DLE EOT", []byte{DLE, EOT, 1}},
		{"DLE ENQ", []byte{DLE, 0x05, 2}},
		{"CR", []byte{'\r'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := cat([]byte("A"), []byte{LF}, tt.cmd, []byte("B"), []byte{LF})
			doc, err := Decode(in)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var text []string
			for _, l := range doc.Lines {
				if l.Barcode == "" && l.QR == "" && l.Image == "" {
					text = append(text, l.Text)
				}
			}
			if !reflect.DeepEqual(text, []string{"A", "B"}) || len(doc.Unknown) != 0 {
				t.Errorf("text %q unknown %q", text, doc.Unknown)
			}
		})
	}
}

func TestDecodeBlocksAndFeeds(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []string
		cuts int
	}{
		{"feed ends the line then feeds", []byte{'a', ESC, 'd', 3, 'b'}, []string{"a", "", "", "b"}, 0},
		{"feed on empty line", []byte{ESC, 'd', 2}, []string{"", ""}, 0},
		{"ESC @ clears the unfinished line", []byte{'a', ESC, '@', 'b', LF}, []string{"b"}, 0},
		{"cut ends the line", []byte{'a', GS, 'V', 0, 'b'}, []string{"a", "b"}, 1},
		{"old partial cut", []byte{ESC, 'i', ESC, 'm'}, nil, 2},
		{"raster image", []byte{GS, 'v', '0', 0, 1, 0, 3, 0, 1, 2, 3}, []string{"[image 8x3]"}, 0},
		{"barcode code set C", []byte{GS, 'k', 73, 6, '{', 'B', 'E', '{', 'C', 12}, []string{"[barcode E12]"}, 0},
		{"barcode escaped brace", []byte{GS, 'k', 73, 5, '{', 'B', 'a', '{', '{'}, []string{"[barcode a{]"}, 0},
		{"qr printed twice", []byte{GS, '(', 'k', 4, 0, 49, 80, 48, 'q', GS, '(', 'k', 3, 0, 49, 81, 48, GS, '(', 'k', 3, 0, 49, 81, 48},
			[]string{"[QR q]", "[QR q]"}, 0},
		{"qr print with nothing stored", []byte{GS, '(', 'k', 3, 0, 49, 81, 48}, nil, 0},
		{"default tabs", []byte{'a', '\t', 'b', LF}, []string{"a       b"}, 0},
		{"set tabs", []byte{ESC, 'D', 3, 6, 0, '\t', 'a', '\t', 'b', '\t', 'c', LF}, []string{"   a  bc"}, 0},
		{"gb invalid trail byte", []byte{FS, '&', 0xb0, 0x20, LF}, []string{"\ufffd "}, 0},
		{"gb 0x80", []byte{FS, '&', 0x80, 'a'}, []string{"\ufffda"}, 0},
		{"gb four bytes", []byte{FS, '&', 0x81, 0x30, 0x84, 0x36}, []string{"¥"}, 0},
		{"cp437 outside chinese mode", []byte{0x82, 0x9c, LF}, []string{"é£"}, 0},
		{"cp1252 after ESC t 16", []byte{ESC, 't', 16, 0x80, LF}, []string{"€"}, 0},
		{"chinese mode is off by default", []byte{0xba, 0xcf, LF}, []string{"║╧"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Decode(tt.in)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := doc.Text(); !reflect.DeepEqual(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("Text() = %q, want %q", got, tt.want)
			}
			if doc.Cuts != tt.cuts || len(doc.Unknown) != 0 {
				t.Errorf("cuts %d (want %d), unknown %q", doc.Cuts, tt.cuts, doc.Unknown)
			}
		})
	}
}

func TestDecodeCodePagesRecorded(t *testing.T) {
	doc, err := Decode([]byte{0x82, ESC, 't', 16, 0x80, ESC, 't', 99, 0x82})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"CP437", "CP1252"}; !reflect.DeepEqual(doc.CodePages, want) {
		t.Errorf("CodePages = %q, want %q", doc.CodePages, want)
	}
	if len(doc.Unknown) != 1 || !strings.Contains(doc.Unknown[0], "0x1b 0x74 0x63 at offset 5") {
		t.Errorf("Unknown = %q", doc.Unknown)
	}
	if got := doc.Text(); !reflect.DeepEqual(got, []string{"é€é"}) {
		t.Errorf("Text() = %q", got)
	}
}

func TestDecodeForBootMode(t *testing.T) {
	in := []byte{0xba, 0xcf, LF, ESC, '@', FS, '.', 0xba, 0xcf, LF, ESC, '@', 0xbc, 0xc6, LF}
	p := p80(t)
	p.ChineseAtBoot = true
	doc, err := DecodeFor(in, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"合", "║╧", "计"}; !reflect.DeepEqual(doc.Text(), want) {
		t.Errorf("boot on: %q, want %q", doc.Text(), want)
	}
	p.ChineseAtBoot = false
	doc, _ = DecodeFor(in, p)
	if want := []string{"║╧", "║╧", "╝╞"}; !reflect.DeepEqual(doc.Text(), want) {
		t.Errorf("boot off: %q, want %q", doc.Text(), want)
	}
}

func TestDecodeUnknown(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []string
		text []string
	}{
		{"ESC", []byte("ab\n\x1b\x99cd\n"), []string{"0x1b 0x99 at offset 3"}, []string{"ab", "cd"}},
		{"GS", []byte{GS, 'Z', 'x'}, []string{"0x1d 0x5a at offset 0"}, []string{"x"}},
		{"FS", []byte{FS, 'q', 'x'}, []string{"0x1c 0x71 at offset 0"}, []string{"x"}},
		{"DLE", []byte{DLE, 0x20, 'x'}, []string{"0x10 0x20 at offset 0"}, []string{"x"}},
		{"control byte", []byte{'x', 0x07}, []string{"0x07 at offset 1"}, []string{"x"}},
		{"GS ( with known length", []byte{GS, '(', 'E', 2, 0, 'Q', 'Q', 'x'}, []string{"0x1d 0x28 0x45 at offset 0"}, []string{"x"}},
		{"GS V unknown mode", []byte{GS, 'V', 7, 'x'}, []string{"0x1d 0x56 0x07 at offset 0"}, []string{"x"}},
		{"GS k unknown type", []byte{GS, 'k', 30, 'x'}, []string{"0x1d 0x6b 0x1e at offset 0"}, []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Decode(tt.in)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(doc.Unknown, tt.want) {
				t.Errorf("Unknown = %q, want %q", doc.Unknown, tt.want)
			}
			if !reflect.DeepEqual(doc.Text(), tt.text) {
				t.Errorf("Text() = %q, want %q", doc.Text(), tt.text)
			}
		})
	}
	// A flood of unknown commands is bounded.
	doc, _ := Decode(bytes.Repeat([]byte{0x07}, 1000))
	if len(doc.Unknown) != maxUnknown+1 || !strings.Contains(doc.Unknown[maxUnknown], "936 more") {
		t.Errorf("%d unknown entries, last %q", len(doc.Unknown), doc.Unknown[len(doc.Unknown)-1])
	}
}

func TestDecodeTruncated(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		offset string
		lines  []string
	}{
		{"ESC alone", []byte("ok\n\x1b"), "truncated ESC command at offset 3", []string{"ok"}},
		{"ESC a", []byte("ok\nab\x1ba"), "truncated ESC a at offset 5", []string{"ok", "ab"}},
		{"ESC p", []byte{ESC, 'p', 0}, "truncated ESC p at offset 0", nil},
		{"GS V 66", []byte{GS, 'V', 66}, "truncated GS V at offset 0", nil},
		{"GS k data", []byte{GS, 'k', 73, 9, '{', 'B'}, "truncated GS k barcode data at offset 0", nil},
		{"GS k no NUL", []byte{GS, 'k', 4, 'A'}, "offset 0", nil},
		{"GS ( k", []byte{'x', GS, '(', 'k', 10, 0, 49}, "truncated GS ( k at offset 1", []string{"x"}},
		{"GS v 0", []byte{GS, 'v', '0', 0, 10, 0, 10, 0, 1}, "truncated GS v 0 image data at offset 0", nil},
		{"GS 8 L huge", []byte{GS, '8', 'L', 0xff, 0xff, 0xff, 0xff, 0}, "truncated GS 8 L at offset 0", nil},
		{"ESC D", []byte{ESC, 'D', 4, 8}, "truncated ESC D at offset 0", nil},
		{"GB character", []byte{FS, '&', 0xba, 0xcf, 0xba}, "truncated GB18030 character at offset 4", []string{"合"}},
		{"GB four bytes", []byte{FS, '&', 0x81, 0x30, 0x84}, "truncated GB18030 character at offset 2", nil},
		{"DLE EOT", []byte{DLE, EOT}, "truncated DLE EOT at offset 0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Decode(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.offset) {
				t.Fatalf("err = %v, want %q", err, tt.offset)
			}
			var te *truncatedError
			if !errors.As(err, &te) {
				t.Errorf("err is %T", err)
			}
			if doc == nil {
				t.Fatal("no doc")
			}
			if got := doc.Text(); !reflect.DeepEqual(got, tt.lines) && len(got)+len(tt.lines) > 0 {
				t.Errorf("Text() = %q, want %q", got, tt.lines)
			}
		})
	}
}

func TestDecodeMaxLines(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"feeds", bytes.Repeat([]byte{ESC, 'd', 255}, MaxLines/255+2), "stopped at offset 588"},
		{"line feeds then text", append(bytes.Repeat([]byte{LF}, MaxLines), 'x'), "stopped at offset 50001"},
		{"codes", bytes.Repeat([]byte{GS, 'k', 4, 'A', 0}, MaxLines+1), "stopped at offset 250000"},
	}
	for _, tt := range tests {
		doc, err := Decode(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		if len(doc.Lines) != MaxLines {
			t.Errorf("%s: %d lines", tt.name, len(doc.Lines))
		}
	}
	if _, err := Decode(bytes.Repeat([]byte{LF}, MaxLines)); err != nil {
		t.Errorf("exactly MaxLines lines: %v", err)
	}
}

// sample builds a stream using every encoder command.
func sample(p Profile) []byte {
	e := NewEncoder(p).Init()
	e.Align(Center).Size(2, 2).Bold(true).Line("人民路店 Store")
	e.Size(1, 1).Bold(false).Line("顾客联").Align(Left)
	e.Invert(true).Line("** 重打 REPRINT **").Invert(false)
	e.Underline(2).Line("订单号: E20240101").Underline(0)
	e.Font(FontB).Line("font B ￥12.00 ¥3").Font(FontA)
	e.LineSpacing(40).Line("宫保鸡丁 x2").DefaultLineSpacing()
	for _, l := range Columns(p.ColsA, []Col{{}, {Width: 4, Align: Right}, {Width: 8, Align: Right}},
		[]string{"超长的招牌宫保鸡丁盖浇饭加大份 Extra Large", "2", "128.00"}) {
		e.Line(l)
	}
	e.Pulse(2).Beep(1, 1)
	e.Align(Center).QR("E20240101", 6).Barcode128("E20240101").Align(Left)
	e.Feed(1).Cut(true)
	return e.Bytes()
}

func TestDecodeEveryPrefix(t *testing.T) {
	full := sample(p80(t))
	whole, err := Decode(full)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= len(full); n++ {
		doc, err := Decode(full[:n])
		if doc == nil {
			t.Fatalf("prefix %d: nil doc", n)
		}
		if err != nil && !strings.Contains(err.Error(), "at offset") {
			t.Fatalf("prefix %d: error %v names no offset", n, err)
		}
		// Every complete line decoded from a prefix is the same line as in the whole.
		for i := 0; i+1 < len(doc.Lines); i++ {
			if !reflect.DeepEqual(doc.Lines[i], whole.Lines[i]) {
				t.Fatalf("prefix %d: line %d = %+v, want %+v", n, i, doc.Lines[i], whole.Lines[i])
			}
		}
		if len(doc.Unknown) != 0 {
			t.Fatalf("prefix %d: unknown %q", n, doc.Unknown)
		}
	}
}

func TestDumpGolden(t *testing.T) {
	for _, p := range Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			b := sample(p)
			doc, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "sample-"+p.Name+".bin"), b)
			golden(t, filepath.Join("testdata", "sample-"+p.Name+".txt"), []byte(doc.Dump()))
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test -update after checking):\ngot:\n%s", path, got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(sample(Profiles()[0]))
	f.Add([]byte{GS, 'k', 73, 6, '{', 'C', 12, '{', 'B', 'x'})
	f.Add([]byte{ESC, 'D', 1, 2, 3, 0, '\t', FS, '&', 0x81, 0x30, 0x84, 0x36, 0xff, 0x80})
	f.Add([]byte{GS, '(', 'k', 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Decode(b)
		if doc == nil {
			t.Fatal("nil doc")
		}
		if err != nil && !strings.Contains(err.Error(), "at offset") {
			t.Fatalf("error %v names no offset", err)
		}
		if len(doc.Unknown) > maxUnknown+1 {
			t.Fatalf("%d unknown entries", len(doc.Unknown))
		}
		for _, l := range doc.Lines {
			if !utf8.ValidString(l.Text) || l.Width < 1 || l.Width > 8 || l.Height < 1 || l.Height > 8 {
				t.Fatalf("bad line %+v", l)
			}
		}
		_ = doc.Dump()
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("Total 合计 12")
	f.Add("¥ ￥ € 😀 \x00 \xff")
	f.Fuzz(func(t *testing.T, s string) {
		b := NewEncoder(Profiles()[1]).Init().Text(s).Bytes()
		doc, err := Decode(b)
		if err != nil || len(doc.Unknown) > 0 {
			t.Fatalf("Decode(% x): %v %q", b, err, doc.Unknown)
		}
		// A text wider than the paper continues on the next line; nothing
		// is lost, and no line is wider than the paper.
		want := Printable(s)
		got := strings.Join(doc.Text(), "")
		if got != want {
			t.Fatalf("round trip of %q = %q, want %q", s, got, want)
		}
		dots := 0
		for _, l := range doc.Lines {
			if l.Dots > Profiles()[1].Dots {
				t.Fatalf("line %q is %d dots wide", l.Text, l.Dots)
			}
			dots += l.Dots
		}
		if dots != Width(s)*FontADots {
			t.Fatalf("Dots %d, Width %d", dots, Width(s))
		}
	})
}
