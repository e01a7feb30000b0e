package queue

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// bKV holds small named key-value spaces next to the jobs (the last values
// reported upstream, per-item errors, counters), one nested bucket per
// space. It is created on first write.
var bKV = []byte("kv")

func checkSpace(space string) error {
	switch {
	case space == "":
		return errors.New("empty key-value space name")
	case len(space) > MaxPrinterLen:
		return fmt.Errorf("key-value space %.40q... is %d bytes, longer than %d", space, len(space), MaxPrinterLen)
	}
	return nil
}

func checkKeys(values map[string]string) error {
	for k := range values {
		if k == "" {
			return errors.New("empty key")
		}
		if len(k) > MaxIDLen {
			return fmt.Errorf("key %.40q... is %d bytes, longer than %d", k, len(k), MaxIDLen)
		}
	}
	return nil
}

// GetValues returns every key of space that starts with prefix ("" = all)
// with its value, read in one transaction. An unknown space is empty.
func (q *Queue) GetValues(space, prefix string) (map[string]string, error) {
	if err := checkSpace(space); err != nil {
		return nil, fmt.Errorf("get values: %w", err)
	}
	out := map[string]string{}
	err := q.read(func(s *store) error {
		b := kvSpace(s.tx, space)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && strings.HasPrefix(string(k), prefix); k, v = c.Next() {
			out[string(k)] = string(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get values of %q: %w", space, err)
	}
	return out, nil
}

// SetValues stores values in space durably, all or none, in one
// transaction. An empty value deletes its key.
func (q *Queue) SetValues(space string, values map[string]string) error {
	if err := checkSpace(space); err != nil {
		return fmt.Errorf("set values: %w", err)
	}
	if err := checkKeys(values); err != nil {
		return fmt.Errorf("set values of %q: %w", space, err)
	}
	if len(values) == 0 {
		return nil
	}
	err := q.write(func(s *store) error { return putValues(s.tx, space, values) })
	if err != nil {
		return fmt.Errorf("set values of %q: %w", space, err)
	}
	return nil
}

// DeletePrefix removes every key of space that starts with prefix and
// returns how many it removed.
func (q *Queue) DeletePrefix(space, prefix string) (int, error) {
	if err := checkSpace(space); err != nil {
		return 0, fmt.Errorf("delete values: %w", err)
	}
	var n int
	err := q.write(func(s *store) error {
		n = 0
		b := kvSpace(s.tx, space)
		if b == nil {
			return nil
		}
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = c.Next() {
			keys = append(keys, slices.Clone(k))
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete values of %q: %w", space, err)
	}
	return n, nil
}

// EnqueueWithValues stores values in space (as SetValues) and enqueues
// jobs (as Enqueue) in one transaction: after a crash either both are on
// disk or neither is. It is how an outbox records "this change is on its
// way" together with the job that carries it.
func (q *Queue) EnqueueWithValues(space string, values map[string]string, jobs ...Job) (added []bool, err error) {
	if err := checkSpace(space); err != nil {
		return nil, fmt.Errorf("enqueue with values: %w", err)
	}
	if err := checkKeys(values); err != nil {
		return nil, fmt.Errorf("enqueue with values of %q: %w", space, err)
	}
	if err := checkJobs(jobs); err != nil {
		return nil, err
	}
	h := &handoff{}
	err = q.write(func(s *store) error {
		if err := putValues(s.tx, space, values); err != nil {
			return err
		}
		added, err = s.enqueueTx(q, jobs, h)
		return err
	})
	q.settle(h, err == nil)
	if err != nil {
		return nil, fmt.Errorf("enqueue with values of %q: %w", space, err)
	}
	if slices.Contains(added, true) {
		q.notify()
	}
	return added, nil
}

func kvSpace(tx *bolt.Tx, space string) *bolt.Bucket {
	root := tx.Bucket(bKV)
	if root == nil {
		return nil
	}
	return root.Bucket([]byte(space))
}

func putValues(tx *bolt.Tx, space string, values map[string]string) error {
	if len(values) == 0 {
		return nil
	}
	root, err := tx.CreateBucketIfNotExists(bKV)
	if err != nil {
		return fmt.Errorf("create key-value bucket: %w", err)
	}
	b, err := root.CreateBucketIfNotExists([]byte(space))
	if err != nil {
		return fmt.Errorf("create key-value space %q: %w", space, err)
	}
	// Sorted keys make bbolt's page splits cheap for large batches.
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := values[k]
		if v == "" {
			err = b.Delete([]byte(k))
		} else {
			err = b.Put([]byte(k), []byte(v))
		}
		if err != nil {
			return fmt.Errorf("store key %q: %w", k, err)
		}
	}
	return nil
}
