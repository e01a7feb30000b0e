package queue

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// handed reports whether w was handed a job, and which.
func handed(w *Waiter) (string, bool) {
	select {
	case <-w.Ready():
	default:
		if j, ok := w.Stop(); ok {
			panic(fmt.Sprintf("job %s handed over without Ready", j.ID))
		}
		return "", false
	}
	j, ok := w.Stop()
	if !ok {
		panic("Ready without a job")
	}
	return j.ID, true
}

func TestHandOff(t *testing.T) {
	const lease = time.Minute
	tests := []struct {
		name    string
		before  []Job    // enqueued before the worker waits
		wait    []string // lanes waited on
		stop    bool     // the waiters stop before the enqueue
		enqueue func(h *harness, jobs ...Job)
		jobs    []Job             // enqueued while they wait
		want    map[string]string // lane -> job handed over
	}{
		{name: "empty lane", wait: []string{"p"},
			jobs: []Job{{ID: "a", Printer: "p"}}, want: map[string]string{"p": "a"}},
		{name: "first of several", wait: []string{"p"},
			jobs: []Job{{ID: "a", Printer: "p"}, {ID: "b", Printer: "p"}}, want: map[string]string{"p": "a"}},
		{name: "two lanes", wait: []string{"p", "k"},
			jobs: []Job{{ID: "a", Printer: "p"}, {ID: "b", Printer: "k"}, {ID: "c", Printer: "k"}},
			want: map[string]string{"p": "a", "k": "b"}},
		{name: "older job waits in the lane", before: []Job{{ID: "old", Printer: "p"}}, wait: []string{"p"},
			jobs: []Job{{ID: "a", Printer: "p"}}, want: map[string]string{}},
		{name: "not due yet", wait: []string{"p"},
			jobs: []Job{{ID: "a", Printer: "p", NextTry: t0.Add(time.Hour)}}, want: map[string]string{}},
		{name: "lane nobody waits on", wait: []string{"k"},
			jobs: []Job{{ID: "a", Printer: "p"}}, want: map[string]string{}},
		{name: "waiter stopped", wait: []string{"p"}, stop: true,
			jobs: []Job{{ID: "a", Printer: "p"}}, want: map[string]string{}},
		{name: "known id", before: []Job{{ID: "a", Printer: "p"}}, wait: []string{"p"},
			jobs: []Job{{ID: "a", Printer: "p"}}, want: map[string]string{}},
		{name: "with cursor", wait: []string{"p"},
			enqueue: func(h *harness, jobs ...Job) {
				_, err := h.q.EnqueueWithCursor("c", "v", jobs...)
				h.must(err)
			},
			jobs: []Job{{ID: "a", Printer: "p"}}, want: map[string]string{"p": "a"}},
		{name: "with values", wait: []string{"p"},
			enqueue: func(h *harness, jobs ...Job) {
				_, err := h.q.EnqueueWithValues("s", map[string]string{"k": "v"}, jobs...)
				h.must(err)
			},
			jobs: []Job{{ID: "a", Printer: "p"}}, want: map[string]string{"p": "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if len(tt.before) > 0 {
				h.enqueue(tt.before...)
				if tt.before[0].ID == "a" {
					h.lease("p", lease, "a")
					h.must(h.q.Ack("a"))
				}
			}
			waiters := map[string]*Waiter{}
			for _, p := range tt.wait {
				waiters[p] = h.q.Await(p, lease)
				if tt.stop {
					waiters[p].Stop()
				}
			}
			if tt.enqueue != nil {
				tt.enqueue(h, tt.jobs...)
			} else {
				h.enqueue(tt.jobs...)
			}
			for p, w := range waiters {
				got, ok := handed(w)
				want, wantOK := tt.want[p]
				if got != want || ok != wantOK {
					t.Fatalf("lane %s: handed %q (%v), want %q (%v)", p, got, ok, want, wantOK)
				}
				if !ok {
					continue
				}
				j := h.wantState(got, Inflight)
				if j.Attempts != 1 || !j.NextTry.Equal(t0.Add(lease)) || j.Uncertain {
					t.Fatalf("handed job %+v: want attempt 1, leased until %v, not uncertain", j, t0.Add(lease))
				}
				h.lease(p, lease, "") // it is leased: nobody else gets it
			}
			h.check()
		})
	}
}

// A newer waiter of a lane replaces the older one, which gets nothing.
func TestAwaitReplaces(t *testing.T) {
	h := newHarness(t)
	old := h.q.Await("p", time.Minute)
	nu := h.q.Await("p", time.Minute)
	h.enqueue(Job{ID: "a", Printer: "p"})
	if id, ok := handed(old); ok {
		t.Fatalf("the replaced waiter got %s", id)
	}
	if id, ok := handed(nu); !ok || id != "a" {
		t.Fatalf("the new waiter got %q, %v", id, ok)
	}
}

