package sim

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/sync/youzan"
)

func newChainFixture(t *testing.T, n int) *fixture {
	t.Helper()
	stores, err := MakeStores(n, true)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{clk: &clock{t: t0}}
	f.sim = New(Options{Seed: 1, Now: f.clk.Now, Chain: true, Stores: stores})
	f.srv = httptest.NewServer(f.sim.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) grantToken(t *testing.T, grant string) (string, int) {
	t.Helper()
	_, a := f.do(t, "POST", "/auth/token", "application/json", tokenBody("demo-secret", "silent", grant, false), nil)
	if a.code() != 200 {
		return "", a.code()
	}
	var td struct {
		AccessToken string      `json:"access_token"`
		AuthorityID youzan.Long `json:"authority_id"`
	}
	if err := json.Unmarshal(a.Data, &td); err != nil {
		t.Fatal(err)
	}
	if string(td.AuthorityID) != grant {
		t.Errorf("token of %s has authority_id %s", grant, td.AuthorityID)
	}
	return td.AccessToken, 200
}

// list calls an API with a token and returns the answer.
func (f *fixture) call(t *testing.T, api, version, tok, body string) answer {
	t.Helper()
	_, a := f.do(t, "POST", "/api/"+api+"/"+version+"?access_token="+url.QueryEscape(tok), "application/json", body, nil)
	return a
}

func tids(t *testing.T, a answer) []string {
	t.Helper()
	if a.code() != 200 {
		t.Fatalf("answer code %d: %s", a.code(), a.Message)
	}
	var d struct {
		List []struct {
			FullOrderInfo struct {
				OrderInfo struct {
					TID       string          `json:"tid"`
					NodeKdtID json.RawMessage `json:"node_kdt_id"`
				} `json:"order_info"`
			} `json:"full_order_info"`
		} `json:"full_order_info_list"`
	}
	if err := json.Unmarshal(a.Data, &d); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range d.List {
		out = append(out, e.FullOrderInfo.OrderInfo.TID+"@"+string(e.FullOrderInfo.OrderInfo.NodeKdtID))
	}
	return out
}

func TestChainTokensAndOrders(t *testing.T) {
	f := newChainFixture(t, 3)
	const b1, b2 = "60000001", "60000002"
	o1, err := f.sim.AddOrder(b1)
	if err != nil {
		t.Fatal(err)
	}
	o2, err := f.sim.AddOrder(b2)
	if err != nil {
		t.Fatal(err)
	}
	hq, code := f.grantToken(t, "90001")
	if code != 200 {
		t.Fatalf("HQ token: %d", code)
	}
	branch, code := f.grantToken(t, b1)
	if code != 200 || branch == hq {
		t.Fatalf("branch token: %d, same as HQ: %v", code, branch == hq)
	}
	if _, code := f.grantToken(t, "60000009"); code != 1103 {
		t.Errorf("token of an unknown branch: code %d, want 1103", code)
	}
	win := `"start_update":"2024-06-01 09:00:00","end_update":"2024-06-01 11:00:00"`
	tests := []struct {
		name, tok, extra string
		want             []string
	}{
		{"HQ token, every branch", hq, "", []string{o1.TID + "@" + b1, o2.TID + "@" + b2}},
		{"HQ token, offline_id a branch", hq, `,"offline_id":` + b2, []string{o2.TID + "@" + b2}},
		{"branch token, its own orders", branch, "", []string{o1.TID + "@" + b1}},
		{"branch token, another branch", branch, `,"offline_id":` + b2, nil},
	}
	for _, tt := range tests {
		got := tids(t, f.call(t, APITradesSoldGet, "4.0.4", tt.tok, "{"+win+tt.extra+"}"))
		slices.Sort(got)
		slices.Sort(tt.want)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// A multi-outlet shop grants no token for an outlet id.
	m := newFixture(t)
	if _, code := m.grantToken(t, DefaultStores[0].ID); code != 1103 {
		t.Errorf("token for an outlet id: code %d, want 1103", code)
	}
}

func TestStoreListChecks(t *testing.T) {
	multi := newFixture(t)
	chain := newChainFixture(t, 60)
	mtok, _ := multi.grantToken(t, "90001")
	ctok, _ := chain.grantToken(t, "90001")
	btok, _ := chain.grantToken(t, "60000001")
	tests := []struct {
		name       string
		f          *fixture
		api, tok   string
		body       string
		code, rows int
		count      int64
	}{
		{"outlets", multi, APIOfflineSearch, mtok, `{"page_no":1,"page_size":100}`, 200, 3, 3},
		{"outlets default page", multi, APIOfflineSearch, mtok, `{}`, 200, 3, 3},
		{"outlets keyword", multi, APIOfflineSearch, mtok, `{"keyword":"静安"}`, 200, 1, 1},
		{"outlets page 2", multi, APIOfflineSearch, mtok, `{"page_no":2,"page_size":2}`, 200, 1, 3},
		{"outlets page size 101", multi, APIOfflineSearch, mtok, `{"page_size":101}`, CodeBadParam, 0, 0},
		{"outlets page 0", multi, APIOfflineSearch, mtok, `{"page_no":0}`, CodeBadParam, 0, 0},
		{"outlets bad type", multi, APIOfflineSearch, mtok, `{"type":"shop"}`, CodeBadParam, 0, 0},
		{"outlets page_no a string", multi, APIOfflineSearch, mtok, `{"page_no":"x"}`, 5001, 0, 0},
		{"outlets of a chain HQ", chain, APIOfflineSearch, ctok, `{}`, 200, 0, 0},
		{"branches", chain, APIChainOrgs, ctok, `{"page_num":1,"page_size":50}`, 200, 50, 60},
		{"branches page 2", chain, APIChainOrgs, ctok, `{"page_num":2,"page_size":50}`, 200, 10, 60},
		{"branches page size 51", chain, APIChainOrgs, ctok, `{"page_num":1,"page_size":51}`, CodeBadParam, 0, 0},
		{"branches without page_num", chain, APIChainOrgs, ctok, `{"page_size":50}`, CodeBadParam, 0, 0},
		{"branches with a branch token", chain, APIChainOrgs, btok, `{"page_num":1,"page_size":50}`, 4204, 0, 0},
		{"branches of a multi-outlet shop", multi, APIChainOrgs, mtok, `{"page_num":1,"page_size":50}`, 4204, 0, 0},
		{"branches without token", chain, APIChainOrgs, "", `{"page_num":1,"page_size":50}`, 4201, 0, 0},
	}
	for _, tt := range tests {
		a := tt.f.call(t, tt.api, map[string]string{APIOfflineSearch: "3.0.0", APIChainOrgs: "1.0.1"}[tt.api], tt.tok, tt.body)
		if a.code() != tt.code {
			t.Errorf("%s: code %d (%s), want %d", tt.name, a.code(), a.Message, tt.code)
			continue
		}
		if tt.code != 200 {
			continue
		}
		var d struct {
			List  []json.RawMessage `json:"list"`
			Orgs  []json.RawMessage `json:"organization_list"`
			Count int64             `json:"count"`
			Total int64             `json:"total"`
		}
		if err := json.Unmarshal(a.Data, &d); err != nil {
			t.Fatal(err)
		}
		if rows := len(d.List) + len(d.Orgs); rows != tt.rows || d.Count+d.Total != tt.count {
			t.Errorf("%s: %d rows of %d, want %d of %d", tt.name, rows, d.Count+d.Total, tt.rows, tt.count)
		}
	}
	if a := multi.call(t, APIChainOrgs, "1.0.0", mtok, `{}`); a.code() != 4005 {
		t.Errorf("unknown version: code %d, want 4005", a.code())
	}
}

func TestMakeStores(t *testing.T) {
	st, err := MakeStores(MaxStores, false)
	if err != nil {
		t.Fatal(err)
	}
	ids, names := map[string]bool{}, map[string]bool{}
	for i, s := range st {
		if ids[s.ID] || names[s.Name] {
			t.Errorf("store %d (%s %s) repeats an id or name", i, s.ID, s.Name)
		}
		ids[s.ID], names[s.Name] = true, true
		if s.Address == "" || s.Phone == "" || strings.Trim(s.ID, "0123456789") != "" {
			t.Errorf("store %d = %+v", i, s)
		}
	}
	if st[0].ID != DefaultStores[0].ID || st[0].Name != DefaultStores[0].Name {
		t.Errorf("first store %+v is not the first default store", st[0])
	}
	for _, n := range []int{0, MaxStores + 1} {
		if _, err := MakeStores(n, true); err == nil {
			t.Errorf("MakeStores(%d): no error", n)
		}
	}
}

// pushSink records push messages and answers them.
type pushSink struct {
	mu      sync.Mutex
	bodies  []string
	headers []http.Header
	fail    int // answer this many with HTTP 500 first
}

func (p *pushSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail > 0 {
		p.fail--
		http.Error(w, "busy", 500)
		return
	}
	p.bodies = append(p.bodies, string(b))
	p.headers = append(p.headers, r.Header.Clone())
	w.Write([]byte(`{"code":0,"msg":"success"}`))
}

func (p *pushSink) got() ([]string, []http.Header) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bodies...), append([]http.Header(nil), p.headers...)
}

