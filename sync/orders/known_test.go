package orders

import (
	"context"
	"testing"
	"time"

	"storeedge/queue"
	"storeedge/sync/order"
)

// countingRouter counts the orders it builds jobs for.
type countingRouter struct {
	Router
	built map[string]int
}

func (r *countingRouter) Jobs(o *order.Order, ev order.Event, now time.Time) ([]queue.Job, error) {
	r.built[o.ID+"/"+string(ev)]++
	return r.Router.Jobs(o, ev, now)
}

// TestSeenOrdersAreNotRoutedAgain: the windows overlap, so every poll of a
// busy store reads again orders it printed; their tickets are not built
// again, and a new event of the same order (a cancellation) still is.
func TestSeenOrdersAreNotRoutedAgain(t *testing.T) {
	s := newSetup(t)
	r := &countingRouter{Router: s.p.opt.Router, built: map[string]int{}}
	s.p.opt.Router = r
	at := s.clk.t.Add(-30 * time.Second)
	s.src.orders = []order.Order{mk("1", "E1", order.StatusPaid, at), mk("1", "E2", order.StatusPaid, at)}
	for i := range 3 {
		s.clk.t = s.clk.t.Add(10 * time.Second)
		if i == 2 {
			s.src.orders = append(s.src.orders, mk("1", "E3", order.StatusPaid, s.clk.t.Add(-time.Second)))
			s.src.orders[0] = mk("1", "E1", order.StatusCancelled, s.clk.t.Add(-time.Second))
		}
		if err := s.p.PollOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{"E1/new": 1, "E2/new": 1, "E3/new": 1, "E1/cancel": 1}
	for k, n := range want {
		if r.built[k] != n {
			t.Errorf("%s routed %d times, want %d (all: %v)", k, r.built[k], n, r.built)
		}
	}
	if got := len(s.ids(t)); got != 7 {
		t.Errorf("%d jobs, want 7 (three orders' receipt and kitchen ticket, one cancel ticket)", got)
	}
}
