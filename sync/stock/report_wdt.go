package stock

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

	"storeedge/sync/wdt"
)

// Wangdiantong stock_sync_by_pd.php limits.
const (
	WDTMaxLines   = 500
	WDTDailyCalls = 2000
)

// WDTConfig configures a WDTReporter.
type WDTConfig struct {
	BaseURL    string // up to /openapi2 or /openapi; default wdt.DefaultBaseURL
	SID        string
	AppKey     string
	AppSecret  string
	DailyCalls int // default WDTDailyCalls
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
}

// WDTReporter pushes absolute stock into Wangdiantong warehouses with
// stock_sync_by_pd.php (创建盘点单). The batch key is the api_outer_no, so a
// repeated call is refused as a duplicate (21000006), which means it was
// applied before.
type WDTReporter struct {
	cfg WDTConfig
	hc  *http.Client
}

var _ Reporter = (*WDTReporter)(nil)

// NewWDTReporter checks cfg.
func NewWDTReporter(cfg WDTConfig) (*WDTReporter, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = wdt.DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wangdiantong: base url %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.SID == "" || cfg.AppKey == "" || cfg.AppSecret == "" {
		return nil, errors.New("wangdiantong: sid, appkey and appsecret are all needed")
	}
	if cfg.DailyCalls <= 0 {
		cfg.DailyCalls = WDTDailyCalls
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &WDTReporter{cfg: cfg, hc: hc}, nil
}

// Kinds implements Reporter: stock only.
func (w *WDTReporter) Kinds() []Kind { return []Kind{KindStock} }

// Limits implements Reporter.
func (w *WDTReporter) Limits() Limits {
	return Limits{MaxItems: WDTMaxLines, DailyCalls: w.cfg.DailyCalls}
}

// WDTError is a failed stock_sync_by_pd.php call.
type WDTError struct {
	Warehouse  string
	HTTPStatus int
	Code       int64
	Message    string
	Err        error
}

func (e *WDTError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wangdiantong stock_sync_by_pd.php for warehouse %s", e.Warehouse)
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.Code != 0 || e.Message != "" {
		fmt.Fprintf(&b, ": code %d %s", e.Code, e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

func (e *WDTError) Unwrap() error { return e.Err }

// Temporary implements Temporary.
func (e *WDTError) Temporary() bool {
	if e.Err != nil || e.HTTPStatus >= 500 || e.HTTPStatus == http.StatusTooManyRequests {
		return true
	}
	switch e.Code {
	case wdt.CodeSystemBusy, 1012, 1013, 1030, 1040, 1200, 1610:
		return true
	}
	return false
}

type wdtGoods struct {
	SpecNo   string          `json:"spec_no"`
	StockNum json.RawMessage `json:"stock_num"`
}

// Report implements Reporter.
func (w *WDTReporter) Report(ctx context.Context, b Batch) (map[string]string, error) {
	if b.Kind != KindStock {
		return nil, fmt.Errorf("wangdiantong takes no %q values", b.Kind)
	}
	if len(b.Items) == 0 || len(b.Items) > WDTMaxLines {
		return nil, fmt.Errorf("wangdiantong: %d lines, want 1 to %d", len(b.Items), WDTMaxLines)
	}
	goods := make([]wdtGoods, len(b.Items))
	for i, it := range b.Items {
		goods[i] = wdtGoods{SpecNo: it.SKU, StockNum: json.RawMessage(it.Num.String())}
	}
	gl, err := json.Marshal(goods)
	if err != nil {
		return nil, err
	}
	p := map[string]string{
		"sid": w.cfg.SID, "appkey": w.cfg.AppKey, "timestamp": strconv.FormatInt(w.cfg.Now().Unix(), 10),
		"warehouse_no": b.Store, "api_outer_no": b.Key, "goods_list": string(gl),
		"is_post_error": "1", // the lines the ERP knows are applied; the others come back in error_list
	}
	p["sign"] = wdt.Sign(p, w.cfg.AppSecret)
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	fail := func(status int, code int64, msg string, err error) (map[string]string, error) {
		return nil, &WDTError{Warehouse: b.Store, HTTPStatus: status, Code: code, Message: msg, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.BaseURL+"/stock_sync_by_pd.php", strings.NewReader(form.Encode()))
	if err != nil {
		return fail(0, 0, "", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := w.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fail(0, 0, "", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fail(resp.StatusCode, 0, "", fmt.Errorf("read answer: %w", err))
	}
	if resp.StatusCode != http.StatusOK {
		return fail(resp.StatusCode, 0, "", nil)
	}
	var a struct {
		Code      json.Number `json:"code"`
		Message   string      `json:"message"`
		ErrorList []struct {
			SpecNo string `json:"spec_no"`
			Error  string `json:"error"`
		} `json:"error_list"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.Code == "" {
		return fail(resp.StatusCode, 0, "", fmt.Errorf("answer is not the platform's JSON: %.200q", raw))
	}
	code, err := a.Code.Int64()
	if err != nil {
		return fail(resp.StatusCode, 0, a.Message, fmt.Errorf("answer code %s is not a whole number", a.Code))
	}
	switch code {
	case 0:
	case wdt.CodeDuplicateOuter:
		// The same api_outer_no was applied before (a repeat after a lost answer).
		return nil, nil
	default:
		return fail(resp.StatusCode, code, a.Message, nil)
	}
	refusals := make([][2]string, 0, len(a.ErrorList))
	for _, e := range a.ErrorList {
		refusals = append(refusals, [2]string{e.SpecNo, e.Error})
	}
	return verdicts(b, "wangdiantong", refusals)
}
