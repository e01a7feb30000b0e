package scale

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"storeedge/internal/testbin"
	"storeedge/sync/sim"
)

var (
	busyHour   = flag.Duration("busy-hour", 150*time.Second, "BenchmarkBusyDay: the wall time one hour of the shop's day takes (1h: no compression)")
	busyOrders = flag.Int("busy-orders", 2000, "BenchmarkBusyDay: orders in the hour")
	busyBurst  = flag.Int("busy-burst", 50, "BenchmarkBusyDay: orders in one burst")
	busyBursts = flag.Int("busy-bursts", 20, "BenchmarkBusyDay: bursts in the hour; the other orders come one by one")
	busyLog    = flag.String("busy-log", "warn", "BenchmarkBusyDay: the agent's log_level")
)

// arrival is when, from the start of the hour, how many orders arrive.
type arrival struct {
	at time.Duration
	n  int
}

// busyHourPlan spreads orders over hour: bursts of burst orders at even
// intervals, the rest one by one at random moments (a Poisson process
// given its count).
func busyHourPlan(hour time.Duration, orders, burst, bursts int, rng *rand.Rand) []arrival {
	bursts = min(bursts, orders/max(burst, 1))
	var plan []arrival
	for i := range bursts {
		plan = append(plan, arrival{at: hour * time.Duration(2*i+1) / time.Duration(2*bursts), n: burst})
	}
	for range orders - bursts*burst {
		plan = append(plan, arrival{at: time.Duration(rng.Int64N(int64(hour))), n: 1})
	}
	slices.SortFunc(plan, func(a, b arrival) int { return int(a.at - b.at) })
	return plan
}

// BenchmarkBusyDay runs one store's busiest hour against the agent as a
// real process: -busy-orders orders (2,000) with -busy-bursts bursts of
// -busy-burst orders at once (20 of 50), the rest one by one, the hour
// compressed into -busy-hour (150 s: 24 times faster, the poll interval
// shrunk alike from 30 s to 1.25 s, so each answer carries as many orders
// as on the real day). Receipts print on one TCP 9100 printer, kitchen
// tickets on another, both real listeners in this process timestamping the
// first byte of every ticket. Measured from the moment the simulator began
// writing the answer that first carried an order:
//
//   - per poll (p50-ms ... max-ms): from the first answer of the poll that
//     carried a new order to the first byte of the first ticket of any new
//     order the poll carried (a window of more than 100 orders takes
//     several calls, one per page, read as one poll);
//   - per order (order-p50-ms ...): to the first byte of that order's first
//     ticket, which for the 50th order of a burst waits behind the tickets
//     of the 49 before it on the same printers.
//
// Run with -benchtime 1x; the longer version: -busy-hour 1h.
func BenchmarkBusyDay(b *testing.B) {
	needProcesses(b)
	bin := binary(b)
	hour, total := *busyHour, *busyOrders
	compress := float64(time.Hour) / float64(hour)
	// The poll interval and the windows' overlap shrink with the hour, so
	// that every answer carries as many orders, new and seen before, as on
	// the real day.
	poll := max(time.Second, time.Duration(float64(30*time.Second)/compress))
	overlap := max(time.Second, time.Duration(float64(2*time.Minute)/compress)).Round(time.Second)
	for b.Loop() {
		busyDay(b, bin, hour, poll, overlap, total, compress)
	}
}

