package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// FuzzClient has the command line read any answer from the agent. An
// answer other than 200 is an error that keeps the agent's words and, for
// 400, 404 and 409, the kind errors.Is finds; a 200 that is not the JSON
// asked for is an error, never a half-read job.
func FuzzClient(f *testing.F) {
	for _, c := range []struct {
		status int
		body   string
	}{
		{200, `{"id":"youzan/1/E1/new/receipt/1","printer":"front","state":"done","attempts":1,"enqueued":"2024-06-01T12:00:00+08:00","updated":"2024-06-01T12:00:00+08:00","seq":1,"payload_bytes":10}`},
		{200, `{"jobs":[{"id":"a","state":"held"}]}`},
		{404, `{"error":"job \"x\" not found"}`},
		{409, `{"error":"job is pending, want held"}`},
		{400, `bad`}, {500, ``}, {200, `<html>`}, {200, `null`}, {302, ``},
	} {
		f.Add(uint16(c.status), []byte(c.body))
	}
	var (
		mu     sync.Mutex
		status int
		body   []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s, b := status, body
		mu.Unlock()
		w.WriteHeader(s)
		_, _ = w.Write(b)
	}))
	f.Cleanup(srv.Close)
	c := &Client{Base: srv.URL, HTTP: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	f.Fuzz(func(t *testing.T, st uint16, b []byte) {
		s := http.StatusOK
		if st >= 200 && st < 600 {
			s = int(st)
		}
		mu.Lock()
		status, body = s, b
		mu.Unlock()
		_, listErr := c.List(Query{States: []string{"held"}})
		_, getErr := c.Get("youzan/1/E1/new/receipt/1")
		for _, err := range []error{listErr, getErr} {
			if s == http.StatusOK {
				if err != nil && !strings.Contains(err.Error(), "bad answer") {
					t.Fatalf("200 answer: %v", err)
				}
				continue
			}
			if err == nil {
				t.Fatalf("HTTP %d taken as an answer", s)
			}
			want := map[int]error{400: ErrBadInput, 404: ErrNotFound, 409: ErrState}[s]
			if want != nil && !errors.Is(err, want) {
				t.Fatalf("HTTP %d gave %v, not %v", s, err, want)
			}
			if want == nil && (errors.Is(err, ErrBadInput) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrState)) {
				t.Fatalf("HTTP %d gave %v", s, err)
			}
		}
	})
}
