// Package orders is the pull loop of one platform: it polls each configured
// store for orders updated in a window, decides which order events print,
// routes them to print jobs, makes them durable in the queue, and only then
// moves the store's cursor forward.
package orders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"storeedge/queue"
	"storeedge/sync/order"
)

// Source is a platform client: every order of a store updated within [from, to].
// It may return orders together with an error (some orders of the window could
// not be read): the orders returned are printed, and the error keeps the
// store's cursor where it is, so the unreadable ones are asked for again.
type Source interface {
	Orders(ctx context.Context, storeID string, from, to time.Time) ([]order.Order, error)
}

// PageSource is a Source that, reading a window that spans several pages
// of the platform's answer, hands the orders of each page to page as it
// arrives while more pages are still to be read. On a busy day a window
// spans pages, and the new orders of the first print without waiting for
// the calls that follow. The orders returned at the end are the whole
// window, as Orders returns them: an order handed over may come again, or
// updated. An error from page stops the reading and is returned.
type PageSource interface {
	OrdersByPage(ctx context.Context, storeID string, from, to time.Time, page func([]order.Order) error) ([]order.Order, error)
}

// Router turns an order event into print jobs (the binding table).
type Router interface {
	Jobs(o *order.Order, ev order.Event, now time.Time) ([]queue.Job, error)
}

// Queue is what the pull loop needs of the queue.
type Queue interface {
	Enqueue(jobs ...queue.Job) ([]bool, error)
	// EnqueueWithCursor enqueues jobs and moves cursor name to value in
	// one durable commit.
	EnqueueWithCursor(name, value string, jobs ...queue.Job) ([]bool, error)
	HasPrefix(prefix string) (bool, error)
	Cursor(name string) (string, error)
}

// Store is one store this platform polls.
type Store struct {
	ID   string
	Name string
	// Key is the id the platform knows the store by (a Wangdiantong
	// shop_no), when it is not ID. Orders come back carrying it and are
	// filed under ID.
	Key string
}

func (s Store) key() string {
	if s.Key != "" {
		return s.Key
	}
	return s.ID
}

// Options configure a Poller.
type Options struct {
	Platform string // the platform's config name
	Type     string
	Source   Source
	Stores   []Store
	Queue    Queue
	Router   Router
	Logger   *slog.Logger
	Now      func() time.Time
	Interval time.Duration // between polls; default 30 s
	Overlap  time.Duration // each window starts this far before the last one ended; default 2 m
	Lookback time.Duration // the first window of a store starts this far back; default 1 h
	MaxSpan  time.Duration // longest window asked in one go; default 24 h
	// StartSpread bounds the random wait before the first poll, so that
	// the agents of a chain started together (a power cut coming back, an
	// upgrade rolled out at once) do not poll the platform together; the
	// wait after the first poll then takes a random part of Interval, which
	// spreads their polls evenly over it. Default min(Interval/4, 5 s), so a
	// freshly started agent still prints at once; negative: no wait.
	StartSpread time.Duration
	// Rescan is how far back a periodic deeper poll reaches, every
	// RescanEvery, for orders the platform lists later than Overlap allows
	// for; dedupe keeps the re-read from printing twice. Defaults 30 m / 10 m.
	Rescan      time.Duration
	RescanEvery time.Duration
	OnChange    func()
	// EventPrefix gives the job id prefix of an order event, to tell whether
	// an order's tickets were made before it was cancelled.
	EventPrefix func(o *order.Order, ev order.Event) string
}

// Health is the platform's state for the status page.
type Health struct {
	State       string // starting, ok, error, backoff
	LastPoll    time.Time
	LastSuccess time.Time
	LastError   string
	OrdersSeen  int // distinct orders seen today (China Standard Time)
}

