package youzan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/sync/sim"
	"storeedge/sync/youzan"
)

// chainEnv is a simulated retail chain of branches 60000001-60000004 under
// HQ 90001, recording which token each trades.sold.get call used.
type chainEnv struct {
	*env
	mu    sync.Mutex
	calls []chainCall
}

type chainCall struct {
	token   string
	offline string
}

func newChainEnv(t *testing.T, stores int, edit func(*youzan.Config)) *chainEnv {
	t.Helper()
	ce := &chainEnv{env: &env{clk: newClock()}}
	st, err := sim.MakeStores(stores, true)
	if err != nil {
		t.Fatal(err)
	}
	ce.sim = sim.New(sim.Options{Seed: 3, Now: ce.clk.Now, Chain: true, Stores: st})
	h := ce.sim.Handler()
	ce.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "trades.sold.get") {
			var p struct {
				OfflineID json.RawMessage `json:"offline_id"`
			}
			body := readAll(t, r)
			_ = json.Unmarshal(body, &p)
			ce.mu.Lock()
			ce.calls = append(ce.calls, chainCall{token: r.URL.Query().Get("access_token"), offline: string(p.OfflineID)})
			ce.mu.Unlock()
			r.Body = newBody(body)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ce.srv.Close)
	cfg := youzan.Config{Name: "chain", BaseURL: ce.srv.URL, ClientID: "demo-client", ClientSecret: "demo-secret",
		GrantID: ce.sim.KdtID(), Mode: youzan.ModeChain, HTTPClient: ce.srv.Client(), Now: ce.clk.Now}
	if edit != nil {
		edit(&cfg)
	}
	if ce.c, err = youzan.New(cfg); err != nil {
		t.Fatal(err)
	}
	return ce
}

func (ce *chainEnv) takeCalls() []chainCall {
	ce.mu.Lock()
	defer ce.mu.Unlock()
	c := ce.calls
	ce.calls = nil
	return c
}

