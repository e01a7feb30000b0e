package order

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const good = `{
  "platform": "youzan", "store_id": "1001", "id": "E20240101000001",
  "status": "paid", "created": "2024-01-01T12:00:00+08:00", "updated": "2024-01-01T12:01:00+08:00",
  "items": [{"name": "珍珠奶茶", "spec": "大杯", "qty": "2", "price": "12.50", "amount": "25.00"}],
  "items_total": "25.00", "shipping": "0", "discount": "0", "total": "25.00",
  "fulfilment": {"method": "pickup"}
}`

func TestDecode(t *testing.T) {
	o, err := DecodeBytes([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if o.Items[0].Name != "珍珠奶茶" || o.Total.Fixed(2) != "25.00" {
		t.Fatalf("decoded %+v", o)
	}
	if got := FormatCST(o.Created); got != "2024-01-01 12:00:00" {
		t.Fatalf("created in CST = %s", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown field", strings.Replace(good, `"status"`, `"colour": 1, "status"`, 1), `unknown field "colour"`},
		{"bad status", strings.Replace(good, `"paid"`, `"done"`, 1), `status: "done" is not one of`},
		{"no id", strings.Replace(good, `"E20240101000001"`, `""`, 1), `id: is empty`},
		{"slash in id", strings.Replace(good, `"E20240101000001"`, `"a/b"`, 1), `contains '/'`},
		{"bad qty", strings.Replace(good, `"qty": "2"`, `"qty": "0"`, 1), `items[0].qty: 0 is not positive`},
		{"bad money", strings.Replace(good, `"total": "25.00"`, `"total": "25,00"`, 1), `not a decimal number`},
		{"syntax", strings.Replace(good, `"paid",`, `"paid"`, 1), `line 3, column`},
		{"no method", strings.Replace(good, `"pickup"`, `""`, 1), `fulfilment.method: is empty`},
		{"trailing", good + "{}", `trailing data`},
		{"trailing brace", good + "}", `trailing data`},
		{"trailing junk", good + " junk", `trailing data`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBytes([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseCSTIgnoresLocalZone(t *testing.T) {
	got, err := ParseCST("2024-01-01 00:30:00")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2023, 12, 31, 16, 30, 0, 0, time.UTC)
	if !got.Equal(want) {
		t.Fatalf("got %v want %v", got.UTC(), want)
	}
	if _, err := ParseCST("2024-01-01"); err == nil {
		t.Fatal("date without time must be an error")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`{"id":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := DecodeBytes(b)
		if err == nil && o.Validate() != nil {
			t.Fatal("decoded an order that does not validate")
		}
	})
}

func TestEachWindow(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2024, 1, 1, 0, m, 0, 0, CST) }
	tests := []struct {
		name     string
		from, to time.Time
		span     time.Duration
		want     string
	}{
		{"one piece", at(0), at(30), time.Hour, "0-30"},
		{"exact multiple", at(0), at(120), time.Hour, "0-60 60-120"},
		{"remainder", at(0), at(150), time.Hour, "0-60 60-120 120-150"},
		{"empty window", at(10), at(10), time.Hour, "10-10"},
	}
	for _, tt := range tests {
		var got []string
		err := EachWindow(tt.from, tt.to, tt.span, func(s, e time.Time) error {
			got = append(got, fmt.Sprintf("%d-%d", int(s.Sub(at(0)).Minutes()), int(e.Sub(at(0)).Minutes())))
			return nil
		})
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("%s: windows %v (%v), want %s", tt.name, got, err, tt.want)
		}
	}
	stop := errors.New("stop")
	calls := 0
	if err := EachWindow(at(0), at(300), time.Hour, func(s, e time.Time) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("error did not stop the walk: %v after %d calls", err, calls)
	}
	if err := EachWindow(at(0), at(1), 0, func(s, e time.Time) error { return nil }); err == nil {
		t.Error("zero span accepted")
	}
}

func TestSortedByUpdate(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, CST)
	m := map[string]Order{
		"B": {ID: "B", Updated: t0},
		"C": {ID: "C", Updated: t0.Add(-time.Minute)},
		"A": {ID: "A", Updated: t0},
	}
	var ids []string
	for _, o := range SortedByUpdate(m) {
		ids = append(ids, o.ID)
	}
	if strings.Join(ids, "") != "CAB" {
		t.Fatalf("order %v, want C A B", ids)
	}
}
