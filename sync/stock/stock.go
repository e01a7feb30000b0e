// Package stock reports a shop POS's stock and prices upstream, changes
// only and exactly once: sources (a watched folder of CSV and JSON files,
// a periodic SQL query, the local API) produce Values; the Outbox compares
// them with the last values put on their way to each platform, and writes
// the changes as durable outbox jobs together with the new last values in
// one queue transaction; one worker per platform leases the jobs and calls
// the platform's Reporter, with deterministic idempotency keys so that a
// call repeated after a timeout or a crash is never applied twice.
package stock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"storeedge/decimal"
)

// Kind is what a value measures.
type Kind string

// Kinds of values.
const (
	KindStock Kind = "stock" // available quantity
	KindPrice Kind = "price" // retail price in yuan
)

// Value is one SKU's stock or price in a store, as the POS knows it.
type Value struct {
	Store string // the store's id in the config ([[store]] id)
	SKU   string
	Kind  Kind
	Num   decimal.Dec
	At    time.Time // when the POS changed it; zero = when it was read
}

// key is the value's identity in the outbox's last-value space.
func (v Value) key() string { return string(v.Kind) + "\x00" + v.Store + "\x00" + v.SKU }

func splitKey(k string) (kind Kind, store, sku string, ok bool) {
	a, rest, ok1 := strings.Cut(k, "\x00")
	b, c, ok2 := strings.Cut(rest, "\x00")
	return Kind(a), b, c, ok1 && ok2
}

// Check reports what is wrong with v, naming the field.
func (v Value) Check() error {
	switch {
	case strings.TrimSpace(v.SKU) == "":
		return errors.New("sku is empty")
	case len(v.SKU) > 128:
		return fmt.Errorf("sku %.20q... is longer than 128 bytes", v.SKU)
	case strings.ContainsRune(v.SKU, 0) || strings.ContainsRune(v.Store, 0):
		return errors.New("sku or store holds a NUL character")
	case v.Store == "":
		return fmt.Errorf("sku %s: store is empty", v.SKU)
	case v.Kind != KindStock && v.Kind != KindPrice:
		return fmt.Errorf("sku %s: unknown kind %q", v.SKU, v.Kind)
	case v.Kind == KindPrice && v.Num.Sign() < 0:
		return fmt.Errorf("sku %s: price %s is negative", v.SKU, v.Num)
	}
	return nil
}

// Item is one SKU of a batch.
type Item struct {
	SKU    string      `json:"sku"`
	Num    decimal.Dec `json:"num"`
	At     time.Time   `json:"at"`
	TaskID string      `json:"task_id"` // unique per item and change: the batch key and the item's index
}

// Batch is one platform call's worth of changes: one kind, one store,
// within the platform's item limit. It is the payload of an outbox job.
type Batch struct {
	Target     string    `json:"target"`      // platform config name
	Kind       Kind      `json:"kind"`        //
	Store      string    `json:"store"`       // the platform's store (Hiding store_id, Wangdiantong warehouse_no)
	LocalStore string    `json:"local_store"` // the config's store id
	Key        string    `json:"key"`         // idempotency key of the call: business_key, api_outer_no
	Items      []Item    `json:"items"`
	Created    time.Time `json:"created"`
	Resync     bool      `json:"resync,omitempty"` // part of a full resync
}

// Limits are a platform's limits on reporting calls.
type Limits struct {
	MaxItems   int // items per call
	DailyCalls int // calls per China Standard Time day; 0 = no budget
}

// Reporter sends batches to one platform account.
type Reporter interface {
	// Kinds lists the kinds the platform takes.
	Kinds() []Kind
	Limits() Limits
	// Report sends b. A nil error means the call was accepted; refused
	// then names the SKUs the platform refused, with its reason. A call
	// that was applied before (the same key) is accepted, not an error.
	Report(ctx context.Context, b Batch) (refused map[string]string, err error)
}

// verdicts turns a platform's per-SKU refusals (SKU, reason) into the
// refused map of Report. A refusal of a SKU the call did not carry cannot
// be told apart from one of a SKU it did, so the whole answer is an error;
// a refusal without words gets some.
func verdicts(b Batch, platform string, refusals [][2]string) (map[string]string, error) {
	if len(refusals) == 0 {
		return nil, nil
	}
	sent := make(map[string]bool, len(b.Items))
	for _, it := range b.Items {
		sent[it.SKU] = true
	}
	refused := make(map[string]string, len(refusals))
	for _, r := range refusals {
		sku, why := r[0], strings.TrimSpace(r[1])
		if !sent[sku] {
			return nil, fmt.Errorf("%s store %s: the answer refuses SKU %q, which the call did not carry", platform, b.Store, sku)
		}
		if why == "" {
			why = "refused by " + platform + " without a reason"
		}
		refused[sku] = why
	}
	return refused, nil
}

// Temporary is implemented by errors that may go away by themselves
// (network, timeouts, throttling, server errors, the daily budget).
type Temporary interface{ Temporary() bool }

// IsTemporary tells whether err may succeed when tried again later.
func IsTemporary(err error) bool {
	var t Temporary
	if errors.As(err, &t) {
		return t.Temporary()
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// RetryAfter is implemented by errors that know when to try again.
type RetryAfter interface{ RetryAt() time.Time }
