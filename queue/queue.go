package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// State is the life-cycle state of a job.
type State string

// Job states.
const (
	Pending  State = "pending"  // waiting in its lane
	Inflight State = "inflight" // leased by a worker, not yet acknowledged
	Done     State = "done"     // acknowledged; kept for reprint until pruned
	Dead     State = "dead"     // failed permanently; kept until retried
	Held     State = "held"     // uncertain, waiting for a person to release or drop it (policy "hold")
	Dropped  State = "dropped"  // dropped by a person; kept for reprint until pruned
)

// Job is one unit of work in a lane.
type Job struct {
	ID        string // deterministic, e.g. "youzan/1001/E123/new/receipt/1"; unique forever (dedupe)
	Printer   string // the FIFO lane this job belongs to
	Payload   []byte
	State     State
	Attempts  int  // leases so far
	Uncertain bool // it was in flight when the process stopped without an ack: it may have printed
	Enqueued  time.Time
	Updated   time.Time
	// NextTry is the time before which the job is not leased. While the job
	// is Inflight it holds the end of the lease.
	NextTry   time.Time
	LastError string
	Seq       uint64 // global enqueue order; FIFO within a Printer lane is by Seq
}

// Options tune a Queue. The zero value is ready to use.
type Options struct {
	Logger    *slog.Logger
	Now       func() time.Time // nil = time.Now
	LockWait  time.Duration    // how long Open waits for the file lock; default 1 s
	DedupeFor time.Duration    // how long an ID is remembered after its job is pruned; default 30 days
	KeepDone  time.Duration    // done jobs kept (for reprint) before pruning; default 7 days
	NoSync    bool             // tests only: skip fsync
	// HoldUncertain keeps a job that may have printed (in flight when the
	// process stopped, or whose lease ran out) out of its lane as Held
	// until a person releases or drops it. Otherwise such a job goes back
	// to the head of its lane as Pending and Uncertain.
	HoldUncertain bool
	// MoveAsideCorrupt renames a corrupted or unreadable database file to
	// "<path>.corrupt-<UTC time>" and starts a fresh one instead of failing.
	MoveAsideCorrupt bool
	// CompactMinFree is how many bytes of free pages the file must hold
	// (and at least half of its data) before MaybeCompact rewrites it;
	// default 4 MiB.
	CompactMinFree int64
}

// Defaults of Options.
const (
	DefaultLockWait  = time.Second
	DefaultDedupeFor = 30 * 24 * time.Hour
	DefaultKeepDone  = 7 * 24 * time.Hour
	// DefaultCompactMinFree is the default of Options.CompactMinFree.
	DefaultCompactMinFree = 4 << 20
)

// Limits on names stored as keys.
const (
	MaxIDLen      = 1024
	MaxPrinterLen = 256
)

var (
	// ErrLocked means another process holds the database file.
	ErrLocked = errors.New("queue: database is locked by another process")
	// ErrNotFound means no job (or no reprint source) has the given ID.
	ErrNotFound = errors.New("queue: job not found")
	// ErrCorrupt means the database file is not a readable queue database.
	ErrCorrupt = errors.New("queue: database file is corrupted or unreadable")
	// ErrState means the job is not in a state that allows the operation.
	ErrState = errors.New("queue: job is in the wrong state")
)

// schemaVersion is the layout version written to the meta bucket.
const schemaVersion = 1

var (
	bMeta     = []byte("meta")
	bJobs     = []byte("jobs")
	bLanes    = []byte("lanes")
	bSeq      = []byte("seq")
	bRecent   = []byte("recent")
	bInflight = []byte("inflight")
	bCounts   = []byte("counts")
	bDedupe   = []byte("dedupe")
	bForget   = []byte("forget")
	bCursors  = []byte("cursors")
	allBkts   = [][]byte{bMeta, bJobs, bLanes, bSeq, bRecent, bInflight, bCounts, bDedupe, bForget, bCursors}
	kSchema   = []byte("schema")
	// bDone indexes the Done jobs as bRecent does, so that the tickets
	// printed since a time are counted without reading the other jobs. A
	// file written before it existed gets it when it is opened.
	bDone = []byte("done")
)

// Queue is a durable job queue backed by one bbolt file. Its methods are
// safe for concurrent use.
type Queue struct {
	// gate is held shared by every transaction and exclusively by Compact
	// (which swaps db) and Close.
	gate   sync.RWMutex
	db     *bolt.DB
	broken error // why db is nil: the file could not be reopened after compaction
	lock   *dirLock
	// pageSize is the database's page size, read while no transaction
	// runs (bbolt's Info is not safe during a commit).
	pageSize int
	path     string
	log      *slog.Logger
	now      func() time.Time
	opt      Options

	wmu        sync.Mutex // guards pending and committing
	pending    []*call    // writers waiting for the next group commit
	committing bool       // a writer is committing a group

	recovery *Recovery

	hmu     sync.Mutex         // guards waiters and every Waiter's handed state
	waiters map[string]*Waiter // by lane: workers waiting for its next job

	mu      sync.Mutex
	changed chan struct{}
	closed  bool
}

