package escpos

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWidth(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc 12", 6},
		{"合计", 4},
		{"Total 合计 12", 13},
		{"￥12.00", 7},
		{"¥", 1},    // printed through the code page (PC437 0x9d)
		{"é·—①", 8}, // ambiguous East Asian Width: 2 columns in GB
		{"😀", 1},    // printed as "?"
		{"a\tb", 3}, // the tab prints as "?"
		{"\xff", 1},
		{"ｱ", 1}, // half-width katakana: not in GBK nor in PC437, printed as "?"
	}
	for _, tt := range tests {
		if got := Width(tt.in); got != tt.want {
			t.Errorf("Width(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestPad(t *testing.T) {
	tests := []struct {
		in    string
		cols  int
		align Align
		want  string
	}{
		{"ab", 5, Left, "ab   "},
		{"ab", 5, Right, "   ab"},
		{"ab", 5, Center, " ab  "},
		{"合计", 6, Right, "  合计"},
		{"合计", 3, Left, "合 "}, // the second character would straddle the edge
		{"abcdef", 3, Right, "abc"},
		{"x", 0, Left, ""},
	}
	for _, tt := range tests {
		got := Pad(tt.in, tt.cols, tt.align)
		if got != tt.want {
			t.Errorf("Pad(%q, %d, %v) = %q, want %q", tt.in, tt.cols, tt.align, got, tt.want)
		}
		if tt.cols > 0 && Width(got) != tt.cols {
			t.Errorf("Pad(%q, %d) is %d columns wide", tt.in, tt.cols, Width(got))
		}
	}
	if got := PadLeft("12.00", 8); got != "   12.00" {
		t.Errorf("PadLeft = %q", got)
	}
	if got := PadRight("宫保", 6); got != "宫保  " {
		t.Errorf("PadRight = %q", got)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in   string
		cols int
		want []string
	}{
		{"", 10, []string{""}},
		{"hello world", 20, []string{"hello world"}},
		{"hello world", 5, []string{"hello", "world"}},
		{"hello  big world", 9, []string{"hello", "big world"}},
		{"  indent me", 20, []string{"  indent me"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"ab abcdefghij", 4, []string{"ab", "abcd", "efgh", "ij"}},
		{"宫保鸡丁盖饭", 5, []string{"宫保", "鸡丁", "盖饭"}},
		{"宫保鸡丁盖饭", 4, []string{"宫保", "鸡丁", "盖饭"}},
		{"Burger汉堡套餐", 10, []string{"Burger汉堡", "套餐"}},
		{"好吃，不贵。真的", 6, []string{"好吃，", "不贵。", "真的"}},
		{"套餐（含例汤）", 6, []string{"套餐", "（含例", "汤）"}},
		{"“好”", 2, []string{"“", "好", "”"}}, // glued marks wider than a line are split again
		{"line1\nline2", 10, []string{"line1", "line2"}},
		{"a\r\n\nb", 10, []string{"a", "", "b"}},
		{"合", 1, []string{"合"}}, // a wide character on a line narrower than itself
		{"ab", 0, []string{"a", "b"}},
		{"word   ", 4, []string{"word"}},
	}
	for _, tt := range tests {
		got := Wrap(tt.in, tt.cols)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.cols, got, tt.want)
		}
	}
}

// checkWrap asserts what every Wrap result must satisfy.
func checkWrap(t *testing.T, s string, cols int, lines []string) {
	t.Helper()
	if len(lines) == 0 {
		t.Fatalf("Wrap(%q, %d) returned no lines", s, cols)
	}
	c := max(cols, 1)
	pos := 0
	for _, l := range lines {
		if Width(l) > c && utf8.RuneCountInString(l) != 1 {
			t.Fatalf("Wrap(%q, %d): line %q is %d columns wide", s, cols, l, Width(l))
		}
		i := strings.Index(s[pos:], l)
		if i < 0 {
			t.Fatalf("Wrap(%q, %d): line %q is not the next piece of the input (a character was split)", s, cols, l)
		}
		pos += i + len(l)
	}
	strip := func(x string) string {
		return strings.NewReplacer(" ", "", "\n", "", "\r", "").Replace(x)
	}
	if got, want := strip(strings.Join(lines, "")), strip(s); got != want {
		t.Fatalf("Wrap(%q, %d) lost text: joined %q, want %q", s, cols, got, want)
	}
}

func TestWrapLinearTime(t *testing.T) {
	// Long runs of glued punctuation and of one word must not make Wrap slow.
	for _, s := range []string{strings.Repeat("（", 50000), strings.Repeat("好，", 25000), strings.Repeat("x", 100000)} {
		lines := Wrap(s, 3)
		if len(lines) < 25000 {
			t.Errorf("%d lines", len(lines))
		}
	}
}

func TestWrapProperties(t *testing.T) {
	inputs := []string{
		"宫保鸡丁 Kung Pao Chicken 大份 （微辣） x2",
		"Extra-long-identifier-without-any-space-at-all-E2024010112345",
		"é·—① mixed ￥12.00 ¥3 😀 emoji",
		"美式咖啡/大杯/少冰/加浓缩/燕麦奶/三分糖/去冰/打包带走谢谢",
		"   ",
		"a\tb\x00c",
	}
	for _, s := range inputs {
		for cols := 0; cols <= 20; cols++ {
			checkWrap(t, s, cols, Wrap(s, cols))
		}
	}
}

func FuzzWrap(f *testing.F) {
	f.Add("宫保鸡丁 Kung Pao Chicken", 7)
	f.Add("好吃，不贵。", 3)
	f.Add("a\xffb\r\n c", 1)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, s string, cols int) {
		cols %= 100
		lines := Wrap(s, cols)
		checkWrap(t, s, cols, lines)
	})
}

