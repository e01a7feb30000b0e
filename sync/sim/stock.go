package sim

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"storeedge/decimal"
	"storeedge/sync/order"
	"storeedge/sync/wdt"
	"storeedge/sync/youzan"
)

// The simulated Hiding 鼎力云 tenant. Its endpoints are served under
// /hiding, so a client's base URL is "<sim>/hiding".
const (
	HidingTenant        = "demo-tenant"
	HidingAuthorization = "demo-user:demo-password" // sent as Basic base64 of this
	HidingMaxItems      = 100
)

// Wangdiantong stock_sync_by_pd.php limits and codes.
const (
	WDTStockMaxLines  = 500
	WDTStockDailyCall = 2000
	// WDTCodeDupOuterNo answers an api_outer_no seen before.
	WDTCodeDupOuterNo = wdt.CodeDuplicateOuter
	// WDTCodeGoodsNotFound is a spec_no the ERP does not know.
	WDTCodeGoodsNotFound = wdt.CodeGoodsNotFound
	// WDTCodeDailyLimit answers a call beyond the daily budget. The platform's
	// own code for it is not public; this one is the simulator's.
	WDTCodeDailyLimit = 21000099
)

// Platforms as recorded by StockState.
const (
	StockHiding = "hiding"
	StockWDT    = "wdt"
	StockYouzan = "youzan"
)

// Youzan youzan.multistore.goods.sku.update, as the simulator serves it.
const (
	APIMultistoreSKUUpdate = "youzan.multistore.goods.sku.update"
	// YouzanCodeSKUNotFound answers an item or SKU the shop does not sell
	// in the outlet. The platform's own code for it is not public; this one
	// is the simulator's.
	YouzanCodeSKUNotFound = 141500101
)

// StockApplied is one SKU value a platform applied.
type StockApplied struct {
	Platform string    `json:"platform"` // StockHiding, StockWDT or StockYouzan
	Kind     string    `json:"kind"`     // "stock" or "price"
	Store    string    `json:"store"`    // Hiding store_id, Wangdiantong warehouse_no or Youzan offline_id
	SKU      string    `json:"sku"`      // Youzan: "num_iid:sku_id", or "num_iid" for an item without SKUs
	Value    string    `json:"value"`    // exact decimal as sent
	Key      string    `json:"key"`      // task_id or api_outer_no
	At       time.Time `json:"at"`
}

// StockCall is one stock or price call received.
type StockCall struct {
	Platform  string `json:"platform"`
	Kind      string `json:"kind"`
	Store     string `json:"store"`
	Key       string `json:"key"` // business_key or api_outer_no
	Items     int    `json:"items"`
	Status    int    `json:"status"`    // HTTP status answered
	Code      string `json:"code"`      // platform code answered ("" or "0" = success)
	Duplicate bool   `json:"duplicate"` // the key was seen before: nothing applied
}

// StockState is what the simulator's stock and price endpoints received
// and applied. Its methods are safe for concurrent use.
type StockState struct {
	mu       sync.Mutex
	applied  []StockApplied
	calls    []StockCall
	values   map[string]string // platform/kind/store/sku -> value
	keys     map[string]bool   // idempotency keys applied
	reject   map[string]string // sku -> message answered as a per-item error
	fail     map[string]int    // platform -> HTTP status of the next calls
	failN    map[string]int
	latency  time.Duration
	wdtDay   string
	wdtCalls int
	wdtLimit int
}

var stockStates sync.Map // *Sim -> *StockState

// Stock returns the simulator's stock and price state.
func (s *Sim) Stock() *StockState {
	if v, ok := stockStates.Load(s); ok {
		return v.(*StockState)
	}
	v, _ := stockStates.LoadOrStore(s, &StockState{
		values: map[string]string{}, keys: map[string]bool{}, reject: map[string]string{},
		fail: map[string]int{}, failN: map[string]int{}, wdtLimit: WDTStockDailyCall,
	})
	return v.(*StockState)
}

// Applied returns every value applied, in order.
func (st *StockState) Applied() []StockApplied {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.applied)
}

// Calls returns every stock and price call received, in order.
func (st *StockState) Calls() []StockCall {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.calls)
}

// Value returns the value a platform holds for a SKU.
func (st *StockState) Value(platform, kind, store, sku string) (string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	v, ok := st.values[platform+"/"+kind+"/"+store+"/"+sku]
	return v, ok
}

// RejectSKU makes every platform refuse sku with a per-item error (Youzan:
// sku is "num_iid:sku_id" or "num_iid", and the whole call is refused).
func (st *StockState) RejectSKU(sku, message string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.reject[sku] = message
}

