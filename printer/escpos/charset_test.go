package escpos

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func profileNamed(t testing.TB, name string) Profile {
	t.Helper()
	p, ok := LookupProfile(name)
	if !ok {
		t.Fatalf("no profile %q", name)
	}
	return p
}

func TestCharsetsPerProfile(t *testing.T) {
	gbk := profileNamed(t, "80mm")
	gb18030 := profileNamed(t, "tm-t88")
	latin := gbk
	latin.Chinese, latin.CodePage = ChineseNone, "cp858"
	ascii := gbk
	ascii.Chinese, ascii.CodePage = ChineseNone, CodePageNone
	on := []byte{FS, '&'}
	tests := []struct {
		name  string
		p     Profile
		in    string
		want  []byte // after Init
		width int
	}{
		{"gbk chinese", gbk, "合计", cat(on, []byte{0xba, 0xcf, 0xbc, 0xc6}), 4},
		{"gbk euro is replaced", gbk, "€", []byte("?"), 1},
		{"gb18030 euro", gb18030, "€", cat(on, []byte{0xa2, 0xe3}), 2},
		{"gb18030 four-byte character", gb18030, "㐀", cat(on, []byte{0x81, 0x39, 0xee, 0x39}), 2},
		{"gbk four-byte character replaced", gbk, "㐀", []byte("?"), 1},
		{"yen through PC437 everywhere", gb18030, "¥", []byte{ESC, 't', 0, 0x9d}, 1},
		{"accented latin is GBK first", gbk, "é", cat(on, []byte{0xa8, 0xa6}), 2},
		{"latin printer: code page 858", latin, "é€", []byte{ESC, 't', 19, 0x82, 0xd5}, 2},
		{"latin printer: chinese replaced", latin, "合a", []byte("?a"), 2},
		{"ascii only printer", ascii, "é合x", []byte("??x"), 3},
		{"emoji replaced on every printer", gb18030, "😀", []byte("?"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewEncoder(tt.p).Init().Text(tt.in)
			want := cat([]byte{ESC, '@', FS, '.'}, tt.want)
			if !bytes.Equal(e.Bytes(), want) {
				t.Errorf("Text(%q) = % x\nwant           % x", tt.in, e.Bytes(), want)
			}
			if got := tt.p.Width(tt.in); got != tt.width {
				t.Errorf("Width(%q) = %d, want %d", tt.in, got, tt.width)
			}
			doc, err := Decode(e.Bytes())
			if err != nil || len(doc.Unknown) > 0 {
				t.Fatalf("decode: %v %q", err, doc.Unknown)
			}
			if got := strings.Join(doc.Text(), ""); got != tt.p.Printable(tt.in) {
				t.Errorf("decoded %q, want %q", got, tt.p.Printable(tt.in))
			}
		})
	}
}

func TestEncoderNeverSplitsADoubleByteCharacter(t *testing.T) {
	long := strings.Repeat("宫保鸡丁a", 40)
	for _, p := range Profiles() {
		for _, size := range []int{1, 2, 3} {
			for _, font := range []Font{FontA, FontB} {
				e := NewEncoder(p).Init().Font(font).Size(size, 1).Text("x").Line(long)
				doc, err := DecodeFor(e.Bytes(), p)
				if err != nil {
					t.Fatal(err)
				}
				joined := ""
				for _, l := range doc.Lines {
					if l.Dots > p.Dots {
						t.Errorf("%s size %d font %d: line %q is %d dots, paper %d", p.Name, size, font, l.Text, l.Dots, p.Dots)
					}
					if strings.ContainsRune(l.Text, utf8.RuneError) {
						t.Errorf("%s: a character was split: %q", p.Name, l.Text)
					}
					joined += l.Text
				}
				if joined != "x"+long {
					t.Errorf("%s size %d: text lost: %q", p.Name, size, joined)
				}
				// A printer that wraps by itself sees no line wider than the
				// paper either: the encoder broke them.
				raw, _ := Decode(e.Bytes())
				if len(raw.Lines) != len(doc.Lines) {
					t.Errorf("%s size %d: encoder made %d lines, paper shows %d", p.Name, size, len(raw.Lines), len(doc.Lines))
				}
			}
		}
	}
}

