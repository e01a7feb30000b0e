// Package hiding is a client of the Hiding (海鼎) 鼎力云 inventory center's
// store endpoints: a store's stock (POST /{tenant_id}/invc/storeinvservice/
// store/{store_id}/invs) and a store's prices (POST /{tenant_id}/invc/
// storepriceservice/store/{store_id}/prices), with the field names of the
// platform's API document. Quantities and money are sent as exact decimal
// JSON numbers, never through a float.
package hiding

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"storeedge/decimal"
	"storeedge/sync/order"
)

// MaxItems is the most SKUs one store call may carry.
const MaxItems = 100

// DefaultTimeout bounds one call when Config.HTTPClient is nil.
const DefaultTimeout = 30 * time.Second

// Authentication schemes.
const (
	AuthBasic = "basic" // Authorization: Basic base64(authorization)
	AuthNone  = "none"  // no Authorization header (a gateway in front adds it)
)

// Config configures a Client.
type Config struct {
	BaseURL  string // up to, not including, the tenant id; http or https
	TenantID string
	// Authorization is the tenant's credential, "user:password" for Basic.
	Authorization string
	Auth          string // AuthBasic (default) or AuthNone
	Operator      string // the operator query parameter and body field; default "storeedge"
	HTTPClient    *http.Client
	Logger        *slog.Logger
}

// Client calls one tenant's inventory center. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
	log  *slog.Logger
}

// New checks cfg and makes a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hiding: base url %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.TenantID == "" || strings.ContainsAny(cfg.TenantID, "/?#") {
		return nil, fmt.Errorf("hiding: tenant id %q is empty or holds / ? #", cfg.TenantID)
	}
	switch cfg.Auth {
	case "":
		cfg.Auth = AuthBasic
	case AuthBasic, AuthNone:
	default:
		return nil, fmt.Errorf("hiding: unknown auth %q (basic or none)", cfg.Auth)
	}
	if cfg.Auth == AuthBasic && cfg.Authorization == "" {
		return nil, errors.New("hiding: basic auth needs an authorization")
	}
	if cfg.Operator == "" {
		cfg.Operator = "storeedge"
	}
	c := &Client{cfg: cfg, base: u, hc: cfg.HTTPClient, log: cfg.Logger}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// StockItem is one SKU's stock in a store (SkuQuantity).
type StockItem struct {
	SKU        string
	Available  decimal.Dec // available: 可用库存数
	ChangeTime time.Time   // change_time, sent as China Standard Time
	TaskID     string      // task_id: unique per SKU change; a repeat is not applied again
}

// PriceItem is one SKU's price in a store (SkuPrice).
type PriceItem struct {
	SKU        string
	Price      decimal.Dec // price: 商品零售价
	ChangeTime time.Time
	TaskID     string
}

