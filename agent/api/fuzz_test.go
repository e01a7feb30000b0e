package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/queue"
)

// fuzzQueue is a fresh queue with a job in each of four states: a pending
// ticket on front, a done one, a dead one on kitchen and a held one.
func fuzzQueue(t *testing.T) *queue.Queue {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queue.db")
	q, err := queue.Open(path, queue.Options{NoSync: true, HoldUncertain: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ticketJob(t, "youzan/1/E1/new/receipt/1", "front"), ticketJob(t, "youzan/1/E1/new/kitchen/1", "kitchen"),
		ticketJob(t, "youzan/1/E2/new/receipt/1", "front"), ticketJob(t, "held", "bar")); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		lane string
		do   func(id string) error
	}{
		{"front", q.Ack},
		{"kitchen", func(id string) error { return q.Kill(id, errors.New("cannot render")) }},
	} {
		j, ok, err := q.Lease(step.lane, time.Minute)
		if err != nil || !ok {
			t.Fatalf("lease %s: %v %v", step.lane, ok, err)
		}
		if err := step.do(j.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := q.Lease("bar", time.Minute); err != nil || !ok {
		t.Fatalf("lease bar: %v %v", ok, err)
	}
	q.Close() // in flight at the close: held at the next open
	if q, err = queue.Open(path, queue.Options{NoSync: true, HoldUncertain: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// FuzzRoutes calls every queue API route with any job id, query and body.
// Bad input is a 4xx with a JSON error, never a 5xx; a success names the
// job it was asked about (or the reprint made of it) in a state the action
// leads to.
func FuzzRoutes(f *testing.F) {
	ids := []string{"youzan/1/E1/new/receipt/1", "youzan/1/E1/new/kitchen/1", "youzan/1/E2/new/receipt/1", "held", "nope", ""}
	for i, id := range ids {
		for a := range 7 {
			f.Add(uint8(a), id, "", []byte(nil))
		}
		f.Add(uint8(i), id, "state=held&state=dead,done&printer=front&limit=2&newest=1", []byte(`{"printer":"kitchen"}`))
	}
	f.Add(uint8(4), ids[1], "", []byte(`{"reason":"customer cancelled by phone"}`))
	f.Add(uint8(5), ids[0], "", []byte(`{"printer":"bar"} {}`))
	f.Add(uint8(6), ids[2], "", []byte(`{"printer":"kitchen","reason":1}`))
	f.Add(uint8(0), "", "limit=-1&state=", []byte(nil))
	actions := []string{"", "", "retry", "release", "drop", "reprint", "move"}
	f.Fuzz(func(t *testing.T, action uint8, id, query string, body []byte) {
		q := fuzzQueue(t)
		mux := routesMux(Local{Queue: q, Printers: []string{"front", "kitchen", "bar"}})
		act := actions[int(action)%len(actions)]
		method, target := http.MethodPost, jobPath(id, act)
		switch int(action) % len(actions) {
		case 0:
			method, target = http.MethodGet, "/api/v1/jobs"
		case 1:
			method = http.MethodGet
		}
		u, err := url.Parse("http://127.0.0.1" + target)
		if err != nil {
			t.Skip("not a request path")
		}
		u.RawQuery = query
		req := httptest.NewRequest(method, "/", strings.NewReader(string(body)))
		req.URL, req.RequestURI = u, u.RequestURI()
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		answer := w.Body.Bytes()
		switch {
		case w.Code >= 500:
			t.Fatalf("%s %s: HTTP %d: %s", method, u, w.Code, answer)
		case w.Code == http.StatusNotFound && w.Header().Get("Content-Type") == "text/plain; charset=utf-8":
			return // the path matches no route (e.g. an empty id): the mux's own answer
		case w.Code == http.StatusMovedPermanently || w.Code == http.StatusTemporaryRedirect:
			return // the mux cleans the path (".." or "//" in the id)
		case w.Code >= 400:
			var e ErrorResponse
			if err := json.Unmarshal(answer, &e); err != nil || strings.TrimSpace(e.Error) == "" {
				t.Fatalf("%s %s: HTTP %d without an error message: %s", method, u, w.Code, answer)
			}
			return
		case w.Code != http.StatusOK:
			t.Fatalf("%s %s: HTTP %d: %s", method, u, w.Code, answer)
		}
		if act == "" && method == http.MethodGet && target == "/api/v1/jobs" {
			var l ListResponse
			if err := json.Unmarshal(answer, &l); err != nil {
				t.Fatalf("list answer: %v: %s", err, answer)
			}
			return
		}
		var j Job
		if err := json.Unmarshal(answer, &j); err != nil {
			t.Fatalf("job answer: %v: %s", err, answer)
		}
		want := map[string]string{"": "", "retry": "pending", "release": "pending", "drop": "dropped", "reprint": "pending", "move": "pending"}[act]
		switch {
		case act == "reprint" && !strings.HasPrefix(j.ID, id+"#r"):
			t.Fatalf("reprint of %q answered job %q", id, j.ID)
		case act != "reprint" && j.ID != id:
			t.Fatalf("%s of %q answered job %q", act, id, j.ID)
		case want != "" && j.State != want:
			t.Fatalf("%s of %q left it %s", act, id, j.State)
		}
		got, err := q.Get(j.ID)
		if err != nil || string(got.State) != j.State || got.Printer != j.Printer {
			t.Fatalf("queue holds %+v (%v), the answer said %+v", got, err, j)
		}
	})
}
