package queue

import (
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
// and must print it or give it back with Return. A Stop that comes while
// an enqueue is leasing a job to the waiter waits for that commit to end,
// so a job is never leased to a worker that has gone.
type Waiter struct {
	q       *Queue
	printer string
	lease   time.Duration
	ready   chan struct{} // closed when a job is handed over

	// guarded by q.hmu
	job     Job
	handed  bool
	stopped bool
	claim   *handoff      // the enqueue leasing a job to it, until its commit ends
	settled chan struct{} // closed when that enqueue's commit has ended
}

// handoff is what one enqueue hands over: the waiters it claimed and, of
// the run of its transaction that committed, the job leased to each.
type handoff struct {
	claimed []*Waiter
	handed  []handedJob
}

type handedJob struct {
	w   *Waiter
	job Job
}

// Await registers a waiter for the next job of printer's lane, leased for
// d when it is handed over. An earlier waiter of the same lane that no
// enqueue is handing a job to stops waiting (it gets nothing more); a
// worker stops its waiter before it waits again.
func (q *Queue) Await(printer string, d time.Duration) *Waiter {
	w := &Waiter{q: q, printer: printer, lease: d, ready: make(chan struct{})}
	if checkPrinter(printer) != nil || d <= 0 {
		w.stopped = true // never handed anything: the caller leases as usual
		return w
	}
	q.hmu.Lock()
	defer q.hmu.Unlock()
	if old := q.waiters[printer]; old != nil && old.claim == nil {
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
	q := w.q
	for {
		q.hmu.Lock()
		if w.claim != nil {
			settled := w.settled
			q.hmu.Unlock()
			<-settled
			continue
		}
		if !w.stopped {
			w.stopped = true
			if q.waiters[w.printer] == w {
				delete(q.waiters, w.printer)
			}
		}
		job, ok := w.job, w.handed
		q.hmu.Unlock()
		return job, ok
	}
}

// claim returns the waiter of printer's lane for h, claiming it, or nil
// when no worker waits there (or another enqueue is handing it a job).
func (q *Queue) claim(printer string, h *handoff) (*Waiter, time.Duration) {
	q.hmu.Lock()
	defer q.hmu.Unlock()
	w := q.waiters[printer]
	switch {
	case w == nil || w.stopped:
		return nil, 0
	case w.claim == h:
	case w.claim != nil:
		return nil, 0
	default:
		w.claim, w.settled = h, make(chan struct{})
		h.claimed = append(h.claimed, w)
	}
	return w, w.lease
}

// handOff leases, inside the enqueue's transaction, the first job added to
// each lane a worker waits on, when it is the head of its lane and due.
// The waiters stay claimed until settle gives them the jobs (or nothing,
// if the commit failed). The transaction may run more than once; each run
// starts h.handed afresh.
func (s *store) handOff(q *Queue, jobs []Job, added []bool, h *handoff) error {
	h.handed = h.handed[:0]
	var tried map[string]bool
	for i, in := range jobs {
		if !added[i] || tried[in.Printer] {
			continue
		}
		if tried == nil {
			tried = map[string]bool{}
		}
		tried[in.Printer] = true
		w, d := q.claim(in.Printer, h)
		if w == nil {
			continue
		}
		head, found, err := s.head(in.Printer)
		if err != nil {
			return err
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
			return err
		}
		h.handed = append(h.handed, handedJob{w: w, job: nu})
	}
	return nil
}

// enqueueTx enqueues jobs inside a write transaction and hands the heads of
// awaited lanes over (see handOff).
func (s *store) enqueueTx(q *Queue, jobs []Job, h *handoff) (added []bool, err error) {
	added, err = s.enqueue(jobs)
	if err != nil {
		return nil, err
	}
	if err := s.handOff(q, jobs, added, h); err != nil {
		return nil, err
	}
	return added, nil
}

// settle ends an enqueue's claims once its commit has ended: committed,
// each claimed waiter gets the job leased to it, if any; failed, they get
// nothing and wait on. It runs before the queue's change is announced, so
// a worker woken by that announcement finds its job. A claimed waiter
// cannot have stopped (Stop waits for the claim to end), so every job
// leased reaches its worker.
func (q *Queue) settle(h *handoff, committed bool) {
	if len(h.claimed) == 0 {
		return
	}
	q.hmu.Lock()
	defer q.hmu.Unlock()
	if committed {
		for _, hd := range h.handed {
			w := hd.w
			w.job, w.handed, w.stopped = hd.job, true, true
			if q.waiters[w.printer] == w {
				delete(q.waiters, w.printer)
			}
			close(w.ready)
		}
	}
	for _, w := range h.claimed {
		w.claim = nil
		close(w.settled)
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
