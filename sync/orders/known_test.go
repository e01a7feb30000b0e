package orders

import (
	"context"
	"errors"
	"strings"
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

// probeRouter looks into the queue while the answer is being routed.
type probeRouter struct {
	Router
	q      *queue.Queue
	fail   string              // the order whose routing fails
	queued map[string][]string // order -> jobs already in the queue when it was routed
}

func (r *probeRouter) Jobs(o *order.Order, ev order.Event, now time.Time) ([]queue.Job, error) {
	jobs, err := r.q.List(queue.Filter{})
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		r.queued[o.ID] = append(r.queued[o.ID], j.ID)
	}
	if o.ID == r.fail {
		return nil, errors.New("cannot route")
	}
	return r.Router.Jobs(o, ev, now)
}

// TestFirstOrderOfAnAnswerPrintsFirst: in an answer of many orders, the
// first to print is committed on its own before the others are built, so
// the printers start while the burst is still being routed; the cursor
// moves only with the rest, so a failure after the first commit asks for
// the window again and prints nothing twice.
func TestFirstOrderOfAnAnswerPrintsFirst(t *testing.T) {
	tests := []struct {
		name       string
		fail       string
		wantJobs   int
		wantCursor bool
	}{
		{"whole answer", "", 6, true},
		{"routing fails after the first commit", "E3", 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t)
			r := &probeRouter{Router: s.p.opt.Router, q: s.q, fail: tc.fail, queued: map[string][]string{}}
			s.p.opt.Router = r
			at := s.clk.t.Add(-30 * time.Second)
			s.src.orders = []order.Order{mk("1", "E1", order.StatusPaid, at), mk("1", "E2", order.StatusPaid, at.Add(time.Second)),
				mk("1", "E3", order.StatusPaid, at.Add(2*time.Second))}
			err := s.p.PollOnce(context.Background())
			if (err != nil) != (tc.fail != "") {
				t.Fatalf("PollOnce = %v", err)
			}
			if got := r.queued["E2"]; len(got) != 2 || !strings.Contains(got[0], "/E1/") || !strings.Contains(got[1], "/E1/") {
				t.Errorf("when E2 was routed the queue held %v, want E1's two jobs", got)
			}
			if got := len(s.ids(t)); got != tc.wantJobs {
				t.Errorf("%d jobs, want %d: %v", got, tc.wantJobs, s.ids(t))
			}
			cur, err := s.q.Cursor(s.p.cursorName("1"))
			if err != nil {
				t.Fatal(err)
			}
			if (cur != "") != tc.wantCursor {
				t.Errorf("cursor %q, want it moved: %v", cur, tc.wantCursor)
			}
			// Polled again, nothing of E1 is added twice.
			s.p.opt.Router = r.Router
			if err := s.p.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := len(s.ids(t)); got != 6 {
				t.Errorf("after a second poll %d jobs, want 6", got)
			}
		})
	}
}
