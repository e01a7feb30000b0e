package stock

import (
	"context"
	"fmt"

	"storeedge/sync/hiding"
)

// HidingReporter reports store stock and prices to Hiding 鼎力云.
type HidingReporter struct {
	C *hiding.Client
}

var _ Reporter = (*HidingReporter)(nil)

// Kinds implements Reporter.
func (h *HidingReporter) Kinds() []Kind { return []Kind{KindStock, KindPrice} }

// Limits implements Reporter: 100 SKUs per store call, no published budget.
func (h *HidingReporter) Limits() Limits { return Limits{MaxItems: hiding.MaxItems} }

// Report implements Reporter. The batch key is the call's business_key and
// each item's task id its task_id.
func (h *HidingReporter) Report(ctx context.Context, b Batch) (map[string]string, error) {
	var (
		res *hiding.Result
		err error
	)
	switch b.Kind {
	case KindStock:
		items := make([]hiding.StockItem, len(b.Items))
		for i, it := range b.Items {
			items[i] = hiding.StockItem{SKU: it.SKU, Available: it.Num, ChangeTime: it.At, TaskID: it.TaskID}
		}
		res, err = h.C.UpdateStoreStock(ctx, b.Store, b.Key, items)
	case KindPrice:
		items := make([]hiding.PriceItem, len(b.Items))
		for i, it := range b.Items {
			items[i] = hiding.PriceItem{SKU: it.SKU, Price: it.Num, ChangeTime: it.At, TaskID: it.TaskID}
		}
		res, err = h.C.UpdateStorePrices(ctx, b.Store, items)
	default:
		return nil, fmt.Errorf("hiding takes no %q values", b.Kind)
	}
	if err != nil {
		return nil, err
	}
	refusals := make([][2]string, 0, len(res.Errors))
	for _, e := range res.Errors {
		refusals = append(refusals, [2]string{e.SKU, e.Code + " " + e.Message})
	}
	return verdicts(b, "hiding", refusals)
}
