// Package queue is the durable job queue of storeedge, stored in a single
// bbolt database file.
//
// A job is an opaque payload bound for one lane (a printer name). Jobs are
// leased strictly first-in first-out per lane, acknowledged when done,
// retried later after a failure, or marked dead after a permanent error.
// Every state change is committed with fsync before the call returns, and
// the job record, the lane index, the state counters and the other indexes
// are updated in the same transaction, so a crash or a power cut never
// leaves them out of step.
//
// Job IDs are deterministic and unique forever: an ID seen once is kept in
// a dedupe index, so a second Enqueue of the same ID is a no-op, also after
// the job itself has been pruned. A job that was leased and never
// acknowledged when the process stopped comes back as Pending with
// Uncertain set, still at the head of its lane: it may already have been
// printed, so whoever prints it again can mark the ticket as a reprint.
//
// Next to the database file "<path>" the queue keeps "<path>.lock", locked
// by the process that has the queue open, and, only while Compact runs,
// "<path>.compact", the copy that replaces the database. A full disk makes
// changes fail with ErrDiskFull and leaves everything committed in place.
//
// Layout of the database:
//
//	meta       "schema" -> schema version
//	jobs       job ID -> encoded Job (see encodeJob); its sequence is the global Seq
//	lanes      printer -> nested bucket: big-endian Seq -> job ID (Pending and Inflight jobs only)
//	seq        big-endian Seq -> job ID (all stored jobs, enqueue order)
//	recent     Updated (sortable 8 bytes) + Seq -> job ID (all stored jobs, by last change)
//	inflight   job ID -> empty (Inflight jobs, for recovery on open)
//	counts     printer -> four big-endian uint64: pending, inflight, done, dead
//	dedupe     job ID -> time first seen (8 bytes)
//	forget     prune time (8 bytes) + job ID -> empty (dedupe entries whose job is gone)
//	cursors    name -> value
package queue