// FailNext answers the next n calls of platform with HTTP status (before
// applying anything).
func (st *StockState) FailNext(platform string, n, status int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.fail[platform], st.failN[platform] = status, n
}

// SetLatency delays every answer by d after the values are applied, so a
// client that gives up or dies meanwhile does not know they were.
func (st *StockState) SetLatency(d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.latency = d
}

// SetWDTDailyLimit changes the daily budget of stock_sync_by_pd.php calls.
func (st *StockState) SetWDTDailyLimit(n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.wdtLimit = n
}

func (st *StockState) takeFail(platform string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.failN[platform] <= 0 {
		return 0
	}
	st.failN[platform]--
	return st.fail[platform]
}

func (st *StockState) record(c StockCall) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.calls = append(st.calls, c)
}

func (st *StockState) wait() {
	st.mu.Lock()
	d := st.latency
	st.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
}

// stockItem is one SKU value to apply, with its idempotency key.
type stockItem struct{ sku, value, key string }

// apply applies items under the call key. A call key seen before applies
// nothing (dup). Items with a key seen before are skipped; refused SKUs
// come back in refused.
func (st *StockState) apply(platform, kind, store, callKey string, items []stockItem, now time.Time) (dup bool, refused map[string]string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if callKey != "" {
		if st.keys[platform+"/call/"+callKey] {
			return true, nil
		}
		st.keys[platform+"/call/"+callKey] = true
	}
	refused = map[string]string{}
	for _, it := range items {
		if msg, ok := st.reject[it.sku]; ok {
			refused[it.sku] = msg
			continue
		}
		if it.key != "" {
			k := platform + "/item/" + it.key
			if st.keys[k] {
				continue
			}
			st.keys[k] = true
		}
		st.values[platform+"/"+kind+"/"+store+"/"+it.sku] = it.value
		st.applied = append(st.applied, StockApplied{Platform: platform, Kind: kind, Store: store, SKU: it.sku, Value: it.value, Key: it.key, At: now})
	}
	return false, refused
}

// stockRoutes adds the stock and price endpoints of Hiding, Wangdiantong
// and Youzan, and GET /admin/stock (applied values and calls).
func (s *Sim) stockRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /hiding/{tenant}/invc/storeinvservice/store/{store}/invs", func(w http.ResponseWriter, r *http.Request) {
		s.hidingStore(w, r, "stock")
	})
	mux.HandleFunc("POST /hiding/{tenant}/invc/storepriceservice/store/{store}/prices", func(w http.ResponseWriter, r *http.Request) {
		s.hidingStore(w, r, "price")
	})
	mux.HandleFunc("POST /openapi2/stock_sync_by_pd.php", s.wdtStockSync)
	mux.HandleFunc("POST /openapi/stock_sync_by_pd.php", s.wdtStockSync)
	mux.HandleFunc("/api/"+APIMultistoreSKUUpdate+"/3.0.0", s.youzanSKUUpdate)
	mux.HandleFunc("GET /admin/stock", func(w http.ResponseWriter, _ *http.Request) {
		st := s.Stock()
		writeJSON(w, http.StatusOK, map[string]any{"applied": st.Applied(), "calls": st.Calls()})
	})
}

type hidingResult struct {
	Success bool             `json:"success"`
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Errors  []map[string]any `json:"errors,omitempty"`
}

