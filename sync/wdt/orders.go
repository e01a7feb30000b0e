package wdt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"storeedge/sync/order"
)

// APITradeQuery is the order list.
const APITradeQuery = "trade_query.php"

// Orders returns every trade of shop shopNo whose last-modified time is
// within [from, to], each once, sorted by modified time.
//
// The window is asked in pieces of at most MaxSpan (the platform's limit;
// its ranges are closed, so consecutive pieces share their edge second and
// a trade modified on it comes once). Pages start at 0; total_count is read
// from page 0 only; a short page ends the piece. Pages are read from the
// last back to 1 and page 0 once more at the end: a trade modified while
// paging moves to the end of the list, and this order of reading sees it.
// Times go to the platform in China Standard Time whatever the PC's zone.
//
// Trades of other shops are dropped and logged. Trades that cannot be read
// come back as a *BadOrdersError along with the good ones.
func (c *Client) Orders(ctx context.Context, shopNo string, from, to time.Time) ([]order.Order, error) {
	return c.OrdersByPage(ctx, shopNo, from, to, nil)
}

// OrdersByPage is Orders that, while a window still has pages to read,
// hands the trades of each page read to page as soon as it arrives: on a
// busy day a window spans pages, and the new trades on the first print
// without waiting for the calls that follow. The orders returned are the
// whole window, as Orders returns them, so an order handed over may come
// again, updated. An error from page stops the reading and is returned.
func (c *Client) OrdersByPage(ctx context.Context, shopNo string, from, to time.Time, page func([]order.Order) error) ([]order.Order, error) {
	if strings.TrimSpace(shopNo) == "" {
		return nil, fmt.Errorf("wangdiantong %s: shop_no is empty", c.cfg.Name)
	}
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	if to.Before(from) {
		return nil, fmt.Errorf("wangdiantong %s: window end %s is before its start %s", c.cfg.Name, order.FormatCST(to), order.FormatCST(from))
	}
	col := &tradeCollector{platform: c.cfg.Name, shop: shopNo, orders: map[string]order.Order{}, bad: map[string]*OrderError{}, page: page}
	err := order.EachWindow(from, to, c.cfg.MaxSpan-time.Second, func(start, end time.Time) error {
		if err := c.window(ctx, col, shopNo, start, end); err != nil {
			return fmt.Errorf("wangdiantong %s: trades of shop %s modified %s to %s: %w",
				c.cfg.Name, shopNo, order.FormatCST(start), order.FormatCST(end), err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := order.SortedByUpdate(col.orders)
	if col.foreign > 0 {
		c.log.Warn("wangdiantong returned trades of other shops", "shop_no", shopNo, "dropped", col.foreign)
	}
	if len(col.bad) > 0 {
		bad := &BadOrdersError{}
		for _, oe := range col.bad {
			bad.Orders = append(bad.Orders, oe)
		}
		slices.SortFunc(bad.Orders, func(a, b *OrderError) int { return cmp.Compare(a.TradeNo, b.TradeNo) })
		return out, bad
	}
	return out, nil
}

func (c *Client) window(ctx context.Context, col *tradeCollector, shop string, from, to time.Time) error {
	params := map[string]string{"start_time": order.FormatCST(from), "end_time": order.FormatCST(to),
		"shop_no": shop, "page_size": strconv.Itoa(PageSize)}
	page := func(n int) (*TradeQueryAnswer, error) {
		params["page_no"] = strconv.Itoa(n)
		var a TradeQueryAnswer
		if err := c.call(ctx, APITradeQuery, params, &a); err != nil {
			return nil, fmt.Errorf("page %d: %w", n, err)
		}
		return &a, nil
	}
	first, err := page(0)
	if err != nil {
		return err
	}
	if len(first.Trades) < PageSize {
		col.add(first.Trades)
		return nil
	}
	if err := order.HandOver(col.page, col.add(first.Trades)); err != nil {
		return err
	}
	total, ok := first.TotalCount.Int()
	if !ok || total < 0 {
		return &APIError{API: APITradeQuery, Err: fmt.Errorf("page 0: total_count %q is not a count", string(first.TotalCount))}
	}
	pages := int((total + PageSize - 1) / PageSize)
	if pages > maxPages {
		return &APIError{API: APITradeQuery, Err: fmt.Errorf("total_count %d is beyond any window the agent asks for", total)}
	}
	for n := pages - 1; n >= 1; n-- {
		a, err := page(n)
		if err != nil {
			return err
		}
		if err := order.HandOver(col.page, col.add(a.Trades)); err != nil {
			return err
		}
	}
	again, err := page(0)
	if err != nil {
		return err
	}
	col.add(again.Trades)
	return nil
}

type tradeCollector struct {
	platform, shop string
	orders         map[string]order.Order
	bad            map[string]*OrderError
	foreign        int
	page           func([]order.Order) error // nil: nothing is handed over before the end
}

// add merges the trades of a page into col and returns the orders of col's
// shop it could read, in the page's order.
func (col *tradeCollector) add(trades []Trade) []order.Order {
	var read []order.Order
	for _, t := range trades {
		if no := strings.TrimSpace(t.ShopNo); no != "" && no != col.shop {
			col.foreign++
			continue
		}
		o, err := Normalize(col.platform, t)
		if err != nil {
			var oe *OrderError
			if !errors.As(err, &oe) {
				oe = &OrderError{TradeNo: t.TradeNo, Field: "trade", Err: err}
			}
			if _, ok := col.orders[oe.TradeNo]; !ok {
				key := oe.TradeNo
				if key == "" {
					key = fmt.Sprintf("(no trade_no #%d)", len(col.bad))
				}
				col.bad[key] = oe
			}
			continue
		}
		delete(col.bad, o.ID)
		if prev, ok := col.orders[o.ID]; !ok || !o.Updated.Before(prev.Updated) {
			col.orders[o.ID] = o
		}
		if col.page != nil {
			read = append(read, o)
		}
	}
	return read
}
