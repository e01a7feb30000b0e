package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/decimal"
	"storeedge/sync/order"
	"storeedge/sync/youzan"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2024, 6, 1, 10, 0, 0, 0, order.CST)

type fixture struct {
	clk *clock
	sim *Sim
	srv *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clk: &clock{t: t0}}
	f.sim = New(Options{Seed: 1, Now: f.clk.Now})
	f.srv = httptest.NewServer(f.sim.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// answer is any platform answer, decoded loosely.
type answer struct {
	Success *bool           `json:"success"`
	Code    *int            `json:"code"`
	Message string          `json:"message"`
	Msg     string          `json:"msg"`
	Data    json.RawMessage `json:"data"`
	Gw      *struct {
		ErrCode int    `json:"err_code"`
		ErrMsg  string `json:"err_msg"`
	} `json:"gw_err_resp"`
}

// code returns the error code of an answer, 200 for a success.
func (a answer) code() int {
	switch {
	case a.Gw != nil:
		return a.Gw.ErrCode
	case a.Code != nil:
		return *a.Code
	}
	return -1
}

func (f *fixture) do(t *testing.T, method, path, ctype, body string, header map[string]string) (int, answer) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	return resp.StatusCode, a
}

func tokenBody(secret, authType, grant string, refresh any) string {
	b, _ := json.Marshal(map[string]any{"client_id": "demo-client", "client_secret": secret,
		"authorize_type": authType, "grant_id": grant, "refresh": refresh})
	return string(b)
}

func (f *fixture) token(t *testing.T, refresh bool) youzan.TokenData {
	t.Helper()
	_, a := f.do(t, "POST", "/auth/token", "application/json", tokenBody("demo-secret", "silent", "90001", refresh), nil)
	if a.code() != 200 || a.Success == nil || !*a.Success {
		t.Fatalf("token: code %d %s", a.code(), a.Message)
	}
	var td youzan.TokenData
	if err := json.Unmarshal(a.Data, &td); err != nil {
		t.Fatal(err)
	}
	return td
}

func TestToken(t *testing.T) {
	tests := []struct {
		name   string
		method string
		ctype  string
		body   string
		code   int
	}{
		{"ok", "POST", "application/json", tokenBody("demo-secret", "silent", "90001", false), 200},
		{"ok with charset", "POST", "application/json; charset=utf-8", tokenBody("demo-secret", "silent", "90001", true), 200},
		{"grant as number", "POST", "application/json", `{"client_id":"demo-client","client_secret":"demo-secret","authorize_type":"silent","grant_id":90001}`, 200},
		{"form encoded", "POST", "application/x-www-form-urlencoded",
			"client_id=demo-client&client_secret=demo-secret&authorize_type=silent&grant_id=90001", youzan.CodeBadSecret},
		{"wrong secret", "POST", "application/json", tokenBody("nope", "silent", "90001", false), youzan.CodeBadSecret},
		{"unknown client", "POST", "application/json", `{"client_id":"x","client_secret":"demo-secret","authorize_type":"silent","grant_id":"90001"}`, youzan.CodeNoClient},
		{"wrong grant", "POST", "application/json", tokenBody("demo-secret", "silent", "90002", false), youzan.CodeNoClient},
		{"not silent", "POST", "application/json", tokenBody("demo-secret", "authorization_code", "90001", false), youzan.CodeWrongAppType},
		{"refresh as string", "POST", "application/json", tokenBody("demo-secret", "silent", "90001", "true"), youzan.CodeSystemError},
		{"bad json", "POST", "application/json", `{"client_id":`, youzan.CodeBadJSON},
		{"get", "GET", "", "", youzan.CodeRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			status, a := f.do(t, tt.method, "/auth/token", tt.ctype, tt.body, nil)
			if status != http.StatusOK {
				t.Errorf("HTTP %d, errors come as HTTP 200", status)
			}
			if a.code() != tt.code {
				t.Fatalf("code %d (%s%s), want %d", a.code(), a.Message, a.Msg, tt.code)
			}
			if tt.code != 200 {
				if a.Success != nil && *a.Success {
					t.Error("error answer says success")
				}
				return
			}
			var td youzan.TokenData
			if err := json.Unmarshal(a.Data, &td); err != nil {
				t.Fatal(err)
			}
			if td.AccessToken == "" || td.AuthorityID != "90001" || td.Expires != t0.Add(7*24*time.Hour).UnixMilli() {
				t.Errorf("token data %+v", td)
			}
		})
	}
}

