package youzan

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"storeedge/decimal"
	"storeedge/sync/order"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// loadFixture decodes one saved trades.sold.get answer.
func loadFixture(t testing.TB, name string) *TradesSoldGetData {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "normalize", name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeTrades(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

// golden compares got with the golden file, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestNormalizeGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "normalize", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		n++
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			d := loadFixture(t, name)
			var out []order.Order
			for _, e := range d.FullOrderInfoList {
				o, err := Normalize("youzan", e.FullOrderInfo)
				if err != nil {
					t.Fatalf("Normalize: %v", err)
				}
				out = append(out, o)
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(f, ".json")+".golden.json", append(got, '\n'))
		})
	}
	if n < 3 {
		t.Fatalf("found %d fixtures, want at least 3", n)
	}
}

// TestNormalizeExample checks the reference's example field by field, so the
// golden file is not the only witness.
func TestNormalizeExample(t *testing.T) {
	d := loadFixture(t, "example.json")
	o, err := Normalize("yz-main", d.FullOrderInfoList[0].FullOrderInfo)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		field     string
		got, want any
	}{
		{"Platform", o.Platform, "yz-main"},
		{"ID", o.ID, "E20240101123456000000001"},
		{"StoreID", o.StoreID, "12345"},
		{"Status", o.Status, order.StatusPaid},
		{"Created", o.Created.UTC().Format("2006-01-02 15:04:05"), "2024-01-01 04:00:00"},
		{"Updated", order.FormatCST(o.Updated), "2024-01-01 12:01:00"},
		{"PaidAt", order.FormatCST(o.PaidAt), "2024-01-01 12:00:30"},
		{"ItemsTotal", o.ItemsTotal, decimal.MustParse("20")},
		{"Shipping", o.Shipping, decimal.Zero},
		{"Discount", o.Discount, decimal.MustParse("2")},
		{"Total", o.Total, decimal.MustParse("18")},
		{"Method", o.Fulfilment.Method, order.MethodPickup},
		{"Items", len(o.Items), 1},
		{"Item.SKU", o.Items[0].SKU, "P001-RED"},
		{"Item.Qty", o.Items[0].Qty, decimal.FromInt(2)},
		{"Item.Price", o.Items[0].Price, decimal.MustParse("10")},
		{"Item.Amount", o.Items[0].Amount, decimal.MustParse("18")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

// example returns the reference's example order, to be changed by a case.
func example(t testing.TB) FullOrderInfo {
	t.Helper()
	return loadFixture(t, "example.json").FullOrderInfoList[0].FullOrderInfo
}

func TestNormalizeStatus(t *testing.T) {
	tests := []struct {
		status string
		refund string
		want   order.Status
	}{
		{"WAIT_BUYER_PAY", "0", order.StatusPending},
		{"TRADE_PAID", "0", order.StatusPaid},
		{"WAIT_CONFIRM", "0", order.StatusPaid},
		{"WAIT_SELLER_SEND_GOODS", "0", order.StatusPaid},
		{"WAIT_SELLER_SEND_GOODS", "", order.StatusPaid},
		{"WAIT_BUYER_CONFIRM_GOODS", "0", order.StatusShipped},
		{"TRADE_SUCCESS", "0", order.StatusCompleted},
		{"TRADE_CLOSED", "0", order.StatusCancelled},
		{"TRADE_PAID", "1", order.StatusRefunded},
		{"WAIT_CONFIRM", "2", order.StatusRefunded},
		{"WAIT_SELLER_SEND_GOODS", "11", order.StatusRefunded},
		{"WAIT_SELLER_SEND_GOODS", "12", order.StatusRefunded},
		{"WAIT_BUYER_PAY", "1", order.StatusPending},
		{"WAIT_BUYER_CONFIRM_GOODS", "1", order.StatusShipped},
		{"TRADE_SUCCESS", "2", order.StatusCompleted},
		{"TRADE_CLOSED", "12", order.StatusCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.status+"/"+tt.refund, func(t *testing.T) {
			fo := example(t)
			fo.OrderInfo.Status, fo.OrderInfo.RefundState = tt.status, Long(tt.refund)
			o, err := Normalize("youzan", fo)
			if err != nil {
				t.Fatal(err)
			}
			if o.Status != tt.want {
				t.Errorf("status %s, refund_state %q: got %s, want %s", tt.status, tt.refund, o.Status, tt.want)
			}
		})
	}
	// Every main status has a row for both refund cases.
	for _, s := range Statuses {
		for _, r := range []bool{false, true} {
			if _, ok := statusTable[statusKey{s, r}]; !ok {
				t.Errorf("statusTable has no row for %s (refunding %v)", s, r)
			}
		}
	}
}

func TestNormalizeFulfilment(t *testing.T) {
	tests := []struct {
		express string
		want    string
	}{
		{"0", order.MethodExpress},
		{"1", order.MethodPickup},
		{"2", order.MethodDelivery},
		{"9", order.MethodNone},
	}
	for _, tt := range tests {
		fo := example(t)
		fo.OrderInfo.ExpressType = Long(tt.express)
		o, err := Normalize("youzan", fo)
		if err != nil {
			t.Fatal(err)
		}
		if o.Fulfilment.Method != tt.want {
			t.Errorf("express_type %s: method %q, want %q", tt.express, o.Fulfilment.Method, tt.want)
		}
	}
}

func TestNormalizeStoreFallback(t *testing.T) {
	tests := []struct {
		offline, node, want string
	}{
		{"12345", "98765432", "12345"},
		{"", "98765432", "98765432"},
		{"0", "98765432", "98765432"},
	}
	for _, tt := range tests {
		fo := example(t)
		fo.OrderInfo.OfflineID, fo.OrderInfo.NodeKdtID = Long(tt.offline), Long(tt.node)
		o, err := Normalize("youzan", fo)
		if err != nil {
			t.Fatal(err)
		}
		if o.StoreID != tt.want {
			t.Errorf("offline_id %q, node_kdt_id %q: store %q, want %q", tt.offline, tt.node, o.StoreID, tt.want)
		}
	}
}

func TestNormalizeErrors(t *testing.T) {
	const tid = "E20240101123456000000001"
	tests := []struct {
		name  string
		edit  func(*FullOrderInfo)
		field string
		tid   string
	}{
		{"bad payment", func(f *FullOrderInfo) { f.PayInfo.Payment = "18.x" }, "pay_info.payment", tid},
		{"missing payment", func(f *FullOrderInfo) { f.PayInfo.Payment = "" }, "pay_info.payment", tid},
		{"too precise total", func(f *FullOrderInfo) { f.PayInfo.TotalFee = "20.000001" }, "pay_info.total_fee", tid},
		{"bad post fee", func(f *FullOrderInfo) { f.PayInfo.PostFee = "免运费" }, "pay_info.post_fee", tid},
		{"bad line price", func(f *FullOrderInfo) { f.Orders[0].Price = "1e3" }, "orders[0].price", tid},
		{"bad line payment", func(f *FullOrderInfo) { f.Orders[0].Payment = "NaN" }, "orders[0].payment", tid},
		{"zero quantity", func(f *FullOrderInfo) { f.Orders[0].Num = "0" }, "orders[0].num", tid},
		{"fractional quantity", func(f *FullOrderInfo) { f.Orders[0].Num = "1.5" }, "orders[0].num", tid},
		{"empty title", func(f *FullOrderInfo) { f.Orders[0].Title = " " }, "orders[0].title", tid},
		{"bad spec json", func(f *FullOrderInfo) { f.Orders[0].SkuPropertiesName = `[{"k":"杯型"` }, "orders[0].sku_properties_name", tid},
		{"no tid", func(f *FullOrderInfo) { f.OrderInfo.TID = "" }, "order_info.tid", ""},
		{"slash in tid", func(f *FullOrderInfo) { f.OrderInfo.TID = "E1/2" }, "order_info.tid", "E1/2"},
		{"unknown status", func(f *FullOrderInfo) { f.OrderInfo.Status = "TRADE_LOST" }, "order_info.status", tid},
		{"empty status", func(f *FullOrderInfo) { f.OrderInfo.Status = "" }, "order_info.status", tid},
		{"bad refund state", func(f *FullOrderInfo) { f.OrderInfo.RefundState = "yes" }, "order_info.refund_state", tid},
		{"date without time", func(f *FullOrderInfo) { f.OrderInfo.Created = "2024-01-01" }, "order_info.created", tid},
		{"bad update time", func(f *FullOrderInfo) { f.OrderInfo.UpdateTime = "2024/01/01 12:00:00" }, "order_info.update_time", tid},
		{"bad pay time", func(f *FullOrderInfo) { f.OrderInfo.PayTime = "noon" }, "order_info.pay_time", tid},
		{"no store", func(f *FullOrderInfo) { f.OrderInfo.OfflineID, f.OrderInfo.NodeKdtID = "", "" }, "order_info.offline_id", tid},
		{"bad store", func(f *FullOrderInfo) { f.OrderInfo.OfflineID = "abc" }, "order_info.offline_id", tid},
		{"bad node", func(f *FullOrderInfo) { f.OrderInfo.OfflineID, f.OrderInfo.NodeKdtID = "", "x1" }, "order_info.node_kdt_id", tid},
		{"missing express type", func(f *FullOrderInfo) { f.OrderInfo.ExpressType = "" }, "order_info.express_type", tid},
		{"unknown express type", func(f *FullOrderInfo) { f.OrderInfo.ExpressType = "5" }, "order_info.express_type", tid},
		{"bad due", func(f *FullOrderInfo) {
			f.OrderInfo.ExpressType = "2"
			f.AddressInfo.DeliveryEndTime = "soon"
		}, "address_info.delivery_end_time", tid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fo := example(t)
			fo.Orders = append([]OrderLine(nil), fo.Orders...)
			tt.edit(&fo)
			_, err := Normalize("youzan", fo)
			if err == nil {
				t.Fatal("no error")
			}
			var oe *OrderError
			if !errors.As(err, &oe) {
				t.Fatalf("error %v is %T, want *OrderError", err, err)
			}
			if oe.TID != tt.tid || oe.Field != tt.field {
				t.Errorf("error names order %q field %q, want %q %q", oe.TID, oe.Field, tt.tid, tt.field)
			}
			if tt.tid != "" && !strings.Contains(err.Error(), tt.tid) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("message %q does not name the order and the field", err)
			}
		})
	}
}

func TestSpec(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"", "", false},
		{"大杯", "大杯", false},
		{"颜色:红色;尺寸:M", "颜色:红色;尺寸:M", false},
		{`[{"k":"杯型","k_id":1,"v":"大杯","v_id":2},{"k":"温度","v":"少冰"}]`, "大杯/少冰", false},
		{`[{"k":"杯型","v":""},{"k":"甜度","v":" 半糖 "}]`, "半糖", false},
		{`[]`, "", false},
		{`[{"k":1}]`, "", true},
		{`[oops`, "", true},
	}
	for _, tt := range tests {
		got, err := Spec(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("Spec(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	d := loadFixture(b, "delivery.json")
	fos := make([]FullOrderInfo, len(d.FullOrderInfoList))
	for i, e := range d.FullOrderInfoList {
		fos[i] = e.FullOrderInfo
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, fo := range fos {
			if _, err := Normalize("youzan", fo); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "orders/s")
}