// ItemError is a per-SKU error in an answer.
type ItemError struct {
	SKU     string `json:"sku_id"`
	ID      string `json:"id"` // some endpoints name the SKU id
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Result is the platform's answer to a successful call.
type Result struct {
	Code    string
	Message string
	Errors  []ItemError // SKUs the platform refused; the rest were applied
}

// APIError is a call that failed as a whole.
type APIError struct {
	Op         string // "store stock", "store prices"
	Store      string
	HTTPStatus int    // when not 200
	Code       string // the platform's code
	Message    string
	Err        error // transport or decoding failure
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hiding %s of store %s", e.Op, e.Store)
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.Code != "" || e.Message != "" {
		fmt.Fprintf(&b, ": %s %s", e.Code, e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.Err }

// Temporary tells whether the same call may succeed later: a transport
// failure, a timeout, throttling or a server error.
func (e *APIError) Temporary() bool {
	return e.Err != nil || e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
}

// Auth tells whether the credentials were refused.
func (e *APIError) Auth() bool {
	return e.HTTPStatus == http.StatusUnauthorized || e.HTTPStatus == http.StatusForbidden
}

type number decimal.Dec

func (n number) MarshalJSON() ([]byte, error) { return []byte(decimal.Dec(n).String()), nil }

type wireStock struct {
	SKU        string `json:"sku_id"`
	Available  number `json:"available"`
	ChangeTime string `json:"change_time,omitempty"`
	TaskID     string `json:"task_id,omitempty"`
}

type wirePrice struct {
	SKU        string `json:"sku_id"`
	Price      number `json:"price"`
	PriceMode  string `json:"price_mode"`
	Modified   string `json:"modified,omitempty"`
	Modifier   string `json:"modifier,omitempty"`
	ChangeTime string `json:"change_time,omitempty"`
	TaskID     string `json:"task_id,omitempty"`
}

// StockRequest is the body of a store stock call (SkuQuantityList).
type StockRequest struct {
	Operator     string      `json:"operator"`
	Skus         []wireStock `json:"skus"`
	BusinessType string      `json:"business_type"`
	BusinessKey  string      `json:"business_key"`
}

// PriceRequest is the body of a store prices call.
type PriceRequest struct {
	Skus []wirePrice `json:"skus"`
}

func cst(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return order.FormatCST(t)
}

func checkItems(n int) error {
	if n == 0 {
		return errors.New("no items")
	}
	if n > MaxItems {
		return fmt.Errorf("%d items, more than the %d one call may carry", n, MaxItems)
	}
	return nil
}

// UpdateStoreStock reports the available stock of items in a store.
// businessKey identifies the whole call; a repeat of the same key and task
// ids after a timeout is not applied twice.
func (c *Client) UpdateStoreStock(ctx context.Context, storeID, businessKey string, items []StockItem) (*Result, error) {
	if err := checkItems(len(items)); err != nil {
		return nil, fmt.Errorf("hiding store stock of store %s: %w", storeID, err)
	}
	body := StockRequest{Operator: c.cfg.Operator, BusinessType: "pos", BusinessKey: businessKey}
	for _, it := range items {
		body.Skus = append(body.Skus, wireStock{SKU: it.SKU, Available: number(it.Available), ChangeTime: cst(it.ChangeTime), TaskID: it.TaskID})
	}
	return c.post(ctx, "store stock", storeID, []string{c.cfg.TenantID, "invc", "storeinvservice", "store", storeID, "invs"}, body)
}

// UpdateStorePrices reports the retail prices of items in a store.
func (c *Client) UpdateStorePrices(ctx context.Context, storeID string, items []PriceItem) (*Result, error) {
	if err := checkItems(len(items)); err != nil {
		return nil, fmt.Errorf("hiding store prices of store %s: %w", storeID, err)
	}
	var body PriceRequest
	for _, it := range items {
		body.Skus = append(body.Skus, wirePrice{SKU: it.SKU, Price: number(it.Price), PriceMode: "price",
			Modified: cst(it.ChangeTime), Modifier: c.cfg.Operator, ChangeTime: cst(it.ChangeTime), TaskID: it.TaskID})
	}
	return c.post(ctx, "store prices", storeID, []string{c.cfg.TenantID, "invc", "storepriceservice", "store", storeID, "prices"}, body)
}

// answer is the platform's ActionResult, with StoreSkuError items.
type answer struct {
	Success *bool       `json:"success"`
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Errors  []ItemError `json:"errors"`
}

func (c *Client) post(ctx context.Context, op, store string, segments []string, body any) (*Result, error) {
	fail := func(status int, code, msg string, err error) (*Result, error) {
		return nil, &APIError{Op: op, Store: store, HTTPStatus: status, Code: code, Message: msg, Err: err}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fail(0, "", "", fmt.Errorf("encode request: %w", err))
	}
	u := *c.base
	rawPath := u.EscapedPath()
	for _, seg := range segments {
		u.Path += "/" + seg
		rawPath += "/" + url.PathEscape(seg)
	}
	u.RawPath = rawPath
	u.RawQuery = url.Values{"operator": {c.cfg.Operator}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(b))
	if err != nil {
		return fail(0, "", "", err)
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	if c.cfg.Auth == AuthBasic {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.cfg.Authorization)))
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return fail(0, "", "", scrub(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fail(resp.StatusCode, "", "", fmt.Errorf("read answer: %w", err))
	}
	c.log.Debug("hiding call", "op", op, "store", store, "status", resp.StatusCode, "bytes", len(b), "took", time.Since(start))
	var a answer
	decErr := json.Unmarshal(raw, &a)
	if resp.StatusCode != http.StatusOK {
		return fail(resp.StatusCode, a.Code, a.Message, nil)
	}
	if decErr != nil || a.Success == nil {
		return fail(resp.StatusCode, "", "", fmt.Errorf("answer is not an ActionResult: %.200q", raw))
	}
	for i := range a.Errors {
		if a.Errors[i].SKU == "" {
			a.Errors[i].SKU = a.Errors[i].ID
		}
	}
	if !*a.Success && len(a.Errors) == 0 {
		return fail(resp.StatusCode, a.Code, a.Message, nil)
	}
	return &Result{Code: a.Code, Message: a.Message, Errors: a.Errors}, nil
}

// scrub drops the URL from a transport error: it carries nothing secret
// today, but the message stays short and stable.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}
