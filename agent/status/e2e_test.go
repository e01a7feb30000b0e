package status_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"storeedge/agent"
	"storeedge/agent/config"
	"storeedge/agent/demo"
	"storeedge/agent/status"
	"storeedge/printer/escpos"
	"storeedge/queue"
	"storeedge/sync/sim"
)

var shots = flag.Bool("screenshots", false, "write screenshots of the page's main views to docs/screenshots")

// The simulator's credentials, which the demo config uses.
const (
	simClient = "demo-client"
	simSecret = "demo-secret"
	simKdt    = "90001"
)

// logBuffer collects the agent's log for the secret search.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type e2e struct {
	t       *testing.T
	sim     *sim.Sim
	simURL  string
	dataDir string
	log     *logBuffer
}

func newE2E(t *testing.T) *e2e {
	s := sim.New(sim.Options{ClientID: simClient, ClientSecret: simSecret, KdtID: simKdt, Seed: 11})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &e2e{t: t, sim: s, simURL: srv.URL, dataDir: t.TempDir(), log: &logBuffer{}}
}

// start runs the real agent on ln, with the status token set when token
// is not empty.
func (e *e2e) start(ln net.Listener, token string) (*agent.Agent, *config.Config) {
	t := e.t
	t.Helper()
	text := demo.Config(e.simURL, e.dataDir, "127.0.0.1:0", e.sim.Stores())
	text = strings.Replace(text, `poll = "2s"`, `poll = "1s"`, 1)
	if token != "" {
		text = strings.Replace(text, "[agent]\n", fmt.Sprintf("[agent]\nstatus_token = %q\n", token), 1)
	}
	path := filepath.Join(e.dataDir, "storeedge.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := agent.New(cfg, agent.Options{Listener: ln, Version: "e2e", QueueNoSync: true, Logger: logger})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx); ln.Close() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("agent: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("agent did not stop")
		}
	})
	return a, cfg
}

