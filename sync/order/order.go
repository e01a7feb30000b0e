// Package order is the normalized order every platform maps into. It is a leaf:
// it imports nothing of storeedge but decimal, so the ticket engine, the pull
// loops, the simulator and the local API can all share it.
package order

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"storeedge/decimal"
)

// CST is China Standard Time (UTC+8). Platform time strings are in this zone
// whatever the PC's own zone is.
var CST = time.FixedZone("CST", 8*60*60)

// TimeLayout is the platforms' "yyyy-MM-dd HH:mm:ss".
const TimeLayout = "2006-01-02 15:04:05"

// ParseCST reads a platform time string as China Standard Time.
func ParseCST(s string) (time.Time, error) {
	t, err := time.ParseInLocation(TimeLayout, strings.TrimSpace(s), CST)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not yyyy-MM-dd HH:mm:ss: %w", s, err)
	}
	return t, nil
}

// FormatCST writes t as a platform time string in China Standard Time.
func FormatCST(t time.Time) string { return t.In(CST).Format(TimeLayout) }

// Status is where an order stands, the same words for every platform.
type Status string

// The statuses. Each platform's client maps its own codes onto these in one table.
const (
	StatusPending   Status = "pending"   // created, not paid yet: nothing to do
	StatusPaid      Status = "paid"      // paid and waiting for the store: print
	StatusShipped   Status = "shipped"   // handed to delivery
	StatusCompleted Status = "completed" // finished
	StatusCancelled Status = "cancelled" // closed without completing
	StatusRefunded  Status = "refunded"  // paid, then refunded (whole or part)
)

var statuses = map[Status]bool{StatusPending: true, StatusPaid: true, StatusShipped: true,
	StatusCompleted: true, StatusCancelled: true, StatusRefunded: true}

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool { return statuses[s] }

// Fulfilment methods.
const (
	MethodDelivery = "delivery" // local delivery (同城配送)
	MethodPickup   = "pickup"   // buyer picks up in store (到店自提)
	MethodExpress  = "express"  // parcel (快递)
	MethodNone     = "none"     // nothing to hand over
)

// Order is one platform order as storeedge sees it. Times are absolute
// instants; in JSON they carry their offset (RFC 3339, +08:00 from platforms).
type Order struct {
	Platform   string      `json:"platform"`             // config name of the platform, or "local"
	StoreID    string      `json:"store_id"`             // the store id the order belongs to
	StoreName  string      `json:"store_name,omitempty"` // filled from config when empty
	ID         string      `json:"id"`                   // platform order number (Youzan tid)
	PickupNo   string      `json:"pickup_no,omitempty"`  // short number called out to the buyer
	Status     Status      `json:"status"`
	Created    time.Time   `json:"created"`
	PaidAt     time.Time   `json:"paid_at,omitzero"`
	Updated    time.Time   `json:"updated"`
	Items      []Item      `json:"items"`
	ItemsTotal decimal.Dec `json:"items_total"`
	Shipping   decimal.Dec `json:"shipping"`
	Discount   decimal.Dec `json:"discount"`
	Total      decimal.Dec `json:"total"` // what the buyer paid
	Payment    string      `json:"payment,omitempty"`
	BuyerNote  string      `json:"buyer_note,omitempty"`
	SellerMemo string      `json:"seller_memo,omitempty"`
	Fulfilment Fulfilment  `json:"fulfilment"`
}

// Item is one order line.
type Item struct {
	SKU    string      `json:"sku,omitempty"`
	Name   string      `json:"name"`
	Spec   string      `json:"spec,omitempty"` // e.g. "大杯/少冰"
	Qty    decimal.Dec `json:"qty"`
	Price  decimal.Dec `json:"price"`  // unit price
	Amount decimal.Dec `json:"amount"` // line total after line discounts
}

// Fulfilment says how the goods reach the buyer.
type Fulfilment struct {
	Method  string    `json:"method"` // delivery, pickup, express, none
	Name    string    `json:"name,omitempty"`
	Phone   string    `json:"phone,omitempty"`
	Address string    `json:"address,omitempty"`
	Due     time.Time `json:"due,omitzero"` // when the buyer expects it
}

