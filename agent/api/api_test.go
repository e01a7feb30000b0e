package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/queue"
	"storeedge/sync/order"
)

func newServer(t *testing.T, hold bool) (*queue.Queue, *Client) {
	t.Helper()
	q, err := queue.Open(filepath.Join(t.TempDir(), "queue.db"), queue.Options{NoSync: true, HoldUncertain: hold})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	mux := http.NewServeMux()
	for pat, h := range Routes(Local{Queue: q, Printers: []string{"front", "kitchen"}}, nil) {
		mux.Handle(pat, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return q, &Client{Base: srv.URL}
}

func ticketJob(t *testing.T, id, printerName string) queue.Job {
	t.Helper()
	p := printer.Payload{Order: order.Order{ID: "E1", StoreID: "1001"}, Event: "new", Kind: order.KindReceipt, Copy: 1, Copies: 1}
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return queue.Job{ID: id, Printer: printerName, Payload: b}
}

func TestAPIThroughHTTP(t *testing.T) {
	q, c := newServer(t, false)
	const a, b, d = "youzan/1001/E1/new/receipt/1", "youzan/1001/E1/new/kitchen/1", "youzan/1001/E2/new/receipt/1"
	if _, err := q.Enqueue(ticketJob(t, a, "front"), ticketJob(t, b, "kitchen"), ticketJob(t, d, "front")); err != nil {
		t.Fatal(err)
	}
	lease := func(p, want string) {
		t.Helper()
		j, ok, err := q.Lease(p, time.Minute)
		if err != nil || !ok || j.ID != want {
			t.Fatalf("lease %s = %v %v %v", p, j.ID, ok, err)
		}
	}
	lease("front", a)
	if err := q.Ack(a); err != nil {
		t.Fatal(err)
	}
	lease("kitchen", b)
	if err := q.Kill(b, errors.New("cannot render")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		do      func() (any, error)
		check   func(t *testing.T, v any)
		wantErr error
	}{
		{"list all", func() (any, error) { return c.List(Query{}) }, func(t *testing.T, v any) {
			jobs := v.([]Job)
			if len(jobs) != 3 || jobs[0].ID != a || jobs[0].OrderID != "E1" || jobs[0].Kind != "receipt" || jobs[0].Store != "1001" {
				t.Fatalf("jobs = %+v", jobs)
			}
		}, nil},
		{"list dead", func() (any, error) { return c.List(Query{States: []string{"dead"}}) }, func(t *testing.T, v any) {
			if jobs := v.([]Job); len(jobs) != 1 || jobs[0].ID != b || jobs[0].LastError != "cannot render" {
				t.Fatalf("jobs = %+v", jobs)
			}
		}, nil},
		{"list printer limit", func() (any, error) { return c.List(Query{Printer: "front", Limit: 1, Newest: true}) }, func(t *testing.T, v any) {
			// a was acknowledged after d was enqueued: a changed last.
			if jobs := v.([]Job); len(jobs) != 1 || jobs[0].ID != a {
				t.Fatalf("jobs = %+v", jobs)
			}
		}, nil},
		{"list bad state", func() (any, error) { return c.List(Query{States: []string{"gone"}}) }, nil, ErrBadInput},
		{"show", func() (any, error) { return c.Get(a) }, func(t *testing.T, v any) {
			if j := v.(Job); j.State != "done" || j.Attempts != 1 {
				t.Fatalf("job = %+v", j)
			}
		}, nil},
		{"show unknown", func() (any, error) { return c.Get("nope/x") }, nil, ErrNotFound},
		{"retry dead", func() (any, error) { return c.Retry(b) }, func(t *testing.T, v any) {
			if j := v.(Job); j.State != "pending" {
				t.Fatalf("job = %+v", j)
			}
		}, nil},
		{"retry pending", func() (any, error) { return c.Retry(b) }, nil, ErrState},
		{"release pending", func() (any, error) { return c.Release(d) }, nil, ErrState},
		{"drop pending", func() (any, error) { return c.Drop(d, "customer cancelled by phone") }, func(t *testing.T, v any) {
			if j := v.(Job); j.State != "dropped" || j.LastError != "dropped: customer cancelled by phone" {
				t.Fatalf("job = %+v", j)
			}
		}, nil},
		{"reprint done", func() (any, error) { return c.Reprint(a, "kitchen") }, func(t *testing.T, v any) {
			if j := v.(Job); j.ID != a+"#r1" || j.Printer != "kitchen" || !j.Uncertain || j.State != "pending" {
				t.Fatalf("job = %+v", j)
			}
		}, nil},
		{"reprint on unknown printer", func() (any, error) { return c.Reprint(a, "bar") }, nil, ErrBadInput},
		{"reprint pending", func() (any, error) { return c.Reprint(b, "") }, nil, ErrState},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.do()
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, v)
		})
	}
}

