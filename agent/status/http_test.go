package status

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// get runs one request through h with a loopback Host.
func get(h http.Handler, method, target string, body io.Reader) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	r.Host = "127.0.0.1:8723"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestNew(t *testing.T) {
	p := newFake(Snapshot{}, false)
	tests := []struct {
		name    string
		p       Provider
		opt     Options
		wantErr string
		min, hb time.Duration
	}{
		{name: "loopback defaults", p: p, opt: Options{Loopback: true}, min: DefaultMinInterval, hb: DefaultHeartbeat},
		{name: "non-loopback with token", p: p, opt: Options{Token: "t", MinInterval: time.Second, Heartbeat: time.Minute}, min: time.Second, hb: time.Minute},
		{name: "non-loopback without token", p: p, opt: Options{}, wantErr: "status page on a non-loopback address needs status_token"},
		{name: "nil provider", p: nil, opt: Options{Loopback: true}, wantErr: "provider is nil"},
		{name: "negative min interval", p: p, opt: Options{Loopback: true, MinInterval: -1}, wantErr: "min interval -1ns is negative"},
		{name: "negative heartbeat", p: p, opt: Options{Loopback: true, Heartbeat: -time.Second}, wantErr: "heartbeat -1s is negative"},
		{name: "heartbeat below min interval", p: p, opt: Options{Loopback: true, MinInterval: time.Second, Heartbeat: time.Millisecond}, wantErr: "heartbeat 1ms is shorter than min interval 1s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.p, tc.opt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if s.opt.MinInterval != tc.min || s.opt.Heartbeat != tc.hb {
				t.Errorf("intervals = %v, %v; want %v, %v", s.opt.MinInterval, s.opt.Heartbeat, tc.min, tc.hb)
			}
		})
	}
	if _, err := New(p, Options{}); !errors.Is(err, ErrTokenRequired) {
		t.Errorf("New without token: %v, want ErrTokenRequired", err)
	}
}

