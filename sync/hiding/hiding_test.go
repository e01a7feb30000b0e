package hiding

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"storeedge/decimal"
)

func TestUpdateStoreStockRequest(t *testing.T) {
	var got struct {
		path, query, auth, body string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.path, got.query, got.auth, got.body = r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), string(b)
		io.WriteString(w, `{"success":true,"code":"200","message":"ok"}`)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/dly/", TenantID: "t1", Authorization: "u:p"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	res, err := c.UpdateStoreStock(context.Background(), "门店 1", "bk-1", []StockItem{
		{SKU: "54654", Available: decimal.MustParse("155.125"), ChangeTime: at, TaskID: "bk-1-001"},
	})
	if err != nil || len(res.Errors) != 0 {
		t.Fatalf("%v %v", res, err)
	}
	if got.path != "/dly/t1/invc/storeinvservice/store/%E9%97%A8%E5%BA%97%201/invs" || got.query != "operator=storeedge" || got.auth != "Basic dTpw" {
		t.Errorf("request %+v", got)
	}
	want := `{"operator":"storeedge","skus":[{"sku_id":"54654","available":155.125,"change_time":"2026-03-01 08:00:00","task_id":"bk-1-001"}],"business_type":"pos","business_key":"bk-1"}`
	if got.body != want {
		t.Errorf("body\n%s\nwant\n%s", got.body, want)
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		refused   string
		wantErr   string
		temporary bool
		auth      bool
	}{
		{name: "per-sku errors", status: 200, body: `{"success":true,"errors":[{"sku_id":"A","code":"sku_not_found","message":"商品不存在"}]}`, refused: "A"},
		{name: "errors with id", status: 200, body: `{"success":false,"errors":[{"id":"B","code":"x","message":"y"}]}`, refused: "B"},
		{name: "refused call", status: 200, body: `{"success":false,"code":"500","message":"门店不存在"}`, wantErr: "hiding store prices of store s1: 500 门店不存在"},
		{name: "server error", status: 502, body: `bad gateway`, wantErr: "HTTP 502", temporary: true},
		{name: "unauthorized", status: 401, body: `{}`, wantErr: "HTTP 401", auth: true},
		{name: "not json", status: 200, body: `<html>`, wantErr: "answer is not an ActionResult", temporary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, _ := New(Config{BaseURL: srv.URL, TenantID: "t", Auth: AuthNone})
			res, err := c.UpdateStorePrices(context.Background(), "s1", []PriceItem{{SKU: "A", Price: decimal.MustParse("12.25"), TaskID: "k"}})
			if tt.wantErr != "" {
				var ae *APIError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ae) || ae.Temporary() != tt.temporary || ae.Auth() != tt.auth {
					t.Fatalf("err = %v, want %q temporary=%v auth=%v", err, tt.wantErr, tt.temporary, tt.auth)
				}
				return
			}
			if err != nil || len(res.Errors) != 1 || res.Errors[0].SKU != tt.refused {
				t.Fatalf("res %+v err %v", res, err)
			}
		})
	}
}

func TestLimitsAndConfig(t *testing.T) {
	c, _ := New(Config{BaseURL: "http://x", TenantID: "t", Auth: AuthNone})
	items := make([]StockItem, MaxItems+1)
	if _, err := c.UpdateStoreStock(context.Background(), "s", "k", items); err == nil || !strings.Contains(err.Error(), "101 items, more than the 100") {
		t.Errorf("101 items: %v", err)
	}
	for _, cfg := range []Config{{BaseURL: "ftp://x", TenantID: "t"}, {BaseURL: "http://x", TenantID: "a/b"}, {BaseURL: "http://x", TenantID: "t"}, {BaseURL: "http://x", TenantID: "t", Auth: "hmac"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
	var body PriceRequest
	_ = json.Unmarshal([]byte(`{}`), &body)
}
