package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"storeedge/queue"
	"storeedge/sync/stock"
)

type nopReporter struct{}

func (nopReporter) Kinds() []stock.Kind  { return []stock.Kind{stock.KindStock, stock.KindPrice} }
func (nopReporter) Limits() stock.Limits { return stock.Limits{MaxItems: 100} }
func (nopReporter) Report(context.Context, stock.Batch) (map[string]string, error) {
	return nil, nil
}

func TestRoutes(t *testing.T) {
	q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	out, err := stock.NewOutbox(stock.OutboxOptions{Queue: q, Targets: []stock.Target{
		{Name: "hd", Reporter: nopReporter{}, Stores: map[string]string{"s1": "S1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for p, h := range Routes(Options{Outbox: out, Stores: []string{"s1"}}) {
		mux.Handle(p, h)
	}
	tests := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"stock", "/api/v1/stock", `{"store":"s1","items":[{"sku":"A","qty":"3.5"},{"sku":"B","qty":2}]}`, 200, `{"values":2,"changes":2,"calls":1}`},
		{"same again", "/api/v1/stock", `{"store":"s1","items":[{"sku":"A","qty":"3.50"}]}`, 200, `{"values":1,"changes":0,"calls":0}`},
		{"prices", "/api/v1/prices", `{"items":[{"sku":"A","store":"s1","price":"12.80"}]}`, 200, `{"values":1,"changes":1,"calls":1}`},
		{"bad items", "/api/v1/stock", `{"store":"s1","items":[{"sku":"","qty":1},{"sku":"C","qty":"x"},{"sku":"D","store":"s9","qty":1},{"sku":"E","price":1}]}`, 422,
			`"items[0]: sku is empty","items[1]: qty: \"x\" is not a decimal number with at most 4 places","items[2]: store: unknown store \"s9\"","items[3]: price: not taken here`},
		{"unknown field", "/api/v1/stock", `{"store":"s1","items":[{"sku":"A","quantity":1}]}`, 400, `unknown field \"quantity\"`},
		{"trailing data", "/api/v1/stock", `{"store":"s1","items":[{"sku":"A","qty":1}]}}`, 400, "trailing data after the JSON object"},
		{"syntax", "/api/v1/prices", "{\"items\":[\n{\"sku\":}]}", 400, "JSON syntax error at line 2"},
		{"resync", "/api/v1/stock/resync", ``, 200, `{"values":3,"changes":3,"calls":2}`},
		{"resync unknown", "/api/v1/stock/resync?reporter=nope", ``, 400, `no platform reports stock under the name \"nope\"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body)))
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("%d %s\nwant %d containing %s", rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
}
