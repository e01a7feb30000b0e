package status

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// MinSecretLen is the shortest secret value the server searches its
// answers for; shorter values would match ordinary text.
const MinSecretLen = 4

// hidden replaces a secret value in an answer.
const hidden = "[hidden]"

// redactor replaces secret values in answers, as written and as they
// appear inside JSON strings.
type redactor struct {
	forms [][]byte // longest first, so that a secret containing another is replaced whole
}

func newRedactor(secrets []string) *redactor {
	r := &redactor{}
	seen := map[string]bool{}
	add := func(s string) {
		if len(s) >= MinSecretLen && !seen[s] {
			seen[s] = true
			r.forms = append(r.forms, []byte(s))
		}
	}
	for _, s := range secrets {
		add(s)
		b, _ := json.Marshal(s)
		add(string(b[1 : len(b)-1]))
		var esc bytes.Buffer
		enc := json.NewEncoder(&esc)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		if e := strings.TrimSpace(esc.String()); len(e) >= 2 {
			add(e[1 : len(e)-1])
		}
	}
	slices.SortFunc(r.forms, func(a, b []byte) int { return len(b) - len(a) })
	return r
}

// active reports whether there is anything to hide.
func (r *redactor) active() bool { return r != nil && len(r.forms) > 0 }

// apply returns b with every secret replaced; b itself when there is none.
func (r *redactor) apply(b []byte) []byte {
	if !r.active() {
		return b
	}
	for _, f := range r.forms {
		if bytes.Contains(b, f) {
			b = bytes.ReplaceAll(b, f, []byte(hidden))
		}
	}
	return b
}

// wrap returns h with its text answers (JSON, HTML, plain text) searched
// for secrets. Pictures and other binary answers pass unchanged.
func (r *redactor) wrap(h http.Handler) http.Handler {
	if !r.active() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rw := &redactWriter{w: w, code: http.StatusOK}
		h.ServeHTTP(rw, req)
		rw.finish(r)
	})
}

// redactWriter holds a text answer until the handler is done, so that a
// secret split across two writes is still found.
type redactWriter struct {
	w       http.ResponseWriter
	code    int
	wrote   bool // WriteHeader called
	passing bool // a binary answer, written through
	buf     bytes.Buffer
}

func (rw *redactWriter) Header() http.Header { return rw.w.Header() }

func (rw *redactWriter) WriteHeader(code int) {
	if rw.wrote {
		return
	}
	rw.wrote, rw.code = true, code
	if !isText(rw.w.Header().Get("Content-Type")) && rw.w.Header().Get("Content-Type") != "" {
		rw.passing = true
		rw.w.WriteHeader(code)
	}
}

func (rw *redactWriter) Write(b []byte) (int, error) {
	if !rw.wrote {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.passing {
		return rw.w.Write(b)
	}
	return rw.buf.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (rw *redactWriter) Unwrap() http.ResponseWriter { return rw.w }

func (rw *redactWriter) finish(r *redactor) {
	if rw.passing {
		return
	}
	b := r.apply(rw.buf.Bytes())
	rw.w.Header().Del("Content-Length")
	rw.w.WriteHeader(rw.code)
	_, _ = rw.w.Write(b)
}

func isText(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "javascript") || strings.Contains(ct, "xml")
}