// Open opens (creating if needed) the queue database at path and its parent
// directory. If another process holds the file, Open gives up after
// Options.LockWait with an error wrapping ErrLocked. A file that is not a
// readable queue database gives an error wrapping ErrCorrupt, unless
// Options.MoveAsideCorrupt is set: then the file is renamed aside and a
// fresh database started (see Queue.Recovery). Jobs left Inflight by the
// previous process become Pending with Uncertain set (or Held, see
// Options.HoldUncertain), in one transaction, keeping their place in their
// lanes.
func Open(path string, opt Options) (*Queue, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.LockWait <= 0 {
		opt.LockWait = DefaultLockWait
	}
	if opt.DedupeFor <= 0 {
		opt.DedupeFor = DefaultDedupeFor
	}
	if opt.KeepDone <= 0 {
		opt.KeepDone = DefaultKeepDone
	}
	if opt.CompactMinFree <= 0 {
		opt.CompactMinFree = DefaultCompactMinFree
	}
	if path == "" {
		return nil, errors.New("open queue: empty path")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open queue: create data directory: %w", err)
	}
	lk, err := lockQueue(path, opt.LockWait)
	if errors.Is(err, ErrLocked) {
		return nil, fmt.Errorf("open queue %s: data directory %s is in use by another storeedge process (waited %s for the lock): %w",
			path, dir, opt.LockWait, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open queue %s: %w", path, err)
	}
	q, err := openLocked(path, opt)
	if err != nil {
		_ = lk.release()
		return nil, err
	}
	q.lock = lk
	return q, nil
}

// openLocked opens the database once its lock is held.
func openLocked(path string, opt Options) (*Queue, error) {
	// A copy left by a compaction that did not finish: the database file
	// itself is whole, since it is only replaced by a finished copy.
	if err := os.Remove(path + compactSuffix); err == nil {
		opt.Logger.Warn("removed the copy left by an unfinished compaction", "file", path+compactSuffix)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open queue %s: remove unfinished compaction copy: %w", path, err)
	}
	q, err := open(path, opt)
	if err == nil || !errors.Is(err, ErrCorrupt) || !opt.MoveAsideCorrupt {
		return q, err
	}
	rec := Recovery{At: opt.Now(), Cause: err.Error()}
	rec.MovedTo = fmt.Sprintf("%s%s%s", path, corruptSuffix, rec.At.UTC().Format("20060102T150405.000000000Z"))
	if rerr := os.Rename(path, rec.MovedTo); rerr != nil {
		return nil, fmt.Errorf("%w; moving it aside failed: %w", err, rerr)
	}
	opt.Logger.Error("queue database is corrupted or unreadable: moved aside, starting with an empty queue; "+
		"jobs in the old file are not printed", "moved_to", rec.MovedTo, "err", err)
	q, err = open(path, opt)
	if err != nil {
		return nil, fmt.Errorf("open fresh queue after moving the corrupted one to %s: %w", rec.MovedTo, err)
	}
	q.recovery = &rec
	return q, nil
}

// boltOptions are the options the database file is opened with.
func boltOptions(opt Options, wait time.Duration) *bolt.Options {
	return &bolt.Options{
		Timeout:        wait,
		NoSync:         opt.NoSync,
		FreelistType:   bolt.FreelistMapType,
		NoFreelistSync: true,
	}
}

func open(path string, opt Options) (_ *Queue, err error) {
	db, err := bolt.Open(path, 0o600, boltOptions(opt, opt.LockWait))
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open queue %s: data directory %s is in use by another storeedge process (waited %s for the lock): %w",
			path, filepath.Dir(path), opt.LockWait, ErrLocked)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("open queue %s: %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("open queue %s: %w: %w", path, ErrCorrupt, err)
	}
	q := &Queue{
		db:       db,
		pageSize: db.Info().PageSize,
		path:     path,
		log:      opt.Logger,
		now:      opt.Now,
		opt:      opt,
		changed:  make(chan struct{}),
	}
	defer func() {
		// bbolt panics on some damaged pages.
		if p := recover(); p != nil {
			_ = db.Close()
			err = fmt.Errorf("open queue %s: %w: %v", path, ErrCorrupt, p)
		}
	}()
	var recovered int
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBkts {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("%w: create bucket %s: %w", ErrCorrupt, name, err)
			}
		}
		meta := tx.Bucket(bMeta)
		if v := meta.Get(kSchema); v == nil {
			if err := meta.Put(kSchema, u64(schemaVersion)); err != nil {
				return err
			}
		} else if len(v) != 8 {
			return fmt.Errorf("%w: schema version record %x", ErrCorrupt, v)
		} else if getU64(v) != schemaVersion {
			return fmt.Errorf("unsupported schema version %d (this program reads version %d; a newer storeedge wrote it)", getU64(v), schemaVersion)
		}
		if tx.Bucket(bDone) == nil {
			if err := q.st(tx).indexDone(); err != nil {
				return fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
		}
		n, err := q.st(tx).recoverInflight(opt.HoldUncertain)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		recovered = n
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open queue %s: %w", path, q.ioErr(err))
	}
	switch {
	case recovered > 0 && opt.HoldUncertain:
		q.log.Warn("in-flight jobs from the previous run may have printed: held for a person to release or drop", "jobs", recovered)
	case recovered > 0:
		q.log.Warn("in-flight jobs from the previous run returned to their lanes as uncertain", "jobs", recovered)
	}
	return q, nil
}

