package queue

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

func checkID(id string) error {
	switch {
	case id == "":
		return errors.New("empty job id")
	case len(id) > MaxIDLen:
		return fmt.Errorf("job id %.40q... is %d bytes, longer than %d", id, len(id), MaxIDLen)
	}
	return nil
}

func checkPrinter(p string) error {
	switch {
	case p == "":
		return errors.New("empty printer name")
	case len(p) > MaxPrinterLen:
		return fmt.Errorf("printer name %.40q... is %d bytes, longer than %d", p, len(p), MaxPrinterLen)
	}
	return nil
}

// checkJobs checks the ids and lanes of jobs to be enqueued.
func checkJobs(jobs []Job) error {
	for i, j := range jobs {
		if err := checkID(j.ID); err != nil {
			return fmt.Errorf("enqueue job %d: %w", i, err)
		}
		if err := checkPrinter(j.Printer); err != nil {
			return fmt.Errorf("enqueue job %d (%q): %w", i, j.ID, err)
		}
	}
	return nil
}

// enqueue adds the jobs whose ids are not known yet at the end of their
// lanes, inside the caller's write transaction; added[i] says which.
func (s *store) enqueue(jobs []Job) ([]bool, error) {
	added := make([]bool, len(jobs))
	dedupe := s.tx.Bucket(bDedupe)
	seen := u64(timeBits(s.now))
	for i, in := range jobs {
		if s.known(in.ID) {
			continue
		}
		seq, err := s.nextSeq()
		if err != nil {
			return nil, err
		}
		j := Job{
			ID:        in.ID,
			Printer:   in.Printer,
			Payload:   in.Payload,
			State:     Pending,
			Uncertain: in.Uncertain,
			Enqueued:  s.now,
			Updated:   s.now,
			NextTry:   in.NextTry.Round(0),
			Seq:       seq,
		}
		if err := s.add(j); err != nil {
			return nil, err
		}
		if err := dedupe.Put([]byte(j.ID), seen); err != nil {
			return nil, fmt.Errorf("remember job %q: %w", j.ID, err)
		}
		added[i] = true
	}
	return added, nil
}

// Enqueue adds jobs at the end of their lanes, all or none, and returns
// once they are committed to disk. A job whose ID is already known (in any
// state, or pruned but still remembered) is skipped: added[i] is false.
// Of each job only ID, Printer, Payload, Uncertain and NextTry are taken;
// State becomes Pending and Seq, Enqueued and Updated are set.
func (q *Queue) Enqueue(jobs ...Job) (added []bool, err error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	if err := checkJobs(jobs); err != nil {
		return nil, err
	}
	h := &handoff{}
	err = q.write(func(s *store) error {
		added, err = s.enqueueTx(q, jobs, h)
		return err
	})
	q.settle(h, err == nil)
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	if slices.Contains(added, true) {
		q.notify()
	}
	return added, nil
}

// Lease hands out the head of a printer's lane for d. Lanes are strictly
// FIFO: only the oldest job not yet done is considered, and it is returned
// only if it is Pending and due (NextTry not in the future) or Inflight with
// an expired lease. The leased job is Inflight with Attempts incremented
// and NextTry at the end of the lease; a job whose earlier lease expired is
// marked Uncertain (or, with Options.HoldUncertain, Held and skipped). The
// change is on disk before Lease returns.
func (q *Queue) Lease(printer string, d time.Duration) (Job, bool, error) {
	if err := checkPrinter(printer); err != nil {
		return Job{}, false, fmt.Errorf("lease: %w", err)
	}
	if d <= 0 {
		return Job{}, false, fmt.Errorf("lease on printer %q: lease duration %s is not positive", printer, d)
	}
	// A read transaction first keeps idle workers from taking the write lock.
	var due bool
	err := q.read(func(s *store) error {
		j, ok, err := s.head(printer)
		due = ok && !j.NextTry.After(s.now)
		return err
	})
	if err != nil {
		return Job{}, false, fmt.Errorf("lease on printer %q: %w", printer, err)
	}
	if !due {
		return Job{}, false, nil
	}
	var (
		leased Job
		ok     bool
	)
	err = q.write(func(s *store) error {
		leased, ok = Job{}, false
		var (
			old   Job
			found bool
			err   error
		)
		for {
			old, found, err = s.head(printer)
			if err != nil || !found || old.NextTry.After(s.now) {
				return err
			}
			if old.State != Inflight || !q.opt.HoldUncertain {
				break
			}
			// The previous holder may have printed it: a person decides.
			held := old
			held.State, held.Uncertain, held.NextTry, held.Updated = Held, true, time.Time{}, s.now
			held.LastError = "lease expired without an acknowledgement"
			if err := s.replace(old, held); err != nil {
				return err
			}
		}
		nu := old
		if old.State == Inflight {
			nu.Uncertain = true // the previous holder may have printed it
		}
		nu.State = Inflight
		nu.Attempts++
		nu.NextTry = s.now.Add(d)
		nu.Updated = s.now
		if err := s.replace(old, nu); err != nil {
			return err
		}
		leased, ok = nu, true
		return nil
	})
	if err != nil {
		return Job{}, false, fmt.Errorf("lease on printer %q: %w", printer, err)
	}
	if ok {
		q.notify()
	}
	return leased, ok, nil
}

