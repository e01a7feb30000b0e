package status

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzLogin posts any form, Content-Type and Origin to /login. Nothing is
// a 5xx and no answer carries the token; a session cookie is set only for a
// form whose token field is the token, and that cookie then opens the
// status API.
func FuzzLogin(f *testing.F) {
	form := "token=" + url.QueryEscape(testToken)
	f.Add(form, "application/x-www-form-urlencoded", "")
	f.Add(form, "application/x-www-form-urlencoded", "http://127.0.0.1:8723")
	f.Add(form, "application/x-www-form-urlencoded", "http://evil.example")
	f.Add(form+"&token=x", "application/x-www-form-urlencoded; charset=utf-8", "null")
	f.Add("token=guess", "application/x-www-form-urlencoded", "")
	f.Add("token=%zz", "application/x-www-form-urlencoded", "")
	f.Add("--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n"+testToken+"\r\n--b--\r\n", "multipart/form-data; boundary=b", "")
	f.Add(strings.Repeat("a", 5000), "application/x-www-form-urlencoded", "")
	f.Fuzz(func(t *testing.T, body, ctype, origin string) {
		s, err := New(newFake(Snapshot{}, false), Options{Token: testToken, Loopback: true, Secrets: []string{testToken}})
		if err != nil {
			t.Fatal(err)
		}
		h := s.Handler()
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8723"+pathLogin, strings.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("HTTP %d: %s", w.Code, w.Body)
		}
		for k, vs := range w.Header() {
			if strings.Contains(k+strings.Join(vs, ","), testToken) {
				t.Fatalf("header %s carries the token", k)
			}
		}
		if strings.Contains(w.Body.String(), testToken) {
			t.Fatalf("answer carries the token: %s", w.Body)
		}
		var session *http.Cookie
		for _, c := range w.Result().Cookies() {
			if c.Name == cookieName {
				session = c
			}
		}
		if w.Code != http.StatusSeeOther {
			if w.Code < 400 || w.Body.Len() == 0 {
				t.Fatalf("HTTP %d with an empty answer", w.Code)
			}
			if session != nil {
				t.Fatalf("HTTP %d sets the session cookie", w.Code)
			}
			return
		}
		if session == nil {
			t.Fatalf("303 without the session cookie")
		}
		// Logged in: the form's token field must be the token.
		again := httptest.NewRequest(http.MethodPost, pathLogin, strings.NewReader(body))
		again.Header.Set("Content-Type", ctype)
		if err := again.ParseForm(); err != nil || again.PostForm.Get("token") != testToken {
			t.Fatalf("logged in with the form %q", body)
		}
		api := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8723"+pathStatus, nil)
		api.AddCookie(session)
		aw := httptest.NewRecorder()
		h.ServeHTTP(aw, api)
		if aw.Code != http.StatusOK {
			t.Fatalf("the session cookie does not open the API: HTTP %d", aw.Code)
		}
	})
}
