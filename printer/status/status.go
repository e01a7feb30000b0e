// Package status asks an ESC/POS printer for its real-time status with
// DLE EOT n and turns the reply bytes into a printer.Status.
//
// A printer answers each DLE EOT n (0x10 0x04 n) with one byte whose bits
// follow the pattern 0xx1xx10. The queries asked are n=1 (printer: online or
// offline), n=2 (why it is offline: cover open, paper end, error), n=3 (which
// error, asked only when n=2 reports one) and n=4 (roll paper sensors). A
// printer that does not answer n=1 is unknown, never assumed fine.
package status

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"storeedge/printer"
)

// The DLE EOT query numbers.
const (
	QueryPrinter = 1 // printer status
	QueryOffline = 2 // offline cause
	QueryError   = 3 // error cause
	QueryPaper   = 4 // roll paper sensor
)

// Query is the DLE EOT n command.
func Query(n byte) []byte { return []byte{0x10, 0x04, n} }

// Valid reports whether b has the fixed bits of a DLE EOT reply (0xx1xx10).
// Bytes that do not are not status replies (Automatic Status Back blocks,
// line noise) and are discarded.
func Valid(b byte) bool { return b&0x93 == 0x12 }

// Bits of the replies.
const (
	printerOffline = 0x08 // n=1 bit 3: offline
	printerWaiting = 0x20 // n=1 bit 5: waiting for online recovery
	offlineCover   = 0x04 // n=2 bit 2: cover open
	offlineFeed    = 0x08 // n=2 bit 3: paper being fed by the feed button
	offlinePaper   = 0x20 // n=2 bit 5: printing stopped at paper end
	offlineError   = 0x40 // n=2 bit 6: an error occurred
	errorCutter    = 0x08 // n=3 bit 3: autocutter error
	errorFatal     = 0x20 // n=3 bit 5: unrecoverable error
	errorAuto      = 0x40 // n=3 bit 6: automatically recoverable error (head temperature)
	paperNearEnd   = 0x0C // n=4 bits 2-3: roll paper near end
	paperEnd       = 0x20 // n=4 bit 5: roll paper end
)

// Reply holds what a printer answered, one byte per query. HaveX is false
// when the printer did not answer query X (or it was not asked).
type Reply struct {
	Printer, Offline, Error, Paper                 byte
	HavePrinter, HaveOffline, HaveError, HavePaper bool
}

// Answered reports whether the printer answered at all.
func (r Reply) Answered() bool { return r.HavePrinter }

// String shows the reply bytes, e.g. "n1=16 n2=12 n4=72".
func (r Reply) String() string {
	var parts []string
	add := func(have bool, n int, b byte) {
		if have {
			parts = append(parts, fmt.Sprintf("n%d=%02x", n, b))
		}
	}
	add(r.HavePrinter, 1, r.Printer)
	add(r.HaveOffline, 2, r.Offline)
	add(r.HaveError, 3, r.Error)
	add(r.HavePaper, 4, r.Paper)
	if len(parts) == 0 {
		return "no reply"
	}
	return strings.Join(parts, " ")
}

// Status turns the reply into a printer state, the most urgent first: cover
// open, paper out, error, offline for another reason, paper low, online.
func (r Reply) Status() printer.Status {
	if !r.HavePrinter {
		return printer.Status{State: printer.StateUnknown, Detail: "no answer to status queries"}
	}
	off := func(bit byte) bool { return r.HaveOffline && r.Offline&bit != 0 }
	var errs []string
	if r.HaveError {
		if r.Error&errorCutter != 0 {
			errs = append(errs, "autocutter error")
		}
		if r.Error&errorFatal != 0 {
			errs = append(errs, "unrecoverable error")
		}
		if r.Error&errorAuto != 0 {
			errs = append(errs, "recoverable error (print head too hot?)")
		}
	}
	nearEnd := r.HavePaper && r.Paper&paperNearEnd != 0
	switch {
	case off(offlineCover):
		return printer.Status{State: printer.StateCoverOpen, Detail: "cover open"}
	case r.HavePaper && r.Paper&paperEnd != 0, off(offlinePaper):
		return printer.Status{State: printer.StatePaperOut, Detail: "paper end"}
	case off(offlineError) || len(errs) > 0:
		d := "printer reports an error"
		if len(errs) > 0 {
			d = strings.Join(errs, ", ")
		}
		return printer.Status{State: printer.StateError, Detail: d}
	case r.Printer&(printerOffline|printerWaiting) != 0 && !off(offlineFeed):
		return printer.Status{State: printer.StateError, Detail: "printer reports it is offline"}
	case nearEnd:
		return printer.Status{State: printer.StatePaperLow, Detail: "roll paper near end"}
	}
	return printer.Status{State: printer.StateOnline}
}

