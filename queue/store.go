package queue

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// store wraps one transaction and keeps every index in step with the jobs.
type store struct {
	tx  *bolt.Tx
	now time.Time
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func getU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// timeBits maps a time to a uint64 whose byte order sorts like the time.
func timeBits(t time.Time) uint64 { return uint64(t.UnixNano()) ^ (1 << 63) }

func bitsTime(v uint64) time.Time { return time.Unix(0, int64(v^(1<<63))) }

func recentKey(j Job) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, timeBits(j.Updated))
	binary.BigEndian.PutUint64(k[8:], j.Seq)
	return k
}

func active(s State) bool { return s == Pending || s == Inflight }

// get returns the job with the given ID, or an error wrapping ErrNotFound.
func (s *store) get(id string) (Job, error) {
	v := s.tx.Bucket(bJobs).Get([]byte(id))
	if v == nil {
		return Job{}, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	j, err := decodeJob(v)
	if err != nil {
		return Job{}, fmt.Errorf("job %q: %w", id, err)
	}
	if j.ID != id {
		return Job{}, fmt.Errorf("job %q: stored record carries id %q", id, j.ID)
	}
	return j, nil
}

// known reports whether id was ever enqueued and is still remembered.
func (s *store) known(id string) bool {
	k := []byte(id)
	return s.tx.Bucket(bDedupe).Get(k) != nil || s.tx.Bucket(bJobs).Get(k) != nil
}

// add stores a new job and all its index entries.
func (s *store) add(j Job) error {
	v, err := encodeJob(j)
	if err != nil {
		return err
	}
	id := []byte(j.ID)
	if err := s.tx.Bucket(bJobs).Put(id, v); err != nil {
		return fmt.Errorf("store job %q: %w", j.ID, err)
	}
	if err := s.tx.Bucket(bSeq).Put(u64(j.Seq), id); err != nil {
		return fmt.Errorf("index job %q: %w", j.ID, err)
	}
	if err := s.tx.Bucket(bRecent).Put(recentKey(j), id); err != nil {
		return fmt.Errorf("index job %q: %w", j.ID, err)
	}
	if active(j.State) {
		lane, err := s.tx.Bucket(bLanes).CreateBucketIfNotExists([]byte(j.Printer))
		if err != nil {
			return fmt.Errorf("create lane %q: %w", j.Printer, err)
		}
		if err := lane.Put(u64(j.Seq), id); err != nil {
			return fmt.Errorf("index job %q in lane %q: %w", j.ID, j.Printer, err)
		}
	}
	if j.State == Inflight {
		if err := s.tx.Bucket(bInflight).Put(id, []byte{}); err != nil {
			return fmt.Errorf("index job %q: %w", j.ID, err)
		}
	}
	if j.State == Done {
		if err := s.tx.Bucket(bDone).Put(recentKey(j), id); err != nil {
			return fmt.Errorf("index job %q: %w", j.ID, err)
		}
	}
	return s.count(j.Printer, j.State, 1)
}

// unindex removes every index entry of j (not the record itself) and
// takes it out of the counters.
func (s *store) unindex(j Job) error {
	if err := s.tx.Bucket(bSeq).Delete(u64(j.Seq)); err != nil {
		return err
	}
	if err := s.tx.Bucket(bRecent).Delete(recentKey(j)); err != nil {
		return err
	}
	if active(j.State) {
		if lane := s.tx.Bucket(bLanes).Bucket([]byte(j.Printer)); lane != nil {
			if err := lane.Delete(u64(j.Seq)); err != nil {
				return err
			}
		}
	}
	if j.State == Inflight {
		if err := s.tx.Bucket(bInflight).Delete([]byte(j.ID)); err != nil {
			return err
		}
	}
	if j.State == Done {
		if err := s.tx.Bucket(bDone).Delete(recentKey(j)); err != nil {
			return err
		}
	}
	return s.count(j.Printer, j.State, -1)
}

// indexDone makes the index of Done jobs from the jobs themselves, for a
// file written before the index existed.
func (s *store) indexDone() error {
	idx, err := s.tx.CreateBucket(bDone)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bDone, err)
	}
	return s.tx.Bucket(bJobs).ForEach(func(k, v []byte) error {
		j, err := decodeJob(v)
		if err != nil {
			return fmt.Errorf("job %q: %w", k, err)
		}
		if j.State != Done {
			return nil
		}
		return idx.Put(recentKey(j), []byte(j.ID))
	})
}

