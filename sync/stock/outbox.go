package stock

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"storeedge/decimal"
	"storeedge/queue"
)

// Target is one platform account the outbox reports to.
type Target struct {
	Name     string // the platform's config name; its lane is Lane(Name)
	Type     string // hiding, wdt, youzan (shown on the status page)
	Reporter Reporter
	// Stores maps a config store id to the platform's id for it (Hiding
	// store_id, Wangdiantong warehouse_no). Only these stores are reported.
	Stores map[string]string
	// Resync is the period of the full resync: every last value is
	// reported again. 0 = only on demand.
	Resync time.Duration
}

// Lane is the queue lane of a target's outbox jobs.
func Lane(target string) string { return "report/" + target }

// Key-value spaces in the queue database.
func lastSpace(target string) string   { return "stock/last/" + target }
func errorSpace(target string) string  { return "stock/errors/" + target }
func healthSpace(target string) string { return "stock/health/" + target }

const (
	metaSpace  = "stock/meta"
	keyInstall = "install"
	// keySeq, in a target's last-value space, counts its batches. It sorts
	// apart from value keys, which start with a kind.
	keySeq = "#seq"
)

// Outbox turns values into outbox jobs. Its methods are safe for
// concurrent use; Submit and Resync are serialised.
type Outbox struct {
	q       *queue.Queue
	targets []Target
	log     *slog.Logger
	now     func() time.Time
	install string
	onJob   func()

	mu sync.Mutex // serialises diff + enqueue
}

// OutboxOptions configure an Outbox.
type OutboxOptions struct {
	Queue   *queue.Queue
	Targets []Target
	Logger  *slog.Logger
	Now     func() time.Time
	OnJob   func() // called after jobs were enqueued (status page)
}

// NewOutbox makes an outbox. The first one on a queue database draws the
// database's install id, part of every idempotency key, so a fresh data
// directory never repeats a key a platform saw from an old one.
func NewOutbox(opt OutboxOptions) (*Outbox, error) {
	if opt.Queue == nil {
		return nil, errors.New("stock outbox: no queue")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.OnJob == nil {
		opt.OnJob = func() {}
	}
	seen := map[string]bool{}
	for i, t := range opt.Targets {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("stock outbox: target %d has no name", i)
		case seen[t.Name]:
			return nil, fmt.Errorf("stock outbox: target %q twice", t.Name)
		case t.Reporter == nil:
			return nil, fmt.Errorf("stock outbox: target %q has no reporter", t.Name)
		case t.Reporter.Limits().MaxItems <= 0:
			return nil, fmt.Errorf("stock outbox: target %q: reporter has no item limit", t.Name)
		}
		seen[t.Name] = true
	}
	meta, err := opt.Queue.GetValues(metaSpace, keyInstall)
	if err != nil {
		return nil, fmt.Errorf("stock outbox: %w", err)
	}
	install := meta[keyInstall]
	if install == "" {
		b := make([]byte, 4)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("stock outbox: draw install id: %w", err)
		}
		install = "se" + hex.EncodeToString(b)
		if err := opt.Queue.SetValues(metaSpace, map[string]string{keyInstall: install}); err != nil {
			return nil, fmt.Errorf("stock outbox: %w", err)
		}
	}
	return &Outbox{q: opt.Queue, targets: opt.Targets, log: opt.Logger, now: opt.Now, install: install, onJob: opt.OnJob}, nil
}

// Targets returns the outbox's targets.
func (o *Outbox) Targets() []Target { return slices.Clone(o.targets) }

// Summary tells what Submit or Resync did.
type Summary struct {
	Values  int // values given
	Changed int // value changes put in the outbox, over all targets
	Jobs    int // outbox jobs (platform calls) made
}

// Diff returns the values of cur whose canonical number differs from
// last (keyed as the outbox keys them), the last of each key winning when
// cur repeats one. all reports every value. The result is in cur's order.
func Diff(last map[string]string, cur []Value, all bool) []Value {
	keys := make([]string, len(cur))
	// Later values of a key win: remember each key's last index.
	lastIx := make(map[string]int, len(cur))
	for i := range cur {
		keys[i] = cur[i].key()
		lastIx[keys[i]] = i
	}
	out := make([]Value, 0, 16)
	for i := range cur {
		k := keys[i]
		if lastIx[k] != i {
			continue
		}
		if all || !sameNum(last[k], cur[i].Num) {
			out = append(out, cur[i])
		}
	}
	return out
}

// sameNum tells whether the stored canonical text s is n.
func sameNum(s string, n decimal.Dec) bool {
	if s == "" {
		return false
	}
	d, err := decimal.Parse(s)
	return err == nil && d.Cmp(n) == 0
}

