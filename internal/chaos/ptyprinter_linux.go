//go:build linux

package chaos

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"storeedge/printer/serial/ptytest"
	"storeedge/printer/status/statustest"
)

// PTYPrinter is a serial printer on a pseudo-terminal: the agent opens
// Path as its serial port and the printer reads the master side, answering
// DLE EOT queries as statustest does. Stalled: the master stops reading
// and answering (the line buffers what is sent, which prints when the
// printer comes back). Off: switched off, what is sent is lost and nothing
// answers. Paper out: it answers paper end and prints nothing. A ticket
// cut short (the agent killed mid-write, the printer switched off) ends the
// piece of paper it was on.
type PTYPrinter struct {
	m    mech
	pair *ptytest.Pair
	emu  *statustest.Printer

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// NewPTYPrinter opens a pty pair, closed when the test ends, and starts
// reading it.
func NewPTYPrinter(t testing.TB) *PTYPrinter {
	t.Helper()
	pair := ptytest.Open(t)
	if err := pair.MakeRaw(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &PTYPrinter{pair: pair, emu: statustest.New(), cancel: cancel, done: make(chan struct{})}
	go p.serve(ctx)
	t.Cleanup(p.Close)
	return p
}

// Path is the serial port's path.
func (p *PTYPrinter) Path() string { return p.pair.SlavePath }

// Roll is the printer's paper.
func (p *PTYPrinter) Roll() *Roll { return &p.m.Roll }

// State is what the printer is doing.
func (p *PTYPrinter) State() PrinterState { return p.m.get() }

// Set changes what the printer is doing.
func (p *PTYPrinter) Set(s PrinterState) { p.m.set(s) }

// Close stops reading (the pair itself is closed by the test's cleanup).
func (p *PTYPrinter) Close() {
	p.once.Do(func() {
		p.cancel()
		<-p.done
	})
}

func (p *PTYPrinter) serve(ctx context.Context) {
	defer close(p.done)
	piece := p.m.Roll.Start()
	end := func() { piece = p.m.Roll.Next(piece) }
	buf := make([]byte, 32<<10)
	was := PrinterOnline
	for ctx.Err() == nil {
		st := p.m.get()
		if st != was && (st == PrinterOff || was == PrinterOff) {
			end() // switched off or on: the ticket being printed stops there
			p.emu = statustest.New()
		}
		was = st
		if st == PrinterStalled {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.pair.Master.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := p.pair.Master.Read(buf)
		if n > 0 && p.m.get() != PrinterOff {
			if ans := p.m.feed(p.emu, buf[:n], &piece); len(ans) > 0 {
				p.pair.Master.SetWriteDeadline(time.Now().Add(time.Second))
				p.pair.Master.Write(ans)
			}
		}
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, syscall.EIO):
			// Nobody has the port open (the agent closed it or died): a
			// ticket it was writing stops here.
			end()
			p.emu = statustest.New()
			time.Sleep(5 * time.Millisecond)
		default:
			return // master closed
		}
	}
}
