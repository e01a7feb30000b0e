package push

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzReceiver posts any body with a right, a wrong or no Event-Sign to
// the receiver. Every answer is the platform's JSON shape and never a 5xx;
// a message is taken (200, code 0) only when it is signed by this app and
// decodes, and taking it polls at most once, only for an order topic of
// this agent's shops. The same message again polls no more.
func FuzzReceiver(f *testing.F) {
	for _, b := range []string{exBody,
		body(map[string]any{"msg": map[string]any{"tid": "E1"}, "kdt_id": 777}),
		body(map[string]any{"type": "ITEM_STOCK_UPDATE"}),
		body(map[string]any{"test": true}),
		`{"type":"trade_TradeClose","msg":"%ZZ","version":"12"}`,
		`{"type":"trade_TradeBuyerPay","kdt_id":"12345","sign":"00","msg":"x"}`,
		`{"type":"t","kdt_id":"\u0001"}`, `{"type":1}`, `[1]`, ``,
	} {
		f.Add([]byte(b), uint8(0), "")
		f.Add([]byte(b), uint8(1), "trade_TradeBuyerPay")
		f.Add([]byte(b), uint8(2), "")
	}
	f.Fuzz(func(t *testing.T, b []byte, signMode uint8, eventType string) {
		c := &counter{}
		r, err := New(Options{ClientID: exClientID, ClientSecret: exSecret, Shops: []string{"12345", "777"}, Trigger: c.Trigger, Settle: -1})
		if err != nil {
			t.Fatal(err)
		}
		post := func() (int, int) {
			req := httptest.NewRequest(http.MethodPost, "/push", strings.NewReader(string(b)))
			switch signMode % 3 {
			case 0:
				req.Header.Set("Event-Sign", Sign(exClientID, b, exSecret))
			case 2:
				req.Header.Set("Event-Sign", Sign(exClientID, b, "another secret"))
			}
			if eventType != "" {
				req.Header.Set("Event-Type", eventType)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			var a struct {
				Code *int   `json:"code"`
				Msg  string `json:"msg"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Code == nil || a.Msg == "" {
				t.Fatalf("HTTP %d answer is not the platform's shape: %v %q", w.Code, err, w.Body)
			}
			if w.Code >= 500 {
				t.Fatalf("HTTP %d: %s", w.Code, w.Body)
			}
			return w.Code, *a.Code
		}
		status, code := post()
		m, decErr := Decode(b)
		switch {
		case signMode%3 == 2 && status != http.StatusUnauthorized:
			t.Fatalf("wrong Event-Sign answered HTTP %d", status)
		case status == http.StatusOK && (code != 0 || decErr != nil):
			t.Fatalf("taken: code %d, decode %v", code, decErr)
		case signMode%3 == 0 && decErr == nil && status != http.StatusOK:
			t.Fatalf("signed message answered HTTP %d", status)
		}
		polls := int(c.n.Load())
		if polls > 1 || (polls == 1 && (status != http.StatusOK || m.Test.True() || !IsTrade(m.Type))) {
			t.Fatalf("%d polls for HTTP %d message %+v", polls, status, m)
		}
		if status == http.StatusOK {
			post()
			if int(c.n.Load()) != polls {
				t.Fatalf("the same message polled again")
			}
		}
	})
}
