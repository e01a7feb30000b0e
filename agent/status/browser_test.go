package status

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
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
// first page and one for the browser.
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

// TestBrowser loads the page in headless Chromium: it shows the snapshot in
// Chinese, follows changes live, switches to English and keeps that after a
// reload, and says it is reconnecting while the agent cannot be reached.
func TestBrowser(t *testing.T) {
	if os.Getenv("STOREEDGE_NO_BROWSER") != "" {
		t.Skip("STOREEDGE_NO_BROWSER is set")
	}
	page := startChromium(t)

	f := newFake(fullSnapshot(), false)
	s, err := New(f, Options{Loopback: true, MinInterval: 10 * time.Millisecond, Heartbeat: time.Minute})
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
	text := func(sel string) string {
		return "(document.querySelector(" + quote(sel) + ") || {}).textContent"
	}
	until(t, page, "connected", text("#conn"), "实时")
	until(t, page, "printer state in words", text("#printers .card:nth-child(2) .badge"), "缺纸")
	until(t, page, "kind in words with the reprint mark", text("#tickets tbody tr:nth-child(2) td:nth-child(4)"), "厨房联重打")
	until(t, page, "store name in the ticket table", text("#tickets tbody tr:nth-child(1) td:nth-child(2)"), "人民路店")
	until(t, page, "plain-words alert", text("#alerts .alert"), "打印机「kitchen」缺纸：请换纸，换好后会自动继续打印。")
	until(t, page, "dead count", text("#queue .count:nth-child(4) .count-value"), "1")

	f.update(func(s *Snapshot) { s.Queue.Done = 777 })
	until(t, page, "live update", text("#queue .count:nth-child(3) .count-value"), "777")

	if _, err := page.eval("document.getElementById('lang').click()"); err != nil {
		t.Fatal(err)
	}
	until(t, page, "English title", text("h1"), "Store printing status")
	until(t, page, "English state", text("#printers .card:nth-child(2) .badge"), "Paper out")
	until(t, page, "English kind", text("#tickets tbody tr:nth-child(2) td:nth-child(4)"), "Kitchen ticketREPRINT")

	if _, err := page.call("Page.reload", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	until(t, page, "English kept after reload", text("h1"), "Store printing status")
	until(t, page, "connected after reload", text("#conn"), "Live")

	down.Store(true)
	stopHub() // closes the page's websocket
	until(t, page, "reconnecting shown", text("#conn"), "Reconnecting…")
	until(t, page, "content marked stale", "document.getElementById('main').className", "stale")
	f.update(func(s *Snapshot) { s.Queue.Done = 778 })
	runHub(t, s)
	down.Store(false)
	until(t, page, "reconnected", text("#conn"), "Live")
	until(t, page, "fresh data after reconnect", text("#queue .count:nth-child(3) .count-value"), "778")
}
