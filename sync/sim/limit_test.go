package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"storeedge/sync/order"
	"storeedge/sync/wdt"
)

// wdtCall posts a signed trade_query.php request for shop and returns the
// answer's code.
func (f *fixture) wdtCall(t *testing.T, shop string) int {
	t.Helper()
	p := map[string]string{"sid": "demo-sid", "appkey": "demo-appkey",
		"timestamp": strconv.FormatInt(f.clk.Now().Unix(), 10), "shop_no": shop,
		"start_time": order.FormatCST(f.clk.Now().Add(-time.Hour)), "end_time": order.FormatCST(f.clk.Now())}
	p["sign"] = wdt.Sign(p, "demo-appsecret")
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	resp, err := http.Post(f.srv.URL+"/openapi2/trade_query.php", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a struct {
		Code json.Number `json:"code"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("wdt answer %q: %v", b, err)
	}
	n, _ := a.Code.Int64()
	return int(n)
}

func TestAppLimit(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, false).AccessToken
	f.sim.RecordCalls(true)
	f.sim.SetLimit(Limit{Rate: 2, Burst: 3})
	list := func() int { return f.list(t, tok, `{"offline_id":43435546}`).code() }

	// A full bucket lets Burst calls through, Youzan and Wangdiantong
	// counted apart (one bucket per app).
	for i := range 3 {
		if c := list(); c != 200 {
			t.Fatalf("call %d within the burst: code %d", i+1, c)
		}
	}
	if c := list(); c != 4101 {
		t.Fatalf("call over the limit: code %d, want the gateway's 4101", c)
	}
	if c := f.wdtCall(t, "43435546"); c != 0 {
		t.Fatalf("wangdiantong while youzan is throttled: code %d", c)
	}
	// Tokens are not limited.
	f.token(t, false)

	// The bucket refills at Rate: half a second brings one call back.
	f.clk.Add(500 * time.Millisecond)
	if c := list(); c != 200 {
		t.Fatalf("after a refill: code %d", c)
	}
	if c := list(); c != 4101 {
		t.Fatalf("refill used up: code %d", c)
	}
	// The Wangdiantong bucket refilled too: 2 left and 1 back.
	for i := range 3 {
		if c := f.wdtCall(t, "43435546"); c != 0 {
			t.Fatalf("wangdiantong call %d: code %d", i+1, c)
		}
	}
	if c := f.wdtCall(t, "43435546"); c != WDTCodeBusy {
		t.Fatalf("wangdiantong over the limit: code %d, want %d", c, WDTCodeBusy)
	}

	stats := f.sim.LimitStats()
	if got, want := stats["youzan:demo-client"], (LimitStats{Allowed: 4, Throttled: 2}); got != want {
		t.Errorf("youzan counters %+v, want %+v", got, want)
	}
	if got, want := stats["wdt:demo-appkey"], (LimitStats{Allowed: 4, Throttled: 1}); got != want {
		t.Errorf("wangdiantong counters %+v, want %+v", got, want)
	}
	var throttled, youzanCalls int
	for _, c := range f.sim.CallLog() {
		if c.Throttled {
			throttled++
		}
		if c.API == APITradesSoldGet {
			youzanCalls++
			if c.Store != "43435546" {
				t.Errorf("call log: store %q, want the offline_id asked for", c.Store)
			}
		}
	}
	if throttled != 3 || youzanCalls != 6 {
		t.Errorf("call log: %d throttled, %d order calls; want 3 and 6", throttled, youzanCalls)
	}

	// No limit: everything passes, and is still counted.
	f.sim.SetLimit(Limit{})
	for range 10 {
		if c := list(); c != 200 {
			t.Fatalf("without a limit: code %d", c)
		}
	}
	if got := f.sim.LimitStats()["youzan:demo-client"].Allowed; got != 14 {
		t.Errorf("allowed without a limit: %d, want 14", got)
	}
}

func TestAdminLimit(t *testing.T) {
	f := newFixture(t)
	post := func(body string) int {
		resp, err := http.Post(f.srv.URL+"/admin/scenario", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := post(`{"limit":{"rate":-1,"burst":2}}`); s != http.StatusBadRequest {
		t.Errorf("negative rate: HTTP %d", s)
	}
	if s := post(`{"limit":{"rate":5,"burst":2}}`); s != http.StatusNoContent {
		t.Fatalf("set limit: HTTP %d", s)
	}
	tok := f.token(t, false).AccessToken
	f.list(t, tok, `{}`)
	f.list(t, tok, `{}`)
	f.list(t, tok, `{}`)
	resp, err := http.Get(f.srv.URL + "/admin/limits")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Limit Limit                 `json:"limit"`
		Apps  map[string]LimitStats `json:"apps"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Limit != (Limit{Rate: 5, Burst: 2}) || got.Apps["youzan:demo-client"] != (LimitStats{Allowed: 2, Throttled: 1}) {
		t.Errorf("/admin/limits: %+v", got)
	}
}

func TestServedStamp(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, false).AccessToken
	a, err := f.sim.AddOrder("43435545")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.sim.AddOrder("43435546")
	if tr, _ := f.sim.Trade(a.TID); !tr.Served.IsZero() || tr.Answer != 0 {
		t.Fatalf("served before any answer: %+v", tr.Served)
	}
	window := `{"offline_id":43435545,"start_update":"` + order.FormatCST(t0.Add(-time.Hour)) + `","end_update":"` + order.FormatCST(t0.Add(time.Minute)) + `"}`
	f.clk.Add(time.Second)
	if got := tids(t, f.list(t, tok, window)); len(got) != 1 || !strings.HasPrefix(got[0], a.TID+"@") {
		t.Fatalf("first answer: %v", got)
	}
	first := stamped(t, f.sim, a.TID)
	if !first.Served.Equal(t0.Add(time.Second)) || first.Answer != 1 {
		t.Fatalf("first answer: served %v answer %d; want %v and 1", first.Served, first.Answer, t0.Add(time.Second))
	}
	// A later answer carrying the same order changes nothing; the other
	// store's order is first carried by the next answer.
	f.clk.Add(time.Second)
	f.list(t, tok, window)
	if again, _ := f.sim.Trade(a.TID); !again.Served.Equal(first.Served) || again.Answer != 1 {
		t.Errorf("second answer moved the stamp: %v %d", again.Served, again.Answer)
	}
	if tr, _ := f.sim.Trade(b.TID); !tr.Served.IsZero() {
		t.Errorf("order of another store stamped: %v", tr.Served)
	}
	if c := f.wdtCall(t, "43435546"); c != 0 {
		t.Fatalf("wangdiantong: code %d", c)
	}
	tb := stamped(t, f.sim, b.TID)
	if !tb.Served.Equal(t0.Add(2*time.Second)) || tb.Answer != 2 {
		t.Errorf("wangdiantong answer: served %v answer %d", tb.Served, tb.Answer)
	}
	// Answers to the same window (the pages of one poll) share it; others
	// do not.
	c, _ := f.sim.AddOrder("43435545")
	f.list(t, tok, window)
	tc := stamped(t, f.sim, c.TID)
	if tc.Answer != 3 || tc.Window != first.Window || !strings.Contains(first.Window, "43435545") {
		t.Errorf("same window again: answer %d window %q, first %q", tc.Answer, tc.Window, first.Window)
	}
	if tb.Window == first.Window || !strings.Contains(tb.Window, "43435546") {
		t.Errorf("wangdiantong window %q, youzan %q", tb.Window, first.Window)
	}
}

// stamped waits for the stamp of an answer the client has read: the
// simulator stamps it right after the answer left, which may be after the
// client got it.
func stamped(t *testing.T, s *Sim, tid string) Trade {
	t.Helper()
	for range 500 {
		if tr, _ := s.Trade(tid); !tr.Served.IsZero() {
			return tr
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("order %s: never stamped as served", tid)
	return Trade{}
}
