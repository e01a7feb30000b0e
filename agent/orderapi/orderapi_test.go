package orderapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/queue"
	"storeedge/sync/order"
)

const paid = `{"store_id":"43435545","id":"POS-1001","status":"paid","created":"2024-06-01T12:00:00+08:00",
 "updated":"2024-06-01T12:00:00+08:00","items":[{"name":"珍珠奶茶","spec":"大杯/少冰","qty":"2","price":"15","amount":"30"}],
 "items_total":"30","shipping":"0","discount":"0","total":"30","fulfilment":{"method":"pickup"}}`

func newAPI(t *testing.T, token string) (*API, *queue.Queue) {
	t.Helper()
	q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	table, err := printer.NewTable([]printer.Binding{
		{Store: "*", Kind: order.KindReceipt, Printers: []string{"front"}, Copies: 1},
		{Store: "*", Kind: order.KindKitchen, Printers: []string{"kitchen"}, Copies: 2},
		{Store: "*", Kind: order.KindCancel, Printers: []string{"front"}, Copies: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Queue: q, Router: table, EventPrefix: printer.EventPrefix, Token: token,
		Store: func(id string) (string, bool) { return "人民路店", id == "43435545" },
		Now:   func() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, order.CST) }})
	if err != nil {
		t.Fatal(err)
	}
	return a, q
}

type call struct {
	key, body, remote, auth, ctype string
}

func (a *API) do(c call) (*httptest.ResponseRecorder, map[string]any) {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/orders", strings.NewReader(c.body))
	r.RemoteAddr = "127.0.0.1:5000"
	if c.remote != "" {
		r.RemoteAddr = c.remote
	}
	if c.ctype == "" {
		c.ctype = "application/json"
	}
	r.Header.Set("Content-Type", c.ctype)
	if c.key != "" {
		r.Header.Set("Idempotency-Key", c.key)
	}
	if c.auth != "" {
		r.Header.Set("Authorization", c.auth)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w, m
}

func TestRequests(t *testing.T) {
	cancelled := strings.Replace(paid, `"status":"paid"`, `"status":"cancelled"`, 1)
	tests := []struct {
		name   string
		token  string
		calls  []call
		status []int
		msg    string // in the last answer's error
		jobs   int    // in the queue at the end
	}{
		{name: "paid prints receipt and two kitchen copies", calls: []call{{key: "k1", body: paid}}, status: []int{201}, jobs: 3},
		{name: "same key same body replays", calls: []call{{key: "k1", body: paid}, {key: "k1", body: paid}}, status: []int{201, 200}, jobs: 3},
		{name: "new key same order adds nothing", calls: []call{{key: "k1", body: paid}, {key: "k2", body: paid}}, status: []int{201, 201}, jobs: 3},
		{name: "same key other body", calls: []call{{key: "k1", body: paid}, {key: "k1", body: cancelled}}, status: []int{201, 409}, msg: "used for another body", jobs: 3},
		{name: "cancel after print", calls: []call{{key: "k1", body: paid}, {key: "k2", body: cancelled}}, status: []int{201, 201}, jobs: 4},
		{name: "cancel never printed", calls: []call{{key: "k2", body: cancelled}}, status: []int{201}, jobs: 0},
		{name: "no key", calls: []call{{body: paid}}, status: []int{400}, msg: "Idempotency-Key header: is required"},
		{name: "bad key", calls: []call{{key: "a b", body: paid}}, status: []int{400}, msg: "printable ASCII"},
		{name: "unknown store", calls: []call{{key: "k", body: strings.Replace(paid, "43435545", "999", 1)}}, status: []int{422}, msg: `store_id "999" is not a configured`},
		{name: "bad order", calls: []call{{key: "k", body: strings.Replace(paid, `"qty":"2"`, `"qty":"0"`, 1)}}, status: []int{422}, msg: "items[0].qty"},
		{name: "unknown field", calls: []call{{key: "k", body: strings.Replace(paid, `"id"`, `"idd":"x","id"`, 1)}}, status: []int{422}, msg: "idd"},
		{name: "not json", calls: []call{{key: "k", body: paid, ctype: "text/plain"}}, status: []int{415}},
		{name: "lan without token configured", calls: []call{{key: "k", body: paid, remote: "192.168.1.20:4000"}}, status: []int{403}, msg: "only serves this PC"},
		{name: "lan without token", token: "s3cret", calls: []call{{key: "k", body: paid, remote: "192.168.1.20:4000"}}, status: []int{401}},
		{name: "lan wrong token", token: "s3cret", calls: []call{{key: "k", body: paid, remote: "192.168.1.20:4000", auth: "Bearer nope"}}, status: []int{401}},
		{name: "lan with token", token: "s3cret", calls: []call{{key: "k", body: paid, remote: "192.168.1.20:4000", auth: "Bearer s3cret"}}, status: []int{201}, jobs: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, q := newAPI(t, tt.token)
			var last map[string]any
			for i, c := range tt.calls {
				w, m := a.do(c)
				if w.Code != tt.status[i] {
					t.Fatalf("call %d: HTTP %d, want %d: %s", i, w.Code, tt.status[i], w.Body)
				}
				last = m
			}
			if tt.msg != "" {
				if e, _ := last["error"].(string); !strings.Contains(e, tt.msg) {
					t.Errorf("error %q does not say %q", e, tt.msg)
				}
			}
			jobs, err := q.List(queue.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != tt.jobs {
				t.Errorf("%d jobs in the queue, want %d", len(jobs), tt.jobs)
			}
			for _, j := range jobs {
				if !strings.HasPrefix(j.ID, "local/43435545/POS-1001/") {
					t.Errorf("job id %s", j.ID)
				}
			}
		})
	}
}

func TestReplayAnswer(t *testing.T) {
	a, _ := newAPI(t, "")
	_, first := a.do(call{key: "k1", body: paid})
	_, again := a.do(call{key: "k1", body: paid})
	if first["replayed"] != false || again["replayed"] != true || again["order_id"] != "POS-1001" || first["added"].(float64) != 3 || again["added"].(float64) != 0 {
		t.Errorf("first %v, again %v", first, again)
	}
}
