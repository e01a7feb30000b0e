package printer_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/printer/tcp"
	"storeedge/printer/uri"
	"storeedge/queue"
	"storeedge/sync/order"
)

// hungPrinter accepts connections and never reads them, like a network
// printer whose firmware hangs: what it is sent never prints.
type hungPrinter struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newHungPrinter(t *testing.T, addr string) *hungPrinter {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	h := &hungPrinter{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, c := range h.conns {
			c.Close()
		}
	})
	return h
}

// runWorker runs one worker, as one run of the agent would, until stop.
func runWorker(t *testing.T, q *queue.Queue, u uri.URI) (stop func()) {
	t.Helper()
	conn, err := tcp.Open(u, printer.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conn.(*tcp.Conn).SetTimings(time.Second, 100*time.Millisecond, 300*time.Millisecond)
	w, err := printer.NewWorker(printer.WorkerOptions{Name: "front", Link: u.Raw, Transport: conn, Queue: q,
		Render: func(j queue.Job, p printer.Payload) ([]byte, error) {
			return []byte("\x1b@" + p.Order.ID + "\n\x1dV\x01"), nil
		},
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Idle: 10 * time.Millisecond,
		StatusEvery: 50 * time.Millisecond, RecheckEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	return func() { cancel(); <-done }
}

func enqueueOrder(t *testing.T, q *queue.Queue, id string) string {
	t.Helper()
	p := printer.Payload{Order: order.Order{Platform: "youzan", StoreID: "1", ID: id}, Event: order.EventNew,
		Kind: order.KindReceipt, Copy: 1, Copies: 1}
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	jid := "youzan/1/" + id + "/new/receipt/1"
	if _, err := q.Enqueue(queue.Job{ID: jid, Printer: "front", Payload: b}); err != nil {
		t.Fatal(err)
	}
	return jid
}

// A printer that answered status queries in an earlier run and hangs from
// the start of this one has not printed what it was sent: the job is not
// taken as printed, and prints again with the reprint mark.
func TestWorkerRemembersPrinterAnswers(t *testing.T) {
	q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	// First run: the printer answers and prints A.
	np := newNetPrinter(t)
	u, err := uri.Parse("tcp://" + np.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := enqueueOrder(t, q, "A")
	stop := runWorker(t, q, u)
	waitFor(t, "A printed", func() bool { j, _ := q.Get(a); return j.State == queue.Done })
	stop()
	np.ln.Close()
	np.wg.Wait()

	// Second run: the printer hangs from its first connection on.
	newHungPrinter(t, np.ln.Addr().String())
	b := enqueueOrder(t, q, "B")
	stop = runWorker(t, q, u)
	defer stop()
	waitFor(t, "B tried", func() bool { j, _ := q.Get(b); return j.Attempts > 0 && j.State != queue.Inflight })
	time.Sleep(200 * time.Millisecond)
	j, err := q.Get(b)
	if err != nil {
		t.Fatal(err)
	}
	if j.State == queue.Done {
		t.Fatalf("B was taken as printed by a printer that never read it")
	}
	if !strings.HasPrefix(j.LastError, printer.SentPrefix) {
		t.Errorf("B: last error %q, want it to say the job was sent but not confirmed (so it prints again marked)", j.LastError)
	}
}
