package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/agent"
	"storeedge/agent/config"
	"storeedge/agent/demo"
	"storeedge/agent/status"
	"storeedge/printer/escpos"
	"storeedge/queue"
	"storeedge/sync/sim"
)

const (
	simClient = "demo-client"
	simSecret = "demo-secret"
	simKdt    = "90001"
)

type harness struct {
	t       *testing.T
	sim     *sim.Sim
	simURL  string
	dataDir string
	cfg     *config.Config
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	s := sim.New(sim.Options{ClientID: simClient, ClientSecret: simSecret, KdtID: simKdt, Seed: 7})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	h := &harness{t: t, sim: s, simURL: srv.URL, dataDir: t.TempDir()}
	cfgPath := filepath.Join(h.dataDir, "storeedge.toml")
	text := demo.Config(srv.URL, h.dataDir, "127.0.0.1:0", s.Stores())
	text = strings.Replace(text, `poll = "2s"`, `poll = "1s"`, 1)
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("demo config does not load: %v", err)
	}
	h.cfg = cfg
	return h
}

type running struct {
	a    *agent.Agent
	stop func()
	done chan error
}

func (h *harness) start() *running {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	a, err := agent.New(h.cfg, agent.Options{Listener: ln, Version: "test", QueueNoSync: true})
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

func (r *running) halt(t *testing.T) {
	if r.stop == nil {
		return
	}
	r.stop()
	r.stop = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("agent Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("agent did not stop within 10 s")
	}
}

func (r *running) status(t *testing.T) status.Snapshot {
	t.Helper()
	resp, err := http.Get(r.a.StatusURL() + "api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status API: %s", resp.Status)
	}
	var s status.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// paper decodes every printer file: printer name -> decoded text lines.
func (h *harness) paper(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range h.cfg.Printers {
		b, err := os.ReadFile(filepath.Join(h.dataDir, p.URI.Path))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		doc, err := escpos.Decode(b)
		if err != nil {
			t.Fatalf("printer %s output does not decode: %v", p.Name, err)
		}
		if len(doc.Unknown) > 0 {
			t.Errorf("printer %s output has unknown commands: %v", p.Name, doc.Unknown)
		}
		out[p.Name] = doc.Text()
	}
	return out
}

// count is how many tickets carry order tid, per printer: every ticket kind
// prints one "订单号: <tid>" line.
func count(paper map[string][]string, tid string) map[string]int {
	c := map[string]int{}
	for name, lines := range paper {
		for _, l := range lines {
			if strings.TrimSpace(l) == "订单号: "+tid {
				c[name]++
			}
		}
	}
	return c
}

func TestOrdersPrintOnceOnTheirStoresPrinter(t *testing.T) {
	h := newHarness(t)
	stores := h.sim.Stores()
	if len(stores) != 3 {
		t.Fatalf("simulator has %d stores, want 3", len(stores))
	}
	printerOf := map[string]string{} // store id -> printer name
	for _, b := range h.cfg.Bindings {
		printerOf[b.Store] = b.Printers[0]
	}
	var tids []string
	for i := 0; i < 4; i++ {
		for _, st := range stores {
			tr, err := h.sim.AddOrder(st.ID)
			if err != nil {
				t.Fatal(err)
			}
			tids = append(tids, tr.TID)
		}
	}

	r := h.start()
	served := 0
	for _, tr := range h.sim.Trades() {
		if printerOf[tr.StoreID] != "" {
			served++
		}
	}
	// Every served order: one receipt and one kitchen ticket.
	waitFor(t, "first orders printed", 20*time.Second, func() bool {
		st, err := r.a.Queue().Stats()
		return err == nil && st.Done == 2*served
	})
	// Orders arriving while the agent runs are picked up by the next polls.
	for _, st := range stores {
		tr, err := h.sim.AddOrder(st.ID)
		if err != nil {
			t.Fatal(err)
		}
		tids = append(tids, tr.TID)
		if printerOf[st.ID] != "" {
			served++
		}
	}
	waitFor(t, "later orders printed", 20*time.Second, func() bool {
		st, err := r.a.Queue().Stats()
		return err == nil && st.Done == 2*served
	})

	snap := r.status(t)
	if snap.Version != "test" || len(snap.Stores) != demo.Stores || len(snap.Printers) != demo.Stores {
		t.Errorf("status: version %q, %d stores, %d printers", snap.Version, len(snap.Stores), len(snap.Printers))
	}
	if len(snap.Platforms) != 1 || snap.Platforms[0].State != "ok" || snap.Platforms[0].OrdersSeen != served {
		t.Errorf("status platforms = %+v, want one ok platform with %d orders seen", snap.Platforms, served)
	}
	if snap.Queue.Done != 2*served || snap.Queue.Pending != 0 || snap.Queue.Dead != 0 {
		t.Errorf("status queue = %+v", snap.Queue)
	}
	printed := 0
	for _, p := range snap.Printers {
		printed += p.Printed
	}
	if printed != 2*served || len(snap.Tickets) == 0 {
		t.Errorf("status printers printed %d, tickets %d", printed, len(snap.Tickets))
	}
	r.halt(t)

	paper := h.paper(t)
	storeOf := map[string]string{}
	for _, tr := range h.sim.Trades() {
		storeOf[tr.TID] = tr.StoreID
	}
	for _, tid := range tids {
		c := count(paper, tid)
		want := printerOf[storeOf[tid]]
		if want == "" {
			if len(c) != 0 {
				t.Errorf("order %s of unserved store %s printed: %v", tid, storeOf[tid], c)
			}
			continue
		}
		for name := range c {
			if name != want {
				t.Errorf("order %s printed on %s, binding says %s", tid, name, want)
			}
		}
		if c[want] != 2 {
			t.Errorf("order %s: %d ticket lines on %s, want 2 (receipt + kitchen, once each)", tid, c[want], want)
		}
	}
	for name, lines := range paper {
		for _, l := range lines {
			if strings.Contains(l, "重打") || strings.Contains(l, "REPRINT") {
				t.Errorf("printer %s has a reprint mark after a clean run: %q", name, l)
			}
		}
	}

	// A restart on the same data directory prints nothing again.
	sizes := map[string]int64{}
	for _, p := range h.cfg.Printers {
		fi, err := os.Stat(filepath.Join(h.dataDir, p.URI.Path))
		if err != nil {
			t.Fatal(err)
		}
		sizes[p.Name] = fi.Size()
	}
	r2 := h.start()
	since := time.Now()
	waitFor(t, "two polls after restart", 20*time.Second, func() bool {
		s := r2.status(t)
		return len(s.Platforms) == 1 && s.Platforms[0].LastSuccess.After(since.Add(300*time.Millisecond))
	})
	st, err := r2.a.Queue().Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending+st.Inflight != 0 || st.Done != 2*served {
		t.Errorf("after restart queue = %+v, want %d done and nothing pending", st, 2*served)
	}
	r2.halt(t)
	for _, p := range h.cfg.Printers {
		fi, err := os.Stat(filepath.Join(h.dataDir, p.URI.Path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != sizes[p.Name] {
			t.Errorf("printer %s grew from %d to %d bytes after restart", p.Name, sizes[p.Name], fi.Size())
		}
	}
}

func TestSecondAgentOnSameDataDirIsRefused(t *testing.T) {
	h := newHarness(t)
	h.start()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	start := time.Now()
	_, err = agent.New(h.cfg, agent.Options{Listener: ln})
	if !errors.Is(err, queue.ErrLocked) {
		t.Fatalf("second agent: err = %v, want ErrLocked", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("refusal took %v", time.Since(start))
	}
}