func TestChainOrdersByBranch(t *testing.T) {
	const b1, b2, b3 = "60000001", "60000002", "60000003"
	// b1 and b2 read with their own tokens, b3 with the HQ token.
	ce := newChainEnv(t, 4, func(c *youzan.Config) {
		c.BranchGrants = map[string]string{b1: b1, b2: b2}
	})
	start := ce.clk.Now()
	want := map[string][]string{}
	for _, b := range []string{b1, b2, b3, "60000004"} {
		want[b] = ce.add(t, b, 3)
	}
	for _, tr := range ce.sim.Trades() {
		oi := tr.Info.OrderInfo
		if string(oi.NodeKdtID) != tr.StoreID || oi.OfflineID != "" {
			t.Fatalf("simulated chain order %s: node_kdt_id %q offline_id %q, want node_kdt_id %s", tr.TID, oi.NodeKdtID, oi.OfflineID, tr.StoreID)
		}
	}
	tokenOf := map[string]string{}
	for _, b := range []string{b1, b2, b3} {
		got, err := ce.c.Orders(context.Background(), b, start, ce.clk.Now())
		if err != nil {
			t.Fatalf("branch %s: %v", b, err)
		}
		checkOrders(t, got, b, want[b])
		calls := ce.takeCalls()
		if len(calls) == 0 {
			t.Fatalf("branch %s: no calls", b)
		}
		for _, c := range calls {
			if tokenOf[b] == "" {
				tokenOf[b] = c.token
			}
			if c.token != tokenOf[b] {
				t.Errorf("branch %s: calls with two tokens", b)
			}
			wantOffline := ""
			if b == b3 {
				wantOffline = b3
			}
			if c.offline != wantOffline {
				t.Errorf("branch %s: offline_id %s, want %q", b, c.offline, wantOffline)
			}
		}
	}
	if tokenOf[b1] == tokenOf[b2] || tokenOf[b1] == tokenOf[b3] || tokenOf[b2] == tokenOf[b3] {
		t.Errorf("branches share tokens: %v", tokenOf)
	}
	// Tokens are kept per branch: asking again fetches none.
	before := ce.sim.Calls()[sim.APIToken]
	for _, b := range []string{b1, b2, b3} {
		if _, err := ce.c.Orders(context.Background(), b, start, ce.clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n := ce.sim.Calls()[sim.APIToken] - before; n != 0 {
		t.Errorf("%d token calls for cached tokens", n)
	}
}

func TestChainBranchTokenRevoked(t *testing.T) {
	const b1 = "60000001"
	ce := newChainEnv(t, 2, func(c *youzan.Config) { c.BranchGrants = map[string]string{b1: b1} })
	start := ce.clk.Now()
	first := ce.add(t, b1, 2)
	if _, err := ce.c.Orders(context.Background(), b1, start, ce.clk.Now()); err != nil {
		t.Fatal(err)
	}
	ce.sim.RevokeTokens()
	more := ce.add(t, b1, 1)
	got, err := ce.c.Orders(context.Background(), b1, start, ce.clk.Now())
	if err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	checkOrders(t, got, b1, append(first, more...))
}

func TestChainBranchWithoutGrant(t *testing.T) {
	// A branch the app has no grant for: the token error names the kdt_id.
	ce := newChainEnv(t, 1, func(c *youzan.Config) { c.BranchGrants = map[string]string{"60000009": "60000009"} })
	_, err := ce.c.Orders(context.Background(), "60000009", ce.clk.Now().Add(-time.Hour), ce.clk.Now())
	var ae *youzan.APIError
	if !errors.As(err, &ae) || ae.Code != youzan.CodeNoClient || !strings.Contains(err.Error(), "token of kdt_id 60000009") {
		t.Fatalf("err = %v, want a 1103 token error naming kdt_id 60000009", err)
	}
}

func TestChainConfigErrors(t *testing.T) {
	base := youzan.Config{Name: "c", ClientID: "a", ClientSecret: "b", GrantID: "1"}
	tests := []struct {
		edit func(*youzan.Config)
		want string
	}{
		{func(c *youzan.Config) { c.Mode = "franchise" }, `mode: "franchise" is not`},
		{func(c *youzan.Config) { c.BranchGrants = map[string]string{"2": "2"} }, "only for mode"},
		{func(c *youzan.Config) { c.Mode = youzan.ModeChain; c.BranchGrants = map[string]string{"2": "x"} }, `branch "2": grant "x"`},
	}
	for _, tt := range tests {
		cfg := base
		tt.edit(&cfg)
		if _, err := youzan.New(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
	cfg := base
	cfg.Mode = youzan.ModeChain
	c, err := youzan.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Orders(context.Background(), "A1", time.Now(), time.Now()); err == nil || !strings.Contains(err.Error(), "chain branch id") {
		t.Errorf("bad branch id: %v", err)
	}
}

func TestStoresMultiOutlet(t *testing.T) {
	e := newEnv(t, nil, nil)
	got, err := e.c.Stores(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sim.DefaultStores) {
		t.Fatalf("got %d outlets, want %d: %+v", len(got), len(sim.DefaultStores), got)
	}
	for i, st := range sim.DefaultStores {
		g := got[i]
		if g.ID != st.ID || g.Name != st.Name || g.Address != st.Address || g.Kind != "门店+自提点" || g.Disabled {
			t.Errorf("outlet %d = %+v, want %+v", i, g, st)
		}
	}
}

func TestStoresPagesManyOutlets(t *testing.T) {
	e := newEnv(t, nil, nil)
	stores, err := sim.MakeStores(230, false)
	if err != nil {
		t.Fatal(err)
	}
	e.sim = sim.New(sim.Options{Seed: 1, Now: e.clk.Now, Stores: stores})
	srv := httptest.NewServer(e.sim.Handler())
	t.Cleanup(srv.Close)
	c, err := youzan.New(youzan.Config{Name: "yz", BaseURL: srv.URL, ClientID: "demo-client", ClientSecret: "demo-secret", GrantID: e.sim.KdtID()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Stores(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 230 || got[0].ID != stores[0].ID || got[229].ID != stores[229].ID {
		t.Fatalf("got %d outlets (%v ... )", len(got), got[0])
	}
	if n := e.sim.Calls()[sim.APIOfflineSearch]; n != 3 {
		t.Errorf("%d offline.search calls for 230 outlets, want 3 pages of 100", n)
	}
}

func TestStoresChain(t *testing.T) {
	ce := newChainEnv(t, 120, nil)
	got, err := ce.c.Stores(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 {
		t.Fatalf("got %d branches, want 120", len(got))
	}
	if g := got[0]; g.ID != "60000001" || g.Name != sim.DefaultStores[0].Name || g.Address != sim.DefaultStores[0].Address ||
		g.Kind != "门店" || g.Parent != ce.sim.KdtID() {
		t.Errorf("first branch = %+v", g)
	}
	if n := ce.sim.Calls()[sim.APIChainOrgs]; n != 3 {
		t.Errorf("%d organization list calls for 120 branches, want 3 pages of 50", n)
	}
	// A multi-outlet shop has no chain organisation list.
	e := newEnv(t, nil, func(c *youzan.Config) { c.Mode = youzan.ModeChain })
	_, err = e.c.Stores(context.Background())
	var ae *youzan.APIError
	if !errors.As(err, &ae) || ae.Code != youzan.CodeNoPermission {
		t.Errorf("chain listing of a multi-outlet shop: %v, want 4204", err)
	}
}

func TestDecodeStoreLists(t *testing.T) {
	out, err := youzan.DecodeOutlets([]byte(`{"success":true,"code":200,"data":{"count":1,"list":[{"id":12345,"name":" 人民路店 ","kdt_id":"1","is_store":1,"is_self_fetch":false,"province":"上海市","city":"上海市","area":"黄浦区","address":"人民路1号","lat":"31.2","lng":121.4}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if o := out.List[0]; o.ID != "12345" || !o.IsStore.True() || o.IsSelfFetch.True() {
		t.Errorf("outlet = %+v", o)
	}
	for _, bad := range []string{
		`{"success":true,"code":200,"data":{"count":-1,"list":[]}}`,
		`{"success":true,"code":200,"data":{"count":1,"list":[{"id":{}}]}}`,
		`{"gw_err_resp":{"err_code":4204,"err_msg":"x"}}`,
		`{"success":true,"code":200,"data":{"count":1,"list":[`,
	} {
		if _, err := youzan.DecodeOutlets([]byte(bad)); err == nil {
			t.Errorf("DecodeOutlets(%s): no error", bad)
		}
	}
	orgs, err := youzan.DecodeChainOrgs([]byte(`{"success":true,"code":200,"data":{"total":1,"organization_list":[{"kdt_id":60000001,"name":"一店","role":2001,"join_type":2,"shop_address":{"county":"黄浦区","address":"人民路1号"},"access_status":"3"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if o := orgs.OrganizationList[0]; o.KdtID != "60000001" || o.Role != "2001" || o.JoinType != "2" || o.AccessStatus != "3" {
		t.Errorf("organization = %+v", o)
	}
}

func FuzzDecodeStoreLists(f *testing.F) {
	for _, s := range []string{
		`{"success":true,"code":200,"data":{"count":1,"list":[{"id":12345,"name":"a","is_store":true}]}}`,
		`{"success":true,"code":200,"data":{"total":1,"organization_list":[{"kdt_id":"1","name":"a","shop_address":{"county":"x"}}]}}`,
		`{"gw_err_resp":{"err_code":4204,"err_msg":"x"}}`, `{"code":500100004,"msg":"限流"}`, `<html>`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, err := range []error{
			func() error { _, err := youzan.DecodeOutlets(body); return err }(),
			func() error { _, err := youzan.DecodeChainOrgs(body); return err }(),
		} {
			var ae *youzan.APIError
			if err != nil && !errors.As(err, &ae) {
				t.Fatalf("error %v is %T, want *APIError", err, err)
			}
		}
	})
}

func readAll(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Error(err)
	}
	return b
}

func newBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func TestOrdersWhenThePCClockIsBehind(t *testing.T) {
	simClock := newClock()
	pc := func() time.Time { return simClock.Now().Add(-10 * time.Minute) }
	e := newEnvClocks(t, simClock, pc)
	start := pc()
	simClock.Add(time.Second)
	tr, err := e.sim.AddOrder(storeA) // stamped with the platform's clock, 10 minutes after the PC's
	if err != nil {
		t.Fatal(err)
	}
	// The token call learns the skew from the Date header; the window then
	// reaches to the platform's now.
	got, err := e.c.Orders(context.Background(), storeA, start, pc())
	if err != nil {
		t.Fatal(err)
	}
	if e.c.Skew() != 10*time.Minute {
		t.Errorf("Skew = %v, want 10m", e.c.Skew())
	}
	checkOrders(t, got, storeA, []string{tr.TID})
}
