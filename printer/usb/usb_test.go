//go:build cgo && linux

package usb

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/printer/status"
	"storeedge/printer/status/statustest"
	"storeedge/printer/uri"
	"storeedge/printer/usb/usbtest"
	"storeedge/queue"
	"storeedge/sync/order"
)

func openConn(t testing.TB, raw string) *Conn {
	t.Helper()
	u, err := uri.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := printer.Open(u, printer.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := tr.(*Conn)
	c.SetReplyWait(100*time.Millisecond, 300*time.Millisecond)
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func job(n int) []byte {
	pat := []byte("\x1b@\x1c&打印测试 USB 0123456789\n")
	return bytes.Repeat(pat, n/len(pat)+1)[:n]
}

// queries is what follows a job from a printer that answers: DLE EOT 1, 2, 4.
var queries = append(append(status.Query(1), status.Query(2)...), status.Query(4)...)

func TestWriteAndStatus(t *testing.T) {
	tests := []struct {
		name       string
		replies    [4]byte
		silent     bool
		portStatus byte
		want       printer.State
		tail       []byte // bytes after the job
	}{
		{"online", statustest.Online, false, 0x18, printer.StateOnline, queries},
		{"paper out", statustest.PaperOut, false, 0x18, printer.StatePaperOut, queries},
		{"paper low", statustest.PaperLow, false, 0x18, printer.StatePaperLow, queries},
		{"cutter error", statustest.CutterErr, false, 0x18, printer.StateError,
			append(append(status.Query(1), status.Query(2)...), append(status.Query(3), status.Query(4)...)...)},
		{"never answers", statustest.Online, true, 0x18, printer.StateUnknown, status.Query(1)},
		{"never answers, port says paper empty", statustest.Online, true, 0x38, printer.StatePaperOut, status.Query(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := usbtest.New(t, usbtest.Options{})
			p.SetReplies(tt.replies)
			p.SetSilent(tt.silent)
			p.SetPortStatus(tt.portStatus)
			c := openConn(t, "usb://0416:5011")
			j := job(20 << 10)
			st, err := c.Write(ctxFor(t, 10*time.Second), j)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != tt.want {
				t.Errorf("Write status = %v, want %s", st, tt.want)
			}
			if got, want := p.Received(), append(bytes.Clone(j), tt.tail...); !bytes.Equal(got, want) {
				t.Fatalf("device got %d bytes ending % x, want %d ending % x", len(got), tail(got), len(want), tail(want))
			}
			st, err = c.Status(ctxFor(t, 10*time.Second))
			if err != nil || st.State != tt.want {
				t.Errorf("Status = %v, %v; want %s", st, err, tt.want)
			}
		})
	}
}

func tail(b []byte) []byte {
	if len(b) > 12 {
		return b[len(b)-12:]
	}
	return b
}

func TestSerialNumberSelectsTheDevice(t *testing.T) {
	// (umockdev cannot have one device node open twice at once, so each
	// connection is closed before the next one looks.)
	p := usbtest.New(t, usbtest.Options{Serial: "KITCHEN-2"})
	other := openConn(t, "usb://0416:5011?serial=FRONT-1")
	_, err := other.Write(ctxFor(t, 10*time.Second), job(100))
	if !errors.Is(err, ErrNotFound) || !printer.IsNotSent(err) {
		t.Fatalf("Write to another serial number: %v, want not found and not sent", err)
	}
	if _, err := openConn(t, "usb://04b8:0e15").Status(ctxFor(t, 10*time.Second)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Status of another vid:pid: %v, want not found", err)
	}
	if len(p.Received()) != 0 {
		t.Fatalf("device got % x meant for other printers", p.Received())
	}
	c := openConn(t, "usb://0416:5011?serial=KITCHEN-2")
	j := job(100)
	if _, err := c.Write(ctxFor(t, 10*time.Second), j); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(p.Received(), j) {
		t.Fatalf("device got % x", p.Received())
	}
}

func TestUnplugMidJobAndReplug(t *testing.T) {
	p := usbtest.New(t, usbtest.Options{})
	c := openConn(t, "usb://0416:5011")
	if _, err := c.Status(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	p.Reset()
	p.FailAfter(1000)
	j := job(10 << 10)
	_, err := c.Write(ctxFor(t, 10*time.Second), j)
	if err == nil {
		t.Fatal("Write succeeded although the cable was pulled mid-job")
	}
	if printer.IsNotSent(err) {
		t.Errorf("error %v claims nothing was sent; 1000 bytes were", err)
	}
	if got := p.Received(); !bytes.Equal(got, j[:1000]) {
		t.Fatalf("device got %d bytes before the cable was pulled, want the first 1000", len(got))
	}
	if st, err := c.Status(ctxFor(t, 10*time.Second)); err == nil {
		t.Fatalf("Status while unplugged = %v, want an error", st)
	}
	if _, err := c.Write(ctxFor(t, 10*time.Second), j); err == nil || !printer.IsNotSent(err) {
		t.Fatalf("Write while unplugged: %v, want not sent", err)
	}

	p.Plug()
	p.Reset()
	if st, err := c.Status(ctxFor(t, 10*time.Second)); err != nil || st.State != printer.StateOnline {
		t.Fatalf("Status after replug = %v, %v", st, err)
	}
	p.Reset()
	if _, err := c.Write(ctxFor(t, 10*time.Second), j); err != nil {
		t.Fatalf("Write after replug: %v", err)
	}
	if got := p.Received(); !bytes.Equal(got, append(bytes.Clone(j), queries...)) {
		t.Fatalf("after replug the device got %d bytes, want %d", len(got), len(j)+len(queries))
	}
}

func TestStatusOfAnUnpluggedPrinterWithoutAnswers(t *testing.T) {
	p := usbtest.New(t, usbtest.Options{})
	p.SetSilent(true)
	c := openConn(t, "usb://0416:5011")
	if st, err := c.Status(ctxFor(t, 10*time.Second)); err != nil || st.State != printer.StateUnknown {
		t.Fatalf("Status = %v, %v; want unknown", st, err)
	}
	p.Unplug()
	if st, err := c.Status(ctxFor(t, 10*time.Second)); err == nil {
		t.Fatalf("Status while unplugged = %v, want an error", st)
	}
	p.Plug()
	if st, err := c.Status(ctxFor(t, 10*time.Second)); err != nil || st.State != printer.StateUnknown {
		t.Fatalf("Status after replug = %v, %v; want unknown", st, err)
	}
}

func TestDiscover(t *testing.T) {
	usbtest.New(t, usbtest.Options{Serial: "A1 B", Manufacturer: "Xprinter", Product: "XP-80C"})
	found, err := Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("found %+v, want one printer", found)
	}
	f := found[0]
	if f.URI != "usb://0416:5011?serial=A1+B" || f.Name != "Xprinter XP-80C" || !strings.Contains(f.Detail, "two-way") {
		t.Fatalf("found %+v", f)
	}
	u, err := uri.Parse(f.URI)
	if err != nil || u.Serial != "A1 B" {
		t.Fatalf("the URI does not parse back: %+v, %v", u, err)
	}
}

// TestWorkerRidesOutAnUnplug runs a printer worker on the USB transport: the
// printer is unplugged in the middle of the second job, the worker marks it
// offline and keeps the jobs, and once it is plugged back in prints the rest
// in order, the interrupted ticket marked as a reprint.
func TestWorkerRidesOutAnUnplug(t *testing.T) {
	p := usbtest.New(t, usbtest.Options{})
	q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	c := openConn(t, "usb://0416:5011")
	render := func(j queue.Job, pl printer.Payload) ([]byte, error) {
		mark := ""
		if j.Uncertain {
			mark = " REPRINT"
		}
		return append([]byte("<"+pl.Order.ID+mark+">"), job(3000)...), nil
	}
	w, err := printer.NewWorker(printer.WorkerOptions{Name: "front", Transport: c, Queue: q, Render: render,
		Idle: 10 * time.Millisecond, StatusEvery: 50 * time.Millisecond, RecheckEvery: 20 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	enqueue := func(ids ...string) {
		for _, id := range ids {
			b, _ := printer.Payload{Order: order.Order{ID: id}, Kind: order.KindReceipt}.Encode()
			if _, err := q.Enqueue(queue.Job{ID: "x/" + id, Printer: "front", Payload: b}); err != nil {
				t.Fatal(err)
			}
		}
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (worker %+v)", what, w.Info())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	enqueue("E1")
	wait("E1 printed", func() bool { j, _ := q.Get("x/E1"); return j.State == queue.Done })
	p.FailAfter(len(p.Received()) + 1500) // the cable comes out inside E2
	enqueue("E2", "E3")
	wait("offline", func() bool { return w.Info().State == printer.StateOffline })
	for _, id := range []string{"E2", "E3"} {
		if j, _ := q.Get("x/" + id); j.State != queue.Pending {
			t.Fatalf("%s while unplugged: %+v", id, j)
		}
	}
	time.Sleep(60 * time.Millisecond) // stays offline, prints nothing
	if !p.Unplugged() || w.Info().State != printer.StateOffline {
		t.Fatalf("printer %v, worker %+v", p.Unplugged(), w.Info())
	}
	p.Reset()
	p.Plug()
	wait("E3 printed", func() bool { j, _ := q.Get("x/E3"); return j.State == queue.Done })
	got := string(p.Received())
	i2, i3 := strings.Index(got, "<E2 REPRINT>"), strings.Index(got, "<E3>")
	if i2 < 0 || i3 < 0 || i2 > i3 {
		t.Fatalf("after replug the printer got E2 at %d and E3 at %d; want E2 (marked) then E3", i2, i3)
	}
	wait("online", func() bool { return w.Info().State == printer.StateOnline })
}

// BenchmarkWrite measures bytes per second through the USB transport to the
// emulated printer (libusb and the umockdev ioctl handler included).
func BenchmarkWrite(b *testing.B) {
	p := usbtest.New(b, usbtest.Options{})
	c := openConn(b, "usb://0416:5011")
	j := job(64 << 10)
	b.SetBytes(int64(len(j)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(context.Background(), j); err != nil {
			b.Fatal(err)
		}
		if i%16 == 15 {
			b.StopTimer()
			p.Reset()
			b.StartTimer()
		}
	}
}