func TestRowMatchesColumns(t *testing.T) {
	specs := []Col{{}, {Width: 4, Align: Right}, {Width: 8, Align: Center}}
	rows := [][]string{
		{"招牌超长名称的宫保鸡丁盖浇饭加大份 Extra", "12", "1234.50"},
		{"a", "", ""},
		{"", "", "x"},
		{"Averyveryveryveryverylongwordwithoutspace", "1", "1"},
	}
	for _, p := range Profiles() {
		for _, row := range rows {
			e := NewEncoder(p).Init().Row(specs, row...)
			doc, err := Decode(e.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			want := p.Columns(p.ColsA, specs, row)
			if got := doc.Text(); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s Row(%q) = %q\nColumns      = %q", p.Name, row, got, want)
			}
		}
	}
	if err := NewEncoder(profileNamed(t, "58mm")).Row(specs[:1], "a", "b").Err(); err == nil {
		t.Error("Row with more cells than columns: no error")
	}
}

func TestRenderAllocations(t *testing.T) {
	p := profileNamed(t, "80mm")
	e := NewEncoder(p)
	specs := []Col{{}, {Width: 4, Align: Right}, {Width: 8, Align: Right}}
	allocs := testing.AllocsPerRun(100, func() {
		e.Reset()
		e.Init().Row(specs, "招牌宫保鸡丁盖浇饭", "2", "36.00").Paragraph("不要香菜，多放辣。到了请打电话，谢谢！").Spaces(3).Rule('-')
	})
	if allocs != 0 {
		t.Errorf("%v allocations per row and paragraph, want 0", allocs)
	}
}

// TestRoundTripStyles encodes tricky text in every style and alignment and
// decodes it for the same printer: the text, each run's style and the
// alignment come back, and no line is wider than the paper.
func TestRoundTripStyles(t *testing.T) {
	inputs := []struct {
		name string
		text string
	}{
		{"mixed chinese and latin", "宫保鸡丁 Kung Pao x2 合计 12.50"},
		{"yen signs", "￥128.00 ¥3.50"},
		{"emoji", "🍔 Burger 汉堡 😀"},
		{"four-byte GB18030", "㐀䶵 古字"},
		{"code page latin", "Señor Crêpe ñ ü ß"},
		{"very long name", strings.Repeat("招牌超长名称 Extra Long ", 12)},
		{"punctuation", "（微辣）【招牌】「新品」—…·"},
		{"control characters", "a\tb\x00c\x7f"},
	}
	styles := []struct {
		name string
		set  func(e *Encoder)
		want Style
	}{
		{"plain", func(e *Encoder) {}, Style{Width: 1, Height: 1}},
		{"bold", func(e *Encoder) { e.Bold(true) }, Style{Bold: true, Width: 1, Height: 1}},
		{"double", func(e *Encoder) { e.Size(2, 2) }, Style{Width: 2, Height: 2}},
		{"tall underlined", func(e *Encoder) { e.Size(1, 3).Underline(2) }, Style{Underline: 2, Width: 1, Height: 3}},
		{"inverted font B", func(e *Encoder) { e.Invert(true).Font(FontB) }, Style{Invert: true, Font: FontB, Width: 1, Height: 1}},
	}
	for _, p := range Profiles() {
		for _, in := range inputs {
			for _, st := range styles {
				for _, a := range []Align{Left, Center, Right} {
					e := NewEncoder(p).Init().Align(a)
					st.set(e)
					e.Line(in.text)
					doc, err := DecodeFor(e.Bytes(), p)
					if err != nil || len(doc.Unknown) > 0 {
						t.Fatalf("%s/%s/%s: %v %q", p.Name, in.name, st.name, err, doc.Unknown)
					}
					var text strings.Builder
					for _, l := range doc.Lines {
						if l.Align != a || l.Dots > p.Dots {
							t.Errorf("%s/%s/%s: line %q align %v dots %d", p.Name, in.name, st.name, l.Text, l.Align, l.Dots)
						}
						for _, s := range l.Spans {
							if s.Style != st.want {
								t.Errorf("%s/%s/%s: style %+v, want %+v", p.Name, in.name, st.name, s.Style, st.want)
							}
						}
						text.WriteString(l.Text)
					}
					if got, want := text.String(), p.Printable(in.text); got != want {
						t.Errorf("%s/%s/%s: text %q, want %q", p.Name, in.name, st.name, got, want)
					}
				}
			}
		}
	}
}
