package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
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
}

// Defaults of Options.
const (
	DefaultLockWait  = time.Second
	DefaultDedupeFor = 30 * 24 * time.Hour
	DefaultKeepDone  = 7 * 24 * time.Hour
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
)

// Queue is a durable job queue backed by one bbolt file. Its methods are
// safe for concurrent use.
type Queue struct {
	db      *bolt.DB
	path    string
	log     *slog.Logger
	now     func() time.Time
	opt     Options
	writers atomic.Int32

	mu      sync.Mutex
	changed chan struct{}
	closed  bool
}

// Open opens (creating if needed) the queue database at path and its parent
// directory. If another process holds the file, Open gives up after
// Options.LockWait with an error wrapping ErrLocked. Jobs left Inflight by
// the previous process become Pending with Uncertain set, in one
// transaction, keeping their place in their lanes.
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
	if path == "" {
		return nil, errors.New("open queue: empty path")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open queue: create data directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opt.LockWait,
		NoSync:       opt.NoSync,
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open queue %s: data directory %s is in use by another storeedge process (waited %s for the lock): %w",
			path, dir, opt.LockWait, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open queue %s: %w", path, err)
	}
	// Group commit: concurrent writers wait at most this long to share one
	// fsync; a writer alone commits at once (see write).
	db.MaxBatchDelay = 2 * time.Millisecond
	q := &Queue{
		db:      db,
		path:    path,
		log:     opt.Logger,
		now:     opt.Now,
		opt:     opt,
		changed: make(chan struct{}),
	}
	var recovered int
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBkts {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bMeta)
		if v := meta.Get(kSchema); v == nil {
			if err := meta.Put(kSchema, u64(schemaVersion)); err != nil {
				return err
			}
		} else if len(v) != 8 || getU64(v) != schemaVersion {
			return fmt.Errorf("unsupported schema version %x (this program reads version %d)", v, schemaVersion)
		}
		n, err := q.st(tx).recoverInflight()
		recovered = n
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open queue %s: %w", path, err)
	}
	if recovered > 0 {
		q.log.Warn("in-flight jobs from the previous run returned to their lanes as uncertain", "jobs", recovered)
	}
	return q, nil
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
	if err := q.db.Close(); err != nil {
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
// it returns. A writer alone uses its own transaction; concurrent writers
// are group-committed through bbolt's Batch. fn may run more than once, so
// it must set its results afresh on each run.
func (q *Queue) write(fn func(s *store) error) error {
	f := func(tx *bolt.Tx) error { return fn(q.st(tx)) }
	defer q.writers.Add(-1)
	if q.writers.Add(1) == 1 {
		return q.db.Update(f)
	}
	return q.db.Batch(f)
}

func (q *Queue) read(fn func(s *store) error) error {
	return q.db.View(func(tx *bolt.Tx) error { return fn(q.st(tx)) })
}

func (q *Queue) st(tx *bolt.Tx) *store {
	return &store{tx: tx, now: q.now().Round(0)}
}
