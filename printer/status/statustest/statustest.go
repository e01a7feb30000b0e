// Package statustest emulates the byte-level behaviour of an ESC/POS printer
// for transport tests: it records every byte it is sent, in order, and
// answers each DLE EOT n query with the reply byte set for n, the way a real
// printer answers on the same link.
package statustest

import (
	"bytes"
	"sync"
)

// Reply bytes for DLE EOT 1, 2, 3 and 4 in common printer states.
var (
	Online    = [4]byte{0x16, 0x12, 0x12, 0x12}
	PaperLow  = [4]byte{0x16, 0x12, 0x12, 0x1E}
	PaperOut  = [4]byte{0x1E, 0x32, 0x12, 0x72}
	CoverOpen = [4]byte{0x1E, 0x16, 0x12, 0x12}
	CutterErr = [4]byte{0x1E, 0x52, 0x1A, 0x12}
)

// Printer is one emulated printer. The zero value is not ready; use New.
type Printer struct {
	mu       sync.Mutex
	got      []byte
	job      []byte // got without the DLE EOT queries
	replies  [4]byte
	silent   bool
	discard  bool // do not keep what is received (benchmarks)
	state    int  // 0, or 1 after DLE, 2 after DLE EOT
	queries  int
	received chan struct{}
}

// New returns an online printer that answers status queries.
func New() *Printer {
	return &Printer{replies: Online, received: make(chan struct{}, 1)}
}

// Set makes the printer answer with r (index 0 for n=1 ... 3 for n=4).
func (p *Printer) Set(r [4]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replies = r
}

// SetSilent makes the printer ignore status queries, as many cheap printers do.
func (p *Printer) SetSilent(silent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.silent = silent
}

// SetDiscard makes the printer answer without keeping what it receives, so
// that long benchmarks do not grow its memory.
func (p *Printer) SetDiscard(discard bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.discard = discard
}

// Feed takes bytes the printer received and returns the bytes it answers.
// A query split across calls is still recognised.
func (p *Printer) Feed(b []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.discard {
		p.got = append(p.got, b...)
	}
	var out []byte
	for _, c := range b {
		switch {
		case p.state == 0 && c == 0x10:
			p.state = 1
		case p.state == 1 && c == 0x04:
			p.state = 2
		case p.state == 2 && c >= 1 && c <= 4:
			p.state = 0
			p.queries++
			if !p.silent {
				out = append(out, p.replies[c-1])
			}
		default:
			// Not a query after all: the held bytes were job data.
			switch p.state {
			case 1:
				p.job = append(p.job, 0x10)
			case 2:
				p.job = append(p.job, 0x10, 0x04)
			}
			p.state = 0
			if c == 0x10 {
				p.state = 1
				continue
			}
			if !p.discard {
				p.job = append(p.job, c)
			}
		}
	}
	select {
	case p.received <- struct{}{}:
	default:
	}
	return out
}

// Received returns every byte received so far, queries included.
func (p *Printer) Received() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.got)
}

// Job returns the bytes received so far without the status queries.
func (p *Printer) Job() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.job)
}

// Queries counts the status queries received.
func (p *Printer) Queries() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queries
}

// Reset forgets what was received.
func (p *Printer) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got, p.job, p.queries, p.state = nil, nil, 0, 0
}

// Signal is signalled (without blocking) after every Feed.
func (p *Printer) Signal() <-chan struct{} { return p.received }
