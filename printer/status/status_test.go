package status

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/printer/status/statustest"
)

func TestValid(t *testing.T) {
	tests := []struct {
		b    byte
		want bool
	}{
		{0x12, true}, {0x16, true}, {0x1E, true}, {0x72, true}, {0x7E, true},
		{0x00, false}, {0x10, false}, {0x13, false}, {0x11, false}, {0x92, false}, {0xFF, false},
	}
	for _, tt := range tests {
		if got := Valid(tt.b); got != tt.want {
			t.Errorf("Valid(%#02x) = %v, want %v", tt.b, got, tt.want)
		}
	}
}

func TestReplyStatus(t *testing.T) {
	full := func(r [4]byte) Reply {
		return Reply{Printer: r[0], Offline: r[1], Error: r[2], Paper: r[3],
			HavePrinter: true, HaveOffline: true, HaveError: true, HavePaper: true}
	}
	tests := []struct {
		name   string
		r      Reply
		state  printer.State
		detail string
	}{
		{"no answer", Reply{}, printer.StateUnknown, "no answer to status queries"},
		{"online", full(statustest.Online), printer.StateOnline, ""},
		{"online, only n=1 answered", Reply{Printer: 0x16, HavePrinter: true}, printer.StateOnline, ""},
		{"paper low", full(statustest.PaperLow), printer.StatePaperLow, "roll paper near end"},
		{"paper out by sensor", full(statustest.PaperOut), printer.StatePaperOut, "paper end"},
		{"paper out by n=2 only", Reply{Printer: 0x1E, Offline: 0x32, HavePrinter: true, HaveOffline: true}, printer.StatePaperOut, "paper end"},
		{"cover open beats paper out", full([4]byte{0x1E, 0x36, 0x12, 0x72}), printer.StateCoverOpen, "cover open"},
		{"cutter error", full(statustest.CutterErr), printer.StateError, "autocutter error"},
		{"error, cause not asked", Reply{Printer: 0x1E, Offline: 0x52, HavePrinter: true, HaveOffline: true}, printer.StateError, "printer reports an error"},
		{"several errors", full([4]byte{0x1E, 0x52, 0x7A, 0x12}), printer.StateError, "autocutter error, unrecoverable error, recoverable error (print head too hot?)"},
		{"offline without cause", Reply{Printer: 0x1E, HavePrinter: true}, printer.StateError, "printer reports it is offline"},
		{"feed button held", full([4]byte{0x1E, 0x1A, 0x12, 0x12}), printer.StateOnline, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.r.Status()
			if got.State != tt.state || got.Detail != tt.detail {
				t.Errorf("Status() = %+v, want %s (%s)", got, tt.state, tt.detail)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"nothing", nil, "no reply"},
		{"noise only", []byte{0x00, 0xFF, 0x13}, "no reply"},
		{"online", []byte{0x16, 0x12, 0x12}, "n1=16 n2=12 n4=12"},
		{"error asks n=3", []byte{0x1E, 0x52, 0x1A, 0x12}, "n1=1e n2=52 n3=1a n4=12"},
		{"noise between", []byte{0x16, 0xFF, 0x00, 0x12, 0x13, 0x1E}, "n1=16 n2=12 n4=1e"},
		{"extra bytes ignored", []byte{0x16, 0x12, 0x12, 0x72, 0x72}, "n1=16 n2=12 n4=12"},
	}
	for _, tt := range tests {
		if got := Parse(tt.in).String(); got != tt.want {
			t.Errorf("%s: Parse(% x) = %s, want %s", tt.name, tt.in, got, tt.want)
		}
	}
}

// fakeLink is a link to a statustest.Printer: what is written is fed to the
// printer and its answer becomes readable, after delay.
type fakeLink struct {
	p       *statustest.Printer
	delay   time.Duration
	noise   []byte // sent before every answer
	failOn  int    // fail the n-th write (1-based); 0: never
	mu      sync.Mutex
	writes  int
	pending []byte
	ready   chan struct{}
}

func newFakeLink(p *statustest.Printer) *fakeLink {
	return &fakeLink{p: p, ready: make(chan struct{}, 1)}
}

func (l *fakeLink) Write(ctx context.Context, b []byte) error {
	l.mu.Lock()
	l.writes++
	if l.failOn == l.writes {
		l.mu.Unlock()
		return io.ErrClosedPipe
	}
	l.mu.Unlock()
	ans := l.p.Feed(b)
	if len(ans) == 0 {
		return nil
	}
	go func() {
		time.Sleep(l.delay)
		l.mu.Lock()
		l.pending = append(append(l.pending, l.noise...), ans...)
		l.mu.Unlock()
		select {
		case l.ready <- struct{}{}:
		default:
		}
	}()
	return nil
}

func (l *fakeLink) Read(ctx context.Context, b []byte) (int, error) {
	for {
		l.mu.Lock()
		if len(l.pending) > 0 {
			n := copy(b, l.pending)
			l.pending = l.pending[n:]
			l.mu.Unlock()
			return n, nil
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-l.ready:
		}
	}
}

func TestAsk(t *testing.T) {
	tests := []struct {
		name    string
		replies [4]byte
		silent  bool
		noise   []byte
		want    string
		queries int
	}{
		{"online", statustest.Online, false, nil, "n1=16 n2=12 n4=12", 3},
		{"error asks the cause", statustest.CutterErr, false, nil, "n1=1e n2=52 n3=1a n4=12", 4},
		{"noise is skipped", statustest.PaperOut, false, []byte{0x00, 0x13, 0xFF}, "n1=1e n2=32 n4=72", 3},
		{"silent printer is asked once", statustest.Online, true, nil, "no reply", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := statustest.New()
			p.Set(tt.replies)
			p.SetSilent(tt.silent)
			l := newFakeLink(p)
			l.noise = tt.noise
			r, err := Ask(context.Background(), l, 30*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if r.String() != tt.want {
				t.Errorf("Ask = %s, want %s", r, tt.want)
			}
			if p.Queries() != tt.queries {
				t.Errorf("queries = %d, want %d", p.Queries(), tt.queries)
			}
			want := []byte{0x10, 0x04, 1}
			if got := p.Received(); !bytes.HasPrefix(got, want) {
				t.Errorf("printer received % x, want it to start with % x", got, want)
			}
		})
	}
}

func TestAskLinkFailure(t *testing.T) {
	l := newFakeLink(statustest.New())
	l.failOn = 2
	_, err := Ask(context.Background(), l, 30*time.Millisecond)
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("err = %v, want the link's error", err)
	}
}

