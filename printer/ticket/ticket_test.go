package ticket

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/decimal"
	"storeedge/printer/escpos"
	"storeedge/sync/order"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var printedAt = time.Date(2024, 5, 23, 2, 13, 5, 0, time.UTC) // 10:13:05 CST

func fixture(t testing.TB) *order.Order {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := order.DecodeBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func cancelled(o *order.Order) *order.Order {
	c := *o
	c.Status = order.StatusCancelled
	c.Updated = o.Created.Add(20 * time.Minute)
	return &c
}

func profile(t testing.TB, name string) escpos.Profile {
	t.Helper()
	p, ok := escpos.LookupProfile(name)
	if !ok {
		t.Fatalf("no profile %q", name)
	}
	return p
}

func decode(t testing.TB, b []byte) *escpos.Doc {
	t.Helper()
	doc, err := escpos.Decode(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(doc.Unknown) > 0 {
		t.Fatalf("unknown commands: %q", doc.Unknown)
	}
	return doc
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
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
		t.Errorf("%s differs from the output (check it, then run go test -update):\n%s", path, got)
	}
}

// docsDir holds the committed pictures of the built-in tickets.
const docsDir = "../../docs/tickets"

// goldenPreview compares the picture of b with the PNG at path pixel by
// pixel, or writes it with -update.
func goldenPreview(t *testing.T, path string, b []byte, p escpos.Profile) {
	t.Helper()
	doc, err := escpos.DecodeFor(b, p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := doc.Preview(p)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
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
		t.Fatalf("%s is %v, the ticket's picture %v (check it, then run go test -update)", path, want.Bounds(), img.Bounds())
	}
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			if r, _, _, _ := want.At(x, y).RGBA(); uint8(r>>8) != img.GrayAt(x, y).Y {
				t.Fatalf("%s differs from the ticket's picture at %d,%d (check it, then run go test -update)", path, x, y)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	o := fixture(t)
	for _, pn := range []string{"58mm", "80mm"} {
		for _, kind := range []order.Kind{order.KindReceipt, order.KindKitchen, order.KindCancel} {
			t.Run(string(kind)+"-"+pn, func(t *testing.T) {
				tk := Ticket{Order: o, Kind: kind, Copy: 1, Copies: 1, PrintedAt: printedAt}
				if kind == order.KindCancel {
					tk.Order = cancelled(o)
				}
				b, err := Render(tk, profile(t, pn))
				if err != nil {
					t.Fatal(err)
				}
				doc := decode(t, b)
				base := filepath.Join("testdata", string(kind)+"-"+pn)
				golden(t, base+".bin", b)
				golden(t, base+".txt", []byte(doc.Dump()))
				goldenPreview(t, filepath.Join(docsDir, string(kind)+"-"+pn+".png"), b, profile(t, pn))
			})
		}
		t.Run("testpage-"+pn, func(t *testing.T) {
			b := TestPage(profile(t, pn), "front 前台", printedAt)
			doc := decode(t, b)
			base := filepath.Join("testdata", "testpage-"+pn)
			golden(t, base+".bin", b)
			golden(t, base+".txt", []byte(doc.Dump()))
			goldenPreview(t, filepath.Join(docsDir, "testpage-"+pn+".png"), b, profile(t, pn))
		})
	}
}

// checkFits asserts every line of doc fits the paper of p.
func checkFits(t *testing.T, name string, doc *escpos.Doc, p escpos.Profile) {
	t.Helper()
	for i, l := range doc.Lines {
		if l.Dots > p.Dots {
			t.Errorf("%s line %d %q: %d dots, paper has %d", name, i, l.Text, l.Dots, p.Dots)
		}
		if cols := escpos.Width(l.Text) * l.Width; cols > p.Cols(l.Font) {
			t.Errorf("%s line %d %q: %d columns at %dx%d, paper has %d", name, i, l.Text, cols, l.Width, l.Height, p.Cols(l.Font))
		}
	}
}

func TestGoldenLinesFit(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("only %d golden files", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".bin")
		p := profile(t, name[strings.LastIndex(name, "-")+1:])
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc := decode(t, b)
		if len(doc.Lines) < 10 || doc.Cuts != 1 {
			t.Errorf("%s: %d lines, %d cuts", name, len(doc.Lines), doc.Cuts)
		}
		checkFits(t, name, doc, p)
	}
}

func TestMarks(t *testing.T) {
	o := fixture(t)
	tests := []struct {
		name     string
		reprint  bool
		copy     int
		copies   int
		intended string
	}{
		{"plain", false, 1, 1, ""},
		{"single copy numbered", false, 1, 1, ""},
		{"no copy numbers", false, 0, 0, ""},
		{"reprint", true, 1, 1, ""},
		{"second of three", false, 2, 3, ""},
		{"reprint on backup", true, 2, 2, "kitchen"},
		{"backup", false, 1, 1, "厨房打印机"},
	}
	for _, kind := range []order.Kind{order.KindReceipt, order.KindKitchen, order.KindCancel} {
		for _, tt := range tests {
			t.Run(string(kind)+"/"+tt.name, func(t *testing.T) {
				p := profile(t, "58mm")
				b, err := Render(Ticket{Order: o, Kind: kind, Copy: tt.copy, Copies: tt.copies,
					Reprint: tt.reprint, IntendedPrinter: tt.intended}, p)
				if err != nil {
					t.Fatal(err)
				}
				doc := decode(t, b)
				checkFits(t, tt.name, doc, p)
				marks, copyMarks, backup := 0, 0, 0
				for i, l := range doc.Lines {
					if strings.Contains(l.Text, "重打") || strings.Contains(l.Text, "REPRINT") {
						marks++
						if l.Text != ReprintMark || !l.Bold || !l.Invert || l.Align != escpos.Center {
							t.Errorf("line %d: reprint mark %+v", i, l)
						}
						if i != 0 && i != len(doc.Lines)-2 {
							t.Errorf("reprint mark on line %d of %d: not at the top and bottom", i, len(doc.Lines))
						}
					}
					if strings.Contains(l.Text, "联/共") {
						copyMarks++
						if !strings.Contains(l.Text, CopyMark(tt.copy, tt.copies)) {
							t.Errorf("copy mark %q, want %q", l.Text, CopyMark(tt.copy, tt.copies))
						}
					}
					if strings.Contains(l.Text, "原定") {
						backup++
						if !strings.Contains(l.Text, tt.intended) {
							t.Errorf("backup mark %q does not name %q", l.Text, tt.intended)
						}
					}
				}
				if want := map[bool]int{true: 2, false: 0}[tt.reprint]; marks != want {
					t.Errorf("%d reprint marks, want %d", marks, want)
				}
				if want := map[bool]int{true: 1, false: 0}[tt.copies > 1]; copyMarks != want {
					t.Errorf("%d copy marks, want %d", copyMarks, want)
				}
				if want := map[bool]int{true: 1, false: 0}[tt.intended != ""]; backup != want {
					t.Errorf("%d backup marks, want %d", backup, want)
				}
			})
		}
	}
}

func TestRenderErrors(t *testing.T) {
	o := fixture(t)
	p := profile(t, "80mm")
	long := *o
	long.ID = strings.Repeat("9", escpos.MaxQRData+1)
	tests := []struct {
		name string
		t    Ticket
		p    escpos.Profile
		want string
	}{
		{"nil order", Ticket{Kind: order.KindReceipt}, p, "order is nil"},
		{"unknown kind", Ticket{Order: o, Kind: "label"}, p, `kind "label" has no layout`},
		{"test kind", Ticket{Order: o, Kind: order.KindTest}, p, `kind "test" has no layout`},
		{"copy above copies", Ticket{Order: o, Kind: order.KindReceipt, Copy: 3, Copies: 2}, p, "copy 3 is not within 1-2"},
		{"copy zero", Ticket{Order: o, Kind: order.KindKitchen, Copy: 0, Copies: 2}, p, "copy 0"},
		{"bad profile", Ticket{Order: o, Kind: order.KindReceipt}, escpos.Profile{Name: "x"}, `printer profile "x"`},
		{"order id too long for a qr code", Ticket{Order: &long, Kind: order.KindReceipt}, p, "qr code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Render(tt.t, tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if b != nil {
				t.Errorf("bytes returned with the error")
			}
			if tt.t.Order != nil && !strings.Contains(err.Error(), tt.t.Order.ID[:10]) {
				t.Errorf("error %v does not name the order", err)
			}
		})
	}
}

