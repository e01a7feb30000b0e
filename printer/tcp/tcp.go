// Package tcp is the tcp:// printer transport for network printers on raw port
// 9100: one connection per job, with connect and write deadlines.
package tcp

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"storeedge/printer"
	"storeedge/printer/uri"
)

func init() { printer.Register("tcp", Open) }

// Conn prints to one host:port.
type Conn struct {
	addr        string
	dialTimeout time.Duration
	dialer      net.Dialer
}

var _ printer.Transport = (*Conn)(nil)

// Open checks the address; it does not connect until the first job.
func Open(u uri.URI, opt printer.OpenOptions) (printer.Transport, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("tcp printer %q: no host", u.Raw)
	}
	port := u.Port
	if port == 0 {
		port = 9100
	}
	return &Conn{addr: net.JoinHostPort(u.Host, strconv.Itoa(port)), dialTimeout: 5 * time.Second}, nil
}

// Write connects, sends the whole job before the context's deadline, and closes.
func (c *Conn) Write(ctx context.Context, job []byte) error {
	dctx, cancel := context.WithTimeout(ctx, c.dialTimeout)
	defer cancel()
	conn, err := c.dialer.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("tcp printer %s: connect: %w", c.addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetWriteDeadline(dl); err != nil {
			return fmt.Errorf("tcp printer %s: %w", c.addr, err)
		}
	}
	if _, err := conn.Write(job); err != nil {
		return fmt.Errorf("tcp printer %s: write: %w", c.addr, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		// Half-close so the printer sees the end of the job; a reset reported
		// here means the job did not arrive whole.
		if err := tc.CloseWrite(); err != nil {
			return fmt.Errorf("tcp printer %s: %w", c.addr, err)
		}
	}
	return nil
}

// Status connects to check the link. Without a status reply the printer's
// paper and cover state is unknown, not assumed fine.
func (c *Conn) Status(ctx context.Context) (printer.State, error) {
	dctx, cancel := context.WithTimeout(ctx, c.dialTimeout)
	defer cancel()
	conn, err := c.dialer.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return printer.StateOffline, fmt.Errorf("tcp printer %s: %w", c.addr, err)
	}
	conn.Close()
	return printer.StateUnknown, nil
}

// Close has nothing to release between jobs.
func (c *Conn) Close() error { return nil }
