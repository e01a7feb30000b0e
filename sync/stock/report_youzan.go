package stock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"storeedge/decimal"
	"storeedge/sync/youzan"
)

// Youzan youzan.multistore.goods.sku.update limits.
const (
	// YouzanAPISKUUpdate updates the stock and prices of one item's SKUs in
	// one outlet of a multi-outlet shop, absolute values, prices in yuan.
	YouzanAPISKUUpdate     = "youzan.multistore.goods.sku.update"
	YouzanSKUUpdateVersion = "3.0.0"
	// YouzanMaxItems is the SKUs per batch; a batch is one call per item.
	YouzanMaxItems = 100
	// YouzanQPS is the calls per second a reporter makes at most; the
	// platform suggests 50 per store for SKU updates.
	YouzanQPS = 20
)

// YouzanItem names a SKU on Youzan: the item (num_iid) and, for an item
// with SKUs, the SKU (sku_id); SKUID 0 = the item has no SKUs.
type YouzanItem struct {
	NumIID int64
	SKUID  int64
}

func (y YouzanItem) String() string {
	if y.SKUID == 0 {
		return strconv.FormatInt(y.NumIID, 10)
	}
	return strconv.FormatInt(y.NumIID, 10) + ":" + strconv.FormatInt(y.SKUID, 10)
}