// colSlice returns the characters of s lying within columns [from, to) on
// paper of p.
func colSlice(p escpos.Profile, s string, from, to int) string {
	var b strings.Builder
	c := 0
	for _, r := range s {
		w := p.RuneWidth(r)
		if c >= from && c+w <= to {
			b.WriteRune(r)
		}
		c += w
	}
	return b.String()
}

func isRule(s string) bool { return s != "" && strings.Trim(s, "-") == "" }

// itemColumn returns the text of the item-name column of a decoded ticket.
func itemColumn(t *testing.T, kind order.Kind, doc *escpos.Doc, p escpos.Profile, o *order.Order) string {
	t.Helper()
	text := doc.Text()
	start, width := -1, 0
	switch kind {
	case order.KindReceipt:
		for i, l := range text {
			if strings.HasPrefix(l, "商品") && strings.HasSuffix(l, "金额") {
				start = i + 1
				break
			}
		}
		width = tableWidths(p, o).name
	case order.KindKitchen:
		for i, l := range text {
			if isRule(l) {
				start = i + 1
				break
			}
		}
		width = p.ColsA - qtyWidth(o) - 1
	case order.KindCancel:
		for i, l := range text {
			if l == "以下商品已取消:" {
				start = i + 1
				break
			}
		}
		width = p.ColsA - qtyWidth(o) - 1
	}
	if start < 0 {
		t.Fatalf("no item table in\n%s", doc.Dump())
	}
	var b strings.Builder
	for _, l := range text[start:] {
		if isRule(l) {
			break
		}
		b.WriteString(colSlice(p, l, 0, width))
	}
	return strings.ReplaceAll(b.String(), " ", "")
}