func TestAPIReleaseHeld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "queue.db")
	q, err := queue.Open(path, queue.Options{NoSync: true, HoldUncertain: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ticketJob(t, "j1", "front"), ticketJob(t, "j2", "front")); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := q.Lease("front", time.Minute); !ok || err != nil {
		t.Fatal(ok, err)
	}
	q.Close() // not acked: held at the next open
	q, err = queue.Open(path, queue.Options{NoSync: true, HoldUncertain: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	srv := httptest.NewServer(routesMux(Local{Queue: q}))
	defer srv.Close()
	c := &Client{Base: srv.URL}
	held, err := c.List(Query{States: []string{"held"}})
	if err != nil || len(held) != 1 || held[0].ID != "j1" || !held[0].Uncertain {
		t.Fatalf("held = %+v, %v", held, err)
	}
	j, err := c.Retry("j1") // retry of a held job releases it
	if err != nil || j.State != "pending" || !j.Uncertain {
		t.Fatalf("retry held = %+v, %v", j, err)
	}
	if _, err := c.Release("j1"); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "want held") {
		t.Fatalf("second release: %v", err)
	}
}

func routesMux(b Backend) *http.ServeMux {
	mux := http.NewServeMux()
	for pat, h := range Routes(b, nil) {
		mux.Handle(pat, h)
	}
	return mux
}

func TestAPIBadRequests(t *testing.T) {
	q, _ := newServer(t, false)
	if _, err := q.Enqueue(ticketJob(t, "a/b", "front")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(routesMux(Local{Queue: q}))
	defer srv.Close()
	tests := []struct {
		method, path, body string
		code               int
		msg                string
	}{
		{"GET", "/api/v1/jobs?limit=x", "", 400, `limit "x"`},
		{"GET", "/api/v1/jobs?state=nope", "", 400, `unknown state "nope"`},
		{"GET", "/api/v1/jobs/a%2Fb", "", 200, `"id":"a/b"`},
		{"POST", "/api/v1/jobs/a%2Fb/drop", `{"reazon":"x"}`, 400, `unknown field "reazon"`},
		{"POST", "/api/v1/jobs/a%2Fb/drop", `{`, 400, "request body"},
		{"POST", "/api/v1/jobs/a%2Fb/drop", `{"reason":"x"} junk`, 400, "trailing data"},
		{"POST", "/api/v1/jobs/a%2Fb/drop", `{"reason":"x"}}`, 400, "trailing data"},
		{"POST", "/api/v1/jobs/zz/drop", ``, 404, `job "zz"`},
		{"POST", "/api/v1/jobs/a%2Fb/release", ``, 409, "want held"},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		_, _ = io.Copy(&sb, resp.Body)
		resp.Body.Close()
		text := sb.String()
		var e ErrorResponse
		if json.Unmarshal([]byte(text), &e) == nil && e.Error != "" {
			text = e.Error
		}
		if resp.StatusCode != tc.code || !strings.Contains(text, tc.msg) || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s %s = %d %s, want %d with %q", tc.method, tc.path, resp.StatusCode, sb.String(), tc.code, tc.msg)
		}
	}
}
