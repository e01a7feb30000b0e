package youzan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"storeedge/decimal"
	"storeedge/sync/order"
)

// statusKey is a Youzan main status and whether a refund is under way or
// done (refund_state other than 0).
type statusKey struct {
	status    string
	refunding bool
}

// statusTable is the one place where Youzan's order states become
// order.Status. A refund on an order still waiting for the store makes it
// refunded; once handed over or finished, the order keeps its state.
var statusTable = map[statusKey]order.Status{
	{"WAIT_BUYER_PAY", false}:           order.StatusPending,
	{"WAIT_BUYER_PAY", true}:            order.StatusPending,
	{"TRADE_PAID", false}:               order.StatusPaid,
	{"TRADE_PAID", true}:                order.StatusRefunded,
	{"WAIT_CONFIRM", false}:             order.StatusPaid,
	{"WAIT_CONFIRM", true}:              order.StatusRefunded,
	{"WAIT_SELLER_SEND_GOODS", false}:   order.StatusPaid,
	{"WAIT_SELLER_SEND_GOODS", true}:    order.StatusRefunded,
	{"WAIT_BUYER_CONFIRM_GOODS", false}: order.StatusShipped,
	{"WAIT_BUYER_CONFIRM_GOODS", true}:  order.StatusShipped,
	{"TRADE_SUCCESS", false}:            order.StatusCompleted,
	{"TRADE_SUCCESS", true}:             order.StatusCompleted,
	{"TRADE_CLOSED", false}:             order.StatusCancelled,
	{"TRADE_CLOSED", true}:              order.StatusCancelled,
}

// Statuses lists Youzan's main order states, in the order an order goes
// through them.
var Statuses = []string{"WAIT_BUYER_PAY", "TRADE_PAID", "WAIT_CONFIRM", "WAIT_SELLER_SEND_GOODS",
	"WAIT_BUYER_CONFIRM_GOODS", "TRADE_SUCCESS", "TRADE_CLOSED"}

// expressMethods maps express_type onto the fulfilment method.
var expressMethods = map[int64]string{
	0: order.MethodExpress,
	1: order.MethodPickup,
	2: order.MethodDelivery,
	9: order.MethodNone,
}

// payTypes maps pay_type_str onto the words printed on a ticket. Values not
// listed are printed as sent.
var payTypes = map[string]string{
	"WEIXIN":         "微信支付",
	"WEIXIN_DAIXIAO": "微信支付",
	"ALIPAY":         "支付宝",
	"BANKCARDPAY":    "银行卡支付",
	"PEERPAY":        "代付",
	"CODPAY":         "货到付款",
	"BAIDUPAY":       "百度钱包",
	"PRESENTTAKE":    "赠品领取",
	"COUPONPAY":      "优惠券抵扣",
	"BULKPURCHASE":   "分销采购",
	"MERGEDPAY":      "合并付货款",
	"ECARD":          "有赞E卡",
	"PURCHASE_PAY":   "采购单支付",
	"MARKPAY":        "标记收款",
	"OFCASH":         "现金",
	"PREPAIDCARD":    "储值卡",
}

// OrderError is an order that could not be read: the order id (tid), the
// field in the platform's terms, and what is wrong with it.
type OrderError struct {
	TID   string
	Field string
	Err   error
}

func (e *OrderError) Error() string {
	tid := e.TID
	if tid == "" {
		tid = "(no tid)"
	}
	return fmt.Sprintf("youzan order %s: %s: %v", tid, e.Field, e.Err)
}

// Unwrap returns what is wrong with the field.
func (e *OrderError) Unwrap() error { return e.Err }

// Normalize maps one full_order_info onto order.Order. platform is the
// platform's config name. Money is read exactly, times as China Standard
// Time. A missing or malformed field is an *OrderError naming the tid and the
// field.
func Normalize(platform string, fo FullOrderInfo) (order.Order, error) {
	return normalize(platform, false, fo)
}