// paper decodes what a printer file received: the text of each ticket
// (pieces of paper between cuts).
func paper(t *testing.T, dataDir string, cfg *config.Config, printerName string) []string {
	t.Helper()
	pc, ok := cfg.PrinterByName(printerName)
	if !ok {
		t.Fatalf("no printer %s", printerName)
	}
	b, err := os.ReadFile(filepath.Join(dataDir, pc.URI.Path))
	if err != nil {
		return nil
	}
	doc, err := escpos.Decode(b)
	if err != nil {
		t.Fatalf("printer %s: %v", printerName, err)
	}
	lines := doc.Text()
	var tickets []string
	from := 0
	for _, at := range append(doc.CutAt, len(lines)) {
		if at > from {
			tickets = append(tickets, strings.Join(lines[from:at], "\n"))
		}
		from = at
	}
	return tickets
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsq(s string) string { return strconv.Quote(s) }

// TestEndToEnd runs the real agent against the platform simulator, with
// file printers, and the page in headless Chromium: a new order's ticket
// appears live with the new-order sound; pressing reprint prints it again
// with its mark (read back from the printer file); the ticket's picture is
// drawn; the language switches; another site can neither open the
// websocket nor make a job print; and no configured secret appears in any
// answer or in the log. Then the same on a non-loopback listener, where the
// page needs the token: without it the API answers 401, with it the page
// logs in and runs.
func TestEndToEnd(t *testing.T) {
	if os.Getenv("STOREEDGE_NO_BROWSER") != "" {
		t.Skip("STOREEDGE_NO_BROWSER is set")
	}
	b := status.StartBrowser(t)
	if _, err := b.Call("Page.enable", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	// Count the beeps: each is two oscillators made by the page.
	if _, err := b.Call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": `
window.__oscillators = 0;
(function () {
  var C = window.AudioContext; if (!C) return;
  var orig = C.prototype.createOscillator;
  C.prototype.createOscillator = function () { window.__oscillators++; return orig.apply(this, arguments); };
  try { localStorage.setItem('storeedge.sound', 'on'); } catch (e) {}
})();`}); err != nil {
		t.Fatal(err)
	}
	e := newE2E(t)
	store := e.sim.Stores()[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a, cfg := e.start(ln, "")
	base := strings.TrimSuffix(a.StatusURL(), "/")

	b.Navigate(base + "/")
	b.Until("connected", status.Text("#conn"), "实时")
	b.Until("instrumented", "typeof window.__oscillators + localStorage.getItem('storeedge.sound')", "numberon")
	b.Until("sound on", status.Text("#sound"), "提示音：开")
	b.Until("a first snapshot", "document.querySelectorAll('#printers .card').length", strconv.Itoa(demo.Stores))

	// A new order arrives at the platform while the page is open.
	tr, err := e.sim.AddOrder(store.ID)
	if err != nil {
		t.Fatal(err)
	}
	receipt := "youzan/" + store.ID + "/" + tr.TID + "/new/receipt/1"
	row := "#tickets tr[data-job=" + jsq(receipt) + "]"
	b.Until("the new order's ticket appears and prints", status.Text(row+" td:nth-child(6)"), "已打印")
	b.Until("the new-order sound", "window.__oscillators >= 2", "true")
	b.Until("today's orders counted", status.Text("#today .count:nth-child(1) .count-value"), "1")

	// Reprint it from the tickets view.
	b.Until("tickets view", status.Click("#tab-tickets"), "ok")
	b.Until("press reprint", status.Click(row+" .act-reprint"), "ok")
	b.Until("its printer offered first", "document.getElementById('ask-printer').value", "store1")
	b.Until("confirm", status.Click("#ask-ok"), "ok")
	b.Until("the reprint in the list", status.Text("#tickets tr[data-job="+jsq(receipt+"#r1")+"] td:nth-child(6)"), "已打印")
	b.Until("with its mark", status.Text("#tickets tr[data-job="+jsq(receipt+"#r1")+"] .reprint"), "重打")
	var tickets []string // of the new order, in print order
	waitUntil(t, "the reprint on paper", func() bool {
		tickets = nil
		for _, tk := range paper(t, e.dataDir, cfg, "store1") {
			if strings.Contains(tk, "订单号: "+tr.TID) {
				tickets = append(tickets, tk)
			}
		}
		return len(tickets) == 3 // receipt, kitchen ticket, reprinted receipt
	})
	for i, tk := range tickets {
		marked := strings.Contains(tk, "重打 REPRINT")
		if marked != (i == 2) || (i == 2 && !strings.Contains(tk, "顾客联")) {
			t.Errorf("ticket %d of order %s: reprint mark %v:\n%s", i+1, tr.TID, marked, tk)
		}
	}

	// The ticket's picture, drawn from its ESC/POS at the 80mm paper's width.
	b.Until("press preview", status.Click(row+" .act-preview"), "ok")
	b.Until("the picture", "document.getElementById('preview-img').naturalWidth", strconv.Itoa(576+2*(escpos.PreviewMargin+escpos.PaperPad)))
	if *shots {
		dir := filepath.Join("..", "..", "docs", "screenshots")
		b.Screenshot(filepath.Join(dir, "ticket-preview.png"), 1100, false)
		b.Until("close preview", status.Click("#preview-close"), "ok")
		b.Screenshot(filepath.Join(dir, "tickets.png"), 1280, false)
		b.Until("printers view", status.Click("#tab-printers"), "ok")
		b.Screenshot(filepath.Join(dir, "printers.png"), 1280, false)
		b.Until("overview", status.Click("#tab-overview"), "ok")
		b.Screenshot(filepath.Join(dir, "overview.png"), 1280, false)
		b.Screenshot(filepath.Join(dir, "overview-phone.png"), 390, true)
	} else {
		b.Until("close preview", status.Click("#preview-close"), "ok")
	}

	b.Until("switch to English", status.Click("#lang"), "ok")
	b.Until("English title", status.Text("h1"), "Store printing status")
	b.Until("English printer state", status.Text("#printers .card:nth-child(1) .badge"), "Online")
	b.Until("back to Chinese", status.Click("#lang"), "ok")

	// Another site: its page may not open the websocket, nor reprint.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>other</title><script>
window.ws = 'pending';
var sock = new WebSocket(%s);
sock.onopen = function () { window.ws = 'open'; };
sock.onclose = function () { if (window.ws === 'pending') window.ws = 'refused'; };
window.post = 'pending';
fetch(%s, {method: 'POST', mode: 'no-cors', body: '{}'}).then(function () { window.post = 'sent'; }, function () { window.post = 'failed'; });
</script>`, jsq("ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws"), jsq(base+"/api/v1/jobs/"+url.PathEscape(receipt)+"/reprint"))
	}))
	defer other.Close()
	b.Navigate(strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/")
	b.Until("cross-origin websocket refused", "window.ws", "refused")
	b.Until("cross-site post answered", "window.post === 'pending' ? 'pending' : 'done'", "done")
	if _, err := a.Queue().Get(receipt + "#r2"); err == nil {
		t.Error("a cross-site POST made a reprint")
	}
	d := websocket.Dialer{}
	if _, resp, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws", http.Header{"Origin": {"http://evil.example"}}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("websocket with a foreign Origin: err %v, response %v", err, resp)
	}

	secrets := []string{simSecret}
	checkSecrets(t, base, "", receipt, secrets, e.log)

	// A non-loopback listener: the token is required.
	const token = "e2e-token-5b1f0c9d"
	ln2, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln2.Addr().(*net.TCPAddr).Port
	e.dataDir = t.TempDir()
	e.start(ln2, token)
	base2 := "http://127.0.0.1:" + strconv.Itoa(port)
	resp, err := http.Get(base2 + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status API without token off loopback: %s, want 401", resp.Status)
	}
	b.Navigate(base2 + "/")
	b.Until("sent to the login page", "location.pathname", "/login")
	b.Until("type a wrong token", "document.getElementById('token').value = 'nope'", "nope")
	b.Until("submit", "document.querySelector('form').submit(), 'ok'", "ok")
	b.Until("wrong token said", "(document.querySelector('.problem') || {}).textContent", "口令不正确。Wrong token.")
	b.Until("type the token", "document.getElementById('token').value = "+jsq(token), token)
	b.Until("submit", "document.querySelector('form').submit(), 'ok'", "ok")
	b.Until("logged in", "location.pathname", "/")
	b.Until("live after login", "document.getElementById('conn').className", "conn conn-live")
	b.Until("cookie kept from scripts", "document.cookie", "")
	checkSecrets(t, base2, token, "", append(secrets, token), e.log)
}

