// Package orderapi is the local order push API: POST /api/v1/orders lets a
// POS or mini-program on the shop's network hand over a normalized order,
// which goes through the same routing, queue and dedupe as the orders the
// agent pulls from the platforms. Every request carries an Idempotency-Key;
// the same key with the same body answers the first result again, the same
// key with another body is refused. A request from another machine needs
// the token.
package orderapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"storeedge/queue"
	"storeedge/sync/order"
	"storeedge/sync/orders"
)

// Route is the pattern the API is mounted at.
const Route = "POST /api/v1/orders"

// Platform is written into orders handed over without a platform.
const Platform = "local"

const (
	maxBody   = 1 << 20
	maxKeyLen = 128
)

// Queue is what the API needs of the queue.
type Queue interface {
	Enqueue(jobs ...queue.Job) ([]bool, error)
	HasPrefix(prefix string) (bool, error)
	Cursor(name string) (string, error)
	SetCursor(name, value string) error
}

// Options configure the API.
type Options struct {
	Queue       Queue
	Router      orders.Router
	EventPrefix func(*order.Order, order.Event) string
	// Store returns the configured name of a store id, and whether the
	// store is configured at all.
	Store func(id string) (name string, ok bool)
	// Token is required from clients that are not on this machine; without
	// it only loopback clients are served.
	Token    string
	Logger   *slog.Logger
	Now      func() time.Time
	OnChange func()
}

// API is the handler of POST /api/v1/orders.
type API struct {
	opt Options
	log *slog.Logger
	mu  sync.Mutex // one order at a time: idempotency checks and enqueues do not interleave
}

