package wdt

import (
	"errors"
	"fmt"
	"strings"

	"storeedge/decimal"
	"storeedge/sync/order"
)

// statusTable is the one place where trade_status becomes order.Status. It
// holds the codes of the classic documentation and of the newer "Y" one;
// where both define a code, both meanings map to the same status.
var statusTable = map[int64]order.Status{
	4:   order.StatusCancelled, // Y: cancelled, recoverable
	5:   order.StatusCancelled, // 已取消
	10:  order.StatusPending,   // 待付款
	12:  order.StatusPending,   // 待尾款
	13:  order.StatusPaid,      // 待选仓
	15:  order.StatusPending,   // 等未付
	16:  order.StatusPaid,      // 延时审核
	19:  order.StatusPaid,      // 预订单前处理
	20:  order.StatusPaid,      // 前处理
	21:  order.StatusPaid,      // 委外前处理
	22:  order.StatusPaid,      // 抢单前处理
	25:  order.StatusPaid,      // 预订单 (classic) / 特殊单 (Y)
	27:  order.StatusPaid,      // 待抢单
	29:  order.StatusPaid,      // Y: 预订单
	30:  order.StatusPaid,      // 待客审 / 已付款待审核
	35:  order.StatusPaid,      // 待财审
	40:  order.StatusPaid,      // 待递交仓库
	45:  order.StatusPaid,      // 递交仓库中
	50:  order.StatusPaid,      // 已递交仓库 / 待发货
	51:  order.StatusPaid,      // Y: 待推送
	52:  order.StatusPaid,      // Y: 推送中
	53:  order.StatusPaid,      // 未确认 / Y: 推送失败
	55:  order.StatusPaid,      // 已审核 / Y: 已推送
	95:  order.StatusShipped,   // 已发货
	105: order.StatusShipped,   // 部分打款
	110: order.StatusCompleted, // 已完成
	113: order.StatusShipped,   // 异常发货
}

// refundFull is refund_status of a trade refunded in full. A full refund of
// a trade still waiting for the store makes it refunded; once shipped it
// keeps its state.
const refundFull = 3

// OrderError is a trade that could not be read: its trade_no, the field in
// the platform's terms, and what is wrong.
type OrderError struct {
	TradeNo string
	Field   string
	Err     error
}

func (e *OrderError) Error() string {
	no := e.TradeNo
	if no == "" {
		no = "(no trade_no)"
	}
	return fmt.Sprintf("wangdiantong trade %s: %s: %v", no, e.Field, e.Err)
}

// Unwrap returns what is wrong with the field.
func (e *OrderError) Unwrap() error { return e.Err }

// BadOrdersError comes with the orders Client.Orders could read when some
// trades could not be read.
type BadOrdersError struct{ Orders []*OrderError }

func (e *BadOrdersError) Error() string {
	parts := make([]string, 0, 4)
	for i, oe := range e.Orders {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Orders)-3))
			break
		}
		parts = append(parts, oe.Error())
	}
	return fmt.Sprintf("wangdiantong: %d trade(s) could not be read: %s", len(e.Orders), strings.Join(parts, "; "))
}

// Unwrap returns each trade's error.
func (e *BadOrdersError) Unwrap() []error {
	out := make([]error, len(e.Orders))
	for i, oe := range e.Orders {
		out[i] = oe
	}
	return out
}

