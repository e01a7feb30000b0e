package ticket

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"storeedge/decimal"
	"storeedge/printer/escpos"
	"storeedge/printer/markup"
	"storeedge/sync/order"
)

// View is what a ticket template sees as its data ("."). Text fields print
// escaped (see markup.Text); money has two decimals; times are
// "2006-01-02 15:04:05" in China Standard Time, empty when unknown.
type View struct {
	Kind      string // receipt, kitchen or cancel
	Title     string // 顾客联, 厨房联, 取消单
	Copy      int    // this copy, 1-based
	Copies    int    // copies of this ticket
	CopyMark  string // 第1联/共2联 when Copies > 1, else empty
	Reprint   bool   // printed again after an uncertain first attempt (the mark is printed for you)
	Backup    markup.Text
	PrintedAt string
	Store     markup.Text // the store's name
	Paper     string      // the printer profile's name
	Cols      int         // characters per line in the normal font
	Order     OrderView
	Items     []ItemView // Order.Items
}

// OrderView is the order as a template sees it.
type OrderView struct {
	Platform, StoreID, ID, PickupNo                 markup.Text
	Status                                          string
	Created, PaidAt, Updated                        string
	Items                                           []ItemView
	ItemsTotal, Shipping, Discount, Total           string // Discount is positive: the amount taken off
	Payment, BuyerNote, SellerMemo                  markup.Text
	Method, MethodName                              string // delivery|pickup|express|none, 外卖配送 ...
	Name, Phone, Address                            markup.Text
	Due                                             string
	Cancelled                                       bool // cancelled or refunded
	ItemCount                                       int  // order lines
	Qty                                             string
	Note                                            markup.Text // BuyerNote with its lines joined
	HasShipping, HasDiscount, Delivery, HasPickupNo bool
}

// ItemView is one order line as a template sees it.
type ItemView struct {
	SKU, Name, Spec markup.Text
	Qty             string
	Price, Amount   string
	Index           int // 1-based
}

func cst(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return order.FormatCST(t)
}

// NewView builds the template data of ticket t printed on profile p.
func NewView(t Ticket, p escpos.Profile) View {
	o := t.Order
	v := View{
		Kind: string(t.Kind), Title: titles[t.Kind], Copy: max(t.Copy, 1), Copies: max(t.Copies, 1),
		Reprint: t.Reprint, Backup: markup.Text(clean(t.IntendedPrinter)), PrintedAt: cst(t.PrintedAt),
		Paper: p.Name, Cols: p.ColsA,
	}
	if t.Copies > 1 {
		v.CopyMark = CopyMark(t.Copy, t.Copies)
	}
	name := clean(t.StoreName)
	if name == "" {
		name = clean(o.StoreName)
	}
	v.Store = markup.Text(name)
	ov := OrderView{
		Platform: markup.Text(o.Platform), StoreID: markup.Text(o.StoreID), ID: markup.Text(o.ID),
		PickupNo: markup.Text(clean(o.PickupNo)), Status: string(o.Status),
		Created: cst(o.Created), PaidAt: cst(o.PaidAt), Updated: cst(o.Updated),
		ItemsTotal: money(o.ItemsTotal), Shipping: money(o.Shipping), Discount: money(discount(o.Discount).Neg()),
		Total: money(o.Total), Payment: markup.Text(clean(o.Payment)),
		BuyerNote: markup.Text(paragraph(o.BuyerNote)), SellerMemo: markup.Text(paragraph(o.SellerMemo)),
		Method: o.Fulfilment.Method, MethodName: MethodName(o.Fulfilment.Method),
		Name: markup.Text(clean(o.Fulfilment.Name)), Phone: markup.Text(clean(o.Fulfilment.Phone)),
		Address: markup.Text(paragraph(o.Fulfilment.Address)), Due: cst(o.Fulfilment.Due),
		Cancelled:   o.Status == order.StatusCancelled || o.Status == order.StatusRefunded,
		ItemCount:   len(o.Items),
		Note:        markup.Text(clean(o.BuyerNote)),
		HasShipping: !o.Shipping.IsZero(), HasDiscount: !o.Discount.IsZero(),
		Delivery: o.Fulfilment.Method == order.MethodDelivery, HasPickupNo: clean(o.PickupNo) != "",
	}
	qty := decimal.Zero
	for i, it := range o.Items {
		ov.Items = append(ov.Items, ItemView{
			SKU: markup.Text(clean(it.SKU)), Name: markup.Text(clean(it.Name)), Spec: markup.Text(clean(it.Spec)),
			Qty: it.Qty.String(), Price: money(it.Price), Amount: money(it.Amount), Index: i + 1,
		})
		qty = qty.Add(it.Qty)
	}
	ov.Qty = qty.String()
	v.Order, v.Items = ov, ov.Items
	return v
}