func (s *Sim) hidingStore(w http.ResponseWriter, r *http.Request, kind string) {
	st := s.Stock()
	api := "hiding." + kind
	s.count(api)
	store := r.PathValue("store")
	call := StockCall{Platform: StockHiding, Kind: kind, Store: store}
	answer := func(status int, res hidingResult) {
		call.Status, call.Code = status, res.Code
		st.record(call)
		writeJSON(w, status, res)
	}
	if status := st.takeFail(StockHiding); status != 0 {
		answer(status, hidingResult{Code: strconv.Itoa(status), Message: "模拟错误"})
		return
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(HidingAuthorization))
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
		answer(http.StatusUnauthorized, hidingResult{Code: "401", Message: "未授权"})
		return
	}
	if r.PathValue("tenant") != HidingTenant {
		answer(http.StatusNotFound, hidingResult{Code: "404", Message: "租户不存在: " + r.PathValue("tenant")})
		return
	}
	if r.URL.Query().Get("operator") == "" {
		answer(http.StatusBadRequest, hidingResult{Code: "400", Message: "operator 不能为空"})
		return
	}
	var body struct {
		BusinessKey string `json:"business_key"`
		Skus        []struct {
			SKU       string          `json:"sku_id"`
			Available json.RawMessage `json:"available"`
			Price     json.RawMessage `json:"price"`
			TaskID    string          `json:"task_id"`
		} `json:"skus"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	if err := json.Unmarshal(raw, &body); err != nil {
		answer(http.StatusBadRequest, hidingResult{Code: "400", Message: "请求体不是合法的JSON: " + err.Error()})
		return
	}
	call.Key, call.Items = body.BusinessKey, len(body.Skus)
	if len(body.Skus) == 0 || len(body.Skus) > HidingMaxItems {
		answer(http.StatusBadRequest, hidingResult{Code: "400", Message: fmt.Sprintf("skus 为 %d 条, 每次更新 1 至 %d 条", len(body.Skus), HidingMaxItems)})
		return
	}
	var items []stockItem
	for i, sk := range body.Skus {
		num := sk.Available
		if kind == "price" {
			num = sk.Price
		}
		v, err := decimal.Parse(string(num))
		if sk.SKU == "" || err != nil || strings.HasPrefix(string(num), `"`) {
			answer(http.StatusBadRequest, hidingResult{Code: "400", Message: fmt.Sprintf("skus[%d]: sku_id 为空或数量/价格不是数字", i)})
			return
		}
		if sk.TaskID == "" {
			answer(http.StatusBadRequest, hidingResult{Code: "400", Message: fmt.Sprintf("skus[%d]: task_id 为空", i)})
			return
		}
		items = append(items, stockItem{sku: sk.SKU, value: v.String(), key: sk.TaskID})
	}
	dup, refused := st.apply(StockHiding, kind, store, body.BusinessKey, items, s.now())
	call.Duplicate = dup
	st.wait()
	res := hidingResult{Success: true, Code: "200", Message: "成功"}
	for _, it := range items {
		if msg, ok := refused[it.sku]; ok {
			res.Errors = append(res.Errors, map[string]any{"code": "sku_not_found", "message": msg, "store_id": store, "sku_id": it.sku})
		}
	}
	answer(http.StatusOK, res)
}