// NormalizeChain is Normalize for a retail chain: the store is the branch
// the order belongs to, order_info.node_kdt_id, whatever its offline_id.
func NormalizeChain(platform string, fo FullOrderInfo) (order.Order, error) {
	return normalize(platform, true, fo)
}

func normalize(platform string, chain bool, fo FullOrderInfo) (order.Order, error) {
	oi := fo.OrderInfo
	tid := strings.TrimSpace(oi.TID)
	fail := func(field string, err error) (order.Order, error) {
		return order.Order{}, &OrderError{TID: tid, Field: field, Err: err}
	}
	if tid == "" {
		return fail("order_info.tid", errors.New("is empty"))
	}
	if strings.ContainsAny(tid, "/\x00") {
		return fail("order_info.tid", fmt.Errorf("%q contains '/' or NUL", tid))
	}
	o := order.Order{Platform: platform, ID: tid, BuyerNote: strings.TrimSpace(fo.RemarkInfo.BuyerMessage),
		SellerMemo: strings.TrimSpace(fo.RemarkInfo.TradeMemo)}

	refund := int64(0)
	if oi.RefundState != "" {
		n, err := oi.RefundState.Int64()
		if err != nil {
			return fail("order_info.refund_state", err)
		}
		refund = n
	}
	st, ok := statusTable[statusKey{oi.Status, refund != 0}]
	if !ok {
		if oi.Status == "" {
			return fail("order_info.status", errors.New("is empty"))
		}
		return fail("order_info.status", fmt.Errorf("%q is not a Youzan order status", oi.Status))
	}
	o.Status = st

	var err error
	if o.Created, err = order.ParseCST(oi.Created); err != nil {
		return fail("order_info.created", err)
	}
	o.Updated = o.Created
	if oi.UpdateTime != "" {
		if o.Updated, err = order.ParseCST(oi.UpdateTime); err != nil {
			return fail("order_info.update_time", err)
		}
	}
	if oi.PayTime != "" {
		if o.PaidAt, err = order.ParseCST(oi.PayTime); err != nil {
			return fail("order_info.pay_time", err)
		}
	}

	field, store := "order_info.offline_id", oi.OfflineID
	switch {
	case chain:
		field, store = "order_info.node_kdt_id", oi.NodeKdtID
		if store == "" || store == "0" {
			return fail(field, errors.New("is missing: a chain order must name its branch"))
		}
	case store == "" || store == "0":
		field, store = "order_info.node_kdt_id", oi.NodeKdtID
		if store == "" || store == "0" {
			return fail("order_info.offline_id", errors.New("is missing, and so is order_info.node_kdt_id"))
		}
	}
	if _, err := store.Int64(); err != nil {
		return fail(field, err)
	}
	o.StoreID = string(store)

	et, err := oi.ExpressType.Int64()
	if err != nil {
		return fail("order_info.express_type", err)
	}
	method, ok := expressMethods[et]
	if !ok {
		return fail("order_info.express_type", fmt.Errorf("%d is not one of 0 (express), 1 (pickup), 2 (delivery), 9 (none)", et))
	}
	o.Fulfilment = fulfilment(method, fo.AddressInfo)
	if s := fo.AddressInfo.DeliveryEndTime; s != "" && method == order.MethodDelivery {
		if o.Fulfilment.Due, err = order.ParseCST(s); err != nil {
			return fail("address_info.delivery_end_time", err)
		}
	}

	o.Payment = strings.TrimSpace(oi.PayTypeStr)
	if w, ok := payTypes[o.Payment]; ok {
		o.Payment = w
	}

	if o.ItemsTotal, err = fo.PayInfo.TotalFee.Dec(); err != nil {
		return fail("pay_info.total_fee", err)
	}
	if fo.PayInfo.PostFee != "" {
		if o.Shipping, err = fo.PayInfo.PostFee.Dec(); err != nil {
			return fail("pay_info.post_fee", err)
		}
	}
	if o.Total, err = fo.PayInfo.Payment.Dec(); err != nil {
		return fail("pay_info.payment", err)
	}
	// payment = goods after discounts + post fee, so what is left is the
	// discount (negative when the seller raised the price).
	o.Discount = o.ItemsTotal.Add(o.Shipping).Sub(o.Total)

	o.Items = make([]order.Item, 0, len(fo.Orders))
	for i, l := range fo.Orders {
		it, field, err := item(l)
		if err != nil {
			return fail(fmt.Sprintf("orders[%d].%s", i, field), err)
		}
		o.Items = append(o.Items, it)
	}
	if err := o.Validate(); err != nil {
		return fail("order", err)
	}
	return o, nil
}