func TestPushMessages(t *testing.T) {
	sink := &pushSink{fail: 1}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	stores, _ := MakeStores(2, true)
	s := New(Options{Seed: 2, Chain: true, Stores: stores, PushURL: srv.URL, CancelRate: -1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	tr, err := s.AddOrder("60000002")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(tr.TID, "TRADE_CLOSED"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _ := sink.got(); len(b) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pushes: %+v", s.PushStats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	bodies, headers := sink.got()
	topics := map[string]bool{}
	for i, b := range bodies {
		sum := md5.Sum([]byte("demo-client" + b + "demo-secret"))
		if headers[i].Get("Event-Sign") != hex.EncodeToString(sum[:]) {
			t.Errorf("message %d: Event-Sign %q is not md5(client_id+body+secret)", i, headers[i].Get("Event-Sign"))
		}
		var m struct {
			KdtID     int64  `json:"kdt_id"`
			RootKdtID int64  `json:"root_kdt_id"`
			ID        string `json:"id"`
			Type      string `json:"type"`
			Msg       string `json:"msg"`
			MsgID     string `json:"msg_id"`
			Version   int64  `json:"version"`
			SendCount int    `json:"sendCount"`
		}
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			t.Fatal(err)
		}
		topics[m.Type] = true
		msg, _ := url.QueryUnescape(m.Msg)
		if m.KdtID != 60000002 || m.RootKdtID != 90001 || m.ID != tr.TID || m.MsgID == "" || m.Version == 0 ||
			!strings.Contains(msg, `"tid":"`+tr.TID+`"`) || headers[i].Get("Event-Type") != m.Type {
			t.Errorf("message %d = %s", i, b)
		}
	}
	if !topics["trade_TradeBuyerPay"] || !topics["trade_TradeClose"] {
		t.Errorf("topics %v", topics)
	}
	if st := s.PushStats(); st.Delivered != 2 || st.Failed != 1 || st.GivenUp != 0 {
		t.Errorf("push stats %+v, want 2 delivered after 1 failed attempt", st)
	}
}

func TestAdminPushURL(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		body string
		code int
		want string
	}{
		{`{"push_url":"http://127.0.0.1:9/youzan/push"}`, 204, "http://127.0.0.1:9/youzan/push"},
		{`{"push_url":"ftp://x"}`, 400, "http://127.0.0.1:9/youzan/push"},
		{`{"push_url":""}`, 204, ""},
	} {
		req, _ := http.NewRequest("POST", f.srv.URL+"/admin/scenario", strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		f.sim.mu.Lock()
		got := f.sim.pushURL
		f.sim.mu.Unlock()
		if resp.StatusCode != tt.code || got != tt.want {
			t.Errorf("%s: HTTP %d, push URL %q; want %d, %q", tt.body, resp.StatusCode, got, tt.code, tt.want)
		}
	}
}
