package agent_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"storeedge/agent"
	"storeedge/agent/config"
	"storeedge/sync/sim"
	"storeedge/sync/youzan"
)

// faultSetup is how a fault scenario's agent talks to the simulator.
type faultSetup struct {
	platform string        // "youzan" (multi-outlet), "chain" or "wdt"
	push     bool          // Youzan push messages to a push_listen of the agent
	poll     time.Duration // default 1s
}

// newFaultHarness serves a simulator of three stores and writes a config
// whose agent serves two of them, each store with its own file printer.
// In a chain the first branch is read with its own token, the second with
// the HQ token.
func newFaultHarness(t *testing.T, seed int64, fs faultSetup) *harness {
	t.Helper()
	stores, err := sim.MakeStores(3, fs.platform == "chain")
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Options{ClientID: simClient, ClientSecret: simSecret, KdtID: simKdt, Seed: seed,
		Stores: stores, Chain: fs.platform == "chain"})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	h := &harness{t: t, sim: s, simURL: srv.URL, dataDir: t.TempDir()}
	if fs.poll == 0 {
		fs.poll = time.Second
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[agent]\ndata_dir = %q\nstatus_listen = \"127.0.0.1:0\"\n\n", h.dataDir)
	switch fs.platform {
	case "wdt":
		fmt.Fprintf(&b, "[[platform]]\nname = \"wdt\"\ntype = \"wdt\"\nbase_url = \"%s/openapi2\"\n"+
			"sid = \"demo-sid\"\nappkey = \"demo-appkey\"\nappsecret = \"demo-appsecret\"\n", srv.URL)
	default:
		fmt.Fprintf(&b, "[[platform]]\nname = \"youzan\"\ntype = \"youzan\"\nbase_url = %q\nclient_id = %q\n"+
			"client_secret = %q\ngrant_id = %q\n", srv.URL, simClient, simSecret, simKdt)
		if fs.platform == "chain" {
			b.WriteString("mode = \"chain\"\n")
		}
		if fs.push {
			b.WriteString("push_listen = \"127.0.0.1:0\"\n")
		}
	}
	fmt.Fprintf(&b, "poll = %q\noverlap = \"2m\"\nlookback = \"10m\"\n\n", fs.poll)
	for i, st := range stores[:2] {
		fmt.Fprintf(&b, "[[store]]\nid = %q\nname = %q\n", st.ID, st.Name)
		if fs.platform == "chain" && i == 0 {
			fmt.Fprintf(&b, "grant_id = %q\n", st.ID)
		}
		fmt.Fprintf(&b, "\n[[printer]]\nname = \"p%d\"\nuri = \"file://printers/p%d.bin\"\n\n", i+1, i+1)
		for _, kind := range []string{"receipt", "kitchen", "cancel"} {
			fmt.Fprintf(&b, "[[binding]]\nstore = %q\nticket = %q\nprinters = [\"p%d\"]\n\n", st.ID, kind, i+1)
		}
	}
	path := filepath.Join(h.dataDir, "storeedge.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config does not load: %v\n%s", err, b.String())
	}
	h.cfg = cfg
	return h
}

// served are the ids of the stores the agent prints for.
func (h *harness) served() []string {
	var ids []string
	for _, s := range h.cfg.Stores {
		ids = append(ids, s.ID)
	}
	return ids
}

// orderID is the id the agent's platform gives a simulated order: the
// Youzan tid, or the Wangdiantong trade_no made from it.
func (h *harness) orderID(tid string) string {
	if h.cfg.Platforms[0].Type == "wdt" {
		return "JY" + strings.TrimLeft(tid, "E")
	}
	return tid
}

// addOrders adds one order to each simulated store, served or not, and
// returns the served ones' order ids.
func (h *harness) addOrders(t *testing.T) []string {
	t.Helper()
	served := map[string]bool{}
	for _, id := range h.served() {
		served[id] = true
	}
	var tids []string
	for _, st := range h.sim.Stores() {
		tr, err := h.sim.AddOrder(st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if served[st.ID] {
			tids = append(tids, h.orderID(tr.TID))
		}
	}
	return tids
}

// waitPrinted waits until n jobs are done.
func waitPrinted(t *testing.T, r *running, n int, d time.Duration) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d tickets printed", n), d, func() bool {
		st, err := r.a.Queue().Stats()
		return err == nil && st.Done == n
	})
}