// corruptSuffix comes between the database path and the time in the name
// of a corrupted database moved aside.
const corruptSuffix = ".corrupt-"

// Recovery tells that Open found the database corrupted or unreadable and
// started a fresh one.
type Recovery struct {
	At      time.Time
	MovedTo string // where the old file is now
	Cause   string // what was wrong with it
}

// Recovery returns what Open did with a corrupted database, or nil when
// the database opened normally.
func (q *Queue) Recovery() *Recovery { return q.recovery }

// MovedAside lists the corrupted databases moved aside from path, oldest
// first. They stay until a person removes them.
func MovedAside(path string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Dir(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list corrupted queue files: %w", err)
	}
	var out []string
	prefix := filepath.Base(path) + corruptSuffix
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
	slices.Sort(out)
	return out, nil
}

// Close closes the database. Further calls fail.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	close(q.changed)
	q.mu.Unlock()
	q.gate.Lock()
	defer q.gate.Unlock()
	var err error
	if q.db != nil {
		err = q.db.Close()
	}
	if lerr := q.lock.release(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("close queue %s: %w", q.path, err)
	}
	return nil
}

// Path returns the database file path.
func (q *Queue) Path() string { return q.path }

// Changed returns a channel that is closed at the next state change (and
// when the queue is closed). Call it again after each wake-up for the next
// change.
func (q *Queue) Changed() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.changed
}

func (q *Queue) notify() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	close(q.changed)
	q.changed = make(chan struct{})
}

// write runs fn in a read-write transaction committed (with fsync) before
// it returns. Writers that arrive while a commit is in progress are
// group-committed in the next transaction, one fsync for all of them, with
// no added delay: a writer alone commits at once. fn may run more than
// once, so it must set its results afresh on each run.
func (q *Queue) write(fn func(s *store) error) error {
	c := &call{fn: fn, done: make(chan struct{})}
	q.wmu.Lock()
	q.pending = append(q.pending, c)
	if q.committing {
		q.wmu.Unlock()
		<-c.done
		if !c.lead {
			return c.err
		}
		q.wmu.Lock()
	} else {
		q.committing = true
	}
	batch := q.pending
	q.pending = nil
	q.wmu.Unlock()

	q.commit(batch, c)

	q.wmu.Lock()
	if len(q.pending) > 0 {
		// The first writer waiting commits the next group.
		next := q.pending[0]
		next.lead = true
		close(next.done)
	} else {
		q.committing = false
	}
	q.wmu.Unlock()
	return c.err
}

// call is one writer waiting for its group commit.
type call struct {
	fn   func(s *store) error
	err  error
	lead bool          // woken to commit the next group itself
	done chan struct{} // closed when err is set or lead is true
}

// errCallFailed is returned inside a group transaction when one call
// failed: the group is rolled back and committed again without it.
type errCallFailed struct{ i int }

func (e errCallFailed) Error() string { return fmt.Sprintf("call %d failed", e.i) }

// commit runs batch in as few transactions as it can: all together, and
// when one call fails, that one alone (so it gets its own error) and the
// rest together again. It sets every call's err and wakes every call but
// self.
func (q *Queue) commit(batch []*call, self *call) {
	finish := func(c *call, err error) {
		c.err = q.ioErr(err)
		if c != self {
			close(c.done)
		}
	}
	q.gate.RLock()
	defer q.gate.RUnlock()
	if q.db == nil {
		for _, c := range batch {
			finish(c, q.broken)
		}
		return
	}
	for len(batch) > 0 {
		if len(batch) == 1 {
			c := batch[0]
			finish(c, q.db.Update(func(tx *bolt.Tx) error { return c.fn(q.st(tx)) }))
			return
		}
		err := q.db.Update(func(tx *bolt.Tx) error {
			s := q.st(tx)
			for i, c := range batch {
				if err := c.fn(s); err != nil {
					return errCallFailed{i}
				}
			}
			return nil
		})
		var failed errCallFailed
		if !errors.As(err, &failed) {
			for _, c := range batch {
				finish(c, err)
			}
			return
		}
		c := batch[failed.i]
		finish(c, q.db.Update(func(tx *bolt.Tx) error { return c.fn(q.st(tx)) }))
		batch = append(batch[:failed.i:failed.i], batch[failed.i+1:]...)
	}
}

func (q *Queue) read(fn func(s *store) error) error {
	q.gate.RLock()
	defer q.gate.RUnlock()
	if q.db == nil {
		return q.broken
	}
	return q.db.View(func(tx *bolt.Tx) error { return fn(q.st(tx)) })
}

func (q *Queue) st(tx *bolt.Tx) *store {
	return &store{tx: tx, now: q.now().Round(0)}
}
