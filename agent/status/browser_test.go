package status

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// cdp is a minimal Chrome DevTools Protocol client: enough to load a page,
// run script in it and close the browser.
type cdp struct {
	conn *websocket.Conn
	id   int
}

func dialCDP(url string) (*cdp, error) {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, fmt.Errorf("devtools %s: %w", url, err)
	}
	return &cdp{conn: c}, nil
}

func (c *cdp) call(method string, params any) (json.RawMessage, error) {
	c.id++
	if err := c.conn.WriteJSON(map[string]any{"id": c.id, "method": method, "params": params}); err != nil {
		return nil, err
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := c.conn.ReadJSON(&m); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		if m.ID != c.id {
			continue // an event
		}
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		return m.Result, nil
	}
}

// eval runs a JavaScript expression in the page and returns its value as text.
func (c *cdp) eval(expr string) (string, error) {
	res, err := c.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		return "", err
	}
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return "", err
	}
	if r.ExceptionDetails != nil {
		return "", errors.New("script: " + r.ExceptionDetails.Text)
	}
	return fmt.Sprint(r.Result.Value), nil
}

// startChromium launches headless Chromium and returns a client for its
// first page. Sound plays without a click, so the page's new-order beep can
// be observed.
func startChromium(t *testing.T) (page *cdp) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		skipOutsideCI(t, "no Chromium installed (make test installs it)")
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--disable-dev-shm-usage", "--remote-debugging-port=0",
		"--autoplay-policy=no-user-gesture-required", "--hide-scrollbars", "--lang=zh-CN",
		"--user-data-dir="+t.TempDir(), "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "DevTools listening on "); ok {
				found <- u
			}
		}
	}()
	var browserURL string
	select {
	case browserURL = <-found:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal("chromium printed no DevTools address")
	}
	browser, err := dialCDP(browserURL)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = browser.call("Browser.close", nil)
		browser.conn.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})

	host := strings.TrimPrefix(browserURL, "ws://")
	host = host[:strings.Index(host, "/")]
	resp, err := http.Get("http://" + host + "/json/list")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var targets []struct{ Type, WebSocketDebuggerURL string }
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			page, err = dialCDP(tg.WebSocketDebuggerURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { page.conn.Close() })
			return page
		}
	}
	t.Fatal("chromium has no page")
	return nil
}

// until evaluates expr until it returns want.
func until(t *testing.T, page *cdp, what, expr, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got string
	var err error
	for time.Now().Before(deadline) {
		got, err = page.eval(expr)
		if err == nil && got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: %s = %q (%v), want %q", what, expr, got, err, want)
}

// screenshot saves the page as a PNG of width x (whole page) height.
func screenshot(t *testing.T, page *cdp, path string, width int, mobile bool) {
	t.Helper()
	metrics := func(h int) {
		if _, err := page.call("Emulation.setDeviceMetricsOverride", map[string]any{
			"width": width, "height": h, "deviceScaleFactor": 1, "mobile": mobile}); err != nil {
			t.Fatal(err)
		}
	}
	metrics(800)
	time.Sleep(100 * time.Millisecond) // layout at the new width
	hs, err := page.eval("Math.ceil(document.documentElement.scrollHeight)")
	if err != nil {
		t.Fatal(err)
	}
	h, _ := strconv.Atoi(hs)
	metrics(min(max(h, 400), 2400))
	time.Sleep(100 * time.Millisecond)
	res, err := page.call("Page.captureScreenshot", map[string]any{"format": "png"})
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Data []byte }
	if err := json.Unmarshal(res, &r); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, r.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := page.call("Emulation.clearDeviceMetricsOverride", map[string]any{}); err != nil {
		t.Fatal(err)
	}
}

// text is a script that reads the text of the first element matching sel.
func text(sel string) string {
	return "(document.querySelector(" + quote(sel) + ") || {}).textContent"
}

// click is a script that clicks the first element matching sel.
func click(sel string) string {
	return "(function(){var e=document.querySelector(" + quote(sel) + "); if(!e) throw new Error('no ' + " + quote(sel) + "); e.click(); return 'ok';})()"
}

