package youzan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeTrades(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("testdata", "normalize", "example.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		status    int
		body      string
		orders    int    // on success
		code      int    // APIError.Code on failure
		http      int    // APIError.HTTPStatus on failure
		throttled bool   // APIError.Throttled
		auth      bool   // APIError.Auth
		temporary bool   // APIError.Temporary()
		msg       string // part of the error message
	}{
		{name: "example", status: 200, body: string(example), orders: 1},
		{name: "empty page", status: 200, body: `{"success":true,"code":200,"data":{"total_results":0}}`},
		{name: "string numbers", status: 200, body: `{"success":true,"code":200,"data":{"total_results":1,"full_order_info_list":[{"full_order_info":{"order_info":{"tid":"E1","offline_id":"12"}}}]}}`, orders: 1},
		{name: "token expired", status: 200, body: `{"gw_err_resp":{"err_code":4202,"err_msg":"access_token已过期","trace_id":"yz7-1"}}`,
			code: 4202, auth: true, msg: "youzan trades.sold.get: token expired (4202)"},
		{name: "token in header", status: 200, body: `{"gw_err_resp":{"err_msg":"非法的请求凭证","err_code":4201}}`,
			code: 4201, auth: true, msg: "token missing or not accepted (4201)"},
		{name: "unknown api", status: 200, body: `{"gw_err_resp":{"err_code":4005,"err_msg":"API不存在"}}`,
			code: 4005, msg: "unknown API or version (4005)"},
		{name: "throttled gateway", status: 200, body: `{"gw_err_resp":{"err_code":4101,"err_msg":"限流"}}`,
			code: 4101, throttled: true, temporary: true, msg: "throttled (4101)"},
		{name: "throttled short form", status: 200, body: `{"msg":"请求被限流","code":500100004}`,
			code: 500100004, throttled: true, temporary: true, msg: "throttled (500100004)"},
		{name: "throttled other form", status: 200, body: `{"code":123000042,"message":"too many"}`,
			code: 123000042, throttled: true, temporary: true},
		{name: "business error", status: 200, body: `{"success":false,"code":5000,"message":"订单不存在"}`,
			code: 5000, msg: "订单不存在 (5000)"},
		{name: "end too far", status: 200, body: `{"success":false,"code":106000003,"message":"x"}`,
			code: 106000003, msg: "end time is more than 7 days in the future (106000003)"},
		{name: "success true bad code", status: 200, body: `{"success":true,"code":500,"message":"boom"}`,
			code: 500, msg: "boom (500)"},
		{name: "cut short", status: 200, body: string(example[:len(example)/2]),
			temporary: true, msg: "cut short"},
		{name: "html", status: 200, body: "<html><body>Bad gateway</body></html>",
			temporary: true, msg: `not JSON: "<html>`},
		{name: "trailing data", status: 200, body: `{"success":true,"code":200,"data":{"total_results":0}} {}`,
			temporary: true, msg: "not valid JSON at byte"},
		{name: "empty body", status: 200, body: "", temporary: true, msg: "answer is empty"},
		{name: "no data", status: 200, body: `{"success":true,"code":200}`, temporary: true, msg: "without data"},
		{name: "null data", status: 200, body: `{"success":true,"code":200,"data":null}`, temporary: true, msg: "without data"},
		{name: "neither", status: 200, body: `{}`, temporary: true, msg: "neither success nor an error code"},
		{name: "wrong type", status: 200, body: `{"success":true,"code":200,"data":{"total_results":"many"}}`,
			temporary: true, msg: "total_results"},
		{name: "object for a number", status: 200, body: `{"success":true,"code":200,"data":{"total_results":1,"full_order_info_list":[{"full_order_info":{"order_info":{"offline_id":{}}}}]}}`,
			temporary: true, msg: "data.full_order_info_list[0].full_order_info.order_info.offline_id"},
		{name: "negative total", status: 200, body: `{"success":true,"code":200,"data":{"total_results":-1}}`,
			temporary: true, msg: "negative"},
		{name: "http 502", status: 502, body: "<html>bad gateway</html>", http: 502, temporary: true, msg: "HTTP 502 Bad Gateway"},
		{name: "http 503 json", status: 503, body: `{"gw_err_resp":{"err_code":4101,"err_msg":"x"}}`,
			code: 4101, http: 503, throttled: true, temporary: true},
		{name: "http 429", status: 429, body: "", http: 429, temporary: true},
		{name: "http 403 success", status: 403, body: `{"success":true,"code":200,"data":{}}`, http: 403, msg: "HTTP 403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decodeTrades(tt.status, []byte(tt.body))
			wantErr := tt.code != 0 || tt.http != 0 || tt.msg != "" || tt.temporary
			if !wantErr {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if len(d.FullOrderInfoList) != tt.orders {
					t.Fatalf("%d orders, want %d", len(d.FullOrderInfoList), tt.orders)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T), want *APIError", err, err)
			}
			if ae.Code != tt.code || ae.HTTPStatus != tt.http || ae.Throttled != tt.throttled || ae.Auth != tt.auth || ae.Temporary() != tt.temporary {
				t.Errorf("got code %d http %d throttled %v auth %v temporary %v; want %d %d %v %v %v",
					ae.Code, ae.HTTPStatus, ae.Throttled, ae.Auth, ae.Temporary(), tt.code, tt.http, tt.throttled, tt.auth, tt.temporary)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
			if ae.API != apiTradesSoldGet {
				t.Errorf("API %q", ae.API)
			}
		})
	}
}

