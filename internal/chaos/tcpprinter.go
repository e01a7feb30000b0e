package chaos

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"storeedge/printer/status/statustest"
)

// TCPPrinter is a network printer on a raw port (9100 style) on loopback:
// each connection is read and its DLE EOT status queries answered as
// statustest does. Off: the port is closed and open connections are
// dropped. Stalled: connections are accepted but never read, and dropped
// with what they hold when the printer comes back. Paper out: it answers
// paper end and prints nothing. Its methods are safe for concurrent use.
type TCPPrinter struct {
	m    mech
	addr string

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewTCPPrinter listens on a free loopback port.
func NewTCPPrinter() (*TCPPrinter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tcp printer: %w", err)
	}
	p := &TCPPrinter{addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	return p, nil
}

// Addr is the printer's host:port.
func (p *TCPPrinter) Addr() string { return p.addr }

// Roll is the printer's paper.
func (p *TCPPrinter) Roll() *Roll { return &p.m.Roll }

// State is what the printer is doing.
func (p *TCPPrinter) State() PrinterState { return p.m.get() }

// Set changes what the printer is doing.
func (p *TCPPrinter) Set(s PrinterState) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("tcp printer closed")
	}
	was := p.m.get()
	p.m.set(s)
	if s == PrinterOff || was == PrinterStalled {
		// Switched off, or back from hanging: every connection is gone
		// with the bytes it held.
		for c := range p.conns {
			c.Close()
			delete(p.conns, c)
		}
	}
	switch {
	case s == PrinterOff && p.ln != nil:
		p.ln.Close()
		p.ln = nil
	case s != PrinterOff && p.ln == nil:
		ln, err := listenRetry(p.addr)
		if err != nil {
			return fmt.Errorf("tcp printer: listen again on %s: %w", p.addr, err)
		}
		p.ln = ln
		p.serve(ln)
	}
	return nil
}

// Close stops the printer.
func (p *TCPPrinter) Close() {
	p.mu.Lock()
	p.closed = true
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *TCPPrinter) serve(ln net.Listener) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				c.Close()
				return
			}
			p.conns[c] = struct{}{}
			p.mu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.handle(c)
				p.mu.Lock()
				delete(p.conns, c)
				p.mu.Unlock()
			}()
		}
	}()
}

// open reports whether c has not been dropped.
func (p *TCPPrinter) open(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.conns[c]
	return ok
}

// handle reads one connection: one piece of paper at most per connection.
func (p *TCPPrinter) handle(c net.Conn) {
	defer c.Close()
	emu := statustest.New()
	piece := p.m.Roll.Start()
	buf := make([]byte, 32<<10)
	for {
		if p.m.get() == PrinterStalled {
			// Hung: nothing is read until Set drops the connection.
			time.Sleep(10 * time.Millisecond)
			if !p.open(c) {
				return
			}
			continue
		}
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := c.Read(buf)
		if n > 0 {
			if p.m.get() == PrinterStalled {
				continue // hung while the bytes came: they are gone
			}
			if ans := p.m.feed(emu, buf[:n], &piece); len(ans) > 0 {
				c.SetWriteDeadline(time.Now().Add(time.Second))
				if _, werr := c.Write(ans); werr != nil {
					return
				}
			}
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return
		}
	}
}
