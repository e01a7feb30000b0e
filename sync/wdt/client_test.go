package wdt_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/sync/order"
	"storeedge/sync/sim"
	"storeedge/sync/wdt"
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
	sim *sim.Sim
	url string
	c   *wdt.Client
}

func (f *fixture) simURL(*testing.T) string { return f.url }

func newFixture(t *testing.T, maxSpan time.Duration) *fixture {
	t.Helper()
	f := &fixture{clk: &clock{t: t0}}
	f.sim = sim.New(sim.Options{Seed: 3, Now: f.clk.Now, WDTMaxSpan: maxSpan})
	srv := httptest.NewServer(f.sim.Handler())
	t.Cleanup(srv.Close)
	f.url = srv.URL
	c, err := wdt.New(wdt.Config{Name: "wdt", BaseURL: srv.URL + "/openapi2", SID: "demo-sid", AppKey: "demo-appkey",
		AppSecret: "demo-appsecret", MaxSpan: maxSpan, Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

// every runs fn with the machine's zone set to UTC and to Asia/Shanghai.
func every(t *testing.T, fn func(t *testing.T)) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("load Asia/Shanghai: %v", err)
	}
	for _, loc := range []*time.Location{time.UTC, sh} {
		t.Run(loc.String(), func(t *testing.T) {
			old := time.Local
			time.Local = loc
			t.Cleanup(func() { time.Local = old })
			fn(t)
		})
	}
}

// TestOrdersAgainstSimulator: a busy shop over three hours asked in one
// call with a one-hour span limit: every trade of the shop comes once, no
// trade of another shop, sorted by modified time.
func TestOrdersAgainstSimulator(t *testing.T) {
	every(t, func(t *testing.T) {
		f := newFixture(t, time.Hour)
		stores := f.sim.Stores()
		want := map[string]bool{}
		for i := range 3 * 60 * 3 { // 3 orders a minute for 3 hours, round robin
			if i%3 == 0 {
				f.clk.Add(time.Minute)
			}
			tr, err := f.sim.AddOrder(stores[i%len(stores)].ID)
			if err != nil {
				t.Fatal(err)
			}
			if tr.StoreID == stores[0].ID {
				want["JY"+strings.TrimLeft(tr.TID, "E")] = true
			}
		}
		got, err := f.c.Orders(context.Background(), stores[0].ID, t0, f.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("got %d orders, want %d", len(got), len(want))
		}
		for i, o := range got {
			if !want[o.ID] || o.StoreID != stores[0].ID || o.Status != order.StatusPaid {
				t.Fatalf("order %d: %s store %s status %s", i, o.ID, o.StoreID, o.Status)
			}
			if i > 0 && o.Updated.Before(got[i-1].Updated) {
				t.Fatalf("not sorted at %d", i)
			}
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		if n := f.sim.Calls()[sim.APIWDTTradeQuery]; n < 3 {
			t.Errorf("%d trade_query calls for three hours with a one-hour span", n)
		}
	})
}

func TestOrdersPagingOverHundred(t *testing.T) {
	f := newFixture(t, 72*time.Hour)
	st := f.sim.Stores()[1].ID
	for range 250 {
		if _, err := f.sim.AddOrder(st); err != nil {
			t.Fatal(err)
		}
	}
	f.clk.Add(time.Minute)
	got, err := f.c.Orders(context.Background(), st, t0.Add(-time.Hour), f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Fatalf("got %d orders, want 250", len(got))
	}
	// pages 0, 2, 1 and 0 again
	if n := f.sim.Calls()[sim.APIWDTTradeQuery]; n != 4 {
		t.Errorf("%d calls, want 4", n)
	}
}

func TestOrdersWindowEdgesInclusive(t *testing.T) {
	f := newFixture(t, time.Hour)
	st := f.sim.Stores()[0].ID
	a, _ := f.sim.AddOrder(st) // updated exactly at t0
	f.clk.Add(time.Hour)
	b, _ := f.sim.AddOrder(st) // exactly at the end
	got, err := f.c.Orders(context.Background(), st, t0, f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range got {
		ids = append(ids, o.ID)
	}
	for _, tr := range []sim.Trade{a, b} {
		if !slices.Contains(ids, "JY"+strings.TrimLeft(tr.TID, "E")) {
			t.Errorf("order updated on the window's edge %s missing: %v", order.FormatCST(tr.Updated), ids)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(f *fixture)
		secret    string
		temporary bool
		clock     bool
		msg       string
	}{
		{name: "bad secret", secret: "wrong", msg: "(1101)"},
		{name: "system busy", setup: func(f *fixture) { f.sim.InjectError(sim.APIWDTTradeQuery, wdt.CodeSystemBusy, 1) },
			temporary: true, msg: "platform system error, retry later (1020)"},
		{name: "http 503", setup: func(f *fixture) { f.sim.InjectError(sim.APIWDTTradeQuery, 503, 1) }, temporary: true, msg: "HTTP 503"},
		{name: "truncated", setup: func(f *fixture) { f.sim.InjectError(sim.APIWDTTradeQuery, sim.FaultTruncated, 1) }, temporary: true, msg: "cut short"},
		{name: "malformed", setup: func(f *fixture) { f.sim.InjectError(sim.APIWDTTradeQuery, sim.FaultMalformed, 1) }, temporary: true, msg: "not JSON"},
		{name: "appkey disabled", setup: func(f *fixture) { f.sim.InjectError(sim.APIWDTTradeQuery, wdt.CodeKeyDisabled, 1) }, msg: "appkey disabled (2090)"},
		{name: "clock behind", setup: func(f *fixture) { f.sim.SetClockSkew(7 * time.Minute) }, clock: true, msg: "clock is 7m0s behind the platform's"},
		{name: "clock ahead", setup: func(f *fixture) { f.sim.SetClockSkew(-10 * time.Minute) }, clock: true, msg: "10m0s ahead of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, time.Hour)
			if tt.setup != nil {
				tt.setup(f)
			}
			c := f.c
			if tt.secret != "" {
				var err error
				c, err = wdt.New(wdt.Config{Name: "wdt", BaseURL: strings.TrimSuffix(f.simURL(t), "/") + "/openapi2", SID: "demo-sid", AppKey: "demo-appkey", AppSecret: tt.secret, Now: f.clk.Now})
				if err != nil {
					t.Fatal(err)
				}
			}
			_, err := c.Orders(context.Background(), f.sim.Stores()[0].ID, t0, t0.Add(time.Minute))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			var ce *wdt.ClockError
			if errors.As(err, &ce) != tt.clock {
				t.Errorf("clock error = %v, want %v", !tt.clock, tt.clock)
			}
			var ae *wdt.APIError
			if !tt.clock && (!errors.As(err, &ae) || ae.Temporary() != tt.temporary) {
				t.Errorf("temporary: %v (%#v), want %v", err, ae, tt.temporary)
			}
			if strings.Contains(err.Error(), "demo-appsecret") {
				t.Error("error holds the secret")
			}
		})
	}
}

func TestSkewWithinTolerance(t *testing.T) {
	f := newFixture(t, time.Hour)
	f.sim.SetClockSkew(3 * time.Minute)
	if _, err := f.c.Orders(context.Background(), f.sim.Stores()[0].ID, t0, t0.Add(time.Minute)); err != nil {
		t.Fatalf("3 minutes of skew: %v", err)
	}
}

func TestShops(t *testing.T) {
	f := newFixture(t, time.Hour)
	got, err := f.c.Shops(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := f.sim.Stores()
	if len(got) != len(want) {
		t.Fatalf("got %d shops, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Name != want[i].Name || got[i].Address != want[i].Address {
			t.Errorf("shop %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestNewConfigErrors(t *testing.T) {
	_, err := wdt.New(wdt.Config{Name: "w", BaseURL: "ftp://x", MaxSpan: 100 * time.Hour})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"base_url", "sid: is empty", "appkey: is empty", "appsecret: is empty", "max_span"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// OrdersByPage hands over each page of a window that spans several before
// the next call, none of a window that fits one page, and stops at an error
// of the receiver.
func TestOrdersByPage(t *testing.T) {
	tests := []struct {
		name      string
		orders    int
		failAt    int
		wantPages []int
		wantCalls int
	}{
		{name: "one page", orders: 60, wantPages: nil, wantCalls: 1},
		{name: "three pages", orders: 250, wantPages: []int{100, 50, 100}, wantCalls: 4},
		{name: "receiver fails", orders: 250, failAt: 1, wantPages: []int{100}, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 72*time.Hour)
			st := f.sim.Stores()[1].ID
			for range tt.orders {
				if _, err := f.sim.AddOrder(st); err != nil {
					t.Fatal(err)
				}
			}
			f.clk.Add(time.Minute)
			var pages []int
			seen := map[string]bool{}
			boom := errors.New("disk full")
			got, err := f.c.OrdersByPage(context.Background(), st, t0.Add(-time.Hour), f.clk.Now(), func(page []order.Order) error {
				pages = append(pages, len(page))
				if calls := f.sim.Calls()[sim.APIWDTTradeQuery]; calls != len(pages) {
					t.Errorf("page %d handed over after %d calls", len(pages), calls)
				}
				for _, o := range page {
					if o.StoreID != st {
						t.Errorf("order %s of shop %s handed over", o.ID, o.StoreID)
					}
					seen[o.ID] = true
				}
				if len(pages) == tt.failAt {
					return boom
				}
				return nil
			})
			if !slices.Equal(pages, tt.wantPages) {
				t.Errorf("pages handed over %v, want %v", pages, tt.wantPages)
			}
			if n := f.sim.Calls()[sim.APIWDTTradeQuery]; n != tt.wantCalls {
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
			if len(got) != tt.orders {
				t.Fatalf("got %d orders, want %d", len(got), tt.orders)
			}
			if len(tt.wantPages) > 0 && len(seen) != tt.orders {
				t.Errorf("%d distinct orders handed over, want all %d", len(seen), tt.orders)
			}
		})
	}
}
