package status

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const testToken = "Tok3n-s3cret-7f1c"

// recorder is an HTTP client that keeps every response so the test can
// check that the token never comes back.
type recorder struct {
	t      *testing.T
	ts     *httptest.Server
	client *http.Client
	seen   strings.Builder
}

func newRecorder(t *testing.T, ts *httptest.Server) *recorder {
	return &recorder{t: t, ts: ts, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (r *recorder) do(req *http.Request) (*http.Response, string) {
	r.t.Helper()
	resp, err := r.client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	for k, vs := range resp.Header {
		r.seen.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
	}
	r.seen.Write(b)
	return resp, string(b)
}

func (r *recorder) get(path string, mod func(*http.Request)) (*http.Response, string) {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.ts.URL+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	if mod != nil {
		mod(req)
	}
	return r.do(req)
}

func (r *recorder) login(token string, origin string) (*http.Response, string) {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.ts.URL+pathLogin, strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return r.do(req)
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func withCookie(c *http.Cookie) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(c) }
}

func TestTokenAuth(t *testing.T) {
	f := newFake(fullSnapshot(), false)
	_, ts := newTestServer(t, f, Options{Token: testToken})
	rec := newRecorder(t, ts)

	// Without credentials.
	tests := []struct {
		name string
		path string
		mod  func(*http.Request)
		code int
		loc  string // redirect target
	}{
		{"api without auth", pathStatus, nil, http.StatusUnauthorized, ""},
		{"unknown api without auth", "/api/v1/nope", nil, http.StatusUnauthorized, ""},
		{"ws without auth", pathWS, nil, http.StatusUnauthorized, ""},
		{"page without auth", "/", nil, http.StatusSeeOther, pathLogin},
		{"asset without auth", "/assets/app.js", nil, http.StatusSeeOther, pathLogin},
		{"api with wrong bearer", pathStatus, bearer("wrong"), http.StatusUnauthorized, ""},
		{"api with token prefix", pathStatus, bearer(testToken[:5]), http.StatusUnauthorized, ""},
		{"api with basic scheme", pathStatus, func(r *http.Request) { r.Header.Set("Authorization", "Basic "+testToken) }, http.StatusUnauthorized, ""},
		{"api with forged cookie", pathStatus, withCookie(&http.Cookie{Name: cookieName, Value: testToken}), http.StatusUnauthorized, ""},
		{"api with bearer", pathStatus, bearer(testToken), http.StatusOK, ""},
		{"api with lower-case bearer", pathStatus, func(r *http.Request) { r.Header.Set("Authorization", "bearer "+testToken) }, http.StatusOK, ""},
		{"page with bearer", "/", bearer(testToken), http.StatusOK, ""},
		{"login page", pathLogin, nil, http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rec.get(tc.path, tc.mod)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if tc.code == http.StatusUnauthorized {
				var e struct{ Error string }
				if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.Contains(e.Error, "authentication required") {
					t.Errorf("401 body %q is not the JSON error", body)
				}
			}
			if tc.loc != "" && resp.Header.Get("Location") != tc.loc {
				t.Errorf("Location = %q, want %q", resp.Header.Get("Location"), tc.loc)
			}
		})
	}

	// A wrong token sets no cookie.
	resp, body := rec.login("wrong", "")
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Fatalf("wrong login: status %d cookies %v", resp.StatusCode, resp.Cookies())
	}
	if !strings.Contains(body, "口令不正确") {
		t.Errorf("wrong login page does not say so: %s", body)
	}

	// A login posted from another site is refused.
	resp, _ = rec.login(testToken, "http://evil.example")
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Fatalf("cross-site login: status %d cookies %v", resp.StatusCode, resp.Cookies())
	}

	// The right token sets the session cookie.
	resp, _ = rec.login(testToken, ts.URL)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("login set no %s cookie: %v", cookieName, resp.Header["Set-Cookie"])
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" || session.MaxAge <= 0 {
		t.Errorf("cookie attributes: %+v", session)
	}
	if session.Value == "" || strings.Contains(session.Value, testToken) {
		t.Errorf("cookie value %q must be set and must not hold the token", session.Value)
	}
	for _, path := range []string{pathStatus, "/", "/assets/app.js"} {
		if resp, body := rec.get(path, withCookie(session)); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the cookie: %d %s", path, resp.StatusCode, body)
		}
	}

	// The websocket takes the cookie or the bearer token.
	for name, h := range map[string]http.Header{
		"cookie": {"Cookie": {session.String()}},
		"bearer": {"Authorization": {"Bearer " + testToken}},
	} {
		c, resp, err := websocket.DefaultDialer.Dial(wsURL(ts), h)
		if err != nil {
			t.Fatalf("ws with %s: %v (%v)", name, err, resp)
		}
		_, msg, err := c.ReadMessage()
		c.Close()
		if err != nil || !strings.Contains(string(msg), `"version":"1.2.3"`) {
			t.Errorf("ws with %s: %v %s", name, err, msg)
		}
		rec.seen.Write(msg)
	}

	if strings.Contains(rec.seen.String(), testToken) {
		t.Errorf("the token appears in a response:\n%s", rec.seen.String())
	}
}

