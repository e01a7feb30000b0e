package stock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"storeedge/queue"
	"storeedge/sync/order"
)

// Worker timing defaults.
const (
	DefaultLease   = 2 * time.Minute // longer than any platform call
	DefaultIdle    = 2 * time.Second // how often an idle worker looks again
	MaxBackoff     = 10 * time.Minute
	firstBackoff   = 2 * time.Second
	maxItemErrors  = 200 // errors per target shown on the status page
	maxErrorLength = 300
)

// Reporting runs one worker per target and the resync schedule.
type Reporting struct {
	out   *Outbox
	q     *queue.Queue
	log   *slog.Logger
	now   func() time.Time
	lease time.Duration
	idle  time.Duration
	after func(time.Duration) <-chan time.Time
	onChg func()

	mu     sync.Mutex
	health map[string]*Health
}

// ReportingOptions configure Reporting.
type ReportingOptions struct {
	Outbox   *Outbox
	Logger   *slog.Logger
	Now      func() time.Time
	Lease    time.Duration                        // default DefaultLease
	Idle     time.Duration                        // default DefaultIdle
	After    func(time.Duration) <-chan time.Time // default time.After (tests inject)
	OnChange func()                               // status page
}

// Health is what the status page shows of a target.
type Health struct {
	Target     string
	Type       string
	LastReport time.Time // last accepted call
	LastError  string    // last failed call, "" after a success
	Reported   int       // values accepted since start
	Calls      int       // calls made since start
	Pending    int       // values waiting in the outbox
	CallsToday int       // calls counted against the daily budget
	LastResync time.Time
	Errors     []ItemError // SKUs the platform refused, newest first
}

// ItemError is a SKU a platform refused or could not take.
type ItemError struct {
	Kind  Kind      `json:"kind"`
	Store string    `json:"store"`
	SKU   string    `json:"sku"`
	Error string    `json:"error"`
	At    time.Time `json:"at"`
}

// NewReporting makes the workers of an outbox's targets.
func NewReporting(opt ReportingOptions) (*Reporting, error) {
	if opt.Outbox == nil {
		return nil, errors.New("stock reporting: no outbox")
	}
	r := &Reporting{out: opt.Outbox, q: opt.Outbox.q, log: opt.Logger, now: opt.Now, lease: opt.Lease,
		idle: opt.Idle, after: opt.After, onChg: opt.OnChange, health: map[string]*Health{}}
	if r.log == nil {
		r.log = opt.Outbox.log
	}
	if r.now == nil {
		r.now = opt.Outbox.now
	}
	if r.lease <= 0 {
		r.lease = DefaultLease
	}
	if r.idle <= 0 {
		r.idle = DefaultIdle
	}
	if r.after == nil {
		r.after = time.After
	}
	if r.onChg == nil {
		r.onChg = func() {}
	}
	for _, t := range opt.Outbox.targets {
		r.health[t.Name] = &Health{Target: t.Name, Type: t.Type}
	}
	return r, nil
}

// Run runs every target's worker and resync schedule until ctx ends.
func (r *Reporting) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, 2*len(r.out.targets))
	for _, t := range r.out.targets {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := r.work(ctx, t); err != nil {
				errc <- fmt.Errorf("report to %s: %w", t.Name, err)
			}
		}()
		go func() {
			defer wg.Done()
			r.resyncLoop(ctx, t)
		}()
	}
	wg.Wait()
	close(errc)
	return errors.Join(slices.Collect(func(yield func(error) bool) {
		for e := range errc {
			if !yield(e) {
				return
			}
		}
	})...)
}

// cstDay is the China Standard Time date a call counts against.
func cstDay(t time.Time) string { return order.FormatCST(t)[:10] }

// nextCSTDay is the start of the next China Standard Time day.
func nextCSTDay(t time.Time) time.Time {
	c := t.In(order.CST)
	return time.Date(c.Year(), c.Month(), c.Day()+1, 0, 0, 0, 0, order.CST)
}

// work leases t's outbox jobs in order and reports them.
func (r *Reporting) work(ctx context.Context, t Target) error {
	lane := Lane(t.Name)
	log := r.log.With("target", t.Name)
	limits := t.Reporter.Limits()
	// A report that may have been sent is safe to send again (its keys
	// make the repeat a no-op), so none waits for a person.
	held, err := r.q.List(queue.Filter{Printer: lane, States: []queue.State{queue.Held}})
	if err != nil {
		return err
	}
	for _, j := range held {
		if err := r.q.Release(j.ID); err != nil {
			return err
		}
	}
	fails := 0 // queue failures in a row
	for ctx.Err() == nil {
		if limits.DailyCalls > 0 {
			used, err := r.callsToday(t.Name)
			if err != nil {
				fails++
				if !r.queueFailed(ctx, t.Name, log, err, fails) {
					return nil
				}
				continue
			}
			if used >= limits.DailyCalls {
				wait := nextCSTDay(r.now()).Sub(r.now())
				r.setError(t.Name, fmt.Sprintf("daily budget of %d calls used up; next call after %s", limits.DailyCalls, order.FormatCST(nextCSTDay(r.now()))))
				log.Warn("daily call budget used up", "calls", used, "wait", wait)
				if !r.sleep(ctx, min(wait, time.Hour)) {
					return nil
				}
				continue
			}
		}
		changed := r.q.Changed()
		job, ok, err := r.q.Lease(lane, r.lease)
		if err != nil {
			fails++
			if !r.queueFailed(ctx, t.Name, log, err, fails) {
				return nil
			}
			continue
		}
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-changed:
			case <-r.after(r.idle):
			}
			continue
		}
		if err := r.report(ctx, t, job, log); err != nil {
			fails++
			if !r.queueFailed(ctx, t.Name, log, err, fails) {
				return nil
			}
			continue
		}
		fails = 0
	}
	return nil
}

