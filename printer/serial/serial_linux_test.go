package serial

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"storeedge/printer"
	"storeedge/printer/serial/ptytest"
	"storeedge/printer/status"
	"storeedge/printer/status/statustest"
	"storeedge/printer/uri"
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
	pat := []byte("\x1b@\x1c&打印测试 TEST 0123456789\n")
	return bytes.Repeat(pat, n/len(pat)+1)[:n]
}

func TestWriteReachesThePrinterExactly(t *testing.T) {
	tests := []struct {
		name    string
		replies [4]byte
		silent  bool
		want    printer.State
	}{
		{"online", statustest.Online, false, printer.StateOnline},
		{"paper out", statustest.PaperOut, false, printer.StatePaperOut},
		{"paper low", statustest.PaperLow, false, printer.StatePaperLow},
		{"cover open", statustest.CoverOpen, false, printer.StateCoverOpen},
		{"never answers", statustest.Online, true, printer.StateUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := ptytest.NewLine(t)
			line.Emu.Set(tt.replies)
			line.Emu.SetSilent(tt.silent)
			c := openConn(t, "serial://"+line.Path+"?baud=115200")
			j := job(3000)
			st, err := c.Write(ctxFor(t, 5*time.Second), j)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != tt.want {
				t.Errorf("Write status = %v, want %s", st, tt.want)
			}
			if got := line.Emu.Job(); !bytes.Equal(got, j) {
				t.Fatalf("printer got %d bytes, want the %d sent:\n%q", len(got), len(j), got)
			}
			if rest := line.Emu.Received()[len(j):]; !tt.silent && !bytes.HasPrefix(rest, status.Query(1)) {
				t.Errorf("after the job the printer got % x, want a status query", rest)
			}
			st, err = c.Status(ctxFor(t, 5*time.Second))
			if err != nil || st.State != tt.want {
				t.Errorf("Status = %v, %v; want %s", st, err, tt.want)
			}
		})
	}
}

func TestLineSettings(t *testing.T) {
	tests := []struct {
		query          string
		speed          uint32
		rtscts, xonoff bool
	}{
		{"", unix.B9600, false, false},
		{"?baud=19200", unix.B19200, false, false},
		{"?baud=115200&flow=rtscts", unix.B115200, true, false},
		{"?baud=38400&flow=xonxoff", unix.B38400, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			line := ptytest.NewLine(t)
			c := openConn(t, "serial://"+line.Path+tt.query)
			if _, err := c.Status(ctxFor(t, 5*time.Second)); err != nil {
				t.Fatal(err)
			}
			tio, err := line.Pair().Termios()
			if err != nil {
				t.Fatal(err)
			}
			if got := tio.Cflag & unix.CBAUD; got != tt.speed {
				t.Errorf("speed code %#o, want %#o", got, tt.speed)
			}
			if got := tio.Cflag&unix.CRTSCTS != 0; got != tt.rtscts {
				t.Errorf("CRTSCTS = %v, want %v", got, tt.rtscts)
			}
			if got := tio.Iflag&(unix.IXON|unix.IXOFF) == unix.IXON|unix.IXOFF; got != tt.xonoff {
				t.Errorf("IXON|IXOFF = %v, want %v", got, tt.xonoff)
			}
			if tio.Cflag&unix.CSIZE != unix.CS8 || tio.Cflag&(unix.PARENB|unix.CSTOPB) != 0 {
				t.Errorf("not 8N1: cflag %#o", tio.Cflag)
			}
			if tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 || tio.Oflag&unix.OPOST != 0 {
				t.Errorf("not raw: lflag %#o oflag %#o", tio.Lflag, tio.Oflag)
			}
		})
	}
}