// Normalize maps one trade onto order.Order; the store id is the trade's
// shop_no. Money is read exactly, times as China Standard Time.
func Normalize(platform string, t Trade) (order.Order, error) {
	no := strings.TrimSpace(t.TradeNo)
	fail := func(field string, err error) (order.Order, error) {
		return order.Order{}, &OrderError{TradeNo: no, Field: field, Err: err}
	}
	if no == "" {
		return fail("trade_no", errors.New("is empty"))
	}
	if strings.ContainsAny(no, "/\x00") {
		return fail("trade_no", fmt.Errorf("%q contains '/' or NUL", no))
	}
	o := order.Order{Platform: platform, ID: no, StoreID: strings.TrimSpace(t.ShopNo), StoreName: strings.TrimSpace(t.ShopName),
		BuyerNote: strings.TrimSpace(t.BuyerMessage), SellerMemo: strings.TrimSpace(t.CsRemark)}
	if o.StoreID == "" {
		return fail("shop_no", errors.New("is empty"))
	}
	code, ok := t.TradeStatus.Int()
	if !ok {
		if t.TradeStatus == "" {
			return fail("trade_status", errors.New("is missing"))
		}
		return fail("trade_status", fmt.Errorf("%q is not a number", string(t.TradeStatus)))
	}
	st, ok := statusTable[code]
	if !ok {
		return fail("trade_status", fmt.Errorf("%d is not a Wangdiantong trade status", code))
	}
	if t.RefundStatus != "" {
		r, ok := t.RefundStatus.Int()
		if !ok {
			return fail("refund_status", fmt.Errorf("%q is not a number", string(t.RefundStatus)))
		}
		if r == refundFull && st == order.StatusPaid {
			st = order.StatusRefunded
		}
	}
	o.Status = st

	var err error
	if o.Updated, err = order.ParseCST(t.Modified); err != nil {
		return fail("modified", err)
	}
	o.Created = o.Updated
	if t.TradeTime != "" {
		if o.Created, err = order.ParseCST(t.TradeTime); err != nil {
			return fail("trade_time", err)
		}
	}
	if t.PayTime != "" && !strings.HasPrefix(t.PayTime, "0000") {
		if o.PaidAt, err = order.ParseCST(t.PayTime); err != nil {
			return fail("pay_time", err)
		}
	}
	money := func(field string, v Text, dst *decimal.Dec) error {
		if v == "" {
			return nil
		}
		d, err := decimal.Parse(string(v))
		if err != nil {
			return &OrderError{TradeNo: no, Field: field, Err: fmt.Errorf("%q is not an amount: %w", string(v), err)}
		}
		*dst = d
		return nil
	}
	for _, m := range []struct {
		field string
		v     Text
		dst   *decimal.Dec
	}{{"post_amount", t.PostAmount, &o.Shipping}, {"discount", t.Discount, &o.Discount}} {
		if err := money(m.field, m.v, m.dst); err != nil {
			return order.Order{}, err
		}
	}
	o.Items = make([]order.Item, 0, len(t.GoodsList))
	var lines decimal.Dec
	for i, g := range t.GoodsList {
		it, field, err := goods(g)
		if err != nil {
			return fail(fmt.Sprintf("goods_list[%d].%s", i, field), err)
		}
		lines = lines.Add(it.Amount)
		o.Items = append(o.Items, it)
	}
	o.ItemsTotal = lines
	if t.GoodsAmount != "" {
		if err := money("goods_amount", t.GoodsAmount, &o.ItemsTotal); err != nil {
			return order.Order{}, err
		}
	}
	switch {
	case t.Paid != "":
		if err := money("paid", t.Paid, &o.Total); err != nil {
			return order.Order{}, err
		}
	case t.Receivable != "":
		if err := money("receivable", t.Receivable, &o.Total); err != nil {
			return order.Order{}, err
		}
	default:
		o.Total = o.ItemsTotal.Add(o.Shipping).Sub(o.Discount)
	}
	o.Fulfilment = order.Fulfilment{Method: order.MethodNone, Name: strings.TrimSpace(t.ReceiverName), Phone: strings.TrimSpace(t.ReceiverMobile)}
	if addr := strings.TrimSpace(t.ReceiverAddress); addr != "" {
		o.Fulfilment.Method = order.MethodExpress
		area := strings.ReplaceAll(strings.TrimSpace(t.ReceiverArea), " ", "")
		if !strings.HasPrefix(addr, area) {
			addr = area + addr
		}
		o.Fulfilment.Address = addr
	}
	if err := o.Validate(); err != nil {
		return fail("trade", err)
	}
	return o, nil
}

// goods maps one line; on error it names the field within the line.
func goods(g Goods) (order.Item, string, error) {
	it := order.Item{Name: strings.TrimSpace(g.GoodsName), Spec: strings.TrimSpace(g.SpecName), SKU: strings.TrimSpace(g.SpecNo)}
	if it.SKU == "" {
		it.SKU = strings.TrimSpace(g.GoodsNo)
	}
	if it.Name == "" {
		return it, "goods_name", errors.New("is empty")
	}
	if it.Spec == it.Name {
		it.Spec = ""
	}
	var err error
	if it.Qty, err = decimal.Parse(string(g.Num)); err != nil {
		return it, "num", fmt.Errorf("%q is not a quantity", string(g.Num))
	}
	if it.Qty.Sign() <= 0 {
		return it, "num", fmt.Errorf("%s is not positive", it.Qty)
	}
	price := g.OrderPrice
	field := "order_price"
	if price == "" {
		price, field = g.SharePrice, "share_price"
	}
	if it.Price, err = decimal.Parse(string(price)); err != nil {
		return it, field, fmt.Errorf("%q is not an amount", string(price))
	}
	if g.ShareAmount == "" {
		it.Amount = it.Price.Mul(it.Qty)
	} else if it.Amount, err = decimal.Parse(string(g.ShareAmount)); err != nil {
		return it, "share_amount", fmt.Errorf("%q is not an amount", string(g.ShareAmount))
	}
	return it, "", nil
}