// untilStored runs a queue change until it is stored, waiting between
// tries; it returns false when ctx ends first.
func (r *Reporting) untilStored(ctx context.Context, target string, log *slog.Logger, change func() error) bool {
	for fails := 1; ; fails++ {
		err := change()
		if err == nil {
			return true
		}
		if !r.queueFailed(ctx, target, log, err, fails) {
			return false
		}
	}
}

// maxQueueWait bounds the wait after a failed queue operation.
const maxQueueWait = 30 * time.Second

// queueFailed shows a failed queue operation (the disk is full, say) and
// waits before the worker tries again: reporting goes on by itself once the
// queue works again. A job leased when it failed stays in flight and is
// sent again with the same keys when its lease ends, which the platform
// recognises. It returns false when ctx ends.
func (r *Reporting) queueFailed(ctx context.Context, target string, log *slog.Logger, err error, fails int) bool {
	r.setError(target, "queue: "+err.Error())
	wait := min(backoff(fails), maxQueueWait)
	log.Error("stock reporting: queue failed; will try again", "err", err, "retry_in", wait)
	return r.sleep(ctx, wait)
}

func (r *Reporting) sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-r.after(d):
		return true
	}
}

func (r *Reporting) callsToday(target string) (int, error) {
	key := "calls/" + cstDay(r.now())
	v, err := r.q.GetValues(healthSpace(target), key)
	if err != nil {
		return 0, err
	}
	n, _ := strconv.Atoi(v[key])
	return n, nil
}

// report makes one call for a leased job and settles the job.
func (r *Reporting) report(ctx context.Context, t Target, job queue.Job, log *slog.Logger) error {
	var b Batch
	if err := json.Unmarshal(job.Payload, &b); err != nil {
		log.Error("outbox job unreadable: set aside", "job", job.ID, "err", err)
		return r.q.Kill(job.ID, fmt.Errorf("unreadable outbox job: %w", err))
	}
	// The call is counted before it is made: a crash during it must not
	// let the budget be overrun.
	today := "calls/" + cstDay(r.now())
	used, err := r.callsToday(t.Name)
	if err != nil {
		return err
	}
	// A leased job keeps its lease while the queue fails (the disk is
	// full, say): each step is tried again in place until it is stored.
	if !r.untilStored(ctx, t.Name, log, func() error {
		return r.q.SetValues(healthSpace(t.Name), map[string]string{today: strconv.Itoa(used + 1)})
	}) {
		return r.q.Nack(job.ID, errors.New("stopped before the call"), time.Time{})
	}
	refused, err := t.Reporter.Report(ctx, b)
	r.mu.Lock()
	h := r.health[t.Name]
	h.Calls++
	h.CallsToday = used + 1
	r.mu.Unlock()
	now := r.now()
	switch {
	case err == nil:
		// The verdicts first: once acknowledged, the job no longer counts
		// as pending, and its SKUs' errors must already be there.
		// The platform has the values. Stopping before they are recorded
		// leaves the job in flight: it is sent again with the same keys
		// next run, which the platform recognises.
		if !r.untilStored(ctx, t.Name, log, func() error { return r.recordItems(t.Name, b, refused, now) }) ||
			!r.untilStored(ctx, t.Name, log, func() error { return r.q.Ack(job.ID) }) {
			return nil
		}
		r.mu.Lock()
		h.LastReport, h.LastError = now, ""
		h.Reported += len(b.Items) - len(refused)
		r.mu.Unlock()
		log.Info("stock reported", "kind", b.Kind, "store", b.Store, "items", len(b.Items), "refused", len(refused),
			"key", b.Key, "uncertain", job.Uncertain)
	case ctx.Err() != nil:
		// Stopping: the outcome is unknown; the same key goes again next run.
		return r.q.Nack(job.ID, fmt.Errorf("stopped during the call: %w", err), time.Time{})
	case IsTemporary(err):
		next := now.Add(backoff(job.Attempts))
		var ra RetryAfter
		if errors.As(err, &ra) && ra.RetryAt().After(next) {
			next = ra.RetryAt()
		}
		r.setError(t.Name, err.Error())
		log.Warn("stock report failed: will retry", "key", b.Key, "attempt", job.Attempts, "next", next, "err", err)
		if err := r.q.Nack(job.ID, err, next); err != nil {
			return err
		}
	default:
		r.setError(t.Name, err.Error())
		log.Error("stock report refused: set aside", "key", b.Key, "items", len(b.Items), "err", err)
		all := make(map[string]string, len(b.Items))
		for _, it := range b.Items {
			all[it.SKU] = err.Error()
		}
		if err := r.recordItems(t.Name, b, all, now); err != nil {
			return err
		}
		if err := r.q.Kill(job.ID, err); err != nil {
			return err
		}
	}
	r.onChg()
	return nil
}