// Poller polls one platform.
type Poller struct {
	opt Options
	log *slog.Logger

	mu        sync.Mutex
	health    Health
	seenDay   string
	seen      map[string]struct{}
	rescanned map[string]time.Time // last deeper poll per store
	kick      chan struct{}

	// owned by Run
	failures  int                 // polls failed in a row
	throttles int                 // polls throttled in a row
	spread    bool                // the next success is the first: spread the wait after it
	int64n    func(n int64) int64 // random numbers in [0, n)
}

// Waits after the platform throttled the app: ThrottleWait, doubled for
// every throttled poll in a row up to ThrottleWaitMax, as the platform's
// documentation asks (3 s, 6 s, 12 s, 24 s, 48 s).
const (
	ThrottleWait    = 3 * time.Second
	ThrottleWaitMax = 48 * time.Second
)

// maxStartSpread caps the default StartSpread.
const maxStartSpread = 5 * time.Second

// Throttled reports whether err says the platform asked the app to slow
// down: an error in its chain has an IsThrottled method that says so.
func Throttled(err error) bool {
	var t interface{ IsThrottled() bool }
	return errors.As(err, &t) && t.IsThrottled()
}

// Trigger asks for a poll now instead of at the next interval (a push
// message said something changed). Triggers while a poll runs coalesce
// into one more poll.
func (p *Poller) Trigger() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// New checks the options and fills defaults.
func New(opt Options) (*Poller, error) {
	if opt.Platform == "" || opt.Source == nil || opt.Queue == nil || opt.Router == nil || opt.EventPrefix == nil {
		return nil, errors.New("orders poller: platform, source, queue, router and event prefix are required")
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
	def(&opt.Interval, 30*time.Second)
	def(&opt.Overlap, 2*time.Minute)
	def(&opt.Lookback, time.Hour)
	def(&opt.MaxSpan, 24*time.Hour)
	def(&opt.Rescan, 30*time.Minute)
	def(&opt.RescanEvery, 10*time.Minute)
	if opt.StartSpread == 0 {
		opt.StartSpread = min(opt.Interval/4, maxStartSpread)
	}
	return &Poller{
		opt:    opt,
		log:    opt.Logger.With("platform", opt.Platform),
		health: Health{State: "starting"},
		seen:   map[string]struct{}{},
		kick:   make(chan struct{}, 1),
		spread: opt.StartSpread > 0,
		int64n: rand.Int64N,
	}, nil
}

// Health returns the platform's current health.
func (p *Poller) Health() Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.health
}

// Run polls until ctx ends: first after a random part of StartSpread, then
// every Interval (with jitter) after a success, with exponential backoff
// after failures and the platform's own schedule after throttling. A
// Trigger polls at once, also before the first poll.
func (p *Poller) Run(ctx context.Context) error {
	if !p.sleep(ctx, p.startWait()) {
		return nil
	}
	for {
		err := p.PollOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := p.next(err)
		if err != nil {
			msg := "poll failed"
			if p.throttles > 0 {
				msg = "platform throttled the app; waiting as it asks"
			}
			p.log.Warn(msg, "err", err, "retry_in", wait.Round(time.Millisecond))
			p.update(func(h *Health) { h.State = "backoff" })
		}
		if !p.sleep(ctx, wait) {
			return nil
		}
	}
}

// sleep waits d, or less when a Trigger comes; false when ctx ended.
func (p *Poller) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-p.kick:
	}
	return true
}

// startWait is the wait before the first poll: a random part of
// StartSpread.
func (p *Poller) startWait() time.Duration {
	if p.opt.StartSpread <= 0 {
		return 0
	}
	return time.Duration(p.int64n(int64(p.opt.StartSpread)))
}

