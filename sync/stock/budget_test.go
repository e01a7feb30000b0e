package stock

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/queue"
)

type countingReporter struct {
	mu    sync.Mutex
	calls []string
}

func (c *countingReporter) Kinds() []Kind  { return []Kind{KindStock} }
func (c *countingReporter) Limits() Limits { return Limits{MaxItems: 1, DailyCalls: 2} }
func (c *countingReporter) Report(_ context.Context, b Batch) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, b.Items[0].SKU)
	return nil, nil
}

func (c *countingReporter) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

func TestDailyBudgetWaitsForTheNextDay(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC) // 23:00 CST
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	rep := &countingReporter{}
	out, err := NewOutbox(OutboxOptions{Queue: q, Now: clock, Targets: []Target{{Name: "wdt", Reporter: rep, Stores: map[string]string{"s1": "WH"}}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReporting(ReportingOptions{Outbox: out, Now: clock,
		After: func(time.Duration) <-chan time.Time { return time.After(5 * time.Millisecond) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := out.Submit(values("s1", KindStock, 3, func(int) string { return "1" })); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "two calls", func() bool { return rep.n() == 2 })
	time.Sleep(100 * time.Millisecond)
	if rep.n() != 2 {
		t.Fatalf("%d calls, want the budget of 2", rep.n())
	}
	hs, _ := r.Health()
	if !strings.Contains(hs[0].LastError, "daily budget of 2 calls used up; next call after 2026-03-02 00:00:00") || hs[0].Pending != 1 || hs[0].CallsToday != 2 {
		t.Errorf("health %+v", hs[0])
	}
	mu.Lock()
	now = now.Add(time.Hour) // 00:00 CST: a new day
	mu.Unlock()
	waitFor(t, "the third call", func() bool { return rep.n() == 3 })
}
