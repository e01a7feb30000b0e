package printer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
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
	Move(id string, printer string) error
	List(f queue.Filter) ([]queue.Job, error)
	Changed() <-chan struct{}
}

// RenderFunc turns a leased job into the bytes to send. job.Uncertain is true
// when the job may have printed before (the ticket must carry the reprint
// mark); p.Intended is set only when the job prints on another printer than
// the one it was made for.
type RenderFunc func(job queue.Job, p Payload) ([]byte, error)

// FailoverFunc says where a waiting job of a printer that has needed a person
// for too long should go instead; ok is false to leave it where it is.
type FailoverFunc func(job queue.Job) (backup string, ok bool)

// SentPrefix starts the recorded error of a job whose bytes left this PC
// without the printer confirming them: part of it may be on paper, so when
// it prints again (here or on a backup) it carries the reprint mark.
const SentPrefix = "sent, not confirmed: "

// Defaults of WorkerOptions.
const (
	DefaultLease         = 2 * time.Minute
	DefaultWriteLimit    = 60 * time.Second
	DefaultStatusLimit   = 5 * time.Second
	DefaultMinBackoff    = time.Second
	DefaultMaxBackoff    = 30 * time.Second
	DefaultIdle          = time.Second
	DefaultStatusEvery   = 10 * time.Second
	DefaultRecheckEvery  = 2 * time.Second
	DefaultFailoverAfter = 30 * time.Second
)

// WorkerOptions configure a Worker. Zero durations take the defaults above.
type WorkerOptions struct {
	Name      string
	Link      string // the printer's URI: what is learned about the printer is kept for this link
	Transport Transport
	Queue     Queue
	Render    RenderFunc
	Logger    *slog.Logger

	Lease        time.Duration // how long a lease lasts
	WriteLimit   time.Duration // longest one write (with its status check) may take
	StatusLimit  time.Duration // longest one status query may take
	MinBackoff   time.Duration // first retry delay after a failed write
	MaxBackoff   time.Duration // longest retry delay
	Idle         time.Duration // how often an idle worker looks at the queue without a signal
	StatusEvery  time.Duration // how often the status of an idle, healthy printer is asked
	RecheckEvery time.Duration // how often the status is asked while the printer needs a person

	// Failover, when set, moves the waiting jobs of a printer that has
	// needed a person (paper out, cover open, error, offline, writes
	// failing) for FailoverAfter to the printer it names.
	Failover      FailoverFunc
	FailoverAfter time.Duration

	Now      func() time.Time // clock for the state times; nil = time.Now
	OnChange func()           // called after every state change (status page)
}

// Info is a worker's live state for the status page.
type Info struct {
	State       State
	Detail      string // what the printer said, or why it failed, in words
	LastPrinted time.Time
	LastError   string
	Since       time.Time // when State last changed
	// NeedsPersonSince is when the printer started to need a person
	// (zero while it does not); failover counts from it.
	NeedsPersonSince time.Time
	MovedToBackup    int  // jobs moved to a backup printer since start
	Paused           bool // a person paused the printer: no job starts until Resume
}

// Worker prints the jobs of one printer lane, strictly in order. It asks the
// printer for its status between jobs, holds the lane while the printer needs
// a person (and reconnects by itself when it comes back), and moves waiting
// jobs to a backup printer when that lasts too long.
type Worker struct {
	opt WorkerOptions
	log *slog.Logger

	// owned by the Run goroutine
	dev       Status    // last status the printer reported (StateOffline: no link)
	devErr    string    // why the last status query failed
	failing   string    // error of the last write while writes keep failing
	fail      int       // consecutive failed writes
	printing  bool      // a job is being written
	lastPoll  time.Time // when the status was last asked
	lastAsked bool      // lastPoll is set
	unacked   *printed  // printed, but its acknowledgement is not stored yet
	answers   bool      // the queue database knows the printer answers status queries

	mu   sync.Mutex
	info Info

	wake chan struct{} // Resume wakes a paused Run
}

// printed is a job that is on paper but whose acknowledgement could not be
// stored (the disk was full, say). The lane waits for it: the
// acknowledgement is tried again until it is stored, so the job neither
// blocks the lane until its lease runs out nor prints a second time.
type printed struct {
	job   queue.Job
	bytes int
	st    State
	fails int
}