// next is the wait after a poll that ended with err.
func (p *Poller) next(err error) time.Duration {
	switch {
	case err == nil:
		p.failures, p.throttles = 0, 0
		if p.spread {
			// The first success: wait a random part of the interval (at
			// least a tenth, at most the usual jittered interval), so that
			// agents that started together poll at different moments from
			// now on, each keeping its own steady pace.
			p.spread = false
			return p.opt.Interval/10 + time.Duration(p.int64n(int64(p.opt.Interval)))
		}
		return p.jitter(p.opt.Interval)
	case Throttled(err):
		p.failures++
		p.throttles++
		return p.throttleWait()
	default:
		p.failures++
		p.throttles = 0
		return p.backoff()
	}
}

// throttleWait is the wait after the throttles-th throttled poll in a row,
// with up to 10% added so that agents throttled together do not come back
// together; never shorter than the platform asks.
func (p *Poller) throttleWait() time.Duration {
	d := ThrottleWait
	for i := 1; i < p.throttles && d < ThrottleWaitMax; i++ {
		d *= 2
	}
	d = min(d, ThrottleWaitMax)
	return d + time.Duration(p.int64n(int64(d)/10+1))
}

// PollOnce polls every store once. Each store's cursor moves only after the
// jobs of its window are durable in the queue. When the platform throttles
// the app the round stops there: the stores not polled yet wait for the
// next round rather than be refused too.
func (p *Poller) PollOnce(ctx context.Context) error {
	var errs []error
	for i, st := range p.opt.Stores {
		if err := p.pollStore(ctx, st); err != nil {
			errs = append(errs, fmt.Errorf("store %s: %w", st.ID, err))
			if Throttled(err) {
				if left := len(p.opt.Stores) - i - 1; left > 0 {
					errs = append(errs, fmt.Errorf("%d more stores not polled: the platform asked to slow down", left))
				}
				break
			}
		}
	}
	err := errors.Join(errs...)
	now := p.opt.Now()
	p.update(func(h *Health) {
		h.LastPoll = now
		if err != nil {
			h.State = "error"
			h.LastError = err.Error()
			return
		}
		h.State = "ok"
		h.LastSuccess = now
		h.LastError = ""
	})
	return err
}

func (p *Poller) cursorName(store string) string { return "orders/" + p.opt.Platform + "/" + store }

func (p *Poller) pollStore(ctx context.Context, st Store) error {
	now := p.opt.Now()
	from := now.Add(-p.opt.Lookback)
	cur, err := p.opt.Queue.Cursor(p.cursorName(st.ID))
	if err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	if cur != "" {
		last, err := time.Parse(time.RFC3339Nano, cur)
		if err != nil {
			return fmt.Errorf("cursor %q is not a time: %w", cur, err)
		}
		from = last.Add(-p.opt.Overlap)
		if last.After(now.Add(p.opt.Overlap)) {
			// The PC's clock went back behind the cursor (set by hand, a
			// dead CMOS battery): read the recent past again rather than
			// waiting for the clock to catch up with a time it never saw.
			p.log.Warn("clock is behind the last poll; re-reading recent orders",
				"store", st.ID, "cursor", cur, "now", now.UTC().Format(time.RFC3339))
			from = now.Add(-p.opt.Rescan)
		}
		if p.rescanDue(st.ID, now) {
			if deep := now.Add(-p.opt.Rescan); deep.Before(from) {
				from = deep
			}
		}
	}
	for from.Before(now) {
		to := now
		if to.Sub(from) > p.opt.MaxSpan {
			to = from.Add(p.opt.MaxSpan)
		}
		if err := p.pollWindow(ctx, st, from, to); err != nil {
			return err
		}
		if to.Equal(now) {
			break
		}
		from = to.Add(-p.opt.Overlap)
	}
	return nil
}

// rescanDue reports whether the store's periodic deeper poll is due now, and
// if so records it as done.
func (p *Poller) rescanDue(store string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rescanned == nil {
		p.rescanned = map[string]time.Time{}
	}
	last, ok := p.rescanned[store]
	if !ok {
		// The first poll after start already reaches back Overlap; count
		// the period from here.
		p.rescanned[store] = now
		return false
	}
	if now.Sub(last) < p.opt.RescanEvery {
		return false
	}
	p.rescanned[store] = now
	return true
}

