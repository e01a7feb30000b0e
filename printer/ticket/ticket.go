// Package ticket lays out the built-in tickets of an order (customer receipt,
// kitchen ticket, cancel ticket) and the printer test page as ESC/POS bytes,
// and renders user templates (see package markup) over the same order data.
package ticket

import (
	"fmt"
	"image"
	"strconv"
	"strings"
	"sync"
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
	Logo            *Logo     // printed at the top of customer receipts when set
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

// Title is the printed title of a ticket kind ("顾客联" for a receipt).
func Title(k order.Kind) string { return titles[k] }

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

// Logo is a picture printed at the top of tickets, dithered once per paper
// width and kept.
type Logo struct {
	img image.Image
	mu  sync.Mutex
	bms map[int]*escpos.Bitmap
}

// NewLogo makes a logo of img.
func NewLogo(img image.Image) *Logo { return &Logo{img: img, bms: map[int]*escpos.Bitmap{}} }

// Image is the logo's picture.
func (l *Logo) Image() image.Image { return l.img }

// Bitmap is the logo dithered for paper dots wide: at its own width, scaled
// down to the paper when wider.
func (l *Logo) Bitmap(dots int) *escpos.Bitmap {
	l.mu.Lock()
	defer l.mu.Unlock()
	if bm, ok := l.bms[dots]; ok {
		return bm
	}
	b := l.img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > dots {
		h = max(h*dots/w, 1)
		w = dots
	}
	bm := escpos.Dither(l.img, w, h)
	l.bms[dots] = bm
	return bm
}

// check validates what every renderer needs.
func (t *Ticket) check(p escpos.Profile, kinds map[order.Kind]string) error {
	if t.Order == nil {
		return fmt.Errorf("render %s ticket: order is nil", t.Kind)
	}
	o := t.Order
	if _, ok := kinds[t.Kind]; !ok {
		return fmt.Errorf("render ticket for order %q: kind %q has no layout (want receipt, kitchen or cancel)", o.ID, t.Kind)
	}
	if t.Copies > 1 && (t.Copy < 1 || t.Copy > t.Copies) {
		return fmt.Errorf("render %s ticket for order %q: copy %d is not within 1-%d", t.Kind, o.ID, t.Copy, t.Copies)
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("render %s ticket for order %q: %w", t.Kind, o.ID, err)
	}
	return nil
}

// Render lays out ticket t for printers of profile p with the built-in
// layout of its kind. It fails for a nil order, a kind other than receipt,
// kitchen and cancel, a copy number outside 1..Copies, or an invalid
// profile. The returned slice is the caller's.
func Render(t Ticket, p escpos.Profile) ([]byte, error) {
	if err := t.check(p, titles); err != nil {
		return nil, err
	}
	l := getLayout(t, p)
	defer putLayout(l)
	switch t.Kind {
	case order.KindReceipt:
		l.receipt()
	case order.KindKitchen:
		l.kitchen()
	case order.KindCancel:
		l.cancel()
	}
	if err := l.e.Err(); err != nil {
		return nil, fmt.Errorf("render %s ticket for order %q: %w", t.Kind, t.Order.ID, err)
	}
	return append([]byte(nil), l.e.Bytes()...), nil
}

// layout is the state of one rendering; layouts and their buffers are
// reused across renderings.
type layout struct {
	e      *escpos.Encoder
	p      escpos.Profile
	cols   int
	t      Ticket
	o      *order.Order
	ranges []escpos.Range
	num    [40]byte
}

var layouts sync.Pool

func getLayout(t Ticket, p escpos.Profile) *layout {
	l, _ := layouts.Get().(*layout)
	if l == nil {
		l = &layout{e: escpos.NewEncoder(p)}
	} else {
		l.e.ResetProfile(p)
	}
	l.p, l.cols, l.t, l.o = p, p.ColsA, t, t.Order
	return l
}

func putLayout(l *layout) {
	if l.e.Len() > 1<<20 {
		return // keep no huge buffers
	}
	l.t, l.o = Ticket{}, nil
	layouts.Put(l)
}

// isClean reports whether s has no control characters, no runs of spaces
// and no space at either end: clean returns such text as it is.
func isClean(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c == ' ' {
			if prevSpace {
				return false
			}
			prevSpace = true
		} else {
			prevSpace = false
		}
		if c >= 0xc2 && c <= 0xe3 && i+1 < len(s) && unicodeSpace(s[i:]) {
			return false
		}
	}
	return true
}

