package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
	"storeedge/queue"
	"storeedge/sync/order"
)

// paper is a printer transport that keeps what it was sent.
type paper struct {
	mu   sync.Mutex
	jobs [][]byte
}

func (p *paper) Write(_ context.Context, b []byte) (printer.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jobs = append(p.jobs, append([]byte(nil), b...))
	return printer.Status{State: printer.StateOnline}, nil
}

func (p *paper) Status(context.Context) (printer.Status, error) {
	return printer.Status{State: printer.StateOnline}, nil
}

func (p *paper) Close() error { return nil }

func (p *paper) printed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.jobs)
}

// text decodes printed job i.
func (p *paper) text(t *testing.T, i int) string {
	t.Helper()
	p.mu.Lock()
	b := p.jobs[i]
	p.mu.Unlock()
	doc, err := escpos.Decode(b)
	if err != nil {
		t.Fatalf("printed job %d does not decode: %v", i, err)
	}
	return strings.Join(doc.Text(), "\n")
}

// render is the agent's renderer in small: test pages and order tickets.
func render(job queue.Job, p printer.Payload, prof escpos.Profile, at time.Time) ([]byte, error) {
	if p.Kind == order.KindTest {
		return ticket.TestPage(prof, job.Printer, at), nil
	}
	return ticket.Render(ticket.Ticket{Order: &p.Order, Kind: p.Kind, Copy: p.Copy, Copies: p.Copies,
		Reprint: job.Uncertain, IntendedPrinter: p.Intended, PrintedAt: at}, prof)
}

type rig struct {
	q       *queue.Queue
	a       *Actions
	workers map[string]*printer.Worker
	paper   map[string]*paper
	srv     *httptest.Server
	stop    func()
}

var clock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newRig runs two printers (front 80mm, kitchen 58mm) on a queue in dir.
func newRig(t *testing.T, dir string) *rig {
	t.Helper()
	q, err := queue.Open(filepath.Join(dir, "queue.db"), queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{q: q, workers: map[string]*printer.Worker{}, paper: map[string]*paper{}}
	var ps []Printer
	for _, pc := range []struct{ name, paper string }{{"front", "80mm"}, {"kitchen", "58mm"}} {
		prof, ok := escpos.LookupProfile(pc.paper)
		if !ok {
			t.Fatalf("no profile %s", pc.paper)
		}
		pp := &paper{}
		w, err := printer.NewWorker(printer.WorkerOptions{
			Name: pc.name, Transport: pp, Queue: q, Idle: 10 * time.Millisecond,
			Render: func(j queue.Job, p printer.Payload) ([]byte, error) { return render(j, p, prof, clock) },
		})
		if err != nil {
			t.Fatal(err)
		}
		r.workers[pc.name], r.paper[pc.name] = w, pp
		ps = append(ps, Printer{Name: pc.name, Profile: prof, Worker: w})
	}
	r.a, err = New(Options{Queue: q, Printers: ps, Render: render, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for pat, h := range r.a.Routes() {
		mux.Handle(pat, h)
	}
	r.srv = httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(ctx) }()
	}
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			r.srv.Close()
			q.Close()
		})
	}
	t.Cleanup(r.stop)
	return r
}