// fulfilment fills who receives the goods and, for deliveries and parcels,
// where.
func fulfilment(method string, a AddressInfo) order.Fulfilment {
	f := order.Fulfilment{Method: method, Name: strings.TrimSpace(a.ReceiverName), Phone: strings.TrimSpace(a.ReceiverTel)}
	if method == order.MethodDelivery || method == order.MethodExpress {
		parts := []string{a.DeliveryProvince}
		if a.DeliveryCity != a.DeliveryProvince { // 上海市上海市 reads as 上海市
			parts = append(parts, a.DeliveryCity)
		}
		parts = append(parts, a.DeliveryDistrict, a.DeliveryAddress)
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(strings.TrimSpace(p))
		}
		f.Address = b.String()
	}
	return f
}

// item maps one order line; on error it names the field within the line.
func item(l OrderLine) (order.Item, string, error) {
	it := order.Item{Name: strings.TrimSpace(l.Title), SKU: strings.TrimSpace(l.OuterSkuID)}
	if it.SKU == "" {
		it.SKU = strings.TrimSpace(l.OuterItemID)
	}
	if it.Name == "" {
		return it, "title", errors.New("is empty")
	}
	n, err := l.Num.Int64()
	if err != nil {
		return it, "num", err
	}
	if n <= 0 {
		return it, "num", fmt.Errorf("%d is not positive", n)
	}
	it.Qty = decimal.FromInt(n)
	if it.Price, err = l.Price.Dec(); err != nil {
		return it, "price", err
	}
	if it.Amount, err = l.Payment.Dec(); err != nil {
		return it, "payment", err
	}
	if it.Spec, err = Spec(l.SkuPropertiesName); err != nil {
		return it, "sku_properties_name", err
	}
	return it, "", nil
}

// Spec turns sku_properties_name into the words printed after an item:
// the values of a JSON list of {"k","v"} joined with "/" ("大杯/少冰"), or
// the text as sent when it is not a JSON list.
func Spec(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") {
		return s, nil
	}
	var props []SkuProperty
	if err := json.Unmarshal([]byte(s), &props); err != nil {
		return "", fmt.Errorf("%s is not a list of {\"k\",\"v\"}: %w", strconv.Quote(s), err)
	}
	vals := make([]string, 0, len(props))
	for _, p := range props {
		if v := strings.TrimSpace(p.V); v != "" {
			vals = append(vals, v)
		}
	}
	return strings.Join(vals, "/"), nil
}

// BadOrdersError is returned by Client.Orders together with every order it
// could read when some orders in the answers could not be read. The caller
// can act on the good orders and must show these.
type BadOrdersError struct {
	Orders []*OrderError
}

func (e *BadOrdersError) Error() string {
	const show = 3
	var b strings.Builder
	fmt.Fprintf(&b, "youzan: %d order(s) could not be read: ", len(e.Orders))
	for i, oe := range e.Orders {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Orders)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(oe.Error())
	}
	return b.String()
}

// Unwrap returns the errors of each order.
func (e *BadOrdersError) Unwrap() []error {
	errs := make([]error, len(e.Orders))
	for i, oe := range e.Orders {
		errs[i] = oe
	}
	return errs
}
