package stock

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/sync/hiding"
	"storeedge/sync/wdt"
	"storeedge/sync/youzan"
)

// answerServer is a real HTTP server that answers every platform call
// with the answer the fuzz input sets; Youzan token calls get a token.
type answerServer struct {
	mu     sync.Mutex
	status int
	body   []byte
	srv    *httptest.Server
}

func newAnswerServer(f *testing.F) *answerServer {
	a := &answerServer{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/auth/token" {
			fmt.Fprintf(w, `{"success":true,"code":200,"data":{"access_token":"tok","expires":%d}}`, time.Now().Add(24*time.Hour).UnixMilli())
			return
		}
		a.mu.Lock()
		status, body := a.status, a.body
		a.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	f.Cleanup(a.srv.Close)
	return a
}

// set makes the next answers HTTP status (200 to 599) with body.
func (a *answerServer) set(status uint16, body []byte) int {
	s := http.StatusOK
	if status >= 200 && status < 600 {
		s = int(status)
	}
	a.mu.Lock()
	a.status, a.body = s, body
	a.mu.Unlock()
	return s
}

// answerBatch is what every answer fuzz target reports.
func answerBatch(kind Kind, store string, skus ...string) Batch {
	b := Batch{Target: "t", Kind: kind, Store: store, LocalStore: "s1", Key: "se0001-00000001"}
	for i, s := range skus {
		b.Items = append(b.Items, item(s, fmt.Sprint(i+1)))
		b.Items[i].TaskID = fmt.Sprintf("%s-%03d", b.Key, i+1)
	}
	return b
}

// checkVerdict checks a Reporter's result: an error says something and is
// temporary when the HTTP status says so; refused names only SKUs of the
// batch, each with a reason.
func checkVerdict(t *testing.T, b Batch, status int, refused map[string]string, err error) {
	t.Helper()
	if err != nil {
		if strings.TrimSpace(err.Error()) == "" {
			t.Fatal("error without a message")
		}
		if (status >= 500 || status == http.StatusTooManyRequests) && !IsTemporary(err) {
			t.Fatalf("HTTP %d is not temporary: %v", status, err)
		}
		if refused != nil {
			t.Fatalf("refused %v with error %v", refused, err)
		}
		return
	}
	if status != http.StatusOK && len(refused) != len(b.Items) {
		t.Fatalf("HTTP %d: SKUs taken as applied (refused only %v)", status, refused)
	}
	for sku, why := range refused {
		found := false
		for _, it := range b.Items {
			found = found || it.SKU == sku
		}
		if !found {
			t.Fatalf("refused SKU %q is not in the batch", sku)
		}
		if strings.TrimSpace(why) == "" {
			t.Fatalf("SKU %q refused without a reason", sku)
		}
	}
}

// FuzzHidingAnswer feeds any HTTP answer to the Hiding reporter's stock
// and price calls.
func FuzzHidingAnswer(f *testing.F) {
	for _, s := range []string{
		`{"success":true,"code":"0","message":"ok"}`,
		`{"success":true,"errors":[{"sku_id":"A1","code":"E1","message":"不存在"}]}`,
		`{"success":false,"code":"500","message":"x","errors":[{"id":"B2","code":"","message":""}]}`,
		`{"success":false,"code":"AUTH","message":"bad"}`,
		`{"success":true,"errors":[{"sku_id":"ZZ","code":"E1","message":"?"}]}`,
		`<html>502</html>`, ``, `null`, `{"success":null}`,
	} {
		f.Add(uint16(200), []byte(s), false)
		f.Add(uint16(200), []byte(s), true)
	}
	f.Add(uint16(503), []byte(`{"success":false}`), false)
	f.Add(uint16(401), []byte(``), true)
	srv := newAnswerServer(f)
	c, err := hiding.New(hiding.Config{BaseURL: srv.srv.URL, TenantID: "t1", Auth: hiding.AuthNone})
	if err != nil {
		f.Fatal(err)
	}
	r := &HidingReporter{C: c}
	f.Fuzz(func(t *testing.T, status uint16, body []byte, prices bool) {
		st := srv.set(status, body)
		kind := KindStock
		if prices {
			kind = KindPrice
		}
		b := answerBatch(kind, "S1", "A1", "B2", "奶茶")
		refused, err := r.Report(context.Background(), b)
		checkVerdict(t, b, st, refused, err)
	})
}

