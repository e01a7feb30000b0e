package youzan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/sync/order"
	"storeedge/sync/sim"
	"storeedge/sync/youzan"
)

// clock is a settable clock shared by a test, the simulator and the client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2024, 6, 1, 10, 0, 0, 0, order.CST)}
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

const (
	storeA = "43435545"
	storeB = "43435546"
)

// env is a simulator behind a real HTTP server and a client of it.
type env struct {
	clk *clock
	sim *sim.Sim
	srv *httptest.Server
	c   *youzan.Client
}

func newEnv(t testing.TB, wrap func(http.Handler) http.Handler, edit func(*youzan.Config)) *env {
	t.Helper()
	e := &env{clk: newClock()}
	e.sim = sim.New(sim.Options{Seed: 7, Now: e.clk.Now})
	var h http.Handler = e.sim.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	cfg := youzan.Config{Name: "yz", BaseURL: e.srv.URL, ClientID: "demo-client", ClientSecret: "demo-secret",
		GrantID: e.sim.KdtID(), HTTPClient: e.srv.Client(), Now: e.clk.Now}
	if edit != nil {
		edit(&cfg)
	}
	c, err := youzan.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

// add creates n orders of store, one second apart, and returns their tids.
func (e *env) add(t testing.TB, store string, n int) []string {
	t.Helper()
	tids := make([]string, n)
	for i := range n {
		e.clk.Add(time.Second)
		tr, err := e.sim.AddOrder(store)
		if err != nil {
			t.Fatal(err)
		}
		tids[i] = tr.TID
	}
	return tids
}

// checkOrders asserts that got holds exactly the orders want, of store, each
// once, sorted by update time.
func checkOrders(t *testing.T, got []order.Order, store string, want []string) {
	t.Helper()
	seen := map[string]bool{}
	for i, o := range got {
		if o.StoreID != store {
			t.Fatalf("order %s belongs to store %s, want %s", o.ID, o.StoreID, store)
		}
		if seen[o.ID] {
			t.Fatalf("order %s returned twice", o.ID)
		}
		seen[o.ID] = true
		if i > 0 && o.Updated.Before(got[i-1].Updated) {
			t.Fatalf("orders not sorted by update time at %d", i)
		}
	}
	for _, tid := range want {
		if !seen[tid] {
			t.Errorf("order %s missing", tid)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d orders, want %d", len(got), len(want))
	}
}

func TestOrdersPagingAndStores(t *testing.T) {
	e := newEnv(t, nil, nil)
	start := e.clk.Now()
	a := e.add(t, storeA, 250)
	b := e.add(t, storeB, 20)
	ctx := context.Background()

	got, err := e.c.Orders(ctx, storeA, start, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	checkOrders(t, got, storeA, a)
	// Page 1 for the total, pages 3 and 2, page 1 again.
	if n := e.sim.Calls()[sim.APITradesSoldGet]; n != 4 {
		t.Errorf("%d order list calls for 250 orders, want 4", n)
	}

	got, err = e.c.Orders(ctx, storeB, start, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	checkOrders(t, got, storeB, b)

	// The window is honoured: only the last 10 seconds of store A.
	got, err = e.c.Orders(ctx, storeA, start.Add(241*time.Second), start.Add(250*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	checkOrders(t, got, storeA, a[240:])
	if n := e.sim.Calls()[sim.APIToken]; n != 1 {
		t.Errorf("%d token calls, want 1 (cached)", n)
	}
}

func TestOrdersMatchSimulator(t *testing.T) {
	e := newEnv(t, nil, nil)
	start := e.clk.Now()
	e.add(t, storeA, 3)
	got, err := e.c.Orders(context.Background(), storeA, start, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range got {
		tr, ok := e.sim.Trade(o.ID)
		if !ok {
			t.Fatalf("order %s unknown to the simulator", o.ID)
		}
		want, err := youzan.Normalize("yz", tr.Info)
		if err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(o)
		wb, _ := json.Marshal(want)
		if !bytes.Equal(gb, wb) {
			t.Errorf("order over HTTP differs from the simulator's:\n%s\n%s", gb, wb)
		}
		if o.Status != order.StatusPaid || len(o.Items) == 0 || o.Total.Sign() <= 0 {
			t.Errorf("order %s: status %s, %d items, total %s", o.ID, o.Status, len(o.Items), o.Total)
		}
	}
}

func TestTokenCachedAndRenewed(t *testing.T) {
	e := newEnv(t, nil, nil)
	start := e.clk.Now()
	e.add(t, storeA, 5)
	ctx := context.Background()
	orders := func() {
		t.Helper()
		got, err := e.c.Orders(ctx, storeA, start, e.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 {
			t.Fatalf("%d orders, want 5", len(got))
		}
	}
	for range 3 {
		orders()
	}
	if n := e.sim.Calls()[sim.APIToken]; n != 1 {
		t.Fatalf("%d token calls after 3 pulls, want 1", n)
	}
	// Four minutes before expiry the client asks again; the platform hands
	// back the same token, so the client forces a new one.
	e.clk.Add(7*24*time.Hour - 4*time.Minute)
	start = e.clk.Now()
	e.add(t, storeA, 5)
	orders()
	if n := e.sim.Calls()[sim.APIToken]; n != 3 {
		t.Fatalf("%d token calls after the token neared expiry, want 3", n)
	}
	orders()
	if n := e.sim.Calls()[sim.APIToken]; n != 3 {
		t.Fatalf("%d token calls, want the new token cached", n)
	}
}

// postToken asks the simulator for a token as another copy of the agent would.
func postToken(t *testing.T, url string, refresh bool) string {
	t.Helper()
	body, _ := json.Marshal(youzan.TokenRequest{ClientID: "demo-client", ClientSecret: "demo-secret",
		AuthorizeType: "silent", GrantID: "90001", Refresh: refresh})
	resp, err := http.Post(url+"/auth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data youzan.TokenData `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Data.AccessToken == "" {
		t.Fatalf("token: %v %+v", err, r)
	}
	return r.Data.AccessToken
}

func TestTokenRevokedMidRun(t *testing.T) {
	tests := []struct {
		name string
		// frozen keeps the client's clock still while the platform's runs on.
		frozen bool
		revoke func(t *testing.T, e *env)
	}{
		{"renewed by another agent", false, func(t *testing.T, e *env) { postToken(t, e.srv.URL, true) }},
		{"grant revoked", false, func(t *testing.T, e *env) { e.sim.RevokeTokens() }},
		{"expired at the platform", true, func(t *testing.T, e *env) { e.clk.Add(7*24*time.Hour + time.Minute) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			simClock := newClock()
			clientNow := simClock.Now
			if tt.frozen {
				frozen := simClock.Now()
				clientNow = func() time.Time { return frozen }
			}
			e := newEnvClocks(t, simClock, clientNow)
			start := e.clk.Now()
			e.add(t, storeA, 3)
			ctx := context.Background()
			if _, err := e.c.Orders(ctx, storeA, start, start.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			tt.revoke(t, e)
			got, err := e.c.Orders(ctx, storeA, start, start.Add(time.Minute))
			if err != nil {
				t.Fatalf("after the token was revoked: %v", err)
			}
			if len(got) != 3 {
				t.Fatalf("%d orders, want 3", len(got))
			}
			if n := e.sim.Calls()[sim.APITradesSoldGet]; n != 3 {
				t.Errorf("%d list calls, want 3 (one refused, one retried)", n)
			}
		})
	}
}

// newEnvClocks is newEnv with separate clocks for the simulator and the client.
func newEnvClocks(t *testing.T, simClock *clock, clientNow func() time.Time) *env {
	t.Helper()
	e := &env{clk: simClock, sim: sim.New(sim.Options{Seed: 3, Now: simClock.Now})}
	e.srv = httptest.NewServer(e.sim.Handler())
	t.Cleanup(e.srv.Close)
	c, err := youzan.New(youzan.Config{Name: "yz", BaseURL: e.srv.URL, ClientID: "demo-client",
		ClientSecret: "demo-secret", GrantID: "90001", HTTPClient: e.srv.Client(), Now: clientNow})
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

func TestTokenRefusedTwice(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.sim.InjectError(sim.APITradesSoldGet, youzan.CodeTokenUnknown, 5)
	_, err := e.c.Orders(context.Background(), storeA, e.clk.Now().Add(-time.Hour), e.clk.Now())
	var ae *youzan.APIError
	if !errors.As(err, &ae) || ae.Code != youzan.CodeTokenUnknown || !ae.Auth || ae.Temporary() {
		t.Fatalf("error %v, want a permanent auth *APIError 4203", err)
	}
	if n := e.sim.Calls()[sim.APITradesSoldGet]; n != 2 {
		t.Errorf("%d list calls, want 2: the call is retried once only", n)
	}
}

func TestOrdersSplitsLargeWindows(t *testing.T) {
	if testing.Short() {
		t.Skip("10,050 orders")
	}
	e := newEnv(t, nil, nil)
	start := e.clk.Now()
	const n = 10050
	tids := e.add(t, storeA, n)
	e.add(t, storeB, 5)
	got, err := e.c.Orders(context.Background(), storeA, start, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	checkOrders(t, got, storeA, tids)
	// Without the split at most 100 pages could be read.
	if calls := e.sim.Calls()[sim.APITradesSoldGet]; calls <= 102 {
		t.Errorf("%d list calls: the window was not split", calls)
	}
}

func TestOrdersLongWindowInPieces(t *testing.T) {
	e := newEnv(t, nil, nil)
	first := e.add(t, storeA, 2)
	e.clk.Add(70 * 24 * time.Hour)
	last := e.add(t, storeA, 2)
	now := e.clk.Now()
	// 71 days back and 30 days ahead: asked in 31-day pieces, the end capped.
	got, err := e.c.Orders(context.Background(), storeA, now.Add(-71*24*time.Hour), now.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	checkOrders(t, got, storeA, append(first, last...))
	// 71 days back to 6 days ahead: 77 days in pieces of 31.
	if calls := e.sim.Calls()[sim.APITradesSoldGet]; calls != 3 {
		t.Errorf("%d list calls, want 3 pieces of at most 31 days", calls)
	}
}

// TestOrdersRowsMoveWhilePaging changes orders between page reads, as busy
// shops do: each order updated while paging moves to the end of the list.
func TestOrdersRowsMoveWhilePaging(t *testing.T) {
	var (
		mu    sync.Mutex
		calls int
		move  func()
	)
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			if strings.Contains(r.URL.Path, sim.APITradesSoldGet) {
				mu.Lock()
				calls++
				if calls == 1 && move != nil {
					move()
				}
				mu.Unlock()
			}
		})
	}
	e := newEnv(t, wrap, nil)
	start := e.clk.Now()
	tids := e.add(t, storeA, 250)
	end := e.clk.Now().Add(time.Hour)
	move = func() {
		e.clk.Add(time.Second)
		for _, i := range []int{3, 120, 205} {
			if err := e.sim.SetStatus(tids[i], "TRADE_SUCCESS"); err != nil {
				t.Error(err)
			}
		}
	}
	got, err := e.c.Orders(context.Background(), storeA, start, end)
	if err != nil {
		t.Fatal(err)
	}
	checkOrders(t, got, storeA, tids)
	for _, o := range got {
		if o.ID == tids[3] && o.Status != order.StatusCompleted {
			t.Errorf("moved order %s has status %s, want its latest, completed", o.ID, o.Status)
		}
	}
}

func TestOrdersCSTOnUTCMachine(t *testing.T) {
	saved := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = saved })

	type seen struct {
		body                  map[string]any
		queryToken, authorize string
	}
	var mu sync.Mutex
	var reqs []seen
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(b))
				var m map[string]any
				_ = json.Unmarshal(b, &m)
				mu.Lock()
				reqs = append(reqs, seen{m, r.URL.Query().Get("access_token"), r.Header.Get("Authorization")})
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	}
	e := newEnv(t, wrap, nil)
	from := time.Date(2024, 6, 1, 2, 0, 0, 0, time.UTC) // 10:00 in China
	e.add(t, storeA, 3)
	to := from.Add(time.Hour)
	got, err := e.c.Orders(context.Background(), storeA, from.In(time.Local), to.In(time.Local))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d orders, want 3", len(got))
	}
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	want := map[string]any{"start_update": "2024-06-01 10:00:00", "end_update": "2024-06-01 11:00:00",
		"offline_id": float64(43435545), "page_no": float64(1), "page_size": float64(100)}
	for k, v := range want {
		if r.body[k] != v {
			t.Errorf("%s = %v (%T), want %v", k, r.body[k], r.body[k], v)
		}
	}
	if _, ok := r.body["access_token"]; ok || r.queryToken == "" || r.authorize != "" {
		t.Errorf("token travelled outside the query string: body %v, query %q, header %q", r.body, r.queryToken, r.authorize)
	}
}

func TestOrdersErrors(t *testing.T) {
	tests := []struct {
		name      string
		api       string
		code      int
		edit      func(*youzan.Config)
		wantAPI   string
		wantCode  int
		wantHTTP  int
		throttled bool
		auth      bool
		temporary bool
		msg       string
	}{
		{name: "throttled", api: sim.APITradesSoldGet, code: 4101, wantAPI: "trades.sold.get", wantCode: 4101,
			throttled: true, temporary: true, msg: "youzan trades.sold.get: throttled (4101)"},
		{name: "throttled short form", api: sim.APITradesSoldGet, code: 500100004, wantAPI: "trades.sold.get",
			wantCode: 500100004, throttled: true, temporary: true},
		{name: "bad gateway", api: sim.APITradesSoldGet, code: 502, wantAPI: "trades.sold.get", wantHTTP: 502,
			temporary: true, msg: "HTTP 502"},
		{name: "no permission", api: sim.APITradesSoldGet, code: 4204, wantAPI: "trades.sold.get", wantCode: 4204,
			auth: true, msg: "no permission"},
		{name: "ip refused", api: sim.APITradesSoldGet, code: 4007, wantAPI: "trades.sold.get", wantCode: 4007},
		{name: "token endpoint throttled", api: sim.APIToken, code: 4101, wantAPI: "auth.token", wantCode: 4101,
			throttled: true, temporary: true},
		{name: "unknown version", edit: func(c *youzan.Config) { c.Version = "4.1.0" }, wantAPI: "trades.sold.get",
			wantCode: 4005, msg: "unknown API or version (4005)"},
		{name: "wrong secret", edit: func(c *youzan.Config) { c.ClientSecret = "wrong-secret" }, wantAPI: "auth.token",
			wantCode: 1000, auth: true, msg: "youzan auth.token: client secret or request format rejected (1000)"},
		{name: "wrong client", edit: func(c *youzan.Config) { c.ClientID = "other" }, wantAPI: "auth.token",
			wantCode: 1103, auth: true},
		{name: "wrong grant", edit: func(c *youzan.Config) { c.GrantID = "1" }, wantAPI: "auth.token",
			wantCode: 1103, auth: true, msg: "grant_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, tt.edit)
			if tt.api != "" {
				e.sim.InjectError(tt.api, tt.code, 1)
			}
			_, err := e.c.Orders(context.Background(), storeA, e.clk.Now().Add(-time.Hour), e.clk.Now())
			var ae *youzan.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T), want *APIError", err, err)
			}
			if ae.API != tt.wantAPI || ae.Code != tt.wantCode || ae.HTTPStatus != tt.wantHTTP ||
				ae.Throttled != tt.throttled || ae.Auth != tt.auth || ae.Temporary() != tt.temporary {
				t.Errorf("got %s code %d http %d throttled %v auth %v temporary %v",
					ae.API, ae.Code, ae.HTTPStatus, ae.Throttled, ae.Auth, ae.Temporary())
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
			for _, secret := range []string{"demo-secret", "wrong-secret", "access_token="} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("message %q contains %q", err, secret)
				}
			}
		})
	}
}

