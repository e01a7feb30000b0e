package printer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/queue"
	"storeedge/sync/order"
)

// fakeTransport is a printer whose answers the test sets.
type fakeTransport struct {
	mu        sync.Mutex
	status    Status
	statusErr error
	writeErr  error   // returned by the next writes
	after     *Status // status reported after a write; nil: status
	written   []string
	statusN   int
}

func (f *fakeTransport) set(fn func(f *fakeTransport)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeTransport) Write(ctx context.Context, job []byte) (Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writeErr != nil {
		return Status{State: StateOffline}, f.writeErr
	}
	f.written = append(f.written, string(job))
	if f.after != nil {
		f.status = *f.after // and it says so when asked, too
		return *f.after, nil
	}
	return f.status, f.statusErr
}

func (f *fakeTransport) Status(ctx context.Context) (Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statusN++
	return f.status, f.statusErr
}

func (f *fakeTransport) Close() error { return nil }

func (f *fakeTransport) jobs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.written...)
}

func openQueue(t *testing.T) *queue.Queue {
	t.Helper()
	q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// render writes what the ticket would say: id, reprint mark, intended printer.
func render(job queue.Job, p Payload) ([]byte, error) {
	if p.Order.ID == "bad" {
		return nil, errors.New("cannot render")
	}
	return fmt.Appendf(nil, "%s reprint=%v intended=%s", p.Order.ID, job.Uncertain, p.Intended), nil
}

func enqueue(t *testing.T, q *queue.Queue, printer string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		p := Payload{Order: order.Order{Platform: "youzan", StoreID: "1", ID: id}, Event: order.EventNew,
			Kind: order.KindReceipt, Copy: 1, Copies: 1, Intended: printer}
		b, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.Enqueue(queue.Job{ID: "youzan/1/" + id + "/new/receipt/1", Printer: printer, Payload: b}); err != nil {
			t.Fatal(err)
		}
	}
}

type harness struct {
	t      *testing.T
	q      *queue.Queue
	tr     *fakeTransport
	w      *Worker
	cancel context.CancelFunc
	done   chan struct{}
}