// NewWorker checks the options and fills defaults.
func NewWorker(opt WorkerOptions) (*Worker, error) {
	if opt.Name == "" || opt.Transport == nil || opt.Queue == nil || opt.Render == nil {
		return nil, errors.New("printer worker: name, transport, queue and render are required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opt.Lease, DefaultLease)
	def(&opt.WriteLimit, DefaultWriteLimit)
	def(&opt.StatusLimit, DefaultStatusLimit)
	def(&opt.MinBackoff, DefaultMinBackoff)
	def(&opt.MaxBackoff, DefaultMaxBackoff)
	def(&opt.Idle, DefaultIdle)
	def(&opt.StatusEvery, DefaultStatusEvery)
	def(&opt.RecheckEvery, DefaultRecheckEvery)
	def(&opt.FailoverAfter, DefaultFailoverAfter)
	if opt.MaxBackoff < opt.MinBackoff {
		opt.MaxBackoff = opt.MinBackoff
	}
	w := &Worker{opt: opt, log: opt.Logger.With("printer", opt.Name), wake: make(chan struct{}, 1)}
	w.dev = Status{State: StateUnknown}
	w.info = Info{State: StateUnknown, Since: opt.Now()}
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

// publish recomputes Info from the worker's own fields and reports a change.
func (w *Worker) publish(f func(*Info)) {
	now := w.opt.Now()
	w.mu.Lock()
	before := w.info
	if f != nil {
		f(&w.info)
	}
	i := &w.info
	needs := w.dev.State.NeedsPerson() || w.failing != ""
	switch {
	case w.printing:
		i.State, i.Detail = StatePrinting, ""
	case w.dev.State.NeedsPerson():
		i.State, i.Detail = w.dev.State, w.dev.Detail
		if w.devErr != "" {
			i.Detail = w.devErr
		}
	case w.failing != "":
		i.State, i.Detail = StateError, w.failing
	default:
		i.State, i.Detail = w.dev.State, w.dev.Detail
	}
	switch {
	case needs && i.NeedsPersonSince.IsZero():
		i.NeedsPersonSince = now
	case !needs:
		i.NeedsPersonSince = time.Time{}
	}
	if i.State != before.State {
		i.Since = now
	}
	changed := *i != before
	w.mu.Unlock()
	if changed && w.opt.OnChange != nil {
		w.opt.OnChange()
	}
}

// Run prints until ctx ends. A job being written when ctx ends is finished
// (within WriteLimit) and acknowledged, so a clean stop never leaves a ticket
// uncertain.
func (w *Worker) Run(ctx context.Context) error {
	w.loadAnswers()
	w.poll(ctx)
	for ctx.Err() == nil {
		if w.unacked != nil {
			// A ticket on paper waits for its acknowledgement to be stored
			// before anything else happens in the lane.
			if delay := w.ack(); delay > 0 && !sleep(ctx, delay) {
				return nil
			}
			continue
		}
		if w.Info().Paused {
			// Paused by a person: no job starts (nor moves to a backup);
			// the printer's status is still asked, so the page stays true.
			if !w.pausedWait(ctx) {
				return nil
			}
			continue
		}
		if w.dev.State.NeedsPerson() {
			// Hold the lane: nothing is written to a printer that cannot
			// print. Its jobs wait (or move to the backup) until it is back.
			w.failover()
			if !sleep(ctx, w.opt.RecheckEvery) {
				return nil
			}
			w.poll(ctx)
			continue
		}
		if w.failing != "" {
			w.failover()
		}
		changed := w.opt.Queue.Changed()
		job, ok, err := w.opt.Queue.Lease(w.opt.Name, w.opt.Lease)
		if err != nil {
			w.log.Error("lease failed", "err", err)
			w.publish(func(i *Info) { i.LastError = "queue: " + err.Error() })
			if !sleep(ctx, w.opt.MaxBackoff) {
				return nil
			}
			continue
		}
		if !ok {
			job, ok = w.idle(ctx, changed)
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				if w.statusDue() <= 0 {
					w.poll(ctx)
				}
				continue
			}
		}
		delay := w.print(job)
		if delay > 0 && !sleep(ctx, delay) {
			return nil
		}
	}
	return nil
}

// handoffQueue is a queue that can hand the next job of a lane to its
// idle worker in the commit that stores it (*queue.Queue can).
type handoffQueue interface {
	Await(printer string, d time.Duration) *queue.Waiter
	Return(leased queue.Job) error
}

// idle waits, with the lane empty, until the queue changes, the status is
// due or ctx ends. A job the queue hands over meanwhile comes back leased
// (ok), to be printed at once; one handed over as ctx ends goes back to
// its lane untouched, as does one handed over as a person pauses the
// printer.
func (w *Worker) idle(ctx context.Context, changed <-chan struct{}) (queue.Job, bool) {
	wait := w.opt.Idle
	if due := w.statusDue(); due < wait {
		wait = due
	}
	var (
		waiter *queue.Waiter
		ready  <-chan struct{}
	)
	hq, handoff := w.opt.Queue.(handoffQueue)
	if handoff {
		waiter = hq.Await(w.opt.Name, w.opt.Lease)
		ready = waiter.Ready()
	}
	t := time.NewTimer(max(wait, 0))
	select {
	case <-ctx.Done():
	case <-changed:
	case <-ready:
	case <-w.wake: // paused by a person
	case <-t.C:
	}
	t.Stop()
	if !handoff {
		return queue.Job{}, false
	}
	job, ok := waiter.Stop()
	if ok && (w.Info().Paused || ctx.Err() != nil) {
		if err := hq.Return(job); err != nil {
			// It stays leased: when the lease runs out (or after a
			// restart) it prints, marked as a possible reprint.
			w.log.Warn("give back a job handed over while stopping or pausing", "job", job.ID, "err", err)
		}
		return queue.Job{}, false
	}
	return job, ok
}

// Pause stops the worker from starting jobs until Resume; a job being
// written finishes. Jobs keep arriving in the lane and wait there.
func (w *Worker) Pause() { w.setPaused(true) }

// Resume lets a paused worker print again, at once.
func (w *Worker) Resume() { w.setPaused(false) }

func (w *Worker) setPaused(p bool) {
	w.mu.Lock()
	changed := w.info.Paused != p
	w.info.Paused = p
	w.mu.Unlock()
	if !changed {
		return
	}
	w.log.Info("printer paused by a person", "paused", p)
	select {
	case w.wake <- struct{}{}:
	default:
	}
	if w.opt.OnChange != nil {
		w.opt.OnChange()
	}
}

// pausedWait waits while the worker is paused, asking the printer's status
// when it is due; it returns false when ctx ends.
func (w *Worker) pausedWait(ctx context.Context) bool {
	t := time.NewTimer(max(w.statusDue(), 0))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-w.wake:
	case <-t.C:
		w.poll(ctx)
	}
	return ctx.Err() == nil
}

// statusDue is how long until the status should be asked again.
func (w *Worker) statusDue() time.Duration {
	if !w.lastAsked {
		return 0
	}
	every := w.opt.StatusEvery
	if w.failing != "" {
		every = w.opt.RecheckEvery
	}
	return every - w.opt.Now().Sub(w.lastPoll)
}

// poll asks the printer for its status and publishes it.
func (w *Worker) poll(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	st, err := w.status(ctx)
	if ctx.Err() != nil {
		return // stopping: an answer cut short says nothing about the printer
	}
	w.setStatus(st, err)
}

// status asks the transport, within StatusLimit.
func (w *Worker) status(parent context.Context) (Status, error) {
	ctx, cancel := context.WithTimeout(parent, w.opt.StatusLimit)
	defer cancel()
	st, err := w.opt.Transport.Status(ctx)
	if err != nil {
		st = Status{State: StateOffline}
	}
	if st.State == "" {
		st.State = StateUnknown
	}
	return st, err
}

// setStatus records what the printer reported (err: no link) and publishes it.
func (w *Worker) setStatus(st Status, err error) {
	w.record(st, err)
	w.publish(nil)
}

// valueStore is the part of a queue that keeps small named values
// (*queue.Queue has it).
type valueStore interface {
	GetValues(space, prefix string) (map[string]string, error)
	SetValues(space string, values map[string]string) error
}

// answersSpace holds, by printer name, the link of each printer known to
// answer status queries.
const answersSpace = "printer-answers"

// loadAnswers tells the transport what an earlier run learned: its printer
// answers status queries, so every job must be confirmed, also by a printer
// that hangs from the first job of this run on.
func (w *Worker) loadAnswers() {
	a, ok := w.opt.Transport.(Answering)
	vs, ok2 := w.opt.Queue.(valueStore)
	if !ok || !ok2 {
		return
	}
	v, err := vs.GetValues(answersSpace, w.opt.Name)
	if err != nil {
		w.log.Warn("read what is known of the printer's status answers", "err", err)
		return
	}
	if link, known := v[w.opt.Name]; known && link == "answers "+w.opt.Link {
		a.SetAnswers()
		w.answers = true
	}
}

// keepAnswers stores that the printer answers status queries, once it has.
func (w *Worker) keepAnswers() {
	a, ok := w.opt.Transport.(Answering)
	vs, ok2 := w.opt.Queue.(valueStore)
	if w.answers || !ok || !ok2 || !a.Answers() {
		return
	}
	if err := vs.SetValues(answersSpace, map[string]string{w.opt.Name: "answers " + w.opt.Link}); err != nil {
		w.log.Warn("store that the printer answers status queries; will try again", "err", err)
		return
	}
	w.answers = true
}

// record keeps what the printer reported (err: no link) without publishing.
func (w *Worker) record(st Status, err error) {
	w.keepAnswers()
	w.lastPoll, w.lastAsked = w.opt.Now(), true
	was := w.dev
	w.dev, w.devErr = st, ""
	if err != nil {
		w.dev = Status{State: StateOffline}
		w.devErr = err.Error()
	}
	if was.State != w.dev.State {
		args := []any{"state", w.dev.State, "was", was.State}
		if w.dev.Detail != "" {
			args = append(args, "detail", w.dev.Detail)
		}
		if err != nil {
			args = append(args, "err", err)
		}
		if w.dev.State.NeedsPerson() {
			w.log.Warn("printer needs a person", args...)
		} else {
			w.log.Info("printer state", args...)
		}
	}
}

// print handles one leased job and returns how long to wait before the next lease.
func (w *Worker) print(job queue.Job) time.Duration {
	log := w.log.With("job", job.ID)
	p, err := DecodePayload(job.Payload)
	if strings.HasPrefix(job.LastError, SentPrefix) {
		job.Uncertain = true // part of it may be on paper already
	}
	if p.Intended == w.opt.Name {
		p.Intended = ""
	}
	var data []byte
	if err == nil {
		data, err = w.opt.Render(job, p)
	}
	if err != nil {
		log.Error("job cannot be rendered; moved to dead letters", "err", err)
		if kerr := w.opt.Queue.Kill(job.ID, err); kerr != nil {
			log.Error("kill failed", "err", kerr)
		}
		w.publish(func(i *Info) { i.LastError = fmt.Sprintf("job %s: %v", job.ID, err) })
		return 0
	}
	w.printing = true
	w.publish(nil)
	wctx, cancel := context.WithTimeout(context.Background(), w.opt.WriteLimit)
	st, err := w.opt.Transport.Write(wctx, data)
	cancel()
	w.printing = false
	if err != nil {
		// Ask: the failure may be the printer's own (paper, cover, unplugged),
		// and then the lane waits for it instead of retrying blindly.
		w.record(w.status(context.Background()))
		return w.failed(job, err, log)
	}
	if st.State == "" {
		st.State = StateUnknown
	}
	w.record(st, nil)
	if st.State.NeedsPerson() {
		// The printer took the bytes but reports it cannot print: the job
		// may be cut short. Print it again (marked) once it can.
		return w.failed(job, fmt.Errorf("printer reports %s after the job", st), log)
	}
	w.unacked = &printed{job: job, bytes: len(data), st: st.State}
	return w.ack()
}

// ack stores the acknowledgement of the job on paper and returns how long
// to wait before trying again when it could not be stored. Until it is
// stored the job stays in flight (after a restart it prints again with the
// reprint mark, never silently twice) and nothing else is leased.
func (w *Worker) ack() time.Duration {
	u := w.unacked
	log := w.log.With("job", u.job.ID)
	if err := w.opt.Queue.Ack(u.job.ID); err != nil {
		if errors.Is(err, queue.ErrNotFound) || errors.Is(err, queue.ErrState) {
			// A person dropped or moved it meanwhile: nothing left to record.
			log.Warn("printed job no longer in flight; not acknowledged", "err", err)
			w.unacked = nil
			return 0
		}
		u.fails++
		log.Error("ack failed; will try again", "err", err, "tries", u.fails)
		w.publish(func(i *Info) { i.LastError = "queue: " + err.Error() })
		return w.doubled(u.fails)
	}
	w.unacked = nil
	w.fail, w.failing = 0, ""
	log.Info("printed", "bytes", u.bytes, "attempt", u.job.Attempts, "reprint", u.job.Uncertain, "status", u.st)
	w.publish(func(i *Info) {
		i.LastPrinted = w.opt.Now()
		i.LastError = ""
	})
	return 0
}

// failed returns a job whose write failed to its lane and decides when it may
// be tried again: at once when the printer is back, if it needs a person (the lane
// is held until then), else after a growing backoff.
func (w *Worker) failed(job queue.Job, err error, log *slog.Logger) time.Duration {
	cause := err
	if !IsNotSent(err) {
		cause = fmt.Errorf("%s%w", SentPrefix, err)
	}
	next := time.Duration(0)
	if !w.dev.State.NeedsPerson() {
		w.fail++
		next = w.backoff()
		w.failing = err.Error()
		if w.opt.Failover != nil {
			// Not later than the failover: a job moved to a backup keeps
			// its retry time, and the backup should not wait for it.
			since := w.Info().NeedsPersonSince
			if since.IsZero() {
				since = w.opt.Now()
			}
			if due := since.Add(w.opt.FailoverAfter).Sub(w.opt.Now()); due > 0 && next > due {
				next = due
			}
		}
	}
	log.Warn("print failed; will retry", "err", err, "retry_in", next, "printer_state", w.dev.State)
	if nerr := w.opt.Queue.Nack(job.ID, cause, w.opt.Now().Add(next)); nerr != nil {
		log.Error("nack failed", "err", nerr)
	}
	w.publish(func(i *Info) { i.LastError = err.Error() })
	return 0 // the lease waits for NextTry; the worker keeps asking the status meanwhile
}

// failover moves the waiting jobs of a printer that has needed a person for
// longer than FailoverAfter to their backup printers.
func (w *Worker) failover() {
	if w.opt.Failover == nil {
		return
	}
	since := w.Info().NeedsPersonSince
	if since.IsZero() || w.opt.Now().Sub(since) < w.opt.FailoverAfter {
		return
	}
	jobs, err := w.opt.Queue.List(queue.Filter{Printer: w.opt.Name, States: []queue.State{queue.Pending}})
	if err != nil {
		w.log.Error("list waiting jobs for failover", "err", err)
		return
	}
	moved := 0
	for _, j := range jobs {
		to, ok := w.opt.Failover(j)
		if !ok || to == "" || to == w.opt.Name {
			continue
		}
		if err := w.opt.Queue.Move(j.ID, to); err != nil {
			if !errors.Is(err, queue.ErrState) && !errors.Is(err, queue.ErrNotFound) {
				w.log.Error("move job to backup printer", "job", j.ID, "backup", to, "err", err)
			}
			continue
		}
		moved++
		w.log.Warn("job moved to backup printer", "job", j.ID, "backup", to,
			"needs_person_for", w.opt.Now().Sub(since).Round(time.Second), "state", w.Info().State)
	}
	if moved > 0 {
		w.publish(func(i *Info) { i.MovedToBackup += moved })
	}
}

// doubled is MinBackoff doubled for every failure after the first, at
// most MaxBackoff.
func (w *Worker) doubled(fails int) time.Duration {
	d := w.opt.MinBackoff
	for i := 1; i < fails && d < w.opt.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.opt.MaxBackoff)
}

func (w *Worker) backoff() time.Duration {
	d := w.doubled(w.fail)
	// up to 20% jitter so printers that failed together do not retry together
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
