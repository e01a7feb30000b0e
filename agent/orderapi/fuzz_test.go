package orderapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"storeedge/queue"
)

// FuzzServeHTTP sends any body, Content-Type and Idempotency-Key to POST
// /api/v1/orders on a fresh queue. Bad input is a 4xx with a JSON error
// that says what is wrong, never a 5xx; an accepted order is one that
// decodes and validates, its jobs are in the queue, and the same request
// again replays the same answer without adding anything.
func FuzzServeHTTP(f *testing.F) {
	seeds := []string{paid, strings.Replace(paid, `"status":"paid"`, `"status":"cancelled"`, 1),
		`{}`, `[]`, `null`, ``, `{"store_id":"43435545"}`, paid + paid}
	for _, p := range []string{"../../printer/ticket/testdata/order.json", "../../cmd/storeedge/testdata/order.json"} {
		if b, err := os.ReadFile(p); err == nil {
			seeds = append(seeds, string(b))
		}
	}
	for i, s := range seeds {
		f.Add([]byte(s), "application/json", "key-1")
		if i == 0 {
			f.Add([]byte(s), "application/json; charset=utf-8", "k")
			f.Add([]byte(s), "text/plain", "k")
			f.Add([]byte(s), "application/json", "")
			f.Add([]byte(s), "application/json", "a b")
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype, key string) {
		a, q := newAPI(t, "")
		send := func() (int, http.Header, []byte) {
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/api/v1/orders", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			r.RemoteAddr = "127.0.0.1:5000"
			r.Header.Set("Content-Type", ctype)
			r.Header.Set("Idempotency-Key", key)
			w := httptest.NewRecorder()
			a.ServeHTTP(w, r)
			return w.Code, w.Header(), w.Body.Bytes()
		}
		code, hdr, answer := send()
		if mt, _, err := mime.ParseMediaType(hdr.Get("Content-Type")); err != nil || mt != "application/json" {
			t.Fatalf("HTTP %d answered %q", code, hdr.Get("Content-Type"))
		}
		switch {
		case code >= 500:
			t.Fatalf("HTTP %d for bad input: %s", code, answer)
		case code >= 400:
			var p problem
			if err := json.Unmarshal(answer, &p); err != nil || strings.TrimSpace(p.Error) == "" {
				t.Fatalf("HTTP %d without an error message: %s", code, answer)
			}
			jobs, err := q.List(queue.Filter{})
			if err != nil || len(jobs) != 0 {
				t.Fatalf("refused request left %d jobs (%v)", len(jobs), err)
			}
			return
		case code != http.StatusCreated:
			t.Fatalf("first request answered HTTP %d: %s", code, answer)
		}
		var res Result
		if err := json.Unmarshal(answer, &res); err != nil {
			t.Fatalf("answer is not a Result: %v: %s", err, answer)
		}
		o, err := decode(body)
		if err != nil {
			t.Fatalf("accepted a body that does not decode: %v", err)
		}
		if res.OrderID != o.ID || res.StoreID != "43435545" || res.Status != string(o.Status) || res.Replayed {
			t.Fatalf("answer %+v does not match the order %s/%s/%s", res, o.StoreID, o.ID, o.Status)
		}
		if res.Added != len(res.Jobs) {
			t.Fatalf("fresh queue: added %d of %d jobs", res.Added, len(res.Jobs))
		}
		for _, id := range res.Jobs {
			j, err := q.Get(id)
			if err != nil {
				t.Fatalf("job %q of the answer: %v", id, err)
			}
			if !strings.HasPrefix(j.ID, o.Platform+"/"+o.StoreID+"/"+o.ID+"/") {
				t.Fatalf("job %q is not of order %s", j.ID, o.ID)
			}
		}
		code2, _, answer2 := send()
		var again Result
		if err := json.Unmarshal(answer2, &again); err != nil || code2 != http.StatusOK || !again.Replayed ||
			again.Added != 0 || again.OrderID != res.OrderID || strings.Join(again.Jobs, ",") != strings.Join(res.Jobs, ",") {
			t.Fatalf("repeat answered HTTP %d %s, want a replay of %s", code2, answer2, answer)
		}
	})
}
