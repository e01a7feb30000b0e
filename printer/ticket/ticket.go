// Package ticket lays out the built-in tickets of an order (customer receipt,
// kitchen ticket, cancel ticket) and the printer test page as ESC/POS bytes.
package ticket

import (
	"fmt"
	"strings"
	"time"

	"storeedge/decimal"
	"storeedge/printer/escpos"
	"storeedge/sync/order"
)

// Ticket is one ticket to print: which order, which kind, which copy, and the
// marks it carries.
type Ticket struct {
	Order           *order.Order
	Kind            order.Kind
	Copy, Copies    int       // copy Copy of Copies; marked "第1联/共2联" when Copies > 1
	Reprint         bool      // printed again after an uncertain first attempt: marked 重打 REPRINT
	IntendedPrinter string    // non-empty: printed on a backup printer, meant for this one
	PrintedAt       time.Time // shown as the print time when set
	StoreName       string    // overrides Order.StoreName when set
}

// Marks printed on tickets.
const (
	ReprintMark = "** 重打 REPRINT **"
	CancelMark  = "** 订单已取消 CANCELLED **"
)

// Titles of the built-in kinds.
var titles = map[order.Kind]string{
	order.KindReceipt: "顾客联",
	order.KindKitchen: "厨房联",
	order.KindCancel:  "取消单",
}

// CopyMark is the copy mark of copy n of total, "第1联/共2联".
func CopyMark(n, total int) string { return fmt.Sprintf("第%d联/共%d联", n, total) }

// BackupMark is the line printed on a ticket moved to a backup printer.
func BackupMark(intended string) string { return "备用机代打 (原定: " + intended + ")" }

// MethodName is the Chinese name of a fulfilment method.
func MethodName(method string) string {
	switch method {
	case order.MethodDelivery:
		return "外卖配送"
	case order.MethodPickup:
		return "到店自提"
	case order.MethodExpress:
		return "快递"
	}
	return "—"
}

// Render lays out ticket t for printers of profile p. It fails for a nil
// order, a kind other than receipt, kitchen and cancel, a copy number outside
// 1..Copies, or an invalid profile.
func Render(t Ticket, p escpos.Profile) ([]byte, error) {
	if t.Order == nil {
		return nil, fmt.Errorf("render %s ticket: order is nil", t.Kind)
	}
	o := t.Order
	if _, ok := titles[t.Kind]; !ok {
		return nil, fmt.Errorf("render ticket for order %q: kind %q has no layout (want receipt, kitchen or cancel)", o.ID, t.Kind)
	}
	if t.Copies > 1 && (t.Copy < 1 || t.Copy > t.Copies) {
		return nil, fmt.Errorf("render %s ticket for order %q: copy %d is not within 1-%d", t.Kind, o.ID, t.Copy, t.Copies)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("render %s ticket for order %q: %w", t.Kind, o.ID, err)
	}
	l := newLayout(t, p)
	switch t.Kind {
	case order.KindReceipt:
		l.receipt()
	case order.KindKitchen:
		l.kitchen()
	case order.KindCancel:
		l.cancel()
	}
	if err := l.e.Err(); err != nil {
		return nil, fmt.Errorf("render %s ticket for order %q: %w", t.Kind, o.ID, err)
	}
	return l.e.Bytes(), nil
}

type layout struct {
	e    *escpos.Encoder
	p    escpos.Profile
	cols int
	t    Ticket
	o    *order.Order
}

func newLayout(t Ticket, p escpos.Profile) *layout {
	return &layout{e: escpos.NewEncoder(p), p: p, cols: p.ColsA, t: t, o: t.Order}
}

