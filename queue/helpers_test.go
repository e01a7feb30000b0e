package queue

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is an injected clock that only moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness owns one queue file and reopens it at will.
type harness struct {
	t    testing.TB
	path string
	clk  *clock
	opt  Options
	q    *Queue
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{
		t:    t,
		path: filepath.Join(t.TempDir(), "data", "queue.db"),
		clk:  &clock{t: t0},
	}
	h.opt = Options{Now: h.clk.Now, NoSync: true, KeepDone: time.Hour, DedupeFor: 24 * time.Hour}
	h.open()
	t.Cleanup(func() {
		if h.q != nil {
			_ = h.q.Close()
		}
	})
	return h
}

func (h *harness) open() {
	h.t.Helper()
	q, err := Open(h.path, h.opt)
	if err != nil {
		h.t.Fatalf("open: %v", err)
	}
	h.q = q
}

// reopen checks the invariants, closes the queue normally and opens it again.
func (h *harness) reopen() {
	h.t.Helper()
	h.check()
	if err := h.q.Close(); err != nil {
		h.t.Fatalf("close: %v", err)
	}
	h.open()
	h.check()
}

// reopenAndResume reopens the queue, checks that each job that was in flight
// came back Pending and Uncertain at the head of its lane, and leases it
// again for the rest of its lease, so a test can go on where it was.
func (h *harness) reopenAndResume() {
	h.t.Helper()
	inflight, err := h.q.List(Filter{States: []State{Inflight}})
	if err != nil {
		h.t.Fatal(err)
	}
	h.reopen()
	now := h.clk.Now()
	for _, old := range inflight {
		j := h.get(old.ID)
		if j.State != Pending || !j.Uncertain || j.Attempts != old.Attempts || j.Seq != old.Seq || j.NextTry.After(now) {
			h.t.Fatalf("after reopen, in-flight job %+v became %+v", old, j)
		}
		h.lease(j.Printer, max(old.NextTry.Sub(now), time.Nanosecond), j.ID)
	}
}

// crash closes the bbolt file behind the queue's back, as when the process
// dies, and opens it again.
func (h *harness) crash() {
	h.t.Helper()
	if err := h.q.db.Close(); err != nil {
		h.t.Fatalf("raw close: %v", err)
	}
	if err := h.q.lock.release(); err != nil {
		h.t.Fatalf("release lock: %v", err)
	}
	h.open()
	h.check()
}

func (h *harness) enqueue(jobs ...Job) []bool {
	h.t.Helper()
	added, err := h.q.Enqueue(jobs...)
	if err != nil {
		h.t.Fatalf("enqueue: %v", err)
	}
	return added
}

func (h *harness) get(id string) Job {
	h.t.Helper()
	j, err := h.q.Get(id)
	if err != nil {
		h.t.Fatalf("get: %v", err)
	}
	return j
}

