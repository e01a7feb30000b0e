package agent

import (
	"context"
	"fmt"

	"storeedge/agent/status"
	"storeedge/printer"
	"storeedge/queue"
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
		Queue:   status.Queue{Pending: st.Pending, Inflight: st.Inflight, Done: st.Done, Dead: st.Dead},
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
		t := status.Ticket{ID: j.ID, Printer: j.Printer, State: string(j.State), Updated: j.Updated,
			Reprint: j.Uncertain, Attempts: j.Attempts, Error: j.LastError}
		if p, err := printer.DecodePayload(j.Payload); err == nil {
			t.Store, t.OrderID, t.Kind = p.Order.StoreID, p.Order.ID, string(p.Kind)
		}
		s.Tickets = append(s.Tickets, t)
	}
	return s, nil
}
