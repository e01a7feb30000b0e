package push

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The worked example of the reference notes on Youzan push messages.
const (
	exClientID = "cid_demo"
	exSecret   = "secret_demo"
	exBody     = `{"client_id":"cid_demo","id":"E20240101000000000000001","kdt_id":12345,"msg":"%7B%22tid%22%3A%22E20240101000000000000001%22%7D","status":"WAIT_SELLER_SEND_GOODS","type":"trade_TradeBuyerPay","version":1704067200}`
	exSign     = "64db71cae37c954cab441c7df6e4417b"
)

func TestSignWorkedExample(t *testing.T) {
	if got := Sign(exClientID, []byte(exBody), exSecret); got != exSign {
		t.Fatalf("Sign = %s, want %s", got, exSign)
	}
	m, err := Decode([]byte(exBody))
	if err != nil {
		t.Fatal(err)
	}
	if m.TID() != "E20240101000000000000001" || m.VersionNumber() != 1704067200 || string(m.KdtID) != "12345" {
		t.Errorf("decoded %+v: tid %q", m, m.TID())
	}
	if k := m.Key(); k != "trade_TradeBuyerPay/E20240101000000000000001/1704067200" {
		t.Errorf("Key = %q", k)
	}
}

// body builds a message body.
func body(fields map[string]any) string {
	m := map[string]any{"client_id": exClientID, "kdt_id": 12345, "type": "trade_TradeBuyerPay",
		"id": "E1", "msg_id": "m1", "version": 100, "status": "WAIT_SELLER_SEND_GOODS",
		"msg": url.QueryEscape(`{"tid":"E1"}`), "test": false, "sendCount": 1}
	for k, v := range fields {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

type counter struct{ n atomic.Int64 }

func (c *counter) Trigger()   { c.n.Add(1) }
func (c *counter) get() int64 { return c.n.Load() }

func newReceiver(t *testing.T, edit func(*Options)) (*Receiver, *counter) {
	t.Helper()
	c := &counter{}
	opt := Options{ClientID: exClientID, ClientSecret: exSecret, Shops: []string{"12345", "777"}, Trigger: c.Trigger, Settle: -1}
	if edit != nil {
		edit(&opt)
	}
	r, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

type req struct {
	method string
	body   string
	sign   string // "" signs the body; "-" sends none
}

func (q req) do(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	method := q.method
	if method == "" {
		method = http.MethodPost
	}
	hr := httptest.NewRequest(method, "/youzan/push", strings.NewReader(q.body))
	hr.Header.Set("Content-Type", "application/json")
	switch q.sign {
	case "":
		hr.Header.Set("Event-Sign", Sign(exClientID, []byte(q.body), exSecret))
	case "-":
	default:
		hr.Header.Set("Event-Sign", q.sign)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, hr)
	return w.Code, w.Body.String()
}

const success = `{"code":0,"msg":"success"}`

func TestReceiverAnswers(t *testing.T) {
	legacy := func() string {
		msg := url.QueryEscape(`{"tid":"E9"}`)
		return body(map[string]any{"id": "E9", "msg_id": nil, "msg": msg, "sign": Sign(exClientID, []byte(msg), exSecret)})
	}()
	tests := []struct {
		name     string
		reqs     []req
		codes    []int
		triggers int64
		stats    Stats
		wantBody string // of the last answer, when set
	}{
		{"worked example", []req{{body: exBody}}, []int{200}, 1, Stats{Received: 1, Triggered: 1}, success},
		{"upper-case sign", []req{{body: exBody, sign: strings.ToUpper(exSign)}}, []int{200}, 1, Stats{Received: 1, Triggered: 1}, success},
		{"wrong sign", []req{{body: exBody, sign: "0123456789abcdef0123456789abcdef"}}, []int{401}, 0, Stats{Rejected: 1}, ""},
		{"body changed after signing", []req{{body: strings.Replace(exBody, "12345", "12346", 1), sign: exSign}}, []int{401}, 0, Stats{Rejected: 1}, ""},
		{"no sign at all", []req{{body: body(nil), sign: "-"}}, []int{401}, 0, Stats{Rejected: 1}, ""},
		{"older format signed in the body", []req{{body: legacy, sign: "-"}}, []int{200}, 1, Stats{Received: 1, Triggered: 1}, success},
		{"GET", []req{{method: http.MethodGet}}, []int{405}, 0, Stats{Rejected: 1}, ""},
		{"not JSON", []req{{body: "tid=E1"}}, []int{400}, 0, Stats{Rejected: 1}, ""},
		{"no type", []req{{body: body(map[string]any{"type": nil})}}, []int{400}, 0, Stats{Rejected: 1}, `{"code":400,"msg":"message field type: is missing"}`},
		{"version not a number", []req{{body: body(map[string]any{"version": "v1"})}}, []int{400}, 0, Stats{Rejected: 1}, ""},
		{"too large", []req{{body: body(map[string]any{"kdt_name": strings.Repeat("店", MaxBody/3+1)})}}, []int{413}, 0, Stats{Rejected: 1}, ""},
		{"retry of the same msg_id", []req{{body: body(nil)}, {body: body(map[string]any{"sendCount": 2})}}, []int{200, 200}, 1,
			Stats{Received: 2, Triggered: 1, Duplicates: 1}, success},
		{"older version after a newer", []req{{body: body(map[string]any{"version": 200})}, {body: body(map[string]any{"msg_id": "m0", "version": 100})}},
			[]int{200, 200}, 1, Stats{Received: 2, Triggered: 1, Stale: 1}, success},
		{"newer version after an older", []req{{body: body(map[string]any{"version": 100})}, {body: body(map[string]any{"msg_id": "m2", "version": 200})}},
			[]int{200, 200}, 2, Stats{Received: 2, Triggered: 2}, success},
		{"same version, another topic", []req{{body: body(nil)}, {body: body(map[string]any{"msg_id": "m2", "type": "trade_TradeSuccess"})}},
			[]int{200, 200}, 2, Stats{Received: 2, Triggered: 2}, success},
		{"another shop", []req{{body: body(map[string]any{"kdt_id": 999, "root_kdt_id": 998})}}, []int{200}, 0, Stats{Received: 1, Ignored: 1}, success},
		{"a chain branch under our HQ", []req{{body: body(map[string]any{"kdt_id": 999, "root_kdt_id": 777})}}, []int{200}, 1, Stats{Received: 1, Triggered: 1}, success},
		{"test message", []req{{body: body(map[string]any{"test": true})}}, []int{200}, 0, Stats{Received: 1, Ignored: 1}, success},
		{"not about orders", []req{{body: body(map[string]any{"type": "youzan_item_SkuStockChanged"})}}, []int{200}, 0, Stats{Received: 1, Ignored: 1}, success},
		{"refund topic with an object msg", []req{{body: body(map[string]any{"type": "youzan_trade_RefundCreated", "msg": map[string]any{"tid": "E1", "refund_id": "R1"}})}},
			[]int{200}, 1, Stats{Received: 1, Triggered: 1}, success},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, c := newReceiver(t, nil)
			var last string
			for i, q := range tt.reqs {
				code, b := q.do(t, r)
				if code != tt.codes[i] {
					t.Errorf("request %d: HTTP %d %s, want %d", i, code, b, tt.codes[i])
				}
				if !json.Valid([]byte(b)) {
					t.Errorf("request %d: answer is not JSON: %s", i, b)
				}
				last = b
			}
			if tt.wantBody != "" && last != tt.wantBody {
				t.Errorf("answer = %s, want %s", last, tt.wantBody)
			}
			if c.get() != tt.triggers {
				t.Errorf("triggers = %d, want %d", c.get(), tt.triggers)
			}
			st := r.Stats()
			st.Last = time.Time{}
			if st != tt.stats {
				t.Errorf("stats = %+v, want %+v", st, tt.stats)
			}
		})
	}
}

func TestReceiverAnyShopWhenNoneListed(t *testing.T) {
	r, c := newReceiver(t, func(o *Options) { o.Shops = nil })
	if code, b := (req{body: body(map[string]any{"kdt_id": 4242})}).do(t, r); code != 200 || c.get() != 1 {
		t.Fatalf("HTTP %d %s, %d triggers", code, b, c.get())
	}
}

func TestNewNamesMissingOptions(t *testing.T) {
	_, err := New(Options{})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"client_id is empty", "client_secret is empty", "trigger is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestSecondPollAfterSettle(t *testing.T) {
	r, c := newReceiver(t, func(o *Options) { o.Settle = 30 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	// Two messages close together: one immediate poll each, one second poll
	// for both.
	for i, id := range []string{"E1", "E2"} {
		if code, b := (req{body: body(map[string]any{"id": id, "msg_id": fmt.Sprint("m", i)})}).do(t, r); code != 200 {
			t.Fatalf("HTTP %d %s", code, b)
		}
	}
	if c.get() != 2 {
		t.Fatalf("immediate polls = %d, want 2", c.get())
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.get() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a wrong fourth poll would come by now
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c.get() != 3 {
		t.Fatalf("polls = %d, want 3 (two immediate, one shared second poll)", c.get())
	}
}

func TestServeOverHTTP(t *testing.T) {
	r, c := newReceiver(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, ln) }()
	hr, err := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/any/path", strings.NewReader(exBody))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Event-Sign", exSign)
	hr.Header.Set("Event-Type", "trade_TradeBuyerPay")
	hr.Header.Set("Client-Id", exClientID)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != success || c.get() != 1 {
		t.Fatalf("HTTP %d %s, %d triggers", resp.StatusCode, b, c.get())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still accepts after Serve returned")
	}
}

func TestContent(t *testing.T) {
	tests := []struct {
		msg     string
		tid     string
		wantErr string
	}{
		{`"%7B%22tid%22%3A%22E1%22%7D"`, "E1", ""},
		{`{"tid":"E2","refund_id":"R"}`, "E2", ""},
		{`""`, "X", ""},
		{`null`, "X", ""},
		{`"%ZZ"`, "X", "not URL-encoded"},
		{`"%5B1%5D"`, "X", "not a JSON object"},
	}
	for _, tt := range tests {
		m, err := Decode([]byte(`{"type":"trade_TradeClose","id":"X","msg":` + tt.msg + `}`))
		if err != nil {
			t.Fatalf("%s: %v", tt.msg, err)
		}
		_, err = m.Content()
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: Content error %v, want %q", tt.msg, err, tt.wantErr)
		}
		if got := m.TID(); got != tt.tid {
			t.Errorf("%s: TID = %q, want %q", tt.msg, got, tt.tid)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{``, "body is empty"},
		{`[1]`, "not a JSON object"},
		{`{"type":"t"`, "cut short"},
		{`{"type":"t",,}`, "not valid JSON at byte"},
		{`{"type":"t"} {}`, "data after"},
		{`{"type":1}`, "field type: JSON number where string"},
		{`{"type":"t","kdt_id":"abc"}`, "kdt_id"},
		{`{"type":"t","kdt_id":{}}`, "kdt_id"},
		{`{"type":"t","version":1.5}`, "version"},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%s) = %v, want an error saying %q", tt.body, err, tt.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(exBody))
	f.Add([]byte(body(map[string]any{"msg": map[string]any{"tid": "E1"}})))
	f.Add([]byte(`{"type":"trade_TradeClose","msg":"%ZZ","version":"12"}`))
	f.Add([]byte(`{"type":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if m != nil {
				t.Fatal("message and error")
			}
			return
		}
		if m.Type == "" || m.Key() == "" {
			t.Fatalf("decoded a message without type or key: %+v", m)
		}
		_, _ = m.Content()
		_ = m.TID()
	})
}

func BenchmarkReceiver(b *testing.B) {
	c := &counter{}
	r, err := New(Options{ClientID: exClientID, ClientSecret: exSecret, Trigger: c.Trigger, Settle: -1})
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([]string, 1024)
	for i := range bodies {
		bodies[i] = body(map[string]any{"id": fmt.Sprint("E", i), "msg_id": fmt.Sprint("m", i), "version": i})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bd := bodies[i%len(bodies)]
		hr := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(bd))
		hr.Header.Set("Event-Sign", Sign(exClientID, []byte(bd), exSecret))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, hr)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