// A cookie from an earlier run of the agent is not accepted: the session key
// is drawn at start.
func TestSessionEndsWithServer(t *testing.T) {
	f := newFake(Snapshot{}, false)
	_, ts1 := newTestServer(t, f, Options{Token: testToken})
	_, ts2 := newTestServer(t, f, Options{Token: testToken})
	resp, _ := newRecorder(t, ts1).login(testToken, "")
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login cookies: %v", cookies)
	}
	if resp, _ := newRecorder(t, ts2).get(pathStatus, withCookie(cookies[0])); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("another server accepted the cookie: %d", resp.StatusCode)
	}
}

func TestLoginLimit(t *testing.T) {
	f := newFake(Snapshot{}, false)
	s, err := New(f, Options{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.auth.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	h := s.Handler()
	post := func(remote, token string) int {
		r := httptest.NewRequest(http.MethodPost, pathLogin, strings.NewReader("token="+url.QueryEscape(token)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for i := 0; i < loginFailures; i++ {
		if code := post("10.0.0.5:1000", "guess"); code != http.StatusUnauthorized {
			t.Fatalf("wrong try %d: %d", i, code)
		}
		advance(time.Second)
	}
	tests := []struct {
		name   string
		remote string
		token  string
		after  time.Duration
		code   int
	}{
		{"locked out even with the right token", "10.0.0.5:2000", testToken, 0, http.StatusTooManyRequests},
		{"another address is not locked out", "10.0.0.6:1000", testToken, 0, http.StatusSeeOther},
		{"the window passes", "10.0.0.5:3000", testToken, loginWindow, http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			advance(tc.after)
			if code := post(tc.remote, tc.token); code != tc.code {
				t.Errorf("status %d, want %d", code, tc.code)
			}
		})
	}
	s.auth.mu.Lock()
	n := len(s.auth.failures)
	s.auth.mu.Unlock()
	if n != 0 {
		t.Errorf("%d addresses still tracked after the window", n)
	}
}

func FuzzAuthorized(f *testing.F) {
	a, err := newAuthenticator(testToken, time.Now)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Bearer "+testToken, "")
	f.Add("Bearer x", a.session)
	f.Add("bearer  "+testToken+" ", "junk")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, authz, cookie string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if cookie != "" {
			r.Header.Set("Cookie", cookieName+"="+cookie)
		}
		if !a.authorized(r) {
			return
		}
		// Accepted: the header carries the token or the cookie the session value.
		tokenOK := strings.Contains(authz, testToken)
		sessionOK := strings.Contains(cookie, a.session)
		if !tokenOK && !sessionOK {
			t.Fatalf("authorized with Authorization %q and cookie %q", authz, cookie)
		}
	})
}
