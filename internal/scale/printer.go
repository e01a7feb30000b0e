package scale

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"storeedge/internal/crashtest"
	"storeedge/printer/status/statustest"
)

// Printer is a network printer on a real TCP listener: it answers status
// queries (DLE EOT) as an online printer does and keeps, for every
// connection, the moment its first byte arrived and the job bytes it
// carried. storeedge opens one connection per ticket, so the first byte of
// a connection with job bytes is the first byte of a ticket.
type Printer struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	arr  []Arrival
	errs []error
}

// Arrival is one connection to the printer.
type Arrival struct {
	First time.Time // its first byte arrived
	Job   []byte    // what it carried besides status queries; empty for a status check
}

// ListenPrinter listens on addr ("127.0.0.1:0" for any port).
func ListenPrinter(addr string) (*Printer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("printer listener: %w", err)
	}
	p := &Printer{ln: ln}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the printer's host:port.
func (p *Printer) Addr() string { return p.ln.Addr().String() }

func (p *Printer) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.fail(fmt.Errorf("accept: %w", err))
			}
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Printer) fail(err error) {
	p.mu.Lock()
	p.errs = append(p.errs, err)
	p.mu.Unlock()
}

// serve reads one connection until the sender closes it.
func (p *Printer) serve(c net.Conn) {
	defer p.wg.Done()
	defer c.Close()
	dev := statustest.New()
	buf := make([]byte, 64<<10)
	var first time.Time
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if first.IsZero() {
				first = time.Now()
			}
			if reply := dev.Feed(buf[:n]); len(reply) > 0 {
				if _, werr := c.Write(reply); werr != nil {
					p.fail(fmt.Errorf("status reply: %w", werr))
					return
				}
			}
		}
		if err != nil {
			break
		}
	}
	if first.IsZero() {
		return
	}
	p.mu.Lock()
	p.arr = append(p.arr, Arrival{First: first, Job: dev.Job()})
	p.mu.Unlock()
}

// Arrivals returns the connections finished so far, in the order they
// finished.
func (p *Printer) Arrivals() []Arrival {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.arr)
}

// Close stops listening and waits for open connections to end.
func (p *Printer) Close() error {
	err := p.ln.Close()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return errors.Join(append([]error{err}, p.errs...)...)
}

// Ticket is one ticket that arrived at a printer.
type Ticket struct {
	crashtest.Printing
	First time.Time // its first byte arrived
}

// Tickets decodes the job connections: each must carry exactly one whole
// ticket.
func Tickets(arr []Arrival) ([]Ticket, error) {
	var out []Ticket
	for i, a := range arr {
		if len(a.Job) == 0 {
			continue
		}
		ps, err := crashtest.Tickets(a.Job)
		if err != nil {
			return nil, fmt.Errorf("connection %d: %w", i+1, err)
		}
		if len(ps) != 1 {
			return nil, fmt.Errorf("connection %d carried %d tickets, want 1", i+1, len(ps))
		}
		out = append(out, Ticket{Printing: ps[0], First: a.First})
	}
	return out, nil
}
