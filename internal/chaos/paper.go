package chaos

import (
	"bytes"
	"regexp"
	"strings"
	"sync"

	"storeedge/internal/crashtest"
	"storeedge/printer/escpos"
)

// ticketStart is how every ticket begins: ESC @ (initialise) and FS .
// (Chinese mode off). Paper is split into tickets at it as well as at the
// places where the paper itself was interrupted.
var ticketStart = []byte{0x1b, '@', 0x1c, '.'}

// Roll is the paper of one emulated printer: the ESC/POS bytes it printed,
// in pieces. A piece ends where printing was interrupted (the link dropped,
// the printer was switched off, the paper ran out) and the next piece
// starts on fresh paper, so a ticket cut short in one piece never runs into
// the next ticket. Its methods are safe for concurrent use.
type Roll struct {
	mu     sync.Mutex
	pieces [][]byte
}

// Start begins a new piece and returns its number.
func (r *Roll) Start() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pieces = append(r.pieces, nil)
	return len(r.pieces) - 1
}

// Next ends piece n and returns the number of the piece that follows it:
// n itself while nothing is printed on it.
func (r *Roll) Next(n int) int {
	r.mu.Lock()
	empty := len(r.pieces[n]) == 0
	r.mu.Unlock()
	if empty {
		return n
	}
	return r.Start()
}

// Print adds bytes to piece n.
func (r *Roll) Print(n int, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pieces[n] = append(r.pieces[n], b...)
}

// Add keeps one whole piece of printing.
func (r *Roll) Add(b []byte) { r.Print(r.Start(), b) }

// Pieces returns the pieces so far, those still being printed too.
func (r *Roll) Pieces() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]byte, 0, len(r.pieces))
	for _, p := range r.pieces {
		if len(p) > 0 {
			out = append(out, bytes.Clone(p))
		}
	}
	return out
}

// Paper is what a set of printers put on paper.
type Paper struct {
	// Printings are the whole tickets: every byte of them arrived, up to
	// and including the cut. A title carries the copy mark of a ticket
	// printed in several copies ("厨房联 第1联/共2联").
	Printings []crashtest.Printing
	// CutOff counts pieces of paper that are not a whole ticket: a ticket
	// whose printing was interrupted (its head without its cut, or its tail
	// without its head). Such paper is not a printed ticket.
	CutOff int
	// CutOffOrders names the order on each cut-off piece, where it shows.
	CutOffOrders []string
}

// Read splits pieces of printing into tickets. A ticket counts as printed
// only when all of it is there: from its initialisation to its cut, with an
// order number and a title. Everything else is cut-off paper.
func Read(pieces [][]byte) Paper {
	var p Paper
	for _, piece := range pieces {
		for _, seg := range split(piece) {
			ps, err := crashtest.Tickets(seg)
			if err != nil || len(ps) != 1 || !bytes.HasPrefix(seg, ticketStart) {
				p.CutOff++
				p.CutOffOrders = append(p.CutOffOrders, orderOf(seg))
				continue
			}
			pr := ps[0]
			pr.Title = strings.Join(strings.Fields(pr.Title), " ")
			if m := copyMark.FindString(strings.Join(decodeLines(seg), "\n")); m != "" && !strings.Contains(pr.Title, m) {
				pr.Title += " " + m // a big title wraps its copy mark onto a line of its own
			}
			p.Printings = append(p.Printings, pr)
		}
	}
	return p
}

// split cuts a piece before every ticket start; bytes before the first one
// (the tail of a ticket whose head is on other paper) are a segment of
// their own.
func split(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		next := bytes.Index(b[1:], ticketStart)
		if next < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:next+1])
		b = b[next+1:]
	}
	return out
}

// orderOf finds the order number on a piece of paper, if it shows.
func orderOf(seg []byte) string {
	for _, l := range decodeLines(seg) {
		if m := orderLine.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	return "?"
}

var (
	orderLine = regexp.MustCompile(`订单号:\s*(\S+)`)
	copyMark  = regexp.MustCompile(`第\d+联/共\d+联`)
)

// decodeLines is the text of what a piece of paper shows, as far as it can
// be decoded.
func decodeLines(b []byte) []string {
	doc, _ := escpos.Decode(b)
	if doc == nil {
		return nil
	}
	return doc.Text()
}