func startWorker(t *testing.T, q *queue.Queue, name string, tr *fakeTransport, tweak func(*WorkerOptions)) *harness {
	t.Helper()
	opt := WorkerOptions{
		Name: name, Transport: tr, Queue: q, Render: render,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
		Idle: 10 * time.Millisecond, StatusEvery: 20 * time.Millisecond, RecheckEvery: 10 * time.Millisecond,
		FailoverAfter: time.Hour,
	}
	if tweak != nil {
		tweak(&opt)
	}
	w, err := NewWorker(opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, q: q, tr: tr, w: w, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	<-h.done
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func jobState(t *testing.T, q *queue.Queue, id string) queue.Job {
	t.Helper()
	j, err := q.Get("youzan/1/" + id + "/new/receipt/1")
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestWorkerPrintsInOrder(t *testing.T) {
	q := openQueue(t)
	tr := &fakeTransport{status: Status{State: StateOnline}}
	enqueue(t, q, "front", "A", "B", "C")
	h := startWorker(t, q, "front", tr, nil)
	eventually(t, "three jobs printed", func() bool { return len(tr.jobs()) == 3 })
	want := []string{"A reprint=false intended=", "B reprint=false intended=", "C reprint=false intended="}
	if got := tr.jobs(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("printed %q, want %q", got, want)
	}
	eventually(t, "jobs acknowledged", func() bool { return jobState(t, q, "C").State == queue.Done })
	if info := h.w.Info(); info.State != StateOnline || info.LastPrinted.IsZero() || !info.NeedsPersonSince.IsZero() {
		t.Fatalf("info = %+v", info)
	}
}

func TestWorkerHoldsLaneWhilePrinterNeedsPerson(t *testing.T) {
	tests := []struct {
		name  string
		st    Status
		err   error
		state State
	}{
		{"paper out", Status{State: StatePaperOut, Detail: "paper end"}, nil, StatePaperOut},
		{"cover open", Status{State: StateCoverOpen}, nil, StateCoverOpen},
		{"unplugged", Status{}, errors.New("no such device"), StateOffline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := openQueue(t)
			tr := &fakeTransport{status: tt.st, statusErr: tt.err}
			enqueue(t, q, "front", "A", "B")
			h := startWorker(t, q, "front", tr, nil)
			eventually(t, "state "+string(tt.state), func() bool { return h.w.Info().State == tt.state })
			time.Sleep(50 * time.Millisecond)
			if got := tr.jobs(); len(got) != 0 {
				t.Fatalf("wrote %q to a printer that needs a person", got)
			}
			info := h.w.Info()
			if info.NeedsPersonSince.IsZero() {
				t.Fatalf("NeedsPersonSince not set: %+v", info)
			}
			if tt.err != nil && !strings.Contains(info.Detail, "no such device") {
				t.Errorf("detail = %q, want the link error", info.Detail)
			}
			// Back: the held jobs print in order, without a reprint mark.
			tr.set(func(f *fakeTransport) { f.status, f.statusErr = Status{State: StateOnline}, nil })
			eventually(t, "jobs printed after recovery", func() bool { return len(tr.jobs()) == 2 })
			if got := tr.jobs(); got[0] != "A reprint=false intended=" || got[1] != "B reprint=false intended=" {
				t.Fatalf("printed %q", got)
			}
			eventually(t, "state online", func() bool { return h.w.Info().State == StateOnline })
			if !h.w.Info().NeedsPersonSince.IsZero() {
				t.Fatal("NeedsPersonSince still set after recovery")
			}
		})
	}
}

func TestWorkerFailedWrites(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		after       *Status
		wantReprint bool
	}{
		{"not sent: no mark", NotSent(errors.New("connection refused")), nil, false},
		{"cut mid-job: reprint mark", errors.New("broken pipe"), nil, true},
		{"paper out after the job: reprint mark", nil, &Status{State: StatePaperOut}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := openQueue(t)
			tr := &fakeTransport{status: Status{State: StateUnknown}, writeErr: tt.err, after: tt.after}
			enqueue(t, q, "front", "A", "B")
			h := startWorker(t, q, "front", tr, nil)
			eventually(t, "first attempt recorded", func() bool { return jobState(t, q, "A").LastError != "" })
			a := jobState(t, q, "A")
			if a.State == queue.Done || a.Attempts < 1 {
				t.Fatalf("job after a failed attempt: %s, %d attempts", a.State, a.Attempts)
			}
			if got := strings.HasPrefix(a.LastError, SentPrefix); got != tt.wantReprint {
				t.Errorf("LastError %q: sent prefix %v, want %v", a.LastError, got, tt.wantReprint)
			}
			want := StateError
			if tt.after != nil {
				want = tt.after.State
			}
			eventually(t, "state "+string(want), func() bool { return h.w.Info().State == want })
			tr.set(func(f *fakeTransport) { f.writeErr, f.after, f.status = nil, nil, Status{State: StateOnline} })
			// (paper loaded again)
			eventually(t, "both printed", func() bool {
				got := tr.jobs()
				return len(got) >= 2 && strings.HasPrefix(got[len(got)-1], "B ")
			})
			got := tr.jobs()
			last := got[len(got)-2:]
			wantJobs := []string{fmt.Sprintf("A reprint=%v intended=", tt.wantReprint), "B reprint=false intended="}
			if last[0] != wantJobs[0] || last[1] != wantJobs[1] {
				t.Fatalf("printed %q, want it to end with %q", got, wantJobs)
			}
			eventually(t, "online", func() bool { return h.w.Info().State == StateOnline })
		})
	}
}

// failingAcks is a queue whose acknowledgements fail while fail is set,
// as they do while the disk is full.
type failingAcks struct {
	*queue.Queue
	mu   sync.Mutex
	fail bool
	n    int
}

func (f *failingAcks) Ack(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		f.n++
		return fmt.Errorf("ack: %w", queue.ErrDiskFull)
	}
	return f.Queue.Ack(id)
}