func backoff(attempts int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempts && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

func (r *Reporting) setError(target, msg string) {
	r.mu.Lock()
	r.health[target].LastError = truncate(msg)
	r.mu.Unlock()
	r.onChg()
}

func truncate(s string) string {
	if len(s) <= maxErrorLength {
		return s
	}
	cut := maxErrorLength
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// recordItems keeps the platform's verdict per SKU: refused SKUs get their
// reason, accepted ones lose an older error.
func (r *Reporting) recordItems(target string, b Batch, refused map[string]string, at time.Time) error {
	vals := make(map[string]string, len(b.Items))
	for _, it := range b.Items {
		k := Value{Kind: b.Kind, Store: b.LocalStore, SKU: it.SKU}.key()
		if msg, ok := refused[it.SKU]; ok {
			e, _ := json.Marshal(ItemError{Kind: b.Kind, Store: b.LocalStore, SKU: it.SKU, Error: truncate(msg), At: at})
			vals[k] = string(e)
		} else {
			vals[k] = ""
		}
	}
	return r.q.SetValues(errorSpace(target), vals)
}

// Health returns every target's health, in target order.
func (r *Reporting) Health() ([]Health, error) {
	var out []Health
	for _, t := range r.out.targets {
		r.mu.Lock()
		h := *r.health[t.Name]
		r.mu.Unlock()
		errs, err := r.q.GetValues(errorSpace(t.Name), "")
		if err != nil {
			return nil, err
		}
		for _, v := range errs {
			var e ItemError
			if json.Unmarshal([]byte(v), &e) == nil {
				h.Errors = append(h.Errors, e)
			}
		}
		slices.SortFunc(h.Errors, func(a, b ItemError) int {
			if c := b.At.Compare(a.At); c != 0 {
				return c
			}
			return strings.Compare(a.SKU, b.SKU)
		})
		if len(h.Errors) > maxItemErrors {
			h.Errors = h.Errors[:maxItemErrors]
		}
		jobs, err := r.q.List(queue.Filter{Printer: Lane(t.Name), States: []queue.State{queue.Pending, queue.Inflight}})
		if err != nil {
			return nil, err
		}
		for _, j := range jobs {
			var b Batch
			if json.Unmarshal(j.Payload, &b) == nil {
				h.Pending += len(b.Items)
			}
		}
		hv, err := r.q.GetValues(healthSpace(t.Name), "")
		if err != nil {
			return nil, err
		}
		h.CallsToday, _ = strconv.Atoi(hv["calls/"+cstDay(r.now())])
		if ts, err := time.Parse(time.RFC3339Nano, hv["resync"]); err == nil {
			h.LastResync = ts
		}
		out = append(out, h)
	}
	return out, nil
}

// resyncLoop reports every last value of t again each t.Resync, counting
// from the last resync recorded in the queue database.
func (r *Reporting) resyncLoop(ctx context.Context, t Target) {
	if t.Resync <= 0 {
		return
	}
	for {
		hv, err := r.q.GetValues(healthSpace(t.Name), "resync")
		if err != nil {
			r.log.Error("read resync time", "target", t.Name, "err", err)
			return
		}
		last, err := time.Parse(time.RFC3339Nano, hv["resync"])
		if err != nil {
			// Never resynced: count from now, the first values go out as changes anyway.
			last = r.now()
			if err := r.q.SetValues(healthSpace(t.Name), map[string]string{"resync": last.UTC().Format(time.RFC3339Nano)}); err != nil {
				r.log.Error("store resync time", "target", t.Name, "err", err)
				return
			}
		}
		wait := last.Add(t.Resync).Sub(r.now())
		if wait > 0 && !r.sleep(ctx, wait) {
			return
		}
		if ctx.Err() != nil {
			return
		}
		sum, err := r.out.Resync(t.Name)
		if err != nil {
			r.log.Error("scheduled resync failed", "target", t.Name, "err", err)
			if !r.sleep(ctx, time.Minute) {
				return
			}
			continue
		}
		r.log.Info("scheduled resync queued", "target", t.Name, "values", sum.Changed, "calls", sum.Jobs)
	}
}