// unicodeSpace reports whether s starts with a non-ASCII space that
// strings.Fields splits at: U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
// U+2029, U+202F, U+205F or U+3000.
func unicodeSpace(s string) bool {
	switch s[0] {
	case 0xc2:
		return s[1] == 0x85 || s[1] == 0xa0
	case 0xe1:
		return len(s) > 2 && s[1] == 0x9a && s[2] == 0x80
	case 0xe2:
		if len(s) < 3 {
			return false
		}
		c := s[2]
		return (s[1] == 0x80 && (c <= 0x8a || c == 0xa8 || c == 0xa9 || c == 0xaf)) || (s[1] == 0x81 && c == 0x9f)
	case 0xe3:
		return len(s) > 2 && s[1] == 0x80 && s[2] == 0x80
	}
	return false
}

// clean makes platform text printable on one logical line: tabs and other
// whitespace runs become single spaces, surrounding space is trimmed.
func clean(s string) string {
	if isClean(s) {
		return s
	}
	return strings.Join(strings.Fields(strings.Clone(s)), " ")
}

// paragraph is clean for text that may hold line breaks (notes, addresses).
func paragraph(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return clean(s)
	}
	lines := strings.Split(strings.ReplaceAll(strings.Clone(s), "\r\n", "\n"), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = clean(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func (l *layout) rule() { l.e.Rule('-') }

// lines prints s wrapped to the line width at the current character size.
func (l *layout) lines(s string) { l.e.Paragraph(s) }

// centred prints s centred and wrapped, then goes back to the left.
func (l *layout) centred(s string) {
	l.e.Align(escpos.Center)
	l.lines(s)
	l.e.Align(escpos.Left)
}

// big prints prefix+s centred and bold at size w x h, wrapped to the line,
// then restores normal text. With fit, the width is narrowed instead while
// the text would not fit on one line.
func (l *layout) big(prefix, s string, w, h int, fit bool) {
	width := l.e.Width(prefix) + l.e.Width(s)
	for fit && w > 1 && width*w > l.cols {
		w--
	}
	l.e.Align(escpos.Center).Bold(true).Size(w, h)
	if width*w <= l.cols {
		l.e.Text(prefix).Line(s)
	} else {
		l.lines(prefix + s)
	}
	l.e.Size(1, 1).Bold(false).Align(escpos.Left)
}

// field prints "label: value" with the value wrapped under itself. label
// ends with ": ".
func (l *layout) field(label, value string) {
	if value = paragraph(value); value == "" {
		return
	}
	hw := l.e.Width(label)
	cols := l.e.Cols()
	if hw > cols/2 {
		l.lines(label + value)
		return
	}
	l.ranges = l.p.AppendWrap(l.ranges[:0], value, cols-hw)
	for i, r := range l.ranges {
		if i == 0 {
			l.e.Text(label)
		} else {
			l.e.Spaces(hw)
		}
		l.e.Line(value[r.Start:r.End])
	}
}

// timeField prints a time in China Standard Time, when set.
func (l *layout) timeField(label string, t time.Time) {
	if !t.IsZero() {
		b := t.In(order.CST).AppendFormat(l.num[:0], order.TimeLayout)
		l.field(label, string(b))
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
		l.lines(BackupMark(s))
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
	l.centred(s)
}

func (l *layout) pickup() {
	if s := clean(l.o.PickupNo); s != "" {
		l.big("取餐号 ", s, 2, 2, false)
	}
}

// codes prints the order number as a QR code and, when it is printable
// ASCII that fits the paper, as a CODE128 barcode.
func (l *layout) codes(qr bool) {
	id := l.o.ID
	l.e.Align(escpos.Center)
	if qr {
		module := 6
		if l.p.Dots < 500 {
			module = 5
		}
		l.e.QR(id, module)
	}
	if l.p.Code128Fits(id) {
		l.e.Barcode128(id)
	}
	l.e.Align(escpos.Left)
}

// foot prints the print time and the closing marks, and cuts.
func (l *layout) foot() {
	l.timeField("打印时间: ", l.t.PrintedAt)
	l.reprint()
	l.e.Feed(1).Cut(true)
}

// appendMoney appends d with two decimals, as decimal.Dec.Fixed(2) does.
func appendMoney(b []byte, d decimal.Dec) []byte {
	f := d.Fen()
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	b = strconv.AppendInt(b, f/100, 10)
	return append(b, '.', byte('0'+f%100/10), byte('0'+f%10))
}

// appendQty appends d in its shortest exact form, as decimal.Dec.String does.
func appendQty(b []byte, d decimal.Dec) []byte {
	f := d.Fen()
	if d.Cmp(decimal.FromFen(f)) != 0 {
		return append(b, d.String()...)
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	b = strconv.AppendInt(b, f/100, 10)
	switch c := f % 100; {
	case c == 0:
	case c%10 == 0:
		b = append(b, '.', byte('0'+c/10))
	default:
		b = append(b, '.', byte('0'+c/10), byte('0'+c%10))
	}
	return b
}

// money formats an amount with two decimals.
func money(d decimal.Dec) string { return string(appendMoney(nil, d)) }

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
	var buf [40]byte
	for i := range o.Items {
		it := &o.Items[i]
		w.qty = max(w.qty, len(appendQty(buf[:0], it.Qty)))
		w.amount = max(w.amount, len(appendMoney(buf[:0], it.Amount)))
	}
	for _, d := range [...]decimal.Dec{o.ItemsTotal, o.Shipping, discount(o.Discount), o.Total} {
		w.amount = max(w.amount, len(appendMoney(buf[:0], d)))
	}
	w.name = max(p.ColsA-w.qty-w.amount-2, 4)
	return w
}

func (l *layout) receipt() {
	o := l.o
	l.head()
	if lg := l.t.Logo; lg != nil && l.p.Image != escpos.ImageNone {
		l.e.Align(escpos.Center).Bitmap(lg.Bitmap(l.p.Dots)).Align(escpos.Left)
	}
	if s := l.storeName(); s != "" {
		l.big("", s, 2, 2, false)
	}
	l.title()
	l.rule()
	l.pickup()
	l.field("订单号: ", o.ID)
	l.timeField("下单时间: ", o.Created)
	l.timeField("支付时间: ", o.PaidAt)
	l.fulfilment()
	if s := paragraph(o.BuyerNote); s != "" {
		l.rule()
		l.e.Bold(true)
		l.field("备注: ", s)
		l.e.Bold(false)
	}
	l.rule()

	w := tableWidths(l.p, o)
	specs := [3]escpos.Col{{Width: w.name}, {Width: w.qty, Align: escpos.Right}, {Width: w.amount, Align: escpos.Right}}
	l.e.Row(specs[:], "商品", "数量", "金额")
	if len(o.Items) == 0 {
		l.e.Line("(无商品)")
	}
	var qty, amount [40]byte
	for i := range o.Items {
		it := &o.Items[i]
		l.e.Row(specs[:], clean(it.Name), string(appendQty(qty[:0], it.Qty)), string(appendMoney(amount[:0], it.Amount)))
		l.spec(it.Spec, w.name)
	}
	l.rule()

	totals := [2]escpos.Col{{Align: escpos.Right}, {Width: w.amount, Align: escpos.Right}}
	l.e.Row(totals[:], "商品合计", string(appendMoney(amount[:0], o.ItemsTotal)))
	if !o.Shipping.IsZero() || o.Fulfilment.Method == order.MethodDelivery {
		l.e.Row(totals[:], "配送费", string(appendMoney(amount[:0], o.Shipping)))
	}
	if !o.Discount.IsZero() {
		l.e.Row(totals[:], "优惠", string(appendMoney(amount[:0], discount(o.Discount))))
	}
	l.e.Bold(true).Size(1, 2)
	l.e.Row(totals[:], "实付", string(appendMoney(amount[:0], o.Total)))
	l.e.Size(1, 1).Bold(false)
	l.field("支付方式: ", o.Payment)
	l.rule()
	l.codes(true)
	l.foot()
}

// spec prints an item's specification indented under its name.
func (l *layout) spec(spec string, width int) {
	spec = clean(spec)
	if spec == "" {
		return
	}
	l.ranges = l.p.AppendWrap(l.ranges[:0], spec, max(width-2, 2))
	for _, r := range l.ranges {
		l.e.Spaces(2).Line(spec[r.Start:r.End])
	}
}

func (l *layout) fulfilment() {
	f := &l.o.Fulfilment
	l.field("配送方式: ", MethodName(f.Method))
	l.timeField("期望时间: ", f.Due)
	l.field("收货人: ", f.Name)
	l.field("电话: ", f.Phone)
	l.field("地址: ", f.Address)
}

// qtyWidth is the width of the "x2" column of the kitchen and cancel lists.
func qtyWidth(o *order.Order) int {
	w := 4
	var buf [40]byte
	for i := range o.Items {
		w = max(w, len(appendQty(buf[:0], o.Items[i].Qty))+1)
	}
	return w
}

// itemList prints name and "x2" per item, names wrapped in their column, at
// character height h.
func (l *layout) itemList(h int) {
	qw := qtyWidth(l.o)
	specs := [2]escpos.Col{{}, {Width: qw, Align: escpos.Right}}
	if len(l.o.Items) == 0 {
		l.e.Line("(无商品)")
	}
	var qty [40]byte
	for i := range l.o.Items {
		it := &l.o.Items[i]
		l.e.Bold(true).Size(1, h)
		q := append(qty[:0], 'x')
		l.e.Row(specs[:], clean(it.Name), string(appendQty(q, it.Qty)))
		l.e.Size(1, 1).Bold(false)
		l.spec(it.Spec, l.cols-qw-1)
	}
}

func (l *layout) kitchen() {
	o := l.o
	l.head()
	l.big("", titles[order.KindKitchen], 2, 2, false)
	if l.t.Copies > 1 {
		l.e.Align(escpos.Center).Line(CopyMark(l.t.Copy, l.t.Copies)).Align(escpos.Left)
	}
	if s := l.storeName(); s != "" {
		l.centred(s)
	}
	l.pickup()
	l.field("订单号: ", o.ID)
	l.timeField("下单时间: ", o.Created)
	l.field("配送方式: ", MethodName(o.Fulfilment.Method))
	l.timeField("期望时间: ", o.Fulfilment.Due)
	l.rule()
	l.itemList(2)
	l.rule()
	if s := paragraph(o.BuyerNote); s != "" {
		l.e.Bold(true).Size(1, 2)
		l.field("备注: ", s)
		l.e.Size(1, 1).Bold(false)
		l.rule()
	}
	if s := paragraph(o.SellerMemo); s != "" {
		l.field("商家备注: ", s)
		l.rule()
	}
	l.codes(false)
	l.foot()
}

func (l *layout) cancel() {
	o := l.o
	l.head()
	l.big("", CancelMark, 2, 2, true)
	l.title()
	if s := l.storeName(); s != "" {
		l.centred(s)
	}
	l.rule()
	l.pickup()
	l.field("订单号: ", o.ID)
	l.timeField("下单时间: ", o.Created)
	if o.Status == order.StatusCancelled || o.Status == order.StatusRefunded {
		l.timeField("取消时间: ", o.Updated)
	}
	l.rule()
	l.e.Bold(true).Line("以下商品已取消:").Bold(false)
	l.itemList(1)
	l.rule()
	l.codes(false)
	l.foot()
}
