package chaos

import (
	"bytes"
	"sync"

	"storeedge/printer/status/statustest"
)

// PrinterState is what an emulated printer is doing.
type PrinterState int

// Printer states. How "offline" looks depends on the link: see TCPPrinter
// and PTYPrinter.
const (
	PrinterOnline   PrinterState = iota
	PrinterPaperOut              // answers paper end and prints nothing
	PrinterStalled               // takes no bytes and answers nothing (hung; its link may hold bytes)
	PrinterOff                   // gone: its link is down or takes bytes into nothing
)

func (s PrinterState) String() string {
	switch s {
	case PrinterPaperOut:
		return "paper out"
	case PrinterStalled:
		return "stalled"
	case PrinterOff:
		return "off"
	}
	return "online"
}

// mech is the print mechanism an emulated printer shares between its links:
// the paper, and whether it owes the host a paper-end answer. A printer
// that dropped bytes for lack of paper reports paper end (DLE EOT 2 bit 5,
// "printing stopped at paper end") until it has answered a whole status
// conversation so, even when paper was loaded meanwhile: the host always
// learns that the job it sent did not print.
type mech struct {
	mu    sync.Mutex
	state PrinterState
	owed  bool
	Roll  Roll
}

func (m *mech) get() PrinterState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

func (m *mech) set(s PrinterState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state = s
}

// lastQuery is the last query of a status conversation (DLE EOT 4).
var lastQuery = []byte{0x10, 0x04, 0x04}

// feed passes bytes received on one link through the link's emulator emu
// and returns the answers. Job bytes are printed onto piece *n while there
// is paper; otherwise they are dropped and the piece ends (the paper that
// follows is another piece).
func (m *mech) feed(emu *statustest.Printer, b []byte, n *int) []byte {
	m.mu.Lock()
	out := m.state == PrinterPaperOut
	paperEnd := out || m.owed
	if paperEnd {
		emu.Set(statustest.PaperOut)
	} else {
		emu.Set(statustest.Online)
	}
	m.mu.Unlock()
	before := len(emu.Job())
	ans := emu.Feed(b)
	job := emu.Job()[before:]
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case len(job) == 0:
	case out:
		m.owed = true
		*n = m.Roll.Next(*n)
	default:
		m.Roll.Print(*n, job)
	}
	if paperEnd && len(ans) > 0 && bytes.Contains(b, lastQuery) {
		m.owed = false // the host heard it: paper end, all the way to DLE EOT 4
	}
	return ans
}
