package stock

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"storeedge/decimal"
	"storeedge/queue"
	"storeedge/sync/hiding"
	"storeedge/sync/sim"
)

// rig is an outbox with Hiding and Wangdiantong targets reporting to a
// simulator over real HTTP.
type rig struct {
	t      *testing.T
	q      *queue.Queue
	sim    *sim.Sim
	srv    *httptest.Server
	out    *Outbox
	rep    *Reporting
	cancel context.CancelFunc
	done   chan error
}

func newRig(t *testing.T, path string) *rig {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "queue.db")
	}
	r := &rig{t: t, sim: sim.New(sim.Options{})}
	r.srv = httptest.NewServer(r.sim.Handler())
	t.Cleanup(r.srv.Close)
	r.open(path)
	return r
}

func (r *rig) open(path string) {
	t := r.t
	var err error
	r.q, err = queue.Open(path, queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	hc, err := hiding.New(hiding.Config{BaseURL: r.srv.URL + "/hiding", TenantID: sim.HidingTenant, Authorization: sim.HidingAuthorization})
	if err != nil {
		t.Fatal(err)
	}
	wr, err := NewWDTReporter(WDTConfig{BaseURL: r.srv.URL + "/openapi2", SID: "demo-sid", AppKey: "demo-appkey", AppSecret: "demo-appsecret"})
	if err != nil {
		t.Fatal(err)
	}
	r.out, err = NewOutbox(OutboxOptions{Queue: r.q, Targets: []Target{
		{Name: "hiding", Type: "hiding", Reporter: &HidingReporter{C: hc}, Stores: map[string]string{"s1": "S001", "s2": "S002"}},
		{Name: "wdt", Type: "wdt", Reporter: wr, Stores: map[string]string{"s1": "WH01"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.rep, err = NewReporting(ReportingOptions{Outbox: r.out, Idle: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
}

func (r *rig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- r.rep.Run(ctx) }()
}

func (r *rig) stop() {
	r.cancel()
	if err := <-r.done; err != nil {
		r.t.Error(err)
	}
	r.q.Close()
}

// drain waits until no outbox job is pending or in flight.
func (r *rig) drain() {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		st, err := r.q.Stats()
		if err != nil {
			r.t.Fatal(err)
		}
		if st.Pending+st.Inflight == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.t.Fatal("outbox did not drain in 20s")
}

func values(store string, kind Kind, n int, num func(i int) string) []Value {
	out := make([]Value, n)
	for i := range out {
		out[i] = Value{Store: store, SKU: fmt.Sprintf("SKU%05d", i), Kind: kind, Num: decimal.MustParse(num(i))}
	}
	return out
}

func TestOnlyChangesReachThePlatforms(t *testing.T) {
	t.Parallel()
	r := newRig(t, "")
	r.start()
	defer r.stop()

	const n = 10000
	stock := values("s1", KindStock, n, func(i int) string { return fmt.Sprint(i % 97) })
	price := values("s1", KindPrice, n, func(i int) string { return fmt.Sprintf("%d.%02d", 1+i%50, i%100) })
	sum, err := r.out.Submit(append(append([]Value{}, stock...), price...))
	if err != nil {
		t.Fatal(err)
	}
	// Hiding: 100 stock + 100 price calls; Wangdiantong: 20 stock calls.
	if sum.Changed != 3*n || sum.Jobs != 220 {
		t.Fatalf("first submit: %+v, want %d changes in 220 calls", sum, 3*n)
	}
	r.drain()
	first := len(r.sim.Stock().Applied())
	if first != 3*n {
		t.Fatalf("applied %d values, want %d", first, 3*n)
	}
	callsBefore := len(r.sim.Stock().Calls())

	// 100 SKUs change stock, spread over the range; the rest is the same.
	changed := map[string]string{}
	for i := 0; i < 100; i++ {
		ix := i*97 + 13
		v := stock[ix].Num.Add(decimal.MustParse("1.5"))
		stock[ix].Num = v
		changed[stock[ix].SKU] = v.String()
	}
	sum, err = r.out.Submit(append(append([]Value{}, stock...), price...))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Changed != 200 || sum.Jobs != 2 {
		t.Fatalf("second submit: %+v, want 200 changes (100 per platform) in 2 calls", sum)
	}
	r.drain()
	applied := r.sim.Stock().Applied()[first:]
	got := map[string]int{}
	for _, a := range applied {
		if a.Kind != "stock" {
			t.Errorf("%s %s %s reported, but prices did not change", a.Platform, a.Kind, a.SKU)
		}
		if want, ok := changed[a.SKU]; !ok || want != a.Value {
			t.Errorf("%s applied %s = %s, want only the changed SKUs with their new value", a.Platform, a.SKU, a.Value)
		}
		got[a.Platform]++
	}
	if got[sim.StockHiding] != 100 || got[sim.StockWDT] != 100 {
		t.Errorf("applied per platform %v, want 100 each", got)
	}
	for _, c := range r.sim.Stock().Calls() {
		max := sim.HidingMaxItems
		if c.Platform == sim.StockWDT {
			max = sim.WDTStockMaxLines
		}
		if c.Items > max || c.Status != http.StatusOK || (c.Code != "200" && c.Code != "0") {
			t.Errorf("call %+v: over the limit or failed", c)
		}
	}
	if calls := len(r.sim.Stock().Calls()) - callsBefore; calls != 2 {
		t.Errorf("%d calls for the changes, want 2", calls)
	}
	// The stored values are exact: the platform holds what the POS said.
	if v, _ := r.sim.Stock().Value(sim.StockHiding, "price", "S001", "SKU00099"); v != "50.99" {
		t.Errorf("price of SKU00099 = %q, want 50.99", v)
	}
}

func TestRefusedSKUsAreKeptPerSKU(t *testing.T) {
	r := newRig(t, "")
	r.sim.Stock().RejectSKU("SKU00003", "商品不存在")
	r.start()
	defer r.stop()
	if _, err := r.out.Submit(values("s1", KindStock, 5, func(i int) string { return "7" })); err != nil {
		t.Fatal(err)
	}
	r.drain()
	// The queue empties when the last batch is acknowledged; the health
	// counters follow a moment later.
	var hs []Health
	for deadline := time.Now().Add(5 * time.Second); ; {
		var err error
		if hs, err = r.rep.Health(); err != nil {
			t.Fatal(err)
		}
		settled := len(hs) > 0
		for _, h := range hs {
			settled = settled && h.Reported == 4
		}
		if settled || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, h := range hs {
		if len(h.Errors) != 1 || h.Errors[0].SKU != "SKU00003" || h.Errors[0].Store != "s1" {
			t.Errorf("%s errors = %+v, want SKU00003 only", h.Target, h.Errors)
			continue
		}
		if h.Reported != 4 || h.Pending != 0 || h.LastError != "" {
			t.Errorf("%s health %+v", h.Target, h)
		}
	}
}

func TestTemporaryFailureIsRetriedWithTheSameKey(t *testing.T) {
	t.Parallel()
	r := newRig(t, "")
	r.sim.Stock().FailNext(sim.StockHiding, 1, http.StatusBadGateway)
	r.sim.Stock().FailNext(sim.StockWDT, 1, http.StatusServiceUnavailable)
	r.start()
	defer r.stop()
	if _, err := r.out.Submit(values("s1", KindStock, 3, func(i int) string { return "1" })); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(r.sim.Stock().Applied()) < 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(r.sim.Stock().Applied()); n != 6 {
		t.Fatalf("applied %d, want 6", n)
	}
	keys := map[string][]string{}
	for _, c := range r.sim.Stock().Calls() {
		keys[c.Platform] = append(keys[c.Platform], c.Key)
	}
	for p, ks := range keys {
		if len(ks) != 2 || (ks[1] != ks[0] && ks[0] != "") {
			t.Errorf("%s call keys %q: want the failed call repeated with its key", p, ks)
		}
	}
}

func TestDailyBudget(t *testing.T) {
	now := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC) // 07:00 CST
	if got := nextCSTDay(now); !got.Equal(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("nextCSTDay = %v", got)
	}
	if cstDay(now) != "2026-03-02" {
		t.Errorf("cstDay = %s", cstDay(now))
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		want     time.Duration
	}{{0, 2 * time.Second}, {1, 2 * time.Second}, {2, 4 * time.Second}, {4, 16 * time.Second}, {30, MaxBackoff}}
	for _, tt := range tests {
		if got := backoff(tt.attempts); got != tt.want {
			t.Errorf("backoff(%d) = %s, want %s", tt.attempts, got, tt.want)
		}
	}
}