// Parse reads the reply bytes of a whole conversation in the order Ask asks
// (n=1, n=2, n=3 only when n=2 reports an error, n=4), skipping bytes that
// are not status replies.
func Parse(b []byte) Reply {
	var r Reply
	var c conversation
	for _, x := range b {
		if !Valid(x) {
			continue
		}
		n, ok := c.next(r)
		if !ok {
			break
		}
		r = r.with(n, x)
	}
	return r
}

// conversation says which query comes next, given the replies so far.
type conversation struct{ step int }

func (c *conversation) next(r Reply) (byte, bool) {
	for {
		c.step++
		switch c.step {
		case 1:
			return QueryPrinter, true
		case 2:
			return QueryOffline, true
		case 3:
			if r.HaveOffline && r.Offline&offlineError != 0 {
				return QueryError, true
			}
		case 4:
			return QueryPaper, true
		default:
			return 0, false
		}
	}
}

func (r Reply) with(n, b byte) Reply {
	switch n {
	case QueryPrinter:
		r.Printer, r.HavePrinter = b, true
	case QueryOffline:
		r.Offline, r.HaveOffline = b, true
	case QueryError:
		r.Error, r.HaveError = b, true
	case QueryPaper:
		r.Paper, r.HavePaper = b, true
	}
	return r
}

// Link is a two-way byte link to a printer.
type Link interface {
	// Write sends p whole before ctx ends.
	Write(ctx context.Context, p []byte) error
	// Read waits until some bytes arrive or ctx ends. When ctx ends with
	// nothing read it returns 0 and a nil error (or an error wrapping
	// ctx.Err()); any other error means the link is broken.
	Read(ctx context.Context, p []byte) (int, error)
}

// Ask holds the DLE EOT conversation on l: each query waits up to wait for
// its reply. A printer that does not answer n=1 gives an empty Reply and a nil
// error; an error means the link failed.
func Ask(ctx context.Context, l Link, wait time.Duration) (Reply, error) {
	return ask(ctx, l, wait, wait)
}

// ask waits first for the first reply and rest for each later one.
func ask(ctx context.Context, l Link, first, rest time.Duration) (Reply, error) {
	var r Reply
	var c conversation
	buf := make([]byte, 64)
	for {
		n, ok := c.next(r)
		if !ok {
			return r, nil
		}
		if err := l.Write(ctx, Query(n)); err != nil {
			return r, fmt.Errorf("status query %d: %w", n, err)
		}
		wait := rest
		if n == QueryPrinter {
			wait = first
		}
		b, got, err := readReply(ctx, l, wait, buf)
		if err != nil {
			return r, fmt.Errorf("status reply %d: %w", n, err)
		}
		if !got {
			return r, nil
		}
		r = r.with(n, b)
	}
}

// readReply waits for one valid status byte.
func readReply(ctx context.Context, l Link, wait time.Duration, buf []byte) (byte, bool, error) {
	qctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		k, err := l.Read(qctx, buf)
		for _, b := range buf[:k] {
			if Valid(b) {
				return b, true, nil
			}
		}
		timedOut := qctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) ||
			errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.Canceled)
		switch {
		case ctx.Err() != nil:
			return 0, false, ctx.Err()
		case timedOut:
			return 0, false, nil
		case err != nil:
			return 0, false, err
		}
	}
}