// lease leases from printer and checks that it got want ("" = nothing).
func (h *harness) lease(printer string, d time.Duration, want string) Job {
	h.t.Helper()
	j, ok, err := h.q.Lease(printer, d)
	if err != nil {
		h.t.Fatalf("lease %s: %v", printer, err)
	}
	got := ""
	if ok {
		got = j.ID
	}
	if got != want {
		h.t.Fatalf("lease %s = %q, want %q", printer, got, want)
	}
	return j
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// lane returns the IDs of the active jobs of a lane in FIFO order.
func (h *harness) lane(printer string) []string {
	h.t.Helper()
	jobs, err := h.q.List(Filter{Printer: printer, States: []State{Pending, Inflight}})
	if err != nil {
		h.t.Fatalf("list: %v", err)
	}
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func (h *harness) wantLane(printer string, want ...string) {
	h.t.Helper()
	if got := h.lane(printer); !slices.Equal(got, want) {
		h.t.Fatalf("lane %s = %q, want %q", printer, got, want)
	}
}

func (h *harness) wantState(id string, want State) Job {
	h.t.Helper()
	j := h.get(id)
	if j.State != want {
		h.t.Fatalf("job %s state = %s, want %s", id, j.State, want)
	}
	return j
}

// check verifies every index and counter against a full scan of the jobs.
func (h *harness) check() {
	h.t.Helper()
	if err := h.q.db.View(func(tx *bolt.Tx) error { return checkTx(tx) }); err != nil {
		h.t.Fatalf("consistency: %v", err)
	}
	st, err := h.q.Stats()
	if err != nil {
		h.t.Fatal(err)
	}
	all, err := h.q.List(Filter{})
	if err != nil {
		h.t.Fatal(err)
	}
	if want := countJobs(all); !statsEqual(st, want) {
		h.t.Fatalf("stats %+v, full count %+v", st, want)
	}
}

func countJobs(jobs []Job) Stats {
	st := Stats{Lanes: map[string]LaneStats{}}
	for _, j := range jobs {
		ls := st.Lanes[j.Printer]
		switch j.State {
		case Pending:
			ls.Pending++
			st.Pending++
		case Inflight:
			ls.Inflight++
			st.Inflight++
		case Done:
			ls.Done++
			st.Done++
		case Dead:
			ls.Dead++
			st.Dead++
		case Held:
			ls.Held++
			st.Held++
		case Dropped:
			ls.Dropped++
			st.Dropped++
		}
		st.Lanes[j.Printer] = ls
	}
	return st
}

func statsEqual(a, b Stats) bool {
	if a.Pending != b.Pending || a.Inflight != b.Inflight || a.Done != b.Done || a.Dead != b.Dead ||
		a.Held != b.Held || a.Dropped != b.Dropped || len(a.Lanes) != len(b.Lanes) {
		return false
	}
	for k, v := range a.Lanes {
		if b.Lanes[k] != v {
			return false
		}
	}
	return true
}

func checkTx(tx *bolt.Tx) error {
	type laneKey struct {
		printer string
		seq     uint64
	}
	counts := map[string][len(stateCodes)]uint64{}
	seqs := map[uint64]string{}
	recent := map[string]string{}
	lanes := map[laneKey]string{}
	inflight := map[string]bool{}
	done := map[string]string{}
	var maxSeq uint64
	err := tx.Bucket(bJobs).ForEach(func(k, v []byte) error {
		j, err := decodeJob(v)
		if err != nil {
			return err
		}
		if j.ID != string(k) {
			return fmt.Errorf("job key %q holds id %q", k, j.ID)
		}
		if tx.Bucket(bDedupe).Get(k) == nil {
			return fmt.Errorf("job %q missing from dedupe", k)
		}
		c := counts[j.Printer]
		c[stateIndex(j.State)]++
		counts[j.Printer] = c
		if _, dup := seqs[j.Seq]; dup {
			return fmt.Errorf("seq %d used twice", j.Seq)
		}
		seqs[j.Seq] = j.ID
		maxSeq = max(maxSeq, j.Seq)
		recent[string(recentKey(j))] = j.ID
		if active(j.State) {
			lanes[laneKey{j.Printer, j.Seq}] = j.ID
		}
		if j.State == Inflight {
			inflight[j.ID] = true
		}
		if j.State == Done {
			done[string(recentKey(j))] = j.ID
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s := tx.Bucket(bJobs).Sequence(); s < maxSeq {
		return fmt.Errorf("sequence %d below highest seq %d", s, maxSeq)
	}
	n := 0
	err = tx.Bucket(bSeq).ForEach(func(k, v []byte) error {
		n++
		if seqs[getU64(k)] != string(v) {
			return fmt.Errorf("seq index %d -> %q, job says %q", getU64(k), v, seqs[getU64(k)])
		}
		return nil
	})
	if err != nil || n != len(seqs) {
		return fmt.Errorf("seq index has %d entries for %d jobs (%v)", n, len(seqs), err)
	}
	n = 0
	err = tx.Bucket(bRecent).ForEach(func(k, v []byte) error {
		n++
		if recent[string(k)] != string(v) {
			return fmt.Errorf("recent index %x -> %q, want %q", k, v, recent[string(k)])
		}
		return nil
	})
	if err != nil || n != len(recent) {
		return fmt.Errorf("recent index has %d entries for %d jobs (%v)", n, len(recent), err)
	}
	n = 0
	err = tx.Bucket(bLanes).ForEachBucket(func(p []byte) error {
		return tx.Bucket(bLanes).Bucket(p).ForEach(func(k, v []byte) error {
			n++
			if lanes[laneKey{string(p), getU64(k)}] != string(v) {
				return fmt.Errorf("lane %q index %d -> %q is not an active job there", p, getU64(k), v)
			}
			return nil
		})
	})
	if err != nil || n != len(lanes) {
		return fmt.Errorf("lane index has %d entries for %d active jobs (%v)", n, len(lanes), err)
	}
	n = 0
	err = tx.Bucket(bInflight).ForEach(func(k, v []byte) error {
		n++
		if !inflight[string(k)] {
			return fmt.Errorf("inflight index names %q", k)
		}
		return nil
	})
	if err != nil || n != len(inflight) {
		return fmt.Errorf("inflight index has %d entries for %d jobs (%v)", n, len(inflight), err)
	}
	n = 0
	err = tx.Bucket(bDone).ForEach(func(k, v []byte) error {
		n++
		if done[string(k)] != string(v) {
			return fmt.Errorf("done index %x -> %q, want %q", k, v, done[string(k)])
		}
		return nil
	})
	if err != nil || n != len(done) {
		return fmt.Errorf("done index has %d entries for %d done jobs (%v)", n, len(done), err)
	}
	n = 0
	err = tx.Bucket(bCounts).ForEach(func(k, v []byte) error {
		n++
		c, err := decodeCounts(k, v)
		if err != nil {
			return err
		}
		if c != counts[string(k)] {
			return fmt.Errorf("counters of %q = %v, full count %v", k, c, counts[string(k)])
		}
		return nil
	})
	if err != nil || n != len(counts) {
		return fmt.Errorf("counters for %d lanes, jobs in %d lanes (%v)", n, len(counts), err)
	}
	return tx.Bucket(bForget).ForEach(func(k, _ []byte) error {
		if tx.Bucket(bJobs).Get(k[8:]) != nil || tx.Bucket(bDedupe).Get(k[8:]) == nil {
			return fmt.Errorf("forget entry %q: job still stored or not in dedupe", k[8:])
		}
		return nil
	})
}

func payload(s string) []byte { return bytes.Clone([]byte(s)) }