// checkPaper asserts that every order of tids printed exactly once: one
// receipt and one kitchen ticket on its store's printer and nowhere else,
// none marked as a reprint, and that no other order printed.
func (h *harness) checkPaper(t *testing.T, tids []string) {
	t.Helper()
	paper := h.paper(t)
	printerOf := map[string]string{}
	for _, b := range h.cfg.Bindings {
		printerOf[b.Store] = b.Printers[0]
	}
	storeOf := map[string]string{}
	for _, tr := range h.sim.Trades() {
		storeOf[h.orderID(tr.TID)] = tr.StoreID
	}
	want := map[string]bool{}
	for _, tid := range tids {
		want[tid] = true
		c := count(paper, tid)
		p := printerOf[storeOf[tid]]
		if c[p] != 2 || len(c) != 1 {
			t.Errorf("order %s of store %s: ticket lines per printer %v, want 2 on %s only", tid, storeOf[tid], c, p)
		}
	}
	lines := 0
	for name, ls := range paper {
		for _, l := range ls {
			if strings.Contains(l, "重打") || strings.Contains(l, "REPRINT") {
				t.Errorf("printer %s has a reprint mark: %q", name, l)
			}
			if strings.HasPrefix(strings.TrimSpace(l), "订单号: ") {
				lines++
				if tid := strings.TrimPrefix(strings.TrimSpace(l), "订单号: "); !want[tid] {
					t.Errorf("printer %s printed order %s, which is not one of this test's", name, tid)
				}
			}
		}
	}
	if lines != 2*len(tids) {
		t.Errorf("%d order lines on paper, want %d", lines, 2*len(tids))
	}
}

// sawError waits until the platform's health shows an error saying want.
func sawError(t *testing.T, r *running, want string) {
	t.Helper()
	var last string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last error: %q", last)
		}
	})
	waitFor(t, "the platform's error "+want, 15*time.Second, func() bool {
		s := r.status(t)
		if len(s.Platforms) == 1 {
			last = s.Platforms[0].LastError
		}
		return strings.Contains(last, want)
	})
}

// TestFaultsRecover runs the agent against each fault of the simulator:
// orders added before and during the fault all print, each exactly once,
// once the fault has passed.
func TestFaultsRecover(t *testing.T) {
	tests := []struct {
		name  string
		setup faultSetup
		// fault starts the fault and returns the plain words the agent's
		// health must show while it lasts ("" when the agent rides it out
		// without an error) and a function that ends it.
		fault func(h *harness) (string, func())
	}{
		{"latency", faultSetup{platform: "youzan"}, func(h *harness) (string, func()) {
			h.sim.SetLatency(300 * time.Millisecond)
			return "", func() { h.sim.SetLatency(0) }
		}},
		{"5xx", faultSetup{platform: "youzan"}, func(h *harness) (string, func()) {
			h.sim.InjectError(sim.APITradesSoldGet, 503, 2)
			return "HTTP 503", func() {}
		}},
		{"throttled", faultSetup{platform: "youzan"}, func(h *harness) (string, func()) {
			h.sim.InjectError(sim.APITradesSoldGet, youzan.CodeThrottled, 1)
			h.sim.InjectError(sim.APIToken, youzan.CodeRequestLimited, 1)
			return "throttled", func() {}
		}},
		{"malformed JSON", faultSetup{platform: "youzan"}, func(h *harness) (string, func()) {
			h.sim.InjectError(sim.APITradesSoldGet, sim.FaultMalformed, 2)
			return "not JSON", func() {}
		}},
		{"truncated JSON", faultSetup{platform: "youzan"}, func(h *harness) (string, func()) {
			h.sim.InjectError(sim.APITradesSoldGet, sim.FaultTruncated, 2)
			return "cut short", func() {}
		}},
		{"token revoked", faultSetup{platform: "youzan"}, func(h *harness) (string, func()) {
			h.sim.RevokeTokens()
			return "", func() {}
		}},
		{"chain branch tokens revoked", faultSetup{platform: "chain"}, func(h *harness) (string, func()) {
			h.sim.RevokeTokens()
			return "", func() {}
		}},
		{"platform clock ahead of the PC", faultSetup{platform: "youzan"}, func(h *harness) (string, func()) {
			// Orders are stamped 10 minutes after the PC's now: without
			// the skew taken from the Date header they would wait 10
			// minutes for the PC's clock.
			h.sim.SetClockSkew(10 * time.Minute)
			return "", func() {}
		}},
		{"wangdiantong 5xx", faultSetup{platform: "wdt"}, func(h *harness) (string, func()) {
			h.sim.InjectError(sim.APIWDTTradeQuery, 502, 2)
			return "HTTP 502", func() {}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newFaultHarness(t, int64(10+i), tt.setup)
			before := h.addOrders(t)
			r := h.start()
			waitPrinted(t, r, 2*len(before), 20*time.Second)

			words, end := tt.fault(h)
			during := h.addOrders(t)
			if words != "" {
				sawError(t, r, words)
			}
			end()
			all := append(before, during...)
			waitPrinted(t, r, 2*len(all), 30*time.Second)
			if tokens := h.sim.Calls()[sim.APIToken]; tt.name == "token revoked" && tokens < 2 {
				t.Errorf("%d token calls: the revoked token was not renewed", tokens)
			}
			snap := r.status(t)
			if p := snap.Platforms[0]; p.State != "ok" && p.LastError != "" {
				// A poll may be failing again only if the fault is back.
				t.Errorf("after recovery the platform is %s: %s", p.State, p.LastError)
			}
			r.halt(t)
			h.checkPaper(t, all)
		})
	}
}