// New checks the options.
func New(opt Options) (*API, error) {
	if opt.Queue == nil || opt.Router == nil || opt.EventPrefix == nil || opt.Store == nil {
		return nil, errors.New("order API: queue, router, event prefix and store lookup are required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &API{opt: opt, log: opt.Logger.With("part", "order-api")}, nil
}

// Result is the answer to an accepted order.
type Result struct {
	OrderID  string   `json:"order_id"`
	StoreID  string   `json:"store_id"`
	Status   string   `json:"status"`
	Event    string   `json:"event,omitempty"` // new or cancel; empty when the status prints nothing
	Jobs     []string `json:"jobs"`            // print job ids
	Added    int      `json:"added"`           // jobs new to the queue (0 when seen before)
	Replayed bool     `json:"replayed"`        // the key was used before with this body
}

type problem struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func fail(w http.ResponseWriter, status int, format string, a ...any) {
	writeJSON(w, status, problem{Error: fmt.Sprintf(format, a...)})
}

// ServeHTTP handles one order.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	if !a.allowed(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="storeedge"`)
		if a.opt.Token == "" {
			fail(w, http.StatusForbidden, "the order API only serves this PC until a token is configured")
		} else {
			fail(w, http.StatusUnauthorized, "Authorization: Bearer <token> is required from another machine")
		}
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		fail(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json, not %q", r.Header.Get("Content-Type"))
		return
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if err := checkKey(key); err != nil {
		fail(w, http.StatusBadRequest, "Idempotency-Key header: %v", err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		fail(w, http.StatusBadRequest, "read body: %v", err)
		return
	}
	if len(body) > maxBody {
		fail(w, http.StatusRequestEntityTooLarge, "body is larger than %d KiB", maxBody>>10)
		return
	}
	res, status, err := a.accept(key, body)
	if err != nil {
		fail(w, status, "%v", err)
		return
	}
	writeJSON(w, status, res)
}

// allowed tells whether the client may call: loopback clients always,
// others with the token.
func (a *API) allowed(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return true
		}
	}
	if a.opt.Token == "" {
		return false
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	g, w := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256([]byte(a.opt.Token))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func checkKey(key string) error {
	switch {
	case key == "":
		return errors.New("is required (any unique text up to 128 characters, e.g. a UUID)")
	case len(key) > maxKeyLen:
		return fmt.Errorf("is %d bytes long, at most %d", len(key), maxKeyLen)
	}
	for _, c := range key {
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("%q holds a character other than printable ASCII", key)
		}
	}
	return nil
}

// record is what is kept for a key: the body's hash and the result.
type record struct {
	Sum    string `json:"sum"`
	Result Result `json:"result"`
}

func cursorName(key string) string { return "orderapi/" + key }

// accept handles one decoded request; the status is the HTTP status.
func (a *API) accept(key string, body []byte) (*Result, int, error) {
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	a.mu.Lock()
	defer a.mu.Unlock()
	prev, err := a.opt.Queue.Cursor(cursorName(key))
	if err != nil {
		return nil, http.StatusServiceUnavailable, fmt.Errorf("read idempotency record: %w", err)
	}
	if prev != "" {
		var rec record
		if err := json.Unmarshal([]byte(prev), &rec); err != nil {
			return nil, http.StatusInternalServerError, fmt.Errorf("idempotency record of key %q is damaged: %w", key, err)
		}
		if rec.Sum != hexSum {
			return nil, http.StatusConflict, fmt.Errorf("Idempotency-Key %q was used for another body (order %s); use a new key for a new request", key, rec.Result.OrderID)
		}
		rec.Result.Replayed, rec.Result.Added = true, 0
		return &rec.Result, http.StatusOK, nil
	}
	o, err := decode(body)
	if err != nil {
		return nil, http.StatusUnprocessableEntity, err
	}
	name, ok := a.opt.Store(o.StoreID)
	if !ok {
		return nil, http.StatusUnprocessableEntity, fmt.Errorf("order %s: store_id %q is not a configured [[store]]", o.ID, o.StoreID)
	}
	if o.StoreName == "" {
		o.StoreName = name
	}
	res := Result{OrderID: o.ID, StoreID: o.StoreID, Status: string(o.Status), Jobs: []string{}}
	ev, prints, err := orders.Decide(o, a.opt.Queue, a.opt.EventPrefix)
	if err != nil {
		return nil, http.StatusServiceUnavailable, err
	}
	if prints {
		res.Event = string(ev)
		jobs, err := a.opt.Router.Jobs(o, ev, a.opt.Now())
		if err != nil {
			return nil, http.StatusUnprocessableEntity, fmt.Errorf("order %s: %w", o.ID, err)
		}
		added, err := a.opt.Queue.Enqueue(jobs...)
		if err != nil {
			return nil, http.StatusServiceUnavailable, fmt.Errorf("order %s: enqueue: %w", o.ID, err)
		}
		for i, j := range jobs {
			res.Jobs = append(res.Jobs, j.ID)
			if added[i] {
				res.Added++
			}
		}
	}
	rec, _ := json.Marshal(record{Sum: hexSum, Result: res})
	if err := a.opt.Queue.SetCursor(cursorName(key), string(rec)); err != nil {
		// The jobs are durable and their ids deterministic: a retry with
		// the same key finds them and adds nothing.
		a.log.Warn("idempotency record not saved", "key", key, "err", err)
	}
	a.log.Info("order handed over", "order", o.ID, "store", o.StoreID, "status", o.Status, "event", res.Event, "added", res.Added)
	if res.Added > 0 && a.opt.OnChange != nil {
		a.opt.OnChange()
	}
	return &res, http.StatusCreated, nil
}

// decode reads the normalized order strictly; the platform defaults to
// "local".
func decode(body []byte) (*order.Order, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("body is empty; send the order as JSON")
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) == nil && probe != nil { // "null" leaves the map nil
		if _, ok := probe["platform"]; !ok {
			probe["platform"], _ = json.Marshal(Platform)
			body, _ = json.Marshal(probe)
		}
	}
	o, err := order.Decode(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("order: %w", err)
	}
	return o, nil
}