func TestTokenReuseAndRefresh(t *testing.T) {
	f := newFixture(t)
	a := f.token(t, false)
	if b := f.token(t, false); b.AccessToken != a.AccessToken {
		t.Fatal("refresh:false while the token is valid must return the same token")
	}
	b := f.token(t, true)
	if b.AccessToken == a.AccessToken {
		t.Fatal("refresh:true returned the same token")
	}
	if code := f.list(t, a.AccessToken, `{}`).code(); code != youzan.CodeTokenExpired {
		t.Errorf("replaced token: code %d, want 4202", code)
	}
	if code := f.list(t, b.AccessToken, `{}`).code(); code != 200 {
		t.Errorf("new token: code %d", code)
	}
	f.clk.Add(7 * 24 * time.Hour)
	if code := f.list(t, b.AccessToken, `{}`).code(); code != youzan.CodeTokenExpired {
		t.Errorf("token past its expiry: code %d, want 4202", code)
	}
	if c := f.token(t, false); c.AccessToken == b.AccessToken {
		t.Error("an expired token was handed out again")
	}
	if n := f.sim.Calls()[APIToken]; n != 4 {
		t.Errorf("%d token calls counted, want 4", n)
	}
}

func (f *fixture) list(t *testing.T, tok, body string) answer {
	t.Helper()
	_, a := f.do(t, "POST", "/api/youzan.trades.sold.get/4.0.4?access_token="+tok, "application/json", body, nil)
	return a
}