// checkSecrets fetches every API answer (and the page, its script, a
// ticket's picture and a websocket message) and fails when any holds a
// configured secret value; then searches the agent's log.
func checkSecrets(t *testing.T, base, token, job string, secrets []string, log *logBuffer) {
	t.Helper()
	get := func(path string) []byte {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %s %s", path, resp.Status, body)
		}
		return body
	}
	answers := map[string][]byte{}
	for _, p := range []string{"/", "/assets/app.js", "/api/v1/status", "/api/v1/jobs?limit=1000", "/api/v1/jobs?state=done&newest=1"} {
		answers[p] = get(p)
	}
	if job != "" {
		for _, p := range []string{"/api/v1/jobs/" + url.PathEscape(job), "/api/v1/jobs/" + url.PathEscape(job) + "/preview.png"} {
			answers[p] = get(p)
		}
	}
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/ws", h)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := c.ReadMessage()
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	answers["websocket"] = msg
	answers["log"] = []byte(log.String())
	for where, body := range answers {
		for _, s := range secrets {
			if bytes.Contains(body, []byte(s)) {
				t.Errorf("%s contains the secret %q", where, s)
			}
		}
	}
	if len(answers["/api/v1/status"]) < 100 || len(answers["log"]) < 100 {
		t.Errorf("too little to search: status %d bytes, log %d bytes", len(answers["/api/v1/status"]), len(answers["log"]))
	}
}

var _ = queue.ErrNotFound