// clean makes platform text printable on one logical line: tabs and other
// whitespace runs become single spaces, surrounding space is trimmed.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// paragraph is clean for text that may hold line breaks (notes, addresses).
func paragraph(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = clean(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func (l *layout) rule() { l.e.Line(strings.Repeat("-", l.cols)) }

// lines prints s wrapped to the line width at character width w.
func (l *layout) lines(s string, w int) {
	for _, line := range escpos.Wrap(s, l.cols/w) {
		l.e.Line(line)
	}
}

// big prints s centred and bold at size w x h, wrapped to the line, then
// restores normal text. With fit, the width is narrowed instead while s
// would not fit on one line.
func (l *layout) big(s string, w, h int, fit bool) {
	for fit && w > 1 && escpos.Width(s)*w > l.cols {
		w--
	}
	l.e.Align(escpos.Center).Bold(true).Size(w, h)
	l.lines(s, w)
	l.e.Size(1, 1).Bold(false).Align(escpos.Left)
}

// field prints "label: value" with the value wrapped under itself.
func (l *layout) field(label, value string) {
	if value = paragraph(value); value == "" {
		return
	}
	head := label + ": "
	hw := escpos.Width(head)
	if hw > l.cols/2 {
		l.lines(head+value, 1)
		return
	}
	for i, line := range escpos.Wrap(value, l.cols-hw) {
		if i == 0 {
			l.e.Line(head + line)
		} else {
			l.e.Line(strings.Repeat(" ", hw) + line)
		}
	}
}

func (l *layout) timeField(label string, t time.Time) {
	if !t.IsZero() {
		l.field(label, order.FormatCST(t))
	}
}

func (l *layout) storeName() string {
	if s := clean(l.t.StoreName); s != "" {
		return s
	}
	return clean(l.o.StoreName)
}

// head prints the marks every ticket starts with.
func (l *layout) head() {
	l.e.Init()
	l.reprint()
	if s := clean(l.t.IntendedPrinter); s != "" {
		l.e.Align(escpos.Center).Bold(true)
		l.lines(BackupMark(s), 1)
		l.e.Bold(false).Align(escpos.Left)
	}
}

func (l *layout) reprint() {
	if l.t.Reprint {
		l.e.Align(escpos.Center).Bold(true).Invert(true).Line(ReprintMark).Invert(false).Bold(false).Align(escpos.Left)
	}
}

// title prints the ticket's title and, for several copies, the copy mark.
func (l *layout) title() {
	s := titles[l.t.Kind]
	if l.t.Copies > 1 {
		s += "  " + CopyMark(l.t.Copy, l.t.Copies)
	}
	l.e.Align(escpos.Center)
	l.lines(s, 1)
	l.e.Align(escpos.Left)
}

func (l *layout) pickup() {
	if s := clean(l.o.PickupNo); s != "" {
		l.big("取餐号 "+s, 2, 2, false)
	}
}

// foot prints the print time and the closing marks, and cuts.
func (l *layout) foot() {
	l.timeField("打印时间", l.t.PrintedAt)
	l.reprint()
	l.e.Feed(1).Cut(true)
}

// money formats an amount with two decimals.
func money(d decimal.Dec) string { return d.Fixed(2) }

// discount is a discount as printed: always subtracted, so never positive.
func discount(d decimal.Dec) decimal.Dec {
	if d.Sign() > 0 {
		return d.Neg()
	}
	return d
}

// widths are the receipt table's columns: name, quantity, amount.
type widths struct{ name, qty, amount int }

func tableWidths(p escpos.Profile, o *order.Order) widths {
	w := widths{qty: 4, amount: 8}
	if p.ColsA >= 40 {
		w = widths{qty: 6, amount: 10}
	}
	for _, it := range o.Items {
		w.qty = max(w.qty, escpos.Width(it.Qty.String()))
		w.amount = max(w.amount, escpos.Width(money(it.Amount)))
	}
	for _, d := range []decimal.Dec{o.ItemsTotal, o.Shipping, discount(o.Discount), o.Total} {
		w.amount = max(w.amount, escpos.Width(money(d)))
	}
	w.name = max(p.ColsA-w.qty-w.amount-2, 4)
	return w
}

func (l *layout) receipt() {
	o := l.o
	l.head()
	if s := l.storeName(); s != "" {
		l.big(s, 2, 2, false)
	}
	l.title()
	l.rule()
	l.pickup()
	l.field("订单号", o.ID)
	l.timeField("下单时间", o.Created)
	l.timeField("支付时间", o.PaidAt)
	l.fulfilment()
	if s := paragraph(o.BuyerNote); s != "" {
		l.rule()
		l.e.Bold(true)
		l.field("备注", s)
		l.e.Bold(false)
	}
	l.rule()

	w := tableWidths(l.p, o)
	specs := []escpos.Col{{Width: w.name}, {Width: w.qty, Align: escpos.Right}, {Width: w.amount, Align: escpos.Right}}
	for _, line := range escpos.Columns(l.cols, specs, []string{"商品", "数量", "金额"}) {
		l.e.Line(line)
	}
	if len(o.Items) == 0 {
		l.e.Line("(无商品)")
	}
	for _, it := range o.Items {
		for _, line := range escpos.Columns(l.cols, specs, []string{clean(it.Name), it.Qty.String(), money(it.Amount)}) {
			l.e.Line(line)
		}
		l.spec(it.Spec, w.name)
	}
	l.rule()

	totals := []escpos.Col{{Align: escpos.Right}, {Width: w.amount, Align: escpos.Right}}
	row := func(label, value string) {
		for _, line := range escpos.Columns(l.cols, totals, []string{label, value}) {
			l.e.Line(line)
		}
	}
	row("商品合计", money(o.ItemsTotal))
	if !o.Shipping.IsZero() || o.Fulfilment.Method == order.MethodDelivery {
		row("配送费", money(o.Shipping))
	}
	if !o.Discount.IsZero() {
		row("优惠", money(discount(o.Discount)))
	}
	l.e.Bold(true).Size(1, 2)
	row("实付", money(o.Total))
	l.e.Size(1, 1).Bold(false)
	l.field("支付方式", o.Payment)
	l.rule()

	module := 6
	if l.p.Dots < 500 {
		module = 5
	}
	l.e.Align(escpos.Center).QR(o.ID, module).Align(escpos.Left)
	l.foot()
}

// spec prints an item's specification indented under its name.
func (l *layout) spec(spec string, width int) {
	spec = clean(spec)
	if spec == "" {
		return
	}
	for _, line := range escpos.Wrap(spec, max(width-2, 2)) {
		l.e.Line("  " + line)
	}
}

func (l *layout) fulfilment() {
	f := l.o.Fulfilment
	l.field("配送方式", MethodName(f.Method))
	l.timeField("期望时间", f.Due)
	l.field("收货人", f.Name)
	l.field("电话", f.Phone)
	l.field("地址", f.Address)
}

// qtyWidth is the width of the "x2" column of the kitchen and cancel lists.
func qtyWidth(o *order.Order) int {
	w := 4
	for _, it := range o.Items {
		w = max(w, escpos.Width(it.Qty.String())+1)
	}
	return w
}

// itemList prints name and "x2" per item, names wrapped in their column, at
// character height h.
func (l *layout) itemList(h int) {
	qw := qtyWidth(l.o)
	specs := []escpos.Col{{}, {Width: qw, Align: escpos.Right}}
	if len(l.o.Items) == 0 {
		l.e.Line("(无商品)")
	}
	for _, it := range l.o.Items {
		l.e.Bold(true).Size(1, h)
		for _, line := range escpos.Columns(l.cols, specs, []string{clean(it.Name), "x" + it.Qty.String()}) {
			l.e.Line(line)
		}
		l.e.Size(1, 1).Bold(false)
		l.spec(it.Spec, l.cols-qw-1)
	}
}

func (l *layout) kitchen() {
	o := l.o
	l.head()
	l.big(titles[order.KindKitchen], 2, 2, false)
	if l.t.Copies > 1 {
		l.e.Align(escpos.Center).Line(CopyMark(l.t.Copy, l.t.Copies)).Align(escpos.Left)
	}
	if s := l.storeName(); s != "" {
		l.e.Align(escpos.Center)
		l.lines(s, 1)
		l.e.Align(escpos.Left)
	}
	l.pickup()
	l.field("订单号", o.ID)
	l.timeField("下单时间", o.Created)
	l.field("配送方式", MethodName(o.Fulfilment.Method))
	l.timeField("期望时间", o.Fulfilment.Due)
	l.rule()
	l.itemList(2)
	l.rule()
	if s := paragraph(o.BuyerNote); s != "" {
		l.e.Bold(true).Size(1, 2)
		l.field("备注", s)
		l.e.Size(1, 1).Bold(false)
		l.rule()
	}
	l.foot()
}

func (l *layout) cancel() {
	o := l.o
	l.head()
	l.big(CancelMark, 2, 2, true)
	l.title()
	if s := l.storeName(); s != "" {
		l.e.Align(escpos.Center)
		l.lines(s, 1)
		l.e.Align(escpos.Left)
	}
	l.rule()
	l.pickup()
	l.field("订单号", o.ID)
	l.timeField("下单时间", o.Created)
	if o.Status == order.StatusCancelled || o.Status == order.StatusRefunded {
		l.timeField("取消时间", o.Updated)
	}
	l.rule()
	l.e.Bold(true).Line("以下商品已取消:").Bold(false)
	l.itemList(1)
	l.rule()
	l.foot()
}
