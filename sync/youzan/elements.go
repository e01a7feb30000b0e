package youzan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"

	"storeedge/sync/order"
)

// rawTrades is the data of a youzan.trades.sold.get answer with its orders
// left as JSON, one element each, to be decoded one by one (collector.add):
// on a busy day the windows overlap and most of a page is orders read
// unchanged the poll before, which need not be decoded again.
type rawTrades struct {
	TotalResults int64       `json:"total_results"`
	List         rawElements `json:"full_order_info_list"`
}

// rawElements are the elements of a JSON array, each a slice of the answer.
type rawElements [][]byte

// UnmarshalJSON implements json.Unmarshaler. The answer was checked to be
// valid JSON before this runs (json.Unmarshal checks the whole document
// first), so the array only has to be cut at its commas.
func (r *rawElements) UnmarshalJSON(b []byte) error {
	els, err := splitArray(b)
	if err != nil {
		return err
	}
	*r = els
	return nil
}

// splitArray returns the elements of the valid JSON array (or null) b, as
// slices of b.
func splitArray(b []byte) ([][]byte, error) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil, nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, fmt.Errorf("data.full_order_info_list is %.20s, not a list", b)
	}
	var out [][]byte
	i := 1
	for {
		i = skipSpace(b, i)
		if i >= len(b)-1 {
			return out, nil // "]"
		}
		end, err := valueEnd(b, i)
		if err != nil {
			return nil, err
		}
		out = append(out, b[i:end])
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns where the JSON value starting at b[i] ends.
func valueEnd(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			k, err := stringEnd(b, j)
			if err != nil {
				return 0, err
			}
			j = k - 1
			if depth == 0 {
				return k, nil
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j, nil // the end of a scalar at the end of the array
			}
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, errors.New("array is cut short")
}

// stringEnd returns the index after the closing quote of the string
// starting at b[i].
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errors.New("string is cut short")
}

// decodeEntry decodes element i of a page's full_order_info_list, with
// errors that name the element and field.
func decodeEntry(i int, raw []byte) (TradeEntry, error) {
	var e TradeEntry
	err := json.Unmarshal(raw, &e)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return e, nil
	case errors.As(err, &te) && te.Field != "":
		return e, fmt.Errorf("field data.full_order_info_list[%d].%s: JSON %s where %s was expected", i, te.Field, te.Value, te.Type)
	case errors.As(err, &te):
		return e, fmt.Errorf("data.full_order_info_list[%d]: JSON %s where %s was expected", i, te.Value, te.Type)
	}
	return e, fmt.Errorf("data.full_order_info_list[%d]: %w", i, err)
}

// entryResult is what one element of a page came to: an order of the
// store, an order that cannot be read, or an order of another store.
type entryResult struct {
	order   order.Order
	bad     *OrderError
	foreign bool
}

// elementCache remembers, per store, what each element of the store's last
// window came to, by its exact bytes. An element read again unchanged (the
// windows overlap) is not decoded again. Orders handed out share their
// items with earlier answers: they are read-only.
type elementCache struct {
	mu   sync.Mutex
	seed maphash.Seed
	last map[string]map[uint64][]cachedElement // by store: the elements of its last window
}

// storeElements is the cache as one window of a store reads it: the
// elements of the store's last window (prev, read only) and those of this
// window so far (cur).
type storeElements struct {
	seed      maphash.Seed
	prev, cur map[uint64][]cachedElement
	curN      int
}

type cachedElement struct {
	raw []byte // a slice of the answer it came in, kept as is
	res entryResult
}

// maxCachedElements caps the elements kept of one window: a window that
// catches up after a long stop can hold thousands.
const maxCachedElements = 1000

// begin starts a window of store.
func (c *elementCache) begin(store string) *storeElements {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string]map[uint64][]cachedElement{}
		c.seed = maphash.MakeSeed()
	}
	return &storeElements{seed: c.seed, prev: c.last[store], cur: map[uint64][]cachedElement{}}
}

// end closes a window of store: its elements are the ones the next window
// looks up (of a window cut short by an error, those it read).
func (c *elementCache) end(store string, s *storeElements) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last[store] = s.cur
}

// hash is the key of an element.
func (s *storeElements) hash(raw []byte) uint64 { return maphash.Bytes(s.seed, raw) }

// lookup returns what raw came to earlier in this window or in the last
// one, keeping it for the next.
func (s *storeElements) lookup(h uint64, raw []byte) (entryResult, bool) {
	for _, e := range s.cur[h] {
		if bytes.Equal(e.raw, raw) {
			return e.res, true
		}
	}
	for _, e := range s.prev[h] {
		if bytes.Equal(e.raw, raw) {
			// Kept as a slice of the newest answer, so that older answers
			// are let go.
			s.keep(h, cachedElement{raw: raw, res: e.res})
			return e.res, true
		}
	}
	return entryResult{}, false
}

// keep remembers an element for the next window.
func (s *storeElements) keep(h uint64, e cachedElement) {
	if s.curN >= maxCachedElements {
		return
	}
	s.cur[h] = append(s.cur[h], e)
	s.curN++
}