func sp(n int) string { return strings.Repeat(" ", n) }

func TestColumns(t *testing.T) {
	specs := []Col{{Width: 0, Align: Left}, {Width: 4, Align: Right}, {Width: 8, Align: Right}}
	tests := []struct {
		name  string
		cols  int
		specs []Col
		cells []string
		want  []string
	}{
		{"one row", 32, specs, []string{"宫保鸡丁", "2", "36.00"},
			[]string{"宫保鸡丁" + sp(14) + "2" + sp(4) + "36.00"}},
		{"long chinese name wraps in its column", 32, specs,
			[]string{"超长的招牌宫保鸡丁盖浇饭加大份", "1", "128.00"},
			[]string{"超长的招牌宫保鸡丁" + sp(4) + "1" + sp(3) + "128.00", "盖浇饭加大份"}},
		{"header", 32, specs, []string{"商品", "数量", "金额"},
			[]string{"商品" + sp(15) + "数量" + sp(5) + "金额"}},
		{"missing cells", 20, specs, []string{"x"}, []string{"x"}},
		{"extra cells join the last", 20, []Col{{Width: 5}, {Width: 0}}, []string{"a", "b", "c"},
			[]string{"a     b c"}},
		{"centred", 11, []Col{{Width: 5, Align: Center}, {Width: 5, Align: Center}}, []string{"a", "合"},
			[]string{"  a    合"}},
		{"fixed widths too wide are narrowed", 10, []Col{{Width: 8}, {Width: 8, Align: Right}}, []string{"abc", "12"},
			[]string{"abc     12"}},
		{"no specs", 5, nil, []string{"hello world"}, []string{"hello", "world"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Columns(tt.cols, tt.specs, tt.cells)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Columns = %q\nwant      %q", got, tt.want)
			}
			for _, l := range got {
				if Width(l) > tt.cols {
					t.Errorf("line %q is %d columns, more than %d", l, Width(l), tt.cols)
				}
			}
		})
	}
}

func FuzzColumns(f *testing.F) {
	f.Add(32, 4, 8, "宫保鸡丁 Kung Pao", "2", "36.00")
	f.Add(3, 5, 5, "合合合", "合", "x")
	f.Fuzz(func(t *testing.T, cols, w1, w2 int, a, b, c string) {
		cols, w1, w2 = cols%200, w1%50, w2%50
		lines := Columns(cols, []Col{{Width: 0}, {Width: w1, Align: Right}, {Width: w2, Align: Center}}, []string{a, b, c})
		if len(lines) == 0 {
			t.Fatal("no lines")
		}
		for _, l := range lines {
			if Width(l) > max(cols, 1) {
				t.Fatalf("line %q is %d columns, more than %d", l, Width(l), cols)
			}
		}
	})
}
