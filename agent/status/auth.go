package status

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// cookieName is the session cookie /login sets.
const cookieName = "storeedge_session"

// Login attempts: at most loginFailures wrong tokens per client address
// within loginWindow; after that /login answers 429 until the window passes.
const (
	loginFailures = 10
	loginWindow   = time.Minute
	cookieMaxAge  = 30 * 24 * time.Hour
)

// authenticator checks the status token. The session cookie holds an
// HMAC-SHA256 of the token under a key drawn when the server starts, so the
// token itself is never sent back to a browser and sessions end when the
// agent restarts.
type authenticator struct {
	tokenSum [sha256.Size]byte // SHA-256 of the token
	session  string            // the cookie value
	now      func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time // client address -> recent wrong tokens
}

func newAuthenticator(token string, now func() time.Time) (*authenticator, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("status: session key: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(token))
	return &authenticator{
		tokenSum: sha256.Sum256([]byte(token)),
		session:  base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
		now:      now,
		failures: make(map[string][]time.Time),
	}, nil
}

// tokenOK compares a presented token with the real one in constant time
// (hashing first, so the length does not leak either).
func (a *authenticator) tokenOK(given string) bool {
	sum := sha256.Sum256([]byte(given))
	return subtle.ConstantTimeCompare(sum[:], a.tokenSum[:]) == 1
}

// authorized reports whether r carries the session cookie or a bearer token.
func (a *authenticator) authorized(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && a.tokenOK(strings.TrimSpace(tok)) {
			return true
		}
	}
	for _, c := range r.CookiesNamed(cookieName) {
		if subtle.ConstantTimeCompare([]byte(c.Value), []byte(a.session)) == 1 {
			return true
		}
	}
	return false
}

// limited reports whether addr has used up its wrong attempts.
func (a *authenticator) limited(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.recent(addr)) >= loginFailures
}

// failed records a wrong token from addr.
func (a *authenticator) failed(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failures[addr] = append(a.recent(addr), a.now())
	// Forget addresses whose attempts have all expired, so the map stays small.
	for k := range a.failures {
		if len(a.recent(k)) == 0 {
			delete(a.failures, k)
		}
	}
}

// recent returns addr's failures within the window; a.mu must be held.
func (a *authenticator) recent(addr string) []time.Time {
	cut := a.now().Add(-loginWindow)
	ts := a.failures[addr]
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(a.failures, addr)
		return nil
	}
	a.failures[addr] = ts
	return ts
}

func (a *authenticator) cookie(r *http.Request) *http.Cookie {
	return &http.Cookie{
		Name:     cookieName,
		Value:    a.session,
		Path:     "/",
		MaxAge:   int(cookieMaxAge / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	}
}

// clientAddr is the host part of the request's remote address.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// checkOrigin allows a request without an Origin header (a program, not a
// browser) and one whose Origin names the host the request was sent to.
func checkOrigin(r *http.Request) error {
	origin := r.Header.Values("Origin")
	if len(origin) == 0 {
		return nil
	}
	if len(origin) > 1 {
		return errors.New("request has more than one Origin header")
	}
	return sameOrigin(origin[0], r.Host)
}

// sameOrigin reports (as an error) whether origin names host.
func sameOrigin(origin, host string) error {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("origin %q is not an http(s) origin", origin)
	}
	if !strings.EqualFold(u.Host, host) {
		return fmt.Errorf("origin %q does not match host %q", origin, host)
	}
	return nil
}

// loopbackHost reports whether a Host header names this machine by a
// loopback name or an IP address. A loopback-only server refuses other names,
// so a web page whose own domain has been pointed at 127.0.0.1 cannot read
// the status.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if net.ParseIP(host) != nil {
		return true
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}
