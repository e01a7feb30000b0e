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

// Orders returns every order of store storeID whose update time is within
// [from, to], each once, sorted by update time. In a multi-outlet shop the
// store id is the outlet's offline_id, asked for with the shop's token. In a
// retail chain it is the branch's kdt_id: a branch with a grant of its own
// is read with its own token, any other with the HQ token and offline_id
// set to the branch's kdt_id; the branch's orders are the ones whose
// node_kdt_id is storeID.
//
// Times go to the platform in China Standard Time whatever the PC's zone;
// when the platform's clock (its Date header) is ahead of the PC's, the
// window's end moves forward by the difference. A
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
	return c.OrdersByPage(ctx, storeID, from, to, nil)
}

// OrdersByPage is Orders that, while a window still has pages to read,
// hands the orders of each page read to page as soon as it arrives: on a
// busy day a window spans pages, and the new orders on the first print
// without waiting for the calls that follow. The first order that the
// store's last window did not read is handed over alone, before the rest
// of its page is decoded. The orders returned are the whole window, as
// Orders returns them, so an order handed over may come again, updated.
// An error from page stops the reading and is returned.
func (c *Client) OrdersByPage(ctx context.Context, storeID string, from, to time.Time, page func([]order.Order) error) ([]order.Order, error) {
	if err := c.checkStoreID(storeID); err != nil {
		return nil, fmt.Errorf("youzan %s: %w", c.cfg.Name, err)
	}
	from, to = from.Truncate(time.Second), to.Truncate(time.Second)
	if to.Before(from) {
		return nil, fmt.Errorf("youzan %s: window end %s is before its start %s",
			c.cfg.Name, order.FormatCST(to), order.FormatCST(from))
	}
	// The platform stamps orders with its own clock: when it is ahead of
	// the PC's, the window reaches to the platform's now, so that orders
	// do not wait for the PC's clock to catch up. Reading further than asked
	// only brings orders the caller sees again in its next window.
	q := c.query(storeID)
	if _, err := c.token(ctx, q.grant); err != nil { // also learns the platform's clock
		return nil, fmt.Errorf("youzan %s: orders of store %s: %w", c.cfg.Name, storeID, err)
	}
	skew := c.Skew()
	if skew > 0 {
		to = to.Add(skew)
	}
	if limit := c.now().Add(skew).Add(maxAhead).Truncate(time.Second); to.After(limit) {
		if from.After(limit) {
			return nil, nil // nothing can have been updated that far ahead
		}
		to = limit
	}
	if !to.After(from) {
		to = from.Add(time.Second) // the platform wants the end after the start
	}
	col := &collector{platform: c.cfg.Name, store: storeID, chain: c.cfg.Mode == ModeChain, orders: map[string]order.Order{}, bad: map[string]*OrderError{},
		page: page, cache: c.elements.begin(storeID)}
	defer c.elements.end(storeID, col.cache)
	if q.grant == storeID && col.chain {
		col.node = storeID // a branch's own token reads only its own orders
	}
	err := order.EachWindow(from, to, maxSpan, func(start, end time.Time) error {
		if err := c.window(ctx, col, q, start, end); err != nil {
			return fmt.Errorf("youzan %s: orders of store %s updated %s to %s: %w",
				c.cfg.Name, storeID, order.FormatCST(from), order.FormatCST(to), err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := order.SortedByUpdate(col.orders)
	if col.foreign > 0 {
		c.log.Warn("youzan returned orders of other stores; is offline_id honoured by this API version?",
			"store", storeID, "mode", c.cfg.Mode, "grant_id", q.grant, "version", c.cfg.Version, "dropped", col.foreign)
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

// storeQuery is how the orders of one store are asked for: with the token
// of grant, filtered by offline_id unless it is empty.
type storeQuery struct {
	store, grant, offlineID string
}

// query says how to ask for the orders of store.
func (c *Client) query(store string) storeQuery {
	if c.cfg.Mode != ModeChain {
		return storeQuery{store: store, grant: c.cfg.GrantID, offlineID: store}
	}
	if g, ok := c.cfg.BranchGrants[store]; ok && g == store {
		return storeQuery{store: store, grant: g}
	} else if ok {
		return storeQuery{store: store, grant: g, offlineID: store}
	}
	return storeQuery{store: store, grant: c.cfg.GrantID, offlineID: store}
}

// window reads every order updated within [from, to], splitting the window
// when it holds more orders than the platform pages through.
func (c *Client) window(ctx context.Context, col *collector, q storeQuery, from, to time.Time) error {
	p := TradesSoldGetParams{StartUpdate: order.FormatCST(from), EndUpdate: order.FormatCST(to),
		OfflineID: Long(q.offlineID), PageNo: 1, PageSize: PageSize}
	page := func(n int64) (*rawTrades, error) {
		p.PageNo = n
		col.calls++
		d, err := c.tradesSoldGet(ctx, q.grant, p)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", n, err)
		}
		return d, nil
	}
	// add reads the orders of page n; more says whether calls follow, so
	// that what it read is handed over at once.
	add := func(n int64, d *rawTrades, more bool) error {
		read, err := col.add(d.List)
		if err != nil {
			return fmt.Errorf("page %d: %w", n, err)
		}
		if more {
			return order.HandOver(col.page, read)
		}
		return nil
	}
	first, err := page(1)
	if err != nil {
		return err
	}
	if first.TotalResults >= MaxPages*PageSize {
		return c.split(ctx, col, q, from, to, first.TotalResults)
	}
	pages := (first.TotalResults + PageSize - 1) / PageSize
	if err := add(1, first, pages > 1); err != nil || pages <= 1 {
		return err
	}
	for n := pages; n >= 2; n-- {
		d, err := page(n)
		if err != nil {
			return err
		}
		if d.TotalResults >= MaxPages*PageSize || (n == MaxPages && len(d.List) >= PageSize) {
			// The window filled up while it was being read.
			return c.split(ctx, col, q, from, to, d.TotalResults)
		}
		if err := add(n, d, true); err != nil {
			return err
		}
	}
	again, err := page(1)
	if err != nil {
		return err
	}
	return add(1, again, false)
}

// split reads [from, mid] and [mid, to]. The halves share the second mid, so
// nothing is lost whether the platform's end is inclusive or not; the
// collector merges what comes twice.
func (c *Client) split(ctx context.Context, col *collector, q storeQuery, from, to time.Time, total int64) error {
	mid := from.Add(to.Sub(from) / 2).Truncate(time.Second)
	if !mid.After(from) || !mid.Before(to) {
		return fmt.Errorf("%d orders were updated between %s and %s, more than the %d one query can page through, and the window cannot be split further",
			total, order.FormatCST(from), order.FormatCST(to), MaxPages*PageSize)
	}
	c.log.Debug("youzan window split", "store", q.store, "total", total,
		"from", order.FormatCST(from), "mid", order.FormatCST(mid), "to", order.FormatCST(to))
	if err := c.window(ctx, col, q, from, mid); err != nil {
		return err
	}
	return c.window(ctx, col, q, mid, to)
}

// collector gathers the orders of one Orders call.
type collector struct {
	platform, store string
	chain           bool   // stores are branches, named by node_kdt_id
	node            string // node_kdt_id of orders that come without one
	orders          map[string]order.Order
	bad             map[string]*OrderError
	foreign         int // orders of other outlets
	calls           int
	page            func([]order.Order) error // nil: nothing is handed over before the end
	cache           *storeElements            // what the elements of the store's last window came to
	sentNew         bool                      // the first order not read before was handed over ahead
}

// add merges the orders of a page into col and returns the ones of col's
// store it could read, in the page's order. An element read unchanged in
// the store's last window is not decoded again; the first that was not is
// handed over at once when orders are handed over. An element that is not an
// order at all (a field of the wrong JSON type) fails the page, as a
// garbled answer does.
func (col *collector) add(elements [][]byte) ([]order.Order, error) {
	var read []order.Order
	for i, raw := range elements {
		h := col.cache.hash(raw)
		res, ok := col.cache.lookup(h, raw)
		if !ok {
			e, err := decodeEntry(i, raw)
			if err != nil {
				return nil, &APIError{API: apiTradesSoldGet, Err: err}
			}
			res = col.result(e)
			col.cache.keep(h, cachedElement{raw: raw, res: res})
		}
		switch {
		case res.foreign:
			col.foreign++
			continue
		case res.bad != nil:
			oe := res.bad
			if _, ok := col.orders[oe.TID]; !ok {
				key := oe.TID
				if key == "" {
					key = fmt.Sprintf("(no tid #%d)", len(col.bad))
				}
				col.bad[key] = oe
			}
			continue
		}
		o := res.order
		delete(col.bad, o.ID)
		if prev, ok := col.orders[o.ID]; !ok || !o.Updated.Before(prev.Updated) {
			col.orders[o.ID] = o
		}
		if col.page != nil {
			read = append(read, o)
			if !ok && !col.sentNew && i < len(elements)-1 {
				// The first order not read before (new, most likely) goes
				// ahead, before the rest of the page is decoded: on a
				// burst that is fifty orders.
				col.sentNew = true
				if err := order.HandOver(col.page, []order.Order{o}); err != nil {
					return nil, err
				}
			}
		}
	}
	return read, nil
}

// result is what one order of the list comes to for col's store.
func (col *collector) result(e TradeEntry) entryResult {
	fo := e.FullOrderInfo
	if col.node != "" && (fo.OrderInfo.NodeKdtID == "" || fo.OrderInfo.NodeKdtID == "0") {
		fo.OrderInfo.NodeKdtID = Long(col.node)
	}
	normalize := Normalize
	if col.chain {
		normalize = NormalizeChain
	}
	o, err := normalize(col.platform, fo)
	if err != nil {
		var oe *OrderError
		if !errors.As(err, &oe) {
			oe = &OrderError{TID: e.FullOrderInfo.OrderInfo.TID, Field: "order", Err: err}
		}
		return entryResult{bad: oe}
	}
	if o.StoreID != col.store {
		return entryResult{foreign: true}
	}
	return entryResult{order: o}
}
