package markup

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"storeedge/printer/escpos"
)

func profile(t testing.TB, name string) escpos.Profile {
	t.Helper()
	p, ok := escpos.LookupProfile(name)
	if !ok {
		t.Fatalf("no profile %q", name)
	}
	return p
}

// dump prints src on 58 mm paper and returns the decoded lines as Dump
// writes them, without the cut count line.
func dump(t *testing.T, src string, opt Options) (string, Result, error) {
	t.Helper()
	e := escpos.NewEncoder(profile(t, "58mm")).Init()
	res, err := Render(e, src, opt)
	if err != nil {
		return "", res, err
	}
	doc, derr := escpos.Decode(e.Bytes())
	if derr != nil || len(doc.Unknown) > 0 {
		t.Fatalf("decode: %v %q", derr, doc.Unknown)
	}
	d := doc.Dump()
	return strings.TrimSpace(d), res, nil
}

func lines(s ...string) string { return strings.Join(s, "\n") }

func TestRenderTags(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"plain lines", "a\nb", lines("L           |a", "L           |b", "-- cuts: 0")},
		{"feie BR", "<CB>标题</CB><BR>正文<BR>", lines("C 2x2       |标题", "L           |正文", "-- cuts: 0")},
		{"BR then line feed is one break", "a<BR>\nb<BR>\n", lines("L           |a", "L           |b", "-- cuts: 0")},
		{"empty lines are kept", "a\n\nb", lines("L           |a", "L           |", "L           |b", "-- cuts: 0")},
		{"styles nest", "<B><BOLD>x</BOLD></B><L>y</L><W>z</W>", lines("L B 2x2     |xyz",
			"  span B 2x2|x", "  span 1x2  |y", "  span 2x1  |z", "-- cuts: 0")},
		{"alignment from the first character", "<RIGHT>r</RIGHT><C>c</C>", lines("R           |rc", "-- cuts: 0")},
		{"yilianyun sizes", "<FS>a</FS><FH>b</FH><FW2>c</FW2><FB>d</FB>", lines("L 2x2       |abcd",
			"  span 2x2  |a", "  span 1x2  |b", "  span 2x1  |c", "  span B    |d", "-- cuts: 0")},
		{"center and underline", "<center><U>u</U></center>", lines("C U         |u", "-- cuts: 0")},
		{"entities", "a &lt;B&gt; &amp; &#20320; &quot;", lines("L           |a <B> & 你 \"", "-- cuts: 0")},
		{"a lone < is text", "1 < 2 <3 <-", lines("L           |1 < 2 <3 <-", "-- cuts: 0")},
		{"at-at-2 enlarges the line", "@@2大字\n小字", lines("L 2x2       |大字", "L           |小字", "-- cuts: 0")},
		{"tab to four columns", "a\tb\tc", lines("L           |a   b   c", "-- cuts: 0")},
		{"long text wraps at words", strings.Repeat("word ", 10), lines(
			"L           |word word word word word word", "L           |word word word word", "-- cuts: 0")},
		{"wide text wraps at half width", "<B>宫保鸡丁盖浇饭加大份超长</B>", lines(
			"L 2x2       |宫保鸡丁盖浇饭加", "L 2x2       |大份超长", "-- cuts: 0")},
		{"qr centred", "<C><QR>https://example.com/o/1</QR></C>", lines("C           |[QR https://example.com/o/1]", "-- cuts: 0")},
		{"code128", "<BC128_A>E2024</BC128_A><BR2>A-1</BR2><BC128_C>1234</BC128_C>",
			lines("L           |[barcode E2024]", "L           |[barcode A-1]", "L           |[barcode 1234]", "-- cuts: 0")},
		{"yilianyun EAN-13 padded", "<BR>400638133393</BR><BR>123</BR>",
			lines("L           |[barcode 4006381333931]", "L           |[barcode 0000000001236]", "-- cuts: 0")},
		{"cut", "a<CUT>b", lines("L           |a", "L           |b", "-- cuts: 1")},
		{"rule", "<HR>", lines("L           |--------------------------------", "-- cuts: 0")},
		{"left and right", "<LR>合计,98.00</LR>", lines("L           |合计                       98.00", "-- cuts: 0")},
		{"table", "<table><tr><td>商品</td><td>数量</td><td>金额</td></tr>\n<tr><td>宫保鸡丁盖浇饭加大份特辣</td><td>2</td><td>36.00</td></tr></table>",
			lines("L           |商品                  数量  金额", "L           |宫保鸡丁盖浇饭加大份     2 36.00",
				"L           |特辣", "-- cuts: 0")},
		{"block then line feed", "<QR>x</QR>\ntext", lines("L           |[QR x]", "L           |text", "-- cuts: 0")},
		{"plugin opens the drawer", "<PLUGIN>", lines("-- cuts: 0", "-- drawer pulses: 1")},
		{"copies", "<MN>2</MN>x", lines("L           |x", "-- cuts: 0")},
		{"emoji and four-byte characters", "😀¥㐀", lines("L           |?¥?", "-- cuts: 0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := dump(t, tt.src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Render(%q):\n%s\nwant\n%s", tt.src, got, tt.want)
			}
		})
	}
}