func TestXOFFHoldsTheLine(t *testing.T) {
	line := ptytest.NewLine(t)
	c := openConn(t, "serial://"+line.Path+"?flow=xonxoff")
	if _, err := c.Status(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	// The printer's buffer is full: it sends XOFF, and nothing may be sent
	// until XON. A job longer than the line's buffers must time out.
	line.Pair().Master.Write([]byte{0x13})
	time.Sleep(20 * time.Millisecond)
	j := job(1 << 20)
	start := time.Now()
	_, err := c.Write(ctxFor(t, 300*time.Millisecond), j)
	if err == nil {
		t.Fatal("Write went through while the printer held the line with XOFF")
	}
	if !errors.Is(err, context.DeadlineExceeded) || printer.IsNotSent(err) {
		t.Errorf("err = %v, want a deadline error with part of the job sent", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Write took %s; the deadline was 300ms", d)
	}
	if got := len(line.Emu.Job()); got >= len(j) {
		t.Errorf("printer got all %d bytes despite XOFF", got)
	}
}

func TestUnplugAndReplug(t *testing.T) {
	line := ptytest.NewLine(t)
	c := openConn(t, "serial://"+line.Path)
	if _, err := c.Write(ctxFor(t, 5*time.Second), job(100)); err != nil {
		t.Fatal(err)
	}
	line.Unplug()
	_, err := c.Write(ctxFor(t, 2*time.Second), job(100))
	if err == nil {
		t.Fatal("Write to an unplugged line succeeded")
	}
	st, err := c.Status(ctxFor(t, 2*time.Second))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Status while unplugged = %v, %v; want a missing device", st, err)
	}
	if _, err := c.Write(ctxFor(t, 2*time.Second), job(100)); !printer.IsNotSent(err) {
		t.Fatalf("Write while unplugged: %v, want not sent", err)
	}
	line.Plug()
	line.Emu.Reset()
	if st, err := c.Status(ctxFor(t, 5*time.Second)); err != nil || st.State != printer.StateOnline {
		t.Fatalf("Status after replug = %v, %v", st, err)
	}
	j := job(2000)
	if _, err := c.Write(ctxFor(t, 5*time.Second), j); err != nil {
		t.Fatalf("Write after replug: %v", err)
	}
	if got := line.Emu.Job(); !bytes.Equal(got, j) {
		t.Fatalf("after replug the printer got %d bytes, want %d", len(got), len(j))
	}
}

func TestPortIsExclusive(t *testing.T) {
	line := ptytest.NewLine(t)
	c := openConn(t, "serial://"+line.Path)
	if _, err := c.Status(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		t.Skip("root may open a locked tty")
	}
	if _, err := openPort(line.Path, 9600, "none"); err == nil {
		t.Fatal("a second open of a port in use succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		u    uri.URI
		want string
	}{
		{uri.URI{Raw: "serial://", Scheme: uri.Serial}, "no device"},
		{uri.URI{Raw: "serial:///dev/x", Scheme: uri.Serial, Path: "/dev/x", Baud: 1234}, "baud 1234"},
		{uri.URI{Raw: "serial:///dev/x", Scheme: uri.Serial, Path: "/dev/x", Flow: "dsr"}, `flow "dsr"`},
	}
	for _, tt := range tests {
		if _, err := Open(tt.u, printer.OpenOptions{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%+v) = %v, want %q", tt.u, err, tt.want)
		}
	}
	if _, err := openPort("/dev/null", 9600, "none"); err == nil || !strings.Contains(err.Error(), "not a serial port") {
		t.Errorf("openPort(/dev/null) = %v", err)
	}
}

// BenchmarkWrite measures bytes per second through the serial transport over
// a pty (which, unlike a real line, does not throttle to the baud rate).
func BenchmarkWrite(b *testing.B) {
	line := ptytest.NewLine(b)
	line.Emu.SetDiscard(true)
	c := openConn(b, "serial://"+line.Path+"?baud=115200")
	j := job(16 << 10)
	b.SetBytes(int64(len(j)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(context.Background(), j); err != nil {
			b.Fatal(err)
		}
	}
}