// TestBrowser loads the page in headless Chromium with a snapshot that has
// every kind of problem: it shows it in Chinese with server alerts in
// words, follows changes live (an alert clears when its cause does),
// switches views and language (kept after a reload), sends the actions a
// person chooses to the API, shows a ticket's picture, and says it is
// reconnecting while the agent cannot be reached.
func TestBrowser(t *testing.T) {
	if os.Getenv("STOREEDGE_NO_BROWSER") != "" {
		t.Skip("STOREEDGE_NO_BROWSER is set")
	}
	page := startChromium(t)

	f := newFake(fullSnapshot(), false)
	var mu sync.Mutex
	var posted []string
	pngBytes := tinyPNG(t)
	routes := map[string]http.Handler{
		"POST /api/v1/jobs/{id}/{action}": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			posted = append(posted, r.PathValue("action")+" "+r.PathValue("id")+" "+string(b))
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		}),
		"POST /api/v1/printers/{name}/{action}": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			posted = append(posted, r.PathValue("action")+" "+r.PathValue("name"))
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"paused": true}`))
		}),
		"GET /api/v1/jobs/{id}/preview.png": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(pngBytes)
		}),
	}
	s, err := New(f, Options{Loopback: true, MinInterval: 10 * time.Millisecond, Heartbeat: time.Minute, Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() && r.URL.Path == pathWS {
			writeError(w, http.StatusServiceUnavailable, "down for the test")
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	stopHub := runHub(t, s)

	if _, err := page.call("Page.navigate", map[string]any{"url": ts.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	until(t, page, "connected", text("#conn"), "实时")
	until(t, page, "printer state in words", text("#printers .card:nth-child(2) .badge"), "缺纸")
	until(t, page, "today's orders", text("#today .count:nth-child(1) .count-value"), "45")
	until(t, page, "needs a decision", text("#today .count:nth-child(4) .count-value"), "1")
	until(t, page, "server alert in words", text("#alerts .alert"), "打印机「kitchen」缺纸：请换纸，换好后会自动继续打印。 [1 小时 0 分钟]")
	if f := flag.Lookup("screenshots"); f != nil && f.Value.String() == "true" {
		screenshot(t, page, filepath.Join("..", "..", "docs", "screenshots", "alerts.png"), 1280, false)
	}

	// Stock and price reporting: hidden until configured, then refused SKUs
	// and bad POS rows in words.
	until(t, page, "no reports section without reporters", "String(document.getElementById('reports-section').hidden)", "true")
	f.update(func(s *Snapshot) {
		s.Reports = []Report{{Name: "hiding", Type: "hiding", Pending: 3, Reported: 97, CallsToday: 2,
			Errors: []ReportError{{Kind: "stock", Store: "s1", SKU: "SKU003", Error: "商品不存在"}}}}
		s.StockSources = []StockSource{{Name: "pos", Type: "folder", Values: 10, Changed: 2,
			Problems: []string{`stock.csv:3: qty "abc" is not a number`}}}
	})
	until(t, page, "reports shown", "String(document.getElementById('reports-section').hidden)", "false")
	until(t, page, "pending changes", text("#reports .card:nth-child(1) .stat-value"), "3")
	until(t, page, "refused SKU in words", text("#reports .card:nth-child(1) .problems li"), "SKU003 (s1, stock)：商品不存在")
	until(t, page, "bad POS row", text("#reports .card:nth-child(2) .problems li"), `stock.csv:3: qty "abc" is not a number`)

	// The tickets view: the dead job waits for a decision above the latest.
	until(t, page, "tickets view", click("#tab-tickets"), "ok")
	until(t, page, "tickets view shown", "document.getElementById('view-tickets').hidden", "false")
	until(t, page, "attention row", text("#attention tbody tr td:nth-child(6) .badge"), "失败")
	until(t, page, "kind with reprint mark", text("#tickets tbody tr:nth-child(2) td:nth-child(4)"), "厨房联重打")
	until(t, page, "actions of a pending job", "Array.from(document.querySelectorAll('#tickets tbody tr:nth-child(2) td.actions button')).map(b=>b.textContent).join(',')", "预览,转打印机,放弃")

	// Drop with a reason, then move to another printer: the dialog asks.
	until(t, page, "press drop", click("#tickets tbody tr:nth-child(2) .act-drop"), "ok")
	until(t, page, "drop dialog", "document.getElementById('ask').open", "true")
	until(t, page, "reason typed", "document.getElementById('ask-reason').value='客人取走了'", "客人取走了")
	until(t, page, "confirm", click("#ask-ok"), "ok")
	until(t, page, "press move", click("#tickets tbody tr:nth-child(2) .act-move"), "ok")
	until(t, page, "only other printers offered", "Array.from(document.querySelectorAll('#ask-printer option')).map(o=>o.value).join(',')", "front")
	until(t, page, "confirm move", click("#ask-ok"), "ok")
	until(t, page, "press retry", click("#attention tbody tr .act-retry"), "ok")
	until(t, page, "cancel", click("#ask-cancel"), "ok")
	until(t, page, "done toast", text("#toast"), "已转到其他打印机")

	// The printers view: pause asks, test page does not.
	until(t, page, "printers view", click("#tab-printers"), "ok")
	until(t, page, "binding table", text("#bindings tbody tr:nth-child(2) td:nth-child(3)"), "kitchen、front")
	until(t, page, "press pause", click("#control .card:nth-child(1) .act-pause"), "ok")
	until(t, page, "confirm pause", click("#ask-ok"), "ok")
	until(t, page, "press test", click("#control .card:nth-child(2) .act-test"), "ok")
	until(t, page, "test toast", text("#toast"), "测试页已加入队列，打印机继续后才会打印")
	mu.Lock()
	got := strings.Join(posted, "\n")
	mu.Unlock()
	want := strings.Join([]string{
		`drop 43435545/E2025/new/kitchen/1 {"reason":"客人取走了"}`,
		`move 43435545/E2025/new/kitchen/1 {"printer":"front"}`,
		"pause front",
		"test kitchen",
	}, "\n")
	if got != want {
		t.Errorf("the page sent:\n%s\nwant:\n%s", got, want)
	}

	// A ticket's picture.
	until(t, page, "tickets view again", click("#tab-tickets"), "ok")
	until(t, page, "press preview", click("#tickets tbody tr:nth-child(1) .act-preview"), "ok")
	until(t, page, "picture loaded", "document.getElementById('preview-img').naturalWidth", "3")
	until(t, page, "picture URL from the snapshot", "document.getElementById('preview-img').getAttribute('src')", "/api/v1/jobs/43435545%2FE2026%2Fnew%2Freceipt%2F1/preview.png")
	until(t, page, "close preview", click("#preview-close"), "ok")

	// Live: the paper is loaded, the alert clears; a pause shows.
	f.update(func(s *Snapshot) {
		s.Printers[1].State, s.Printers[1].NeedsPersonSince = PrinterOnline, time.Time{}
		s.Printers[0].Paused = true
		s.Queue.Dead, s.Attention = 0, nil
		s.Today.Tickets = 777
	})
	until(t, page, "live update", text("#today .count:nth-child(2) .count-value"), "777")
	until(t, page, "alerts after the fix", "Array.from(document.querySelectorAll('#alerts .alert')).map(a=>a.dataset.kind).join(',')", "platform,paused")
	until(t, page, "resume offered", text("#control .card:nth-child(1) .act-resume"), "继续打印")
	until(t, page, "nothing to decide", text("#attention tbody td"), "没有需要处理的小票")

	until(t, page, "switch language", click("#lang"), "ok")
	until(t, page, "English title", text("h1"), "Store printing status")
	until(t, page, "English tab", text("#tab-tickets"), "Tickets")
	until(t, page, "English kind", text("#tickets tbody tr:nth-child(2) td:nth-child(4)"), "Kitchen ticketREPRINT")

	if _, err := page.call("Page.reload", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	until(t, page, "English kept after reload", text("h1"), "Store printing status")
	until(t, page, "view kept after reload", "document.getElementById('view-tickets').hidden", "false")
	until(t, page, "connected after reload", text("#conn"), "Live")

	down.Store(true)
	stopHub() // closes the page's websocket
	until(t, page, "reconnecting shown", text("#conn"), "Reconnecting…")
	until(t, page, "content marked stale", "document.getElementById('main').className", "stale")
	f.update(func(s *Snapshot) { s.Today.Tickets = 778 })
	runHub(t, s)
	down.Store(false)
	until(t, page, "reconnected", text("#conn"), "Live")
	until(t, page, "fresh data after reconnect", text("#today .count:nth-child(2) .count-value"), "778")
}

// tinyPNG is a 3 x 2 picture.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