// change applies fn to the job id in one durable transaction. fn returns
// the new job, or ok=false to leave the job as it is.
func (q *Queue) change(op, id string, fn func(s *store, j Job) (nu Job, ok bool, err error)) error {
	if err := checkID(id); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var changed bool
	err := q.write(func(s *store) error {
		changed = false
		old, err := s.get(id)
		if err != nil {
			return err
		}
		nu, ok, err := fn(s, old)
		if err != nil || !ok {
			return err
		}
		nu.Updated = s.now
		if err := s.replace(old, nu); err != nil {
			return err
		}
		changed = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if changed {
		q.notify()
	}
	return nil
}

func wrongState(j Job, want string) error {
	return fmt.Errorf("job %q is %s, want %s: %w", j.ID, j.State, want, ErrState)
}

// Ack marks an Inflight job Done. Acknowledging a Done job again is a no-op.
// A Held job whose late acknowledgement arrives is Done as well: the
// printer confirmed it, so nobody needs to decide.
func (q *Queue) Ack(id string) error {
	return q.change("ack", id, func(s *store, j Job) (Job, bool, error) {
		switch j.State {
		case Done:
			return j, false, nil
		case Inflight, Held:
		default:
			return j, false, wrongState(j, "inflight")
		}
		j.State = Done
		j.NextTry = time.Time{}
		return j, true, nil
	})
}

func causeText(cause error) string {
	if cause == nil {
		return ""
	}
	return cause.Error()
}

// Nack returns an Inflight job to the head of its lane as Pending, not to
// be leased before next (zero = at once), and records cause. A job that
// was Held meanwhile stays Held for a person to decide.
func (q *Queue) Nack(id string, cause error, next time.Time) error {
	return q.change("nack", id, func(s *store, j Job) (Job, bool, error) {
		if j.State == Held {
			return j, false, nil
		}
		if j.State != Inflight {
			return j, false, wrongState(j, "inflight")
		}
		j.State = Pending
		j.NextTry = next.Round(0)
		if next.IsZero() {
			j.NextTry = s.now
		}
		j.LastError = causeText(cause)
		return j, true, nil
	})
}

// Kill marks a Pending, Inflight or Held job Dead after a permanent
// error, taking it out of its lane. Killing a Dead job again is a no-op.
func (q *Queue) Kill(id string, cause error) error {
	return q.change("kill", id, func(s *store, j Job) (Job, bool, error) {
		switch j.State {
		case Dead:
			return j, false, nil
		case Done, Dropped:
			return j, false, wrongState(j, "pending, inflight or held")
		}
		j.State = Dead
		j.NextTry = time.Time{}
		j.LastError = causeText(cause)
		return j, true, nil
	})
}

// Retry puts a Dead or Dropped job back as Pending at the end of its lane
// (new Seq), due at once.
func (q *Queue) Retry(id string) error {
	return q.change("retry", id, func(s *store, j Job) (Job, bool, error) {
		if j.State != Dead && j.State != Dropped {
			return j, false, wrongState(j, "dead or dropped")
		}
		seq, err := s.nextSeq()
		if err != nil {
			return j, false, err
		}
		j.State = Pending
		j.Seq = seq
		j.NextTry = s.now
		return j, true, nil
	})
}

// Release puts a Held job back in its lane as Pending at its old place
// (its Seq), due at once and still Uncertain, so it prints next with the
// reprint mark.
func (q *Queue) Release(id string) error {
	return q.change("release", id, func(s *store, j Job) (Job, bool, error) {
		if j.State != Held {
			return j, false, wrongState(j, "held")
		}
		j.State = Pending
		j.Uncertain = true
		j.NextTry = s.now
		return j, true, nil
	})
}

// Drop takes a Pending, Held or Dead job out of its lane for good because a
// person decided so: it becomes Dropped with reason recorded, is kept for
// reprint like a Done job, and can be brought back with Retry. Dropping a
// Dropped job again is a no-op.
func (q *Queue) Drop(id string, reason string) error {
	return q.change("drop", id, func(s *store, j Job) (Job, bool, error) {
		switch j.State {
		case Dropped:
			return j, false, nil
		case Pending, Held, Dead:
		default:
			return j, false, wrongState(j, "pending, held or dead")
		}
		j.State = Dropped
		j.NextTry = time.Time{}
		j.LastError = "dropped"
		if reason != "" {
			j.LastError = "dropped: " + reason
		}
		return j, true, nil
	})
}

// Move puts a Pending job in another printer's lane. It keeps its Seq, so
// it takes its place in the new lane by enqueue order.
func (q *Queue) Move(id string, printer string) error {
	if err := checkPrinter(printer); err != nil {
		return fmt.Errorf("move job %q: %w", id, err)
	}
	return q.change("move", id, func(s *store, j Job) (Job, bool, error) {
		if j.State != Pending {
			return j, false, wrongState(j, "pending")
		}
		if j.Printer == printer {
			return j, false, nil
		}
		j.Printer = printer
		return j, true, nil
	})
}

// Reprint copies a Done, Dead or Dropped job into a new Pending job "<id>#r<N>"
// (N = 1, 2, ... the first unused) at the end of the lane of printer
// (empty = the original printer). The copy is Uncertain, so its ticket
// carries the reprint mark. It returns the new job.
func (q *Queue) Reprint(id string, printer string) (Job, error) {
	if err := checkID(id); err != nil {
		return Job{}, fmt.Errorf("reprint: %w", err)
	}
	if printer != "" {
		if err := checkPrinter(printer); err != nil {
			return Job{}, fmt.Errorf("reprint job %q: %w", id, err)
		}
	}
	var nu Job
	err := q.write(func(s *store) error {
		nu = Job{}
		src, err := s.get(id)
		if err != nil {
			return err
		}
		if src.State != Done && src.State != Dead && src.State != Dropped {
			return wrongState(src, "done, dead or dropped")
		}
		var newID string
		for n := 1; ; n++ {
			newID = fmt.Sprintf("%s#r%d", id, n)
			if !s.known(newID) {
				break
			}
		}
		if err := checkID(newID); err != nil {
			return err
		}
		seq, err := s.nextSeq()
		if err != nil {
			return err
		}
		j := Job{
			ID:        newID,
			Printer:   src.Printer,
			Payload:   src.Payload,
			State:     Pending,
			Uncertain: true,
			Enqueued:  s.now,
			Updated:   s.now,
			NextTry:   s.now,
			Seq:       seq,
		}
		if printer != "" {
			j.Printer = printer
		}
		if err := s.add(j); err != nil {
			return err
		}
		if err := s.tx.Bucket(bDedupe).Put([]byte(newID), u64(timeBits(s.now))); err != nil {
			return fmt.Errorf("remember job %q: %w", newID, err)
		}
		nu = j
		return nil
	})
	if err != nil {
		return Job{}, fmt.Errorf("reprint: %w", err)
	}
	q.notify()
	return nu, nil
}
