// Package tcp is the tcp:// printer transport for network printers on raw port
// 9100: one connection per job, with connect and write deadlines, and the
// printer's real-time status (DLE EOT) asked on the same connection after the
// job, so that a reply proves the printer read the whole job.
package tcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"storeedge/printer"
	"storeedge/printer/status"
	"storeedge/printer/uri"
)

func init() { printer.Register(uri.TCP, Open) }

// Default timings.
const (
	DefaultDialTimeout = 5 * time.Second
	DefaultReplyWait   = time.Second      // each status reply while polling
	DefaultJobWait     = 10 * time.Second // first status reply after a job
)

// Conn prints to one host:port.
type Conn struct {
	addr        string
	dialTimeout time.Duration
	dialer      net.Dialer
	prober      status.Prober
	log         *slog.Logger
}

var (
	_ printer.Transport = (*Conn)(nil)
	_ printer.Answering = (*Conn)(nil)
)

// Open checks the address; it does not connect until the first job.
func Open(u uri.URI, opt printer.OpenOptions) (printer.Transport, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("tcp printer %q: no host", u.Raw)
	}
	port := u.Port
	if port == 0 {
		port = uri.DefaultTCPPort
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Conn{
		addr:        net.JoinHostPort(u.Host, strconv.Itoa(port)),
		dialTimeout: DefaultDialTimeout,
		prober:      status.Prober{Wait: DefaultReplyWait, JobWait: DefaultJobWait},
		log:         log,
	}, nil
}

// Addr is the printer's host:port.
func (c *Conn) Addr() string { return c.addr }

// SetTimings changes how long a connection attempt and status replies are
// waited for (zero keeps a value): for printers on slow links, and tests.
func (c *Conn) SetTimings(dial, reply, jobReply time.Duration) {
	if dial > 0 {
		c.dialTimeout = dial
	}
	if reply > 0 {
		c.prober.Wait = reply
	}
	if jobReply > 0 {
		c.prober.JobWait = jobReply
	}
}

func (c *Conn) dial(ctx context.Context) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, c.dialTimeout)
	defer cancel()
	conn, err := c.dialer.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("tcp printer %s: connect: %w", c.addr, err)
	}
	return conn, nil
}

// Write connects, sends the whole job before the context's deadline, asks the
// printer's status on the same connection and closes. A printer that has
// answered status queries before must answer after the job too, or the job
// counts as not confirmed.
func (c *Conn) Write(ctx context.Context, job []byte) (printer.Status, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return printer.Status{State: printer.StateOffline}, printer.NotSent(err)
	}
	defer conn.Close()
	l := link{conn}
	if err := l.Write(ctx, job); err != nil {
		return printer.Status{State: printer.StateOffline}, fmt.Errorf("tcp printer %s: write: %w", c.addr, err)
	}
	st, r, err := c.prober.AfterJob(ctx, l)
	if err != nil {
		return st, fmt.Errorf("tcp printer %s: after the job: %w", c.addr, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		// Half-close so the printer sees the end of the job; a reset reported
		// here means the job did not arrive whole.
		if err := tc.CloseWrite(); err != nil {
			return st, fmt.Errorf("tcp printer %s: %w", c.addr, err)
		}
	}
	c.log.Debug("job sent", "addr", c.addr, "bytes", len(job), "status", st.State, "reply", r.String())
	return st, nil
}

// Status connects and asks the printer for its real-time status. No
// connection is an error (offline); a printer that does not answer is
// unknown, not assumed fine.
func (c *Conn) Status(ctx context.Context) (printer.Status, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return printer.Status{State: printer.StateOffline}, err
	}
	defer conn.Close()
	st, _, err := c.prober.Poll(ctx, link{conn})
	if err != nil {
		return st, fmt.Errorf("tcp printer %s: status: %w", c.addr, err)
	}
	return st, nil
}

// Answers reports whether the printer has answered a status query.
func (c *Conn) Answers() bool { return c.prober.Answers() }

// SetAnswers records that the printer answers status queries, as an earlier
// run learned: it must confirm every job.
func (c *Conn) SetAnswers() { c.prober.Remember() }

// Close has nothing to release between jobs.
func (c *Conn) Close() error { return nil }

// link is a status.Link over a connection, with deadlines from contexts.
type link struct{ c net.Conn }

func (l link) Write(ctx context.Context, p []byte) error {
	dl, _ := ctx.Deadline() // zero: no deadline
	if err := l.c.SetWriteDeadline(dl); err != nil {
		return err
	}
	_, err := l.c.Write(p)
	return err
}

func (l link) Read(ctx context.Context, p []byte) (int, error) {
	dl, _ := ctx.Deadline()
	if err := l.c.SetReadDeadline(dl); err != nil {
		return 0, err
	}
	n, err := l.c.Read(p)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return n, context.DeadlineExceeded
	}
	return n, err
}
