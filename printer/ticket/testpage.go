package ticket

import (
	"fmt"
	"strings"
	"time"

	"storeedge/printer/escpos"
	"storeedge/sync/order"
)

// TestQRData is the content of the test page's QR code, TestBarcodeData of
// its CODE128 barcode.
const (
	TestQRData      = "storeedge test page"
	TestBarcodeData = "TEST-2024"
)

// TestPage lays out a printer test page for profile p: the printer's name,
// the profile, the time, column rulers in Font A, Chinese and Font B (each
// exactly one line wide when the profile matches the paper), sample text and
// a table, text attributes, and a QR code.
func TestPage(p escpos.Profile, printerName string, now time.Time) []byte {
	e := escpos.NewEncoder(p).Init()
	cols := max(p.ColsA, 1)
	e.Align(escpos.Center).Bold(true).Size(2, 2).Line("打印测试").Size(1, 1).Line("TEST PAGE").Bold(false).Align(escpos.Left)
	e.Line(strings.Repeat("=", cols))
	field := func(label, value string) {
		head := label + ": "
		for i, line := range escpos.Wrap(value, max(cols-escpos.Width(head), 1)) {
			if i > 0 {
				head = strings.Repeat(" ", escpos.Width(head))
			}
			e.Line(head + line)
		}
	}
	field("打印机", clean(printerName))
	field("纸张", fmt.Sprintf("%s, %d 点, A字体 %d 列, B字体 %d 列", p.Name, p.Dots, p.ColsA, p.ColsB))
	field("时间", order.FormatCST(now))
	e.Line(strings.Repeat("-", cols))

	e.Line("A字体 / Font A:")
	e.Line(ruler(cols))
	e.Line(strings.Repeat("中", cols/2))
	if p.ColsB > 0 {
		e.Line("B字体 / Font B:")
		e.Font(escpos.FontB).Line(ruler(p.ColsB)).Font(escpos.FontA)
	}
	e.Line(strings.Repeat("-", cols))

	for _, line := range escpos.Wrap("中文: 宫保鸡丁 Kung Pao Chicken 合计 ￥128.00 ¥3 €4 café", cols) {
		e.Line(line)
	}
	specs := []escpos.Col{{}, {Width: 4, Align: escpos.Right}, {Width: 8, Align: escpos.Right}}
	for _, row := range [][]string{{"商品", "数量", "金额"}, {"招牌超长名称的宫保鸡丁盖浇饭加大份", "2", "128.00"}} {
		for _, line := range escpos.Columns(cols, specs, row) {
			e.Line(line)
		}
	}
	e.Line(strings.Repeat("-", cols))
	e.Bold(true).Line("粗体 Bold").Bold(false)
	e.Underline(1).Line("下划线 Underline").Underline(0)
	e.Invert(true).Line("反白 Inverted").Invert(false)
	e.Size(1, 2).Line("倍高 Tall").Size(2, 1).Line("倍宽 Wide").Size(1, 1)
	e.Align(escpos.Right).Line("右对齐 Right").Align(escpos.Left)
	e.Align(escpos.Center).QR(TestQRData, 5)
	if p.Code128Fits(TestBarcodeData) {
		e.Barcode128(TestBarcodeData)
	}
	e.Align(escpos.Left)
	e.Feed(1).Cut(true)
	return e.Bytes()
}

// ruler is "1234567890" repeated to n columns.
func ruler(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteByte(byte('0' + (i+1)%10))
	}
	return b.String()
}
