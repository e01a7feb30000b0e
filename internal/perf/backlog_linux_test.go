package perf

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"storeedge/decimal"
	"storeedge/internal/testbin"
	"storeedge/printer"
	"storeedge/queue"
	"storeedge/sync/order"
)

// pendingJobs is the size of the queue BenchmarkStartup100k and
// BenchmarkBacklog100k start with.
const pendingJobs = 100_000

// backlogOrder is order n of the fixture: a receipt and a kitchen ticket
// of a five-line order of a shop's lunch hour.
func backlogOrder(n int) *order.Order {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, order.CST).Add(time.Duration(n) * time.Second)
	o := &order.Order{Platform: "youzan", StoreID: "43435545", StoreName: "人民路店",
		ID: fmt.Sprintf("E2026030112%015d", n), PickupNo: fmt.Sprintf("A%03d", n%1000), Status: order.StatusPaid,
		Created: at, PaidAt: at.Add(20 * time.Second), Updated: at.Add(20 * time.Second),
		Payment: "微信支付", BuyerNote: "少放辣，不要葱",
		Fulfilment: order.Fulfilment{Method: order.MethodDelivery, Name: "王先生", Phone: "138****5678",
			Address: "上海市黄浦区人民路 100 号 5 楼", Due: at.Add(40 * time.Minute)}}
	total := decimal.FromInt(0)
	for i := range 5 {
		price := decimal.FromFen(int64(1200 + 100*i))
		o.Items = append(o.Items, order.Item{SKU: fmt.Sprintf("P%03d", i), Name: fmt.Sprintf("招牌宫保鸡丁盖浇饭%d号", i),
			Spec: "大份/微辣", Qty: decimal.FromInt(1), Price: price, Amount: price})
		total = total.Add(price)
	}
	o.ItemsTotal, o.Total = total, total
	return o
}