func (r *rig) post(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(r.srv.URL+path, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return resp.StatusCode, m
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func orderJob(t *testing.T, id, printerName string, uncertain bool) queue.Job {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "order.example.json"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := order.DecodeBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	p, err := printer.Payload{Order: *o, Event: "new", Kind: order.KindReceipt, Copy: 1, Copies: 1, Intended: "front"}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return queue.Job{ID: id, Printer: printerName, Payload: p, Uncertain: uncertain}
}

// TestPauseResumeAndTestPage: a paused printer starts no job, also after a
// restart; its test page waits and prints once resumed, as a real test page.
func TestPauseResumeAndTestPage(t *testing.T) {
	dir := t.TempDir()
	r := newRig(t, dir)
	code, m := r.post(t, "/api/v1/printers/front/pause")
	if code != 200 || m["paused"] != true || m["printer"] != "front" {
		t.Fatalf("pause = %d %v", code, m)
	}
	waitFor(t, "worker shows the pause", func() bool { return r.workers["front"].Info().Paused })
	code, m = r.post(t, "/api/v1/printers/front/test")
	if code != 200 || m["paused"] != true || !strings.HasPrefix(m["job"].(string), "test/front/") {
		t.Fatalf("test print = %d %v", code, m)
	}
	// The kitchen printer is not paused: its test page prints at once.
	if code, m := r.post(t, "/api/v1/printers/kitchen/test"); code != 200 || m["paused"] != false {
		t.Fatalf("kitchen test print = %d %v", code, m)
	}
	waitFor(t, "kitchen test page", func() bool { return r.paper["kitchen"].printed() == 1 })
	if txt := r.paper["kitchen"].text(t, 0); !strings.Contains(txt, "打印测试") || !strings.Contains(txt, "打印机: kitchen") {
		t.Errorf("kitchen test page reads:\n%s", txt)
	}
	time.Sleep(50 * time.Millisecond) // five idle rounds of the paused worker
	if n := r.paper["front"].printed(); n != 0 {
		t.Fatalf("paused printer printed %d jobs", n)
	}

	// The pause outlives a restart.
	r.stop()
	r = newRig(t, dir)
	if !r.workers["front"].Info().Paused || r.workers["kitchen"].Info().Paused {
		t.Fatalf("after restart: front paused %v, kitchen paused %v", r.workers["front"].Info().Paused, r.workers["kitchen"].Info().Paused)
	}
	time.Sleep(50 * time.Millisecond)
	if n := r.paper["front"].printed(); n != 0 {
		t.Fatalf("printer paused before the restart printed %d jobs", n)
	}
	code, m = r.post(t, "/api/v1/printers/front/resume")
	if code != 200 || m["paused"] != false {
		t.Fatalf("resume = %d %v", code, m)
	}
	waitFor(t, "front test page after resume", func() bool { return r.paper["front"].printed() == 1 })
	if txt := r.paper["front"].text(t, 0); !strings.Contains(txt, "打印机: front") {
		t.Errorf("front test page reads:\n%s", txt)
	}
	vals, err := r.q.GetValues(pauseSpace, "")
	if err != nil || len(vals) != 0 {
		t.Errorf("paused printers kept after resume: %v %v", vals, err)
	}
}

// TestPreview draws a job's ticket as it prints on its printer: the width
// of the printer's paper, redrawn only when the ticket changes, with the
// reprint mark when the job may have printed before.
func TestPreview(t *testing.T) {
	r := newRig(t, t.TempDir())
	if err := r.a.Pause("front"); err != nil {
		t.Fatal(err)
	}
	if err := r.a.Pause("kitchen"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.q.Enqueue(orderJob(t, "youzan/10001/E1/new/receipt/1", "front", false),
		orderJob(t, "youzan/10001/E1/new/receipt/2", "kitchen", true)); err != nil {
		t.Fatal(err)
	}
	get := func(id, etag string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", r.srv.URL+"/api/v1/jobs/"+url.PathEscape(id)+"/preview.png", nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	tests := []struct {
		id    string
		dots  int
		marks bool
	}{
		{"youzan/10001/E1/new/receipt/1", 576, false},
		{"youzan/10001/E1/new/receipt/2", 384, true},
	}
	etags := map[string]bool{}
	for _, tc := range tests {
		resp, b := get(tc.id, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("%s: %s %s", tc.id, resp.Status, b)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", tc.id, err)
		}
		if w := img.Bounds().Dx(); w != tc.dots+2*(escpos.PreviewMargin+escpos.PaperPad) {
			t.Errorf("%s: picture %d wide, want paper of %d dots", tc.id, w, tc.dots)
		}
		etag := resp.Header.Get("ETag")
		etags[etag] = true
		if resp, _ := get(tc.id, etag); resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s: same ETag answered %s, want 304", tc.id, resp.Status)
		}
		// The picture is the printed ticket: compare with the text the
		// same bytes decode to.
		data, _, err := r.a.render(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := escpos.Decode(data)
		txt := strings.Join(doc.Text(), "\n")
		if strings.Contains(txt, "重打") != tc.marks {
			t.Errorf("%s: reprint mark %v, want %v", tc.id, !tc.marks, tc.marks)
		}
		if tc.marks != strings.Contains(txt, "原定: front") {
			t.Errorf("%s: moved-from mark wrong in:\n%s", tc.id, txt)
		}
	}
	if len(etags) != 2 {
		t.Errorf("two different tickets share an ETag: %v", etags)
	}

	for _, tc := range []struct {
		method, path string
		code         int
		msg          string
	}{
		{"GET", "/api/v1/jobs/nope/preview.png", 404, `"nope"`},
		{"POST", "/api/v1/printers/bar/pause", 404, `printer "bar": unknown printer (configured: front, kitchen)`},
		{"POST", "/api/v1/printers/bar/test", 404, `unknown printer`},
	} {
		req, _ := http.NewRequest(tc.method, r.srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e ErrorResponse
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(e.Error, tc.msg) {
			t.Errorf("%s %s = %d %q, want %d with %q", tc.method, tc.path, resp.StatusCode, e.Error, tc.code, tc.msg)
		}
	}
	// A job whose payload cannot be read cannot be drawn: 409 says why.
	if _, err := r.q.Enqueue(queue.Job{ID: "bad", Printer: "front", Payload: []byte("{")}); err != nil {
		t.Fatal(err)
	}
	if resp, b := get("bad", ""); resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "ticket cannot be drawn") {
		t.Errorf("bad payload: %s %s", resp.Status, b)
	}
}

func BenchmarkPreview(b *testing.B) {
	q, err := queue.Open(filepath.Join(b.TempDir(), "queue.db"), queue.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	prof, _ := escpos.LookupProfile("80mm")
	w, _ := printer.NewWorker(printer.WorkerOptions{Name: "front", Transport: &paper{}, Queue: q,
		Render: func(j queue.Job, p printer.Payload) ([]byte, error) { return render(j, p, prof, clock) }})
	a, err := New(Options{Queue: q, Printers: []Printer{{Name: "front", Profile: prof, Worker: w}}, Render: render})
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join("..", "..", "docs", "order.example.json"))
	o, _ := order.DecodeBytes(raw)
	p, _ := printer.Payload{Order: *o, Event: "new", Kind: order.KindReceipt, Copy: 1, Copies: 1}.Encode()
	if _, err := q.Enqueue(queue.Job{ID: "j", Printer: "front", Payload: p}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		a.mu.Lock()
		a.pngs, a.pngKeys = map[string][]byte{}, nil // draw every time
		a.mu.Unlock()
		if _, _, err := a.Preview("j"); err != nil {
			b.Fatal(err)
		}
	}
}
