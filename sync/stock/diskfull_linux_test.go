//go:build linux

package stock

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/internal/testdisk"
	"storeedge/queue"
)

// bigReporter takes calls of any size and counts the values.
type bigReporter struct {
	mu    sync.Mutex
	count int
}

func (b *bigReporter) Kinds() []Kind  { return []Kind{KindStock} }
func (b *bigReporter) Limits() Limits { return Limits{MaxItems: 5000} }
func (b *bigReporter) Report(_ context.Context, batch Batch) (map[string]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count += len(batch.Items)
	return nil, nil
}

func (b *bigReporter) n() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.count
}

// TestReportingOutlastsAFullDisk fills the disk holding the queue while
// changes wait to be reported: the reporter cannot lease them, says why,
// and reports them once space is freed, without a restart.
func TestReportingOutlastsAFullDisk(t *testing.T) {
	disk := testdisk.Small(t, 1<<20)
	q, err := queue.Open(filepath.Join(disk, "queue.db"), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	rep := &bigReporter{}
	out, err := NewOutbox(OutboxOptions{Queue: q, Targets: []Target{{Name: "wdt", Reporter: rep, Stores: map[string]string{"s1": "WH"}}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReporting(ReportingOptions{Outbox: out,
		After: func(time.Duration) <-chan time.Time { return time.After(5 * time.Millisecond) }})
	if err != nil {
		t.Fatal(err)
	}
	// One large call: leasing it rewrites more pages than a full disk
	// has left.
	if _, err := out.Submit(values("s1", KindStock, 1500, func(int) string { return "1" })); err != nil {
		t.Fatal(err)
	}

	// Take every byte left, then keep changing the queue until it refuses:
	// no free page is left for a lease either.
	f, err := os.Create(filepath.Join(disk, "ballast"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			break
		}
	}
	f.Close()
	n := 0
	for _, size := range []int{2000, 200, 20, 1} {
		var full error
		for ; full == nil && n < 5000; n++ {
			full = q.SetValues("filler", map[string]string{fmt.Sprint(n): strings.Repeat("x", size)})
		}
		if full == nil {
			t.Fatal("the queue took changes on a full disk")
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitFor(t, "the queue failure shown", func() bool {
		h, _ := r.Health()
		return len(h) == 1 && strings.Contains(h[0].LastError, "disk full")
	})
	select {
	case err := <-done:
		t.Fatalf("reporting stopped on a full disk: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if rep.n() != 0 {
		t.Fatalf("%d values reported while nothing could be leased", rep.n())
	}

	if err := os.Remove(filepath.Join(disk, "ballast")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every change reported", func() bool { return rep.n() == 1500 })
}