func TestAskCancelled(t *testing.T) {
	p := statustest.New()
	p.SetSilent(true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := Ask(ctx, newFakeLink(p), time.Minute)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's end", err)
	}
}

func TestProber(t *testing.T) {
	ctx := context.Background()
	t.Run("silent printer stops being asked after jobs", func(t *testing.T) {
		p := statustest.New()
		p.SetSilent(true)
		l := newFakeLink(p)
		pr := &Prober{Wait: 10 * time.Millisecond}
		for i := 0; i < silentAfter+2; i++ {
			st, _, err := pr.AfterJob(ctx, l)
			if err != nil || st.State != printer.StateUnknown {
				t.Fatalf("job %d: %v %v", i, st, err)
			}
		}
		if p.Queries() != silentAfter {
			t.Fatalf("queries = %d, want %d", p.Queries(), silentAfter)
		}
		// Polls keep asking, and an answer makes it count as answering.
		p.SetSilent(false)
		if st, _, err := pr.Poll(ctx, l); err != nil || st.State != printer.StateOnline || !pr.Answers() {
			t.Fatalf("poll = %v %v, answers %v", st, err, pr.Answers())
		}
	})
	t.Run("answering printer must confirm each job", func(t *testing.T) {
		p := statustest.New()
		l := newFakeLink(p)
		pr := &Prober{Wait: 10 * time.Millisecond, JobWait: 20 * time.Millisecond}
		if st, _, err := pr.AfterJob(ctx, l); err != nil || st.State != printer.StateOnline {
			t.Fatalf("first job: %v %v", st, err)
		}
		p.SetSilent(true)
		if _, _, err := pr.AfterJob(ctx, l); !errors.Is(err, ErrNotConfirmed) {
			t.Fatalf("err = %v, want ErrNotConfirmed", err)
		}
	})
	t.Run("slow first answer after a job", func(t *testing.T) {
		p := statustest.New()
		l := newFakeLink(p)
		pr := &Prober{Wait: 30 * time.Millisecond, JobWait: time.Second}
		if _, _, err := pr.Poll(ctx, l); err != nil || !pr.Answers() {
			t.Fatalf("poll: %v", err)
		}
		l.delay = 80 * time.Millisecond // longer than Wait, shorter than JobWait
		p.Set(statustest.PaperLow)
		st, _, err := pr.AfterJob(ctx, l)
		if err != nil || st.State != printer.StateOnline && st.State != printer.StatePaperLow {
			t.Fatalf("after job: %v %v", st, err)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range [][]byte{nil, {0x16, 0x12, 0x12}, {0x1E, 0x52, 0x1A, 0x72}, {0xFF, 0x13, 0x11}, {0x1E, 0x36, 0x12, 0x7E}} {
		f.Add(s)
	}
	states := map[printer.State]bool{
		printer.StateOnline: true, printer.StatePaperLow: true, printer.StatePaperOut: true,
		printer.StateCoverOpen: true, printer.StateError: true, printer.StateUnknown: true,
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := Parse(b)
		st := r.Status()
		if !states[st.State] {
			t.Fatalf("Parse(% x).Status() = %q", b, st.State)
		}
		valid := 0
		for _, c := range b {
			if Valid(c) {
				valid++
			}
		}
		if (valid == 0) != (st.State == printer.StateUnknown) {
			t.Fatalf("Parse(% x): %d valid bytes but state %s", b, valid, st.State)
		}
		if r.HaveError && !(r.HaveOffline && r.Offline&offlineError != 0) {
			t.Fatalf("Parse(% x): n=3 taken without an error in n=2: %s", b, r)
		}
		for _, x := range []byte{r.Printer, r.Offline, r.Error, r.Paper} {
			if x != 0 && !Valid(x) {
				t.Fatalf("Parse(% x) kept an invalid byte %#02x", b, x)
			}
		}
	})
}

func FuzzFeed(f *testing.F) {
	f.Add([]byte{0x1b, 0x40, 0x10, 0x04, 0x01, 0x41, 0x10, 0x10, 0x04, 0x04}, 3)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		p := statustest.New()
		if split < 0 || split > len(b) {
			split = len(b) / 2
		}
		ans := append(p.Feed(b[:split]), p.Feed(b[split:])...)
		q := statustest.New()
		whole := q.Feed(b)
		if !bytes.Equal(ans, whole) || !bytes.Equal(p.Job(), q.Job()) {
			t.Fatalf("split at %d changes the result", split)
		}
		// Up to two trailing bytes (DLE, DLE EOT) wait for what follows.
		if n := len(p.Job()) + 3*p.Queries(); n > len(b) || n < len(b)-2 {
			t.Fatalf("job %d bytes + %d queries does not account for %d bytes", len(p.Job()), p.Queries(), len(b))
		}
	})
}
