package queue

import (
	"errors"
	"fmt"
	"slices"
)

// EnqueueWithCursor enqueues jobs (as Enqueue) and stores value under the
// cursor name (as SetCursor) in one transaction, so a pull loop's cursor
// moves in the very commit that makes its window's jobs durable: never
// before them, and the printers wait for one commit, not two. jobs may be
// empty: the cursor alone is stored.
func (q *Queue) EnqueueWithCursor(name, value string, jobs ...Job) (added []bool, err error) {
	if name == "" {
		return nil, errors.New("enqueue with cursor: empty cursor name")
	}
	if len(name) > MaxIDLen {
		return nil, fmt.Errorf("enqueue with cursor: name is %d bytes, longer than %d", len(name), MaxIDLen)
	}
	if err := checkJobs(jobs); err != nil {
		return nil, err
	}
	h := &handoff{}
	err = q.write(func(s *store) error {
		if added, err = s.enqueueTx(q, jobs, h); err != nil {
			return err
		}
		b := s.tx.Bucket(bCursors)
		if value == "" {
			return b.Delete([]byte(name))
		}
		return b.Put([]byte(name), []byte(value))
	})
	q.settle(h, err == nil)
	if err != nil {
		return nil, fmt.Errorf("enqueue with cursor %q: %w", name, err)
	}
	if slices.Contains(added, true) {
		q.notify()
	}
	return added, nil
}
