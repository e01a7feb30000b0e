package queue

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Filter selects jobs for List. Zero fields match everything.
type Filter struct {
	Printer string  // only this lane
	States  []State // only these states
	Limit   int     // at most this many jobs (0 = all)
	Newest  bool    // most recently Updated first; otherwise enqueue order (Seq)
}

// Stats counts jobs by state, in total and per lane.
type Stats struct {
	Pending, Inflight, Done, Dead, Held, Dropped int
	Lanes                                        map[string]LaneStats
}

// LaneStats counts the jobs of one lane by state.
type LaneStats struct {
	Pending, Inflight, Done, Dead, Held, Dropped int
}

// Get returns the job with the given ID, or an error wrapping ErrNotFound.
func (q *Queue) Get(id string) (Job, error) {
	var j Job
	err := q.read(func(s *store) (err error) {
		j, err = s.get(id)
		return err
	})
	if err != nil {
		return Job{}, fmt.Errorf("get: %w", err)
	}
	return j, nil
}

// Has reports whether id is known: stored in any state, or pruned but
// still remembered for deduplication.
func (q *Queue) Has(id string) (bool, error) {
	var ok bool
	err := q.read(func(s *store) error {
		ok = s.known(id)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("has %q: %w", id, err)
	}
	return ok, nil
}

// HasPrefix reports whether any known ID starts with prefix.
func (q *Queue) HasPrefix(prefix string) (bool, error) {
	var ok bool
	p := []byte(prefix)
	err := q.read(func(s *store) error {
		for _, b := range [][]byte{bDedupe, bJobs} {
			if k, _ := s.tx.Bucket(b).Cursor().Seek(p); k != nil && bytes.HasPrefix(k, p) {
				ok = true
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("has prefix %q: %w", prefix, err)
	}
	return ok, nil
}

// List returns the jobs matching f.
func (q *Queue) List(f Filter) ([]Job, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("list: negative limit %d", f.Limit)
	}
	for _, st := range f.States {
		if stateIndex(st) < 0 {
			return nil, fmt.Errorf("list: unknown state %q", st)
		}
	}
	var out []Job
	err := q.read(func(s *store) error {
		out = nil
		match := func(j Job) bool {
			return (f.Printer == "" || j.Printer == f.Printer) &&
				(len(f.States) == 0 || slices.Contains(f.States, j.State))
		}
		// idx holds job IDs as values, in the wanted order.
		var c *bolt.Cursor
		switch {
		case f.Newest:
			c = s.tx.Bucket(bRecent).Cursor()
		case f.Printer != "" && len(f.States) > 0 && !slices.ContainsFunc(f.States, func(st State) bool { return !active(st) }):
			lane := s.tx.Bucket(bLanes).Bucket([]byte(f.Printer))
			if lane == nil {
				return nil
			}
			c = lane.Cursor()
		default:
			c = s.tx.Bucket(bSeq).Cursor()
		}
		first, next := c.First, c.Next
		if f.Newest {
			first, next = c.Last, c.Prev
		}
		for k, id := first(); k != nil; k, id = next() {
			j, err := s.get(string(id))
			if err != nil {
				return err
			}
			if !match(j) {
				continue
			}
			out = append(out, j)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return out, nil
}

// Stats returns the job counts, read from counters kept in step with the
// jobs (cost grows with the number of lanes, not of jobs).
func (q *Queue) Stats() (Stats, error) {
	st := Stats{Lanes: map[string]LaneStats{}}
	err := q.read(func(s *store) error {
		return s.tx.Bucket(bCounts).ForEach(func(k, v []byte) error {
			c, err := decodeCounts(k, v)
			if err != nil {
				return err
			}
			ls := LaneStats{
				Pending:  int(c[0]),
				Inflight: int(c[1]),
				Done:     int(c[2]),
				Dead:     int(c[3]),
				Held:     int(c[4]),
				Dropped:  int(c[5]),
			}
			st.Lanes[string(k)] = ls
			st.Pending += ls.Pending
			st.Inflight += ls.Inflight
			st.Done += ls.Done
			st.Dead += ls.Dead
			st.Held += ls.Held
			st.Dropped += ls.Dropped
			return nil
		})
	})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}

// DoneSince counts the Done jobs whose last change is at or after t (all
// of them for the zero time): the tickets printed since t. It reads an
// index of the Done jobs only, so its cost grows with that count, not with
// the jobs waiting.
func (q *Queue) DoneSince(t time.Time) (int, error) {
	n := 0
	err := q.read(func(s *store) error {
		n = 0
		c := s.tx.Bucket(bDone).Cursor()
		k, _ := c.First()
		if !t.IsZero() {
			k, _ = c.Seek(u64(timeBits(t)))
		}
		for ; k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count done jobs: %w", err)
	}
	return n, nil
}

// Prune deletes Done and Dropped jobs whose last change is older than
// KeepDone, and forgets the IDs of jobs pruned more than DedupeFor ago. It
// returns the number of jobs deleted. Pending, Inflight, Held and Dead jobs
// are never deleted.
func (q *Queue) Prune() (removed int, err error) {
	var forgotten int
	err = q.write(func(s *store) error {
		removed, forgotten = 0, 0
		cutoff := s.now.Add(-q.opt.KeepDone)
		var old []Job
		c := s.tx.Bucket(bRecent).Cursor()
		for k, id := c.First(); k != nil && bitsTime(getU64(k)).Before(cutoff); k, id = c.Next() {
			j, err := s.get(string(id))
			if err != nil {
				return err
			}
			if j.State == Done || j.State == Dropped {
				old = append(old, j)
			}
		}
		forget := s.tx.Bucket(bForget)
		for _, j := range old {
			if err := s.remove(j); err != nil {
				return err
			}
			k := make([]byte, 8+len(j.ID))
			copy(k, u64(timeBits(s.now)))
			copy(k[8:], j.ID)
			if err := forget.Put(k, []byte{}); err != nil {
				return fmt.Errorf("schedule forgetting %q: %w", j.ID, err)
			}
		}
		removed = len(old)

		forgetBefore := s.now.Add(-q.opt.DedupeFor)
		var gone [][]byte
		fc := forget.Cursor()
		for k, _ := fc.First(); k != nil && len(k) >= 8 && bitsTime(getU64(k)).Before(forgetBefore); k, _ = fc.Next() {
			gone = append(gone, bytes.Clone(k))
		}
		dedupe := s.tx.Bucket(bDedupe)
		for _, k := range gone {
			// A forget entry is only written for a job just deleted, and
			// the ID stays known until here, so no job can hold it again.
			if err := dedupe.Delete(k[8:]); err != nil {
				return err
			}
			if err := forget.Delete(k); err != nil {
				return err
			}
		}
		forgotten = len(gone)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	if removed > 0 || forgotten > 0 {
		q.log.Debug("pruned queue", "jobs_removed", removed, "ids_forgotten", forgotten)
	}
	if removed > 0 {
		q.notify()
	}
	return removed, nil
}

// Cursor returns the value stored under name, "" when unset.
func (q *Queue) Cursor(name string) (string, error) {
	if name == "" {
		return "", errors.New("cursor: empty name")
	}
	var v string
	err := q.read(func(s *store) error {
		v = string(s.tx.Bucket(bCursors).Get([]byte(name)))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("cursor %q: %w", name, err)
	}
	return v, nil
}

// SetCursor stores value under name durably. An empty value unsets it.
func (q *Queue) SetCursor(name, value string) error {
	if name == "" {
		return errors.New("set cursor: empty name")
	}
	if len(name) > MaxIDLen {
		return fmt.Errorf("set cursor: name is %d bytes, longer than %d", len(name), MaxIDLen)
	}
	err := q.write(func(s *store) error {
		b := s.tx.Bucket(bCursors)
		if value == "" {
			return b.Delete([]byte(name))
		}
		return b.Put([]byte(name), []byte(value))
	})
	if err != nil {
		return fmt.Errorf("set cursor %q: %w", name, err)
	}
	return nil
}
