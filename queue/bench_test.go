package queue

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var ticket = make([]byte, 512) // a typical ESC/POS receipt is a few hundred bytes

// BenchmarkCycleDurable measures one job's full cycle, each step committed
// with fsync, from a single goroutine.
func BenchmarkCycleDurable(b *testing.B) {
	q, err := Open(filepath.Join(b.TempDir(), "q.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		cycle(b, q, "front", fmt.Sprintf("job/%d", i))
	}
}

// BenchmarkCycleDurableParallel runs the same cycle from many goroutines,
// one lane each, so concurrent commits share an fsync.
func BenchmarkCycleDurableParallel(b *testing.B) {
	q, err := Open(filepath.Join(b.TempDir(), "q.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	var lanes atomic.Int32
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		lane := fmt.Sprintf("p%d", lanes.Add(1))
		for i := 0; pb.Next(); i++ {
			cycle(b, q, lane, fmt.Sprintf("%s/%d", lane, i))
		}
	})
}

func cycle(b *testing.B, q *Queue, lane, id string) {
	if _, err := q.Enqueue(Job{ID: id, Printer: lane, Payload: ticket}); err != nil {
		b.Fatal(err)
	}
	j, ok, err := q.Lease(lane, time.Minute)
	if err != nil || !ok || j.ID != id {
		b.Fatalf("lease = %v %v %v", j.ID, ok, err)
	}
	if err := q.Ack(id); err != nil {
		b.Fatal(err)
	}
}

var (
	fixtureOnce sync.Once
	fixturePath string
	fixtureErr  error
)

// fixture100k builds, once per test binary run, a database holding 100,000
// pending jobs in four lanes.
func fixture100k() (string, error) {
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "queue-bench-")
		if err != nil {
			fixtureErr = err
			return
		}
		fixturePath = filepath.Join(dir, "q.db")
		q, err := Open(fixturePath, Options{NoSync: true})
		if err != nil {
			fixtureErr = err
			return
		}
		defer q.Close()
		for n := 0; n < 100_000; {
			batch := make([]Job, 0, 1000)
			for range 1000 {
				batch = append(batch, Job{ID: fmt.Sprintf("youzan/%d/new/receipt/1", n), Printer: fmt.Sprintf("p%d", n%4), Payload: ticket})
				n++
			}
			if _, err := q.Enqueue(batch...); err != nil {
				fixtureErr = err
				return
			}
		}
		if err := q.db.Sync(); err != nil {
			fixtureErr = err
		}
	})
	return fixturePath, fixtureErr
}

// BenchmarkOpen100k opens a database holding 100,000 pending jobs and
// leases the head of a lane.
func BenchmarkOpen100k(b *testing.B) {
	path, err := fixture100k()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		q, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		j, ok, err := q.Lease("p1", time.Minute)
		if err != nil || !ok || j.ID != "youzan/1/new/receipt/1" {
			b.Fatalf("lease = %v %v %v", j.ID, ok, err)
		}
		if err := q.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixturePath != "" {
		os.RemoveAll(filepath.Dir(fixturePath))
	}
	os.Exit(code)
}
