// Package wdt is the client of the Wangdiantong (旺店通) enterprise edition
// open API: signed form posts, trade_query.php by modified-time windows with
// the platform's paging rules, shop.php for store discovery, the platform's
// codes, a check of the PC's clock against the platform's, and the mapping of
// a Wangdiantong trade onto order.Order.
package wdt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults and the platform's limits.
const (
	DefaultBaseURL = "https://api.wangdian.cn/openapi2"
	DefaultMaxSpan = time.Hour // classic trade_query.php; the newer API allows 3 days
	MaxMaxSpan     = 72 * time.Hour
	DefaultTimeout = 15 * time.Second
	PageSize       = 100
	// Tolerance is how far the platform lets a request's timestamp be from
	// its own clock.
	Tolerance = 5 * time.Minute
	// clockLimit is the skew that stops the client: a minute short of the
	// platform's tolerance, since the platform's Date has one-second
	// precision and requests take time.
	clockLimit = Tolerance - time.Minute
	maxAnswer  = 32 << 20
	maxPages   = 10000
)

// Config is one Wangdiantong platform entry.
type Config struct {
	Name       string // config name, written into order.Order.Platform
	BaseURL    string // up to /openapi2 or /openapi; default DefaultBaseURL
	SID        string // seller account
	AppKey     string
	AppSecret  string
	MaxSpan    time.Duration // longest trade_query.php window; default DefaultMaxSpan
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
}

// Client calls the platform for one seller account. Safe for concurrent use.
type Client struct {
	cfg  Config
	base string
	hc   *http.Client
	log  *slog.Logger
	now  func() time.Time
}

// New checks cfg, naming every bad field.
func New(cfg Config) (*Client, error) {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if strings.TrimSpace(cfg.Name) == "" {
		bad("name", "is empty")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("base_url", "%q is not an http:// or https:// URL without query", cfg.BaseURL)
	}
	for _, f := range []struct{ name, v string }{{"sid", cfg.SID}, {"appkey", cfg.AppKey}, {"appsecret", cfg.AppSecret}} {
		if strings.TrimSpace(f.v) == "" {
			bad(f.name, "is empty")
		}
	}
	switch {
	case cfg.MaxSpan == 0:
		cfg.MaxSpan = DefaultMaxSpan
	case cfg.MaxSpan < time.Minute || cfg.MaxSpan > MaxMaxSpan:
		bad("max_span", "%s is outside 1m to %s", cfg.MaxSpan, MaxMaxSpan)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("wangdiantong config %q: %w", cfg.Name, err)
	}
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), hc: cfg.HTTPClient, log: cfg.Logger, now: cfg.Now}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: DefaultTimeout}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("platform", cfg.Name)
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// call posts one signed request to api ("trade_query.php") and returns the
// answer's body after checking its code; out receives the decoded answer.
func (c *Client) call(ctx context.Context, api string, params map[string]string, out any) error {
	all := make(map[string]string, len(params)+4)
	for k, v := range params {
		all[k] = v
	}
	all["sid"], all["appkey"] = c.cfg.SID, c.cfg.AppKey
	all["timestamp"] = strconv.FormatInt(c.now().Unix(), 10)
	all["sign"] = Sign(all, c.cfg.AppSecret)
	form := url.Values{}
	for k, v := range all {
		form.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+api, strings.NewReader(form.Encode()))
	if err != nil {
		return &APIError{API: api, Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "storeedge")
	sent := c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return &APIError{API: api, Err: err}
	}
	defer resp.Body.Close()
	if err := c.checkClock(resp.Header.Get("Date"), sent); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return &APIError{API: api, Err: fmt.Errorf("read answer: %w", err)}
	}
	if len(body) > maxAnswer {
		return &APIError{API: api, Err: fmt.Errorf("answer is larger than %d MiB", maxAnswer>>20)}
	}
	if resp.StatusCode != http.StatusOK {
		return &APIError{API: api, HTTPStatus: resp.StatusCode}
	}
	c.log.Debug("wangdiantong call", "api", api, "bytes", len(body))
	return decode(api, body, out)
}

// checkClock compares the platform's Date header with the PC's clock.
func (c *Client) checkClock(date string, sent time.Time) error {
	if date == "" {
		return nil
	}
	server, err := http.ParseTime(date)
	if err != nil {
		return nil // a proxy's odd header says nothing about the clock
	}
	skew := server.Sub(sent.Truncate(time.Second))
	if skew > clockLimit || skew < -clockLimit {
		return &ClockError{Skew: skew}
	}
	return nil
}

// decode reads an answer into out and turns a code other than 0 into an
// *APIError.
func decode(api string, body []byte, out any) error {
	var env envelope
	if err := unmarshal(body, &env); err != nil {
		return &APIError{API: api, Err: err}
	}
	if env.Code == nil {
		return &APIError{API: api, Err: errors.New("answer has no code")}
	}
	code, ok := env.Code.Int()
	if !ok {
		return &APIError{API: api, Err: fmt.Errorf("answer code %q is not a number", string(*env.Code))}
	}
	if code != CodeOK {
		return &APIError{API: api, Code: code, Message: env.Message}
	}
	if err := unmarshal(body, out); err != nil {
		return &APIError{API: api, Err: err}
	}
	return nil
}

// unmarshal is json.Unmarshal with plain-words errors.
func unmarshal(b []byte, v any) error {
	t := strings.TrimSpace(string(b))
	if t == "" {
		return errors.New("answer is empty")
	}
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && se.Offset >= int64(len(b)):
		return fmt.Errorf("answer is cut short after %d bytes: %w", len(b), err)
	case errors.As(err, &se) && t[0] != '{':
		if len(t) > 64 {
			t = strings.ToValidUTF8(t[:64], "") + "..."
		}
		return fmt.Errorf("answer is not JSON: %q", t)
	case errors.As(err, &se):
		return fmt.Errorf("answer is not valid JSON at byte %d: %w", se.Offset, err)
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("field %s: JSON %s where %s was expected", te.Field, te.Value, te.Type)
	}
	return fmt.Errorf("answer is not valid: %w", err)
}