func TestStatusJSONGolden(t *testing.T) {
	tests := []struct {
		name   string
		snap   Snapshot
		golden string
	}{
		{"full", fullSnapshot(), "status_full.json"},
		// Lists the provider leaves nil still come out as arrays.
		{"empty", Snapshot{Version: "dev", Started: t0, Now: t0, Bindings: []Binding{{Store: "s", Ticket: "receipt"}}}, "status_empty.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(newFake(tc.snap, false), Options{Loopback: true})
			if err != nil {
				t.Fatal(err)
			}
			w := get(s.Handler(), http.MethodGet, pathStatus, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := w.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, w.Body.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if !bytes.Equal(w.Body.Bytes(), want) {
				t.Errorf("body differs from %s (run with -update to accept):\n%s", path, w.Body)
			}
			// The answer decodes back into the same snapshot.
			var back Snapshot
			if err := json.Unmarshal(w.Body.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			if want := normalize(tc.snap, time.Time{}, DefaultOfflineAlert); !snapEqual(back, want) {
				t.Errorf("decoded snapshot differs:\n got %+v\nwant %+v", back, want)
			}
		})
	}
}

func snapEqual(a, b Snapshot) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestStatusFieldNames pins the documented JSON names independently of the
// golden file.
func TestStatusFieldNames(t *testing.T) {
	s, err := New(newFake(fullSnapshot(), false), Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	w := get(s.Handler(), http.MethodGet, pathStatus, nil)
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	first := func(key string) map[string]any { return doc[key].([]any)[0].(map[string]any) }
	tests := []struct {
		name string
		obj  map[string]any
		keys string
	}{
		{"snapshot", doc, "version started now stores platforms printers queue tickets bindings attention today alerts reports stock_sources"},
		{"store", first("stores"), "id name platform"},
		{"platform", first("platforms"), "name type state last_poll last_success last_error orders_seen"},
		{"printer", first("printers"), "name uri state queued printed failed last_printed last_error paper detail since needs_person_since paused"},
		{"queue", doc["queue"].(map[string]any), "pending inflight done dead held dropped"},
		{"ticket", first("tickets"), "id store order_id kind printer state updated reprint attempts error preview"},
		{"binding", first("bindings"), "store ticket printers copies backup"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := strings.Fields(tc.keys)
			if len(tc.obj) != len(want) {
				t.Errorf("%d keys, want %d: %v", len(tc.obj), len(want), tc.obj)
			}
			for _, k := range want {
				if _, ok := tc.obj[k]; !ok {
					t.Errorf("key %q missing in %v", k, tc.obj)
				}
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	f := newFake(fullSnapshot(), false)
	s, err := New(f, Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	tests := []struct {
		name, method, path, host string
		code                     int
		json                     bool   // the body is a JSON error
		contains                 string // in the body
	}{
		{name: "unknown api route", method: "GET", path: "/api/v1/nope", code: 404, json: true, contains: "no such API route: /api/v1/nope"},
		{name: "bare api", method: "GET", path: "/api", code: 404, json: true},
		{name: "unknown api version", method: "GET", path: "/api/v2/status", code: 404, json: true},
		{name: "unknown page", method: "GET", path: "/nope", code: 404},
		{name: "post status", method: "POST", path: pathStatus, code: 405, json: true, contains: "method POST is not allowed"},
		{name: "ws without upgrade", method: "GET", path: pathWS, code: 400, json: true, contains: "needs a websocket upgrade"},
		{name: "ws from other origin", method: "GET", path: pathWS, code: 403, json: true, contains: "does not match host"},
		{name: "login without token redirects home", method: "GET", path: pathLogin, code: 303},
		{name: "rebinding host", method: "GET", path: pathStatus, host: "evil.example:8723", code: 403, json: true, contains: "not a loopback name"},
		{name: "rebinding host page", method: "GET", path: "/", host: "evil.example", code: 403, json: true},
		{name: "localhost host", method: "GET", path: pathStatus, host: "localhost:8723", code: 200},
		{name: "ipv6 host", method: "GET", path: pathStatus, host: "[::1]:8723", code: 200},
		{name: "head page", method: "HEAD", path: "/", code: 200},
		{name: "unknown asset", method: "GET", path: "/assets/nope.js", code: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, nil)
			r.Host = "127.0.0.1:8723"
			if tc.host != "" {
				r.Host = tc.host
			}
			if tc.name == "ws from other origin" {
				r.Header.Set("Origin", "http://evil.example")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.code, w.Body)
			}
			if tc.json {
				var e struct{ Error string }
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
					t.Fatalf("body is not a JSON error (%v): %s", err, w.Body)
				}
			}
			if !strings.Contains(w.Body.String(), tc.contains) {
				t.Errorf("body %q lacks %q", w.Body, tc.contains)
			}
		})
	}

	f.setErr(errors.New("queue closed"))
	w := get(h, "GET", pathStatus, nil)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "queue closed") {
		t.Errorf("provider failure: status %d body %s, want 503 naming the cause", w.Code, w.Body)
	}
}

func TestPage(t *testing.T) {
	s, err := New(newFake(fullSnapshot(), false), Options{Loopback: true, Heartbeat: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()

	page := get(h, "GET", "/", nil)
	if page.Code != 200 || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %q", page.Code, page.Header().Get("Content-Type"))
	}
	csp := page.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "connect-src 'self' ws://127.0.0.1:8723"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	html := page.Body.String()
	for _, want := range []string{
		`lang="zh-CN"`, `name="viewport"`, `content="7000"`, `/assets/app.js`, `/assets/style.css`,
		`id="printers"`, `id="platforms"`, `id="today"`, `id="tickets"`, `id="attention"`, `id="control"`, `id="stores"`, `id="bindings"`,
		"门店打印状态", "连接中…",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Nothing is loaded from elsewhere.
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).FindString(html); m != "" {
		t.Errorf("page loads an external resource: %s", m)
	}

	js := get(h, "GET", "/assets/app.js", nil)
	if js.Code != 200 || js.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("app.js: %d %q", js.Code, js.Header().Get("Content-Type"))
	}
	body := js.Body.String()
	if !strings.Contains(body, "'/api/v1/ws'") {
		t.Error("app.js lacks the websocket path")
	}
	labels := []struct{ zh, en string }{
		{"正常", "Online"}, {"缺纸", "Paper out"}, {"纸将尽", "Paper low"}, {"开盖", "Cover open"},
		{"故障", "Error"}, {"离线", "Offline"}, {"未知", "Unknown"}, {"待确认", "Needs a decision"}, {"打印中", "Printing"},
		{"顾客联", "Customer receipt"}, {"厨房联", "Kitchen ticket"}, {"取消单", "Cancellation"},
		{"重打", "REPRINT"}, {"连接中…", "Reconnecting…"}, {"打印机", "Printers"}, {"最近小票", "Latest tickets"},
	}
	for _, l := range labels {
		if !strings.Contains(body, "'"+l.zh+"'") || !strings.Contains(body, "'"+l.en+"'") {
			t.Errorf("app.js lacks the label pair %q / %q", l.zh, l.en)
		}
	}

	css := get(h, "GET", "/assets/style.css", nil)
	if css.Code != 200 || !strings.Contains(css.Body.String(), "@media") {
		t.Errorf("style.css: %d, responsive rules present: %v", css.Code, strings.Contains(css.Body.String(), "@media"))
	}

	// Assets revalidate by ETag.
	r := httptest.NewRequest("GET", "/assets/app.js", nil)
	r.Host = "127.0.0.1:8723"
	r.Header.Set("If-None-Match", js.Header().Get("ETag"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if js.Header().Get("ETag") == "" || w.Code != http.StatusNotModified {
		t.Errorf("revalidation: ETag %q, status %d, want 304", js.Header().Get("ETag"), w.Code)
	}
}

func TestLoopbackHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1:8723", true},
		{"127.0.0.1", true},
		{"localhost:8723", true},
		{"LOCALHOST", true},
		{"localhost.", true},
		{"shop.localhost:1", true},
		{"[::1]:8723", true},
		{"::1", true},
		{"192.168.1.20:8723", true},
		{"evil.example:8723", false},
		{"localhost.evil.example", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := loopbackHost(tc.host); got != tc.want {
			t.Errorf("loopbackHost(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		origin, host string
		ok           bool
	}{
		{"http://127.0.0.1:8723", "127.0.0.1:8723", true},
		{"https://Shop.local:8723", "shop.local:8723", true},
		{"http://127.0.0.1:9999", "127.0.0.1:8723", false},
		{"http://evil.example", "127.0.0.1:8723", false},
		{"null", "127.0.0.1:8723", false},
		{"file://", "127.0.0.1:8723", false},
		{"ws://127.0.0.1:8723", "127.0.0.1:8723", false},
		{"http://127.0.0.1:8723.evil.example", "127.0.0.1:8723", false},
	}
	for _, tc := range tests {
		err := sameOrigin(tc.origin, tc.host)
		if (err == nil) != tc.ok {
			t.Errorf("sameOrigin(%q, %q) = %v, want ok=%v", tc.origin, tc.host, err, tc.ok)
		}
	}
}

func FuzzSameOrigin(f *testing.F) {
	f.Add("http://127.0.0.1:8723", "127.0.0.1:8723")
	f.Add("https://a.b", "a.b")
	f.Add("null", "x")
	f.Add("http://[::1]:80", "[::1]:80")
	f.Fuzz(func(t *testing.T, origin, host string) {
		if sameOrigin(origin, host) != nil {
			return
		}
		// Accepted: an http(s) origin that names host.
		o := strings.ToLower(origin)
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			t.Fatalf("accepted non-http origin %q", origin)
		}
		if host == "" || !strings.Contains(o, strings.ToLower(host)) {
			t.Fatalf("accepted origin %q for host %q", origin, host)
		}
	})
}

func FuzzLoopbackHost(f *testing.F) {
	for _, s := range []string{"127.0.0.1:1", "localhost", "[::1]:80", "evil.example", "a.localhost.", "localhost:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !loopbackHost(host) {
			return
		}
		// Accepted: an IP literal or a name ending in localhost.
		h := strings.ToLower(host)
		if hh, _, err := net.SplitHostPort(h); err == nil {
			h = hh
		}
		h = strings.TrimSuffix(h, ".")
		if !strings.HasSuffix(h, "localhost") && net.ParseIP(strings.Trim(h, "[]")) == nil {
			t.Fatalf("accepted host %q", host)
		}
	})
}

func TestExtraRoutes(t *testing.T) {
	var got int
	srv, err := New(newFake(Snapshot{}, false), Options{Loopback: true, Routes: map[string]http.Handler{
		"POST /api/v1/echo": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got++; w.WriteHeader(http.StatusNoContent) }),
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	tests := []struct {
		name, method, origin, site string
		code                       int
	}{
		{"same-site post", http.MethodPost, "http://127.0.0.1:8723", "same-origin", http.StatusNoContent},
		{"non-browser post", http.MethodPost, "", "", http.StatusNoContent},
		{"cross-site post", http.MethodPost, "http://evil.example", "cross-site", http.StatusForbidden},
		{"wrong method", http.MethodGet, "", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "http://127.0.0.1:8723/api/v1/echo", nil)
		r.Host = "127.0.0.1:8723"
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if tt.site != "" {
			r.Header.Set("Sec-Fetch-Site", tt.site)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.code {
			t.Errorf("%s: %d, want %d (%s)", tt.name, w.Code, tt.code, w.Body)
		}
	}
	if got != 2 {
		t.Errorf("handler ran %d times, want 2", got)
	}
}