// Return gives a handed-over job back untouched; a wrong lease is refused.
func TestReturn(t *testing.T) {
	h := newHarness(t)
	w := h.q.Await("p", time.Minute)
	h.enqueue(Job{ID: "a", Printer: "p"}, Job{ID: "b", Printer: "p"})
	j, ok := w.Stop()
	if !ok {
		t.Fatal("nothing handed over")
	}
	stale := j
	stale.Attempts++
	if err := h.q.Return(stale); !errors.Is(err, ErrState) {
		t.Fatalf("return under another lease: %v, want ErrState", err)
	}
	h.must(h.q.Return(j))
	got := h.wantState("a", Pending)
	if got.Attempts != 0 || !got.NextTry.IsZero() || got.Uncertain {
		t.Fatalf("returned job %+v: want attempt 0, due at once, not uncertain", got)
	}
	h.wantLane("p", "a", "b")
	if err := h.q.Return(j); !errors.Is(err, ErrState) {
		t.Fatalf("return twice: %v, want ErrState", err)
	}
	h.lease("p", time.Minute, "a")
	h.check()
}

// A Stop that comes while an enqueue is leasing a job to the waiter waits
// for its commit: committed, the waiter gets the job; failed, nothing.
func TestStopWaitsForTheCommit(t *testing.T) {
	for _, committed := range []bool{true, false} {
		t.Run(fmt.Sprint("committed ", committed), func(t *testing.T) {
			h := newHarness(t)
			w := h.q.Await("p", time.Minute)
			hd := &handoff{}
			if got, _ := h.q.claim("p", hd); got != w {
				t.Fatal("waiter not claimed")
			}
			h.enqueue(Job{ID: "a", Printer: "p"}) // another enqueue cannot claim it
			j := h.lease("p", time.Minute, "a")   // as the claiming commit leases it
			hd.handed = append(hd.handed, handedJob{w: w, job: j})
			type result struct {
				j  Job
				ok bool
			}
			got := make(chan result, 1)
			go func() {
				j, ok := w.Stop()
				got <- result{j, ok}
			}()
			select {
			case r := <-got:
				t.Fatalf("Stop returned %+v before the commit ended", r)
			case <-time.After(50 * time.Millisecond):
			}
			h.q.settle(hd, committed)
			r := <-got
			if r.ok != committed || (committed && r.j.ID != "a") {
				t.Fatalf("Stop after the commit = %q, %v; want the job: %v", r.j.ID, r.ok, committed)
			}
		})
	}
}

// A job handed over when the process dies before it prints comes back
// uncertain, as any job in flight does: if it prints again it is marked.
func TestHandOffThenCrash(t *testing.T) {
	h := newHarness(t)
	w := h.q.Await("p", time.Minute)
	h.enqueue(Job{ID: "a", Printer: "p"})
	if _, ok := w.Stop(); !ok {
		t.Fatal("nothing handed over")
	}
	h.crash()
	j := h.wantState("a", Pending)
	if !j.Uncertain || j.Attempts != 1 {
		t.Fatalf("after the crash: %+v, want uncertain after 1 attempt", j)
	}
}

// TestHandOffConcurrent runs producers against workers that wait with
// Await: every job prints exactly once, in lane order, and none is left
// leased to nobody.
func TestHandOffConcurrent(t *testing.T) {
	const (
		producers = 4
		perProd   = 60
		total     = producers * perProd
	)
	lanes := []string{"p0", "p1", "p2"}
	q, err := Open(t.TempDir()+"/q.db", Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var (
		wg      sync.WaitGroup
		acked   atomic.Int32
		handoff atomic.Int32
		mu      sync.Mutex
		seen    = map[string]int{}
		last    = map[string]uint64{}
		errs    = make(chan error, 64)
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
			for i := range perProd {
				id := fmt.Sprintf("w%d/%d", p, i)
				if _, err := q.Enqueue(Job{ID: id, Printer: lanes[(p+i)%len(lanes)]}); err != nil {
					fail(err)
					return
				}
				if p%2 == 0 || i%5 == 0 {
					time.Sleep(2 * time.Millisecond) // let the lanes run dry now and then
				}
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, lane := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for acked.Load() < total {
				if time.Now().After(deadline) {
					fail(errors.New("workers timed out"))
					return
				}
				ch := q.Changed()
				j, ok, err := q.Lease(lane, time.Minute)
				if err != nil {
					fail(err)
					return
				}
				if !ok {
					if lane != lanes[0] {
						ch = nil // only the handoff or the timer wakes it
					}
					w := q.Await(lane, time.Minute)
					select {
					case <-ch:
					case <-w.Ready():
					case <-time.After(5 * time.Millisecond):
					}
					if j, ok = w.Stop(); !ok {
						continue
					}
					handoff.Add(1)
				}
				mu.Lock()
				seen[j.ID]++
				if j.Seq <= last[lane] {
					fail(fmt.Errorf("lane %s: seq %d after %d", lane, j.Seq, last[lane]))
				}
				last[lane] = j.Seq
				mu.Unlock()
				if err := q.Ack(j.ID); err != nil {
					fail(err)
					return
				}
				acked.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("job %s printed %d times", id, n)
		}
	}
	st, err := q.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != total || st.Done != total || st.Pending+st.Inflight != 0 {
		t.Fatalf("%d jobs printed, stats %+v; want %d done", len(seen), st, total)
	}
	t.Logf("%d of %d jobs handed over at enqueue", handoff.Load(), total)
}
