package orders

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/queue"
	"storeedge/sync/order"
	"storeedge/sync/sim"
	"storeedge/sync/wdt"
	"storeedge/sync/youzan"
)

type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *syncClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *syncClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// TestSoakDay runs a simulated day against the simulator over real HTTP
// with a fast clock: orders at random seconds, orders updated exactly on
// the instant a window ends, orders that appear late in windows already
// read, cancellations of printed orders, and the platform's list lag. At
// the end every paid order has its tickets and every cancelled one its
// cancel ticket, each once.
func TestSoakDay(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		typ  string
		lag  time.Duration
		zone *time.Location
	}{
		{"youzan lag 40s Shanghai", "youzan", 40 * time.Second, sh},
		{"wdt lag 40s UTC", "wdt", 40 * time.Second, time.UTC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := time.Local
			time.Local = tc.zone
			t.Cleanup(func() { time.Local = old })
			soak(t, tc.typ, tc.lag)
		})
	}
}

// step is the poll interval of the soak: a day is 288 polls.
const step = 5 * time.Minute

func soak(t *testing.T, typ string, lag time.Duration) {
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, order.CST)
	clk := &syncClock{t: start}
	stores := sim.DefaultStores[:2]
	s := sim.New(sim.Options{Seed: 11, Now: clk.Now, Stores: stores})
	s.SetLag(lag)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	var src Source
	switch typ {
	case "youzan":
		c, err := youzan.New(youzan.Config{Name: typ, BaseURL: srv.URL, ClientID: "demo-client", ClientSecret: "demo-secret", GrantID: s.KdtID(), Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		src = c
	case "wdt":
		c, err := wdt.New(wdt.Config{Name: typ, BaseURL: srv.URL + "/openapi2", SID: "demo-sid", AppKey: "demo-appkey", AppSecret: "demo-appsecret", Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		src = c
	}
	q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	table, err := printer.NewTable([]printer.Binding{
		{Store: "*", Kind: order.KindReceipt, Printers: []string{"front"}, Copies: 1},
		{Store: "*", Kind: order.KindKitchen, Printers: []string{"kitchen"}, Copies: 1},
		{Store: "*", Kind: order.KindCancel, Printers: []string{"front"}, Copies: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ps []Store
	for _, st := range stores {
		ps = append(ps, Store{ID: st.ID, Name: st.Name})
	}
	p, err := New(Options{Platform: typ, Source: src, Stores: ps, Queue: q, Router: table, Now: clk.Now,
		Interval: step, Overlap: 2 * time.Minute, Lookback: time.Hour, EventPrefix: printer.EventPrefix})
	if err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(5, 6))
	var created []sim.Trade
	cancelled := map[string]bool{}
	ctx := context.Background()
	failures := 0
	for edge := start.Add(step); !edge.After(start.Add(24 * time.Hour)); edge = edge.Add(step) {
		for n := rng.IntN(12); n > 0; n-- {
			clk.Set(edge.Add(-time.Duration(1+rng.IntN(int(step/time.Second)-1)) * time.Second))
			tr, err := s.AddOrder(stores[rng.IntN(len(stores))].ID)
			if err != nil {
				t.Fatal(err)
			}
			created = append(created, tr)
		}
		if rng.IntN(3) == 0 {
			// a late arrival: updated 50 s ago, into a window read already
			clk.Set(edge.Add(-time.Second))
			tr, err := s.AddLateOrder(stores[rng.IntN(len(stores))].ID, 50*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			created = append(created, tr)
		}
		if rng.IntN(3) == 0 {
			// an order cancelled a while after it was paid (and printed)
			var old []sim.Trade
			for _, tr := range created {
				if tr.Created.Before(edge.Add(-10*time.Minute)) && !cancelled[tr.TID] {
					old = append(old, tr)
				}
			}
			if len(old) > 0 {
				tr := old[rng.IntN(len(old))]
				clk.Set(edge.Add(-30 * time.Second))
				if err := s.SetRefundState(tr.TID, 12); err != nil {
					t.Fatal(err)
				}
				if err := s.SetStatus(tr.TID, "TRADE_CLOSED"); err != nil {
					t.Fatal(err)
				}
				cancelled[tr.TID] = true
			}
		}
		clk.Set(edge)
		if rng.IntN(2) == 0 {
			// updated on the very instant this window ends
			tr, err := s.AddOrder(stores[rng.IntN(len(stores))].ID)
			if err != nil {
				t.Fatal(err)
			}
			created = append(created, tr)
		}
		if err := p.PollOnce(ctx); err != nil {
			failures++
			t.Errorf("poll at %s: %v", order.FormatCST(edge), err)
			if failures > 3 {
				t.FailNow()
			}
		}
	}
	for range 2 {
		clk.Set(clk.Now().Add(step))
		if err := p.PollOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}

	jobs, err := q.List(queue.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, j := range jobs {
		parts := strings.Split(j.ID, "/") // platform/store/order/event/kind/copy
		count[parts[2]+"/"+parts[3]+"/"+parts[4]]++
	}
	id := func(tid string) string {
		if typ == "wdt" {
			return "JY" + strings.TrimLeft(tid, "E")
		}
		return tid
	}
	missing := 0
	for _, tr := range created {
		for _, k := range []string{"new/receipt", "new/kitchen"} {
			if n := count[id(tr.TID)+"/"+k]; n != 1 {
				missing++
				if missing < 5 {
					t.Errorf("order %s (updated %s): %d %s jobs, want 1", tr.TID, order.FormatCST(tr.Updated), n, k)
				}
			}
		}
		want := 0
		if cancelled[tr.TID] {
			want = 1
		}
		if n := count[id(tr.TID)+"/cancel/cancel"]; n != want {
			t.Errorf("order %s: %d cancel jobs, want %d", tr.TID, n, want)
		}
	}
	if missing > 0 {
		t.Errorf("%d tickets missing of %d orders", missing, len(created))
	}
	if len(created) < 1500 || len(cancelled) < 50 {
		t.Errorf("a thin day: %d orders, %d cancelled", len(created), len(cancelled))
	}
	calls := 0
	for _, n := range s.Calls() {
		calls += n
	}
	t.Logf("%s: %d orders, %d cancelled, %d jobs, %d platform calls", typ, len(created), len(cancelled), len(jobs), calls)
}