// ParseYouzanItem reads "num_iid:sku_id" or "num_iid" (an item without
// SKUs), both positive numbers.
func ParseYouzanItem(s string) (YouzanItem, error) {
	a, b, hasSKU := strings.Cut(strings.TrimSpace(s), ":")
	num := func(what, t string) (int64, error) {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n <= 0 || !digitsOnly(t) {
			return 0, fmt.Errorf("%q: %s %q is not a positive number", s, what, t)
		}
		return n, nil
	}
	var y YouzanItem
	var err error
	if y.NumIID, err = num("num_iid", a); err != nil {
		return YouzanItem{}, err
	}
	if hasSKU {
		if y.SKUID, err = num("sku_id", b); err != nil {
			return YouzanItem{}, err
		}
	}
	return y, nil
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// YouzanConfig configures a YouzanReporter.
type YouzanConfig struct {
	Client *youzan.Client // the [[platform]]'s client: its credentials and token
	// Items maps a POS SKU to its Youzan item and SKU. A SKU not listed is
	// read as "num_iid:sku_id" or "num_iid" itself (a POS that keeps the
	// Youzan ids as its codes); any other SKU is refused, by name.
	Items  map[string]YouzanItem
	QPS    int // calls per second at most; default YouzanQPS
	Logger *slog.Logger
	Now    func() time.Time
}

// YouzanReporter reports stock and prices to the outlets (offline_id) of a
// Youzan multi-outlet shop with youzan.multistore.goods.sku.update: one
// call per item, carrying that item's SKUs of the batch. The values are
// absolute, so a call repeated after a lost answer changes nothing.
// Negative stock is reported as 0 and fractional stock as its whole units;
// a price with more than two decimals is refused (Youzan counts fen).
type YouzanReporter struct {
	c     *youzan.Client
	items map[string]YouzanItem
	log   *slog.Logger
	now   func() time.Time
	gap   time.Duration

	mu   sync.Mutex // guards next
	next time.Time  // the earliest time of the next call
}

var _ Reporter = (*YouzanReporter)(nil)

// NewYouzanReporter checks cfg.
func NewYouzanReporter(cfg YouzanConfig) (*YouzanReporter, error) {
	if cfg.Client == nil {
		return nil, errors.New("youzan reporter: no platform client")
	}
	if m := cfg.Client.Mode(); m != youzan.ModeMultiOutlet {
		return nil, fmt.Errorf("youzan reporter: platform %q is in mode %q; stock and prices are reported to multi-outlet shops (mode %q) only",
			cfg.Client.Name(), m, youzan.ModeMultiOutlet)
	}
	for _, sku := range slices.Sorted(maps.Keys(cfg.Items)) {
		if y := cfg.Items[sku]; y.NumIID <= 0 || y.SKUID < 0 {
			return nil, fmt.Errorf("youzan reporter: items: sku %q: num_iid %d / sku_id %d are not positive ids", sku, y.NumIID, y.SKUID)
		}
	}
	if cfg.QPS <= 0 {
		cfg.QPS = YouzanQPS
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &YouzanReporter{c: cfg.Client, items: cfg.Items, log: cfg.Logger, now: cfg.Now, gap: time.Second / time.Duration(cfg.QPS)}, nil
}

// Kinds implements Reporter.
func (y *YouzanReporter) Kinds() []Kind { return []Kind{KindStock, KindPrice} }

// Limits implements Reporter: no published daily budget.
func (y *YouzanReporter) Limits() Limits { return Limits{MaxItems: YouzanMaxItems} }

// youzanSKU is one entry of skus_with_json.
type youzanSKU struct {
	SKUID    int64           `json:"sku_id"`
	Quantity *int64          `json:"sku_quantity,omitempty"`
	Price    json.RawMessage `json:"sku_price,omitempty"`
}

// youzanLine is one SKU of a batch, resolved.
type youzanLine struct {
	sku   string
	ref   YouzanItem
	value string // whole units (stock) or yuan with at most 2 decimals (price)
}

// Report implements Reporter. b.Store is the outlet's offline_id.
func (y *YouzanReporter) Report(ctx context.Context, b Batch) (map[string]string, error) {
	if b.Kind != KindStock && b.Kind != KindPrice {
		return nil, fmt.Errorf("youzan takes no %q values", b.Kind)
	}
	offline, err := strconv.ParseInt(b.Store, 10, 64)
	if err != nil || offline <= 0 || !digitsOnly(b.Store) {
		return nil, fmt.Errorf("youzan: store %q is not an outlet id (offline_id, digits only)", b.Store)
	}
	refused := map[string]string{}
	// One call per item with SKUs; an item without SKUs is its own call.
	byItem := map[string][]youzanLine{}
	var order []string
	for _, it := range b.Items {
		ref, ok := y.items[it.SKU]
		if !ok {
			r, err := ParseYouzanItem(it.SKU)
			if err != nil {
				refused[it.SKU] = "no Youzan item for this SKU: map it in the reporter's items, or use num_iid:sku_id as its code"
				continue
			}
			ref = r
		}
		v, err := youzanValue(b.Kind, it.Num)
		if err != nil {
			refused[it.SKU] = err.Error()
			continue
		}
		group := strconv.FormatInt(ref.NumIID, 10)
		if ref.SKUID == 0 {
			group += "\x00" + it.SKU
		}
		if _, seen := byItem[group]; !seen {
			order = append(order, group)
		}
		byItem[group] = append(byItem[group], youzanLine{sku: it.SKU, ref: ref, value: v})
	}
	for _, id := range order {
		if err := y.reportItem(ctx, b.Kind, offline, byItem[id], refused); err != nil {
			return nil, err
		}
	}
	if len(refused) == 0 {
		return nil, nil
	}
	return refused, nil
}

// reportItem updates one item's lines. A refusal of a call with several
// SKUs is narrowed down by calling again SKU by SKU.
func (y *YouzanReporter) reportItem(ctx context.Context, kind Kind, offline int64, lines []youzanLine, refused map[string]string) error {
	err := y.update(ctx, kind, offline, lines)
	if err == nil {
		return nil
	}
	if !isYouzanRefusal(err) {
		return err
	}
	if len(lines) == 1 {
		refused[lines[0].sku] = youzanWords(err)
		return nil
	}
	for _, l := range lines {
		if err := y.update(ctx, kind, offline, []youzanLine{l}); err != nil {
			if !isYouzanRefusal(err) {
				return err
			}
			refused[l.sku] = youzanWords(err)
		}
	}
	return nil
}

// update makes one sku.update call for one item.
func (y *YouzanReporter) update(ctx context.Context, kind Kind, offline int64, lines []youzanLine) error {
	p := map[string]any{"num_iid": lines[0].ref.NumIID, "offline_id": offline}
	if lines[0].ref.SKUID == 0 {
		// An item without SKUs: its own quantity or price.
		if kind == KindStock {
			p["quantity"] = lines[0].value
		} else {
			p["price"] = json.RawMessage(lines[0].value)
		}
	} else {
		skus := make([]youzanSKU, 0, len(lines))
		for _, l := range lines {
			s := youzanSKU{SKUID: l.ref.SKUID}
			if kind == KindStock {
				n, _ := strconv.ParseInt(l.value, 10, 64)
				s.Quantity = &n
			} else {
				s.Price = json.RawMessage(l.value)
			}
			skus = append(skus, s)
		}
		js, err := json.Marshal(skus)
		if err != nil {
			return fmt.Errorf("youzan: encode skus_with_json: %w", err)
		}
		p["skus_with_json"] = string(js)
	}
	if err := y.wait(ctx); err != nil {
		return err
	}
	var res json.RawMessage
	if err := y.c.Call(ctx, YouzanAPISKUUpdate, YouzanSKUUpdateVersion, p, &res); err != nil {
		return err
	}
	// The result is {"is_success": true} (or a bare true): anything saying
	// false is a refusal.
	var ok struct {
		IsSuccess *bool `json:"is_success"`
	}
	var bare bool
	switch {
	case json.Unmarshal(res, &bare) == nil:
		if !bare {
			return &youzan.APIError{API: YouzanAPISKUUpdate, Message: "is_success is false", Code: -1}
		}
	case json.Unmarshal(res, &ok) == nil && ok.IsSuccess != nil:
		if !*ok.IsSuccess {
			return &youzan.APIError{API: YouzanAPISKUUpdate, Message: "is_success is false", Code: -1}
		}
	default:
		return &youzan.APIError{API: YouzanAPISKUUpdate, Err: fmt.Errorf("answer data %.100s has no is_success", res)}
	}
	return nil
}

// wait spaces the calls by the reporter's QPS.
func (y *YouzanReporter) wait(ctx context.Context) error {
	y.mu.Lock()
	now := y.now()
	at := y.next
	if at.Before(now) {
		at = now
	}
	y.next = at.Add(y.gap)
	y.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// youzanValue is a value as the platform takes it.
func youzanValue(kind Kind, d decimal.Dec) (string, error) {
	if kind == KindPrice {
		if d.Sign() < 0 {
			return "", fmt.Errorf("price %s is negative", d)
		}
		if f := d.Fixed(2); decimal.MustParse(f).Cmp(d) != 0 {
			return "", fmt.Errorf("price %s has more than 2 decimals; Youzan prices are in fen", d)
		}
		return d.Fixed(2), nil
	}
	if d.Sign() <= 0 {
		return "0", nil
	}
	whole, _, _ := strings.Cut(d.String(), ".")
	return whole, nil
}

// isYouzanRefusal tells a refusal of the call's content (a business error
// or a parameter the platform could not take) from a failure of the call
// itself (transport, throttling, the token or the app's permissions).
func isYouzanRefusal(err error) bool {
	var ae *youzan.APIError
	if !errors.As(err, &ae) || ae.Err != nil || ae.Throttled || ae.Auth || ae.Temporary() {
		return false
	}
	switch ae.Code {
	case 0, youzan.CodeBadPath, youzan.CodeBadJSON, youzan.CodeUnknownAPI, youzan.CodeRefused, youzan.CodeNoPermission:
		return false
	}
	return true
}

// youzanWords is a refusal in words, per SKU.
func youzanWords(err error) string {
	var ae *youzan.APIError
	if errors.As(err, &ae) && ae.Message != "" {
		if ae.Code > 0 {
			return fmt.Sprintf("%s (%d)", strings.TrimSpace(ae.Message), ae.Code)
		}
		return strings.TrimSpace(ae.Message)
	}
	return err.Error()
}