// Validate checks what every ticket and route needs, naming each bad field.
func (o *Order) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if strings.TrimSpace(o.Platform) == "" {
		bad("platform", "is empty")
	}
	if strings.TrimSpace(o.StoreID) == "" {
		bad("store_id", "is empty")
	}
	if strings.TrimSpace(o.ID) == "" {
		bad("id", "is empty")
	} else if strings.ContainsAny(o.ID, "/\x00") {
		bad("id", "%q contains '/' or NUL", o.ID)
	}
	if strings.ContainsAny(o.StoreID, "/\x00") {
		bad("store_id", "%q contains '/' or NUL", o.StoreID)
	}
	if !o.Status.Valid() {
		bad("status", "%q is not one of pending, paid, shipped, completed, cancelled, refunded", o.Status)
	}
	if o.Created.IsZero() {
		bad("created", "is missing")
	}
	switch o.Fulfilment.Method {
	case MethodDelivery, MethodPickup, MethodExpress, MethodNone:
	case "":
		bad("fulfilment.method", "is empty")
	default:
		bad("fulfilment.method", "%q is not one of delivery, pickup, express, none", o.Fulfilment.Method)
	}
	for i, it := range o.Items {
		if strings.TrimSpace(it.Name) == "" {
			bad(fmt.Sprintf("items[%d].name", i), "is empty")
		}
		if it.Qty.Sign() <= 0 {
			bad(fmt.Sprintf("items[%d].qty", i), "%s is not positive", it.Qty)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("order %q: %w", o.ID, err)
	}
	return nil
}

// Decode reads one order from JSON strictly: unknown fields and trailing data
// are errors, and so is an order that does not Validate. The error says where.
func Decode(r io.Reader) (*Order, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var o Order
	if err := dec.Decode(&o); err != nil {
		return nil, describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the order object")
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &o, nil
}

// DecodeBytes is Decode over a byte slice, adding line and column to syntax errors.
func DecodeBytes(b []byte) (*Order, error) {
	o, err := Decode(bytes.NewReader(b))
	if err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			l, c := lineCol(b, se.Offset)
			return nil, fmt.Errorf("line %d, column %d: %w", l, c, err)
		case errors.As(err, &te):
			l, c := lineCol(b, te.Offset)
			return nil, fmt.Errorf("line %d, column %d: %w", l, c, err)
		}
	}
	return o, err
}

func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("field %s: cannot use JSON %s as %s: %w", te.Field, te.Value, te.Type, err)
	}
	return err
}

func lineCol(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col = 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// Event is what happened to an order that may need paper.
type Event string

// Events that print.
const (
	EventNew    Event = "new"    // paid and waiting: receipt and kitchen tickets
	EventCancel Event = "cancel" // cancelled or refunded after its tickets printed
)

// Kind is a ticket kind, the second key of the binding table.
type Kind string

// Built-in ticket kinds.
const (
	KindReceipt Kind = "receipt"
	KindKitchen Kind = "kitchen"
	KindCancel  Kind = "cancel"
	KindTest    Kind = "test"
)

// Kinds lists the built-in kinds.
var Kinds = []Kind{KindReceipt, KindKitchen, KindCancel, KindTest}

// Valid reports whether k is a built-in kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// EachWindow calls fn for consecutive windows of at most span that together
// cover [from, to], each starting where the previous one ended, and stops at
// the first error. A platform with a maximum query span walks a long window
// this way.
func EachWindow(from, to time.Time, span time.Duration, fn func(start, end time.Time) error) error {
	if span <= 0 {
		return fmt.Errorf("window span %v is not positive", span)
	}
	for start := from; ; {
		end := start.Add(span)
		if end.After(to) {
			end = to
		}
		if err := fn(start, end); err != nil {
			return err
		}
		if !end.Before(to) {
			return nil
		}
		start = end
	}
}

// SortedByUpdate returns the orders of m (keyed by order id) sorted by update
// time, then id: the order a pull loop handles them in.
func SortedByUpdate(m map[string]Order) []Order {
	out := make([]Order, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Order) int { return cmp.Or(a.Updated.Compare(b.Updated), cmp.Compare(a.ID, b.ID)) })
	return out
}