func TestAPIChecks(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, false).AccessToken
	for range 3 {
		f.clk.Add(time.Second)
		if _, err := f.sim.AddOrder("43435545"); err != nil {
			t.Fatal(err)
		}
	}
	q := "?access_token=" + tok
	const path = "/api/youzan.trades.sold.get/4.0.4"
	window := `"start_update":"2024-06-01 09:00:00","end_update":"2024-06-01 11:00:00"`
	tests := []struct {
		name   string
		method string
		path   string
		ctype  string
		header map[string]string
		body   string
		code   int
		total  int // on success
	}{
		{name: "ok", path: path + q, body: `{` + window + `}`, code: 200, total: 3},
		{name: "no parameters", path: path + q, body: `{}`, code: 200, total: 3},
		{name: "every version", path: "/api/youzan.trades.sold.get/4.0.0" + q, body: `{}`, code: 200, total: 3},
		{name: "unknown api before token", path: "/api/youzan.trades.sold.fake/4.0.4", body: `{}`, code: youzan.CodeUnknownAPI},
		{name: "unknown version", path: "/api/youzan.trades.sold.get/4.0.9" + q, body: `{}`, code: youzan.CodeUnknownAPI},
		{name: "missing version", path: "/api/youzan.trades.sold.get" + q, body: `{}`, code: youzan.CodeBadPath},
		{name: "text/plain", path: path + q, ctype: "text/plain", body: `{}`, code: youzan.CodeRefused},
		{name: "form", path: path + q, ctype: "application/x-www-form-urlencoded", body: `a=1`, code: youzan.CodeRefused},
		{name: "GET", method: "GET", path: path + q, code: youzan.CodeRefused},
		{name: "bad json", path: path + q, body: `{"page_no":`, code: youzan.CodeBadJSON},
		{name: "json array", path: path + q, body: `[]`, code: youzan.CodeBadJSON},
		{name: "no token", path: path, body: `{}`, code: youzan.CodeTokenMissing},
		{name: "bearer header", path: path, header: map[string]string{"Authorization": "Bearer " + tok}, body: `{}`, code: youzan.CodeTokenMissing},
		{name: "token in body", path: path, body: `{"access_token":"` + tok + `"}`, code: youzan.CodeTokenMissing},
		{name: "unknown token", path: path + "?access_token=feedface", body: `{}`, code: youzan.CodeTokenUnknown},
		{name: "half range", path: path + q, body: `{"start_update":"2024-06-01 09:00:00"}`, code: CodeBadParam},
		{name: "only end", path: path + q, body: `{"end_update":"2024-06-01 09:00:00"}`, code: CodeBadParam},
		{name: "date without time", path: path + q, body: `{"start_update":"2024-06-01","end_update":"2024-06-02"}`, code: youzan.CodeSystemError},
		{name: "iso time", path: path + q, body: `{"start_update":"2024-06-01T09:00:00+08:00","end_update":"2024-06-01 11:00:00"}`, code: youzan.CodeSystemError},
		{name: "time as number", path: path + q, body: `{"start_update":1717203600,"end_update":"2024-06-01 11:00:00"}`, code: youzan.CodeSystemError},
		{name: "end before start", path: path + q, body: `{"start_update":"2024-06-01 11:00:00","end_update":"2024-06-01 09:00:00"}`, code: CodeBadParam},
		{name: "end equals start", path: path + q, body: `{"start_update":"2024-06-01 11:00:00","end_update":"2024-06-01 11:00:00"}`, code: CodeBadParam},
		{name: "three months", path: path + q, body: `{"start_update":"2024-03-01 11:00:00","end_update":"2024-06-01 11:00:00"}`, code: 200, total: 3},
		{name: "over three months", path: path + q, body: `{"start_update":"2024-03-01 11:00:00","end_update":"2024-06-01 11:00:01"}`, code: CodeBadParam},
		{name: "created span", path: path + q, body: `{"start_created":"2024-01-01 00:00:00","end_created":"2024-06-01 11:00:00"}`, code: CodeBadParam},
		// The clock reads 10:00:03 after three orders.
		{name: "end 7 days ahead", path: path + q, body: `{"start_update":"2024-06-01 09:00:00","end_update":"2024-06-08 10:00:03"}`, code: 200, total: 3},
		{name: "end over 7 days ahead", path: path + q, body: `{"start_update":"2024-06-01 09:00:00","end_update":"2024-06-08 10:00:04"}`, code: youzan.CodeEndTooFar},
		{name: "page 0", path: path + q, body: `{"page_no":0}`, code: CodeBadParam},
		{name: "page 100", path: path + q, body: `{"page_no":100}`, code: 200, total: 3},
		{name: "page 101", path: path + q, body: `{"page_no":101}`, code: CodeBadParam},
		{name: "page as text", path: path + q, body: `{"page_no":"2"}`, code: 200, total: 3},
		{name: "page not a number", path: path + q, body: `{"page_no":"two"}`, code: youzan.CodeSystemError},
		{name: "page fraction", path: path + q, body: `{"page_no":1.5}`, code: youzan.CodeSystemError},
		{name: "size 0", path: path + q, body: `{"page_size":0}`, code: CodeBadParam},
		{name: "size 101", path: path + q, body: `{"page_size":101}`, code: CodeBadParam},
		{name: "other store", path: path + q, body: `{"offline_id":43435546}`, code: 200, total: 0},
		{name: "store as text", path: path + q, body: `{"offline_id":"43435545"}`, code: 200, total: 3},
		{name: "store not a number", path: path + q, body: `{"offline_id":"人民路店"}`, code: youzan.CodeSystemError},
		{name: "status", path: path + q, body: `{"status":"TRADE_SUCCESS"}`, code: 200, total: 0},
		{name: "unknown status", path: path + q, body: `{"status":"PAID"}`, code: CodeBadParam},
		{name: "window before the orders", path: path + q, body: `{"start_update":"2024-06-01 08:00:00","end_update":"2024-06-01 10:00:00"}`, code: 200, total: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, ctype := tt.method, tt.ctype
			if method == "" {
				method = "POST"
			}
			if ctype == "" && method == "POST" {
				ctype = "application/json"
			}
			status, a := f.do(t, method, tt.path, ctype, tt.body, tt.header)
			if status != http.StatusOK {
				t.Errorf("HTTP %d, errors come as HTTP 200", status)
			}
			if a.code() != tt.code {
				msg := a.Message
				if a.Gw != nil {
					msg = a.Gw.ErrMsg
				}
				t.Fatalf("code %d (%s), want %d", a.code(), msg, tt.code)
			}
			if tt.code != 200 {
				return
			}
			var d youzan.TradesSoldGetData
			if err := json.Unmarshal(a.Data, &d); err != nil {
				t.Fatal(err)
			}
			if int(d.TotalResults) != tt.total {
				t.Errorf("total_results %d, want %d", d.TotalResults, tt.total)
			}
		})
	}
}