func (f *failingAcks) set(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

func (f *failingAcks) tries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// A ticket that printed while its acknowledgement could not be stored is
// acknowledged as soon as it can be: the lane goes on without waiting for
// the lease to run out, and the ticket does not print again.
func TestWorkerRetriesFailedAck(t *testing.T) {
	q := &failingAcks{Queue: openQueue(t), fail: true}
	tr := &fakeTransport{status: Status{State: StateOnline}}
	enqueue(t, q.Queue, "front", "A", "B")
	startWorker(t, q.Queue, "front", tr, func(o *WorkerOptions) {
		o.Queue = q
		o.Lease = time.Hour
	})
	eventually(t, "acknowledgement tried again", func() bool { return q.tries() >= 3 })
	if got := tr.jobs(); len(got) != 1 {
		t.Fatalf("printed %q while the first acknowledgement could not be stored, want A once", got)
	}
	if a := jobState(t, q.Queue, "A"); a.State != queue.Inflight {
		t.Fatalf("A is %s while unacknowledged, want inflight (a restart prints it again, marked)", a.State)
	}
	q.set(false)
	eventually(t, "B printed", func() bool { return jobState(t, q.Queue, "B").State == queue.Done })
	want := []string{"A reprint=false intended=", "B reprint=false intended="}
	if got := tr.jobs(); !slices.Equal(got, want) {
		t.Fatalf("printed %q, want %q", got, want)
	}
	if a := jobState(t, q.Queue, "A"); a.State != queue.Done {
		t.Fatalf("A is %s, want done", a.State)
	}
}

func TestWorkerKillsJobThatCannotRender(t *testing.T) {
	q := openQueue(t)
	tr := &fakeTransport{status: Status{State: StateOnline}}
	enqueue(t, q, "front", "bad", "B")
	startWorker(t, q, "front", tr, nil)
	eventually(t, "next job printed", func() bool { return len(tr.jobs()) == 1 })
	if j := jobState(t, q, "bad"); j.State != queue.Dead || !strings.Contains(j.LastError, "cannot render") {
		t.Fatalf("bad job: %+v", j)
	}
}

func TestWorkerFailover(t *testing.T) {
	q := openQueue(t)
	front := &fakeTransport{status: Status{State: StatePaperOut}}
	enqueue(t, q, "front", "A", "B", "C")
	var asked []string
	var mu sync.Mutex
	h := startWorker(t, q, "front", front, func(o *WorkerOptions) {
		o.FailoverAfter = 60 * time.Millisecond
		o.Failover = func(j queue.Job) (string, bool) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, j.ID)
			if strings.Contains(j.ID, "/C/") {
				return "", false // a job of a binding without a backup stays
			}
			return "bar", true
		}
	})
	start := time.Now()
	eventually(t, "jobs moved", func() bool { return jobState(t, q, "B").Printer == "bar" })
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("moved after %s, before FailoverAfter", d)
	}
	if a := jobState(t, q, "A"); a.Printer != "bar" || a.State != queue.Pending {
		t.Fatalf("job A: %+v", a)
	}
	if c := jobState(t, q, "C"); c.Printer != "front" {
		t.Fatalf("job C without a backup moved to %q", c.Printer)
	}
	eventually(t, "moves counted", func() bool { return h.w.Info().MovedToBackup == 2 })
	// The backup prints them in their order, saying where they belong.
	bar := &fakeTransport{status: Status{State: StateOnline}}
	startWorker(t, q, "bar", bar, nil)
	eventually(t, "backup printed", func() bool { return len(bar.jobs()) == 2 })
	if got := bar.jobs(); got[0] != "A reprint=false intended=front" || got[1] != "B reprint=false intended=front" {
		t.Fatalf("backup printed %q", got)
	}
	if len(front.jobs()) != 0 {
		t.Fatalf("front printed %q while out of paper", front.jobs())
	}
}

