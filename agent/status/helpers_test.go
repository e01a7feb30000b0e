package status

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeProvider serves a snapshot the test changes. With buffered set, it
// signals changes by a send on one buffered channel; otherwise by closing
// the channel and replacing it.
type fakeProvider struct {
	mu       sync.Mutex
	snap     Snapshot
	err      error
	ch       chan struct{}
	buffered bool
	calls    int
}

func newFake(snap Snapshot, buffered bool) *fakeProvider {
	f := &fakeProvider{snap: snap, buffered: buffered}
	if buffered {
		f.ch = make(chan struct{}, 1)
	} else {
		f.ch = make(chan struct{})
	}
	return f
}

func (f *fakeProvider) Snapshot(ctx context.Context) (Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if err := ctx.Err(); err != nil {
		return Snapshot{}, err
	}
	if f.err != nil {
		return Snapshot{}, f.err
	}
	s := f.snap
	s.Tickets = append([]Ticket(nil), f.snap.Tickets...)
	return s, nil
}

func (f *fakeProvider) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ch
}

// update changes the snapshot and signals the change.
func (f *fakeProvider) update(fn func(*Snapshot)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&f.snap)
	if f.buffered {
		select {
		case f.ch <- struct{}{}:
		default:
		}
		return
	}
	close(f.ch)
	f.ch = make(chan struct{})
}

func (f *fakeProvider) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// newTestServer builds a Server for f and serves it on a loopback listener.
func newTestServer(t *testing.T, f Provider, opt Options) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(f, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// runHub runs s.Run until the test ends and waits for it to return.
func runHub(t *testing.T, s *Server) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func wsURL(ts *httptest.Server) string {
	return "ws" + strings.TrimPrefix(ts.URL, "http") + pathWS
}

func dial(t *testing.T, ts *httptest.Server, h http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(wsURL(ts), h)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", wsURL(ts), err, code)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readSnap reads one message and decodes it as a Snapshot.
func readSnap(t *testing.T, c *websocket.Conn, within time.Duration) Snapshot {
	t.Helper()
	s, err := tryReadSnap(c, within)
	if err != nil {
		t.Fatalf("read snapshot: %v", err)
	}
	return s
}

func tryReadSnap(c *websocket.Conn, within time.Duration) (Snapshot, error) {
	_ = c.SetReadDeadline(time.Now().Add(within))
	typ, b, err := c.ReadMessage()
	if err != nil {
		return Snapshot{}, err
	}
	if typ != websocket.TextMessage {
		return Snapshot{}, errors.New("message is not text")
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return Snapshot{}, err
	}
	return s, nil
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

var (
	t0 = time.Date(2026, 3, 1, 11, 58, 0, 0, time.UTC)
	t1 = time.Date(2026, 3, 1, 20, 5, 30, 0, time.FixedZone("CST", 8*3600))
)

// fullSnapshot has every field set.
func fullSnapshot() Snapshot {
	return Snapshot{
		Version: "1.2.3",
		Started: t0,
		Now:     t0.Add(2 * time.Hour),
		Stores: []Store{
			{ID: "43435545", Name: "人民路店", Platform: "youzan"},
			{ID: "S002", Name: "解放路店", Platform: "wdt"},
		},
		Platforms: []Platform{
			{Name: "youzan", Type: "youzan", State: PlatformOK, LastPoll: t1, LastSuccess: t1, OrdersSeen: 42},
			{Name: "wdt", Type: "wdt", State: PlatformBackoff, LastPoll: t1, LastSuccess: t0, LastError: "wdt: http 503 from api", OrdersSeen: 3},
		},
		Printers: []Printer{
			{Name: "front", URI: "usb://0416:5011", State: PrinterOnline, Queued: 1, Printed: 40, Failed: 0, LastPrinted: t1, Paper: "80mm", Since: t0},
			{Name: "kitchen", URI: "tcp://10.0.0.9:9100", State: PrinterPaperOut, Queued: 3, Printed: 12, Failed: 1, LastPrinted: t0, LastError: "paper out", Paper: "58mm",
				Detail: "roll paper end", Since: t0.Add(time.Hour), NeedsPersonSince: t0.Add(time.Hour)},
		},
		Queue: Queue{Pending: 4, Inflight: 1, Done: 52, Dead: 1},
		Today: Today{Date: "2026-03-01", Orders: 45, Tickets: 52},
		Attention: []Ticket{
			{ID: "43435545/E2024/new/kitchen/1", Store: "43435545", OrderID: "E2024", Kind: "kitchen", Printer: "kitchen", State: "dead", Updated: t0, Attempts: 1,
				Error: "render: kind \"x\" has no layout", Preview: "/api/v1/jobs/43435545%2FE2024%2Fnew%2Fkitchen%2F1/preview.png"},
		},
		Tickets: []Ticket{
			{ID: "43435545/E2026/new/receipt/1", Store: "43435545", OrderID: "E2026", Kind: "receipt", Printer: "front", State: "done", Updated: t1, Attempts: 1,
				Preview: "/api/v1/jobs/43435545%2FE2026%2Fnew%2Freceipt%2F1/preview.png"},
			{ID: "43435545/E2025/new/kitchen/1", Store: "43435545", OrderID: "E2025", Kind: "kitchen", Printer: "kitchen", State: "pending", Updated: t1, Reprint: true, Attempts: 2, Error: "paper out"},
		},
		Bindings: []Binding{
			{Store: "43435545", Ticket: "receipt", Printers: []string{"front"}, Copies: 1, Backup: "kitchen"},
			{Store: "43435545", Ticket: "kitchen", Printers: []string{"kitchen", "front"}, Copies: 2},
		},
	}
}

// skipOutsideCI skips a test whose tool is missing on a developer's machine,
// and fails it in CI, where make test must have installed the tool.
func skipOutsideCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}