func TestListPagingAndOrder(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, false).AccessToken
	var tids []string
	for i := range 45 {
		f.clk.Add(time.Second)
		tr, err := f.sim.AddOrder(DefaultStores[i%3].ID)
		if err != nil {
			t.Fatal(err)
		}
		tids = append(tids, tr.TID)
	}
	// The first order changes last: it moves to the end of the update order.
	f.clk.Add(time.Second)
	if err := f.sim.SetStatus(tids[0], "TRADE_SUCCESS"); err != nil {
		t.Fatal(err)
	}
	page := func(body string) youzan.TradesSoldGetData {
		a := f.list(t, tok, body)
		if a.code() != 200 {
			t.Fatalf("code %d", a.code())
		}
		var d youzan.TradesSoldGetData
		if err := json.Unmarshal(a.Data, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	window := `"start_update":"2024-06-01 10:00:00","end_update":"2024-06-01 11:00:00"`
	d := page(`{` + window + `}`)
	if d.TotalResults != 45 || len(d.FullOrderInfoList) != 20 {
		t.Fatalf("total %d, %d rows; want 45 and the default page size 20", d.TotalResults, len(d.FullOrderInfoList))
	}
	var all []youzan.FullOrderInfo
	for n := 1; n <= 3; n++ {
		d := page(fmt.Sprintf(`{%s,"page_no":%d,"page_size":20}`, window, n))
		for _, e := range d.FullOrderInfoList {
			all = append(all, e.FullOrderInfo)
		}
	}
	if len(all) != 45 {
		t.Fatalf("%d rows over 3 pages, want 45", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].OrderInfo.UpdateTime < all[i-1].OrderInfo.UpdateTime {
			t.Fatalf("row %d updated %s before row %d %s", i, all[i].OrderInfo.UpdateTime, i-1, all[i-1].OrderInfo.UpdateTime)
		}
	}
	if all[44].OrderInfo.TID != tids[0] || all[44].OrderInfo.Status != "TRADE_SUCCESS" {
		t.Errorf("last row %s %s, want the changed order %s", all[44].OrderInfo.TID, all[44].OrderInfo.Status, tids[0])
	}
	d = page(`{` + window + `,"offline_id":43435546,"page_size":100}`)
	if d.TotalResults != 15 {
		t.Errorf("store filter: %d orders, want 15", d.TotalResults)
	}
	for _, e := range d.FullOrderInfoList {
		if e.FullOrderInfo.OrderInfo.OfflineID != "43435546" {
			t.Errorf("order %s of store %s", e.FullOrderInfo.OrderInfo.TID, e.FullOrderInfo.OrderInfo.OfflineID)
		}
	}
	if d := page(`{"status":"TRADE_SUCCESS"}`); d.TotalResults != 1 {
		t.Errorf("status filter: %d orders, want 1", d.TotalResults)
	}
	if n := f.sim.Calls()[APITradesSoldGet]; n != 6 {
		t.Errorf("%d list calls counted, want 6", n)
	}
}

// TestEnvelope checks the answer against the shape of the platform's
// documented example, key by key.
func TestEnvelope(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, false).AccessToken
	for range 20 {
		f.clk.Add(time.Second)
		if _, err := f.sim.AddOrder("43435545"); err != nil {
			t.Fatal(err)
		}
	}
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/youzan.trades.sold.get/4.0.4?access_token="+tok, strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var top map[string]any
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return k
	}
	if got := keys(top); !slices.Equal(got, []string{"code", "data", "message", "success", "trace_id"}) {
		t.Errorf("envelope keys %v", got)
	}
	data := top["data"].(map[string]any)
	if got := keys(data); !slices.Equal(got, []string{"full_order_info_list", "total_results"}) {
		t.Errorf("data keys %v", got)
	}
	money := regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)
	cst := regexp.MustCompile(`^2024-06-01 10:00:[0-9]{2}$`)
	for _, e := range data["full_order_info_list"].([]any) {
		fo := e.(map[string]any)["full_order_info"].(map[string]any)
		for _, k := range []string{"order_info", "buyer_info", "pay_info", "address_info", "remark_info", "orders"} {
			if _, ok := fo[k]; !ok {
				t.Fatalf("full_order_info has no %s", k)
			}
		}
		oi := fo["order_info"].(map[string]any)
		if _, ok := oi["offline_id"].(float64); !ok {
			t.Errorf("offline_id %v is not a JSON number", oi["offline_id"])
		}
		for _, k := range []string{"update_time", "pay_time"} {
			if s, _ := oi[k].(string); !cst.MatchString(s) {
				t.Errorf("%s %q is not China time", k, s)
			}
		}
		pi := fo["pay_info"].(map[string]any)
		for _, k := range []string{"total_fee", "post_fee", "payment"} {
			if s, ok := pi[k].(string); !ok || !money.MatchString(s) {
				t.Errorf("pay_info.%s %v is not a yuan string", k, pi[k])
			}
		}
		for _, l := range fo["orders"].([]any) {
			line := l.(map[string]any)
			for _, k := range []string{"price", "payment"} {
				if s, ok := line[k].(string); !ok || !money.MatchString(s) {
					t.Errorf("orders[].%s %v is not a yuan string", k, line[k])
				}
			}
		}
	}
}

