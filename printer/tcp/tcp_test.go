package tcp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/printer/status"
	"storeedge/printer/status/statustest"
	"storeedge/printer/uri"
)

// behaviour of an emulated network printer
type behaviour int

const (
	reads      behaviour = iota // reads everything and answers status queries
	neverReads                  // accepts and never reads
	closesAt                    // reads closeAt bytes, then resets the connection
)

type fakePrinter struct {
	t       *testing.T
	ln      net.Listener
	p       *statustest.Printer
	how     behaviour
	closeAt int
	mu      sync.Mutex
	conns   []net.Conn
	wg      sync.WaitGroup
}

func newFakePrinter(t *testing.T, how behaviour) *fakePrinter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePrinter{t: t, ln: ln, p: statustest.New(), how: how}
	f.serve()
	t.Cleanup(f.stop)
	return f
}

// restart listens again on the same address (a printer switched back on).
func (f *fakePrinter) restart() {
	f.t.Helper()
	ln, err := net.Listen("tcp", f.ln.Addr().String())
	if err != nil {
		f.t.Fatal(err)
	}
	f.ln = ln
	f.serve()
}

func (f *fakePrinter) serve() {
	ln := f.ln
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.handle(c)
			}()
		}
	}()
}

func (f *fakePrinter) handle(c net.Conn) {
	if f.how == neverReads {
		return // held open until stop
	}
	defer c.Close()
	buf := make([]byte, 32<<10)
	total := 0
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if f.how == closesAt && total+n >= f.closeAt {
				f.p.Feed(buf[:f.closeAt-total])
				c.(*net.TCPConn).SetLinger(0) // reset, as a printer switched off does
				return
			}
			total += n
			if ans := f.p.Feed(buf[:n]); len(ans) > 0 {
				if _, err := c.Write(ans); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// down stops listening and drops every connection (switched off).
func (f *fakePrinter) down() {
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
	f.mu.Unlock()
}

func (f *fakePrinter) stop() {
	f.down()
	f.wg.Wait()
}

func open(t testing.TB, addr string) *Conn {
	t.Helper()
	u, err := uri.Parse("tcp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := printer.Open(u, printer.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := tr.(*Conn)
	c.SetTimings(time.Second, 100*time.Millisecond, 300*time.Millisecond)
	return c
}

// testJob is n bytes of a pattern without DLE (0x10), so no run of it looks
// like a status query.
func testJob(n int) []byte {
	pat := make([]byte, 251)
	for i := range pat {
		pat[i] = byte(i * 7)
		if pat[i] == 0x10 {
			pat[i] = 0x11
		}
	}
	return bytes.Repeat(pat, n/len(pat)+1)[:n]
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestWriteAndStatus(t *testing.T) {
	tests := []struct {
		name    string
		replies [4]byte
		silent  bool
		want    printer.State
	}{
		{"online", statustest.Online, false, printer.StateOnline},
		{"paper low", statustest.PaperLow, false, printer.StatePaperLow},
		{"paper out", statustest.PaperOut, false, printer.StatePaperOut},
		{"cover open", statustest.CoverOpen, false, printer.StateCoverOpen},
		{"cutter error", statustest.CutterErr, false, printer.StateError},
		{"never answers", statustest.Online, true, printer.StateUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePrinter(t, reads)
			f.p.Set(tt.replies)
			f.p.SetSilent(tt.silent)
			c := open(t, f.ln.Addr().String())
			job := testJob(20 << 10)
			st, err := c.Write(ctxFor(t, 5*time.Second), job)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if st.State != tt.want {
				t.Errorf("Write status = %v, want %s", st, tt.want)
			}
			if got := f.p.Job(); !bytes.Equal(got, job) {
				t.Fatalf("printer got %d job bytes, want the %d sent", len(got), len(job))
			}
			// the queries follow the job on the same connection
			if rest := f.p.Received()[len(job):]; !bytes.HasPrefix(rest, status.Query(1)) {
				t.Errorf("after the job the printer got % x, want a status query", rest)
			}
			st, err = c.Status(ctxFor(t, 5*time.Second))
			if err != nil || st.State != tt.want {
				t.Errorf("Status = %v, %v; want %s", st, err, tt.want)
			}
		})
	}
}

func TestPrinterThatNeverReads(t *testing.T) {
	f := newFakePrinter(t, neverReads)
	c := open(t, f.ln.Addr().String())
	job := make([]byte, 64<<20) // more than the socket buffers of both ends hold
	start := time.Now()
	_, err := c.Write(ctxFor(t, 300*time.Millisecond), job)
	if err == nil {
		t.Fatal("Write to a printer that never reads succeeded")
	}
	if printer.IsNotSent(err) {
		t.Errorf("error %v claims nothing was sent", err)
	}
	if !strings.Contains(err.Error(), "write") || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "timeout") {
		t.Errorf("error = %v, want a write timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Write took %s; the deadline was 300ms", d)
	}
}

func TestPrinterThatClosesMidJob(t *testing.T) {
	f := newFakePrinter(t, closesAt)
	f.closeAt = 4096
	c := open(t, f.ln.Addr().String())
	_, err := c.Write(ctxFor(t, 5*time.Second), make([]byte, 8<<20))
	if err == nil {
		t.Fatal("Write succeeded although the printer closed the connection mid-job")
	}
	if printer.IsNotSent(err) {
		t.Errorf("error %v claims nothing was sent", err)
	}
	if got := len(f.p.Job()); got != 4096 {
		t.Errorf("printer read %d bytes, want 4096", got)
	}
}

func TestAnsweringPrinterMustConfirmTheJob(t *testing.T) {
	f := newFakePrinter(t, reads)
	c := open(t, f.ln.Addr().String())
	if st, err := c.Status(ctxFor(t, 5*time.Second)); err != nil || st.State != printer.StateOnline {
		t.Fatalf("Status = %v, %v", st, err)
	}
	f.p.SetSilent(true) // it answered before: silence now means trouble
	_, err := c.Write(ctxFor(t, 5*time.Second), testJob(1000))
	if !errors.Is(err, status.ErrNotConfirmed) {
		t.Fatalf("Write error = %v, want ErrNotConfirmed", err)
	}
	if printer.IsNotSent(err) {
		t.Error("an unconfirmed job counts as not sent")
	}
}

func TestOfflineAndBack(t *testing.T) {
	f := newFakePrinter(t, reads)
	addr := f.ln.Addr().String()
	c := open(t, addr)
	f.down()
	_, err := c.Write(ctxFor(t, 5*time.Second), testJob(100))
	if err == nil || !printer.IsNotSent(err) {
		t.Fatalf("Write to a printer that is off: %v, want a not-sent error", err)
	}
	if _, err := c.Status(ctxFor(t, 5*time.Second)); err == nil {
		t.Fatal("Status of a printer that is off: no error")
	}
	f.restart()
	if st, err := c.Status(ctxFor(t, 5*time.Second)); err != nil || st.State != printer.StateOnline {
		t.Fatalf("Status after the printer came back = %v, %v", st, err)
	}
	if _, err := c.Write(ctxFor(t, 5*time.Second), testJob(100)); err != nil {
		t.Fatalf("Write after the printer came back: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(uri.URI{Raw: "tcp://", Scheme: uri.TCP}, printer.OpenOptions{}); err == nil {
		t.Fatal("Open without a host succeeded")
	}
}

// BenchmarkWrite measures bytes per second through the TCP transport to a
// local printer that reads everything and answers the status query.
func BenchmarkWrite(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				p := statustest.New()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if ans := p.Feed(buf[:n]); len(ans) > 0 {
						c.Write(ans)
					}
					if err == io.EOF || err != nil {
						return
					}
				}
			}()
		}
	}()
	c := open(b, ln.Addr().String())
	job := testJob(64 << 10)
	b.SetBytes(int64(len(job)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(context.Background(), job); err != nil {
			b.Fatal(err)
		}
	}
}
