// Package api is the local queue API of storeedge: list and show print
// jobs, and let a person retry, release, drop or reprint them. Handlers
// serves it over HTTP (mounted on the status server), Client calls it, and
// Local does the same operations directly on an open queue, so the command
// line works the same on a running and a stopped agent.
package api

import (
	"errors"
	"fmt"
	"time"

	"storeedge/printer"
	"storeedge/queue"
)

// Job is a print job as the API shows it.
type Job struct {
	ID        string    `json:"id"`
	Printer   string    `json:"printer"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	Uncertain bool      `json:"uncertain"` // may have printed already: prints with the reprint mark
	Enqueued  time.Time `json:"enqueued"`
	Updated   time.Time `json:"updated"`
	NextTry   time.Time `json:"next_try,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	Seq       uint64    `json:"seq"`
	Bytes     int       `json:"payload_bytes"`
	// From the payload, when it is a ticket.
	Store   string `json:"store,omitempty"`
	OrderID string `json:"order_id,omitempty"`
	Event   string `json:"event,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Copy    int    `json:"copy,omitempty"`
	Copies  int    `json:"copies,omitempty"`
}

// FromQueue converts a queue job.
func FromQueue(j queue.Job) Job {
	out := Job{
		ID: j.ID, Printer: j.Printer, State: string(j.State), Attempts: j.Attempts, Uncertain: j.Uncertain,
		Enqueued: j.Enqueued, Updated: j.Updated, NextTry: j.NextTry, LastError: j.LastError, Seq: j.Seq,
		Bytes: len(j.Payload),
	}
	if p, err := printer.DecodePayload(j.Payload); err == nil {
		out.Store, out.OrderID, out.Event, out.Kind = p.Order.StoreID, p.Order.ID, string(p.Event), string(p.Kind)
		out.Copy, out.Copies = p.Copy, p.Copies
	}
	return out
}

// Query selects jobs to list.
type Query struct {
	Printer string
	States  []string
	Limit   int  // 0 = DefaultLimit
	Newest  bool // most recently changed first; otherwise enqueue order
}

// DefaultLimit is how many jobs a list returns when no limit is given.
const DefaultLimit = 100

// Backend is what the CLI and the HTTP handlers need: Local on an open
// queue, Client through a running agent.
type Backend interface {
	List(q Query) ([]Job, error)
	Get(id string) (Job, error)
	// Retry puts a dead or dropped job back at the end of its lane; a held
	// job is released.
	Retry(id string) (Job, error)
	// Release prints a held job (with the reprint mark).
	Release(id string) (Job, error)
	// Drop takes a pending, held or dead job out for good, with a reason.
	Drop(id, reason string) (Job, error)
	// Reprint copies a done, dead or dropped job into a new job with the
	// reprint mark, on printer (empty = the same printer).
	Reprint(id, printer string) (Job, error)
	// Move puts a waiting (pending) job in another printer's lane; its
	// ticket then names the printer it was meant for.
	Move(id, printer string) (Job, error)
}

// Errors a Backend returns, also across HTTP.
var (
	ErrNotFound = queue.ErrNotFound
	ErrState    = queue.ErrState
	ErrBadInput = errors.New("bad input")
)

// Local runs the operations on an open queue.
type Local struct {
	Queue *queue.Queue
	// Printers, when set, are the printer names a job may be reprinted on.
	Printers []string
}

var _ Backend = Local{}

func (l Local) filter(q Query) (queue.Filter, error) {
	f := queue.Filter{Printer: q.Printer, Limit: q.Limit, Newest: q.Newest}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	if f.Limit < 0 {
		return f, fmt.Errorf("limit %d is negative: %w", q.Limit, ErrBadInput)
	}
	for _, s := range q.States {
		st := queue.State(s)
		switch st {
		case queue.Pending, queue.Inflight, queue.Done, queue.Dead, queue.Held, queue.Dropped:
		default:
			return f, fmt.Errorf("unknown state %q (want pending, inflight, held, done, dead or dropped): %w", s, ErrBadInput)
		}
		f.States = append(f.States, st)
	}
	return f, nil
}

// List lists jobs.
func (l Local) List(q Query) ([]Job, error) {
	f, err := l.filter(q)
	if err != nil {
		return nil, err
	}
	jobs, err := l.Queue.List(f)
	if err != nil {
		return nil, err
	}
	out := make([]Job, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, FromQueue(j))
	}
	return out, nil
}

// Get shows one job.
func (l Local) Get(id string) (Job, error) {
	j, err := l.Queue.Get(id)
	if err != nil {
		return Job{}, err
	}
	return FromQueue(j), nil
}

// Retry retries a dead or dropped job, or releases a held one.
func (l Local) Retry(id string) (Job, error) {
	j, err := l.Queue.Get(id)
	if err != nil {
		return Job{}, err
	}
	if j.State == queue.Held {
		return l.Release(id)
	}
	if err := l.Queue.Retry(id); err != nil {
		return Job{}, err
	}
	return l.Get(id)
}

// Release releases a held job.
func (l Local) Release(id string) (Job, error) {
	if err := l.Queue.Release(id); err != nil {
		return Job{}, err
	}
	return l.Get(id)
}

// Drop drops a job.
func (l Local) Drop(id, reason string) (Job, error) {
	if err := l.Queue.Drop(id, reason); err != nil {
		return Job{}, err
	}
	return l.Get(id)
}

// Reprint reprints a job.
func (l Local) Reprint(id, printerName string) (Job, error) {
	if printerName != "" && l.Printers != nil && !contains(l.Printers, printerName) {
		return Job{}, fmt.Errorf("reprint job %q: unknown printer %q: %w", id, printerName, ErrBadInput)
	}
	j, err := l.Queue.Reprint(id, printerName)
	if err != nil {
		return Job{}, err
	}
	return FromQueue(j), nil
}

// Move moves a pending job to another printer.
func (l Local) Move(id, printerName string) (Job, error) {
	if printerName == "" {
		return Job{}, fmt.Errorf("move job %q: printer is required: %w", id, ErrBadInput)
	}
	if l.Printers != nil && !contains(l.Printers, printerName) {
		return Job{}, fmt.Errorf("move job %q: unknown printer %q: %w", id, printerName, ErrBadInput)
	}
	if err := l.Queue.Move(id, printerName); err != nil {
		return Job{}, err
	}
	return l.Get(id)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