// FuzzWDTAnswer feeds any HTTP answer to the Wangdiantong stock call. It
// is a success only when the answer's code is 0, or the code of a call
// applied before.
func FuzzWDTAnswer(f *testing.F) {
	for _, s := range []string{
		`{"code":0,"message":"ok"}`,
		`{"code":"0","message":"","error_list":[{"spec_no":"A1","error":"货品不存在"}]}`,
		fmt.Sprintf(`{"code":%d,"message":"重复"}`, wdt.CodeDuplicateOuter),
		`{"code":1040,"message":"busy"}`, `{"code":"2180","message":"x"}`,
		`{"code":0,"error_list":[{"spec_no":"ZZ","error":""}]}`,
		`{"code":0.0}`, `{"code":"1e3"}`, `{"message":"no code"}`, `<html>`, ``,
	} {
		f.Add(uint16(200), []byte(s))
	}
	f.Add(uint16(500), []byte(`{"code":0}`))
	srv := newAnswerServer(f)
	r, err := NewWDTReporter(WDTConfig{BaseURL: srv.srv.URL, SID: "sid", AppKey: "key", AppSecret: "secret"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		st := srv.set(status, body)
		b := answerBatch(KindStock, "WH1", "A1", "B2", "奶茶")
		refused, err := r.Report(context.Background(), b)
		checkVerdict(t, b, st, refused, err)
		if err != nil {
			return
		}
		var a struct {
			Code json.RawMessage `json:"code"`
		}
		if json.Unmarshal(body, &a) != nil {
			t.Fatalf("success for an answer that is not JSON: %q", body)
		}
		text := strings.Trim(string(a.Code), `"`)
		code, ok := new(big.Rat).SetString(text)
		if !ok || !(code.Sign() == 0 || code.Cmp(big.NewRat(wdt.CodeDuplicateOuter, 1)) == 0) {
			t.Fatalf("success for code %s", a.Code)
		}
	})
}

// FuzzYouzanAnswer feeds any answer of youzan.multistore.goods.sku.update
// to the Youzan reporter, for SKUs of one item and an item without SKUs.
// Nothing is refused unless the answer says so.
func FuzzYouzanAnswer(f *testing.F) {
	for _, s := range []string{
		`{"success":true,"code":200,"data":true}`,
		`{"success":true,"code":200,"data":{"is_success":true}}`,
		`{"success":true,"code":200,"data":{"is_success":false}}`,
		`{"success":true,"code":200,"data":false}`,
		`{"success":true,"code":200,"data":{"x":1}}`,
		`{"success":false,"code":141500101,"message":"商品不存在"}`,
		`{"gw_err_resp":{"err_code":4203,"err_msg":"token expired"}}`,
		`{"code":500100004,"msg":"限流"}`, `<html>`, ``,
	} {
		f.Add(uint16(200), []byte(s), false)
		f.Add(uint16(200), []byte(s), true)
	}
	srv := newAnswerServer(f)
	c, err := youzan.New(youzan.Config{Name: "yz", BaseURL: srv.srv.URL, ClientID: "demo-client", ClientSecret: "demo-secret", GrantID: "90001"})
	if err != nil {
		f.Fatal(err)
	}
	r, err := NewYouzanReporter(YouzanConfig{Client: c, QPS: 1e6})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte, prices bool) {
		st := srv.set(status, body)
		kind := KindStock
		if prices {
			kind = KindPrice
		}
		b := answerBatch(kind, "43435545", "1000:1", "1000:2", "2000")
		refused, err := r.Report(context.Background(), b)
		checkVerdict(t, b, st, refused, err)
		if err != nil || len(refused) > 0 {
			return
		}
		var a struct {
			Success *bool           `json:"success"`
			Code    *int64          `json:"code"`
			Data    json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &a); err != nil || a.Success == nil || !*a.Success || (a.Code != nil && *a.Code != youzan.CodeOK) {
			t.Fatalf("every SKU taken for the answer %q", body)
		}
		var ok struct {
			IsSuccess *bool `json:"is_success"`
		}
		if string(a.Data) != "true" && (json.Unmarshal(a.Data, &ok) != nil || ok.IsSuccess == nil || !*ok.IsSuccess) {
			t.Fatalf("every SKU taken for data %s", a.Data)
		}
	})
}