// wdtStockSync is stock_sync_by_pd.php: a stocktake pushing absolute stock
// into a warehouse, at most 500 lines and 2000 calls a day, api_outer_no
// unique.
func (s *Sim) wdtStockSync(w http.ResponseWriter, r *http.Request) {
	st := s.Stock()
	s.count("wdt.stock_sync_by_pd.php")
	call := StockCall{Platform: StockWDT, Kind: "stock"}
	answer := func(code int, msg string, extra map[string]any) {
		call.Status, call.Code = http.StatusOK, strconv.Itoa(code)
		st.record(call)
		v := map[string]any{"code": code, "message": msg}
		for k, x := range extra {
			v[k] = x
		}
		writeJSON(w, http.StatusOK, v)
	}
	if status := st.takeFail(StockWDT); status != 0 {
		call.Status = status
		st.record(call)
		http.Error(w, http.StatusText(status), status)
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		answer(wdt.CodeBadValue, "请求体无法解析", nil)
		return
	}
	p := map[string]string{}
	for k, v := range form {
		p[k] = v[0]
	}
	if p["sid"] != s.opt.WDTSID || p["appkey"] != s.opt.WDTAppKey {
		answer(wdt.CodeShopOrKey, "卖家账号不存在或appkey已停用", nil)
		return
	}
	ts, err := strconv.ParseInt(p["timestamp"], 10, 64)
	if err != nil {
		answer(wdt.CodeBadValue, "timestamp 应为10位秒级时间戳", nil)
		return
	}
	if d := s.clockNow().Sub(time.Unix(ts, 0)); d > wdt.Tolerance || d < -wdt.Tolerance {
		answer(WDTCodeBadTimestamp, "timestamp 与服务器时间相差超过5分钟", nil)
		return
	}
	if subtle.ConstantTimeCompare([]byte(p["sign"]), []byte(wdt.Sign(p, s.opt.WDTAppSecret))) != 1 {
		answer(WDTCodeBadSign, "签名错误", nil)
		return
	}
	call.Store, call.Key = p["warehouse_no"], p["api_outer_no"]
	for _, k := range []string{"warehouse_no", "api_outer_no", "goods_list"} {
		if p[k] == "" {
			answer(wdt.CodeMissingParam, "缺少参数 "+k, nil)
			return
		}
	}
	var goods []struct {
		SpecNo   string          `json:"spec_no"`
		StockNum json.RawMessage `json:"stock_num"`
	}
	if err := json.Unmarshal([]byte(p["goods_list"]), &goods); err != nil {
		answer(wdt.CodeBadValue, "goods_list 不是合法的JSON", nil)
		return
	}
	call.Items = len(goods)
	if len(goods) == 0 || len(goods) > WDTStockMaxLines {
		answer(wdt.CodeBadValue, fmt.Sprintf("goods_list 为 %d 行, 每次 1 至 %d 行", len(goods), WDTStockMaxLines), nil)
		return
	}
	day := order.FormatCST(s.now())[:10]
	st.mu.Lock()
	if st.wdtDay != day {
		st.wdtDay, st.wdtCalls = day, 0
	}
	over := st.wdtCalls >= st.wdtLimit
	if !over {
		st.wdtCalls++
	}
	st.mu.Unlock()
	if over {
		answer(WDTCodeDailyLimit, "今日盘点接口调用次数已超过上限", nil)
		return
	}
	var items []stockItem
	for i, g := range goods {
		num := strings.Trim(string(g.StockNum), `"`)
		v, err := decimal.Parse(num)
		if g.SpecNo == "" || err != nil {
			answer(wdt.CodeBadValue, fmt.Sprintf("goods_list[%d]: spec_no 为空或 stock_num 不是数字", i), nil)
			return
		}
		items = append(items, stockItem{sku: g.SpecNo, value: v.String()})
	}
	if p["is_post_error"] != "1" {
		st.mu.Lock()
		var missing []map[string]any
		for _, it := range items {
			if msg, ok := st.reject[it.sku]; ok {
				missing = append(missing, map[string]any{"spec_no": it.sku, "code": WDTCodeGoodsNotFound, "error": msg})
			}
		}
		st.mu.Unlock()
		if len(missing) > 0 {
			answer(WDTCodeGoodsNotFound, "货品不存在", map[string]any{"error_list": missing})
			return
		}
	}
	dup, refused := st.apply(StockWDT, "stock", p["warehouse_no"], p["api_outer_no"], items, s.now())
	if dup {
		call.Duplicate = true
		answer(WDTCodeDupOuterNo, "api_outer_no 重复: "+p["api_outer_no"], nil)
		return
	}
	st.wait()
	var errs []map[string]any
	for _, it := range items {
		if msg, ok := refused[it.sku]; ok {
			errs = append(errs, map[string]any{"spec_no": it.sku, "code": WDTCodeGoodsNotFound, "error": msg})
		}
	}
	answer(0, "", map[string]any{"error_list": errs})
}

