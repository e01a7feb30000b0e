package queue

import (
	"errors"
	"fmt"
	"time"
)

// A Waiter is a worker waiting for the next job of its lane. When a job is
// enqueued at the head of that lane, the enqueue leases it to the waiter in
// the same commit that stores it, so the first job after a quiet spell
// reaches its printer without a second commit of its own.
//
// A waiter is used once: Await, wait on Ready (with whatever else the
// worker waits on), then Stop. Stop says whether a job was handed over; if
// it was, the caller holds its lease exactly as if Lease had returned it,
// and must print it or give it back with Return.
type Waiter struct {
	q       *Queue
	printer string
	lease   time.Duration
	ready   chan struct{} // closed when a job is handed over

	// guarded by q.hmu
	job     Job
	handed  bool
	stopped bool
}

// Await registers a waiter for the next job of printer's lane, leased for
// d when it is handed over. An earlier waiter of the same lane that has not
// been handed a job stops waiting (it gets nothing more).
func (q *Queue) Await(printer string, d time.Duration) *Waiter {
	w := &Waiter{q: q, printer: printer, lease: d, ready: make(chan struct{})}
	if checkPrinter(printer) != nil || d <= 0 {
		w.stopped = true // never handed anything: the caller leases as usual
		return w
	}
	q.hmu.Lock()
	defer q.hmu.Unlock()
	if old := q.waiters[printer]; old != nil {
		old.stopped = true
	}
	if q.waiters == nil {
		q.waiters = map[string]*Waiter{}
	}
	q.waiters[printer] = w
	return w
}

// Ready is closed when a job has been handed over.
func (w *Waiter) Ready() <-chan struct{} { return w.ready }

// Stop ends the wait. It returns the job handed over, if one was: it is
// Inflight, leased to the caller.
func (w *Waiter) Stop() (Job, bool) {
	w.q.hmu.Lock()
	defer w.q.hmu.Unlock()
	if !w.stopped {
		w.stopped = true
		if w.q.waiters[w.printer] == w {
			delete(w.q.waiters, w.printer)
		}
	}
	return w.job, w.handed
}

// awaited returns the lease of every lane a worker is waiting on, or nil.
func (q *Queue) awaited() map[string]time.Duration {
	q.hmu.Lock()
	defer q.hmu.Unlock()
	if len(q.waiters) == 0 {
		return nil
	}
	m := make(map[string]time.Duration, len(q.waiters))
	for p, w := range q.waiters {
		m[p] = w.lease
	}
	return m
}

// handOff leases, inside the enqueue's transaction, the first job added to
// each lane a worker waits on, when it is the head of its lane and due.
// It returns the jobs leased; they go to their waiters once the commit is
// on disk (deliver).
func (s *store) handOff(jobs []Job, added []bool, leases map[string]time.Duration) ([]Job, error) {
	if len(leases) == 0 {
		return nil, nil
	}
	var handed []Job
	tried := map[string]bool{}
	for i, in := range jobs {
		d, ok := leases[in.Printer]
		if !added[i] || !ok || tried[in.Printer] {
			continue
		}
		tried[in.Printer] = true
		head, found, err := s.head(in.Printer)
		if err != nil {
			return nil, err
		}
		if !found || head.ID != in.ID || head.State != Pending || head.NextTry.After(s.now) {
			continue // older jobs wait in the lane, or this one is not due: the worker leases as usual
		}
		nu := head
		nu.State = Inflight
		nu.Attempts++
		nu.NextTry = s.now.Add(d)
		nu.Updated = s.now
		if err := s.replace(head, nu); err != nil {
			return nil, err
		}
		handed = append(handed, nu)
	}
	return handed, nil
}

// enqueueTx enqueues jobs inside a write transaction and hands the heads of
// awaited lanes over. leases is q.awaited(), read inside the transaction
// so that a worker that went idle while the commit waited its turn counts.
func (s *store) enqueueTx(jobs []Job, leases map[string]time.Duration) (added []bool, handed []Job, err error) {
	added, err = s.enqueue(jobs)
	if err != nil {
		return nil, nil, err
	}
	handed, err = s.handOff(jobs, added, leases)
	if err != nil {
		return nil, nil, err
	}
	return added, handed, nil
}

// deliver gives the jobs leased by a committed enqueue to their waiters. A
// job whose waiter stopped in the meantime goes back to its lane, unleased.
func (q *Queue) deliver(handed []Job) {
	if len(handed) == 0 {
		return
	}
	var back []Job
	q.hmu.Lock()
	for _, j := range handed {
		w := q.waiters[j.Printer]
		if w == nil || w.stopped {
			back = append(back, j)
			continue
		}
		w.job, w.handed, w.stopped = j, true, true
		delete(q.waiters, j.Printer)
		close(w.ready)
	}
	q.hmu.Unlock()
	for _, j := range back {
		if err := q.Return(j); err != nil && !errors.Is(err, ErrState) && !errors.Is(err, ErrNotFound) {
			// It stays leased: when the lease runs out it prints, marked
			// as a possible reprint. Nothing is lost.
			q.log.Error("give a job nobody took back to its lane", "job", j.ID, "err", err)
		}
	}
}

// Return gives a job leased to the caller and not started back to the
// head of its lane, as if it had never been leased: Pending, due at once,
// its attempt not counted. It is for a job handed over to a worker that is
// stopping. A job no longer under that lease (acknowledged, moved, leased
// again) gives an error wrapping ErrState.
func (q *Queue) Return(leased Job) error {
	return q.change("return", leased.ID, func(s *store, j Job) (Job, bool, error) {
		if j.State != Inflight || j.Attempts != leased.Attempts || !j.NextTry.Equal(leased.NextTry) {
			return j, false, fmt.Errorf("job %q is %s (attempt %d), not under the lease given back: %w", j.ID, j.State, j.Attempts, ErrState)
		}
		nu := j
		nu.State = Pending
		nu.Attempts = max(nu.Attempts-1, 0)
		nu.NextTry = time.Time{}
		return nu, true, nil
	})
}