// replace swaps the stored job old for nu (same ID), updating every index.
func (s *store) replace(old, nu Job) error {
	if err := s.unindex(old); err != nil {
		return fmt.Errorf("update job %q: %w", old.ID, err)
	}
	return s.add(nu)
}

// remove deletes j and its index entries; its ID stays in the dedupe index.
func (s *store) remove(j Job) error {
	if err := s.unindex(j); err != nil {
		return fmt.Errorf("remove job %q: %w", j.ID, err)
	}
	return s.tx.Bucket(bJobs).Delete([]byte(j.ID))
}

// countsLen is the length of a counters record: one big-endian uint64 per
// state, in stateCodes order. Records written before the held and dropped
// states existed are 32 bytes long and read as if padded with zeros.
const countsLen = 8 * len(stateCodes)

// decodeCounts reads a counters record.
func decodeCounts(printer, v []byte) ([len(stateCodes)]uint64, error) {
	var c [len(stateCodes)]uint64
	if len(v) != countsLen && len(v) != 32 {
		return c, fmt.Errorf("counters of lane %q: bad record length %d", printer, len(v))
	}
	for i := range len(v) / 8 {
		c[i] = getU64(v[i*8:])
	}
	return c, nil
}

// count adds delta to the counter of (printer, state).
func (s *store) count(printer string, st State, delta int) error {
	si := stateIndex(st)
	if si < 0 {
		return fmt.Errorf("count: unknown state %q", st)
	}
	b := s.tx.Bucket(bCounts)
	key := []byte(printer)
	var cur [len(stateCodes)]uint64
	if v := b.Get(key); v != nil {
		var err error
		if cur, err = decodeCounts(key, v); err != nil {
			return err
		}
	}
	c := int64(cur[si]) + int64(delta)
	if c < 0 {
		return fmt.Errorf("counters of lane %q: %s count would drop below zero", printer, st)
	}
	cur[si] = uint64(c)
	if cur == [len(stateCodes)]uint64{} {
		return b.Delete(key)
	}
	rec := make([]byte, countsLen)
	for i, n := range cur {
		binary.BigEndian.PutUint64(rec[i*8:], n)
	}
	return b.Put(key, rec)
}

// head returns the oldest job of a lane, if any.
func (s *store) head(printer string) (Job, bool, error) {
	lane := s.tx.Bucket(bLanes).Bucket([]byte(printer))
	if lane == nil {
		return Job{}, false, nil
	}
	k, id := lane.Cursor().First()
	if k == nil {
		return Job{}, false, nil
	}
	j, err := s.get(string(id))
	if err != nil {
		return Job{}, false, fmt.Errorf("head of lane %q: %w", printer, err)
	}
	if !active(j.State) || j.Printer != printer || j.Seq != getU64(k) {
		return Job{}, false, fmt.Errorf("head of lane %q: index names job %q (%s, lane %q, seq %d) at seq %d",
			printer, j.ID, j.State, j.Printer, j.Seq, getU64(k))
	}
	return j, true, nil
}

// nextSeq returns the next global sequence number.
func (s *store) nextSeq() (uint64, error) {
	n, err := s.tx.Bucket(bJobs).NextSequence()
	if err != nil {
		return 0, fmt.Errorf("next sequence: %w", err)
	}
	return n, nil
}

// recoverInflight turns every Inflight job into an uncertain job: Pending
// and leasable at once, or Held out of its lane when hold is set.
func (s *store) recoverInflight(hold bool) (int, error) {
	var ids []string
	err := s.tx.Bucket(bInflight).ForEach(func(k, _ []byte) error {
		ids = append(ids, string(k))
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		old, err := s.get(id)
		if err != nil {
			return 0, fmt.Errorf("recover in-flight job: %w", err)
		}
		if old.State != Inflight {
			return 0, fmt.Errorf("recover in-flight job %q: indexed as in flight but stored as %s", id, old.State)
		}
		nu := old
		nu.State = Pending
		nu.Uncertain = true
		nu.NextTry = s.now
		nu.Updated = s.now
		if hold {
			nu.State = Held
			nu.NextTry = time.Time{}
		}
		if err := s.replace(old, nu); err != nil {
			return 0, fmt.Errorf("recover in-flight job: %w", err)
		}
	}
	return len(ids), nil
}