func TestOrdersBadInput(t *testing.T) {
	e := newEnv(t, nil, nil)
	now := e.clk.Now()
	ctx := context.Background()
	if _, err := e.c.Orders(ctx, "人民路店", now.Add(-time.Hour), now); err == nil || !strings.Contains(err.Error(), "offline_id") {
		t.Errorf("non-numeric store: %v", err)
	}
	if _, err := e.c.Orders(ctx, storeA, now, now.Add(-time.Hour)); err == nil || !strings.Contains(err.Error(), "before its start") {
		t.Errorf("inverted window: %v", err)
	}
	got, err := e.c.Orders(ctx, storeA, now.Add(30*24*time.Hour), now.Add(40*24*time.Hour))
	if err != nil || len(got) != 0 {
		t.Errorf("window in the far future: %v, %d orders", err, len(got))
	}
	if _, err := e.c.Orders(ctx, storeA, now, now); err != nil {
		t.Errorf("empty window: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = e.c.Orders(cctx, storeA, now.Add(-time.Hour), now)
	var ae *youzan.APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ae) || ae.Temporary() {
		t.Errorf("cancelled: %v", err)
	}
}

// fixedPlatform answers the token call and every list call with page.
func fixedPlatform(t *testing.T, page string) *youzan.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/auth/token" {
			exp := time.Now().Add(time.Hour).UnixMilli()
			_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "code": 200,
				"data": map[string]any{"expires": exp, "access_token": "t"}})
			return
		}
		_, _ = io.WriteString(w, page)
	}))
	t.Cleanup(srv.Close)
	c, err := youzan.New(youzan.Config{Name: "yz", BaseURL: srv.URL, ClientID: "a", ClientSecret: "b", GrantID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOrdersBadAndForeignOrders(t *testing.T) {
	good := `{"full_order_info":{"order_info":{"tid":"E1","status":"WAIT_SELLER_SEND_GOODS","created":"2024-06-01 10:00:00","update_time":"2024-06-01 10:00:01","offline_id":12,"express_type":1},"pay_info":{"total_fee":"5.00","payment":"5.00"},"orders":[{"title":"卤蛋","num":1,"price":"5.00","payment":"5.00"}]}}`
	bad := strings.Replace(strings.Replace(good, `"E1"`, `"E2"`, 1), `"payment":"5.00"}`, `"payment":"五元"}`, 1)
	foreign := strings.Replace(strings.Replace(good, `"E1"`, `"E3"`, 1), `"offline_id":12`, `"offline_id":13`, 1)
	page := `{"success":true,"code":200,"data":{"total_results":3,"full_order_info_list":[` + good + `,` + bad + `,` + foreign + `]}}`
	c := fixedPlatform(t, page)
	now := time.Date(2024, 6, 1, 10, 0, 0, 0, order.CST)
	got, err := c.Orders(context.Background(), "12", now.Add(-time.Hour), now)
	var be *youzan.BadOrdersError
	if !errors.As(err, &be) || len(be.Orders) != 1 {
		t.Fatalf("error %v, want a *BadOrdersError with one order", err)
	}
	if oe := be.Orders[0]; oe.TID != "E2" || oe.Field != "pay_info.payment" {
		t.Errorf("bad order %s field %s, want E2 pay_info.payment", oe.TID, oe.Field)
	}
	if !strings.Contains(err.Error(), `E2: pay_info.payment: "五元" is not an amount`) {
		t.Errorf("message %q", err)
	}
	ids := make([]string, len(got))
	for i, o := range got {
		ids[i] = o.ID
	}
	if !slices.Equal(ids, []string{"E1"}) {
		t.Errorf("orders %v, want the good one of this store only", ids)
	}
}

func TestOrdersGarbageAnswer(t *testing.T) {
	c := fixedPlatform(t, `{"success":true,"code":200,"data":{"total_results":1,"full_order_info_list":[{"full_or`)
	now := time.Now()
	_, err := c.Orders(context.Background(), "12", now.Add(-time.Hour), now)
	var ae *youzan.APIError
	if !errors.As(err, &ae) || !ae.Temporary() || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("error %v, want a temporary *APIError saying the answer was cut short", err)
	}
}

// OrdersByPage hands over the first order not read before at once, then
// each page of a window that spans several before the next call (none of a
// window that fits one page), and stops at an error of the receiver.
func TestOrdersByPage(t *testing.T) {
	tests := []struct {
		name      string
		orders    int
		failAt    int   // the hand-over that fails (1-based); 0: none
		wantPages []int // orders handed over each time
		wantAfter []int // order list calls made by then
		wantCalls int   // order list calls made
	}{
		{name: "one page", orders: 60, wantPages: []int{1}, wantAfter: []int{1}, wantCalls: 1},
		{name: "three pages", orders: 250, wantPages: []int{1, 100, 50, 100}, wantAfter: []int{1, 1, 2, 3}, wantCalls: 4},
		{name: "receiver fails", orders: 250, failAt: 3, wantPages: []int{1, 100, 50}, wantAfter: []int{1, 1, 2}, wantCalls: 2},
		{name: "fails at once", orders: 60, failAt: 1, wantPages: []int{1}, wantAfter: []int{1}, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			start := e.clk.Now()
			tids := e.add(t, storeA, tt.orders)
			var pages, after []int
			seen := map[string]bool{}
			boom := errors.New("disk full")
			got, err := e.c.OrdersByPage(context.Background(), storeA, start, e.clk.Now(), func(page []order.Order) error {
				pages = append(pages, len(page))
				after = append(after, e.sim.Calls()[sim.APITradesSoldGet])
				for _, o := range page {
					if o.StoreID != storeA {
						t.Errorf("order %s of store %s handed over", o.ID, o.StoreID)
					}
					seen[o.ID] = true
				}
				if len(pages) == tt.failAt {
					return boom
				}
				return nil
			})
			if !slices.Equal(pages, tt.wantPages) || !slices.Equal(after, tt.wantAfter) {
				t.Errorf("handed over %v after %v calls, want %v after %v", pages, after, tt.wantPages, tt.wantAfter)
			}
			if n := e.sim.Calls()[sim.APITradesSoldGet]; n != tt.wantCalls {
				t.Errorf("%d calls, want %d", n, tt.wantCalls)
			}
			if tt.failAt > 0 {
				if !errors.Is(err, boom) || got != nil {
					t.Fatalf("got %d orders, %v; want the receiver's error", len(got), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkOrders(t, got, storeA, tids)
			if len(tt.wantPages) > 1 && len(seen) != len(tids) {
				t.Errorf("%d distinct orders handed over, want all %d", len(seen), len(tids))
			}
			// Read again, the window hands nothing over alone: every order
			// was read before.
			pages = nil
			if _, err := e.c.OrdersByPage(context.Background(), storeA, start, e.clk.Now(), func(page []order.Order) error {
				pages = append(pages, len(page))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(pages) > 0 && pages[0] == 1 {
				t.Errorf("read again: handed over %v, want no order alone", pages)
			}
		})
	}
}

// Reading a window again returns each order as it is now: one cancelled in
// between comes back cancelled, the others as they were.
func TestOrdersAgainAfterAChange(t *testing.T) {
	e := newEnv(t, nil, nil)
	start := e.clk.Now()
	tids := e.add(t, storeA, 5)
	ctx := context.Background()
	before, err := e.c.Orders(ctx, storeA, start, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Add(time.Second)
	if err := e.sim.SetStatus(tids[2], "TRADE_CLOSED"); err != nil {
		t.Fatal(err)
	}
	after, err := e.c.Orders(ctx, storeA, start, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	checkOrders(t, after, storeA, tids)
	status := map[string]order.Status{}
	for _, o := range before {
		status[o.ID] = o.Status
	}
	for _, o := range after {
		want := status[o.ID]
		if o.ID == tids[2] {
			want = order.StatusCancelled
		}
		if o.Status != want {
			t.Errorf("order %s: %s, want %s", o.ID, o.Status, want)
		}
	}
}
