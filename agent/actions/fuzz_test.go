package actions

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/printer/escpos"
	"storeedge/queue"
	"storeedge/sync/order"
)

// FuzzPreview stores a job with any payload on any printer name and asks
// GET /api/v1/jobs/{id}/preview.png for it. A payload that is not a
// ticket is a 409 and a printer that is not configured a 404, each with
// a JSON error, never a 5xx; a drawn ticket is a PNG as wide as the
// printer's paper, and asking again with its ETag is a 304.
func FuzzPreview(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "docs", "order.example.json"))
	if err != nil {
		f.Fatal(err)
	}
	o, err := order.DecodeBytes(example)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []printer.Payload{
		{Order: *o, Event: "new", Kind: order.KindReceipt, Copy: 1, Copies: 1, Intended: "front"},
		{Order: *o, Event: "new", Kind: order.KindKitchen, Copy: 2, Copies: 2, Intended: "front"},
		{Order: *o, Event: "cancel", Kind: order.KindCancel, Copy: 1, Copies: 1},
		{Kind: order.KindTest, Copy: 1, Copies: 1, Intended: "kitchen"},
		{Kind: "menu"},
	} {
		b, err := p.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "front", false)
		f.Add(b, "kitchen", true)
	}
	f.Add([]byte(`{"order":{"items":[{"name":"\u0000\u001b@","qty":"1e9"}]},"kind":"receipt","copy":-1,"copies":0}`), "front", false)
	f.Add([]byte(`{`), "front", false)
	f.Add([]byte(``), "bar", false)
	profiles := map[string]escpos.Profile{}
	for name, paper := range map[string]string{"front": "80mm", "kitchen": "58mm"} {
		prof, ok := escpos.LookupProfile(paper)
		if !ok {
			f.Fatalf("no profile %s", paper)
		}
		profiles[name] = prof
	}
	f.Fuzz(func(t *testing.T, payload []byte, printerName string, uncertain bool) {
		if len(payload) > 64<<10 {
			t.Skip("larger than any job the agent makes")
		}
		q, err := queue.Open(filepath.Join(t.TempDir(), "queue.db"), queue.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		var ps []Printer
		for _, name := range []string{"front", "kitchen"} {
			w, err := printer.NewWorker(printer.WorkerOptions{Name: name, Transport: &paper{}, Queue: q,
				Render: func(queue.Job, printer.Payload) ([]byte, error) { return nil, nil }})
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, Printer{Name: name, Profile: profiles[name], Worker: w})
		}
		a, err := New(Options{Queue: q, Printers: ps, Render: render, Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		const id = "youzan/1/E1/new/receipt/1"
		if _, err := q.Enqueue(queue.Job{ID: id, Printer: printerName, Payload: payload, Uncertain: uncertain}); err != nil {
			t.Skipf("the queue takes no such job: %v", err)
		}
		mux := http.NewServeMux()
		for pat, h := range a.Routes() {
			mux.Handle(pat, h)
		}
		get := func(etag string) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/jobs/"+url.PathEscape(id)+"/preview.png", nil)
			if etag != "" {
				r.Header.Set("If-None-Match", etag)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			return w
		}
		w := get("")
		prof, known := profiles[printerName]
		switch {
		case w.Code >= 500:
			t.Fatalf("HTTP %d: %s", w.Code, w.Body)
		case w.Code >= 400:
			var e ErrorResponse
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || strings.TrimSpace(e.Error) == "" {
				t.Fatalf("HTTP %d without an error: %s", w.Code, w.Body)
			}
			if want := map[bool]int{true: http.StatusConflict, false: http.StatusNotFound}[known]; w.Code != want {
				t.Fatalf("HTTP %d (%s), want %d", w.Code, e.Error, want)
			}
			if _, err := printer.DecodePayload(payload); known && err == nil && !strings.Contains(e.Error, "cannot be drawn") {
				t.Fatalf("409 for a payload that decodes: %s", e.Error)
			}
			return
		case w.Code != http.StatusOK:
			t.Fatalf("HTTP %d: %s", w.Code, w.Body)
		}
		if !known {
			t.Fatalf("drew a job of printer %q, which is not configured", printerName)
		}
		img, err := png.Decode(bytes.NewReader(w.Body.Bytes()))
		if err != nil {
			t.Fatalf("answer is not a PNG: %v", err)
		}
		if got := img.Bounds().Dx(); got < prof.Dots {
			t.Fatalf("picture is %d dots wide, the paper %d", got, prof.Dots)
		}
		etag := w.Header().Get("ETag")
		if again := get(etag); etag == "" || again.Code != http.StatusNotModified {
			t.Fatalf("asking again with ETag %q: HTTP %d", etag, again.Code)
		}
	})
}