// TestLateOrderInAnOldWindow: an order whose update time is already behind
// the agent's last window (the platform's list lagged) still prints, once,
// because each window starts overlap before the last one ended.
func TestLateOrderInAnOldWindow(t *testing.T) {
	h := newFaultHarness(t, 31, faultSetup{platform: "youzan"})
	before := h.addOrders(t)
	r := h.start()
	waitPrinted(t, r, 2*len(before), 20*time.Second)
	since := time.Now()
	waitFor(t, "a poll past the late order's update time", 10*time.Second, func() bool {
		s := r.status(t)
		return s.Platforms[0].LastSuccess.After(since.Add(1500 * time.Millisecond))
	})
	late, err := h.sim.AddLateOrder(h.served()[0], 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	all := append(before, late.TID)
	waitPrinted(t, r, 2*len(all), 20*time.Second)
	r.halt(t)
	h.checkPaper(t, all)
}

// pcClock is the shop PC's clock: the real one, set off by an offset.
type pcClock struct{ off atomic.Int64 }

func (c *pcClock) Now() time.Time        { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *pcClock) Set(off time.Duration) { c.off.Store(int64(off)) }

// startWith starts the agent with a clock of its own.
func (h *harness) startWith(now func() time.Time) *running {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	a, err := agent.New(h.cfg, agent.Options{Listener: ln, Version: "test", QueueNoSync: true, Now: now})
	if err != nil {
		ln.Close()
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{a: a, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx); ln.Close() }()
	h.t.Cleanup(func() { r.halt(h.t) })
	return r
}

// TestPCClockOff: Wangdiantong refuses a PC whose clock is 10 minutes
// behind; the agent says so in plain words, and once the clock is set every
// order prints, once.
func TestPCClockOff(t *testing.T) {
	h := newFaultHarness(t, 32, faultSetup{platform: "wdt"})
	clk := &pcClock{}
	clk.Set(-10 * time.Minute)
	before := h.addOrders(t)
	r := h.startWith(clk.Now)
	sawError(t, r, "this PC's clock is 10m0s behind the platform's")
	during := h.addOrders(t)
	clk.Set(0)
	all := append(before, during...)
	waitPrinted(t, r, 2*len(all), 30*time.Second)
	r.halt(t)
	h.checkPaper(t, all)
}

// TestPushTriggersPoll: with a long poll interval, Youzan push messages to
// push_listen make the agent poll at once, in multi-outlet and chain shops.
func TestPushTriggersPoll(t *testing.T) {
	for i, platform := range []string{"youzan", "chain"} {
		t.Run(platform, func(t *testing.T) {
			t.Parallel()
			h := newFaultHarness(t, int64(40+i), faultSetup{platform: platform, push: true, poll: time.Hour})
			before := h.addOrders(t)
			r := h.start() // the first poll runs at start
			waitPrinted(t, r, 2*len(before), 20*time.Second)
			addr, ok := r.a.PushAddr("youzan")
			if !ok {
				t.Fatal("no push listener")
			}
			h.sim.SetPushURL("http://" + addr.String() + "/youzan/push")
			ctx, cancel := context.WithCancel(context.Background())
			simDone := make(chan error, 1)
			go func() { simDone <- h.sim.Run(ctx) }()
			during := h.addOrders(t)
			all := append(before, during...)
			waitPrinted(t, r, 2*len(all), 20*time.Second)
			cancel()
			if err := <-simDone; err != nil {
				t.Fatal(err)
			}
			if st := h.sim.PushStats(); st.Delivered < len(h.sim.Stores()) || st.GivenUp != 0 {
				t.Errorf("push stats %+v: every message should be answered with success", st)
			}
			r.halt(t)
			h.checkPaper(t, all)
		})
	}
}

// TestCheckYouzanStores: check-config names every store that the Youzan
// client could not ask for, by file, line and field.
func TestCheckYouzanStores(t *testing.T) {
	tests := []struct {
		name, platform, store, want string
	}{
		{"outlet id not digits", "", `id = "renmin"`, `store[0].id: "renmin" is not a Youzan outlet id`},
		{"branch id not digits", "mode = \"chain\"\n", `id = "b-1"`, `store[0].id: "b-1" is not a Youzan chain branch's kdt_id`},
		{"branch grant on an outlet", "", "id = \"1\"\ngrant_id = \"1\"", `store[0].grant_id: a branch's own grant is for mode "chain"`},
		{"push on the status address", "push_listen = \"127.0.0.1:8723\"\n", `id = "1"`, "platform[0].push_listen: 127.0.0.1:8723 is already status_listen"},
		{"chain with branch grants and push", "mode = \"chain\"\npush_listen = \"0.0.0.0:8725\"\n", "id = \"1\"\ngrant_id = \"1\"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			text := fmt.Sprintf("[agent]\ndata_dir = %q\n\n[[platform]]\ntype = \"youzan\"\nclient_id = \"a\"\nclient_secret = \"b\"\ngrant_id = \"9\"\n%s\n[[store]]\n%s\n",
				dir, tt.platform, tt.store)
			path := filepath.Join(dir, "c.toml")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			err = agent.Check(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "c.toml:")):
				t.Errorf("Check = %v, want an error at a line of c.toml saying %q", err, tt.want)
			}
		})
	}
}
