package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"storeedge/decimal"
	"storeedge/queue"
	"storeedge/sync/stock"
)

// FuzzValues posts any body and Content-Type to POST /api/v1/stock and
// /api/v1/prices on a fresh outbox. Bad input is a 4xx with a JSON problem
// (422: one per bad item, by index) and nothing taken, never a 5xx; a
// taken request leaves each item's number, exactly, as the last value the
// outbox keeps for it.
func FuzzValues(f *testing.F) {
	for _, s := range []string{
		`{"store":"s1","items":[{"sku":"A","qty":"3.5"},{"sku":"B","qty":2}]}`,
		`{"items":[{"sku":"A","store":"s1","price":"12.80","at":"2024-06-01T12:00:00+08:00"}]}`,
		`{"store":"s1","items":[{"sku":"","qty":1},{"sku":"C","qty":"x"},{"sku":"D","store":"s9","qty":1},{"sku":"E","price":1}]}`,
		`{"store":"s1","items":[{"sku":"A","quantity":1}]}`,
		"{\"items\":[\n{\"sku\":}]}",
		`{"store":"s2","items":[{"sku":" 奶茶 ","qty":"1e3"},{"sku":"奶茶","qty":"-0.0001"},{"sku":"X","qty":null,"price":null}]}`,
		`{"items":[]}`, `null`, ``, `[]`,
	} {
		f.Add(false, "application/json", []byte(s))
		f.Add(true, "", []byte(s))
	}
	f.Add(false, "text/plain", []byte(`{}`))
	f.Fuzz(func(t *testing.T, prices bool, ctype string, body []byte) {
		q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		out, err := stock.NewOutbox(stock.OutboxOptions{Queue: q, Targets: []stock.Target{
			{Name: "hd", Reporter: nopReporter{}, Stores: map[string]string{"s1": "S1", "s2": "S2"}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		for p, h := range Routes(Options{Outbox: out, Stores: []string{"s1", "s2"}}) {
			mux.Handle(p, h)
		}
		path, kind := "/api/v1/stock", stock.KindStock
		if prices {
			path, kind = "/api/v1/prices", stock.KindPrice
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		jobs, err := q.List(queue.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case rec.Code >= 500:
			t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		case rec.Code >= 400:
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || strings.TrimSpace(p.Error) == "" {
				t.Fatalf("HTTP %d without a problem: %s", rec.Code, rec.Body)
			}
			if rec.Code == http.StatusUnprocessableEntity && len(p.Problems) == 0 {
				t.Fatalf("422 names no item: %s", rec.Body)
			}
			for _, s := range p.Problems {
				if !strings.HasPrefix(s, "items[") {
					t.Fatalf("problem %q does not name its item", s)
				}
			}
			if len(jobs) != 0 {
				t.Fatalf("refused request queued %d jobs", len(jobs))
			}
			return
		case rec.Code != http.StatusOK:
			t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		}
		var a Answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatalf("answer: %v: %s", err, rec.Body)
		}
		var r Request
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("taken body does not decode: %v", err)
		}
		if a.Values != len(r.Items) || a.Calls != len(jobs) {
			t.Fatalf("answer %+v for %d items and %d jobs", a, len(r.Items), len(jobs))
		}
		last, err := q.GetValues("stock/last/hd", "")
		if err != nil {
			t.Fatal(err)
		}
		delete(last, "#seq") // the outbox's batch counter
		want := map[string]decimal.Dec{}
		for _, it := range r.Items {
			store := it.Store
			if store == "" {
				store = r.Store
			}
			raw := it.Qty
			if prices {
				raw = it.Price
			}
			want[string(kind)+"\x00"+store+"\x00"+strings.TrimSpace(it.SKU)] = decimal.MustParse(string(raw))
		}
		if len(last) != len(want) {
			t.Fatalf("outbox keeps %d last values, want %d", len(last), len(want))
		}
		for k, n := range want {
			got, err := decimal.Parse(last[k])
			if err != nil || got.Cmp(n) != 0 {
				t.Fatalf("last value of %q is %q, want %s", k, last[k], n)
			}
		}
	})
}
