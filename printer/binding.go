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

// NewTable checks the bindings (no duplicates, at least one printer, copies >= 1)
// and indexes them.
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
		p := Payload{Order: *o, Event: ev, Kind: tg.Kind, Copy: tg.Copy, Copies: tg.Copies}
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
