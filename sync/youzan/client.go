// Package youzan is the client of the Youzan Cloud (有赞云) open platform: the
// tokens of a self-built app (one per shop kdt_id), the order list
// youzan.trades.sold.get with its paging limits in multi-outlet and retail
// chain shops, store discovery, the platform's error codes, and the mapping
// of a Youzan order onto order.Order.
package youzan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	skewWarn    = time.Minute     // a clock skew worth a warning
	maxAnswer   = 32 << 20        // bytes read from one answer at most
)

// Shop modes: how a store id names a store.
const (
	// ModeMultiOutlet is a micro-mall with outlets (多网点): one kdt_id,
	// each store an outlet offline_id.
	ModeMultiOutlet = "multi_outlet"
	// ModeChain is a retail chain (零售连锁): the HQ's kdt_id, and each
	// store a branch with its own kdt_id, shown on orders as node_kdt_id.
	ModeChain = "chain"
)

// Config is one Youzan platform entry of the agent's configuration.
type Config struct {
	Name         string // the platform's config name, written into order.Order.Platform
	BaseURL      string // default DefaultBaseURL
	ClientID     string
	ClientSecret string
	GrantID      string // kdt_id of the shop (multi-outlet) or of the chain's HQ, for the silent grant
	Mode         string // ModeMultiOutlet (default) or ModeChain
	// BranchGrants maps a chain branch (its kdt_id, the store id) to the
	// kdt_id whose token reads its orders: the branch's own kdt_id reads
	// them with the branch's own token. A branch not listed is read with
	// the HQ token (GrantID) and offline_id set to the branch's kdt_id.
	BranchGrants map[string]string
	Version      string       // youzan.trades.sold.get version, default DefaultVersion
	HTTPClient   *http.Client // nil: a client with a DefaultTimeout timeout
	Logger       *slog.Logger // nil: no logging
	Now          func() time.Time
}

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// Client calls the platform for one app and one shop or chain. It is safe
// for concurrent use.
type Client struct {
	cfg  Config
	base string
	hc   *http.Client
	log  *slog.Logger
	now  func() time.Time

	mu     sync.Mutex             // guards tokens and serialises token fetches
	tokens map[string]*tokenState // by grant_id (kdt_id)

	skew       atomic.Int64 // the platform's clock minus the PC's, from the last Date header, in ns
	skewWarned atomic.Bool

	elements elementCache // what the orders of each store's last window came to
}

// Skew is how far the platform's clock is ahead of the PC's (negative:
// behind), as its last answer's Date header told; 0 before any answer.
func (c *Client) Skew() time.Duration { return time.Duration(c.skew.Load()) }

// noteDate records the clock skew a Date header shows. sent and got are
// the PC's times around the call; the header has one-second precision, so
// skews within two seconds count as none.
func (c *Client) noteDate(date string, sent, got time.Time) {
	server, err := http.ParseTime(date)
	if err != nil {
		return // no header, or a proxy's odd one: says nothing of the clock
	}
	mid := sent.Add(got.Sub(sent) / 2)
	d := server.Sub(mid.Truncate(time.Second))
	if d > -2*time.Second && d < 2*time.Second {
		d = 0
	}
	c.skew.Store(int64(d))
	if d > skewWarn || d < -skewWarn {
		if !c.skewWarned.Swap(true) {
			c.log.Warn("the PC's clock differs from the platform's; set the PC's clock", "platform_ahead_by", d.Round(time.Second))
		}
	} else {
		c.skewWarned.Store(false)
	}
}

// tokenState is the token of one kdt_id.
type tokenState struct {
	tok     string
	end     time.Time // the token is used until then
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
	switch cfg.Mode {
	case "":
		cfg.Mode = ModeMultiOutlet
	case ModeMultiOutlet, ModeChain:
	default:
		bad("mode", "%q is not %q or %q", cfg.Mode, ModeMultiOutlet, ModeChain)
	}
	if len(cfg.BranchGrants) > 0 && cfg.Mode != ModeChain {
		bad("grant_id", "branch grants are only for mode %q", ModeChain)
	}
	for _, branch := range slices.Sorted(maps.Keys(cfg.BranchGrants)) {
		if g := cfg.BranchGrants[branch]; !digits(branch) || !digits(g) {
			bad("grant_id", "branch %q: grant %q is not a kdt_id (digits only)", branch, g)
		}
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	} else if !versionRE.MatchString(cfg.Version) {
		bad("version", "%q is not a version like 4.0.4", cfg.Version)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("youzan config %q: %w", cfg.Name, err)
	}
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), hc: cfg.HTTPClient, log: cfg.Logger, now: cfg.Now,
		tokens: map[string]*tokenState{}}
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

