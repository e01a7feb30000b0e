// Package crashtest proves the print queue's promise with real processes:
// its test runs the storeedge binary against the upstream simulator and
// file printers, kills it with SIGKILL at random moments while orders keep
// arriving, restarts it, and at the end reads the paper: every order must
// have printed, and every second printing of a ticket must carry the
// reprint mark.
//
// Count tells the printed tickets of printer files apart; the test itself
// lives in crash_test.go (go test ./internal/crashtest -kills 50).
package crashtest

import (
	"fmt"
	"regexp"
	"strings"

	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
)

// Printing is one ticket found on paper.
type Printing struct {
	Order   string // order number (订单号)
	Title   string // ticket title line: 顾客联, 厨房联, 取消单 (with a copy mark)
	Reprint bool   // carries the reprint mark
}

// Key names the ticket a printing is of.
func (p Printing) Key() string { return p.Order + " " + p.Title }

var orderLine = regexp.MustCompile(`订单号:\s*(\S+)`)

// Tickets decodes the ESC/POS bytes of a printer file and splits them into
// tickets at the paper cuts. A ticket without an order number is an error
// naming its position.
func Tickets(b []byte) ([]Printing, error) {
	doc, err := escpos.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("decode printer output: %w", err)
	}
	var out []Printing
	start := 0
	for n, end := range doc.CutAt {
		if end == start {
			continue
		}
		p, err := parseTicket(doc.Lines[start:end])
		if err != nil {
			return nil, fmt.Errorf("ticket %d (lines %d-%d): %w", n+1, start+1, end, err)
		}
		out = append(out, p)
		start = end
	}
	if start != len(doc.Lines) {
		return nil, fmt.Errorf("%d lines after the last cut: a ticket was cut short", len(doc.Lines)-start)
	}
	return out, nil
}

var titles = []string{"顾客联", "厨房联", "取消单"}

func parseTicket(lines []escpos.Line) (Printing, error) {
	var p Printing
	for _, l := range lines {
		t := strings.TrimSpace(l.Text)
		switch {
		case t == ticket.ReprintMark:
			p.Reprint = true
		case p.Title == "" && startsWithAny(t, titles):
			p.Title = t
		case p.Order == "":
			if m := orderLine.FindStringSubmatch(t); m != nil {
				p.Order = m[1]
			}
		}
	}
	if p.Order == "" || p.Title == "" {
		return p, fmt.Errorf("no order number or no title (order %q, title %q)", p.Order, p.Title)
	}
	return p, nil
}

func startsWithAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Summary counts what a crash run printed.
type Summary struct {
	Orders, Kills         int
	Tickets               int // tickets expected
	Lost                  int // expected tickets never printed
	UnmarkedDuplicates    int // second and later printings of a ticket without the mark
	MarkedReprints        int // printings with the mark
	Printings             int
	LostTickets, Unmarked []string
}

// Count checks printings against the expected ticket keys.
func Count(expected []string, printings []Printing) Summary {
	s := Summary{Tickets: len(expected), Printings: len(printings)}
	unmarked := map[string]int{}
	seen := map[string]bool{}
	for _, p := range printings {
		seen[p.Key()] = true
		if p.Reprint {
			s.MarkedReprints++
			continue
		}
		unmarked[p.Key()]++
		if unmarked[p.Key()] > 1 {
			s.UnmarkedDuplicates++
			s.Unmarked = append(s.Unmarked, p.Key())
		}
	}
	for _, k := range expected {
		if !seen[k] {
			s.Lost++
			s.LostTickets = append(s.LostTickets, k)
		}
	}
	return s
}

// String is the summary line.
func (s Summary) String() string {
	return fmt.Sprintf("crash test: orders %d, kills %d, lost %d, unmarked duplicates %d, marked reprints %d (tickets %d, printings %d)",
		s.Orders, s.Kills, s.Lost, s.UnmarkedDuplicates, s.MarkedReprints, s.Tickets, s.Printings)
}