func busyDay(b *testing.B, bin string, hour, poll, overlap time.Duration, total int, compress float64) {
	s := sim.New(sim.Options{Seed: 7, Stores: sim.DefaultStores[:1]})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	front, err := ListenPrinter("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	kitchen, err := ListenPrinter("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	store := sim.DefaultStores[0]
	cfg := AgentConfig{DataDir: filepath.Join(dataRoot(b), "busy-day"), LogLevel: *busyLog, Listen: testbin.FreeAddr(b), SimURL: srv.URL, KdtID: s.KdtID(),
		Platform: Youzan, Store: store, Poll: poll, Overlap: overlap, Receipt: "tcp://" + front.Addr(), Kitchen: "tcp://" + kitchen.Addr()}
	agents := startAll(b, bin, []AgentConfig{cfg})
	a := agents[0]
	// Let the agent settle into its pace before the hour starts.
	time.Sleep(2 * poll)

	plan := busyHourPlan(hour, total, *busyBurst, *busyBursts, rand.New(rand.NewPCG(7, 7)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	for _, ar := range plan {
		t := time.NewTimer(time.Until(start.Add(ar.at)))
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		for range ar.n {
			if _, err := s.AddOrder(store.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()

	// Wait for the last tickets, then stop the agent and the printers.
	trades := s.Trades()
	deadline := time.Now().Add(2*poll + time.Minute)
	for {
		got, _ := arrived(front, kitchen)
		if len(got) >= 2*len(trades) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := a.proc.Stop(30 * time.Second); err != nil {
		b.Error(err)
	}
	if err := front.Close(); err != nil {
		b.Error(err)
	}
	if err := kitchen.Close(); err != nil {
		b.Error(err)
	}
	tickets, err := arrived(front, kitchen)
	if err != nil {
		b.Fatal(err)
	}
	trades = s.Trades() // now with the moments their answers were written

	// Each ticket once; each order's first ticket.
	firstOf := map[string]time.Time{}
	seen := map[string]bool{}
	for _, tk := range tickets {
		if seen[tk.Key()] || tk.Reprint {
			b.Errorf("ticket %s printed twice (reprint mark %v)", tk.Key(), tk.Reprint)
		}
		seen[tk.Key()] = true
		if f, ok := firstOf[tk.Order]; !ok || tk.First.Before(f) {
			firstOf[tk.Order] = tk.First
		}
	}
	// A poll may read its window in several calls (pages): the poll is
	// answered when the first of them carrying a new order was written,
	// and its first ticket is the first of any order its pages carried.
	var perOrder []float64
	pollFirst := map[string]time.Time{}
	pollServed := map[string]time.Time{}
	pollOrders := map[string]int{}
	pollOf := map[string]string{}
	for _, tr := range trades {
		f, ok := firstOf[tr.TID]
		if !ok || tr.Served.IsZero() {
			b.Errorf("order %s: served %v, no ticket printed", tr.TID, tr.Served)
			continue
		}
		perOrder = append(perOrder, Millis(f.Sub(tr.Served)))
		n := tr.Window
		pollOf[tr.TID] = n
		if pf, ok := pollFirst[n]; !ok || f.Before(pf) {
			pollFirst[n] = f
		}
		if ps, ok := pollServed[n]; !ok || tr.Served.Before(ps) {
			pollServed[n] = tr.Served
		}
		pollOrders[n]++
	}
	// A poll finds its printers idle when every ticket of the polls before
	// it had arrived by the time it was answered; otherwise its first
	// ticket waits behind theirs in the printers' lanes.
	lastOf := map[string]time.Time{}
	for _, tk := range tickets {
		n := pollOf[tk.Order]
		if tk.First.After(lastOf[n]) {
			lastOf[n] = tk.First
		}
	}
	polls := slices.SortedFunc(maps.Keys(pollFirst), func(a, b string) int { return pollServed[a].Compare(pollServed[b]) })
	var perAnswer, idle, sizes []float64
	var busyUntil time.Time
	for _, n := range polls {
		lat := Millis(pollFirst[n].Sub(pollServed[n]))
		perAnswer = append(perAnswer, lat)
		sizes = append(sizes, float64(pollOrders[n]))
		if !busyUntil.After(pollServed[n]) {
			idle = append(idle, lat)
		}
		if lastOf[n].After(busyUntil) {
			busyUntil = lastOf[n]
		}
	}
	if len(tickets) != 2*len(trades) {
		b.Errorf("%d tickets printed for %d orders, want %d", len(tickets), len(trades), 2*len(trades))
	}
	pa, pi, po := Distribution(perAnswer), Distribution(idle), Distribution(perOrder)
	report(b, "busy day: %d orders (%d bursts of %d, the rest one by one) in an hour compressed %.0fx into %v, poll %v, overlap %v, 2 shared cores, noisy",
		len(trades), min(*busyBursts, total/max(*busyBurst, 1)), *busyBurst, compress, hour, poll, overlap)
	report(b, "  new orders per poll: %s", Distribution(sizes).Format("%.0f", ""))
	report(b, "  poll answer -> first byte of its first ticket: %s", pa.Format("%.1f", "ms"))
	report(b, "    of polls finding the printers idle: %s", pi.Format("%.1f", "ms"))
	report(b, "  poll answer -> first byte of each order's first ticket: %s", po.Format("%.1f", "ms"))
	b.ReportMetric(pa.P50, "p50-ms")
	b.ReportMetric(pa.P90, "p90-ms")
	b.ReportMetric(pa.P99, "p99-ms")
	b.ReportMetric(pa.Max, "max-ms")
	b.ReportMetric(pi.P50, "idle-p50-ms")
	b.ReportMetric(pi.P99, "idle-p99-ms")
	b.ReportMetric(po.P50, "order-p50-ms")
	b.ReportMetric(po.P90, "order-p90-ms")
	b.ReportMetric(po.P99, "order-p99-ms")
	b.ReportMetric(po.Max, "order-max-ms")
	b.ReportMetric(float64(len(trades)), "orders")
	b.ReportMetric(float64(len(perAnswer)), "polls")
	b.ReportMetric(compress, "compression")
	b.StartTimer()
}

// arrived decodes the tickets both printers have received.
func arrived(ps ...*Printer) ([]Ticket, error) {
	var out []Ticket
	for _, p := range ps {
		ts, err := Tickets(p.Arrivals())
		if err != nil {
			return nil, fmt.Errorf("printer %s: %w", p.Addr(), err)
		}
		out = append(out, ts...)
	}
	return out, nil
}
