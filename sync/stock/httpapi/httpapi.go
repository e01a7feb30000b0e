// Package httpapi serves the local API through which a POS pushes its
// stock and prices: POST /api/v1/stock, POST /api/v1/prices and POST
// /api/v1/stock/resync. The status server mounts the routes behind its
// host check and token.
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"storeedge/decimal"
	"storeedge/sync/stock"
)

// MaxBody is the largest request body read.
const MaxBody = 8 << 20

// MaxItems is the most items one request may carry.
const MaxItems = 100000

// Options configure the routes.
type Options struct {
	Outbox *stock.Outbox
	Stores []string // the configured store ids
	Logger *slog.Logger
	Now    func() time.Time
	// Resync, when set, runs on POST /api/v1/stock/resync besides the
	// outbox's resync (e.g. to query the SQL sources at once).
	Resync func()
}

// Routes returns the handlers keyed by ServeMux pattern.
func Routes(opt Options) map[string]http.Handler {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return map[string]http.Handler{
		"POST /api/v1/stock":        &valuesHandler{opt: opt, kind: stock.KindStock, field: "qty"},
		"POST /api/v1/prices":       &valuesHandler{opt: opt, kind: stock.KindPrice, field: "price"},
		"POST /api/v1/stock/resync": resyncHandler(opt),
	}
}

// Request is the body of POST /api/v1/stock and /api/v1/prices.
type Request struct {
	Store string `json:"store"` // default store of the items
	Items []struct {
		SKU   string `json:"sku"`
		Store string `json:"store"`
		Qty   Number `json:"qty"`   // /api/v1/stock
		Price Number `json:"price"` // /api/v1/prices
		At    string `json:"at"`    // optional RFC 3339 time of the change at the POS
	} `json:"items"`
}

// Number is a quantity or price written as a JSON number or string.
type Number string

// UnmarshalJSON keeps the number's text exactly as written.
func (n *Number) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = Number(strings.TrimSpace(s))
		if *n == "" {
			*n = `""`
		}
	default:
		*n = Number(b)
	}
	return nil
}

// Answer is the body of a successful answer.
type Answer struct {
	Values  int `json:"values"`  // values received
	Changes int `json:"changes"` // changes put on their way, over all platforms
	Calls   int `json:"calls"`   // platform calls queued
}

// Problem is the body of a refused request: every problem, by field.
type Problem struct {
	Error    string   `json:"error"`
	Problems []string `json:"problems,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type valuesHandler struct {
	opt   Options
	kind  stock.Kind
	field string
}

func (h *valuesHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, Problem{Error: "the body must be application/json"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, Problem{Error: "read body: " + err.Error()})
		return
	}
	if len(body) > MaxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, Problem{Error: fmt.Sprintf("body larger than %d MiB", MaxBody>>20)})
		return
	}
	vals, problems, err := h.decode(body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, Problem{Error: err.Error()})
		return
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, Problem{Error: fmt.Sprintf("%d bad items; nothing was taken", len(problems)), Problems: problems})
		return
	}
	sum, err := h.opt.Outbox.Submit(vals)
	if err != nil {
		h.opt.Logger.Error("local api: queue values", "err", err)
		writeJSON(w, http.StatusInternalServerError, Problem{Error: "could not queue the values: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, Answer{Values: len(vals), Changes: sum.Changed, Calls: sum.Jobs})
}

// decode reads a request; problems name each bad item's field.
func (h *valuesHandler) decode(body []byte) ([]stock.Value, []string, error) {
	var req Request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(body[:min(int(se.Offset), len(body))], []byte("\n"))
			return nil, nil, fmt.Errorf("JSON syntax error at line %d: %v", line, err)
		}
		return nil, nil, fmt.Errorf("body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("body: trailing data after the JSON object")
	}
	if len(req.Items) == 0 {
		return nil, nil, errors.New("items: no items")
	}
	if len(req.Items) > MaxItems {
		return nil, nil, fmt.Errorf("items: %d items, more than %d", len(req.Items), MaxItems)
	}
	now := h.opt.Now()
	var (
		vals     []stock.Value
		problems []string
	)
	bad := func(i int, format string, a ...any) {
		problems = append(problems, fmt.Sprintf("items[%d]", i)+": "+fmt.Sprintf(format, a...))
	}
	for i, it := range req.Items {
		store := it.Store
		if store == "" {
			store = req.Store
		}
		if store == "" {
			bad(i, "store: no store given (set store on the item or the request)")
			continue
		}
		if !slices.Contains(h.opt.Stores, store) {
			bad(i, "store: unknown store %q", store)
			continue
		}
		raw := it.Qty
		other := it.Price
		if h.kind == stock.KindPrice {
			raw, other = it.Price, it.Qty
		}
		if other != "" {
			bad(i, "%s: not taken here (stock goes to /api/v1/stock, prices to /api/v1/prices)", map[bool]string{true: "qty", false: "price"}[h.kind == stock.KindPrice])
			continue
		}
		if raw == "" {
			bad(i, "%s: missing", h.field)
			continue
		}
		num, err := decimal.Parse(string(raw))
		if err != nil {
			bad(i, "%s: %q is not a decimal number with at most %d places", h.field, string(raw), decimal.Places)
			continue
		}
		at := now
		if it.At != "" {
			if at, err = time.Parse(time.RFC3339, it.At); err != nil {
				bad(i, "at: %q is not an RFC 3339 time", it.At)
				continue
			}
		}
		v := stock.Value{Store: store, SKU: strings.TrimSpace(it.SKU), Kind: h.kind, Num: num, At: at}
		if err := v.Check(); err != nil {
			bad(i, "%v", err)
			continue
		}
		vals = append(vals, v)
	}
	return vals, problems, nil
}

func resyncHandler(opt Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.URL.Query().Get("reporter")
		if opt.Resync != nil {
			opt.Resync()
		}
		sum, err := opt.Outbox.Resync(target)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, Problem{Error: err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, Answer{Values: sum.Values, Changes: sum.Changed, Calls: sum.Jobs})
	})
}