func TestDecodeToken(t *testing.T) {
	tests := []struct {
		name string
		body string
		code int
		auth bool
		msg  string
	}{
		{name: "ok", body: `{"success":true,"code":200,"data":{"expires":1583720718116,"scope":"x","access_token":"774ae7b6","authority_id":"42583152"},"message":null}`},
		{name: "bad secret", body: `{"success":false,"code":1000,"message":"client_secret错误"}`, code: 1000, auth: true,
			msg: "youzan auth.token: client secret or request format rejected (1000)"},
		{name: "no client", body: `{"success":false,"code":1103,"message":"client_id不存在"}`, code: 1103, auth: true,
			msg: "(1103): client_id不存在"},
		{name: "no token", body: `{"success":true,"code":200,"data":{"expires":1583720718116}}`, msg: "access_token is empty"},
		{name: "no expiry", body: `{"success":true,"code":200,"data":{"access_token":"secret-token"}}`, msg: "data.expires"},
		{name: "cut short", body: `{"success":true,"code":200,"data":{"expires":1583720718116,"access_token":"774ae7`, msg: "cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			td, err := decodeToken(200, []byte(tt.body))
			if tt.msg == "" {
				if err != nil || td.AccessToken != "774ae7b6" || td.Expires != 1583720718116 || td.AuthorityID != "42583152" {
					t.Fatalf("got %+v, %v", td, err)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T), want *APIError", err, err)
			}
			if ae.Code != tt.code || ae.Auth != tt.auth {
				t.Errorf("code %d auth %v, want %d %v", ae.Code, ae.Auth, tt.code, tt.auth)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "774ae7") || strings.Contains(err.Error(), "secret-token") {
				t.Errorf("message %q quotes the token", err)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestAPIErrorTemporary(t *testing.T) {
	var _ net.Error = timeoutError{}
	tests := []struct {
		name string
		err  *APIError
		want bool
	}{
		{"throttled", newCodeError(apiTradesSoldGet, 4101, "", 200), true},
		{"expired token", newCodeError(apiTradesSoldGet, 4202, "", 200), false},
		{"no permission", newCodeError(apiTradesSoldGet, 4204, "", 200), false},
		{"system error", newCodeError(apiTradesSoldGet, 5001, "", 200), false},
		{"bad secret", newCodeError(apiToken, 1000, "", 200), false},
		{"http 500", &APIError{API: apiTradesSoldGet, HTTPStatus: 500}, true},
		{"http 404", &APIError{API: apiTradesSoldGet, HTTPStatus: 404}, false},
		{"timeout", &APIError{API: apiTradesSoldGet, Err: timeoutError{}}, true},
		{"deadline", &APIError{API: apiTradesSoldGet, Err: context.DeadlineExceeded}, true},
		{"cancelled", &APIError{API: apiTradesSoldGet, Err: fmt.Errorf("post: %w", context.Canceled)}, false},
	}
	for _, tt := range tests {
		if got := tt.err.Temporary(); got != tt.want {
			t.Errorf("%s: Temporary() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestScrub(t *testing.T) {
	c, err := New(Config{Name: "yz", BaseURL: "http://127.0.0.1:1", ClientID: "id", ClientSecret: "s3cr3t", GrantID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.post(context.Background(), apiTradesSoldGet, "http://127.0.0.1:1/api/x/1?access_token=tok-abc", []byte("{}"))
	if err == nil {
		t.Fatal("no error from a closed port")
	}
	if strings.Contains(err.Error(), "tok-abc") {
		t.Errorf("error %q shows the token", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || !ae.Temporary() {
		t.Errorf("error %v is not a temporary *APIError", err)
	}
}

func TestNewConfig(t *testing.T) {
	ok := Config{Name: "yz", ClientID: "id", ClientSecret: "secret", GrantID: "90001"}
	tests := []struct {
		name string
		edit func(*Config)
		msg  string
	}{
		{"ok", func(*Config) {}, ""},
		{"no name", func(c *Config) { c.Name = "" }, "name: is empty"},
		{"no client id", func(c *Config) { c.ClientID = "" }, "client_id: is empty"},
		{"no secret", func(c *Config) { c.ClientSecret = " " }, "client_secret: is empty"},
		{"no grant", func(c *Config) { c.GrantID = "" }, "grant_id: is empty"},
		{"bad grant", func(c *Config) { c.GrantID = "shop-1" }, `grant_id: "shop-1" is not a kdt_id`},
		{"bad url", func(c *Config) { c.BaseURL = "open.youzanyun.com" }, "base_url:"},
		{"ftp url", func(c *Config) { c.BaseURL = "ftp://open.youzanyun.com" }, "base_url:"},
		{"url with query", func(c *Config) { c.BaseURL = "https://x/?a=1" }, "base_url:"},
		{"bad version", func(c *Config) { c.Version = "v4" }, `version: "v4"`},
	}
	for _, tt := range tests {
		cfg := ok
		tt.edit(&cfg)
		_, err := New(cfg)
		switch {
		case tt.msg == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)):
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.msg)
		case err != nil && strings.Contains(err.Error(), "secret\""):
			t.Errorf("%s: error %v shows the secret", tt.name, err)
		}
	}
	// Every problem at once.
	_, err := New(Config{GrantID: "x"})
	for _, f := range []string{"name", "client_id", "client_secret", "grant_id"} {
		if err == nil || !strings.Contains(err.Error(), f+":") {
			t.Errorf("error %v does not name %s", err, f)
		}
	}
}

func FuzzDecodeTrades(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "normalize", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"gw_err_resp":{"err_code":4202,"err_msg":"x"}}`,
		`{"msg":"请求被限流","code":500100004}`,
		`{"success":false,"code":1,"message":"x"}`,
		`{"success":true,"code":200,"data":{"total_results":1,"full_order_info_list":[{"full_order_info":{"order_info":{"tid":"E1","status":"TRADE_SUCCESS","created":"2024-01-01 00:00:00","offline_id":1,"express_type":2},"pay_info":{"total_fee":1,"payment":"1"},"orders":[{"title":"a","num":1,"price":"1","payment":"1","sku_properties_name":"[{\"v\":\"x\"}]"}]}}]}}`,
		`<html>`, ``, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := DecodeTrades(body)
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is %T, want *APIError", err, err)
			}
			if err.Error() == "" {
				t.Fatal("empty message")
			}
			return
		}
		for _, e := range d.FullOrderInfoList {
			// A retail chain's order reads the same way, with the store
			// taken from the chain's fields.
			if oc, err := NormalizeChain("youzan", e.FullOrderInfo); err == nil {
				if err := oc.Validate(); err != nil {
					t.Fatalf("NormalizeChain returned an invalid order: %v", err)
				}
			} else if oe := (*OrderError)(nil); !errors.As(err, &oe) {
				t.Fatalf("NormalizeChain error %v is %T, want *OrderError", err, err)
			}
			o, err := Normalize("youzan", e.FullOrderInfo)
			if err != nil {
				var oe *OrderError
				if !errors.As(err, &oe) {
					t.Fatalf("Normalize error %v is %T, want *OrderError", err, err)
				}
				continue
			}
			if err := o.Validate(); err != nil {
				t.Fatalf("Normalize returned an invalid order: %v", err)
			}
			if o.ItemsTotal.Add(o.Shipping).Sub(o.Discount).Cmp(o.Total) != 0 {
				t.Fatalf("totals do not add up: %+v", o)
			}
		}
		// What was read survives a round trip through the wire types.
		b, err := json.Marshal(map[string]any{"success": true, "code": http.StatusOK, "data": d})
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		d2, err := DecodeTrades(b)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, b)
		}
		if len(d2.FullOrderInfoList) != len(d.FullOrderInfoList) || d2.TotalResults != d.TotalResults {
			t.Fatalf("round trip changed the page")
		}
	})
}