// token returns a token of grant (a kdt_id) to call with, fetching one when
// there is none or the cached one is within tokenMargin of its expiry.
func (c *Client) token(ctx context.Context, grant string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.tokens[grant]
	if ts == nil {
		ts = &tokenState{}
		c.tokens[grant] = ts
	}
	now := c.now()
	if ts.tok != "" && now.Before(ts.end) {
		return ts.tok, nil
	}
	// Ask for the shop's current token first: another copy of the agent using
	// the same app may just have renewed it, and forcing a new one would
	// revoke theirs. Force a new one only when the current one is the one that
	// was refused or is about to expire.
	stale := ts.tok
	td, err := c.fetchToken(ctx, grant, false)
	if err != nil {
		return "", err
	}
	refresh := td.AccessToken == ts.refused || td.AccessToken == stale ||
		!now.Before(time.UnixMilli(td.Expires).Add(-tokenMargin))
	if refresh {
		if td, err = c.fetchToken(ctx, grant, true); err != nil {
			return "", err
		}
	}
	ts.tok, ts.end, ts.refused = td.AccessToken, time.UnixMilli(td.Expires).Add(-tokenMargin), ""
	if !now.Before(ts.end) {
		c.log.Warn("youzan token expires within the safety margin", "grant_id", grant, "expires", time.UnixMilli(td.Expires))
	}
	c.log.Debug("youzan token fetched", "grant_id", grant, "refresh", refresh, "expires", time.UnixMilli(td.Expires))
	return ts.tok, nil
}

// dropToken forgets tok of grant after the gateway refused it.
func (c *Client) dropToken(grant, tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.tokens[grant]
	if ts == nil {
		return
	}
	if ts.tok == tok {
		ts.tok, ts.end = "", time.Time{}
	}
	ts.refused = tok
}

func (c *Client) fetchToken(ctx context.Context, grant string, refresh bool) (*TokenData, error) {
	body, err := json.Marshal(TokenRequest{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret,
		AuthorizeType: "silent", GrantID: grant, Refresh: refresh})
	if err != nil {
		return nil, &APIError{API: apiToken, Err: fmt.Errorf("encode request: %w", err)}
	}
	status, answer, err := c.post(ctx, apiToken, c.base+"/auth/token", body)
	if err != nil {
		return nil, err
	}
	td, err := decodeToken(status, answer)
	if err != nil && grant != c.cfg.GrantID {
		return nil, fmt.Errorf("token of kdt_id %s: %w", grant, err)
	}
	return td, err
}

// call calls one API with the token of grant, renewing the token and
// calling again once if the gateway refuses it. api is the short name used
// in errors, full the API's name and version its version.
func call[T any](ctx context.Context, c *Client, grant, api, full, version string, params any,
	decode func(status int, body []byte) (*T, error)) (*T, error) {
	body, err := json.Marshal(params)
	if err != nil {
		return nil, &APIError{API: api, Err: fmt.Errorf("encode request: %w", err)}
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx, grant)
		if err != nil {
			return nil, err
		}
		u := c.base + "/api/" + full + "/" + version + "?access_token=" + url.QueryEscape(tok)
		status, answer, err := c.post(ctx, api, u, body)
		var d *T
		if err == nil {
			d, err = decode(status, answer)
		}
		var ae *APIError
		if err != nil && attempt == 0 && errors.As(err, &ae) && ae.tokenRefused() {
			c.log.Info("youzan token refused, renewing it", "grant_id", grant, "code", ae.Code)
			c.dropToken(grant, tok)
			continue
		}
		return d, err
	}
}

// tradesSoldGet calls youzan.trades.sold.get once with the token of grant;
// the orders of the answer are left as JSON, one element each.
func (c *Client) tradesSoldGet(ctx context.Context, grant string, p TradesSoldGetParams) (*rawTrades, error) {
	return call(ctx, c, grant, apiTradesSoldGet, fullTradesSoldGet, c.cfg.Version, p, decodeRawTrades)
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
	start, sent := time.Now(), c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, &APIError{API: api, Err: scrub(err)}
	}
	defer resp.Body.Close()
	c.noteDate(resp.Header.Get("Date"), sent, c.now())
	answer, err := readAnswer(resp)
	if err != nil {
		return 0, nil, &APIError{API: api, Err: fmt.Errorf("read answer: %w", scrub(err))}
	}
	if len(answer) > maxAnswer {
		return 0, nil, &APIError{API: api, Err: fmt.Errorf("answer is larger than %d MiB", maxAnswer>>20)}
	}
	c.log.Debug("youzan call", "api", api, "status", resp.StatusCode, "bytes", len(answer), "took", time.Since(start))
	return resp.StatusCode, answer, nil
}

// readAnswer reads an answer's body, up to one byte more than maxAnswer,
// into a buffer sized by its Content-Length: a busy page is 200 KB, and
// growing a buffer to that size allocates twice as much again.
func readAnswer(resp *http.Response) ([]byte, error) {
	n := 16 << 10
	if cl := resp.ContentLength; cl >= 0 && cl <= maxAnswer {
		n = int(cl) + bytes.MinRead // room to see the end without growing
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxAnswer+1))
	return buf.Bytes(), err
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

// checkStoreID checks a store id: an outlet's offline_id or a branch's
// kdt_id, both a Long.
func (c *Client) checkStoreID(s string) error {
	what := "outlet id (offline_id)"
	if c.cfg.Mode == ModeChain {
		what = "chain branch id (the branch's kdt_id)"
	}
	if !digits(s) {
		return fmt.Errorf("store id %q is not a Youzan %s: digits only", s, what)
	}
	if _, err := strconv.ParseInt(s, 10, 64); err != nil {
		return fmt.Errorf("store id %q is out of range for a Youzan %s", s, what)
	}
	return nil
}