func item(name string, qty string, amount string) order.Item {
	q, a := decimal.MustParse(qty), decimal.MustParse(amount)
	return order.Item{Name: name, Qty: q, Price: a, Amount: a}
}

func withItems(base *order.Order, items ...order.Item) *order.Order {
	o := *base
	o.Items = items
	o.ItemsTotal = decimal.Zero
	for _, it := range items {
		o.ItemsTotal = o.ItemsTotal.Add(it.Amount)
	}
	o.Total = o.ItemsTotal.Add(o.Shipping).Sub(o.Discount)
	return &o
}

func TestTrickyOrders(t *testing.T) {
	base := fixture(t)
	var many []order.Item
	for i := range 200 {
		many = append(many, item(fmt.Sprintf("商品%03d 测试Item", i), "1", "1.25"))
	}
	tests := []struct {
		name string
		o    *order.Order
	}{
		{"mixed chinese and latin", withItems(base,
			item("宫保鸡丁 Kung Pao Chicken", "2", "36.00"), item("Café 拿铁 Latte", "1", "22.00"))},
		{"yen signs", withItems(base, item("￥9.9特价鸡翅", "3", "29.70"), item("¥套餐 Set", "1", "15.00"))},
		{"four-byte GB18030 and code page characters", withItems(base, item("㐀䶵古字 Señor Crêpe ñ", "1", "9.00"), item("€5 Café", "2", "10.00"))},
		{"emoji", withItems(base, item("🍔 Burger 汉堡", "1", "25.00"), item("🔥辣翅😀", "2", "20.00"))},
		{"sixty-character names", withItems(base,
			item(strings.Repeat("超长名称", 15), "1", "88.00"),
			item(strings.Repeat("Long Name ", 6), "12", "1234.50"),
			item("Averyveryveryveryveryveryveryveryveryveryverylongwordwithoutspace", "1", "1.00"))},
		{"zero items", withItems(base)},
		{"200 items", withItems(base, many...)},
		{"weighed quantity and big amount", withItems(base, item("散装坚果", "0.355", "123456.78"))},
		{"no optional fields", &order.Order{Platform: "local", StoreID: "1", ID: "L1", Status: order.StatusPaid,
			Fulfilment: order.Fulfilment{Method: order.MethodNone}, Items: []order.Item{item("水", "1", "2.00")},
			ItemsTotal: decimal.MustParse("2"), Total: decimal.MustParse("2")}},
	}
	for _, tt := range tests {
		for _, p := range escpos.Profiles() {
			for _, kind := range []order.Kind{order.KindReceipt, order.KindKitchen, order.KindCancel} {
				t.Run(tt.name+"/"+p.Name+"/"+string(kind), func(t *testing.T) {
					b, err := Render(Ticket{Order: tt.o, Kind: kind, PrintedAt: printedAt}, p)
					if err != nil {
						t.Fatal(err)
					}
					doc := decode(t, b)
					checkFits(t, tt.name, doc, p)
					col := itemColumn(t, kind, doc, p, tt.o)
					at := 0
					for _, it := range tt.o.Items {
						want := strings.ReplaceAll(p.Printable(it.Name), " ", "")
						i := strings.Index(col[at:], want)
						if i < 0 {
							t.Fatalf("item %q not found in order in the name column %q", want, col[at:])
						}
						at += i + len(want)
					}
					if len(tt.o.Items) == 0 && !strings.Contains(col, "(无商品)") {
						t.Errorf("no empty-order line in %q", col)
					}
					if kind == order.KindReceipt {
						total := false
						for _, l := range doc.Text() {
							if strings.Contains(l, "实付") && strings.HasSuffix(l, " "+tt.o.Total.Fixed(2)) {
								total = true
							}
						}
						if !total {
							t.Errorf("no 实付 %s line in\n%s", tt.o.Total.Fixed(2), doc.Dump())
						}
					}
				})
			}
		}
	}
}

