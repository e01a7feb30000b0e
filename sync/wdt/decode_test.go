package wdt

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"storeedge/sync/order"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestNormalizeGolden(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "example.json"))
	if err != nil {
		t.Fatal(err)
	}
	var a TradeQueryAnswer
	if err := decode(APITradeQuery, body, &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Trades) != 1 || string(a.TotalCount) != "1" {
		t.Fatalf("decoded %d trades, total %q", len(a.Trades), a.TotalCount)
	}
	o, err := Normalize("wdt", a.Trades[0])
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(o, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "example.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("normalized order differs from %s:\n%s", path, got)
	}
}

func TestStatusTable(t *testing.T) {
	tests := []struct {
		status, refund string
		want           order.Status
	}{
		{"5", "0", order.StatusCancelled}, {"4", "", order.StatusCancelled}, {"10", "0", order.StatusPending},
		{"30", "0", order.StatusPaid}, {"55", "0", order.StatusPaid}, {"30", "3", order.StatusRefunded},
		{"30", "1", order.StatusPaid}, {"95", "3", order.StatusShipped}, {"110", "0", order.StatusCompleted},
		{"95.0000", "0", order.StatusShipped},
	}
	for _, tt := range tests {
		tr := Trade{TradeNo: "JY1", ShopNo: "S", TradeStatus: Text(tt.status), RefundStatus: Text(tt.refund), Modified: "2024-06-01 10:00:00"}
		o, err := Normalize("wdt", tr)
		if err != nil {
			t.Fatalf("%s/%s: %v", tt.status, tt.refund, err)
		}
		if o.Status != tt.want {
			t.Errorf("status %s refund %s: %s, want %s", tt.status, tt.refund, o.Status, tt.want)
		}
	}
}

func TestNormalizeErrors(t *testing.T) {
	good := func() Trade {
		return Trade{TradeNo: "JY1", ShopNo: "S", TradeStatus: "30", Modified: "2024-06-01 10:00:00",
			GoodsList: []Goods{{GoodsName: "卤蛋", Num: "1", OrderPrice: "3.5", ShareAmount: "3.5"}}}
	}
	tests := []struct {
		name  string
		edit  func(*Trade)
		field string
	}{
		{"no trade_no", func(t *Trade) { t.TradeNo = "" }, "trade_no"},
		{"slash", func(t *Trade) { t.TradeNo = "a/b" }, "trade_no"},
		{"no shop", func(t *Trade) { t.ShopNo = "" }, "shop_no"},
		{"unknown status", func(t *Trade) { t.TradeStatus = "77" }, "trade_status"},
		{"text status", func(t *Trade) { t.TradeStatus = "paid" }, "trade_status"},
		{"bad modified", func(t *Trade) { t.Modified = "2024/06/01" }, "modified"},
		{"bad trade_time", func(t *Trade) { t.TradeTime = "yesterday" }, "trade_time"},
		{"bad paid", func(t *Trade) { t.Paid = "1.2.3" }, "paid"},
		{"zero num", func(t *Trade) { t.GoodsList[0].Num = "0.0000" }, "goods_list[0].num"},
		{"no name", func(t *Trade) { t.GoodsList[0].GoodsName = " " }, "goods_list[0].goods_name"},
		{"bad price", func(t *Trade) { t.GoodsList[0].OrderPrice = "x" }, "goods_list[0].order_price"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := good()
			tt.edit(&tr)
			_, err := Normalize("wdt", tr)
			var oe *OrderError
			if !errors.As(err, &oe) || oe.Field != tt.field {
				t.Fatalf("error %v, want field %s", err, tt.field)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("message %q does not name the field", err)
			}
		})
	}
}

func TestDecodeAnswers(t *testing.T) {
	tests := []struct {
		name, body string
		code       int64
		temporary  bool
		msg        string
	}{
		{name: "ok", body: `{"code":0,"message":"","total_count":0,"trades":[]}`},
		{name: "code as string", body: `{"code":"0","trades":[]}`},
		{name: "span", body: `{"code":2180,"message":"时间跨度过大"}`, code: 2180, msg: "time span too large; lower max_span (2180): 时间跨度过大"},
		{name: "missing", body: `{"code":2900,"message":"时间范围与订单编号不能全部为空"}`, code: 2900, msg: "required parameter missing"},
		{name: "busy", body: `{"code":1020,"message":"系统异常，请稍后再试"}`, code: 1020, temporary: true},
		{name: "unknown code", body: `{"code":4242,"message":"奇怪"}`, code: 4242, msg: "奇怪 (4242)"},
		{name: "no code", body: `{"trades":[]}`, temporary: true, msg: "no code"},
		{name: "cut", body: `{"code":0,"trades":[{"trade_no":"J`, temporary: true, msg: "cut short"},
		{name: "html", body: `<html>502</html>`, temporary: true, msg: "not JSON"},
		{name: "empty", body: ``, temporary: true, msg: "empty"},
		{name: "wrong type", body: `{"code":0,"trades":{"a":1}}`, temporary: true, msg: "field trades"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a TradeQueryAnswer
			err := decode(APITradeQuery, []byte(tt.body), &a)
			if tt.code == 0 && tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if ae.Code != tt.code || ae.Temporary() != tt.temporary {
				t.Errorf("code %d temporary %v, want %d %v", ae.Code, ae.Temporary(), tt.code, tt.temporary)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q does not say %q", err, tt.msg)
			}
		})
	}
}

func FuzzDecodeTrades(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("testdata", "example.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(`{"code":0,"trades":[{"trade_no":"A","shop_no":"S","trade_status":"30","modified":"2024-06-01 10:00:00","goods_list":[{"goods_name":"x","num":"1","order_price":"1"}]}]}`))
	f.Add([]byte(`{"code":2180,"message":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var a TradeQueryAnswer
		if err := decode(APITradeQuery, body, &a); err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			return
		}
		for _, tr := range a.Trades {
			o, err := Normalize("wdt", tr)
			if err != nil {
				var oe *OrderError
				if !errors.As(err, &oe) {
					t.Fatalf("error %v is not an *OrderError", err)
				}
				continue
			}
			if err := o.Validate(); err != nil {
				t.Fatalf("normalized order does not validate: %v", err)
			}
		}
	})
}

func FuzzDecodeShops(f *testing.F) {
	f.Add([]byte(`{"code":0,"total_count":1,"shoplist":[{"shop_id":1,"shop_no":"S1","shop_name":"人民路店"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var a ShopAnswer
		if err := decode(APIShop, body, &a); err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *APIError", err)
			}
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "example.json"))
	if err != nil {
		b.Fatal(err)
	}
	var a TradeQueryAnswer
	if err := decode(APITradeQuery, body, &a); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Normalize("wdt", a.Trades[0]); err != nil {
			b.Fatal(err)
		}
	}
}