// Submit puts the changes among vals in the outbox of every target that
// takes their store and kind. Values must pass Check.
func (o *Outbox) Submit(vals []Value) (Summary, error) {
	for i, v := range vals {
		if err := v.Check(); err != nil {
			return Summary{}, fmt.Errorf("value %d: %w", i, err)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	sum := Summary{Values: len(vals)}
	for _, t := range o.targets {
		n, jobs, err := o.submit(t, vals, false)
		if err != nil {
			return sum, err
		}
		sum.Changed += n
		sum.Jobs += jobs
	}
	return sum, nil
}

// Resync reports every last value of target again ("" = every target),
// whether it changed or not.
func (o *Outbox) Resync(target string) (Summary, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var sum Summary
	found := false
	for _, t := range o.targets {
		if target != "" && t.Name != target {
			continue
		}
		found = true
		last, err := o.q.GetValues(lastSpace(t.Name), "")
		if err != nil {
			return sum, fmt.Errorf("resync %s: %w", t.Name, err)
		}
		var vals []Value
		for k, s := range last {
			kind, store, sku, ok := splitKey(k)
			if !ok {
				continue
			}
			num, err := parseNum(s)
			if err != nil {
				o.log.Warn("stored last value unreadable: skipped in resync", "target", t.Name, "sku", sku, "err", err)
				continue
			}
			vals = append(vals, Value{Store: store, SKU: sku, Kind: kind, Num: num})
		}
		slices.SortFunc(vals, func(a, b Value) int { return cmp.Compare(a.key(), b.key()) })
		sum.Values += len(vals)
		n, jobs, err := o.submit(t, vals, true)
		if err != nil {
			return sum, err
		}
		sum.Changed += n
		sum.Jobs += jobs
		if err := o.q.SetValues(healthSpace(t.Name), map[string]string{"resync": o.now().UTC().Format(time.RFC3339Nano)}); err != nil {
			return sum, fmt.Errorf("resync %s: %w", t.Name, err)
		}
	}
	if !found {
		return sum, fmt.Errorf("resync: no platform reports stock under the name %q", target)
	}
	return sum, nil
}

// submit diffs vals against t's last values and enqueues the changes with
// the new last values in one transaction.
func (o *Outbox) submit(t Target, vals []Value, all bool) (changed, jobs int, err error) {
	kinds := t.Reporter.Kinds()
	mine := make([]Value, 0, len(vals))
	for _, v := range vals {
		if _, ok := t.Stores[v.Store]; ok && slices.Contains(kinds, v.Kind) {
			mine = append(mine, v)
		}
	}
	if len(mine) == 0 {
		return 0, 0, nil
	}
	last, err := o.q.GetValues(lastSpace(t.Name), "")
	if err != nil {
		return 0, 0, fmt.Errorf("report to %s: %w", t.Name, err)
	}
	ch := Diff(last, mine, all)
	if len(ch) == 0 {
		return 0, 0, nil
	}
	seq, _ := strconv.ParseUint(last[keySeq], 10, 64)
	batches := o.batches(t, ch, &seq, all)
	values := make(map[string]string, len(ch)+1)
	for _, v := range ch {
		values[v.key()] = v.Num.String()
	}
	values[keySeq] = strconv.FormatUint(seq, 10)
	qjobs := make([]queue.Job, 0, len(batches))
	for _, b := range batches {
		p, err := json.Marshal(b)
		if err != nil {
			return 0, 0, fmt.Errorf("report to %s: encode batch: %w", t.Name, err)
		}
		qjobs = append(qjobs, queue.Job{ID: Lane(t.Name) + "/" + b.Key, Printer: Lane(t.Name), Payload: p})
	}
	if _, err := o.q.EnqueueWithValues(lastSpace(t.Name), values, qjobs...); err != nil {
		return 0, 0, fmt.Errorf("report to %s: %w", t.Name, err)
	}
	o.log.Info("stock changes queued", "target", t.Name, "changes", len(ch), "calls", len(batches), "resync", all)
	o.onJob()
	return len(ch), len(batches), nil
}

// batches groups changes by kind and store, in SKU order, into batches of
// at most the target's item limit, numbering them from *seq+1.
func (o *Outbox) batches(t Target, ch []Value, seq *uint64, resync bool) []Batch {
	slices.SortStableFunc(ch, func(a, b Value) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Store, b.Store), cmp.Compare(a.SKU, b.SKU))
	})
	max := t.Reporter.Limits().MaxItems
	now := o.now()
	var out []Batch
	for i := 0; i < len(ch); {
		j := i
		for j < len(ch) && j-i < max && ch[j].Kind == ch[i].Kind && ch[j].Store == ch[i].Store {
			j++
		}
		*seq++
		key := fmt.Sprintf("%s-%08d", o.install, *seq)
		b := Batch{Target: t.Name, Kind: ch[i].Kind, Store: t.Stores[ch[i].Store], LocalStore: ch[i].Store,
			Key: key, Created: now, Resync: resync}
		for n, v := range ch[i:j] {
			at := v.At
			if at.IsZero() {
				at = now
			}
			b.Items = append(b.Items, Item{SKU: v.SKU, Num: v.Num, At: at, TaskID: fmt.Sprintf("%s-%03d", key, n+1)})
		}
		out = append(out, b)
		i = j
	}
	return out
}
