package scale

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"storeedge/internal/crashtest"
	"storeedge/internal/testbin"
	"storeedge/sync/orders"
	"storeedge/sync/sim"
)

// TestThrottledAgentBacksOff: the app's request quota runs out while an
// agent polls every 2 s. The platform answers its polls with the gateway's
// throttling error (4101); the agent waits as the platform asks, 3 s, then
// 6 s, then 12 s, shows it on the status page, and once the quota is back
// prints every order that arrived meanwhile, each once.
func TestThrottledAgentBacksOff(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	bin := binary(t)
	s := sim.New(sim.Options{Seed: time.Now().UnixNano(), RecordCalls: true})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	store := sim.DefaultStores[0]
	cfg := AgentConfig{DataDir: filepath.Join(dataRoot(t), "store"), Listen: testbin.FreeAddr(t), SimURL: srv.URL, KdtID: s.KdtID(),
		Platform: Youzan, Store: store, Poll: 2 * time.Second, Receipt: "file://printers/front.bin"}
	var tids []string
	add := func(n int) {
		t.Helper()
		for range n {
			tr, err := s.AddOrder(store.ID)
			if err != nil {
				t.Fatal(err)
			}
			tids = append(tids, tr.TID)
		}
	}
	add(2)
	agents := startAll(t, bin, []AgentConfig{cfg})
	a := agents[0]
	expected := func() []string {
		var out []string
		for _, id := range tids {
			out = append(out, id+" 顾客联", id+" 厨房联")
		}
		return out
	}
	waitPrinted(t, a, expected, 30*time.Second)

	// The quota runs out: one more call gets through, then every call is
	// throttled.
	limitFrom := time.Now()
	s.SetLimit(sim.Limit{Rate: 1e-6, Burst: 1})
	add(3)
	waitPolls(t, s, store.ID, limitFrom, 2, 30*time.Second)
	if st := platformState(t, cfg.Listen); st.State != "backoff" || !strings.Contains(st.LastError, "throttled") {
		t.Errorf("status page while throttled: state %q, last error %q; want backoff and the reason", st.State, st.LastError)
	}
	waitPolls(t, s, store.ID, limitFrom, 3, 30*time.Second)
	s.SetLimit(sim.Limit{}) // the quota is back
	add(1)
	waitPrinted(t, a, expected, 60*time.Second)
	stopAll(t, agents)
	checkLogs(t, agents)

	// Every poll attempt of the store from the moment the quota ran out.
	var at []time.Time
	var was []bool
	for _, c := range s.CallLog() {
		if c.API == sim.APITradesSoldGet && c.Store == store.ID && !c.At.Before(limitFrom) {
			at = append(at, c.At)
			was = append(was, c.Throttled)
		}
	}
	k := slices.Index(was, true)
	if k < 0 || k+3 >= len(was) || !was[k+1] || !was[k+2] || was[k+3] {
		t.Fatalf("polls after the quota ran out, throttled or not: %v; want three throttled in a row, then one through", was)
	}
	var line []string
	for i, ask := range []time.Duration{orders.ThrottleWait, 2 * orders.ThrottleWait, 4 * orders.ThrottleWait} {
		gap := at[k+i+1].Sub(at[k+i])
		line = append(line, fmt.Sprintf("%.2fs (platform asks %v)", gap.Seconds(), ask))
		if gap < ask {
			t.Errorf("throttled poll %d: the next came %v later, sooner than the %v the platform asks", i+1, gap, ask)
		}
	}
	report(t, "throttled agent: waits after throttled polls %s; first poll through after %.1fs; orders %d printed, each once",
		strings.Join(line, ", "), at[k+3].Sub(at[k]).Seconds(), len(tids))
	sum := crashtest.Count(expected(), readPaper(t, a))
	if sum.Lost > 0 || sum.UnmarkedDuplicates > 0 || sum.MarkedReprints > 0 || sum.Printings != len(expected()) {
		t.Errorf("paper after throttling: %+v", sum)
	}
}

// waitPrinted waits until every expected ticket is on the agent's paper.
func waitPrinted(t *testing.T, a *agent, expected func() []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		sum := crashtest.Count(expected(), readPaper(t, a))
		if sum.Lost == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tickets not printed within %v: %v\n%s", sum.Lost, within, sum.LostTickets, tail(a.logPath, 2048))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitPolls waits until n polls of store since from were throttled.
func waitPolls(t *testing.T, s *sim.Sim, store string, from time.Time, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := 0
		for _, c := range s.CallLog() {
			if c.API == sim.APITradesSoldGet && c.Store == store && c.Throttled && !c.At.Before(from) {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d throttled polls within %v, want %d", got, within, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type platformStatus struct {
	State     string `json:"state"`
	LastError string `json:"last_error"`
}

// platformState reads the first platform's state from the status API.
func platformState(t *testing.T, listen string) platformStatus {
	t.Helper()
	resp, err := http.Get("http://" + listen + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Platforms []platformStatus `json:"platforms"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || len(st.Platforms) == 0 {
		t.Fatalf("status API: %v, %d platforms", err, len(st.Platforms))
	}
	return st.Platforms[0]
}
