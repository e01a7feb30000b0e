package queue

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentEnqueueLease runs producers and consumers at once: every
// job is leased exactly once, each lane hands its jobs out in Seq order,
// and failing calls in a group commit do not disturb the others.
func TestConcurrentEnqueueLease(t *testing.T) {
	const (
		producers = 4
		perProd   = 40
		total     = producers * perProd
	)
	lanes := []string{"p0", "p1"}
	q, err := Open(t.TempDir()+"/q.db", Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	var (
		wg    sync.WaitGroup
		acked atomic.Int32
		mu    sync.Mutex
		seen  = map[string]int{}
		order = map[string][]uint64{}
		errs  = make(chan error, 64)
	)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perProd; {
				n := min(1+i%3, perProd-i)
				var batch []Job
				for k := range n {
					id := fmt.Sprintf("w%d/%d", p, i+k)
					batch = append(batch, Job{ID: id, Printer: lanes[(i+k)%2], Payload: []byte(id)})
				}
				added, err := q.Enqueue(batch...)
				if err != nil {
					fail(err)
					return
				}
				for k, a := range added {
					if !a {
						fail(fmt.Errorf("job %s not added", batch[k].ID))
					}
				}
				if added, err := q.Enqueue(batch[0]); err != nil || added[0] {
					fail(fmt.Errorf("duplicate %s: added %v, %v", batch[0].ID, added, err))
				}
				if err := q.Ack(fmt.Sprintf("missing/%d/%d", p, i)); !errors.Is(err, ErrNotFound) {
					fail(fmt.Errorf("ack of a missing job: %v", err))
				}
				i += n
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, lane := range lanes {
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for acked.Load() < total {
					if time.Now().After(deadline) {
						fail(errors.New("consumers timed out"))
						return
					}
					ch := q.Changed()
					j, ok, err := q.Lease(lane, time.Minute)
					if err != nil {
						fail(err)
						return
					}
					if !ok {
						select {
						case <-ch:
						case <-time.After(20 * time.Millisecond):
						}
						continue
					}
					mu.Lock()
					seen[j.ID]++
					order[lane] = append(order[lane], j.Seq)
					mu.Unlock()
					if err := q.Ack(j.ID); err != nil {
						fail(err)
						return
					}
					acked.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != total {
		t.Fatalf("%d distinct jobs leased, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("job %s leased %d times", id, n)
		}
	}
	for lane, seqs := range order {
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Fatalf("lane %s leased seq %d after %d", lane, seqs[i], seqs[i-1])
			}
		}
	}
	st, err := q.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Done != total || st.Pending+st.Inflight+st.Dead != 0 {
		t.Fatalf("stats %+v", st)
	}
}
