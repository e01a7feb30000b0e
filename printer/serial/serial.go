// Package serial is the serial:// printer transport for RS-232 and USB-serial
// printers: serial:///dev/ttyUSB0?baud=9600&flow=none|rtscts|xonxoff on Linux
// and serial://COM3?... on Windows. The port stays open between jobs; after
// any failure it is closed and opened again by path when next needed, so a
// USB-serial adapter that was unplugged and plugged back in works again by
// itself. Writes have deadlines even under flow control, and the printer's
// real-time status (DLE EOT) is asked on the same line.
//
// Ports are opened with this package's own termios (Linux) and DCB (Windows)
// code, because flow control and write deadlines are needed and
// go.bug.st/serial sets neither; go.bug.st/serial lists the ports for
// "storeedge printers".
package serial

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"storeedge/printer"
	"storeedge/printer/status"
	"storeedge/printer/uri"
)

func init() { printer.Register(uri.Serial, Open) }

// port is an open serial line.
type port interface {
	// write sends p whole before ctx ends; n is what was handed to the line.
	write(ctx context.Context, p []byte) (n int, err error)
	// read returns what arrives before ctx ends (0 and a nil error: nothing).
	read(ctx context.Context, p []byte) (int, error)
	// flushInput discards bytes received and not yet read.
	flushInput() error
	close() error
}

// Conn prints to one serial port.
type Conn struct {
	path   string
	baud   int
	flow   string
	prober status.Prober
	log    *slog.Logger
	p      port // nil while closed
}

var (
	_ printer.Transport = (*Conn)(nil)
	_ printer.Answering = (*Conn)(nil)
)

// Open checks the URI; the port is opened when first needed.
func Open(u uri.URI, opt printer.OpenOptions) (printer.Transport, error) {
	if u.Path == "" {
		return nil, fmt.Errorf("serial printer %q: no device", u.Raw)
	}
	baud, flow := u.Baud, u.Flow
	if baud == 0 {
		baud = uri.DefaultBaud
	}
	if flow == "" {
		flow = uri.DefaultFlow
	}
	if _, err := lineSettings(baud, flow); err != nil {
		return nil, fmt.Errorf("serial printer %q: %w", u.Raw, err)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Conn{path: u.Path, baud: baud, flow: flow, log: log,
		prober: status.Prober{Wait: 500 * time.Millisecond, JobWait: 10 * time.Second}}, nil
}

// SetReplyWait changes how long status replies are waited for while polling
// and after a job (zero keeps a value).
func (c *Conn) SetReplyWait(poll, afterJob time.Duration) {
	if poll > 0 {
		c.prober.Wait = poll
	}
	if afterJob > 0 {
		c.prober.JobWait = afterJob
	}
}

func (c *Conn) open() error {
	if c.p != nil {
		return nil
	}
	p, err := openPort(c.path, c.baud, c.flow)
	if err != nil {
		return fmt.Errorf("serial printer %s: open: %w", c.path, err)
	}
	c.log.Info("serial port open", "path", c.path, "baud", c.baud, "flow", c.flow)
	c.p = p
	return nil
}

// drop closes the port after a failure; the next call opens it again.
func (c *Conn) drop() {
	if c.p != nil {
		c.p.close()
		c.p = nil
	}
}

// Write sends the whole job before the context's deadline and asks the
// printer's status after it.
func (c *Conn) Write(ctx context.Context, job []byte) (printer.Status, error) {
	if err := c.open(); err != nil {
		return printer.Status{State: printer.StateOffline}, printer.NotSent(err)
	}
	n, err := c.p.write(ctx, job)
	if err != nil {
		c.drop()
		err = fmt.Errorf("serial printer %s: write (%d of %d bytes sent): %w", c.path, n, len(job), err)
		if n == 0 && !errors.Is(err, context.DeadlineExceeded) {
			err = printer.NotSent(err)
		}
		return printer.Status{State: printer.StateOffline}, err
	}
	c.p.flushInput()
	st, _, err := c.prober.AfterJob(ctx, link{c.p})
	if err != nil {
		if !errors.Is(err, status.ErrNotConfirmed) {
			c.drop()
		}
		return st, fmt.Errorf("serial printer %s: after the job: %w", c.path, err)
	}
	return st, nil
}

// Status opens the port if needed and asks the printer. A port that cannot be
// opened is an error (offline); a printer that does not answer is unknown.
func (c *Conn) Status(ctx context.Context) (printer.Status, error) {
	if err := c.open(); err != nil {
		return printer.Status{State: printer.StateOffline}, err
	}
	c.p.flushInput()
	st, _, err := c.prober.Poll(ctx, link{c.p})
	if err != nil {
		c.drop()
		return st, fmt.Errorf("serial printer %s: status: %w", c.path, err)
	}
	return st, nil
}

// Answers reports whether the printer has answered a status query.
func (c *Conn) Answers() bool { return c.prober.Answers() }

// SetAnswers records that the printer answers status queries, as an earlier
// run learned: it must confirm every job.
func (c *Conn) SetAnswers() { c.prober.Remember() }

// Close closes the port.
func (c *Conn) Close() error {
	if c.p == nil {
		return nil
	}
	err := c.p.close()
	c.p = nil
	return err
}

// link is a status.Link over a port.
type link struct{ p port }

func (l link) Write(ctx context.Context, b []byte) error {
	_, err := l.p.write(ctx, b)
	return err
}

func (l link) Read(ctx context.Context, b []byte) (int, error) { return l.p.read(ctx, b) }