func TestWorkerStopsWhileHeld(t *testing.T) {
	q := openQueue(t)
	tr := &fakeTransport{statusErr: errors.New("gone")}
	h := startWorker(t, q, "front", tr, nil)
	eventually(t, "offline", func() bool { return h.w.Info().State == StateOffline })
	done := make(chan struct{})
	go func() { h.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestNewWorkerErrors(t *testing.T) {
	if _, err := NewWorker(WorkerOptions{Name: "x"}); err == nil {
		t.Fatal("NewWorker without transport, queue and render succeeded")
	}
}

func TestTableBackup(t *testing.T) {
	table, err := NewTable([]Binding{
		{Store: "1", Kind: order.KindReceipt, Printers: []string{"front"}, Copies: 1, Backup: "bar"},
		{Store: AnyStore, Kind: order.KindKitchen, Printers: []string{"kitchen"}, Copies: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	job := func(store string, kind order.Kind, lane string) queue.Job {
		b, _ := Payload{Order: order.Order{StoreID: store, ID: "E1"}, Kind: kind}.Encode()
		return queue.Job{ID: "x", Printer: lane, Payload: b}
	}
	tests := []struct {
		name  string
		job   queue.Job
		ready bool
		want  string
	}{
		{"receipt goes to backup", job("1", order.KindReceipt, "front"), true, "bar"},
		{"backup not ready", job("1", order.KindReceipt, "front"), false, ""},
		{"already on the backup", job("1", order.KindReceipt, "bar"), true, ""},
		{"no backup in binding", job("1", order.KindKitchen, "kitchen"), true, ""},
		{"store without binding", job("2", order.KindReceipt, "front"), true, ""},
		{"bad payload", queue.Job{Payload: []byte("{")}, true, ""},
	}
	for _, tt := range tests {
		got, ok := table.Backup(tt.job, func(string) bool { return tt.ready })
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: Backup = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

// countingQueue counts the leases a worker asks for and the jobs the queue
// hands over to it.
type countingQueue struct {
	*queue.Queue
	mu             sync.Mutex
	leases, handed int
	returned       []string
}

func (c *countingQueue) Lease(printer string, d time.Duration) (queue.Job, bool, error) {
	j, ok, err := c.Queue.Lease(printer, d)
	if ok {
		c.mu.Lock()
		c.leases++
		c.mu.Unlock()
	}
	return j, ok, err
}

func (c *countingQueue) Return(j queue.Job) error {
	c.mu.Lock()
	c.returned = append(c.returned, j.ID)
	c.mu.Unlock()
	return c.Queue.Return(j)
}

func (c *countingQueue) counts() (leases int, returned []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leases, slices.Clone(c.returned)
}

// An idle worker gets a new job from the enqueue's own commit: it prints
// without leasing it.
func TestWorkerTakesHandedOverJob(t *testing.T) {
	q := &countingQueue{Queue: openQueue(t)}
	tr := &fakeTransport{status: Status{State: StateOnline}}
	h := startWorker(t, q.Queue, "front", tr, func(o *WorkerOptions) { o.Queue, o.Idle, o.StatusEvery = q, time.Hour, time.Hour })
	eventually(t, "the worker idle", func() bool { return h.w.Info().State == StateOnline })
	time.Sleep(20 * time.Millisecond) // into its idle wait
	for i, id := range []string{"A", "B", "C"} {
		enqueue(t, q.Queue, "front", id)
		eventually(t, id+" printed", func() bool { return len(tr.jobs()) == i+1 })
		eventually(t, id+" acknowledged", func() bool { return jobState(t, q.Queue, id).State == queue.Done })
		if j := jobState(t, q.Queue, id); j.Attempts != 1 || j.Uncertain {
			t.Fatalf("job %s: %+v", id, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if leases, _ := q.counts(); leases != 0 {
		t.Fatalf("%d jobs leased, want all 3 handed over by their enqueue", leases)
	}
}

// A job handed over as the printer is paused, or as the worker stops, goes
// back to its lane untouched: it prints once, after the resume, unmarked.
func TestWorkerGivesBackHandedOverJob(t *testing.T) {
	for _, how := range []string{"pause", "stop"} {
		t.Run(how, func(t *testing.T) {
			q := &countingQueue{Queue: openQueue(t)}
			tr := &fakeTransport{status: Status{State: StateOnline}}
			h := startWorker(t, q.Queue, "front", tr, func(o *WorkerOptions) { o.Queue, o.Idle, o.StatusEvery = q, time.Hour, time.Hour })
			eventually(t, "the worker idle", func() bool { return h.w.Info().State == StateOnline })
			time.Sleep(20 * time.Millisecond)
			// The job is handed over before the worker sees the pause (or
			// the end of its context): it must not print now. Holding
			// w.mu keeps the worker from reading its pause state (which
			// it reads before its context) until both are set.
			h.w.mu.Lock()
			if how == "pause" {
				h.w.info.Paused = true
			}
			enqueue(t, q.Queue, "front", "A")
			if how == "stop" {
				h.cancel()
			}
			h.w.mu.Unlock()
			if how == "pause" {
				h.w.wake <- struct{}{}
			}
			eventually(t, "the job given back", func() bool { _, r := q.counts(); return len(r) == 1 })
			if j := jobState(t, q.Queue, "A"); j.State != queue.Pending || j.Attempts != 0 || j.Uncertain {
				t.Fatalf("given back: %+v", j)
			}
			if how == "pause" {
				time.Sleep(30 * time.Millisecond)
				if n := len(tr.jobs()); n != 0 {
					t.Fatalf("%d jobs printed while paused", n)
				}
				h.w.Resume()
			} else {
				<-h.done
				h = startWorker(t, q.Queue, "front", tr, func(o *WorkerOptions) { o.Queue = q })
			}
			eventually(t, "A printed", func() bool { return len(tr.jobs()) == 1 })
			if got := tr.jobs()[0]; got != "A reprint=false intended=" {
				t.Fatalf("printed %q", got)
			}
		})
	}
}