// pollWindow reads the orders of st updated within [from, to], routes the
// ones that print and makes their jobs durable, and, when every order of
// the window was read, moves the store's cursor to to in the same commit.
// The pages of a window that spans several are routed and made durable as
// they arrive; the cursor still waits for the whole window.
func (p *Poller) pollWindow(ctx context.Context, st Store, from, to time.Time) error {
	w := &window{p: p, st: st, now: p.opt.Now()}
	defer func() {
		// Once per window, whatever stopped it: pages may have been
		// queued before an error.
		if w.added > 0 {
			p.log.Info("new print jobs", "store", st.ID, "jobs", w.added, "window_from", order.FormatCST(from), "window_to", order.FormatCST(to))
		}
	}()
	var (
		list   []order.Order
		srcErr error
	)
	if ps, ok := p.opt.Source.(PageSource); ok {
		list, srcErr = ps.OrdersByPage(ctx, st.key(), from, to, w.page)
	} else {
		list, srcErr = p.opt.Source.Orders(ctx, st.key(), from, to)
	}
	if srcErr != nil && len(list) == 0 {
		return srcErr
	}
	jobs, bad, err := w.route(list)
	if err != nil {
		return err
	}
	srcErr = errors.Join(append([]error{srcErr}, bad...)...)
	var added []bool
	switch {
	case srcErr == nil:
		// The whole window was read: its jobs become durable and the
		// cursor moves past it in the same commit, so the printers wait
		// for that one commit only.
		added, err = p.opt.Queue.EnqueueWithCursor(p.cursorName(st.ID), to.UTC().Format(time.RFC3339Nano), jobs...)
	case len(jobs) > 0:
		// Part of it could not be read: what was read prints, and the
		// cursor stays, so the rest is asked for again.
		added, err = p.opt.Queue.Enqueue(jobs...)
	}
	if err != nil {
		return fmt.Errorf("enqueue %d jobs and save cursor: %w", len(jobs), err)
	}
	if n := countTrue(added); n > 0 {
		w.added += n
		p.changed()
	}
	return srcErr
}

// window is the routing of one window's orders.
type window struct {
	p         *Poller
	st        Store
	now       time.Time
	sentEarly bool // the first order to print went ahead in a commit of its own
	added     int  // jobs made durable so far
}

// page routes the orders of one page of a window that has more to read
// and makes their jobs durable at once, without the cursor. Bad orders are
// left to the routing of the whole window, which reports them.
func (w *window) page(list []order.Order) error {
	jobs, _, err := w.route(list)
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		return nil
	}
	added, err := w.p.opt.Queue.Enqueue(jobs...)
	if err != nil {
		return fmt.Errorf("enqueue %d jobs: %w", len(jobs), err)
	}
	if n := countTrue(added); n > 0 {
		w.added += n
		w.sentEarly = true // these went ahead of the rest of the window
		w.p.changed()
	}
	return nil
}