// writeQueue makes a queue database at path holding jobs pending print
// jobs: the receipt (printer front) and kitchen ticket (printer kitchen)
// of jobs/2 orders, as the agent enqueues them.
func writeQueue(path string, jobs int) (err error) {
	q, err := queue.Open(path, queue.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := q.Close(); err == nil {
			err = cerr
		}
	}()
	batch := make([]queue.Job, 0, 1000)
	for n := 0; n < jobs/2; n++ {
		o := backlogOrder(n)
		for _, t := range []struct {
			kind    order.Kind
			printer string
		}{{order.KindReceipt, "front"}, {order.KindKitchen, "kitchen"}} {
			payload, err := printer.Payload{Order: *o, Event: order.EventNew, Kind: t.kind, Copy: 1, Copies: 1}.Encode()
			if err != nil {
				return err
			}
			batch = append(batch, queue.Job{ID: printer.JobID(o, order.EventNew, t.kind, 1), Printer: t.printer, Payload: payload})
		}
		if len(batch) >= 1000 || n == jobs/2-1 {
			if _, err := q.Enqueue(batch...); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

// backlogConfig is an agent whose two printers are switched off (nothing
// listens on their port), so the queued jobs stay pending, and whose
// platform does not answer.
func backlogConfig(data, listen, offline string, failoverAfter time.Duration) string {
	return fmt.Sprintf(`[agent]
data_dir = %q
status_listen = %q
failover_after = %q

[[platform]]
name = "youzan"
type = "youzan"
base_url = "http://%s"
client_id = "demo-client"
client_secret = "demo-secret"
grant_id = "90001"

[[store]]
id = "43435545"
name = "人民路店"
platform = "youzan"

[[printer]]
name = "front"
uri = "tcp://%s"
paper = "80mm"

[[printer]]
name = "kitchen"
uri = "tcp://%s"
paper = "80mm"

[[binding]]
store = "43435545"
ticket = "receipt"
printers = ["front"]

[[binding]]
store = "43435545"
ticket = "kitchen"
printers = ["kitchen"]
`, data, listen, failoverAfter.String(), offline, offline, offline)
}

var (
	backlogOnce sync.Once
	backlogDir  string
	backlogErr  error
)

// backlogData returns a data directory holding a queue of pendingJobs
// pending jobs, made once per test binary run and shared by the
// benchmarks (the agents they start print none of them).
func backlogData(tb testing.TB) string {
	tb.Helper()
	backlogOnce.Do(func() {
		if backlogDir, backlogErr = os.MkdirTemp("", "storeedge-backlog-"); backlogErr != nil {
			return
		}
		backlogErr = writeQueue(filepath.Join(backlogDir, "queue.db"), pendingJobs)
	})
	if backlogErr != nil {
		tb.Fatal(backlogErr)
	}
	return backlogDir
}

// backlogAgent writes the config of an agent on the shared backlog, in a
// directory of the benchmark's own where its log goes too.
func backlogAgent(tb testing.TB, failoverAfter time.Duration) (cfg, listen, log string) {
	tb.Helper()
	dir := tb.TempDir()
	listen = testbin.FreeAddr(tb)
	cfg = filepath.Join(dir, "storeedge.toml")
	writeFile(tb, cfg, backlogConfig(backlogData(tb), listen, testbin.FreeAddr(tb), failoverAfter))
	return cfg, listen, filepath.Join(dir, "agent.log")
}

// loaded accepts a status answer counting every job of the backlog.
func loaded(d statusDoc) bool { return d.Queue.Pending+d.Queue.Inflight+d.Queue.Held == pendingJobs }

// startsPerRound is how many times BenchmarkStartup100k starts the agent
// for each of its iterations; it reports the medians.
const startsPerRound = 3

// BenchmarkStartup100k starts the agent on a queue holding 100,000 pending
// jobs and measures the time from exec to the status API answering with all
// of them counted (start-ms), and the agent's resident memory at that
// moment (rss-MB, and anon-MB without the mapped program and queue files);
// medians of all starts. Each start finds the queue file in the page cache.
func BenchmarkStartup100k(b *testing.B) {
	binary(b) // built before the clock starts
	cfg, listen, logPath := backlogAgent(b, time.Hour)
	st, err := os.Stat(filepath.Join(backlogData(b), "queue.db"))
	if err != nil {
		b.Fatal(err)
	}
	var startMs, rssMB, anonMB []float64
	b.ResetTimer()
	for b.Loop() {
		for range startsPerRound {
			p := startAgent(b, cfg, listen, logPath)
			_, at := p.waitFor(b, time.Minute, 2*time.Millisecond, loaded)
			took := at.Sub(p.started)
			m, err := ReadMemory(p.pid())
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			p.stop(b)
			b.StartTimer()
			startMs = append(startMs, float64(took)/float64(time.Millisecond))
			rssMB = append(rssMB, mb(m.RSS))
			anonMB = append(anonMB, mb(m.Anon))
		}
	}
	b.ReportMetric(median(startMs), "start-ms")
	b.ReportMetric(median(rssMB), "rss-MB")
	b.ReportMetric(median(anonMB), "anon-MB")
	b.ReportMetric(mb(st.Size()), "queue-MB")
}

// median is the middle value (the mean of the two middle ones).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

var backlogWindow = flag.Duration("perf.backlog", 30*time.Second, "how long the CPU time of an agent with a backlog is measured (at least 30s)")

// BenchmarkBacklog100k measures the agent while 100,000 tickets wait for
// its two printers, which are switched off for longer than failover_after
// (and no binding has a backup to move them to): its CPU use (utime+stime
// over the window, in % of one core) and its highest resident memory, all
// of it (rss-MB) and without the mapped files (anon-MB).
func BenchmarkBacklog100k(b *testing.B) {
	if *backlogWindow < 30*time.Second {
		b.Fatalf("-perf.backlog %s: at least 30s", *backlogWindow)
	}
	const failoverAfter = 5 * time.Second
	cfg, listen, logPath := backlogAgent(b, failoverAfter)
	var cpuPct, rssMB, anonMB float64
	runs := 0
	for b.Loop() {
		p := startAgent(b, cfg, listen, logPath)
		p.waitFor(b, time.Minute, 10*time.Millisecond, func(d statusDoc) bool {
			for _, pr := range d.Printers {
				if pr.State != "offline" {
					return false
				}
			}
			return loaded(d) && len(d.Printers) == 2
		})
		time.Sleep(2 * failoverAfter) // past failover_after, with room
		cpu, peak := watch(b, p.pid(), *backlogWindow)
		if d, err := p.status(context.Background()); err != nil || !loaded(d) {
			b.Fatalf("after the window: %+v, %v; want every job still waiting", d, err)
		}
		p.stop(b)
		cpuPct += cpu
		rssMB += mb(peak.RSS)
		anonMB += mb(peak.Anon)
		runs++
	}
	n := float64(runs)
	b.ReportMetric(cpuPct/n, "cpu-%")
	b.ReportMetric(rssMB/n, "rss-MB")
	b.ReportMetric(anonMB/n, "anon-MB")
	b.ReportMetric(0, "ns/op")
}