// TestGeneratedOrders checks that generated orders read as real ones do:
// they normalize, their sums add up, and they look like a Chinese menu.
func TestGeneratedOrders(t *testing.T) {
	clk := &clock{t: t0}
	s := New(Options{Seed: 42, Now: clk.Now})
	tidRE := regexp.MustCompile(`^E[0-9]{23}$`)
	seen := map[string]bool{}
	var delivery, pickup, notes, discounted, alipay int
	const n = 400
	for i := range n {
		clk.Add(time.Second)
		tr, err := s.AddOrder(DefaultStores[i%3].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !tidRE.MatchString(tr.TID) || seen[tr.TID] {
			t.Fatalf("tid %q malformed or repeated", tr.TID)
		}
		seen[tr.TID] = true
		o, err := youzan.Normalize("sim", tr.Info)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != order.StatusPaid || tr.Status != "WAIT_SELLER_SEND_GOODS" || o.StoreID != tr.StoreID {
			t.Fatalf("order %s: status %s/%s store %s", tr.TID, o.Status, tr.Status, o.StoreID)
		}
		if len(o.Items) < 1 || len(o.Items) > 5 {
			t.Fatalf("order %s has %d lines", tr.TID, len(o.Items))
		}
		var goods, paid decimal.Dec
		for _, it := range o.Items {
			if it.Qty.Cmp(decimal.FromInt(1)) < 0 || it.Qty.Cmp(decimal.FromInt(3)) > 0 {
				t.Fatalf("order %s: quantity %s", tr.TID, it.Qty)
			}
			if !hasHan(it.Name) {
				t.Fatalf("item name %q is not Chinese", it.Name)
			}
			goods = goods.Add(it.Price.Mul(it.Qty))
			paid = paid.Add(it.Amount)
		}
		if goods.Cmp(o.ItemsTotal) != 0 || paid.Add(o.Shipping).Cmp(o.Total) != 0 {
			t.Fatalf("order %s: lines %s/%s, pay_info %s + %s = %s", tr.TID, goods, paid, o.ItemsTotal, o.Shipping, o.Total)
		}
		if !o.Discount.IsZero() {
			discounted++
		}
		switch o.Fulfilment.Method {
		case order.MethodDelivery:
			delivery++
			if !strings.HasPrefix(o.Fulfilment.Address, "上海市") || o.Shipping.Sign() <= 0 || o.Fulfilment.Due.IsZero() {
				t.Fatalf("delivery %s: address %q, post fee %s, due %v", tr.TID, o.Fulfilment.Address, o.Shipping, o.Fulfilment.Due)
			}
			if !strings.Contains(o.Fulfilment.Phone, "****") {
				t.Fatalf("phone %q is not masked", o.Fulfilment.Phone)
			}
		case order.MethodPickup:
			pickup++
			if tr.Info.AddressInfo.SelfFetchInfo == "" || !o.Shipping.IsZero() {
				t.Fatalf("pickup %s: self_fetch_info %q, post fee %s", tr.TID, tr.Info.AddressInfo.SelfFetchInfo, o.Shipping)
			}
		default:
			t.Fatalf("order %s: method %s", tr.TID, o.Fulfilment.Method)
		}
		if o.BuyerNote != "" {
			notes++
		}
		switch o.Payment {
		case "支付宝":
			alipay++
		case "微信支付":
		default:
			t.Fatalf("payment %q", o.Payment)
		}
	}
	for name, c := range map[string]int{"delivery": delivery, "pickup": pickup, "with a note": notes,
		"discounted": discounted, "paid by alipay": alipay} {
		if c < n/20 || c > n*19/20 {
			t.Errorf("%d of %d orders %s: the mix is off", c, n, name)
		}
	}
	// The same seed gives the same orders.
	clk2 := &clock{t: t0}
	s2 := New(Options{Seed: 42, Now: clk2.Now})
	clk2.Add(time.Second)
	a, _ := s2.AddOrder(DefaultStores[0].ID)
	if b := s.Trades()[0]; a.TID != b.TID || a.Info.PayInfo.Payment != b.Info.PayInfo.Payment {
		t.Errorf("seeded runs differ: %s %s / %s %s", a.TID, a.Info.PayInfo.Payment, b.TID, b.Info.PayInfo.Payment)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestLifecycle(t *testing.T) {
	clk := &clock{t: t0}
	s := New(Options{Seed: 9, Now: clk.Now, CancelRate: 0.3})
	s.mu.Lock()
	for i := range 300 {
		tr := s.generate(DefaultStores[i%3], clk.Now())
		s.plan(tr, clk.Now())
	}
	s.mu.Unlock()
	step := func(d time.Duration) map[string]int {
		clk.Add(d)
		s.mu.Lock()
		s.advance(clk.Now())
		s.mu.Unlock()
		count := map[string]int{}
		for _, tr := range s.Trades() {
			count[tr.Status]++
			if tr.RefundState != 0 {
				count["refund"]++
			}
		}
		return count
	}
	if c := step(10 * time.Second); c["WAIT_SELLER_SEND_GOODS"] != 300 {
		t.Fatalf("after 10 s: %v, want every order still waiting", c)
	}
	c := step(6 * time.Minute)
	if c["WAIT_BUYER_CONFIRM_GOODS"] == 0 || c["TRADE_CLOSED"] == 0 {
		t.Errorf("after 6 minutes: %v, want deliveries shipped and some orders closed", c)
	}
	c = step(time.Hour)
	if c["TRADE_SUCCESS"]+c["TRADE_CLOSED"] != 300 {
		t.Fatalf("after an hour: %v, want every order finished", c)
	}
	if c["TRADE_CLOSED"] < 60 || c["TRADE_CLOSED"] > 120 {
		t.Errorf("%d of 300 closed with CancelRate 0.3", c["TRADE_CLOSED"])
	}
	if c["refund"] != c["TRADE_CLOSED"] {
		t.Errorf("%d refunded but %d closed", c["refund"], c["TRADE_CLOSED"])
	}
	for _, tr := range s.Trades() {
		if tr.Status == "TRADE_CLOSED" && tr.RefundState != 12 {
			t.Errorf("closed order %s has refund_state %d", tr.TID, tr.RefundState)
		}
		if !tr.Updated.After(tr.Created) {
			t.Errorf("order %s updated %v, created %v", tr.TID, tr.Updated, tr.Created)
		}
	}
	// A change by hand stops the schedule.
	tr := s.Trades()[0]
	if err := s.SetStatus(tr.TID, "WAIT_BUYER_PAY"); err != nil {
		t.Fatal(err)
	}
	step(24 * time.Hour)
	if got, _ := s.Trade(tr.TID); got.Status != "WAIT_BUYER_PAY" {
		t.Errorf("status %s after a change by hand", got.Status)
	}
}

func TestRun(t *testing.T) {
	s := New(Options{Seed: 5, OrdersPerMinute: 6000}) // 100 a second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
	n := len(s.Trades())
	if n < 5 || n > 200 {
		t.Errorf("%d orders in 0.3 s at 100 a second", n)
	}
	stores := map[string]bool{}
	for _, tr := range s.Trades() {
		stores[tr.StoreID] = true
	}
	if n >= 10 && len(stores) < 2 {
		t.Errorf("orders of %d store(s) only", len(stores))
	}
}

func TestRunWithoutOrders(t *testing.T) {
	s := New(Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Trades()); n != 0 {
		t.Errorf("%d orders generated at rate 0", n)
	}
}

func TestInjectError(t *testing.T) {
	tests := []struct {
		code   int
		status int
		want   int
	}{
		{4101, 200, 4101},
		{4202, 200, 4202},
		{500100004, 200, 500100004},
		{123000042, 200, 123000042},
		{5000, 200, 5000},
		{503, 503, 0},
	}
	for _, tt := range tests {
		f := newFixture(t)
		tok := f.token(t, false).AccessToken
		f.sim.InjectError(APITradesSoldGet, tt.code, 1)
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/youzan.trades.sold.get/4.0.4?access_token="+tok, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("code %d: HTTP %d, want %d", tt.code, resp.StatusCode, tt.status)
		}
		if tt.want != 0 {
			var a answer
			if err := json.Unmarshal(body, &a); err != nil || a.code() != tt.want {
				t.Errorf("code %d: answer %s", tt.code, body)
			}
			if tt.code >= 500000000 && (a.Msg == "" || a.Success != nil) {
				t.Errorf("throttle %d: answer %s, want {code, msg}", tt.code, body)
			}
		}
		// Only once.
		if code := f.list(t, tok, `{}`).code(); code != 200 {
			t.Errorf("code %d: the next call answered %d", tt.code, code)
		}
	}
}

func TestAdmin(t *testing.T) {
	f := newFixture(t)
	call := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, b := call("POST", "/admin/trades", `{"store_id":"43435546"}`)
	if status != http.StatusCreated {
		t.Fatalf("add: HTTP %d %s", status, b)
	}
	var tv TradeView
	if err := json.Unmarshal(b, &tv); err != nil || tv.StoreID != "43435546" || tv.Status != "WAIT_SELLER_SEND_GOODS" {
		t.Fatalf("add: %s %v", b, err)
	}
	if status, _ := call("POST", "/admin/trades", ``); status != http.StatusCreated {
		t.Errorf("add to a random store: HTTP %d", status)
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		msg                      string
	}{
		{"unknown store", "POST", "/admin/trades", `{"store_id":"1"}`, 400, "does not exist"},
		{"unknown field", "POST", "/admin/trades", `{"store":"43435546"}`, 400, "unknown field"},
		{"close", "POST", "/admin/trades/" + tv.TID + "/status", `{"status":"TRADE_CLOSED","refund_state":12}`, 200, "TRADE_CLOSED"},
		{"unknown order", "POST", "/admin/trades/E1/status", `{"status":"TRADE_CLOSED"}`, 404, "no such order"},
		{"unknown status", "POST", "/admin/trades/" + tv.TID + "/status", `{"status":"DONE"}`, 400, "is not one of"},
		{"bad refund", "POST", "/admin/trades/" + tv.TID + "/status", `{"refund_state":3}`, 400, "refund_state 3"},
		{"empty change", "POST", "/admin/trades/" + tv.TID + "/status", `{}`, 400, "give status"},
		{"fault", "POST", "/admin/faults", `{"api":"youzan.trades.sold.get","code":4101,"count":2}`, 204, ""},
		{"fault without code", "POST", "/admin/faults", `{"api":"youzan.trades.sold.get","count":2}`, 400, "required"},
		{"revoke", "POST", "/admin/tokens/revoke", ``, 204, ""},
		{"stores", "GET", "/admin/stores", ``, 200, "人民路店"},
		{"list one store", "GET", "/admin/trades?store_id=43435546", ``, 200, tv.TID},
	}
	for _, tt := range tests {
		status, b := call(tt.method, tt.path, tt.body)
		if status != tt.status || !bytes.Contains(b, []byte(tt.msg)) {
			t.Errorf("%s: HTTP %d %s; want %d containing %q", tt.name, status, b, tt.status, tt.msg)
		}
	}
	if tr, _ := f.sim.Trade(tv.TID); tr.Status != "TRADE_CLOSED" || tr.RefundState != 12 {
		t.Errorf("order after the admin change: %s %d", tr.Status, tr.RefundState)
	}
	status, b = call("GET", "/admin/trades", ``)
	var list []TradeView
	if err := json.Unmarshal(b, &list); status != 200 || err != nil || len(list) != 2 {
		t.Errorf("list: HTTP %d, %d orders, %v", status, len(list), err)
	}
	if c := f.sim.Calls(); c[APITradesSoldGet] != 0 || c[APIToken] != 0 {
		t.Errorf("admin calls were counted as platform calls: %v", c)
	}
}