func TestRenderResult(t *testing.T) {
	_, res, err := dump(t, "<MN>3</MN>a<CUT>", Options{})
	if err != nil || res.Copies != 3 || !res.EndsInCut {
		t.Errorf("res %+v err %v", res, err)
	}
	_, res, _ = dump(t, "<CUT>a", Options{})
	if res.EndsInCut || res.Copies != 1 {
		t.Errorf("res %+v", res)
	}
}

func TestRenderLogo(t *testing.T) {
	bm := escpos.NewBitmap(16, 4)
	bm.Set(0, 0)
	got, _, err := dump(t, "<LOGO>\n<C><LOGO></C>", Options{Logo: func(dots int) *escpos.Bitmap { return bm }})
	if err != nil || got != lines("L           |[image 16x4]", "C           |[image 16x4]", "-- cuts: 0") {
		t.Errorf("%q %v", got, err)
	}
	if got, _, err := dump(t, "<LOGO>", Options{}); err != nil || got != "-- cuts: 0" {
		t.Errorf("no logo: %q %v", got, err)
	}
	img := image.NewGray(image.Rect(0, 0, 8, 2))
	img.SetGray(0, 0, color.Gray{})
	load := func(name string) (image.Image, error) {
		if name == "logo.png" {
			return img, nil
		}
		return nil, os.ErrNotExist
	}
	if got, _, err := dump(t, "<LOGO>logo.png</LOGO>", Options{LoadImage: load}); err != nil || got != lines("L           |[image 8x2]", "-- cuts: 0") {
		t.Errorf("file logo: %q %v", got, err)
	}
	if _, _, err := dump(t, "\n<LOGO>gone.png</LOGO>", Options{LoadImage: load}); err == nil || !strings.Contains(err.Error(), "line 2: <LOGO>") {
		t.Errorf("missing file: %v", err)
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"unknown tag", "a\n<BLINK>x</BLINK>", "t.txt:2: unknown tag <BLINK>"},
		{"unknown closing tag", "</XX>", "t.txt:1: unknown tag </XX>"},
		{"never closed", "a\n<B>x\ny", "t.txt:2: <B> is never closed"},
		{"closes nothing", "<C>a</B>", "t.txt:1: </B> closes no open <B> (open: <C> from line 1)"},
		{"content never closed", "\n<QR>abc", "t.txt:2: <QR> is never closed"},
		{"empty qr", "<QR> </QR>", "t.txt:1: <QR> is empty"},
		{"tag in qr", "<QR>a<B>b</B></QR>", "<B> inside <QR>: only text may be there"},
		{"qr too long", "<QR>" + strings.Repeat("x", 3000) + "</QR>", "more than a QR code holds"},
		{"barcode not ascii", "<BC128_A>订单</BC128_A>", "printable ASCII only"},
		{"barcode too long", "<BC128_A>" + strings.Repeat("AB", 30) + "</BC128_A>", "too long for a barcode"},
		{"ean13 letters", "<BR>12A</BR>", "digits only"},
		{"ean13 bad check", "<BR>4006381333932</BR>", "check digit is 1"},
		{"copies", "<MN>12</MN>", "not a number of copies from 1 to 9"},
		{"lr without comma", "<LR>ab</LR>", "no comma"},
		{"stray closing content tag", "</QR>", "</QR> has no <QR> before it"},
		{"td outside table", "<td>x</td>", "<TD> outside <table>"},
		{"text between cells", "<table><tr>x<td>a</td></tr></table>", "text outside <td>"},
		{"table never closed", "<table><tr><td>a</td></tr>", "<table> is never closed"},
		{"logo file without loader", "<LOGO>a.png</LOGO>", "pictures cannot be loaded here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := dump(t, tt.src, Options{File: "t.txt"})
			var me *Error
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

type item struct {
	Name, Qty Text
}

func writeTemplate(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.tmpl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTemplateErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		parse   bool // the error is found when parsing
		wantMsg string
	}{
		{"template syntax", "a\n{{if .X}}\nb", true, ":3: unexpected EOF"},
		{"unknown function", "a\n\n{{nosuch .X}}", true, `:3: function "nosuch" not defined`},
		{"unknown tag", "ok\n<CB>a</CB>\n\n<BOLDX>b</BOLDX>", true, ":4: unknown tag <BOLDX>"},
		{"missing field", "line1\n{{.Missing}}", false, ":2: executing"},
		{"never closed across actions", "x\n{{range .Items}}<B>{{.Name}}\n{{end}}", false, ":2: <B> is never closed"},
		{"data too long for a qr code", "a\nb\n<QR>{{.Long}}</QR>", false, ":3: <QR>: 3000 bytes"},
		{"bad pad width", "{{pad .Store -1}}", false, `:1: executing "shop.tmpl" at <pad .Store -1>: error calling pad: pad: -1 is not within 0-1000`},
	}
	data := map[string]any{"Store": Text("店"), "Long": Text(strings.Repeat("x", 3000)),
		"Items": []item{{"a", "1"}, {"b", "2"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemplate(t, tt.src)
			tp, err := ParseFile(path, nil)
			if tt.parse {
				if err == nil || !strings.Contains(err.Error(), path+tt.wantMsg) {
					t.Fatalf("parse err = %v, want %q", err, path+tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := escpos.NewEncoder(profile(t, "80mm")).Init()
			_, err = tp.Render(e, "", data, Options{})
			if err == nil || !strings.Contains(err.Error(), path+tt.wantMsg) {
				t.Fatalf("render err = %v, want %q", err, path+tt.wantMsg)
			}
		})
	}
	if _, err := ParseFile(filepath.Join(t.TempDir(), "none.tmpl"), nil); err == nil || !strings.Contains(err.Error(), "cannot read template") {
		t.Errorf("missing file: %v", err)
	}
}

func TestTemplateDataNeverMakesTags(t *testing.T) {
	tp, err := Parse("t.tmpl", []byte("备注: {{.Note}}\n{{pad .Note 30}}|\n<QR>{{.Note}}</QR>"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := escpos.NewEncoder(profile(t, "80mm")).Init()
	note := Text("不要<CUT>辣 & <B>多</B>\x00")
	if _, err := tp.Render(e, "", map[string]any{"Note": note}, Options{}); err != nil {
		t.Fatal(err)
	}
	doc, _ := escpos.Decode(e.Bytes())
	got := doc.Text()
	want := []string{"备注: 不要<CUT>辣 & <B>多</B>?", "不要<CUT>辣 & <B>多</B>?      |", "[QR 不要<CUT>辣 & <B>多</B>?]"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || doc.Cuts != 0 {
		t.Errorf("got %q (cuts %d)\nwant %q", got, doc.Cuts, want)
	}
}

func TestTemplateFuncs(t *testing.T) {
	src := `{{pad "宫保" 6}}|{{padl "12" 4}}|{{center "ab" 6}}|{{trunc "宫保鸡丁" 5}}|{{width "合计a"}}|{{repeat "-" 3}}|{{upper "ab"}}|{{default "无" .Empty}}|{{range wrap "hello big world" 9}}[{{.}}]{{end}}`
	tp, err := Parse("f.tmpl", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tp.Execute("", map[string]any{"Empty": Text(" ")})
	if err != nil {
		t.Fatal(err)
	}
	got = stripMarkers(got)
	want := "宫保  |  12|  ab  |宫保|5|---|AB|无|[hello big][world]"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func stripMarkers(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == markStart {
			for i < len(s) && s[i] != markEnd {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestTemplateOutputIsBounded(t *testing.T) {
	tp, err := Parse("big.tmpl", []byte(`{{range .}}{{repeat "x" 1000}}{{end}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.Execute("", make([]int, 2000))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v", err)
	}
	if _, err := Parse("huge.tmpl", bytes.Repeat([]byte("x"), MaxTemplateSize+1), nil); err == nil {
		t.Error("huge template accepted")
	}
}

func FuzzRender(f *testing.F) {
	f.Add("<CB>标题</CB><BR>正文\n<table><tr><td>a</td><td>1</td></tr></table><QR>x</QR><CUT>")
	f.Add("<B><C>x</B></C>&lt;&#20320;@@2\t<LR>a,b</LR><BR>12</BR><MN>2</MN>")
	f.Add("\x00" + "12\x01<QR>\x0099\x01abc</QR>")
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		p, _ := escpos.LookupProfile("58mm")
		e := escpos.NewEncoder(p).Init()
		res, err := Render(e, src, Options{})
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			return
		}
		if res.Copies < 1 || res.Copies > 9 {
			t.Fatalf("copies %d", res.Copies)
		}
		doc, derr := escpos.DecodeFor(e.Bytes(), p)
		if derr != nil || len(doc.Unknown) > 0 {
			t.Fatalf("output does not decode: %v %q", derr, doc.Unknown)
		}
		for _, l := range doc.Lines {
			if l.Dots > p.Dots {
				t.Fatalf("line %q wider than the paper", l.Text)
			}
		}
	})
}
