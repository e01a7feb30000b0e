package printer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"storeedge/queue"
)

// Queue is what a worker needs of the job queue.
type Queue interface {
	Lease(printer string, d time.Duration) (queue.Job, bool, error)
	Ack(id string) error
	Nack(id string, cause error, next time.Time) error
	Kill(id string, cause error) error
	Changed() <-chan struct{}
}

// RenderFunc turns a leased job into the bytes to send. reprint is true when the
// job may have printed before (the ticket must carry the reprint mark).
type RenderFunc func(job queue.Job, p Payload) ([]byte, error)

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Name       string
	Transport  Transport
	Queue      Queue
	Render     RenderFunc
	Logger     *slog.Logger
	Lease      time.Duration // how long a lease lasts; default 2 minutes
	WriteLimit time.Duration // longest one write may take; default 60 s
	MinBackoff time.Duration // first retry delay after a failed write; default 1 s
	MaxBackoff time.Duration // longest retry delay; default 30 s
	Idle       time.Duration // how often an idle worker looks again without a signal; default 1 s
	OnChange   func()        // called after every state change (status page)
}

// Info is a worker's live state for the status page.
type Info struct {
	State       State
	LastPrinted time.Time
	LastError   string
	Since       time.Time // when State last changed
}

// Worker prints the jobs of one printer lane, strictly in order.
type Worker struct {
	opt WorkerOptions
	log *slog.Logger

	mu   sync.Mutex
	info Info
	fail int // consecutive failed writes
}

// NewWorker checks the options and fills defaults.
func NewWorker(opt WorkerOptions) (*Worker, error) {
	if opt.Name == "" || opt.Transport == nil || opt.Queue == nil || opt.Render == nil {
		return nil, errors.New("printer worker: name, transport, queue and render are required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opt.Lease, 2*time.Minute)
	def(&opt.WriteLimit, 60*time.Second)
	def(&opt.MinBackoff, time.Second)
	def(&opt.MaxBackoff, 30*time.Second)
	def(&opt.Idle, time.Second)
	w := &Worker{opt: opt, log: opt.Logger.With("printer", opt.Name)}
	w.info = Info{State: StateIdle, Since: time.Now()}
	return w, nil
}

// Name is the printer's name.
func (w *Worker) Name() string { return w.opt.Name }

// Info returns the worker's current state.
func (w *Worker) Info() Info {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.info
}

func (w *Worker) set(f func(*Info)) {
	w.mu.Lock()
	before := w.info
	f(&w.info)
	if w.info.State != before.State {
		w.info.Since = time.Now()
	}
	changed := w.info != before
	w.mu.Unlock()
	if changed && w.opt.OnChange != nil {
		w.opt.OnChange()
	}
}

// Run prints until ctx ends. A job being written when ctx ends is finished
// (within WriteLimit) and acknowledged, so a clean stop never leaves a ticket
// uncertain.
func (w *Worker) Run(ctx context.Context) error {
	w.refreshStatus(ctx)
	for {
		if ctx.Err() != nil {
			return nil
		}
		changed := w.opt.Queue.Changed()
		job, ok, err := w.opt.Queue.Lease(w.opt.Name, w.opt.Lease)
		if err != nil {
			w.log.Error("lease failed", "err", err)
			w.set(func(i *Info) { i.LastError = "queue: " + err.Error() })
			if !sleep(ctx, w.opt.MaxBackoff) {
				return nil
			}
			continue
		}
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-changed:
			case <-time.After(w.opt.Idle):
				if w.Info().State != StateIdle {
					w.refreshStatus(ctx)
				}
			}
			continue
		}
		delay := w.print(job)
		if delay > 0 && !sleep(ctx, delay) {
			return nil
		}
	}
}

// print handles one leased job and returns how long to wait before the next lease.
func (w *Worker) print(job queue.Job) time.Duration {
	log := w.log.With("job", job.ID)
	p, err := DecodePayload(job.Payload)
	var data []byte
	if err == nil {
		data, err = w.opt.Render(job, p)
	}
	if err != nil {
		log.Error("job cannot be rendered; moved to dead letters", "err", err)
		if kerr := w.opt.Queue.Kill(job.ID, err); kerr != nil {
			log.Error("kill failed", "err", kerr)
		}
		w.set(func(i *Info) { i.LastError = fmt.Sprintf("job %s: %v", job.ID, err) })
		return 0
	}
	w.set(func(i *Info) { i.State = StatePrinting })
	wctx, cancel := context.WithTimeout(context.Background(), w.opt.WriteLimit)
	err = w.opt.Transport.Write(wctx, data)
	cancel()
	if err == nil {
		// Where the link can answer, an error reported right after the job
		// means it may not have printed: retry it rather than ack.
		st, serr := w.status()
		if serr == nil && st.NeedsPerson() {
			err = fmt.Errorf("printer reports %s after the job", st)
		}
	}
	if err != nil {
		w.fail++
		next := w.backoff()
		log.Warn("print failed; will retry", "err", err, "retry_in", next)
		if nerr := w.opt.Queue.Nack(job.ID, err, time.Now().Add(next)); nerr != nil {
			log.Error("nack failed", "err", nerr)
		}
		st := StateOffline
		if s, serr := w.status(); serr == nil && s.NeedsPerson() {
			st = s
		}
		w.set(func(i *Info) { i.State = st; i.LastError = err.Error() })
		return next
	}
	if aerr := w.opt.Queue.Ack(job.ID); aerr != nil {
		// Printed but not recorded: the job stays in flight and is reprinted
		// with the mark after a restart, never silently twice.
		log.Error("ack failed", "err", aerr)
		w.set(func(i *Info) { i.LastError = "queue: " + aerr.Error() })
		return w.opt.MaxBackoff
	}
	w.fail = 0
	log.Info("printed", "bytes", len(data), "attempt", job.Attempts, "reprint", job.Uncertain)
	w.set(func(i *Info) {
		i.State = StateIdle
		i.LastPrinted = time.Now()
		i.LastError = ""
	})
	return 0
}

func (w *Worker) status() (State, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return w.opt.Transport.Status(ctx)
}

func (w *Worker) refreshStatus(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	st, err := w.status()
	w.set(func(i *Info) {
		switch {
		case err != nil:
			i.State, i.LastError = StateOffline, err.Error()
		case st == StateOnline:
			i.State = StateIdle
		default:
			i.State = st
		}
	})
}

func (w *Worker) backoff() time.Duration {
	d := w.opt.MinBackoff
	for i := 1; i < w.fail && d < w.opt.MaxBackoff; i++ {
		d *= 2
	}
	if d > w.opt.MaxBackoff {
		d = w.opt.MaxBackoff
	}
	// up to 20% jitter so printers that failed together do not retry together
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
