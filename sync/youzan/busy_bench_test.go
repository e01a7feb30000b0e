package youzan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"storeedge/sync/order"
	"storeedge/sync/youzan"
)

// BenchmarkBusyWindow reads one window of 100 orders, the size of a busy
// day's poll, again and again as the poller does (the windows overlap, so
// most orders come back unchanged). The simulator's answer is recorded
// once and served as is over real HTTP, so the figures are the client's.
func BenchmarkBusyWindow(b *testing.B) {
	e := newEnv(b, nil, nil)
	start := e.clk.Now()
	e.add(b, storeA, 100)
	end := e.clk.Now()
	page := recordPage(b, e, start, end)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Date", e.clk.Now().UTC().Format(http.TimeFormat)) // the platform's clock
		if strings.HasPrefix(r.URL.Path, "/auth/token") {
			exp := strconv.FormatInt(e.clk.Now().Add(24*time.Hour).UnixMilli(), 10)
			_, _ = io.WriteString(w, `{"success":true,"code":200,"data":{"access_token":"t","expires":`+exp+`}}`)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		_, _ = w.Write(page)
	}))
	b.Cleanup(srv.Close)
	c, err := youzan.New(youzan.Config{Name: "yz", BaseURL: srv.URL, ClientID: "demo-client", ClientSecret: "demo-secret",
		GrantID: e.sim.KdtID(), HTTPClient: srv.Client(), Now: e.clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := c.Orders(ctx, storeA, start, end)
		if err != nil || len(got) != 100 {
			b.Fatalf("%d orders, %v", len(got), err)
		}
	}
}

// recordPage is the simulator's answer to the first page of the orders of
// storeA updated within [from, to].
func recordPage(b *testing.B, e *env, from, to time.Time) []byte {
	b.Helper()
	post := func(path string, body any) []byte {
		raw, err := json.Marshal(body)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := e.srv.Client().Post(e.srv.URL+path, "application/json", bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	var tok struct {
		Data youzan.TokenData `json:"data"`
	}
	if err := json.Unmarshal(post("/auth/token", youzan.TokenRequest{ClientID: "demo-client", ClientSecret: "demo-secret",
		AuthorizeType: "silent", GrantID: e.sim.KdtID()}), &tok); err != nil {
		b.Fatal(err)
	}
	return post("/api/youzan.trades.sold.get/"+youzan.DefaultVersion+"?access_token="+tok.Data.AccessToken,
		youzan.TradesSoldGetParams{StartUpdate: order.FormatCST(from), EndUpdate: order.FormatCST(to),
			OfflineID: youzan.Long(storeA), PageNo: 1, PageSize: youzan.PageSize})
}