func TestTestPage(t *testing.T) {
	for _, p := range escpos.Profiles() {
		doc := decode(t, TestPage(p, "前台 front", printedAt))
		checkFits(t, "test page "+p.Name, doc, p)
		var rulerA, rulerB, chinese, name, qr bool
		for _, l := range doc.Lines {
			switch {
			case l.Text == ruler(p.ColsA) && l.Font == escpos.FontA:
				rulerA = true
			case l.Text == ruler(p.ColsB) && l.Font == escpos.FontB:
				rulerB = true
			case l.Text == strings.Repeat("中", p.ColsA/2):
				chinese = true
			case l.Text == "打印机: 前台 front":
				name = true
			case l.QR == TestQRData:
				qr = true
			}
		}
		if !rulerA || !rulerB || !chinese || !name || !qr || doc.Cuts != 1 {
			t.Errorf("%s: rulerA %v rulerB %v chinese %v name %v qr %v cuts %d\n%s",
				p.Name, rulerA, rulerB, chinese, name, qr, doc.Cuts, doc.Dump())
		}
	}
}

func benchOrder(b *testing.B) *order.Order {
	o := fixture(b)
	var items []order.Item
	for i := range 20 {
		items = append(items, order.Item{Name: fmt.Sprintf("招牌宫保鸡丁盖浇饭%02d号", i), Spec: "大份/微辣",
			Qty: decimal.FromInt(2), Price: decimal.FromFen(1800), Amount: decimal.FromFen(3600)})
	}
	return withItems(o, items...)
}

func BenchmarkRenderReceipt(b *testing.B) {
	o := benchOrder(b)
	p := profile(b, "80mm")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(Ticket{Order: o, Kind: order.KindReceipt, PrintedAt: printedAt}, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	bin, err := Render(Ticket{Order: benchOrder(b), Kind: order.KindReceipt, PrintedAt: printedAt}, profile(b, "80mm"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := escpos.Decode(bin); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add("宫保鸡丁 Kung Pao", "大份/微辣", "不要香菜\n谢谢", "A023", "2")
	f.Add("😀\t\x00\xff", "", "（（（（（（（（（（（（（（（（（（", "", "0.0001")
	base := fixture(f)
	f.Fuzz(func(t *testing.T, name, spec, note, pickup, qty string) {
		q, err := decimal.Parse(qty)
		if err != nil || q.Sign() <= 0 {
			return
		}
		o := withItems(base, order.Item{Name: name, Spec: spec, Qty: q, Amount: q.Mul(decimal.FromInt(3))})
		o.BuyerNote, o.PickupNo, o.Fulfilment.Address = note, pickup, note
		for _, p := range escpos.Profiles() {
			for _, kind := range []order.Kind{order.KindReceipt, order.KindKitchen, order.KindCancel} {
				b, err := Render(Ticket{Order: o, Kind: kind, Copy: 1, Copies: 2, Reprint: true, IntendedPrinter: pickup}, p)
				if err != nil {
					t.Fatal(err)
				}
				doc := decode(t, b)
				checkFits(t, string(kind), doc, p)
			}
		}
	})
}

func TestStoreName(t *testing.T) {
	o := fixture(t)
	tests := []struct {
		override string
		want     string
	}{
		{"", "人民路店"},
		{"  南京西路店\t", "南京西路店"},
	}
	for _, tt := range tests {
		for _, kind := range []order.Kind{order.KindReceipt, order.KindKitchen, order.KindCancel} {
			b, err := Render(Ticket{Order: o, Kind: kind, StoreName: tt.override}, profile(t, "80mm"))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, l := range decode(t, b).Lines {
				if l.Text == tt.want && l.Align == escpos.Center {
					found = true
				}
				if tt.override != "" && strings.Contains(l.Text, o.StoreName) {
					t.Errorf("%s: order's store name %q printed despite the override", kind, o.StoreName)
				}
			}
			if !found {
				t.Errorf("%s: no centred store name %q", kind, tt.want)
			}
		}
	}
}
