package ticket

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/printer/escpos"
	"storeedge/printer/markup"
	"storeedge/sync/order"
)

const exampleTemplate = "../../docs/tickets/example.tmpl"

// TestExampleTemplateGolden prints the documented example template for every
// kind and paper, and keeps the decoded text under testdata/.
func TestExampleTemplateGolden(t *testing.T) {
	tp, err := LoadTemplate(exampleTemplate)
	if err != nil {
		t.Fatal(err)
	}
	o := fixture(t)
	for _, pn := range []string{"58mm", "80mm"} {
		for _, kind := range []order.Kind{order.KindReceipt, order.KindKitchen, order.KindCancel} {
			t.Run(string(kind)+"-"+pn, func(t *testing.T) {
				tk := Ticket{Order: o, Kind: kind, PrintedAt: printedAt}
				if kind == order.KindCancel {
					tk.Order = cancelled(o)
				}
				p := profile(t, pn)
				b, err := tp.Render(tk, p)
				if err != nil {
					t.Fatal(err)
				}
				doc := decode(t, b)
				checkFits(t, string(kind), doc, p)
				if doc.Cuts != 1 {
					t.Errorf("%d cuts", doc.Cuts)
				}
				golden(t, filepath.Join("testdata", "template-"+string(kind)+"-"+pn+".txt"), []byte(doc.Dump()))
			})
		}
	}
}

func writeFile(t *testing.T, dir, name, src string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTemplateMarksAndCopies(t *testing.T) {
	dir := t.TempDir()
	o := fixture(t)
	p := profile(t, "80mm")
	tests := []struct {
		name    string
		src     string
		tk      Ticket
		cuts    int
		reprint int
		texts   []string
	}{
		{"reprint mark at top and bottom", "{{.Title}} {{.Order.ID}}", Ticket{Order: o, Kind: order.KindReceipt, Reprint: true}, 1, 2,
			[]string{ReprintMark, "顾客联 E20240523101215012345", ReprintMark}},
		{"template's own cut keeps the top mark", "{{.Title}}<CUT>", Ticket{Order: o, Kind: order.KindKitchen, Reprint: true}, 1, 1,
			[]string{ReprintMark, "厨房联"}},
		{"backup mark", "x", Ticket{Order: o, Kind: order.KindReceipt, IntendedPrinter: "后厨"}, 1, 0,
			[]string{BackupMark("后厨"), "x"}},
		{"copies from MN", "<MN>2</MN>{{.CopyMark}}", Ticket{Order: o, Kind: order.KindReceipt, Copy: 1, Copies: 2}, 2, 0,
			[]string{"第1联/共2联", "第1联/共2联"}},
		{"defined kind wins", `main{{define "cancel"}}cancel {{.Order.Cancelled}}{{end}}`, Ticket{Order: cancelled(o), Kind: order.KindCancel}, 1, 0,
			[]string{"cancel true"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := LoadTemplate(writeFile(t, dir, strings.Repeat("t", i+1)+".tmpl", tt.src))
			if err != nil {
				t.Fatal(err)
			}
			b, err := tp.Render(tt.tk, p)
			if err != nil {
				t.Fatal(err)
			}
			doc := decode(t, b)
			var texts []string
			marks := 0
			for _, l := range doc.Lines {
				if l.Text != "" {
					texts = append(texts, l.Text)
				}
				if l.Text == ReprintMark {
					marks++
				}
			}
			if strings.Join(texts, "|") != strings.Join(tt.texts, "|") || doc.Cuts != tt.cuts || marks != tt.reprint {
				t.Errorf("texts %q cuts %d marks %d\nwant  %q cuts %d marks %d", texts, doc.Cuts, marks, tt.texts, tt.cuts, tt.reprint)
			}
		})
	}
}

func TestTemplateFailuresAreTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	o := fixture(t)
	p := profile(t, "58mm")
	path := writeFile(t, dir, "bad.tmpl", "ok\n{{.Order.NoSuchField}}\n")
	tp := NewTemplate(path)
	_, err := tp.Render(Ticket{Order: o, Kind: order.KindReceipt}, p)
	var te *TemplateError
	var me *markup.Error
	if !errors.As(err, &te) || !errors.As(err, &me) || me.File != path || me.Line != 2 {
		t.Fatalf("err = %v (%T)", err, err)
	}
	if !strings.Contains(err.Error(), "receipt ticket template: "+path+":2:") {
		t.Errorf("message %q", err)
	}
	missing := NewTemplate(filepath.Join(dir, "missing.tmpl"))
	if _, err := missing.Render(Ticket{Order: o, Kind: order.KindKitchen}, p); !errors.As(err, &te) || !strings.Contains(err.Error(), "cannot read template") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadTemplate(filepath.Join(dir, "missing.tmpl")); err == nil {
		t.Error("LoadTemplate of a missing file succeeded")
	}
}

