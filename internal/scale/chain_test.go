package scale

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"storeedge/internal/crashtest"
	"storeedge/internal/testbin"
	"storeedge/sync/orders"
	"storeedge/sync/sim"
)

var (
	chainStores   = flag.Int("stores", envInt("STORES", 10), "stores of the chain, one agent process each (env STORES)")
	chainDuration = flag.Duration("duration", envDuration("DURATION", 20*time.Second), "how long orders arrive once every agent is ready (env DURATION)")
	chainPoll     = flag.Duration("poll", envDuration("POLL", 2*time.Second), "the agents' poll interval; 30s is the product's default (env POLL)")
	chainRate     = flag.Float64("orders-per-minute", 0, "new orders per minute across the chain; 0: 60 + stores/2")
	chainWDTEvery = flag.Int("wdt-every", 5, "every n-th store reads Wangdiantong instead of Youzan; 0: none")
	chainLimit    = flag.Float64("limit", 20, "the simulator's app-wide request limit, requests per second per app")
	chainBurst    = flag.Int("burst", 40, "the burst the simulator's app-wide limit allows")
)

// TestChain runs one agent process per store of a chain against one
// simulator: a Youzan multi-outlet shop (one app, one client_id, each
// store an outlet) with a share of the stores on Wangdiantong, the
// simulator limiting each app to -limit requests per second. Orders arrive
// across the stores for -duration after every agent is ready. Every order
// must print exactly once, on its own store's printer, and no order of
// another store; after warm-up no request may be throttled (with more
// agents than the limit's burst, at most 1% when the shared machine stalls
// and the held-up polls arrive together), and a throttled store must wait
// at least the platform's 3 s before asking again. It reports
// the requests per second per API, memory and start-up cost per agent,
// and how the polls spread over time.
func TestChain(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	n, poll, dur := *chainStores, *chainPoll, *chainDuration
	if n < 1 || n > sim.MaxStores {
		t.Fatalf("-stores %d: want 1 to %d", n, sim.MaxStores)
	}
	rate := *chainRate
	if rate <= 0 {
		rate = 60 + float64(n)/2
	}
	bin := binary(t)
	stores, err := sim.MakeStores(n, false)
	if err != nil {
		t.Fatal(err)
	}
	limit := sim.Limit{Rate: *chainLimit, Burst: *chainBurst}
	s := sim.New(sim.Options{Stores: stores, OrdersPerMinute: rate, CancelRate: -1, Seed: time.Now().UnixNano(),
		Limit: limit, RecordCalls: true})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	dir := dataRoot(t)
	cfgs := make([]AgentConfig, n)
	for i, st := range stores {
		platform := Youzan
		if *chainWDTEvery > 0 && i%*chainWDTEvery == *chainWDTEvery-1 {
			platform = WDT
		}
		cfgs[i] = AgentConfig{DataDir: filepath.Join(dir, "store-"+st.ID), Listen: testbin.FreeAddr(t), SimURL: srv.URL,
			KdtID: s.KdtID(), Platform: platform, Store: st, Poll: poll, Receipt: "file://printers/front.bin"}
	}

	// Orders arrive from before the agents start (the first poll reads
	// them back) until the end of the run.
	ctx, stopOrders := context.WithCancel(context.Background())
	simDone := make(chan error, 1)
	go func() { simDone <- s.Run(ctx) }()
	t.Cleanup(stopOrders)

	began := time.Now()
	agents := startAll(t, bin, cfgs)
	allReady := began
	for _, a := range agents {
		allReady = later(allReady, a.ready)
	}
	startWall := allReady.Sub(began)
	// After warm-up: every agent has polled at least twice (its first poll
	// within the start spread, the second within 1.1 intervals after it).
	warm := allReady.Add(min(poll/4, 5*time.Second) + poll*12/10)
	end := allReady.Add(dur)
	if !warm.Before(end) {
		t.Fatalf("-duration %v ends before the warm-up (%v after the last agent is ready): make it longer", dur, warm.Sub(allReady))
	}
	time.Sleep(time.Until(end))
	for _, a := range agents {
		if ended, err := a.proc.Exited(); ended {
			t.Fatalf("store %s: agent exited during the run: %v\n%s", a.cfg.Store.ID, err, tail(a.logPath, 2048))
		}
	}
	mems := make([]Mem, len(agents))
	cpu := make([]time.Duration, len(agents))
	for i, a := range agents {
		if mems[i], err = ReadMem(a.proc.PID()); err != nil {
			t.Fatal(err)
		}
		if cpu[i], err = CPUTime(a.proc.PID()); err != nil {
			t.Fatal(err)
		}
		cpu[i] -= a.cpuReady
	}
	stopOrders()
	if err := <-simDone; err != nil {
		t.Fatal(err)
	}
	ran := time.Since(allReady)

	// What each store's paper must show: every order of the store once,
	// receipt and kitchen ticket; Wangdiantong names an order by its
	// trade_no.
	expected := map[string][]string{}
	byStore := map[string]int{}
	trades := s.Trades()
	for _, tr := range trades {
		id := tr.TID
		if platformOf(cfgs, tr.StoreID) == WDT {
			id = "JY" + strings.TrimLeft(tr.TID, "E")
		}
		expected[tr.StoreID] = append(expected[tr.StoreID], id+" 顾客联", id+" 厨房联")
		byStore[tr.StoreID]++
	}
	if len(trades) == 0 {
		t.Fatal("no orders were made")
	}
	// The last orders print within a poll or two.
	deadline := time.Now().Add(2*poll + 30*time.Second)
	var lost int
	for {
		lost = 0
		for _, a := range agents {
			sum := crashtest.Count(expected[a.cfg.Store.ID], readPaper(t, a))
			lost += sum.Lost
		}
		if lost == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	drained := time.Since(allReady) - ran
	stopAll(t, agents)
	checkLogs(t, agents)

	// Every ticket once, on its own store's printer.
	var tickets, printings int
	for _, a := range agents {
		st := a.cfg.Store.ID
		paper := readPaper(t, a)
		sum := crashtest.Count(expected[st], paper)
		tickets += sum.Tickets
		printings += sum.Printings
		if sum.Lost > 0 {
			t.Errorf("store %s: %d tickets never printed: %v", st, sum.Lost, first(sum.LostTickets, 5))
		}
		if sum.UnmarkedDuplicates > 0 || sum.MarkedReprints > 0 {
			t.Errorf("store %s: %d tickets printed twice, %d reprints: %v", st, sum.UnmarkedDuplicates, sum.MarkedReprints, first(sum.Unmarked, 5))
		}
		for _, p := range paper {
			if !slices.Contains(expected[st], p.Key()) {
				t.Errorf("store %s printed a ticket that is not its own: %s", st, p.Key())
			}
		}
	}

	// The platform's side: requests per second per API after warm-up, the
	// polls per second, each agent's spacing, and the limit.
	calls := s.CallLog()
	window := end.Sub(warm)
	perAPI := map[string]int{}
	var polls []time.Time
	throttledWarm, warmCalls := 0, 0
	for _, c := range calls {
		if c.At.Before(warm) || !c.At.Before(end) {
			continue
		}
		perAPI[c.API]++
		warmCalls++
		if c.Throttled {
			throttledWarm++
		}
		if c.API == sim.APITradesSoldGet || c.API == sim.APIWDTTradeQuery {
			polls = append(polls, c.At)
		}
	}
	bins := PerSecond(polls, warm, end)
	peak, mean := Peak(bins)
	// The longest time the simulator received no poll at all after
	// warm-up: with hundreds of agents polling, only a machine that stood
	// still (other work on the shared cores) makes a long one, and the
	// polls held up meanwhile arrive together after it.
	var pause time.Duration
	for i := 1; i < len(polls); i++ {
		pause = max(pause, polls[i].Sub(polls[i-1]))
	}
	// Every throttled poll must be followed by a wait of at least what the
	// platform asks before the same store is asked again.
	var early []string
	for st, cs := range callsOf(calls) {
		for i := 0; i+1 < len(cs); i++ {
			if cs[i].Throttled {
				if gap := cs[i+1].At.Sub(cs[i].At); gap < orders.ThrottleWait {
					early = append(early, fmt.Sprintf("store %s asked again %v after a throttled poll", st, gap.Round(time.Millisecond)))
				}
			}
		}
	}
	// Each agent's spacing between the polls the platform answered, from
	// its third on (the first waits for the start spread, the second for a
	// random part of the interval).
	var gaps []float64
	for _, cs := range callsOf(calls) {
		var ts []time.Time
		for _, c := range cs {
			if !c.Throttled {
				ts = append(ts, c.At)
			}
		}
		for k := 2; k < len(ts); k++ {
			if !ts[k].Before(warm) && ts[k].Before(end) {
				gaps = append(gaps, ts[k].Sub(ts[k-1]).Seconds())
			}
		}
	}
	var rss, pss, startup, startCPU, runCPU []float64
	for i, a := range agents {
		rss = append(rss, float64(mems[i].RSS)/(1<<20))
		pss = append(pss, float64(mems[i].Pss)/(1<<20))
		startup = append(startup, Millis(a.ready.Sub(a.proc.Started)))
		startCPU = append(startCPU, Millis(a.cpuReady))
		runCPU = append(runCPU, Millis(cpu[i])/end.Sub(a.ready).Minutes())
	}
	stats := s.LimitStats()

	wdtStores := 0
	for _, c := range cfgs {
		if c.Platform == WDT {
			wdtStores++
		}
	}
	report(t, "chain: %d stores (%d Youzan outlets, %d Wangdiantong shops), poll %v, %v of orders after all were ready (%.0f/min), 2 shared cores, noisy",
		n, n-wdtStores, wdtStores, poll, dur, rate)
	report(t, "  orders %d, tickets %d, printings %d, lost %d; all printed %.1fs after orders stopped",
		len(trades), tickets, printings, lost, drained.Seconds())
	report(t, "  start-up: all %d ready %.1fs after the first was started; per agent wall %s; cpu %s",
		n, startWall.Seconds(), Distribution(startup).Format("%.0f", "ms"), Distribution(startCPU).Format("%.0f", "ms"))
	report(t, "  memory per agent: VmRSS %s; Pss %s", Distribution(rss).Format("%.1f", "MiB"), Distribution(pss).Format("%.1f", "MiB"))
	report(t, "  cpu per agent while running: %s", Distribution(runCPU).Format("%.0f", "ms/min"))
	report(t, "  upstream requests after warm-up (%.0fs window):", window.Seconds())
	for _, api := range slices.Sorted(maps.Keys(perAPI)) {
		report(t, "    %-32s %6d  %6.2f/s", api, perAPI[api], float64(perAPI[api])/window.Seconds())
	}
	report(t, "  polls per second after warm-up: peak %d, mean %.2f (peak/mean %.1f); per second:\n%s",
		peak, mean, float64(peak)/max(mean, 1e-9), Histogram(bins, 30))
	report(t, "  each agent's poll spacing (s, poll %v): %s", poll, Distribution(gaps).Format("%.2f", ""))
	report(t, "  longest pause without a poll after warm-up: %.1fs", pause.Seconds())
	report(t, "  app limit %.0f/s burst %d: %s; throttled after warm-up %d of %d requests; asked again sooner than %v after a throttled poll: %d",
		limit.Rate, limit.Burst, fmtStats(stats), throttledWarm, warmCalls, orders.ThrottleWait, len(early))

	// With no more agents than the burst, a throttled request can only
	// come from the agents polling too often: none is allowed. With more,
	// a machine that stands still for seconds delivers the polls held up
	// meanwhile at once; a few may be throttled then, and are retried as
	// the platform asks.
	switch {
	case n <= limit.Burst && throttledWarm > 0:
		t.Errorf("%d requests were throttled after warm-up: %d agents do not stay under the app's limit of %.0f/s", throttledWarm, n, limit.Rate)
	case throttledWarm*100 > warmCalls:
		t.Errorf("%d of %d requests after warm-up were throttled (over 1%%): the chain does not stay under the app's limit of %.0f/s", throttledWarm, warmCalls, limit.Rate)
	}
	for _, e := range first(early, 10) {
		t.Error(e)
	}
	if len(gaps) == 0 {
		t.Errorf("no poll spacing measured after warm-up: -duration %v is too short for poll %v", dur, poll)
	}
}

// callsOf groups the order-list calls by store, in the order they came.
func callsOf(calls []sim.Call) map[string][]sim.Call {
	out := map[string][]sim.Call{}
	for _, c := range calls {
		if c.API == sim.APITradesSoldGet || c.API == sim.APIWDTTradeQuery {
			out[c.Store] = append(out[c.Store], c)
		}
	}
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b sim.Call) int { return a.At.Compare(b.At) })
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func platformOf(cfgs []AgentConfig, store string) string {
	for _, c := range cfgs {
		if c.Store.ID == store {
			return c.Platform
		}
	}
	return ""
}

// readPaper decodes an agent's file printer.
func readPaper(t *testing.T, a *agent) []crashtest.Printing {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(a.cfg.DataDir, "printers", "front.bin"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	ps, err := crashtest.Tickets(b)
	if err != nil {
		// A ticket may be half written while the agent runs; the final
		// read, after the agents stopped, must decode whole.
		if ended, _ := a.proc.Exited(); ended {
			t.Fatalf("store %s: %v", a.cfg.Store.ID, err)
		}
		return nil
	}
	return ps
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

func fmtStats(m map[string]sim.LimitStats) string {
	var parts []string
	for _, app := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s allowed %d throttled %d", app, m[app].Allowed, m[app].Throttled))
	}
	return strings.Join(parts, ", ")
}
