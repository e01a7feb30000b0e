package stock

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"storeedge/decimal"
	"storeedge/queue"
	"storeedge/sync/sim"
	"storeedge/sync/youzan"
)

// youzanSim is a simulator and a Youzan client of its multi-outlet shop.
func youzanSim(t *testing.T, mode string) (*sim.Sim, *youzan.Client) {
	t.Helper()
	s := sim.New(sim.Options{})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	c, err := youzan.New(youzan.Config{Name: "yz", BaseURL: srv.URL, ClientID: "demo-client", ClientSecret: "demo-secret",
		GrantID: "90001", Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func newYouzanReporter(t *testing.T, c *youzan.Client, items map[string]YouzanItem) *YouzanReporter {
	t.Helper()
	r, err := NewYouzanReporter(YouzanConfig{Client: c, Items: items, QPS: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fourPerItem maps SKU%05d to item 1000+i/4, SKU i+1: items of four SKUs.
func fourPerItem(n int) map[string]YouzanItem {
	m := make(map[string]YouzanItem, n)
	for i := range n {
		m[fmt.Sprintf("SKU%05d", i)] = YouzanItem{NumIID: int64(1000 + i/4), SKUID: int64(i + 1)}
	}
	return m
}

func batch(kind Kind, store string, items ...Item) Batch {
	return Batch{Target: "yz", Kind: kind, Store: store, Key: "k1", Items: items}
}

func item(sku, num string) Item { return Item{SKU: sku, Num: decimal.MustParse(num)} }

func TestYouzanReport(t *testing.T) {
	t.Parallel()
	items := fourPerItem(8)
	items["BOX"] = YouzanItem{NumIID: 2000}
	tests := []struct {
		name        string
		reject      string // sim SKU refused
		b           Batch
		wantRefused []string
		wantValues  map[string]string // sim kind/sku -> value in outlet 43435545
		wantCalls   int
	}{
		{
			name:       "stock of one item's SKUs in one call",
			b:          batch(KindStock, "43435545", item("SKU00000", "5"), item("SKU00001", "-3"), item("SKU00002", "2.75")),
			wantValues: map[string]string{"stock/1000:1": "5", "stock/1000:2": "0", "stock/1000:3": "2"},
			wantCalls:  1,
		},
		{
			name:       "prices in yuan, one call per item",
			b:          batch(KindPrice, "43435545", item("SKU00000", "12.5"), item("SKU00004", "0.99"), item("BOX", "30")),
			wantValues: map[string]string{"price/1000:1": "12.5", "price/1001:5": "0.99", "price/2000": "30"},
			wantCalls:  3,
		},
		{
			name:        "a refused SKU is narrowed down; the others are applied",
			reject:      "1000:2",
			b:           batch(KindStock, "43435545", item("SKU00000", "1"), item("SKU00001", "2"), item("SKU00002", "3")),
			wantRefused: []string{"SKU00001"},
			wantValues:  map[string]string{"stock/1000:1": "1", "stock/1000:3": "3"},
			wantCalls:   4,
		},
		{
			name:        "SKUs without a Youzan item and prices in fractions of a fen are refused",
			b:           batch(KindPrice, "43435545", item("UNMAPPED", "1"), item("SKU00000", "1.005"), item("555:7", "8")),
			wantRefused: []string{"SKU00000", "UNMAPPED"},
			wantValues:  map[string]string{"price/555:7": "8"},
			wantCalls:   1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := youzanSim(t, "")
			if tt.reject != "" {
				s.Stock().RejectSKU(tt.reject, "商品不存在")
			}
			refused, err := newYouzanReporter(t, c, items).Report(context.Background(), tt.b)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for sku, why := range refused {
				if why == "" {
					t.Errorf("%s refused without a reason", sku)
				}
				got = append(got, sku)
			}
			if fmt.Sprint(slices.Sorted(slices.Values(got))) != fmt.Sprint(tt.wantRefused) {
				t.Errorf("refused %v, want %v", refused, tt.wantRefused)
			}
			applied := s.Stock().Applied()
			if len(applied) != len(tt.wantValues) {
				t.Errorf("applied %+v, want %v", applied, tt.wantValues)
			}
			for k, want := range tt.wantValues {
				kind, sku, _ := strings.Cut(k, "/")
				if v, ok := s.Stock().Value(sim.StockYouzan, kind, "43435545", sku); v != want {
					t.Errorf("%s = %q (%v), want %q", k, v, ok, want)
				}
			}
			if n := len(s.Stock().Calls()); n != tt.wantCalls {
				t.Errorf("%d calls, want %d: %+v", n, tt.wantCalls, s.Stock().Calls())
			}
		})
	}
}

func TestYouzanReportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		setup         func(*sim.Sim)
		store         string
		wantTemporary bool
		wantErr       string
		wantRefused   bool // the platform refuses the call's content: kept per SKU
	}{
		{name: "server error is temporary", setup: func(s *sim.Sim) { s.Stock().FailNext(sim.StockYouzan, 1, http.StatusBadGateway) },
			store: "43435545", wantTemporary: true, wantErr: "HTTP 502"},
		{name: "an outlet the shop does not have", store: "99999999", wantErr: "offline_id 99999999", wantRefused: true},
		{name: "a store id that is not an outlet id", store: "WH01", wantErr: `store "WH01" is not an outlet id`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := youzanSim(t, "")
			if tt.setup != nil {
				tt.setup(s)
			}
			refused, err := newYouzanReporter(t, c, nil).Report(context.Background(), batch(KindStock, tt.store, item("1:2", "1")))
			if tt.wantRefused {
				if err != nil || !strings.Contains(refused["1:2"], tt.wantErr) {
					t.Fatalf("refused %v, err %v: want 1:2 refused with %q", refused, err, tt.wantErr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if IsTemporary(err) != tt.wantTemporary {
				t.Errorf("IsTemporary(%v) = %v, want %v", err, IsTemporary(err), tt.wantTemporary)
			}
		})
	}
}

func TestYouzanTokenRenewal(t *testing.T) {
	t.Parallel()
	s, c := youzanSim(t, "")
	r := newYouzanReporter(t, c, nil)
	ctx := context.Background()
	if _, err := r.Report(ctx, batch(KindStock, "43435545", item("1:2", "1"))); err != nil {
		t.Fatal(err)
	}
	s.RevokeTokens()
	if _, err := r.Report(ctx, batch(KindStock, "43435545", item("1:2", "4"))); err != nil {
		t.Fatalf("after the token was revoked: %v", err)
	}
	if v, _ := s.Stock().Value(sim.StockYouzan, "stock", "43435545", "1:2"); v != "4" {
		t.Errorf("stock = %q, want 4", v)
	}
	// The revoked token was refused once, renewed, and the call made again.
	var codes []string
	for _, c := range s.Stock().Calls() {
		codes = append(codes, c.Code)
	}
	if want := fmt.Sprint([]string{"200", fmt.Sprint(youzan.CodeTokenExpired), "200"}); fmt.Sprint(codes) != want {
		t.Errorf("call codes %v, want %s", codes, want)
	}
}

func TestNewYouzanReporterChecks(t *testing.T) {
	_, chain := youzanSim(t, youzan.ModeChain)
	_, multi := youzanSim(t, "")
	tests := []struct {
		name string
		cfg  YouzanConfig
		want string
	}{
		{"no client", YouzanConfig{}, "no platform client"},
		{"chain shop", YouzanConfig{Client: chain}, `mode "chain"`},
		{"bad item id", YouzanConfig{Client: multi, Items: map[string]YouzanItem{"A": {NumIID: 0}}}, `sku "A"`},
	}
	for _, tt := range tests {
		if _, err := NewYouzanReporter(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestParseYouzanItem(t *testing.T) {
	tests := []struct {
		in      string
		want    YouzanItem
		wantErr string
	}{
		{"123:456", YouzanItem{123, 456}, ""},
		{" 123 ", YouzanItem{NumIID: 123}, ""},
		{"123:", YouzanItem{}, "sku_id"},
		{":4", YouzanItem{}, "num_iid"},
		{"-1:4", YouzanItem{}, "num_iid"},
		{"0", YouzanItem{}, "num_iid"},
		{"+5", YouzanItem{}, "num_iid"},
		{"SKU1", YouzanItem{}, "num_iid"},
		{"99999999999999999999", YouzanItem{}, "num_iid"},
	}
	for _, tt := range tests {
		got, err := ParseYouzanItem(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseYouzanItem(%q) = %v, %v; want error on %s", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want || got.String() != strings.TrimSpace(tt.in) {
			t.Errorf("ParseYouzanItem(%q) = %v (%s), %v; want %v", tt.in, got, got, err, tt.want)
		}
	}
}

func FuzzParseYouzanItem(f *testing.F) {
	for _, s := range []string{"1:2", "3", "a:b", ":", "1:2:3", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		y, err := ParseYouzanItem(s)
		if err != nil {
			return
		}
		if y.NumIID <= 0 || y.SKUID < 0 {
			t.Fatalf("%q gave %+v", s, y)
		}
		back, err := ParseYouzanItem(y.String())
		if err != nil || back != y {
			t.Fatalf("%q: %v does not round-trip: %v %v", s, y, back, err)
		}
	})
}

func TestYouzanValue(t *testing.T) {
	tests := []struct {
		kind    Kind
		in      string
		want    string
		wantErr string
	}{
		{KindStock, "12", "12", ""},
		{KindStock, "12.9", "12", ""},
		{KindStock, "-4", "0", ""},
		{KindStock, "0.5", "0", ""},
		{KindPrice, "18", "18.00", ""},
		{KindPrice, "9.5", "9.50", ""},
		{KindPrice, "0.125", "", "more than 2 decimals"},
		{KindPrice, "-1", "", "negative"},
	}
	for _, tt := range tests {
		got, err := youzanValue(tt.kind, decimal.MustParse(tt.in))
		if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) || got != tt.want {
			t.Errorf("youzanValue(%s, %s) = %q, %v; want %q, %q", tt.kind, tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestYouzanOnlyChangesArrive: 10,000 SKUs of which 100 change reach the
// simulated outlet through the outbox, exactly those 100, in batches within
// the limit.
func TestYouzanOnlyChangesArrive(t *testing.T) {
	t.Parallel()
	s, c := youzanSim(t, "")
	q, err := queue.Open(filepath.Join(t.TempDir(), "queue.db"), queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	const n = 10000
	out, err := NewOutbox(OutboxOptions{Queue: q, Targets: []Target{{Name: "yz", Type: "youzan",
		Reporter: newYouzanReporter(t, c, fourPerItem(n)), Stores: map[string]string{"s1": "43435545"}}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewReporting(ReportingOptions{Outbox: out, Idle: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rep.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	drain := func() {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			st, err := q.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Pending+st.Inflight == 0 {
				return
			}
		}
		t.Fatal("outbox did not drain in 20s")
	}
	stock := values("s1", KindStock, n, func(i int) string { return fmt.Sprint(i % 97) })
	if _, err := out.Submit(stock); err != nil {
		t.Fatal(err)
	}
	drain()
	first := len(s.Stock().Applied())
	if first != n {
		t.Fatalf("applied %d values, want %d", first, n)
	}
	callsBefore := len(s.Stock().Calls())
	changed := map[string]string{}
	for i := range 100 {
		ix := i*97 + 13
		stock[ix].Num = stock[ix].Num.Add(decimal.MustParse("2"))
		y := fourPerItem(n)[stock[ix].SKU]
		changed[y.String()] = stock[ix].Num.String()
	}
	sum, err := out.Submit(stock)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Changed != 100 || sum.Jobs != 1 {
		t.Fatalf("second submit %+v, want 100 changes in one batch", sum)
	}
	drain()
	applied := s.Stock().Applied()[first:]
	if len(applied) != 100 {
		t.Errorf("%d values applied for the changes, want 100", len(applied))
	}
	for _, a := range applied {
		if want, ok := changed[a.SKU]; !ok || a.Value != want || a.Store != "43435545" || a.Kind != "stock" {
			t.Errorf("applied %+v, want only the changed SKUs with their new stock", a)
		}
	}
	for _, call := range s.Stock().Calls()[callsBefore:] {
		if call.Items > 4 || call.Code != "200" {
			t.Errorf("call %+v: more than one item's SKUs, or failed", call)
		}
	}
}
