package queue

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// compactSuffix names the copy a compaction writes next to the database
// before it replaces the database with it.
const compactSuffix = ".compact"

// compactTxSize bounds the memory a compaction uses: the copy is committed
// every this many bytes of keys and values.
const compactTxSize = 4 << 20

// reopenWait is how long Compact waits for the database file's own lock
// when it reopens the file (a check-config reading it may hold it briefly).
const reopenWait = 30 * time.Second

// Space tells how the database file is used.
type Space struct {
	File int64 // size of the file on disk
	Data int64 // bytes of pages in use or free, the rest of the file is room to grow
	Free int64 // bytes of free pages inside Data, reused before the file grows
}

// Compaction tells what Compact did.
type Compaction struct {
	Before, After Space
	Paused        time.Duration // how long queue operations waited
}

// Space returns how the database file is used.
func (q *Queue) Space() (Space, error) {
	q.gate.RLock()
	defer q.gate.RUnlock()
	if q.db == nil {
		return Space{}, q.broken
	}
	return space(q.db, q.pageSize)
}

func space(db *bolt.DB, pageSize int) (Space, error) {
	var sp Space
	err := db.View(func(tx *bolt.Tx) error {
		sp.Data = tx.Size()
		return nil
	})
	if err != nil {
		return Space{}, fmt.Errorf("database size: %w", err)
	}
	st := db.Stats()
	sp.Free = int64(st.FreePageN+st.PendingPageN) * int64(pageSize)
	fi, err := os.Stat(db.Path())
	if err != nil {
		return Space{}, fmt.Errorf("database size: %w", err)
	}
	sp.File = fi.Size()
	return sp, nil
}

// MaybeCompact compacts the database (see Compact) when at least
// Options.CompactMinFree bytes and at least half of its data are free
// pages, as after pruning many jobs. It tells whether it compacted.
func (q *Queue) MaybeCompact() (Compaction, bool, error) {
	sp, err := q.Space()
	if err != nil {
		return Compaction{}, false, fmt.Errorf("compact queue %s: %w", q.path, err)
	}
	if sp.Free < q.opt.CompactMinFree || sp.Free*2 < sp.Data {
		return Compaction{}, false, nil
	}
	c, err := q.Compact()
	return c, err == nil, err
}

// compactStep, when set (tests), is called at each step of a compaction,
// after the files on disk reached that step.
var compactStep func(step string)

func atStep(name string) {
	if compactStep != nil {
		compactStep(name)
	}
}

// Compact rewrites the database into a new file without free pages and
// puts it in place of the old one while the queue stays open. Queue
// operations wait while it runs (they are not refused).
//
// It is safe against a crash at any moment: the copy is written next to
// the database ("<path>.compact") and synced to disk before it is renamed
// over the database, and the directory is synced before any change is
// committed to the new file. The database file is therefore at every
// moment either the old file or the whole copy, which hold the same jobs;
// a leftover copy is removed by the next Open. When the copy fails (a full
// disk, for one) the old file stays in use unchanged.
func (q *Queue) Compact() (Compaction, error) {
	q.gate.Lock()
	defer q.gate.Unlock()
	start := time.Now()
	var c Compaction
	if q.db == nil {
		return c, fmt.Errorf("compact queue %s: %w", q.path, q.broken)
	}
	before, err := space(q.db, q.pageSize)
	if err != nil {
		return c, fmt.Errorf("compact queue %s: %w", q.path, err)
	}
	c.Before = before
	tmp := q.path + compactSuffix
	if err := q.copyTo(tmp); err != nil {
		_ = os.Remove(tmp)
		return c, fmt.Errorf("compact queue %s: %w", q.path, q.ioErr(err))
	}
	atStep("copied")

	// Swap: the old file is closed first because Windows can neither
	// replace an open file nor one that is mapped in memory. The lock file
	// keeps other processes out meanwhile.
	var errs []error
	if err := q.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close old file: %w", err))
	}
	q.db = nil
	atStep("closed")
	if err := replaceFile(tmp, q.path, filepath.Dir(q.path)); err != nil {
		// The rename either happened or not; both files hold the same jobs.
		errs = append(errs, fmt.Errorf("replace the database with its compacted copy: %w", err))
		_ = os.Remove(tmp)
	}
	atStep("renamed")
	db, err := bolt.Open(q.path, 0o600, boltOptions(q.opt, reopenWait))
	if err != nil {
		q.broken = fmt.Errorf("queue %s could not be reopened after compaction (restart storeedge): %w", q.path, err)
		q.log.Error("queue unusable after compaction", "err", err)
		return c, fmt.Errorf("compact queue %s: %w", q.path, errors.Join(append(errs, q.broken)...))
	}
	q.db = db
	q.pageSize = db.Info().PageSize // no transaction runs yet
	c.Paused = time.Since(start)
	if len(errs) > 0 {
		return c, fmt.Errorf("compact queue %s: %w", q.path, errors.Join(errs...))
	}
	if c.After, err = space(db, q.pageSize); err != nil {
		return c, fmt.Errorf("compact queue %s: %w", q.path, err)
	}
	q.log.Info("compacted queue database", "file_before", c.Before.File, "file_after", c.After.File,
		"free_before", c.Before.Free, "paused", c.Paused.Round(time.Millisecond))
	return c, nil
}

// copyTo writes a compacted copy of the database to tmp and syncs it.
func (q *Queue) copyTo(tmp string) error {
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove old copy: %w", err)
	}
	opts := boltOptions(q.opt, time.Second)
	opts.NoSync = true // one sync at the end instead of one per batch
	dst, err := bolt.Open(tmp, 0o600, opts)
	if err != nil {
		return fmt.Errorf("create copy %s: %w", tmp, err)
	}
	err = bolt.Compact(dst, q.db, compactTxSize)
	if err == nil {
		err = sameContent(q.db, dst)
	}
	if err == nil && !q.opt.NoSync {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy to %s: %w", tmp, err)
	}
	if q.opt.NoSync {
		return nil
	}
	return syncFile(tmp)
}

// sameContent checks that every top-level bucket of dst holds as many keys
// and nested buckets, with the same sequence, as in src.
func sameContent(src, dst *bolt.DB) error {
	return src.View(func(stx *bolt.Tx) error {
		return dst.View(func(dtx *bolt.Tx) error {
			return stx.ForEach(func(name []byte, sb *bolt.Bucket) error {
				db := dtx.Bucket(name)
				if db == nil {
					return fmt.Errorf("bucket %s missing from the copy", name)
				}
				ss, ds := sb.Stats(), db.Stats()
				if ss.KeyN != ds.KeyN || ss.BucketN != ds.BucketN || sb.Sequence() != db.Sequence() {
					return fmt.Errorf("bucket %s: copy holds %d keys in %d buckets (sequence %d), the database %d in %d (sequence %d)",
						name, ds.KeyN, ds.BucketN, db.Sequence(), ss.KeyN, ss.BucketN, sb.Sequence())
				}
				return nil
			})
		})
	})
}

// syncFile flushes a closed file's data and size to disk.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open %s to sync it: %w", path, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}