func TestTemplateReadAgainWhenChanged(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "shop.tmpl", "first")
	tp, err := LoadTemplate(path)
	if err != nil {
		t.Fatal(err)
	}
	tk := Ticket{Order: fixture(t), Kind: order.KindReceipt}
	p := profile(t, "58mm")
	text := func() string {
		t.Helper()
		b, err := tp.Render(tk, p)
		if err != nil {
			return "error: " + err.Error()
		}
		return decode(t, b).Lines[0].Text
	}
	if got := text(); got != "first" {
		t.Fatalf("got %q", got)
	}
	writeFile(t, dir, "shop.tmpl", "second, longer")
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	tp.check = time.Time{} // as if a second went by
	if got := text(); got != "second, longer" {
		t.Errorf("after an edit: %q", got)
	}
	writeFile(t, dir, "shop.tmpl", "<B>broken")
	tp.check = time.Time{}
	if got := text(); !strings.Contains(got, "<B> is never closed") {
		t.Errorf("after a bad edit: %q", got)
	}
}

func TestViewEscapesOrderData(t *testing.T) {
	o := fixture(t)
	evil := *o
	evil.BuyerNote = "请<CUT>切纸 & <B>"
	evil.Items = append([]order.Item(nil), o.Items...)
	evil.Items[0].Name = "<QR>x</QR>鸡"
	dir := t.TempDir()
	tp, err := LoadTemplate(writeFile(t, dir, "t.tmpl", "{{.Order.BuyerNote}}\n{{range .Items}}{{.Name}}\n{{end}}"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tp.Render(Ticket{Order: &evil, Kind: order.KindReceipt}, profile(t, "80mm"))
	if err != nil {
		t.Fatal(err)
	}
	doc := decode(t, b)
	if doc.Cuts != 1 || doc.Lines[0].Text != "请<CUT>切纸 & <B>" || doc.Lines[1].Text != "<QR>x</QR>鸡" {
		t.Errorf("order data changed the layout:\n%s", doc.Dump())
	}
}

func TestNewViewFields(t *testing.T) {
	o := fixture(t)
	v := NewView(Ticket{Order: o, Kind: order.KindReceipt, Copy: 2, Copies: 3, PrintedAt: printedAt, StoreName: " 南京西路店 "}, profile(t, "58mm"))
	checks := map[string][2]string{
		"store":    {string(v.Store), "南京西路店"},
		"copy":     {v.CopyMark, "第2联/共3联"},
		"total":    {v.Order.Total, "98.00"},
		"discount": {v.Order.Discount, "8.00"},
		"created":  {v.Order.Created, "2024-05-23 10:12:15"},
		"printed":  {v.PrintedAt, "2024-05-23 10:13:05"},
		"method":   {v.Order.MethodName, "外卖配送"},
		"qty":      {v.Order.Qty, "7"},
		"item":     {string(v.Items[0].Name) + " " + v.Items[0].Qty + " " + v.Items[0].Amount, "宫保鸡丁盖浇饭 2 36.00"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if v.Cols != 32 || v.Paper != "58mm" || !v.Order.Delivery || !v.Order.HasPickupNo {
		t.Errorf("view %+v", v)
	}
}

func FuzzTemplate(f *testing.F) {
	src, err := os.ReadFile(exampleTemplate)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(src))
	f.Add("{{range .Items}}<table><tr><td>{{.Name}}</td></tr></table>{{end}}<MN>2</MN>")
	f.Add("{{define \"kitchen\"}}<B>{{.Title}}{{end}}<C><QR>{{.Order.ID}}</QR>")
	o := fixture(f)
	p, _ := escpos.LookupProfile("58mm")
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		mt, err := markup.Parse("fuzz.tmpl", []byte(src), nil)
		if err != nil {
			return
		}
		tp := &Template{path: "fuzz.tmpl", t: mt, check: time.Now().Add(time.Hour)}
		for _, kind := range []order.Kind{order.KindReceipt, order.KindKitchen} {
			b, err := tp.Render(Ticket{Order: o, Kind: kind}, p)
			if err != nil {
				var te *TemplateError
				if !errors.As(err, &te) {
					t.Fatalf("error %T: %v", err, err)
				}
				continue
			}
			doc, derr := escpos.Decode(b)
			if derr != nil || len(doc.Unknown) > 0 || doc.Cuts < 1 {
				t.Fatalf("output: %v %q cuts %d", derr, doc.Unknown, doc.Cuts)
			}
		}
	})
}

func BenchmarkTemplateReceipt(b *testing.B) {
	tp, err := LoadTemplate(exampleTemplate)
	if err != nil {
		b.Fatal(err)
	}
	o := benchOrder(b)
	p := profile(b, "80mm")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.Render(Ticket{Order: o, Kind: order.KindReceipt, PrintedAt: printedAt}, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPreviewReceipt(b *testing.B) {
	p := profile(b, "80mm")
	bin, err := Render(Ticket{Order: benchOrder(b), Kind: order.KindReceipt, PrintedAt: printedAt}, p)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		if err := escpos.PreviewPNG(&out, bin, p); err != nil {
			b.Fatal(err)
		}
	}
}