// youzanSKUUpdate is youzan.multistore.goods.sku.update 3.0.0: absolute
// stock and prices (yuan) of one item's SKUs in one outlet of the
// multi-outlet shop, with the shop's token. skus_with_json is a JSON
// string of [{sku_id, sku_quantity, sku_price}]; an item without SKUs
// takes quantity (a string) and price instead. A SKU refused refuses the
// whole call, as the platform does.
func (s *Sim) youzanSKUUpdate(w http.ResponseWriter, r *http.Request) {
	st := s.Stock()
	s.count(APIMultistoreSKUUpdate)
	s.setDate(w)
	call := StockCall{Platform: StockYouzan}
	recordAs := func(code int) {
		call.Status, call.Code = http.StatusOK, strconv.Itoa(code)
		st.record(call)
	}
	if r.Method != http.MethodPost || mediaType(r) != "application/json" {
		recordAs(youzan.CodeRefused)
		s.gwError(w, youzan.CodeRefused, gatewayWords[youzan.CodeRefused])
		return
	}
	if status := st.takeFail(StockYouzan); status != 0 {
		call.Status = status
		st.record(call)
		http.Error(w, http.StatusText(status), status)
		return
	}
	if code, ok := s.takeFault(APIMultistoreSKUUpdate); ok {
		recordAs(code)
		s.writeFault(w, code)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	var p params
	if err := json.Unmarshal(body, &p); err != nil || p == nil {
		recordAs(youzan.CodeBadJSON)
		s.gwError(w, youzan.CodeBadJSON, gatewayWords[youzan.CodeBadJSON])
		return
	}
	code, grant := s.checkToken(r.URL.Query().Get("access_token"))
	if code != 0 {
		recordAs(code)
		s.gwError(w, code, gatewayWords[code])
		return
	}
	fail := func(e *paramError) {
		recordAs(e.code)
		s.writeParamError(w, e)
	}
	if s.opt.Chain || grant != s.opt.KdtID {
		fail(&paramError{gateway: true, code: youzan.CodeNoPermission, msg: "无权限: 店铺 " + grant + " 不是多网点店铺"})
		return
	}
	numIID, hasItem, perr := p.long("num_iid")
	if perr == nil && (!hasItem || numIID <= 0) {
		perr = badParam("num_iid 不能为空")
	}
	if perr != nil {
		fail(perr)
		return
	}
	offline, hasOffline, perr := p.long("offline_id")
	if perr != nil {
		fail(perr)
		return
	}
	store := strconv.FormatInt(offline, 10)
	known := false
	for _, o := range s.opt.Stores {
		known = known || o.ID == store
	}
	if !hasOffline || !known {
		fail(badParam("网点不存在: offline_id %s", store))
		return
	}
	call.Store = store
	type change struct {
		kind string
		item stockItem
	}
	var changes []change
	add := func(kind, sku string, raw json.RawMessage, field string) *paramError {
		t := strings.Trim(string(raw), `"`)
		v, err := decimal.Parse(t)
		switch {
		case err != nil:
			return typeError(field, "数字")
		case v.Sign() < 0:
			return badParam("%s 不能为负数: %s", field, t)
		case kind == "stock" && v.Cmp(decimal.MustParse(v.Fixed(0))) != 0:
			return badParam("%s 应为整数: %s", field, t)
		case kind == "price" && v.Cmp(decimal.MustParse(v.Fixed(2))) != 0:
			return badParam("%s 最多两位小数: %s", field, t)
		}
		changes = append(changes, change{kind, stockItem{sku: sku, value: v.String()}})
		return nil
	}
	item := strconv.FormatInt(numIID, 10)
	skusJSON, hasSKUs, perr := p.str("skus_with_json")
	if perr != nil {
		fail(perr)
		return
	}
	if hasSKUs {
		var skus []struct {
			SKUID    youzan.Long     `json:"sku_id"`
			Quantity json.RawMessage `json:"sku_quantity"`
			Price    json.RawMessage `json:"sku_price"`
		}
		if err := json.Unmarshal([]byte(skusJSON), &skus); err != nil || len(skus) == 0 {
			fail(badParam("skus_with_json 不是合法的 SKU 列表"))
			return
		}
		for i, sk := range skus {
			if n, err := strconv.ParseInt(string(sk.SKUID), 10, 64); err != nil || n <= 0 {
				fail(badParam("skus_with_json[%d]: sku_id 不能为空", i))
				return
			}
			sku := item + ":" + string(sk.SKUID)
			if sk.Quantity == nil && sk.Price == nil {
				fail(badParam("skus_with_json[%d]: sku_quantity 与 sku_price 不能都为空", i))
				return
			}
			if sk.Quantity != nil {
				if perr := add("stock", sku, sk.Quantity, fmt.Sprintf("skus_with_json[%d].sku_quantity", i)); perr != nil {
					fail(perr)
					return
				}
			}
			if sk.Price != nil {
				if perr := add("price", sku, sk.Price, fmt.Sprintf("skus_with_json[%d].sku_price", i)); perr != nil {
					fail(perr)
					return
				}
			}
		}
	} else {
		if raw, ok := p["quantity"]; ok {
			if !strings.HasPrefix(string(raw), `"`) {
				fail(typeError("quantity", "String"))
				return
			}
			if perr := add("stock", item, raw, "quantity"); perr != nil {
				fail(perr)
				return
			}
		}
		if raw, ok := p["price"]; ok {
			if perr := add("price", item, raw, "price"); perr != nil {
				fail(perr)
				return
			}
		}
		if len(changes) == 0 {
			fail(badParam("商品有规格时 skus_with_json 必填; 无规格时 quantity 或 price 必填"))
			return
		}
	}
	call.Items = len(changes)
	call.Kind = changes[0].kind
	st.mu.Lock()
	for _, c := range changes {
		if msg, ok := st.reject[c.item.sku]; ok {
			st.mu.Unlock()
			fail(&paramError{code: YouzanCodeSKUNotFound, msg: msg + ": " + c.item.sku})
			return
		}
	}
	st.mu.Unlock()
	for _, kind := range []string{"stock", "price"} {
		var items []stockItem
		for _, c := range changes {
			if c.kind == kind {
				items = append(items, c.item)
			}
		}
		if len(items) > 0 {
			st.apply(StockYouzan, kind, store, "", items, s.now())
		}
	}
	st.wait()
	recordAs(youzan.CodeOK)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "code": youzan.CodeOK, "message": "successful",
		"trace_id": s.traceID(), "data": map[string]any{"is_success": true}})
}
