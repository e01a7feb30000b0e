package printer

import (
	"errors"
	"fmt"
	"time"

	"storeedge/queue"
	"storeedge/sync/order"
)

// AnyStore in a binding matches every store without a binding of its own.
const AnyStore = "*"

// Binding routes one ticket kind of one store (or of AnyStore) to printers.
type Binding struct {
	Store    string
	Kind     order.Kind
	Printers []string
	Copies   int    // copies on each printer, at least 1
	Backup   string // printer that takes over when one of Printers needs a person for too long
}

// EventKinds is the one table saying which ticket kinds an order event prints.
var EventKinds = map[order.Event][]order.Kind{
	order.EventNew:    {order.KindReceipt, order.KindKitchen},
	order.EventCancel: {order.KindCancel},
}

type bindingKey struct {
	store string
	kind  order.Kind
}

// Table is the binding table, checked once when built.
type Table struct {
	bindings []Binding
	byKey    map[bindingKey]Binding
}

// NewTable checks the bindings (a store and a known ticket kind, no
// duplicates, at least one printer and no printer twice, copies >= 1, a backup
// that is not one of the binding's own printers) and indexes them.
func NewTable(bs []Binding) (*Table, error) {
	t := &Table{byKey: make(map[bindingKey]Binding, len(bs))}
	var errs []error
	for i, b := range bs {
		k := bindingKey{b.Store, b.Kind}
		switch {
		case b.Store == "":
			errs = append(errs, fmt.Errorf("binding %d: no store", i))
		case !b.Kind.Valid():
			errs = append(errs, fmt.Errorf("binding %d: unknown ticket kind %q", i, b.Kind))
		case len(b.Printers) == 0:
			errs = append(errs, fmt.Errorf("binding %d (store %s, %s): no printers", i, b.Store, b.Kind))
		case b.Copies < 1:
			errs = append(errs, fmt.Errorf("binding %d (store %s, %s): copies %d < 1", i, b.Store, b.Kind, b.Copies))
		}
		seen := map[string]bool{}
		for _, p := range b.Printers {
			switch {
			case p == "":
				errs = append(errs, fmt.Errorf("binding %d (store %s, %s): empty printer name", i, b.Store, b.Kind))
			case seen[p]:
				errs = append(errs, fmt.Errorf("binding %d (store %s, %s): printer %q listed twice", i, b.Store, b.Kind, p))
			}
			seen[p] = true
		}
		if b.Backup != "" && seen[b.Backup] {
			errs = append(errs, fmt.Errorf("binding %d (store %s, %s): backup %q is one of the binding's printers", i, b.Store, b.Kind, b.Backup))
		}
		if _, dup := t.byKey[k]; dup {
			errs = append(errs, fmt.Errorf("binding %d: store %s ticket %s is bound twice", i, b.Store, b.Kind))
		}
		t.byKey[k] = b
		t.bindings = append(t.bindings, b)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// Bindings returns the table's bindings in their configured order.
func (t *Table) Bindings() []Binding { return append([]Binding(nil), t.bindings...) }

// Lookup finds the binding for a store and kind: the store's own, else AnyStore's.
func (t *Table) Lookup(store string, kind order.Kind) (Binding, bool) {
	if b, ok := t.byKey[bindingKey{store, kind}]; ok {
		return b, true
	}
	b, ok := t.byKey[bindingKey{AnyStore, kind}]
	return b, ok
}

// Target is one ticket copy on one printer.
type Target struct {
	Kind    order.Kind
	Printer string
	Copy    int // 1-based across the binding's printers
	Copies  int
}

// Targets lists every ticket copy an order event of a store prints.
func (t *Table) Targets(store string, ev order.Event) []Target {
	var out []Target
	for _, kind := range EventKinds[ev] {
		b, ok := t.Lookup(store, kind)
		if !ok {
			continue
		}
		total := len(b.Printers) * b.Copies
		n := 0
		for _, p := range b.Printers {
			for c := 0; c < b.Copies; c++ {
				n++
				out = append(out, Target{Kind: kind, Printer: p, Copy: n, Copies: total})
			}
		}
	}
	return out
}

// Jobs makes the queue jobs for an order event: one per target, with
// deterministic ids. An event no binding covers gives no jobs.
func (t *Table) Jobs(o *order.Order, ev order.Event, now time.Time) ([]queue.Job, error) {
	targets := t.Targets(o.StoreID, ev)
	jobs := make([]queue.Job, 0, len(targets))
	for _, tg := range targets {
		// Intended records the printer the binding chose, so that a job
		// moved to a backup can say where it was meant to print.
		p := Payload{Order: *o, Event: ev, Kind: tg.Kind, Copy: tg.Copy, Copies: tg.Copies, Intended: tg.Printer}
		b, err := p.Encode()
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, queue.Job{
			ID:       JobID(o, ev, tg.Kind, tg.Copy),
			Printer:  tg.Printer,
			Payload:  b,
			NextTry:  now,
			Enqueued: now,
		})
	}
	return jobs, nil
}

// Backup says where a waiting job should go when its printer has needed a
// person for too long: the backup of the binding that made it (found from the
// job's store and ticket kind), if it has one, it is not the job's own
// printer, and ready reports it able to print (nil: assume it is).
func (t *Table) Backup(job queue.Job, ready func(printer string) bool) (string, bool) {
	p, err := DecodePayload(job.Payload)
	if err != nil {
		return "", false
	}
	b, ok := t.Lookup(p.Order.StoreID, p.Kind)
	if !ok || b.Backup == "" || b.Backup == job.Printer {
		return "", false
	}
	if ready != nil && !ready(b.Backup) {
		return "", false
	}
	return b.Backup, true
}