// route decides which of list print and returns their jobs, skipping the
// events whose jobs exist already; bad lists the orders that cannot print
// as sent. The first order to print goes to the queue at once, in a commit
// of its own, unless it is the last of list.
func (w *window) route(list []order.Order) (jobs []queue.Job, bad []error, err error) {
	p, st := w.p, w.st
	for i := range list {
		o := &list[i]
		if st.Key != "" && o.StoreID == st.Key {
			o.StoreID = st.ID
		}
		if o.StoreID != st.ID {
			// A platform answering with another store's order is a filter
			// failure upstream: never print it on this store's printers.
			p.log.Warn("order of another store ignored", "order", o.ID, "store", o.StoreID, "want", st.ID)
			continue
		}
		if o.StoreName == "" {
			o.StoreName = st.Name
		}
		if err := o.Validate(); err != nil {
			// Unprintable as sent: reported, and asked for again next poll
			// since the cursor stays; the other orders still print.
			bad = append(bad, fmt.Errorf("platform sent a bad order: %w", err))
			continue
		}
		p.markSeen(o)
		ev, ok, err := Decide(o, p.opt.Queue, p.opt.EventPrefix)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		// An order seen again (the windows overlap) whose event already
		// has its jobs is skipped before its tickets are built: on a busy
		// day most of every answer was printed before, and the new orders
		// should not wait for the old ones to be encoded again.
		if known, err := p.opt.Queue.HasPrefix(p.opt.EventPrefix(o, ev)); err != nil {
			return nil, nil, fmt.Errorf("order %s: %w", o.ID, err)
		} else if known {
			continue
		}
		js, err := p.opt.Router.Jobs(o, ev, w.now)
		if err != nil {
			return nil, nil, fmt.Errorf("order %s: %w", o.ID, err)
		}
		if !w.sentEarly && len(js) > 0 && i < len(list)-1 {
			// The first order to print goes to the printers at once, in a
			// commit of its own: the rest of the answer (a burst of fifty
			// orders, say) is built and committed with the cursor after
			// it. The cursor stays until then, so a stop in between only
			// asks for the window again, and dedupe keeps this order once.
			w.sentEarly = true
			added, err := p.opt.Queue.Enqueue(js...)
			if err != nil {
				return nil, nil, fmt.Errorf("order %s: enqueue %d jobs: %w", o.ID, len(js), err)
			}
			if n := countTrue(added); n > 0 {
				w.added += n
				p.changed()
			}
			continue
		}
		jobs = append(jobs, js...)
	}
	return jobs, bad, nil
}

// Decide is the one table from an order's status to the event that prints:
// paid orders print their tickets; an order cancelled or refunded after its
// tickets were made prints a cancel ticket; every other status is only
// seen (ok false). Every source of orders (the pull loops, the local push
// API) decides through it.
func Decide(o *order.Order, q interface{ HasPrefix(string) (bool, error) }, prefix func(*order.Order, order.Event) string) (order.Event, bool, error) {
	switch o.Status {
	case order.StatusPaid:
		return order.EventNew, true, nil
	case order.StatusCancelled, order.StatusRefunded:
		had, err := q.HasPrefix(prefix(o, order.EventNew))
		if err != nil {
			return "", false, fmt.Errorf("order %s: %w", o.ID, err)
		}
		return order.EventCancel, had, nil
	}
	return "", false, nil
}

func (p *Poller) markSeen(o *order.Order) {
	day := p.opt.Now().In(order.CST).Format(time.DateOnly)
	p.mu.Lock()
	if day != p.seenDay {
		p.seenDay, p.seen = day, map[string]struct{}{}
	}
	p.seen[o.ID] = struct{}{}
	p.health.OrdersSeen = len(p.seen)
	p.mu.Unlock()
}

func (p *Poller) update(f func(*Health)) {
	p.mu.Lock()
	before := p.health
	f(&p.health)
	changed := before != p.health
	p.mu.Unlock()
	if changed {
		p.changed()
	}
}

func (p *Poller) changed() {
	if p.opt.OnChange != nil {
		p.opt.OnChange()
	}
}

func (p *Poller) jitter(d time.Duration) time.Duration {
	// +-10% so many stores polling the same platform spread out
	span := int64(d) / 5
	if span <= 0 {
		return d
	}
	return d - time.Duration(span/2) + time.Duration(p.int64n(span))
}

func (p *Poller) backoff() time.Duration {
	d := p.opt.Interval
	for i := 1; i < p.failures && d < 5*time.Minute; i++ {
		d *= 2
	}
	if d > 5*time.Minute {
		d = 5 * time.Minute
	}
	return p.jitter(d)
}

// countTrue counts the jobs an enqueue added.
func countTrue(added []bool) int {
	n := 0
	for _, a := range added {
		if a {
			n++
		}
	}
	return n
}