// ErrNotConfirmed means a printer that answers status queries did not answer
// after a job: it may not have read the whole job.
var ErrNotConfirmed = errors.New("printer did not answer the status query after the job")

// Prober asks one printer for its status and remembers whether it ever
// answers, so that a printer that never does costs a job no more than a few
// short waits, and one that does must confirm every job. Its methods are
// safe for concurrent use.
type Prober struct {
	// Wait is how long each reply is waited for when polling; default 1 s.
	Wait time.Duration
	// JobWait is how long the first reply after a job is waited for from a
	// printer known to answer (it may be busy printing); default 10 s.
	JobWait time.Duration

	mu       sync.Mutex
	answered bool // the printer has answered at least once
	misses   int  // unanswered conversations in a row while it never has
}

// silentAfter is how many unanswered conversations make a printer that never
// answered count as one that cannot: after a job it is then not asked.
const silentAfter = 3

func (p *Prober) wait() time.Duration {
	if p.Wait > 0 {
		return p.Wait
	}
	return time.Second
}

func (p *Prober) jobWait() time.Duration {
	if p.JobWait > 0 {
		return p.JobWait
	}
	return 10 * time.Second
}

// Answers reports whether the printer has answered a status query.
func (p *Prober) Answers() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.answered
}

func (p *Prober) note(r Reply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Answered() {
		p.answered, p.misses = true, 0
	} else if !p.answered {
		p.misses++
	}
}

// Remember records that the printer answers status queries, as learned by
// an earlier run: from now on it must confirm every job.
func (p *Prober) Remember() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answered, p.misses = true, 0
}

// Poll asks for the status. A printer that does not answer is unknown.
func (p *Prober) Poll(ctx context.Context, l Link) (printer.Status, Reply, error) {
	r, err := Ask(ctx, l, p.wait())
	if err != nil {
		return printer.Status{State: printer.StateOffline}, r, err
	}
	p.note(r)
	return r.Status(), r, nil
}

// AfterJob asks for the status right after a job was written on the same
// link. A printer known to answer must answer now (ErrNotConfirmed otherwise);
// one that never answered is asked briefly, and not at all once it has stayed
// silent a few times.
func (p *Prober) AfterJob(ctx context.Context, l Link) (printer.Status, Reply, error) {
	p.mu.Lock()
	answered, silent := p.answered, !p.answered && p.misses >= silentAfter
	p.mu.Unlock()
	if silent {
		return Reply{}.Status(), Reply{}, nil
	}
	first := p.wait()
	if answered {
		first = p.jobWait()
	}
	r, err := ask(ctx, l, first, p.wait())
	if err != nil {
		return printer.Status{State: printer.StateOffline}, r, err
	}
	if !r.Answered() && answered {
		return printer.Status{State: printer.StateUnknown}, r, ErrNotConfirmed
	}
	p.note(r)
	return r.Status(), r, nil
}

// Bits of an IEEE 1284 port status byte: what the printer-class request
// GET_PORT_STATUS returns on USB, and Linux's LPGETSTATUS on /dev/usb/lp*.
const (
	PortPaperEmpty = 0x20 // paper empty
	PortSelected   = 0x10 // selected (online)
	PortNoError    = 0x08 // no error (the error line is active low)
)

// FromPortStatus turns a port status byte into a printer state. Many printers
// report a fixed "selected, no error" whatever happens, so only bad news is
// believed: ok is false when there is none.
func FromPortStatus(b byte) (st printer.Status, ok bool) {
	switch {
	case b&PortPaperEmpty != 0:
		return printer.Status{State: printer.StatePaperOut, Detail: "paper end (port status)"}, true
	case b&PortNoError == 0:
		return printer.Status{State: printer.StateError, Detail: "printer reports an error (port status)"}, true
	case b&PortSelected == 0:
		return printer.Status{State: printer.StateError, Detail: "printer is not selected (port status)"}, true
	}
	return printer.Status{}, false
}
