package youzan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"storeedge/sync/order"
)

const (
	// maxSpan is the longest window asked in one query; longer windows are
	// asked in pieces. The platform allows 3 months.
	maxSpan = 31 * 24 * time.Hour
	// maxAhead caps the window's end: the platform refuses an end more than
	// 7 days ahead of its clock (106000003); a day of slack covers a PC
	// clock that runs fast.
	maxAhead = 6 * 24 * time.Hour
)

// Orders returns every order of outlet storeID (the platform's offline_id)
// whose update time is within [from, to], each once, sorted by update time.
//
// Times go to the platform in China Standard Time whatever the PC's zone. A
// window of more than 10,000 orders (100 pages of 100) is split in two, again
// and again, so every order comes. Pages are read from the last to the first
// and page 1 once more at the end: the list is sorted by update time, so an
// order updated while paging moves to the end, and this order of reading
// sees every row at least once; rows seen twice are merged by tid.
//
// Orders the platform returns for another outlet are dropped and logged.
// Orders that cannot be read do not stop the others: Orders returns the
// orders it read together with a *BadOrdersError naming each bad order and
// field. A failure of the platform or the network is an error wrapping an
// *APIError (see APIError.Temporary); bad arguments are plain errors.
func (c *Client) Orders(ctx context.Context, storeID string, from, to time.Time) ([]order.Order, error) {
	if err := checkStoreID(storeID); err != nil {
		return nil, fmt.Errorf("youzan %s: %w", c.cfg.Name, err)
	}
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	if to.Before(from) {
		return nil, fmt.Errorf("youzan %s: window end %s is before its start %s",
			c.cfg.Name, order.FormatCST(to), order.FormatCST(from))
	}
	if limit := c.now().Add(maxAhead).Truncate(time.Second); to.After(limit) {
		if from.After(limit) {
			return nil, nil // nothing can have been updated that far ahead
		}
		to = limit
	}
	if !to.After(from) {
		to = from.Add(time.Second) // the platform wants the end after the start
	}
	col := &collector{platform: c.cfg.Name, store: storeID, orders: map[string]order.Order{}, bad: map[string]*OrderError{}}
	for start := from; ; {
		end := start.Add(maxSpan)
		if end.After(to) {
			end = to
		}
		if err := c.window(ctx, col, storeID, start, end); err != nil {
			return nil, fmt.Errorf("youzan %s: orders of store %s updated %s to %s: %w",
				c.cfg.Name, storeID, order.FormatCST(from), order.FormatCST(to), err)
		}
		if !end.Before(to) {
			break
		}
		start = end
	}
	out := make([]order.Order, 0, len(col.orders))
	for _, o := range col.orders {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b order.Order) int {
		return cmp.Or(a.Updated.Compare(b.Updated), cmp.Compare(a.ID, b.ID))
	})
	if col.foreign > 0 {
		c.log.Warn("youzan returned orders of other outlets; is offline_id honoured by this API version?",
			"store", storeID, "version", c.cfg.Version, "dropped", col.foreign)
	}
	c.log.Debug("youzan orders", "store", storeID, "from", order.FormatCST(from), "to", order.FormatCST(to),
		"orders", len(out), "calls", col.calls)
	if len(col.bad) > 0 {
		bad := &BadOrdersError{}
		for _, oe := range col.bad {
			bad.Orders = append(bad.Orders, oe)
		}
		slices.SortFunc(bad.Orders, func(a, b *OrderError) int { return cmp.Compare(a.TID, b.TID) })
		return out, bad
	}
	return out, nil
}

// window reads every order updated within [from, to], splitting the window
// when it holds more orders than the platform pages through.
func (c *Client) window(ctx context.Context, col *collector, store string, from, to time.Time) error {
	p := TradesSoldGetParams{StartUpdate: order.FormatCST(from), EndUpdate: order.FormatCST(to),
		OfflineID: Long(store), PageNo: 1, PageSize: PageSize}
	page := func(n int64) (*TradesSoldGetData, error) {
		p.PageNo = n
		col.calls++
		d, err := c.tradesSoldGet(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", n, err)
		}
		return d, nil
	}
	first, err := page(1)
	if err != nil {
		return err
	}
	if first.TotalResults >= MaxPages*PageSize {
		return c.split(ctx, col, store, from, to, first.TotalResults)
	}
	col.add(first.FullOrderInfoList)
	pages := (first.TotalResults + PageSize - 1) / PageSize
	if pages <= 1 {
		return nil
	}
	for n := pages; n >= 2; n-- {
		d, err := page(n)
		if err != nil {
			return err
		}
		if d.TotalResults >= MaxPages*PageSize || (n == MaxPages && len(d.FullOrderInfoList) >= PageSize) {
			// The window filled up while it was being read.
			return c.split(ctx, col, store, from, to, d.TotalResults)
		}
		col.add(d.FullOrderInfoList)
	}
	again, err := page(1)
	if err != nil {
		return err
	}
	col.add(again.FullOrderInfoList)
	return nil
}

// split reads [from, mid] and [mid, to]. The halves share the second mid, so
// nothing is lost whether the platform's end is inclusive or not; the
// collector merges what comes twice.
func (c *Client) split(ctx context.Context, col *collector, store string, from, to time.Time, total int64) error {
	mid := from.Add(to.Sub(from) / 2).Truncate(time.Second)
	if !mid.After(from) || !mid.Before(to) {
		return fmt.Errorf("%d orders were updated between %s and %s, more than the %d one query can page through, and the window cannot be split further",
			total, order.FormatCST(from), order.FormatCST(to), MaxPages*PageSize)
	}
	c.log.Debug("youzan window split", "store", store, "total", total,
		"from", order.FormatCST(from), "mid", order.FormatCST(mid), "to", order.FormatCST(to))
	if err := c.window(ctx, col, store, from, mid); err != nil {
		return err
	}
	return c.window(ctx, col, store, mid, to)
}

// collector gathers the orders of one Orders call.
type collector struct {
	platform, store string
	orders          map[string]order.Order
	bad             map[string]*OrderError
	foreign         int // orders of other outlets
	calls           int
}

func (col *collector) add(entries []TradeEntry) {
	for _, e := range entries {
		o, err := Normalize(col.platform, e.FullOrderInfo)
		if err != nil {
			var oe *OrderError
			if !errors.As(err, &oe) {
				oe = &OrderError{TID: e.FullOrderInfo.OrderInfo.TID, Field: "order", Err: err}
			}
			if _, ok := col.orders[oe.TID]; !ok {
				key := oe.TID
				if key == "" {
					key = fmt.Sprintf("(no tid #%d)", len(col.bad))
				}
				col.bad[key] = oe
			}
			continue
		}
		if o.StoreID != col.store {
			col.foreign++
			continue
		}
		delete(col.bad, o.ID)
		if prev, ok := col.orders[o.ID]; !ok || !o.Updated.Before(prev.Updated) {
			col.orders[o.ID] = o
		}
	}
}
