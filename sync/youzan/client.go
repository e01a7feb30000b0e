// Package youzan is the client of the Youzan Cloud (有赞云) open platform: the
// token of a self-built app, the order list youzan.trades.sold.get with its
// paging limits, the platform's error codes, and the mapping of a Youzan
// order onto order.Order.
package youzan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults and the platform's limits.
const (
	DefaultBaseURL = "https://open.youzanyun.com"
	DefaultVersion = "4.0.4"
	DefaultTimeout = 10 * time.Second

	PageSize = 100 // rows per page, the platform's maximum
	MaxPages = 100 // the last page the platform serves

	tokenMargin = 5 * time.Minute // stop using a token this long before it expires
	maxAnswer   = 32 << 20        // bytes read from one answer at most
)

// Config is one Youzan platform entry of the agent's configuration.
type Config struct {
	Name         string // the platform's config name, written into order.Order.Platform
	BaseURL      string // default DefaultBaseURL
	ClientID     string
	ClientSecret string
	GrantID      string       // kdt_id of the shop, for the silent grant
	Version      string       // youzan.trades.sold.get version, default DefaultVersion
	HTTPClient   *http.Client // nil: a client with a DefaultTimeout timeout
	Logger       *slog.Logger // nil: no logging
	Now          func() time.Time
}

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// Client calls the platform for one app and one shop. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	base string
	hc   *http.Client
	log  *slog.Logger
	now  func() time.Time

	mu      sync.Mutex // guards the fields below and serialises token fetches
	tok     string
	tokEnd  time.Time // the token is used until then
	refused string    // the last token the gateway refused
}

// New checks cfg and returns a client. Every missing or bad field is named
// in the error.
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
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case err != nil:
		bad("base_url", "%q is not a URL", cfg.BaseURL)
	case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		bad("base_url", "%q is not an http:// or https:// URL with a host", cfg.BaseURL)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		bad("base_url", "%q must not carry a query, fragment or user", cfg.BaseURL)
	}
	if strings.TrimSpace(cfg.ClientID) == "" {
		bad("client_id", "is empty")
	}
	if strings.TrimSpace(cfg.ClientSecret) == "" {
		bad("client_secret", "is empty")
	}
	if g := cfg.GrantID; g == "" {
		bad("grant_id", "is empty (it is the shop's kdt_id)")
	} else if !digits(g) {
		bad("grant_id", "%q is not a kdt_id (digits only)", g)
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	} else if !versionRE.MatchString(cfg.Version) {
		bad("version", "%q is not a version like 4.0.4", cfg.Version)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("youzan config %q: %w", cfg.Name, err)
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

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// token returns a token to call with, fetching one when there is none or the
// cached one is within tokenMargin of its expiry.
func (c *Client) token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.tok != "" && now.Before(c.tokEnd) {
		return c.tok, nil
	}
	// Ask for the shop's current token first: another copy of the agent using
	// the same app may just have renewed it, and forcing a new one would
	// revoke theirs. Force a new one only when the current one is the one that
	// was refused or is about to expire.
	stale := c.tok
	td, err := c.fetchToken(ctx, false)
	if err != nil {
		return "", err
	}
	refresh := td.AccessToken == c.refused || td.AccessToken == stale ||
		!now.Before(time.UnixMilli(td.Expires).Add(-tokenMargin))
	if refresh {
		if td, err = c.fetchToken(ctx, true); err != nil {
			return "", err
		}
	}
	c.tok, c.tokEnd, c.refused = td.AccessToken, time.UnixMilli(td.Expires).Add(-tokenMargin), ""
	if !now.Before(c.tokEnd) {
		c.log.Warn("youzan token expires within the safety margin", "expires", time.UnixMilli(td.Expires))
	}
	c.log.Debug("youzan token fetched", "refresh", refresh, "expires", time.UnixMilli(td.Expires))
	return c.tok, nil
}

// dropToken forgets tok after the gateway refused it.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == tok {
		c.tok, c.tokEnd = "", time.Time{}
	}
	c.refused = tok
}

func (c *Client) fetchToken(ctx context.Context, refresh bool) (*TokenData, error) {
	body, err := json.Marshal(TokenRequest{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret,
		AuthorizeType: "silent", GrantID: c.cfg.GrantID, Refresh: refresh})
	if err != nil {
		return nil, &APIError{API: apiToken, Err: fmt.Errorf("encode request: %w", err)}
	}
	status, answer, err := c.post(ctx, apiToken, c.base+"/auth/token", body)
	if err != nil {
		return nil, err
	}
	return decodeToken(status, answer)
}

// tradesSoldGet calls youzan.trades.sold.get once, renewing the token and
// calling again once if the gateway refuses the token.
func (c *Client) tradesSoldGet(ctx context.Context, p TradesSoldGetParams) (*TradesSoldGetData, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, &APIError{API: apiTradesSoldGet, Err: fmt.Errorf("encode request: %w", err)}
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, err
		}
		u := c.base + "/api/" + fullTradesSoldGet + "/" + c.cfg.Version + "?access_token=" + url.QueryEscape(tok)
		status, answer, err := c.post(ctx, apiTradesSoldGet, u, body)
		var d *TradesSoldGetData
		if err == nil {
			d, err = decodeTrades(status, answer)
		}
		var ae *APIError
		if err != nil && attempt == 0 && errors.As(err, &ae) && ae.tokenRefused() {
			c.log.Info("youzan token refused, renewing it", "code", ae.Code)
			c.dropToken(tok)
			continue
		}
		return d, err
	}
}

// post sends one JSON request and reads the whole answer. Transport errors
// come back as *APIError with the token removed from the URL.
func (c *Client) post(ctx context.Context, api, u string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, &APIError{API: api, Err: fmt.Errorf("build request: %w", scrub(err))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "storeedge")
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, &APIError{API: api, Err: scrub(err)}
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return 0, nil, &APIError{API: api, Err: fmt.Errorf("read answer: %w", scrub(err))}
	}
	if len(answer) > maxAnswer {
		return 0, nil, &APIError{API: api, Err: fmt.Errorf("answer is larger than %d MiB", maxAnswer>>20)}
	}
	c.log.Debug("youzan call", "api", api, "status", resp.StatusCode, "bytes", len(answer), "took", time.Since(start))
	return resp.StatusCode, answer, nil
}

// scrub removes the query string, where the token travels, from the URL in
// a transport error.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, q, ok := strings.Cut(ue.URL, "?")
		if ok && q != "" {
			u += "?access_token=(hidden)"
		}
		return &url.Error{Op: ue.Op, URL: u, Err: ue.Err}
	}
	return err
}

// checkStoreID checks an outlet id: the platform's offline_id is a Long.
func checkStoreID(s string) error {
	if !digits(s) {
		return fmt.Errorf("store id %q is not a Youzan outlet id (offline_id, digits only)", s)
	}
	if _, err := strconv.ParseInt(s, 10, 64); err != nil {
		return fmt.Errorf("store id %q is out of range for an outlet id", s)
	}
	return nil
}
