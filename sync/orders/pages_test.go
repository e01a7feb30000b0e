package orders

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"storeedge/queue"
	"storeedge/sync/order"
)

// pagedSource hands over the orders of a window in pages of size, as a
// platform client does while it has more pages to read; final, when set,
// changes the list returned at the end (an order updated while paging).
type pagedSource struct {
	*source
	size   int
	final  func([]order.Order) []order.Order
	before func(page int) // called before each page is handed over
}

func (p *pagedSource) OrdersByPage(ctx context.Context, store string, from, to time.Time, page func([]order.Order) error) ([]order.Order, error) {
	all, err := p.source.Orders(ctx, store, from, to)
	if err != nil {
		return nil, err
	}
	for i, n := 0, 0; i+p.size < len(all); i, n = i+p.size, n+1 {
		if p.before != nil {
			p.before(n)
		}
		if err := page(slices.Clone(all[i : i+p.size])); err != nil {
			return nil, err
		}
	}
	if p.final != nil {
		all = p.final(all)
	}
	return all, nil
}

// failingEnqueue fails plain enqueues (a page's jobs, the first order's)
// while fail is set; the commit with the cursor still works.
type failingEnqueue struct {
	*queue.Queue
	fail bool
}

func (f *failingEnqueue) Enqueue(jobs ...queue.Job) ([]bool, error) {
	if f.fail {
		return nil, errors.New("disk full")
	}
	return f.Queue.Enqueue(jobs...)
}

// TestPagesPrintAsTheyArrive: the jobs of each page handed over are
// durable before the next page is read; the cursor waits for the whole
// window; every ticket is made once, and an order cancelled while the
// window was read gets its cancel ticket.
func TestPagesPrintAsTheyArrive(t *testing.T) {
	s := newSetup(t)
	at := s.clk.t.Add(-time.Minute)
	for i, id := range []string{"E1", "E2", "E3", "E4", "E5"} {
		s.src.orders = append(s.src.orders, mk("1", id, order.StatusPaid, at.Add(time.Duration(i)*time.Second)))
	}
	ps := &pagedSource{source: s.src, size: 2}
	ps.before = func(page int) {
		// Everything on the pages before this one is in the queue already.
		ids := s.ids(t)
		for _, id := range []string{"E1", "E2", "E3", "E4"}[:2*page] {
			if !slices.ContainsFunc(ids, func(j string) bool { return strings.Contains(j, "/"+id+"/new/receipt/") }) {
				t.Errorf("before page %d: %s not in the queue (%q)", page, id, ids)
			}
		}
		if cur, _ := s.q.Cursor(s.p.cursorName("1")); cur != "" {
			t.Errorf("before page %d: cursor moved to %s", page, cur)
		}
	}
	ps.final = func(all []order.Order) []order.Order {
		all[1].Status, all[1].Updated = order.StatusCancelled, all[1].Updated.Add(30*time.Second)
		return all
	}
	s.p.opt.Source = ps
	if err := s.p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids := s.ids(t)
	want := 5*2 + 1 // receipt and kitchen of each, and E2's cancel ticket
	if len(ids) != want {
		t.Fatalf("%d jobs %q, want %d", len(ids), ids, want)
	}
	if !slices.ContainsFunc(ids, func(j string) bool { return strings.Contains(j, "/E2/cancel/") }) {
		t.Fatalf("no cancel ticket for E2 in %q", ids)
	}
	if cur, _ := s.q.Cursor(s.p.cursorName("1")); cur == "" {
		t.Fatal("cursor did not move after the whole window")
	}
	// The next poll sees the same window again: nothing new.
	ps.before = nil
	if err := s.p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.ids(t)); n != want {
		t.Fatalf("%d jobs after polling again, want %d", n, want)
	}
}

// TestPageThatCannotBeStored: a page whose jobs cannot be made durable
// stops the poll with the queue's error and leaves the cursor; the next
// poll prints every order once.
func TestPageThatCannotBeStored(t *testing.T) {
	s := newSetup(t)
	at := s.clk.t.Add(-time.Minute)
	for i, id := range []string{"E1", "E2", "E3"} {
		s.src.orders = append(s.src.orders, mk("1", id, order.StatusPaid, at.Add(time.Duration(i)*time.Second)))
	}
	fq := &failingEnqueue{Queue: s.q, fail: true}
	s.p.opt.Queue = fq
	s.p.opt.Source = &pagedSource{source: s.src, size: 2}
	err := s.p.PollOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("poll: %v, want the queue's error", err)
	}
	if cur, _ := s.q.Cursor(s.p.cursorName("1")); cur != "" {
		t.Fatalf("cursor moved to %s", cur)
	}
	if ids := s.ids(t); len(ids) != 0 {
		t.Fatalf("jobs %q stored", ids)
	}
	fq.fail = false
	if err := s.p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := s.ids(t); len(ids) != 6 {
		t.Fatalf("%d jobs %q, want 6", len(ids), ids)
	}
}