// TemplateError is a user template that failed; the built-in layout of the
// ticket's kind can print instead.
type TemplateError struct {
	Kind order.Kind
	Err  error // a *markup.Error naming the template file and line, or a file error
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("%s ticket template: %v", e.Kind, e.Err)
}

func (e *TemplateError) Unwrap() error { return e.Err }

// Template is a user ticket template file. The file is read again when it
// changes on disk, so a merchant's edit takes effect with the next ticket.
// It is safe for concurrent use.
type Template struct {
	path string

	mu    sync.Mutex
	t     *markup.Template
	mod   time.Time
	size  int64
	err   error
	check time.Time
}

// LoadTemplate reads and parses the template file at path.
func LoadTemplate(path string) (*Template, error) {
	t := &Template{path: path}
	if err := t.load(); err != nil {
		return nil, err
	}
	return t, nil
}

// Path is the template's file.
func (t *Template) Path() string { return t.path }

func (t *Template) load() error {
	fi, err := os.Stat(t.path)
	if err != nil {
		return &markup.Error{File: t.path, Msg: fmt.Sprintf("cannot read template: %v", errors.Unwrap(err))}
	}
	if fi.ModTime().Equal(t.mod) && fi.Size() == t.size && (t.t != nil || t.err != nil) {
		return t.err
	}
	src, err := os.ReadFile(t.path)
	if err != nil {
		return &markup.Error{File: t.path, Msg: fmt.Sprintf("cannot read template: %v", errors.Unwrap(err))}
	}
	t.mod, t.size = fi.ModTime(), fi.Size()
	mt, err := markup.Parse(t.path, src, nil)
	t.t, t.err = mt, err
	return err
}

// current is the parsed template, read again when the file changed (looked
// at no more than once a second).
func (t *Template) current() (*markup.Template, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now := time.Now(); now.Sub(t.check) >= time.Second || t.t == nil {
		t.check = now
		if err := t.load(); err != nil {
			return nil, err
		}
	}
	return t.t, t.err
}

// Render renders ticket t for profile p with the template: the template
// defined with the kind's name ({{define "kitchen"}}) when there is one,
// else the file's main template. The reprint and backup marks are added at
// the top and the bottom whatever the template prints, and the ticket is cut
// at the end unless the template's markup ends with <CUT>. A template that
// fails returns a *TemplateError.
func (t *Template) Render(tk Ticket, p escpos.Profile) ([]byte, error) {
	if err := tk.check(p, titles); err != nil {
		return nil, err
	}
	mt, err := t.current()
	if err != nil {
		return nil, &TemplateError{Kind: tk.Kind, Err: err}
	}
	name := ""
	if mt.Has(string(tk.Kind)) {
		name = string(tk.Kind)
	}
	l := getLayout(tk, p)
	defer putLayout(l)
	l.head()
	opt := markup.Options{}
	if tk.Logo != nil {
		opt.Logo = tk.Logo.Bitmap
	}
	res, err := mt.Render(l.e, name, NewView(tk, p), opt)
	if err != nil {
		return nil, &TemplateError{Kind: tk.Kind, Err: err}
	}
	if !res.EndsInCut {
		l.reprint()
		l.e.Feed(1).Cut(true)
	}
	if err := l.e.Err(); err != nil {
		return nil, &TemplateError{Kind: tk.Kind, Err: err}
	}
	one := l.e.Bytes()
	return bytes.Repeat(one, res.Copies), nil
}

// NewTemplate is a template of the file at path that is read when it is
// first needed: a file that is missing or wrong makes each Render fail
// until it is fixed.
func NewTemplate(path string) *Template { return &Template{path: path} }
