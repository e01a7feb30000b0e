package agent

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"storeedge/agent/status"
	"storeedge/printer"
	"storeedge/queue"
	"storeedge/sync/order"
)

// latestTickets is how many recent jobs the status page lists.
const latestTickets = 30

// Snapshot assembles what the status page and /api/v1/status show. It never
// includes a secret: platform credentials and the status token are not part of it.
func (a *Agent) Snapshot(ctx context.Context) (status.Snapshot, error) {
	st, err := a.q.Stats()
	if err != nil {
		return status.Snapshot{}, fmt.Errorf("queue stats: %w", err)
	}
	s := status.Snapshot{
		Version: a.opt.Version,
		Started: a.started,
		Now:     a.opt.Now(),
		Queue: status.Queue{Pending: st.Pending, Inflight: st.Inflight, Done: st.Done, Dead: st.Dead,
			Held: st.Held, Dropped: st.Dropped},
	}
	if r := a.q.Recovery(); r != nil {
		s.Queue.Recovery = &status.QueueRecovery{At: r.At, MovedTo: r.MovedTo, Cause: r.Cause}
	}
	for _, c := range a.cfg.Stores {
		s.Stores = append(s.Stores, status.Store{ID: c.ID, Name: c.Name, Platform: c.Platform})
	}
	for _, p := range a.pollers {
		h := p.poller.Health()
		s.Platforms = append(s.Platforms, status.Platform{
			Name: p.cfg.Name, Type: p.cfg.Type, State: h.State, LastPoll: h.LastPoll,
			LastSuccess: h.LastSuccess, LastError: h.LastError, OrdersSeen: h.OrdersSeen,
		})
	}
	for i, w := range a.workers {
		pc := a.cfg.Printers[i]
		info := w.Info()
		lane := st.Lanes[pc.Name]
		s.Printers = append(s.Printers, status.Printer{
			Name: pc.Name, URI: pc.URI.Raw, State: string(info.State), Paper: pc.Paper,
			Queued: lane.Pending + lane.Inflight, Printed: lane.Done, Failed: lane.Dead,
			LastPrinted: info.LastPrinted, LastError: info.LastError,
			Detail: info.Detail, Since: info.Since, NeedsPersonSince: info.NeedsPersonSince, Paused: info.Paused,
		})
	}
	for _, b := range a.table.Bindings() {
		s.Bindings = append(s.Bindings, status.Binding{Store: b.Store, Ticket: string(b.Kind), Printers: b.Printers, Copies: b.Copies, Backup: b.Backup})
	}
	jobs, err := a.q.List(queue.Filter{Newest: true, Limit: latestTickets})
	if err != nil {
		return status.Snapshot{}, fmt.Errorf("latest tickets: %w", err)
	}
	for _, j := range jobs {
		s.Tickets = append(s.Tickets, ticketOf(j))
	}
	if st.Held+st.Dead > 0 {
		// Jobs waiting for a person, however old: the latest tickets may
		// no longer show them.
		waiting, err := a.q.List(queue.Filter{States: []queue.State{queue.Held, queue.Dead}, Limit: attentionTickets})
		if err != nil {
			return status.Snapshot{}, fmt.Errorf("jobs waiting for a decision: %w", err)
		}
		for _, j := range waiting {
			s.Attention = append(s.Attention, ticketOf(j))
		}
	}
	s.Today.Date = s.Now.In(order.CST).Format(time.DateOnly)
	for _, p := range s.Platforms {
		s.Today.Orders += p.OrdersSeen
	}
	if s.Today.Tickets, err = a.today.count(a.q, s.Now); err != nil {
		return status.Snapshot{}, fmt.Errorf("tickets printed today: %w", err)
	}
	if err := a.stock.snapshot(&s); err != nil {
		return status.Snapshot{}, err
	}
	return s, nil
}

// attentionTickets is how many held and dead jobs the status page lists.
const attentionTickets = 100

// ticketOf is a job as the status page lists it.
func ticketOf(j queue.Job) status.Ticket {
	t := status.Ticket{ID: j.ID, Printer: j.Printer, State: string(j.State), Updated: j.Updated,
		Reprint: j.Uncertain, Attempts: j.Attempts, Error: j.LastError,
		Preview: "/api/v1/jobs/" + url.PathEscape(j.ID) + "/preview.png"}
	if p, err := printer.DecodePayload(j.Payload); err == nil {
		t.Store, t.OrderID, t.Kind = p.Order.StoreID, p.Order.ID, string(p.Kind)
	}
	return t
}

// todayCounter counts the jobs printed since midnight (China Standard
// Time), read from the queue at most every todayEvery.
type todayCounter struct {
	mu    sync.Mutex
	at    time.Time // when n was counted
	day   string
	n     int
	every time.Duration
}

// todayEvery is how long a count of today's tickets is reused.
const todayEvery = 5 * time.Second

func (c *todayCounter) count(q *queue.Queue, now time.Time) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	every := c.every
	if every == 0 {
		every = todayEvery
	}
	cst := now.In(order.CST)
	day := cst.Format(time.DateOnly)
	if day == c.day && now.Sub(c.at) < every && !now.Before(c.at) {
		return c.n, nil
	}
	midnight := time.Date(cst.Year(), cst.Month(), cst.Day(), 0, 0, 0, 0, order.CST)
	// The queue counts from its index of printed jobs: the cost does not
	// grow with the tickets waiting.
	n, err := q.DoneSince(midnight)
	if err != nil {
		return 0, err
	}
	c.at, c.day, c.n = now, day, n
	return n, nil
}
