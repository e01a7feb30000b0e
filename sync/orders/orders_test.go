package orders

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/queue"
	"storeedge/sync/order"
)

// source is an in-memory platform for the pull loop's unit tests (the real
// client against the simulator is tested in sync/youzan and agent).
type source struct {
	mu      sync.Mutex
	orders  []order.Order
	err     error
	windows [][2]time.Time
}

func (s *source) Orders(ctx context.Context, store string, from, to time.Time) ([]order.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.windows = append(s.windows, [2]time.Time{from, to})
	var out []order.Order
	for _, o := range s.orders {
		if !o.Updated.Before(from) && !o.Updated.After(to) {
			out = append(out, o)
		}
	}
	return out, s.err
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func mk(store, id string, st order.Status, updated time.Time) order.Order {
	return order.Order{Platform: "youzan", StoreID: store, ID: id, Status: st, Created: updated, Updated: updated,
		Items:      []order.Item{{Name: "奶茶", Qty: mustDec("1")}},
		Fulfilment: order.Fulfilment{Method: order.MethodPickup}}
}

type setup struct {
	q   *queue.Queue
	src *source
	clk *clock
	p   *Poller
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	table, err := printer.NewTable([]printer.Binding{
		{Store: "1", Kind: order.KindReceipt, Printers: []string{"front"}, Copies: 1},
		{Store: "1", Kind: order.KindKitchen, Printers: []string{"kitchen"}, Copies: 1},
		{Store: "1", Kind: order.KindCancel, Printers: []string{"front"}, Copies: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &setup{q: q, src: &source{}, clk: &clock{time.Date(2024, 6, 1, 12, 0, 0, 0, order.CST)}}
	s.p, err = New(Options{Platform: "youzan", Source: s.src, Stores: []Store{{ID: "1", Name: "人民路店"}},
		Queue: q, Router: table, Now: s.clk.now, Overlap: 2 * time.Minute, Lookback: time.Hour,
		MaxSpan: 6 * time.Hour, EventPrefix: printer.EventPrefix})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *setup) ids(t *testing.T) []string {
	t.Helper()
	jobs, err := s.q.List(queue.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func TestEventsFromStatuses(t *testing.T) {
	tests := []struct {
		name   string
		before []order.Status // statuses seen in earlier polls
		now    order.Status
		want   []string // job id suffixes after the last poll
	}{
		{"paid prints receipt and kitchen", nil, order.StatusPaid, []string{"new/receipt/1", "new/kitchen/1"}},
		{"pending prints nothing", nil, order.StatusPending, nil},
		{"completed unseen prints nothing", nil, order.StatusCompleted, nil},
		{"cancelled before printing prints nothing", []order.Status{order.StatusPending}, order.StatusCancelled, nil},
		{"cancelled after printing prints a cancel ticket", []order.Status{order.StatusPaid}, order.StatusCancelled,
			[]string{"new/receipt/1", "new/kitchen/1", "cancel/cancel/1"}},
		{"refunded after printing prints a cancel ticket", []order.Status{order.StatusPaid}, order.StatusRefunded,
			[]string{"new/receipt/1", "new/kitchen/1", "cancel/cancel/1"}},
		{"shipped after printing prints nothing more", []order.Status{order.StatusPaid}, order.StatusShipped,
			[]string{"new/receipt/1", "new/kitchen/1"}},
		{"paid seen twice prints once", []order.Status{order.StatusPaid}, order.StatusPaid,
			[]string{"new/receipt/1", "new/kitchen/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t)
			for _, st := range append(tt.before, tt.now) {
				s.clk.t = s.clk.t.Add(time.Minute)
				s.src.orders = []order.Order{mk("1", "E1", st, s.clk.t.Add(-30*time.Second))}
				if err := s.p.PollOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for _, id := range s.ids(t) {
				got = append(got, strings.TrimPrefix(id, "youzan/1/E1/"))
			}
			if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(tt.want)) {
				t.Fatalf("jobs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWindowsCursorAndOverlap(t *testing.T) {
	s := newSetup(t)
	start := s.clk.t
	if err := s.p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// First poll: lookback one hour.
	if w := s.src.windows[0]; !w[0].Equal(start.Add(-time.Hour)) || !w[1].Equal(start) {
		t.Fatalf("first window %v", w)
	}
	s.clk.t = start.Add(30 * time.Second)
	if err := s.p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Next poll starts overlap before the last end.
	if w := s.src.windows[1]; !w[0].Equal(start.Add(-2*time.Minute)) || !w[1].Equal(s.clk.t) {
		t.Fatalf("second window %v", w)
	}
	// A failing platform does not move the cursor.
	s.src.err = errors.New("502 bad gateway")
	s.clk.t = start.Add(time.Minute)
	if err := s.p.PollOnce(context.Background()); err == nil {
		t.Fatal("want error")
	}
	if h := s.p.Health(); h.State != "error" || !strings.Contains(h.LastError, "502") {
		t.Fatalf("health %+v", h)
	}
	s.src.err = nil
	s.clk.t = start.Add(2 * time.Minute)
	if err := s.p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := s.src.windows[3]; !w[0].Equal(start.Add(30*time.Second - 2*time.Minute)) {
		t.Fatalf("window after failure starts %v, want overlap before the last good end", w[0])
	}
	// A long outage is caught up in MaxSpan pieces, cursor saved after each.
	s.clk.t = start.Add(20 * time.Hour)
	n := len(s.src.windows)
	if err := s.p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(s.src.windows) - n; got != 4 {
		t.Fatalf("catch-up took %d windows, want 4 of at most 6h", got)
	}
	for _, w := range s.src.windows[n:] {
		if w[1].Sub(w[0]) > 6*time.Hour {
			t.Fatalf("window %v longer than MaxSpan", w)
		}
	}
}

func TestOtherStoresAndBadOrders(t *testing.T) {
	s := newSetup(t)
	at := s.clk.t.Add(-10 * time.Minute)
	bad := mk("1", "E3", order.StatusPaid, at)
	bad.Fulfilment.Method = "drone"
	s.src.orders = []order.Order{mk("1", "E1", order.StatusPaid, at), mk("2", "E2", order.StatusPaid, at), bad}
	err := s.p.PollOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), `order "E3"`) || !strings.Contains(err.Error(), "fulfilment.method") {
		t.Fatalf("err = %v, want the bad order named", err)
	}
	ids := s.ids(t)
	if len(ids) != 2 || !strings.Contains(ids[0], "/E1/") || !strings.Contains(ids[1], "/E1/") {
		t.Fatalf("jobs = %v, want only E1's (E2 is another store's, E3 is bad)", ids)
	}
	if cur, _ := s.q.Cursor("orders/youzan/1"); cur != "" {
		t.Fatalf("cursor moved to %s despite a bad order in the window", cur)
	}
	if h := s.p.Health(); h.OrdersSeen != 1 {
		t.Fatalf("orders seen %d, want 1", h.OrdersSeen)
	}
}

func TestCursorOnlyAfterDurableEnqueue(t *testing.T) {
	s := newSetup(t)
	s.src.orders = []order.Order{mk("1", "E1", order.StatusPaid, s.clk.t.Add(-time.Minute))}
	s.q.Close() // every queue call now fails
	if err := s.p.PollOnce(context.Background()); err == nil {
		t.Fatal("poll with a closed queue succeeded")
	}
	if h := s.p.Health(); h.State != "error" {
		t.Fatalf("health %+v", h)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestLateOrderIsFoundByTheDeeperPoll(t *testing.T) {
	s := newSetup(t)
	start := s.clk.t
	poll := func() {
		t.Helper()
		if err := s.p.PollOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	poll() // first poll; cursor now at start
	// Every 30 s for 12 minutes; an order updated at start+1m is listed by
	// the platform only from start+8m on, long after its windows passed.
	late := mk("1", "LATE", order.StatusPaid, start.Add(time.Minute))
	for i := 1; i <= 24; i++ {
		s.clk.t = start.Add(time.Duration(i) * 30 * time.Second)
		if s.clk.t.Sub(start) == 8*time.Minute {
			s.src.orders = append(s.src.orders, late)
		}
		poll()
	}
	ids := s.ids(t)
	if len(ids) != 2 || !strings.Contains(ids[0], "/LATE/") {
		t.Fatalf("jobs = %v, want the late order's receipt and kitchen ticket", ids)
	}
	// And once only, however many deeper polls follow.
	for i := 25; i <= 70; i++ {
		s.clk.t = start.Add(time.Duration(i) * 30 * time.Second)
		poll()
	}
	if got := len(s.ids(t)); got != 2 {
		t.Fatalf("%d jobs after more deeper polls, want 2", got)
	}
}

func TestClockSetBackKeepsPolling(t *testing.T) {
	s := newSetup(t)
	start := s.clk.t
	if err := s.p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The clock jumps back a day; an order arrives "now" on that clock.
	s.clk.t = start.Add(-24 * time.Hour)
	s.src.orders = []order.Order{mk("1", "AFTER", order.StatusPaid, s.clk.t.Add(-10*time.Second))}
	if err := s.p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := s.ids(t); len(ids) != 2 {
		t.Fatalf("jobs = %v, want the order seen after the clock went back", ids)
	}
}
