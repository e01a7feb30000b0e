package status

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// Route paths.
const (
	pathStatus = "/api/v1/status"
	pathWS     = "/api/v1/ws"
	pathLogin  = "/login"
)

// routes builds the handler: host check, then login, then authentication,
// then the routes themselves.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", s.servePage)
	mux.HandleFunc("/assets/{name}", s.serveAsset)
	mux.HandleFunc(pathStatus, s.serveStatus)
	mux.HandleFunc(pathWS, s.serveWS)
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-site request refused: "+r.Method+" "+r.URL.Path+" must come from the status page itself")
	}))
	for pattern, h := range s.opt.Routes {
		mux.Handle(pattern, csrf.Handler(h))
	}
	apiNotFound := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API route: "+r.URL.Path)
	}
	mux.HandleFunc("/api", apiNotFound)
	mux.HandleFunc("/api/", apiNotFound)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found", http.StatusNotFound)
	})

	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: with no-referrer browsers send
		// "Origin: null" on the login form's POST, which the origin check
		// must refuse.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if s.opt.Loopback && !loopbackHost(r.Host) {
			s.log.Warn("refused request for a non-loopback host name", "host", r.Host, "remote", r.RemoteAddr)
			writeError(w, http.StatusForbidden, "host "+quote(r.Host)+" is not a loopback name; open the page as http://127.0.0.1 or http://localhost")
			return
		}
		if r.URL.Path == pathLogin {
			s.serveLogin(w, r)
			return
		}
		if s.auth != nil && !s.auth.authorized(r) {
			if isAPI(r.URL.Path) {
				h.Set("WWW-Authenticate", `Bearer realm="storeedge"`)
				writeError(w, http.StatusUnauthorized, "authentication required: log in at /login or send Authorization: Bearer <status_token>")
				return
			}
			http.Redirect(w, r, pathLogin, http.StatusSeeOther)
			return
		}
		mux.ServeHTTP(w, r)
	})
	// Every answer but the websocket (whose messages the hub searches
	// itself) is searched for secrets before it leaves.
	redacted := s.redact.wrap(outer)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathWS {
			outer.ServeHTTP(w, r)
			return
		}
		redacted.ServeHTTP(w, r)
	})
}

func isAPI(path string) bool { return path == "/api" || strings.HasPrefix(path, "/api/") }

// allowGet answers 405 unless r uses GET or HEAD.
func allowGet(w http.ResponseWriter, r *http.Request, api bool) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	msg := "method " + r.Method + " is not allowed on " + r.URL.Path + "; use GET"
	if api {
		writeError(w, http.StatusMethodNotAllowed, msg)
	} else {
		http.Error(w, msg, http.StatusMethodNotAllowed)
	}
	return false
}

// serveStatus answers the current snapshot as indented JSON.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r, true) {
		return
	}
	snap, err := s.snapshot(r.Context())
	if err != nil {
		s.log.Warn("status api: snapshot failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(snap); err != nil {
		s.log.Error("status api: encode failed", "err", err)
		writeError(w, http.StatusInternalServerError, "encode status: "+err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// servePage answers the status page.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r, false) {
		return
	}
	var buf bytes.Buffer
	if err := s.assets.page.Execute(&buf, pageData{HeartbeatMS: s.opt.Heartbeat.Milliseconds()}); err != nil {
		s.log.Error("status page: render failed", "err", err)
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP(r.Host))
	_, _ = w.Write(buf.Bytes())
}

// serveAsset answers one embedded asset with an ETag so browsers revalidate
// cheaply.
func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r, false) {
		return
	}
	a, ok := s.assets.files[r.PathValue("name")]
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	http.ServeContent(w, r, "", a.modTime, bytes.NewReader(a.body))
}

// serveLogin shows the login form (GET) or checks a token (POST).
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	if s.auth == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.renderLogin(w, http.StatusOK, "")
	case http.MethodPost:
		if err := checkOrigin(r); err != nil {
			writeError(w, http.StatusForbidden, err.Error())
			return
		}
		addr := clientAddr(r)
		if s.auth.limited(addr) {
			s.log.Warn("status login: too many wrong tokens", "remote", addr)
			s.renderLogin(w, http.StatusTooManyRequests, "tries")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := r.ParseForm(); err != nil {
			s.renderLogin(w, http.StatusBadRequest, "form")
			return
		}
		if !s.auth.tokenOK(r.PostForm.Get("token")) {
			s.auth.failed(addr)
			s.log.Warn("status login: wrong token", "remote", addr)
			s.renderLogin(w, http.StatusUnauthorized, "wrong")
			return
		}
		http.SetCookie(w, s.auth.cookie(r))
		s.log.Info("status login", "remote", addr)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method "+r.Method+" is not allowed on /login", http.StatusMethodNotAllowed)
	}
}

func (s *Server) renderLogin(w http.ResponseWriter, code int, problem string) {
	var buf bytes.Buffer
	if err := s.assets.login.Execute(&buf, loginData{Problem: problem}); err != nil {
		s.log.Error("login page: render failed", "err", err)
		http.Error(w, "login page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// safeHost matches Host values that may be written into a header as they are.
var safeHost = regexp.MustCompile(`^[A-Za-z0-9.\-\[\]:]+$`)

// pageCSP allows the page its own scripts, styles and websocket only.
func pageCSP(host string) string {
	connect := "'self'"
	if safeHost.MatchString(host) {
		connect += " ws://" + host + " wss://" + host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src " + connect +
		"; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// writeError answers {"error": msg} with the given code.
func writeError(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
